/* test-line-filter.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <tcpclient.h>

#include "tcpc-test-filter.h"

/* Helpers */








static TcpcFilter *
new_filter (const char *first_property,
            ...)
{
  GObject *object;
  va_list args;

  va_start (args, first_property);
  object = g_object_new_valist (TCPC_TYPE_LINE_FILTER, first_property, args);
  va_end (args);

  return TCPC_FILTER (object);
}


/* Default mode */

static void
test_default_terminators (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_line_filter_new ());

  assert_parse (filter,
                STRV ("lf\ncrlf\r\ncr\rlfcr\n\rend\n"),
                STRV ("lf", "crlf", "cr", "lfcr", "end"));
  assert_pending (filter, NULL);
}

static void
test_default_split_crlf (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_line_filter_new ());
  g_autoptr(TcpcFilter) lfcr = TCPC_FILTER (tcpc_line_filter_new ());
  g_autoptr(TcpcFilter) other = TCPC_FILTER (tcpc_line_filter_new ());

  g_test_summary ("poe-spec 5.23: a \\r\\n split between reads ends one record");

  /* The record is delivered at the \r, before the \n has arrived. */
  feed (filter, "first\r");
  assert_next (filter, "first");
  assert_next (filter, NULL);
  assert_parse (filter,
                STRV ("\nsecond\r\nthird\r\n"),
                STRV ("second", "third"));

  assert_parse (lfcr, STRV ("a\n", "\rb\n", "\r", "c\n"), STRV ("a", "b", "c"));

  /* A byte that does not complete the terminator starts the next record. */
  assert_parse (other, STRV ("a\r", "x\n", "\n", "y\r", "\r"), STRV ("a", "x", "", "y", ""));
}

static void
test_default_empty_lines (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_line_filter_new ());

  assert_parse (filter, STRV ("a\r\n\r\nb\n"), STRV ("a", "", "b"));
  assert_parse (filter, STRV ("a\n\rb\n"), STRV ("a", "b"));
  assert_parse (filter, STRV ("a\n\r\nb\n"), STRV ("a", "", "b"));
  assert_parse (filter, STRV ("\n\n\r\r\n"), STRV ("", "", ""));
}

static void
test_default_unterminated (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_line_filter_new ());

  assert_parse (filter, STRV ("par", "ti", "al"), STRV (NULL));
  assert_parse (filter, STRV ("\nnext"), STRV ("partial"));
  assert_pending (filter, "next");
  assert_pending (filter, NULL);
}

/* Records within the last chunk are slices of it. */
static void
test_default_zero_copy (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_line_filter_new ());
  g_autoptr(GBytes) chunk = bytes_from_string ("abc\r\ndef\nlong");
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GBytes) third = NULL;
  const guint8 *base = g_bytes_get_data (chunk, NULL);

  g_assert_true (tcpc_filter_feed (filter, chunk, NULL));
  first = tcpc_filter_next_record (filter, NULL);
  second = tcpc_filter_next_record (filter, NULL);
  assert_bytes (first, "abc");
  assert_bytes (second, "def");
  g_assert_true (g_bytes_get_data (first, NULL) == base);
  g_assert_true (g_bytes_get_data (second, NULL) == base + 5);
  assert_next (filter, NULL);

  feed (filter, "er\n");
  third = tcpc_filter_next_record (filter, NULL);
  assert_bytes (third, "longer");
}

static void
chunk_freed_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
}

/* An idle filter keeps no reference to the last chunk. */
static void
test_default_no_pin (void)
{
  static const char *const modes[] = { NULL, "literal", "autodetect" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autoptr(TcpcFilter) filter = NULL;
      g_autoptr(GBytes) record = NULL;
      GBytes *chunk;
      char *text = g_strdup ("done\npartial");
      gboolean freed = FALSE;

      if (g_strcmp0 (modes[i], "literal") == 0)
        filter = new_filter ("literal", "\n", NULL);
      else if (g_strcmp0 (modes[i], "autodetect") == 0)
        filter = new_filter ("autodetect", TRUE, NULL);
      else
        filter = new_filter (NULL, NULL);

      chunk = g_bytes_new_with_free_func (text, strlen (text), chunk_freed_cb, &freed);
      g_assert_true (tcpc_filter_feed (filter, chunk, NULL));
      g_bytes_unref (chunk);

      record = tcpc_filter_next_record (filter, NULL);
      assert_bytes (record, "done");
      assert_next (filter, NULL);

      /* Only the record holds the chunk now. */
      g_assert_false (freed);
      g_clear_pointer (&record, g_bytes_unref);
      g_assert_true (freed);
      g_free (text);

      assert_parse (filter, STRV ("\n"), STRV ("partial"));
    }
}

/* The chunk fed before the last was not parsed to its end. */
static void
test_default_feed_without_drain (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_line_filter_new ());
  g_autoptr(TcpcFilter) literal = new_filter ("literal", "<END>", NULL);

  feed (filter, "a\nb");
  feed (filter, "c\r");
  feed (filter, "\nd\ne");
  assert_next (filter, "a");
  assert_next (filter, "bc");
  assert_next (filter, "d");
  assert_next (filter, NULL);
  assert_pending (filter, "e");

  feed (literal, "a<EN");
  feed (literal, "D>b<E");
  feed (literal, "ND><END");
  assert_next (literal, "a");
  assert_next (literal, "b");
  assert_next (literal, NULL);
  assert_parse (literal, STRV (">c<END>"), STRV ("", "c"));

  /* A terminator that begins in a parsed carry buffer and ends in input fed
   * twice without parsing.
   */
  feed (literal, "d<EN");
  assert_next (literal, NULL);
  feed (literal, "D>e");
  feed (literal, "<END>");
  assert_next (literal, "d");
  assert_next (literal, "e");
  assert_next (literal, NULL);
}

/* Autodetect */

static void
test_autodetect_poe (void)
{
  g_autoptr(TcpcFilter) crlf = new_filter ("autodetect", TRUE, NULL);
  g_autoptr(TcpcFilter) cr = new_filter ("autodetect", TRUE, NULL);
  g_autoptr(TcpcFilter) split = new_filter ("autodetect", TRUE, NULL);

  g_test_summary ("poe-spec 5.59: autodetect locks onto the first terminator");

  assert_parse (crlf, STRV ("a\r\nb\nc\r\n"), STRV ("a", "b\nc"));
  assert_pending (crlf, NULL);

  assert_parse (cr, STRV ("a\rb\r\n"), STRV ("a", "b"));
  assert_pending (cr, "\n");

  assert_parse (split, STRV ("a\r", "x\r"), STRV ("a", "x"));
  assert_parse (split, STRV ("\n"), STRV (NULL));
  assert_pending (split, "\n");
}

static void
test_autodetect_split (void)
{
  g_autoptr(TcpcFilter) crlf = new_filter ("autodetect", TRUE, NULL);
  g_autoptr(TcpcFilter) lfcr = new_filter ("autodetect", TRUE, NULL);
  g_autoptr(TcpcFilter) lf = new_filter ("autodetect", TRUE, NULL);

  assert_parse (crlf,
                STRV ("first\r", "\nsecond\r\nthird\r\n"),
                STRV ("first", "second", "third"));
  assert_parse (crlf, STRV ("a\rb\r", "\n"), STRV ("a\rb"));

  assert_parse (lfcr, STRV ("x\n", "\r", "y\n\r", "z\n"), STRV ("x", "y"));
  assert_pending (lfcr, "z\n");

  /* Nothing followed the \n when it arrived: the next byte decides. */
  assert_parse (lf, STRV ("x\n", "", "y\r\nz\n"), STRV ("x", "y\r", "z"));
}

/* Literal */

static void
test_literal_poe (void)
{
  g_autoptr(TcpcFilter) bar = TCPC_FILTER (tcpc_line_filter_new_literal ("|"));
  g_autoptr(TcpcFilter) meta = TCPC_FILTER (tcpc_line_filter_new_literal (".*"));
  g_autoptr(TcpcFilter) lf = TCPC_FILTER (tcpc_line_filter_new_literal ("\n"));
  g_autoptr(GBytes) x = bytes_from_string ("x");
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("poe-spec 5.61: a literal is an exact byte string");

  assert_parse (bar, STRV ("a|b|c"), STRV ("a", "b"));
  assert_pending (bar, "c");
  encoded = tcpc_filter_encode (bar, x, &error);
  g_assert_no_error (error);
  assert_bytes (encoded, "x|");

  assert_parse (meta, STRV ("a.*bxc.*"), STRV ("a", "bxc"));

  /* POE E10: a literal "\n" keeps the \r. */
  assert_parse (lf,
                STRV ("first\r", "\nsecond\r\nthird\r\n"),
                STRV ("first\r", "second\r", "third\r"));
}

static void
test_literal_split (void)
{
  g_autoptr(TcpcFilter) end = TCPC_FILTER (tcpc_line_filter_new_literal ("<END>"));
  g_autoptr(TcpcFilter) crlf = TCPC_FILTER (tcpc_line_filter_new_literal ("\r\n"));
  g_autoptr(TcpcFilter) overlap = TCPC_FILTER (tcpc_line_filter_new_literal ("aab"));

  assert_parse (end,
                STRV ("one<", "E", "N", "D", ">two<EN", "D><", "END><E<END>"),
                STRV ("one", "two", "", "<E"));

  assert_parse (crlf,
                STRV ("a\r", "\nb\r\r", "\n\nc\r\n"),
                STRV ("a", "b\r", "\nc"));

  /* The terminator starts in the carry buffer, not where the first
   * candidate did.
   */
  assert_parse (overlap, STRV ("xa", "a", "aab"), STRV ("xaa"));
  assert_parse (overlap, STRV ("aaa", "bq"), STRV ("a"));
  assert_pending (overlap, "q");
}

static void
test_input_literal (void)
{
  g_autoptr(TcpcFilter) filter = new_filter ("input-literal", "\n", NULL);
  g_autoptr(GBytes) x = bytes_from_string ("x");
  g_autoptr(GBytes) encoded = NULL;

  assert_parse (filter, STRV ("a\r\nb\n"), STRV ("a\r", "b"));

  /* The output terminator stays the default. */
  encoded = tcpc_filter_encode (filter, x, NULL);
  assert_bytes (encoded, "x\r\n");
}

/* Input regex */

static void
test_regex_any_newline (void)
{
  g_autoptr(TcpcFilter) a = new_filter ("input-regex", "\\r\\n?|\\n\\r?", NULL);
  g_autoptr(TcpcFilter) b = new_filter ("input-regex", "\\r\\n?|\\n\\r?", NULL);
  g_autoptr(TcpcFilter) c = new_filter ("input-regex", "\\r\\n?|\\n\\r?", NULL);

  g_test_summary ("poe-spec 5.60: POE's default regex as input-regex");

  assert_parse (a, STRV ("a\n\rb\n"), STRV ("a", "b"));
  assert_parse (b, STRV ("a\r\n\r\nb\n"), STRV ("a", "", "b"));
  /* A match that could grow takes what is there. */
  assert_parse (c, STRV ("a\r", "\nb\n"), STRV ("a", "", "b"));
}

static void
test_regex_split (void)
{
  g_autoptr(TcpcFilter) end = new_filter ("input-regex", "<END>", NULL);
  g_autoptr(TcpcFilter) digits = new_filter ("input-regex", ";[0-9]+;", NULL);

  assert_parse (end,
                STRV ("one<", "E", "ND", ">two<EN", "D><", "END><E<END>"),
                STRV ("one", "two", "", "<E"));

  assert_parse (digits, STRV ("a;1", "2", "3;b;x;c;4;"), STRV ("a", "b;x;c"));
  assert_pending (digits, NULL);
  assert_parse (digits, STRV ("d;5"), STRV (NULL));
  assert_pending (digits, "d;5");
}

static void
test_regex_not_empty (void)
{
  g_autoptr(TcpcFilter) filter = new_filter ("input-regex", "x*", NULL);

  /* An empty match never ends a record. */
  assert_parse (filter, STRV ("abxxcdx", "efg"), STRV ("ab", "cd"));
  assert_pending (filter, "efg");
}

static void
test_regex_max_length (void)
{
  g_autoptr(TcpcFilter) filter = new_filter ("input-regex", "\\n", "max-length", 5, NULL);

  feed (filter, "12345\n123456\nok\n");
  assert_next (filter, "12345");
  assert_next_error (filter, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next (filter, "ok");
  assert_next (filter, NULL);

  /* Unterminated input past max-length: one error, then the rest of the
   * line is skipped.
   */
  feed (filter, "abcdefgh");
  assert_next_error (filter, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next (filter, NULL);
  assert_parse (filter, STRV ("ijklmnop", "qr\nok\n"), STRV ("ok"));
}

/* Encode */

static void
test_encode_poe (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_line_filter_new ());
  g_autoptr(TcpcFilter) lf = new_filter ("output-literal", "\n", NULL);
  g_autoptr(TcpcFilter) none = new_filter ("output-literal", "", NULL);
  g_autoptr(GBytes) y = bytes_from_string ("y\n");
  g_autoptr(GBytes) x = bytes_from_string ("x");
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GBytes) encoded_y = NULL;
  g_autoptr(GBytes) encoded_x = NULL;
  g_autoptr(GBytes) encoded_empty = NULL;
  g_autoptr(GBytes) encoded_none = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("poe-spec 5.62: encode appends the terminator, no translation");

  encoded_y = tcpc_filter_encode (filter, y, &error);
  g_assert_no_error (error);
  assert_bytes (encoded_y, "y\n\r\n");

  encoded_x = tcpc_filter_encode (lf, x, &error);
  g_assert_no_error (error);
  assert_bytes (encoded_x, "x\n");

  encoded_empty = tcpc_filter_encode (filter, empty, &error);
  g_assert_no_error (error);
  assert_bytes (encoded_empty, "\r\n");

  encoded_none = tcpc_filter_encode (none, x, &error);
  g_assert_no_error (error);
  assert_bytes (encoded_none, "x");
}

static void
test_encode_round_trip (void)
{
  static const char *const records[] = { "hello", "", "with space", "tab\there", "last" };
  TcpcFilter *filters[4];
  guint i;
  guint j;

  filters[0] = TCPC_FILTER (tcpc_line_filter_new ());
  filters[1] = TCPC_FILTER (tcpc_line_filter_new_literal ("<END>"));
  filters[2] = new_filter ("input-literal", "\n", "output-literal", "\n", NULL);
  filters[3] = new_filter ("autodetect", TRUE, NULL);

  for (i = 0; i < G_N_ELEMENTS (filters); i++)
    {
      g_autoptr(GByteArray) wire = g_byte_array_new ();
      g_autoptr(GBytes) wire_bytes = NULL;
      g_autoptr(GError) error = NULL;

      for (j = 0; j < G_N_ELEMENTS (records); j++)
        {
          g_autoptr(GBytes) record = bytes_from_string (records[j]);
          g_autoptr(GBytes) encoded = tcpc_filter_encode (filters[i], record, &error);

          g_assert_no_error (error);
          g_byte_array_append (wire, g_bytes_get_data (encoded, NULL),
                               g_bytes_get_size (encoded));
        }

      wire_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&wire));
      g_assert_true (tcpc_filter_feed (filters[i], wire_bytes, &error));
      g_assert_no_error (error);
      for (j = 0; j < G_N_ELEMENTS (records); j++)
        assert_next (filters[i], records[j]);
      assert_next (filters[i], NULL);
      assert_pending (filters[i], NULL);

      g_object_unref (filters[i]);
    }
}

/* take_pending */

static void
test_take_pending (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_line_filter_new_literal ("|"));
  g_autoptr(TcpcFilter) lines = TCPC_FILTER (tcpc_line_filter_new ());
  g_autoptr(TcpcFilter) regex = new_filter ("input-regex", "\\|", NULL);

  assert_pending (filter, NULL);
  assert_parse (filter, STRV ("a|b|c"), STRV ("a", "b"));
  assert_pending (filter, "c");
  assert_pending (filter, NULL);
  assert_next (filter, NULL);
  /* The taken bytes are gone. */
  assert_parse (filter, STRV ("d|"), STRV ("d"));

  /* Carry and chunk together, unparsed. */
  feed (filter, "xy");
  assert_next (filter, NULL);
  feed (filter, "z|w");
  assert_pending (filter, "xyz|w");
  assert_next (filter, NULL);

  /* The \n completing a \r is not pending input. */
  assert_parse (lines, STRV ("a\r", "\nb"), STRV ("a"));
  assert_pending (lines, "b");
  assert_parse (lines, STRV ("c\r"), STRV ("c"));
  assert_pending (lines, NULL);
  assert_parse (lines, STRV ("\nd\n"), STRV ("d"));
  assert_parse (lines, STRV ("e\n"), STRV ("e"));
  feed (lines, "\rf");
  assert_pending (lines, "f");

  assert_parse (regex, STRV ("a|b"), STRV ("a"));
  assert_pending (regex, "b");
  assert_pending (regex, NULL);
}

/* clone */

static void
test_clone_settings (void)
{
  g_autoptr(TcpcFilter) filter = new_filter ("input-literal", "|",
                                             "output-literal", "!",
                                             "max-length", 7,
                                             NULL);
  g_autoptr(TcpcFilter) regex = new_filter ("input-regex", ";+", NULL);
  g_autoptr(TcpcFilter) clone = NULL;
  g_autoptr(TcpcFilter) regex_clone = NULL;
  TcpcLineFilter *line;

  feed (filter, "abc|def");
  assert_next (filter, "abc");

  clone = tcpc_filter_clone (filter);
  g_assert_true (TCPC_IS_LINE_FILTER (clone));
  g_assert_true (clone != filter);
  line = TCPC_LINE_FILTER (clone);
  g_assert_null (tcpc_line_filter_get_literal (line));
  g_assert_cmpstr (tcpc_line_filter_get_input_literal (line), ==, "|");
  g_assert_cmpstr (tcpc_line_filter_get_output_literal (line), ==, "!");
  g_assert_null (tcpc_line_filter_get_input_regex (line));
  g_assert_false (tcpc_line_filter_get_autodetect (line));
  g_assert_cmpuint (tcpc_line_filter_get_max_length (line), ==, 7);
  g_assert_true (tcpc_line_filter_check_settings (line, NULL));

  /* A fresh state: nothing pending. */
  assert_pending (clone, NULL);
  feed (clone, "x|12345678|y|");
  assert_next (clone, "x");
  assert_next_error (clone, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next (clone, "y");
  assert_next (clone, NULL);
  assert_pending (filter, "def");

  regex_clone = tcpc_filter_clone (regex);
  g_assert_cmpstr (tcpc_line_filter_get_input_regex (TCPC_LINE_FILTER (regex_clone)), ==, ";+");
  assert_parse (regex_clone, STRV ("a;;b;"), STRV ("a", "b"));
}

/* literal and autodetect are copied; an output literal that was never set
 * still follows the literal in the clone */
static void
test_clone_literal (void)
{
  g_autoptr(TcpcFilter) literal = new_filter ("literal", "\n", NULL);
  g_autoptr(TcpcFilter) detect = new_filter ("autodetect", TRUE, NULL);
  g_autoptr(TcpcFilter) detect_clone = tcpc_filter_clone (detect);
  g_autoptr(TcpcFilter) plain = TCPC_FILTER (tcpc_line_filter_new ());
  g_autoptr(TcpcFilter) literal_clone = tcpc_filter_clone (literal);
  g_autoptr(TcpcFilter) plain_clone = tcpc_filter_clone (plain);
  TcpcLineFilter *line = TCPC_LINE_FILTER (literal_clone);

  g_assert_cmpstr (tcpc_line_filter_get_literal (line), ==, "\n");
  g_assert_cmpstr (tcpc_line_filter_get_output_literal (line), ==, "\n");
  g_assert_false (tcpc_line_filter_get_autodetect (line));
  g_assert_true (tcpc_line_filter_get_autodetect (TCPC_LINE_FILTER (detect_clone)));
  assert_parse (literal_clone, STRV ("a\nb\r\n"), STRV ("a", "b\r"));

  line = TCPC_LINE_FILTER (plain_clone);
  g_assert_cmpstr (tcpc_line_filter_get_output_literal (line), ==, "\r\n");
  tcpc_line_filter_set_literal (line, "|");
  g_assert_cmpstr (tcpc_line_filter_get_output_literal (line), ==, "|");
  g_assert_cmpuint (tcpc_line_filter_get_max_length (line), ==,
                    TCPC_LINE_FILTER_DEFAULT_MAX_LENGTH);
}

static void
test_clone_autodetect (void)
{
  g_autoptr(TcpcFilter) filter = new_filter ("autodetect", TRUE, NULL);
  g_autoptr(TcpcFilter) clone = NULL;
  g_autoptr(TcpcFilter) pending_clone = NULL;

  assert_parse (filter, STRV ("a\r\n"), STRV ("a"));
  assert_parse (filter, STRV ("b\nc\r\n"), STRV ("b\nc"));

  /* The clone detects on its own. */
  clone = tcpc_filter_clone (filter);
  g_assert_true (tcpc_line_filter_get_autodetect (TCPC_LINE_FILTER (clone)));
  assert_parse (clone, STRV ("b\nc\r\n"), STRV ("b", "c\r"));

  /* A half-detected terminator is not copied either. */
  g_clear_object (&filter);
  filter = new_filter ("autodetect", TRUE, NULL);
  assert_parse (filter, STRV ("x\r"), STRV ("x"));
  pending_clone = tcpc_filter_clone (filter);
  assert_parse (pending_clone, STRV ("\ny\n"), STRV ("", "y"));
  assert_parse (filter, STRV ("\ny\n"), STRV (NULL));
  assert_pending (filter, "y\n");
}

/* Properties */

static void
notify_cb (GObject    *object G_GNUC_UNUSED,
           GParamSpec *pspec,
           GString    *log)
{
  g_string_append_printf (log, "%s;", pspec->name);
}

static void
test_properties (void)
{
  g_autoptr(TcpcLineFilter) self = tcpc_line_filter_new ();
  g_autoptr(GString) log = g_string_new (NULL);
  g_autofree char *literal = NULL;
  g_autofree char *input_literal = NULL;
  g_autofree char *output_literal = NULL;
  g_autofree char *input_regex = NULL;
  gboolean autodetect = TRUE;
  guint max_length = 0;

  g_object_get (self,
                "literal", &literal,
                "input-literal", &input_literal,
                "output-literal", &output_literal,
                "input-regex", &input_regex,
                "autodetect", &autodetect,
                "max-length", &max_length,
                NULL);
  g_assert_null (literal);
  g_assert_null (input_literal);
  g_assert_cmpstr (output_literal, ==, "\r\n");
  g_assert_null (input_regex);
  g_assert_false (autodetect);
  g_assert_cmpuint (max_length, ==, TCPC_LINE_FILTER_DEFAULT_MAX_LENGTH);
  g_assert_cmpuint (max_length, ==, 1024 * 1024);

  g_signal_connect (self, "notify", G_CALLBACK (notify_cb), log);

  /* No change, no notification. */
  tcpc_line_filter_set_literal (self, NULL);
  tcpc_line_filter_set_input_literal (self, NULL);
  tcpc_line_filter_set_output_literal (self, NULL);
  tcpc_line_filter_set_input_regex (self, NULL);
  tcpc_line_filter_set_autodetect (self, FALSE);
  tcpc_line_filter_set_max_length (self, TCPC_LINE_FILTER_DEFAULT_MAX_LENGTH);
  g_object_set (self, "max-length", TCPC_LINE_FILTER_DEFAULT_MAX_LENGTH, NULL);
  g_assert_cmpstr (log->str, ==, "");

  /* The literal is also the output terminator. */
  tcpc_line_filter_set_literal (self, "\n");
  g_assert_cmpstr (log->str, ==, "literal;output-literal;");
  g_assert_cmpstr (tcpc_line_filter_get_literal (self), ==, "\n");
  g_assert_cmpstr (tcpc_line_filter_get_output_literal (self), ==, "\n");
  tcpc_line_filter_set_literal (self, "\n");
  g_assert_cmpstr (log->str, ==, "literal;output-literal;");
  tcpc_line_filter_set_literal (self, NULL);
  g_assert_cmpstr (log->str, ==, "literal;output-literal;literal;output-literal;");
  g_assert_cmpstr (tcpc_line_filter_get_output_literal (self), ==, "\r\n");
  g_string_truncate (log, 0);

  tcpc_line_filter_set_input_literal (self, "|");
  tcpc_line_filter_set_input_literal (self, "|");
  g_assert_cmpstr (tcpc_line_filter_get_input_literal (self), ==, "|");
  tcpc_line_filter_set_input_literal (self, NULL);
  tcpc_line_filter_set_output_literal (self, "!");
  tcpc_line_filter_set_output_literal (self, "!");
  g_assert_cmpstr (tcpc_line_filter_get_output_literal (self), ==, "!");
  tcpc_line_filter_set_output_literal (self, NULL);
  g_assert_cmpstr (tcpc_line_filter_get_output_literal (self), ==, "\r\n");
  tcpc_line_filter_set_input_regex (self, "x");
  tcpc_line_filter_set_input_regex (self, "x");
  g_assert_cmpstr (tcpc_line_filter_get_input_regex (self), ==, "x");
  tcpc_line_filter_set_input_regex (self, NULL);
  tcpc_line_filter_set_autodetect (self, TRUE);
  tcpc_line_filter_set_autodetect (self, 2);
  g_assert_true (tcpc_line_filter_get_autodetect (self));
  g_object_set (self, "autodetect", FALSE, NULL);
  g_object_set (self, "max-length", 5, NULL);
  g_object_set (self, "max-length", 5, NULL);
  g_assert_cmpuint (tcpc_line_filter_get_max_length (self), ==, 5);
  g_assert_cmpstr (log->str, ==,
                   "input-literal;input-literal;"
                   "output-literal;output-literal;"
                   "input-regex;input-regex;"
                   "autodetect;autodetect;max-length;");

  /* Back to the defaults: valid, and parsing with them. */
  g_assert_true (tcpc_line_filter_check_settings (self, NULL));
  tcpc_line_filter_set_max_length (self, 0);
  g_assert_cmpuint (tcpc_line_filter_get_max_length (self), ==, 0);
  g_assert_false (tcpc_line_filter_check_settings (self, NULL));
  tcpc_line_filter_set_max_length (self, 100);
  g_assert_true (tcpc_line_filter_check_settings (self, NULL));
  assert_parse (TCPC_FILTER (self), STRV ("a\r\nb\n"), STRV ("a", "b"));
}

/* Invalid settings */

typedef struct
{
  const char *name;
  const char *literal;
  const char *input_literal;
  const char *output_literal;
  const char *input_regex;
  gboolean autodetect;
  guint max_length;
  const char *message;    /* a part of the error message */
} InvalidCase;

static const InvalidCase invalid_cases[] = {
  { "literal-empty", "", NULL, NULL, NULL, FALSE, 0,
    "literal must not be empty" },
  { "literal+input-literal", "\n", "\n", NULL, NULL, FALSE, 0,
    "literal cannot be combined with TcpcLineFilter:input-literal" },
  { "literal+output-literal", "\n", NULL, "\n", NULL, FALSE, 0,
    "literal cannot be combined with TcpcLineFilter:output-literal" },
  { "literal+input-regex", "\n", NULL, NULL, "\\n", FALSE, 0,
    "literal cannot be combined with TcpcLineFilter:input-regex" },
  { "literal+autodetect", "\n", NULL, NULL, NULL, TRUE, 0,
    "literal cannot be combined with TcpcLineFilter:autodetect" },
  { "input-literal+input-regex", NULL, "\n", NULL, "\\n", FALSE, 0,
    "input-literal and TcpcLineFilter:input-regex cannot both be set" },
  { "autodetect+input-literal", NULL, "\n", NULL, NULL, TRUE, 0,
    "autodetect cannot be combined with TcpcLineFilter:input-literal" },
  { "autodetect+input-regex", NULL, NULL, NULL, "\\n", TRUE, 0,
    "autodetect cannot be combined with TcpcLineFilter:input-regex" },
  { "input-literal-empty", NULL, "", NULL, NULL, FALSE, 0,
    "use TcpcLineFilter:autodetect" },
  { "input-regex-invalid", NULL, NULL, NULL, "(", FALSE, 0,
    "input-regex “(” is not a valid regular expression" },
  { "input-regex-empty", NULL, NULL, NULL, "", FALSE, 0,
    "input-regex must not be empty" },
  { "max-length-0", NULL, NULL, NULL, NULL, FALSE, 1,
    "max-length must be greater than 0" },
};

static void
assert_invalid (TcpcFilter *filter,
                const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GBytes) line = bytes_from_string ("a\n");
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(GBytes) record = NULL;

  g_assert_false (tcpc_line_filter_check_settings (TCPC_LINE_FILTER (filter), &error));
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
  g_assert_nonnull (strstr (error->message, message));
  g_clear_error (&error);

  g_assert_false (tcpc_filter_feed (filter, empty, &error));
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
  g_assert_nonnull (strstr (error->message, message));
  g_clear_error (&error);

  g_assert_false (tcpc_filter_feed (filter, line, &error));
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
  g_clear_error (&error);

  record = tcpc_filter_next_record (filter, &error);
  g_assert_null (record);
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
  g_clear_error (&error);

  encoded = tcpc_filter_encode (filter, line, &error);
  g_assert_null (encoded);
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
  g_assert_nonnull (strstr (error->message, message));
  g_clear_error (&error);

  /* Errors without a GError location do not crash either. */
  g_assert_false (tcpc_filter_feed (filter, line, NULL));
  g_assert_null (tcpc_filter_next_record (filter, NULL));
  g_assert_null (tcpc_filter_encode (filter, line, NULL));
}

static void
test_invalid (gconstpointer data)
{
  const InvalidCase *c = data;
  g_autoptr(TcpcFilter) filter = NULL;
  g_autoptr(TcpcFilter) clone = NULL;
  g_autoptr(TcpcFilter) later = TCPC_FILTER (tcpc_line_filter_new ());
  TcpcLineFilter *line;

  filter = new_filter ("literal", c->literal,
                       "input-literal", c->input_literal,
                       "output-literal", c->output_literal,
                       "input-regex", c->input_regex,
                       "autodetect", c->autodetect,
                       "max-length", c->max_length ? 0 : TCPC_LINE_FILTER_DEFAULT_MAX_LENGTH,
                       NULL);
  assert_invalid (filter, c->message);

  /* A clone has the same invalid settings. */
  clone = tcpc_filter_clone (filter);
  assert_invalid (clone, c->message);

  /* Settings that become invalid on a filter in use. */
  line = TCPC_LINE_FILTER (later);
  assert_parse (later, STRV ("ok\n"), STRV ("ok"));
  g_object_set (later,
                "literal", c->literal,
                "input-literal", c->input_literal,
                "output-literal", c->output_literal,
                "input-regex", c->input_regex,
                "autodetect", c->autodetect,
                NULL);
  if (c->max_length)
    tcpc_line_filter_set_max_length (line, 0);
  assert_invalid (later, c->message);

  /* Undoing the settings makes the filter usable again. */
  g_object_set (later,
                "literal", NULL,
                "input-literal", NULL,
                "output-literal", NULL,
                "input-regex", NULL,
                "autodetect", FALSE,
                "max-length", 10,
                NULL);
  g_assert_true (tcpc_line_filter_check_settings (line, NULL));
  assert_parse (later, STRV ("a\r\nb\n"), STRV ("a", "b"));
}

/* max-length */

static void
test_max_length_boundary (void)
{
  g_autoptr(TcpcFilter) filter = new_filter ("max-length", 5, NULL);
  g_autoptr(TcpcFilter) other = new_filter ("max-length", 5, NULL);

  g_test_summary ("poe-spec 5.63: max-length bounds a line without its terminator");

  feed (filter, "12345\n");
  assert_next (filter, "12345");
  assert_next (filter, NULL);

  feed (filter, "123456\nok\n");
  assert_next_error (filter, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next (filter, "ok");
  assert_next (filter, NULL);

  /* Across feeds: 5 buffered bytes are fine, 6 are too many. */
  feed (other, "123");
  assert_next (other, NULL);
  feed (other, "45");
  assert_next (other, NULL);
  feed (other, "\r\n12");
  assert_next (other, "12345");
  assert_next (other, NULL);
  feed (other, "3456");
  assert_next_error (other, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next (other, NULL);
  /* The rest of the line is skipped without another error. */
  assert_parse (other, STRV ("789", "abcdefgh", "\r", "\nok\r\n"), STRV ("ok"));
}

static void
test_max_length_literal (void)
{
  g_autoptr(TcpcFilter) filter = new_filter ("literal", "<END>", "max-length", 5, NULL);

  /* A partial terminator is allowed on top of max-length. */
  feed (filter, "12345<EN");
  assert_next (filter, NULL);
  assert_parse (filter, STRV ("D>"), STRV ("12345"));

  feed (filter, "123456<EN");
  assert_next (filter, NULL);
  feed (filter, "D>ok<END>");
  assert_next_error (filter, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next (filter, "ok");

  feed (filter, "1234567<EN");
  assert_next_error (filter, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next (filter, NULL);
  /* The terminator split around the skipped bytes still ends the line. */
  assert_parse (filter, STRV ("D>next<END>"), STRV ("next"));

  /* Too long across chunks, terminator in the second chunk. */
  feed (filter, "abc");
  assert_next (filter, NULL);
  feed (filter, "def<END>g<END>");
  assert_next_error (filter, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next (filter, "g");
  assert_next (filter, NULL);
}

/* Feeds 1 MiB without a terminator: one error, bounded memory, then the
 * filter resumes after the next terminator.
 */
static void
overflow_run (TcpcFilter *filter,
              gsize       allowed,
              const char *terminator)
{
  g_autofree char *block = g_malloc (4096);
  g_autofree char *tail = NULL;
  guint errors = 0;
  guint i;

  memset (block, 'x', 4096);

  for (i = 0; i < 256; i++)
    {
      g_autoptr(GBytes) chunk = g_bytes_new (block, 4096);
      g_autoptr(GBytes) pending = NULL;
      g_autoptr(GError) error = NULL;
      GBytes *record;

      g_assert_true (tcpc_filter_feed (filter, chunk, &error));
      g_assert_no_error (error);

      while ((record = tcpc_filter_next_record (filter, &error)) != NULL)
        {
          g_bytes_unref (record);
          g_assert_not_reached ();
        }
      if (error != NULL)
        {
          g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
          errors++;
          g_clear_error (&error);
          assert_next (filter, NULL);
        }

      /* What the filter holds, put back unchanged. */
      pending = tcpc_filter_take_pending (filter);
      if (pending != NULL)
        {
          g_assert_cmpuint (g_bytes_get_size (pending), <=, allowed);
          g_assert_true (tcpc_filter_feed (filter, pending, &error));
          g_assert_no_error (error);
        }
    }

  g_assert_cmpuint (errors, ==, 1);

  tail = g_strconcat ("tail", terminator, "ok", terminator, NULL);
  assert_parse (filter, STRV (tail), STRV ("ok"));
  assert_pending (filter, NULL);
}

static void
test_max_length_overflow (void)
{
  g_autoptr(TcpcFilter) lines = new_filter ("max-length", 16, NULL);
  g_autoptr(TcpcFilter) autodetect = new_filter ("max-length", 16, "autodetect", TRUE, NULL);
  g_autoptr(TcpcFilter) literal = new_filter ("max-length", 16, "literal", "<END>", NULL);
  g_autoptr(TcpcFilter) regex = new_filter ("max-length", 16, "input-regex", "\\r?\\n", NULL);

  /* Nothing is kept while skipping, except a possible partial terminator. */
  overflow_run (lines, 0, "\n");
  overflow_run (autodetect, 0, "\r\n");
  overflow_run (literal, 4, "<END>");
  overflow_run (regex, 0, "\r\n");
}

/* Chunk-boundary invariance */

typedef enum
{
  ORACLE_DEFAULT,
  ORACLE_LITERAL,
  ORACLE_AUTODETECT,
} Oracle;

/* A straightforward parser of a whole input, to compare with. */
static GPtrArray *
oracle_parse (Oracle        oracle,
              const guint8 *data,
              gsize         len,
              const char   *literal,
              gsize        *pending_start)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint8 detected[2];
  const guint8 *term = (const guint8 *) literal;
  gsize term_len = literal != NULL ? strlen (literal) : 0;
  gsize start = 0;
  gsize i = 0;

  while (i < len)
    {
      if (oracle != ORACLE_LITERAL && (data[i] == '\r' || data[i] == '\n'))
        {
          guint8 other = data[i] == '\r' ? '\n' : '\r';

          g_ptr_array_add (records, g_bytes_new (data + start, i - start));
          if (oracle == ORACLE_AUTODETECT)
            {
              detected[0] = data[i];
              detected[1] = other;
              term = detected;
              term_len = i + 1 < len && data[i + 1] == other ? 2 : 1;
              oracle = ORACLE_LITERAL;
              i += term_len;
            }
          else if (i + 1 < len && data[i + 1] == other)
            i += 2;
          else
            i += 1;
          start = i;
        }
      else if (oracle == ORACLE_LITERAL && i + term_len <= len &&
               memcmp (data + i, term, term_len) == 0)
        {
          g_ptr_array_add (records, g_bytes_new (data + start, i - start));
          i += term_len;
          start = i;
        }
      else
        i++;
    }

  *pending_start = start;
  return records;
}

/* Feeds @data cut at the sorted @cuts, draining after every feed, or
 * after random feeds and the last if @drain_rand is set.
 */
static GPtrArray *
parse_cut (TcpcFilter   *filter,
           const guint8 *data,
           gsize         len,
           const gsize  *cuts,
           guint         n_cuts,
           GRand        *drain_rand,
           GBytes      **pending)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gsize start = 0;
  guint i;

  for (i = 0; i <= n_cuts; i++)
    {
      gsize end = i < n_cuts ? cuts[i] : len;
      g_autoptr(GBytes) chunk = g_bytes_new (data + start, end - start);
      g_autoptr(GError) error = NULL;
      GBytes *record;

      g_assert_true (tcpc_filter_feed (filter, chunk, &error));
      g_assert_no_error (error);
      start = end;

      if (drain_rand != NULL && i < n_cuts && g_rand_boolean (drain_rand))
        continue;

      while ((record = tcpc_filter_next_record (filter, &error)) != NULL)
        g_ptr_array_add (records, record);
      g_assert_no_error (error);
    }

  *pending = tcpc_filter_take_pending (filter);
  return records;
}

static void
assert_same_records (GPtrArray *expected,
                     GPtrArray *actual)
{
  guint i;

  g_assert_cmpuint (actual->len, ==, expected->len);
  for (i = 0; i < expected->len; i++)
    {
      gsize expected_size;
      gsize actual_size;
      const guint8 *expected_data = g_bytes_get_data (expected->pdata[i], &expected_size);
      const guint8 *actual_data = g_bytes_get_data (actual->pdata[i], &actual_size);

      g_assert_cmpmem (actual_data, actual_size, expected_data, expected_size);
    }
}

static void
assert_same_pending (const guint8 *expected,
                     gsize         expected_len,
                     GBytes       *pending)
{
  if (expected_len == 0)
    g_assert_null (pending);
  else
    {
      g_assert_nonnull (pending);
      g_assert_cmpmem (g_bytes_get_data (pending, NULL), g_bytes_get_size (pending),
                       expected, expected_len);
    }
}

static gint
compare_gsize (gconstpointer a,
               gconstpointer b)
{
  gsize x = *(const gsize *) a;
  gsize y = *(const gsize *) b;

  return x < y ? -1 : x > y;
}

/* Random input: words over @alphabet separated by random @terminators, and
 * sometimes raw fragments of them.
 */
static GByteArray *
random_input (GRand             *rand,
              const char        *alphabet,
              const char *const *terminators,
              guint              n_terminators)
{
  GByteArray *input = g_byte_array_new ();
  guint n_words = g_rand_int_range (rand, 0, 40);
  gsize alphabet_len = strlen (alphabet);
  guint i;
  guint j;

  for (i = 0; i < n_words; i++)
    {
      guint word_len = g_rand_boolean (rand) ? 0 : g_rand_int_range (rand, 0, 12);
      const char *terminator = terminators[g_rand_int_range (rand, 0, n_terminators)];

      for (j = 0; j < word_len; j++)
        g_byte_array_append (input, (const guint8 *) &alphabet[g_rand_int_range (rand, 0, alphabet_len)], 1);

      if (g_rand_int_range (rand, 0, 8) == 0)
        /* A fragment of a terminator. */
        g_byte_array_append (input, (const guint8 *) terminator,
                             g_rand_int_range (rand, 0, strlen (terminator) + 1));
      else
        g_byte_array_append (input, (const guint8 *) terminator, strlen (terminator));
    }

  return input;
}

static void
check_invariance (TcpcFilter   *prototype,
                  Oracle        oracle,
                  const char   *literal,
                  const guint8 *data,
                  gsize         len,
                  GRand        *rand)
{
  g_autoptr(GPtrArray) expected = NULL;
  gsize pending_start;
  gsize cuts[64];
  guint n_cuts = 0;
  guint round;
  gsize i;

  expected = oracle_parse (oracle, data, len, literal, &pending_start);

  /* Whole, random cuts, and single bytes. */
  for (round = 0; round < 12; round++)
    {
      g_autoptr(TcpcFilter) filter = tcpc_filter_clone (prototype);
      g_autoptr(GPtrArray) actual = NULL;
      g_autoptr(GBytes) pending = NULL;

      if (round == 0)
        n_cuts = 0;
      else if (round == 1)
        {
          g_autofree gsize *all = g_new (gsize, len + 1);

          for (i = 1; i < len; i++)
            all[i - 1] = i;
          actual = parse_cut (filter, data, len, all, len > 0 ? len - 1 : 0, NULL, &pending);
        }
      else
        {
          n_cuts = len > 1 ? g_rand_int_range (rand, 1, MIN (len, G_N_ELEMENTS (cuts))) : 0;
          for (i = 0; i < n_cuts; i++)
            cuts[i] = g_rand_int_range (rand, 0, len + 1);
          qsort (cuts, n_cuts, sizeof (gsize), compare_gsize);
        }

      /* Half of the random cuts are fed without parsing in between. */
      if (actual == NULL)
        actual = parse_cut (filter, data, len, cuts, n_cuts,
                            round % 2 == 0 ? rand : NULL, &pending);

      assert_same_records (expected, actual);
      assert_same_pending (data + pending_start, len - pending_start, pending);
    }

  /* Every cut in two. */
  if (len <= 160)
    {
      for (i = 0; i <= len; i++)
        {
          g_autoptr(TcpcFilter) filter = tcpc_filter_clone (prototype);
          g_autoptr(GPtrArray) actual = NULL;
          g_autoptr(GBytes) pending = NULL;

          actual = parse_cut (filter, data, len, &i, 1, NULL, &pending);
          assert_same_records (expected, actual);
          assert_same_pending (data + pending_start, len - pending_start, pending);
        }
    }
}

static void
run_invariance (TcpcFilter        *prototype,
                Oracle             oracle,
                const char        *literal,
                const char        *alphabet,
                const char *const *terminators,
                guint              n_terminators,
                guint32            seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  guint n;

  for (n = 0; n < 300; n++)
    {
      g_autoptr(GByteArray) input = random_input (rand, alphabet, terminators, n_terminators);

      check_invariance (prototype, oracle, literal, input->data, input->len, rand);
    }
}

static const char *const newline_terminators[] = { "\n", "\r\n", "\r", "\n\r", "\n\n", "\r\n\r\n" };

static void
test_chunking_default (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_line_filter_new ());
  g_autoptr(TcpcFilter) regex = new_filter ("input-regex", "\\r\\n?|\\n\\r?", NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (58);
  guint n;

  run_invariance (filter, ORACLE_DEFAULT, NULL, "ab c",
                  newline_terminators, G_N_ELEMENTS (newline_terminators), 23);

  /* Fed whole, POE's default regex agrees with the default mode. */
  for (n = 0; n < 200; n++)
    {
      g_autoptr(GByteArray) input = random_input (rand, "xyz", newline_terminators,
                                                  G_N_ELEMENTS (newline_terminators));
      g_autoptr(TcpcFilter) a = tcpc_filter_clone (filter);
      g_autoptr(TcpcFilter) b = tcpc_filter_clone (regex);
      g_autoptr(GPtrArray) expected = NULL;
      g_autoptr(GPtrArray) actual = NULL;
      g_autoptr(GBytes) expected_pending = NULL;
      g_autoptr(GBytes) actual_pending = NULL;

      expected = parse_cut (a, input->data, input->len, NULL, 0, NULL, &expected_pending);
      actual = parse_cut (b, input->data, input->len, NULL, 0, NULL, &actual_pending);
      assert_same_records (expected, actual);
      if (expected_pending == NULL)
        g_assert_null (actual_pending);
      else
        g_assert_true (g_bytes_equal (expected_pending, actual_pending));
    }
}

static void
test_chunking_literal (void)
{
  static const char *const crlf_terminators[] = { "\r\n", "\r\n", "\r", "\n", "\n\r" };
  static const char *const end_terminators[] = { "<END>", "<END>", "<", "<E", "<EN", "END>", "<<END>" };
  static const char *const overlap_terminators[] = { "aab", "a", "aa", "b", "aaab" };
  static const char *const abab_terminators[] = { "abab", "ab", "aba", "b", "ababab" };
  g_autoptr(TcpcFilter) crlf = TCPC_FILTER (tcpc_line_filter_new_literal ("\r\n"));
  g_autoptr(TcpcFilter) end = TCPC_FILTER (tcpc_line_filter_new_literal ("<END>"));
  g_autoptr(TcpcFilter) overlap = new_filter ("input-literal", "aab", NULL);
  g_autoptr(TcpcFilter) abab = new_filter ("input-literal", "abab", NULL);

  run_invariance (crlf, ORACLE_LITERAL, "\r\n", "ab\r\n",
                  crlf_terminators, G_N_ELEMENTS (crlf_terminators), 61);
  run_invariance (end, ORACLE_LITERAL, "<END>", "xyEND<>",
                  end_terminators, G_N_ELEMENTS (end_terminators), 62);
  run_invariance (overlap, ORACLE_LITERAL, "aab", "ab",
                  overlap_terminators, G_N_ELEMENTS (overlap_terminators), 63);
  run_invariance (abab, ORACLE_LITERAL, "abab", "abx",
                  abab_terminators, G_N_ELEMENTS (abab_terminators), 64);
}

static void
test_chunking_autodetect (void)
{
  g_autoptr(TcpcFilter) filter = new_filter ("autodetect", TRUE, NULL);

  run_invariance (filter, ORACLE_AUTODETECT, NULL, "ab c",
                  newline_terminators, G_N_ELEMENTS (newline_terminators), 59);
}

/* Performance, with -m perf */

static void
test_perf_lines (void)
{
  static const char *const names[] = { "default \\n", "default \\r\\n", "literal \\r\\n", "autodetect \\n" };
  guint mode;

  if (!g_test_perf ())
    {
      g_test_skip ("only with -m perf");
      return;
    }

  for (mode = 0; mode < G_N_ELEMENTS (names); mode++)
    {
      g_autoptr(TcpcFilter) filter = NULL;
      g_autoptr(GBytes) chunk = NULL;
      g_autoptr(GByteArray) buf = g_byte_array_new ();
      const char *eol = mode == 0 || mode == 3 ? "\n" : "\r\n";
      gsize line_len = 64;
      guint64 lines = 0;
      gdouble seconds;
      guint i;

      if (mode == 2)
        filter = TCPC_FILTER (tcpc_line_filter_new_literal ("\r\n"));
      else if (mode == 3)
        filter = new_filter ("autodetect", TRUE, NULL);
      else
        filter = TCPC_FILTER (tcpc_line_filter_new ());

      /* 64 KiB reads of 64-byte lines, terminator included; the last line
       * of each read continues in the next.
       */
      while (buf->len < 65536)
        {
          for (i = 0; i < line_len - strlen (eol); i++)
            g_byte_array_append (buf, (const guint8 *) "abcdefghijklmnopqrstuvwxyz" + (i % 26), 1);
          g_byte_array_append (buf, (const guint8 *) eol, strlen (eol));
        }
      g_byte_array_set_size (buf, 65536);
      chunk = g_byte_array_free_to_bytes (g_steal_pointer (&buf));

      g_test_timer_start ();
      for (i = 0; i < 2000; i++)
        {
          GBytes *record;

          tcpc_filter_feed (filter, chunk, NULL);
          while ((record = tcpc_filter_next_record (filter, NULL)) != NULL)
            {
              lines++;
              g_bytes_unref (record);
            }
        }
      seconds = g_test_timer_elapsed ();

      g_test_maximized_result (lines / seconds, "%s: %.1f M lines/s",
                               names[mode], lines / seconds / 1e6);
    }
}

int
main (int   argc,
      char *argv[])
{
  guint i;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Tcpc/LineFilter/default/terminators", test_default_terminators);
  g_test_add_func ("/Tcpc/LineFilter/default/split-crlf", test_default_split_crlf);
  g_test_add_func ("/Tcpc/LineFilter/default/empty-lines", test_default_empty_lines);
  g_test_add_func ("/Tcpc/LineFilter/default/unterminated", test_default_unterminated);
  g_test_add_func ("/Tcpc/LineFilter/default/zero-copy", test_default_zero_copy);
  g_test_add_func ("/Tcpc/LineFilter/default/no-pin", test_default_no_pin);
  g_test_add_func ("/Tcpc/LineFilter/default/feed-without-drain", test_default_feed_without_drain);
  g_test_add_func ("/Tcpc/LineFilter/autodetect/poe", test_autodetect_poe);
  g_test_add_func ("/Tcpc/LineFilter/autodetect/split", test_autodetect_split);
  g_test_add_func ("/Tcpc/LineFilter/literal/poe", test_literal_poe);
  g_test_add_func ("/Tcpc/LineFilter/literal/split", test_literal_split);
  g_test_add_func ("/Tcpc/LineFilter/literal/input-literal", test_input_literal);
  g_test_add_func ("/Tcpc/LineFilter/regex/any-newline", test_regex_any_newline);
  g_test_add_func ("/Tcpc/LineFilter/regex/split", test_regex_split);
  g_test_add_func ("/Tcpc/LineFilter/regex/not-empty", test_regex_not_empty);
  g_test_add_func ("/Tcpc/LineFilter/regex/max-length", test_regex_max_length);
  g_test_add_func ("/Tcpc/LineFilter/encode/poe", test_encode_poe);
  g_test_add_func ("/Tcpc/LineFilter/encode/round-trip", test_encode_round_trip);
  g_test_add_func ("/Tcpc/LineFilter/take-pending", test_take_pending);
  g_test_add_func ("/Tcpc/LineFilter/clone/settings", test_clone_settings);
  g_test_add_func ("/Tcpc/LineFilter/clone/literal", test_clone_literal);
  g_test_add_func ("/Tcpc/LineFilter/clone/autodetect", test_clone_autodetect);
  g_test_add_func ("/Tcpc/LineFilter/properties", test_properties);
  for (i = 0; i < G_N_ELEMENTS (invalid_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/Tcpc/LineFilter/invalid/%s", invalid_cases[i].name);

      g_test_add_data_func (path, &invalid_cases[i], test_invalid);
    }
  g_test_add_func ("/Tcpc/LineFilter/max-length/boundary", test_max_length_boundary);
  g_test_add_func ("/Tcpc/LineFilter/max-length/literal", test_max_length_literal);
  g_test_add_func ("/Tcpc/LineFilter/max-length/overflow", test_max_length_overflow);
  g_test_add_func ("/Tcpc/LineFilter/chunking/default", test_chunking_default);
  g_test_add_func ("/Tcpc/LineFilter/chunking/literal", test_chunking_literal);
  g_test_add_func ("/Tcpc/LineFilter/chunking/autodetect", test_chunking_autodetect);
  g_test_add_func ("/Tcpc/LineFilter/perf/lines", test_perf_lines);

  return g_test_run ();
}
