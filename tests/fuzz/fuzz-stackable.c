/* fuzz-stackable.c: libFuzzer target for TcpcStackableFilter
 *
 * A stack of [line, map] (the map functions of fuzz-map-funcs.h); mode % 6:
 * the line filter's terminators (0 default, 1 literal "\n", 2 autodetect),
 * and from 3 on a TcpcStreamFilter in front ([stream, line, map]). Checks:
 * no crash; chunk-boundary invariance; the wire-side buffer bounded; the
 * round trip of the payload's pieces that contain no terminator and are not
 * dropped on input (those dropped on output are not sent).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fuzz-common.h"
#include "fuzz-map-funcs.h"

#include <string.h>

static gboolean
stack_encodable (GBytes  *record,
                 gpointer user_data)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (record, &len);

  if (len == 0)
    return TRUE;   /* g_bytes_get_data() may return NULL */
  if (memchr (data, '\n', len) != NULL || memchr (data, '\r', len) != NULL)
    return FALSE;
  /* dropped by the input function after the round trip */
  return len == 0 || data[0] != '#';
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  FuzzInput in;
  TcpcLineFilter *line;
  TcpcStackableFilter *stack;
  TcpcMapFilter *map;
  guint max_length;
  guint mode;

  fuzz_input_parse (&in, data, size);
  mode = in.mode % 6;
  max_length = fuzz_max_length (in.max_sel, TCPC_LINE_FILTER_DEFAULT_MAX_LENGTH);

  switch (mode % 3)
    {
    case 0:
      line = tcpc_line_filter_new ();
      /* the output terminator stays "\r\n" */
      break;
    case 1:
      line = tcpc_line_filter_new_literal ("\n");
      break;
    default:
      line = tcpc_line_filter_new ();
      tcpc_line_filter_set_autodetect (line, TRUE);
      break;
    }
  tcpc_line_filter_set_max_length (line, max_length);

  map = tcpc_map_filter_new (fuzz_map_input, NULL, NULL, fuzz_map_output, NULL, NULL);
  stack = tcpc_stackable_filter_new (NULL);
  if (mode >= 3)
    {
      TcpcStreamFilter *stream = tcpc_stream_filter_new ();

      tcpc_stackable_filter_push (stack, TCPC_FILTER (stream));
      g_object_unref (stream);
    }
  /* push takes its own reference */
  tcpc_stackable_filter_push (stack, TCPC_FILTER (line));
  tcpc_stackable_filter_push (stack, TCPC_FILTER (map));
  g_object_unref (line);
  g_object_unref (map);

  fuzz_check_filter (TCPC_FILTER (stack), &in, TRUE, max_length + 2);
  fuzz_check_round_trip (TCPC_FILTER (stack), &in, stack_encodable, NULL, max_length);

  g_object_unref (stack);
  return 0;
}
