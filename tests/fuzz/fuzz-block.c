/* fuzz-block.c: libFuzzer target for TcpcBlockFilter
 *
 * mode % 10 chooses the framing: 0-7 a length codec (ASCII, UINT8,
 * UINT16_BE/LE, UINT32_BE/LE, UINT64_BE/LE), 8 fixed-size blocks of
 * 1 + (max-length selector % 64) bytes, 9 invalid settings (a block size
 * and a max-length together). Checks: no crash; chunk-boundary invariance;
 * at most one record (header included) + the last chunk buffered; the round
 * trip of the payload's pieces (a record longer than max-length comes back
 * as RECORD_TOO_LONG and the stream stays in step).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fuzz-common.h"

#include <string.h>

static void
check_fixed_round_trip (TcpcFilter      *prototype,
                        const FuzzInput *in,
                        guint            block_size)
{
  TcpcFilter *filter = tcpc_filter_clone (prototype);
  GByteArray *joined = g_byte_array_new ();
  FuzzParse parse;
  guint i;

  /* records of any size concatenate into blocks: everything comes back */
  fuzz_parse (filter, in->payload, in->len, in->cuts, in->n_cuts, FALSE, 0, &parse);
  for (i = 0; i < parse.outcomes->len; i++)
    {
      FuzzOutcome *o = &g_array_index (parse.outcomes, FuzzOutcome, i);

      FUZZ_CHECK_MSG (o->record != NULL, "fixed-size blocks gave error %d", o->code);
      FUZZ_CHECK (g_bytes_get_size (o->record) == block_size);
      g_byte_array_append (joined, g_bytes_get_data (o->record, NULL), block_size);
    }
  if (parse.pending != NULL)
    {
      FUZZ_CHECK (g_bytes_get_size (parse.pending) < block_size);
      g_byte_array_append (joined, g_bytes_get_data (parse.pending, NULL),
                           g_bytes_get_size (parse.pending));
    }
  FUZZ_CHECK (joined->len == in->len);
  FUZZ_CHECK (in->len == 0 || memcmp (joined->data, in->payload, in->len) == 0);

  fuzz_parse_clear (&parse);
  g_byte_array_unref (joined);
  g_object_unref (filter);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  FuzzInput in;
  TcpcBlockFilter *filter;
  guint mode, max_length;

  fuzz_input_parse (&in, data, size);
  mode = in.mode % 10;
  max_length = fuzz_max_length (in.max_sel, TCPC_BLOCK_FILTER_DEFAULT_MAX_LENGTH);

  if (mode == 9)
    {
      GError *error = NULL;
      GBytes *chunk = g_bytes_new (in.payload, in.len);

      filter = tcpc_block_filter_new_fixed (4);
      tcpc_block_filter_set_max_length (filter, max_length);
      FUZZ_CHECK (!tcpc_block_filter_check_settings (filter, &error));
      FUZZ_CHECK (g_error_matches (error, TCPC_FILTER_ERROR,
                                   TCPC_FILTER_ERROR_INVALID_SETTINGS));
      g_clear_error (&error);
      FUZZ_CHECK (!tcpc_filter_feed (TCPC_FILTER (filter), chunk, &error));
      FUZZ_CHECK (g_error_matches (error, TCPC_FILTER_ERROR,
                                   TCPC_FILTER_ERROR_INVALID_SETTINGS));
      g_clear_error (&error);
      FUZZ_CHECK (tcpc_filter_next_record (TCPC_FILTER (filter), &error) == NULL);
      FUZZ_CHECK (g_error_matches (error, TCPC_FILTER_ERROR,
                                   TCPC_FILTER_ERROR_INVALID_SETTINGS));
      g_clear_error (&error);
      g_bytes_unref (chunk);
      g_object_unref (filter);
      return 0;
    }

  if (mode == 8)
    {
      guint block_size = 1 + in.max_sel % 64;

      filter = tcpc_block_filter_new_fixed (block_size);
      fuzz_check_filter (TCPC_FILTER (filter), &in, TRUE, block_size);
      check_fixed_round_trip (TCPC_FILTER (filter), &in, block_size);
      g_object_unref (filter);
      return 0;
    }

  filter = tcpc_block_filter_new_length_prefixed ((TcpcLengthCodec) mode);
  tcpc_block_filter_set_max_length (filter, max_length);
  /* one record and its header (in ASCII at most 21 bytes: a run of
   * leading zeros is kept as one zero, a value within max-length has at
   * most 10 digits, then the NUL) */
  fuzz_check_filter (TCPC_FILTER (filter), &in, TRUE, max_length + 21);
  fuzz_check_round_trip (TCPC_FILTER (filter), &in, NULL, NULL, max_length);
  g_object_unref (filter);
  return 0;
}
