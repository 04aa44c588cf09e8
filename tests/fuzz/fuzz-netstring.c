/* fuzz-netstring.c: libFuzzer target for TcpcNetstringFilter
 *
 * The max-length selector sets a small limit (or the 1 MiB default).
 * Checks: no crash; chunk-boundary invariance; at most one netstring + the
 * last chunk buffered; the round trip of the payload's pieces (a record
 * longer than max-length comes back as RECORD_TOO_LONG, in step).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  FuzzInput in;
  TcpcNetstringFilter *filter;
  guint max_length;

  fuzz_input_parse (&in, data, size);
  max_length = fuzz_max_length (in.max_sel, TCPC_NETSTRING_FILTER_DEFAULT_MAX_LENGTH);

  filter = tcpc_netstring_filter_new ();
  tcpc_netstring_filter_set_max_length (filter, max_length);
  /* "<digits>:" + record + "," */
  fuzz_check_filter (TCPC_FILTER (filter), &in, TRUE, max_length + 12);
  fuzz_check_round_trip (TCPC_FILTER (filter), &in, NULL, NULL, max_length);
  g_object_unref (filter);
  return 0;
}
