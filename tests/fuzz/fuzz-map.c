/* fuzz-map.c: libFuzzer target for TcpcMapFilter on its own
 *
 * On its own every non-empty chunk fed is one record: whatever the cuts and
 * the draining, the records are the mapped chunks in order (minus the
 * dropped ones), nothing is left once drained, take_pending() without
 * draining returns the unparsed chunks joined, and encode() applies the
 * output function (NULL without an error for a dropped record).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fuzz-common.h"
#include "fuzz-map-funcs.h"

#include <string.h>

static void
check_mapped (const FuzzInput *in,
              const FuzzParse *parse)
{
  gsize start = 0;
  guint i, n = 0;

  FUZZ_CHECK (!parse->refused);
  FUZZ_CHECK (parse->pending == NULL);
  for (i = 0; i <= in->n_cuts; i++)
    {
      gsize end = i < in->n_cuts ? in->cuts[i] : in->len;
      GBytes *chunk, *expected;
      FuzzOutcome *o;

      if (end == start)
        continue;
      chunk = g_bytes_new (FUZZ_AT (in->payload, start), end - start);
      start = end;
      expected = fuzz_map_input (chunk, NULL);
      g_bytes_unref (chunk);
      if (expected == NULL)
        continue;

      FUZZ_CHECK_MSG (n < parse->outcomes->len, "a mapped record is missing");
      o = &g_array_index (parse->outcomes, FuzzOutcome, n++);
      FUZZ_CHECK (o->record != NULL);
      FUZZ_CHECK (g_bytes_equal (o->record, expected));
      g_bytes_unref (expected);
    }
  FUZZ_CHECK_MSG (n == parse->outcomes->len, "more records than chunks");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  FuzzInput in;
  TcpcMapFilter *filter;
  TcpcFilter *clone;
  FuzzParse parse;
  GBytes *record, *encoded, *expected, *pending;
  GError *error = NULL;
  gsize start = 0;
  GByteArray *joined;
  guint i;

  fuzz_input_parse (&in, data, size);
  filter = tcpc_map_filter_new (fuzz_map_input, NULL, NULL,
                                fuzz_map_output, NULL, NULL);

  clone = tcpc_filter_clone (TCPC_FILTER (filter));
  fuzz_parse (clone, in.payload, in.len, in.cuts, in.n_cuts, FALSE, 0, &parse);
  check_mapped (&in, &parse);
  fuzz_parse_clear (&parse);
  g_object_unref (clone);

  clone = tcpc_filter_clone (TCPC_FILTER (filter));
  fuzz_parse (clone, in.payload, in.len, in.cuts, in.n_cuts, TRUE, in.flags, &parse);
  check_mapped (&in, &parse);
  fuzz_parse_clear (&parse);
  g_object_unref (clone);

  /* fed and never parsed: take_pending() gives the chunks back, joined */
  clone = tcpc_filter_clone (TCPC_FILTER (filter));
  for (i = 0; i <= in.n_cuts; i++)
    {
      gsize end = i < in.n_cuts ? in.cuts[i] : in.len;
      GBytes *chunk = g_bytes_new (FUZZ_AT (in.payload, start), end - start);

      start = end;
      FUZZ_CHECK (tcpc_filter_feed (clone, chunk, NULL));
      g_bytes_unref (chunk);
    }
  pending = tcpc_filter_take_pending (clone);
  joined = g_byte_array_new ();
  if (pending != NULL)
    g_byte_array_append (joined, g_bytes_get_data (pending, NULL),
                         g_bytes_get_size (pending));
  FUZZ_CHECK (joined->len == in.len);
  FUZZ_CHECK (in.len == 0 || memcmp (joined->data, in.payload, in.len) == 0);
  FUZZ_CHECK (tcpc_filter_next_record (clone, NULL) == NULL);
  g_byte_array_unref (joined);
  g_clear_pointer (&pending, g_bytes_unref);
  g_object_unref (clone);

  /* encode() is the output function */
  record = g_bytes_new (in.payload, in.len);
  encoded = tcpc_filter_encode (TCPC_FILTER (filter), record, &error);
  FUZZ_CHECK (error == NULL);
  expected = fuzz_map_output (record, NULL);
  FUZZ_CHECK ((encoded == NULL) == (expected == NULL));
  FUZZ_CHECK (encoded == NULL || g_bytes_equal (encoded, expected));
  g_clear_pointer (&encoded, g_bytes_unref);
  g_clear_pointer (&expected, g_bytes_unref);
  g_bytes_unref (record);

  g_object_unref (filter);
  return 0;
}
