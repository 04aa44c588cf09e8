/* fuzz-stream.c: libFuzzer target for TcpcStreamFilter
 *
 * Record boundaries follow the chunks, so the invariant is on the bytes:
 * whatever the cuts and the draining, the records (never empty) and the
 * pending bytes put together are the payload, nothing is buffered once
 * drained, and encode() returns the record unchanged.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fuzz-common.h"

#include <string.h>

static void
check_joined (const FuzzInput *in,
              const FuzzParse *parse)
{
  GByteArray *joined = g_byte_array_new ();
  guint i;

  for (i = 0; i < parse->outcomes->len; i++)
    {
      FuzzOutcome *o = &g_array_index (parse->outcomes, FuzzOutcome, i);

      FUZZ_CHECK_MSG (o->record != NULL, "stream filter gave error %d", o->code);
      FUZZ_CHECK (g_bytes_get_size (o->record) > 0);
      g_byte_array_append (joined, g_bytes_get_data (o->record, NULL),
                           g_bytes_get_size (o->record));
    }
  /* drained at the end: nothing left */
  FUZZ_CHECK (parse->pending == NULL);
  FUZZ_CHECK (!parse->refused);
  FUZZ_CHECK (joined->len == in->len);
  FUZZ_CHECK (in->len == 0 || memcmp (joined->data, in->payload, in->len) == 0);
  g_byte_array_unref (joined);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  FuzzInput in;
  TcpcStreamFilter *filter = tcpc_stream_filter_new ();
  FuzzParse parse;
  TcpcFilter *clone;
  GBytes *record, *encoded;

  fuzz_input_parse (&in, data, size);

  clone = tcpc_filter_clone (TCPC_FILTER (filter));
  fuzz_parse (clone, in.payload, in.len, in.cuts, in.n_cuts, FALSE, 0, &parse);
  check_joined (&in, &parse);
  fuzz_parse_clear (&parse);
  g_object_unref (clone);

  clone = tcpc_filter_clone (TCPC_FILTER (filter));
  fuzz_parse (clone, in.payload, in.len, in.cuts, in.n_cuts, TRUE, in.flags, &parse);
  check_joined (&in, &parse);
  fuzz_parse_clear (&parse);
  g_object_unref (clone);

  /* holds at most the last chunk */
  fuzz_check_bound (TCPC_FILTER (filter), &in, (in.flags >> 3) % (in.n_cuts + 1),
                    0, "bound");

  record = g_bytes_new (in.payload, in.len);
  encoded = tcpc_filter_encode (TCPC_FILTER (filter), record, NULL);
  FUZZ_CHECK (encoded != NULL && g_bytes_equal (encoded, record));
  g_bytes_unref (encoded);
  g_bytes_unref (record);

  g_object_unref (filter);
  return 0;
}
