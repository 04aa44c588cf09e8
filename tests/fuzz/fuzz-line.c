/* fuzz-line.c: libFuzzer target for TcpcLineFilter
 *
 * mode % 12 chooses the settings:
 *   0  default terminators (\n, \r\n, \r, \n\r)
 *   1  literal "\n"          2  literal "\r\n"       3  literal "ab"
 *   4  literal "aba" (overlapping)                    5  literal "\x01"
 *   6  input-literal "||" and output-literal "||"
 *   7  autodetect
 *   8  input-regex "\r?\n"   9  input-regex "[;,]+"  10 input-regex "x{2}|y"
 *   11 invalid: literal and input-regex together
 * Checks: no crash; chunk-boundary invariance (not in regex mode, which does
 * not promise it); at most max-length + terminator + the last chunk
 * buffered; the round trip of the payload's pieces that contain no
 * terminator.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fuzz-common.h"

#include <string.h>

typedef struct
{
  const char *terminator;   /* NULL: any of \r and \n ends a line */
  gsize       terminator_len;
} LineRule;

/* A record survives the round trip when encoded + parsed only if the
 * first terminator in record + terminator is the appended one. */
static gboolean
line_encodable (GBytes  *record,
                gpointer user_data)
{
  const LineRule *rule = user_data;
  gsize len, i;
  const guint8 *data = g_bytes_get_data (record, &len);
  gboolean ok = TRUE;

  if (len == 0)
    return TRUE;   /* g_bytes_get_data() may return NULL */
  if (rule->terminator == NULL)
    return memchr (data, '\n', len) == NULL && memchr (data, '\r', len) == NULL;

  if (len > 0)
    {
      guint8 *joined = g_malloc (len + rule->terminator_len);

      memcpy (joined, data, len);
      memcpy (joined + len, rule->terminator, rule->terminator_len);
      for (i = 0; i < len && ok; i++)
        ok = memcmp (joined + i, rule->terminator, rule->terminator_len) != 0;
      g_free (joined);
    }
  return ok;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  FuzzInput in;
  TcpcLineFilter *filter;
  LineRule rule = { NULL, 0 };
  guint max_length;
  gboolean regex = FALSE, invalid = FALSE;
  gsize slack = 2;

  fuzz_input_parse (&in, data, size);
  max_length = fuzz_max_length (in.max_sel, TCPC_LINE_FILTER_DEFAULT_MAX_LENGTH);

  switch (in.mode % 12)
    {
    case 0:
      filter = tcpc_line_filter_new ();
      break;
    case 1:
      filter = tcpc_line_filter_new_literal ("\n");
      rule.terminator = "\n";
      break;
    case 2:
      filter = tcpc_line_filter_new_literal ("\r\n");
      rule.terminator = "\r\n";
      break;
    case 3:
      filter = tcpc_line_filter_new_literal ("ab");
      rule.terminator = "ab";
      break;
    case 4:
      filter = tcpc_line_filter_new_literal ("aba");
      rule.terminator = "aba";
      break;
    case 5:
      filter = tcpc_line_filter_new ();
      /* a control byte (a NUL cannot be set through a C string) */
      tcpc_line_filter_set_literal (filter, "\x01");
      rule.terminator = "\x01";
      break;
    case 6:
      filter = tcpc_line_filter_new ();
      tcpc_line_filter_set_input_literal (filter, "||");
      tcpc_line_filter_set_output_literal (filter, "||");
      rule.terminator = "||";
      break;
    case 7:
      filter = tcpc_line_filter_new ();
      tcpc_line_filter_set_autodetect (filter, TRUE);
      break;
    case 8:
      filter = tcpc_line_filter_new ();
      tcpc_line_filter_set_input_regex (filter, "\\r?\\n");
      regex = TRUE;
      break;
    case 9:
      filter = tcpc_line_filter_new ();
      tcpc_line_filter_set_input_regex (filter, "[;,]+");
      regex = TRUE;
      break;
    case 10:
      filter = tcpc_line_filter_new ();
      tcpc_line_filter_set_input_regex (filter, "x{2}|y");
      regex = TRUE;
      break;
    default:
      filter = tcpc_line_filter_new_literal ("\n");
      tcpc_line_filter_set_input_regex (filter, "\\n");
      invalid = TRUE;
      break;
    }

  if (rule.terminator != NULL)
    {
      rule.terminator_len = strlen (rule.terminator);
      slack = rule.terminator_len;
    }
  tcpc_line_filter_set_max_length (filter, max_length);

  if (invalid)
    {
      GError *error = NULL;
      GBytes *chunk = g_bytes_new (in.payload, in.len);

      FUZZ_CHECK (!tcpc_line_filter_check_settings (filter, &error));
      FUZZ_CHECK (g_error_matches (error, TCPC_FILTER_ERROR,
                                   TCPC_FILTER_ERROR_INVALID_SETTINGS));
      g_clear_error (&error);
      FUZZ_CHECK (!tcpc_filter_feed (TCPC_FILTER (filter), chunk, &error));
      FUZZ_CHECK (g_error_matches (error, TCPC_FILTER_ERROR,
                                   TCPC_FILTER_ERROR_INVALID_SETTINGS));
      g_clear_error (&error);
      FUZZ_CHECK (tcpc_filter_encode (TCPC_FILTER (filter), chunk, &error) == NULL);
      FUZZ_CHECK (g_error_matches (error, TCPC_FILTER_ERROR,
                                   TCPC_FILTER_ERROR_INVALID_SETTINGS));
      g_clear_error (&error);
      g_bytes_unref (chunk);
      g_object_unref (filter);
      return 0;
    }

  /* regex mode keeps up to 4096 bytes of a possible partial match */
  fuzz_check_filter (TCPC_FILTER (filter), &in, !regex,
                     max_length + (regex ? 4096 : slack));

  if (!regex)
    fuzz_check_round_trip (TCPC_FILTER (filter), &in, line_encodable, &rule,
                           max_length);

  g_object_unref (filter);
  return 0;
}
