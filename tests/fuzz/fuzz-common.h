/* fuzz-common.h: helpers shared by the libFuzzer targets of tests/fuzz/
 *
 * Every target defines LLVMFuzzerTestOneInput(). Built with
 * -fsanitize=fuzzer it is driven by libFuzzer (tests/fuzz/build-and-run.sh);
 * linked with fuzz-replay.c instead it replays the seed corpus and a fixed
 * set of random inputs as ordinary tests (meson suite fuzz-replay).
 *
 * An input is read as a small header that chooses the settings and the cut
 * points, then the payload (the bytes fed to the filter or the client):
 *
 *   byte 0      mode (which settings; each target says how it is used)
 *   byte 1      max-length selector (0: the default, else a small limit)
 *   byte 2      flags (drain pattern, bound stop, target-specific bits)
 *   byte 3      number of cuts (0-31)
 *   2 bytes per cut (little endian, taken modulo payload length + 1)
 *   the rest    payload
 *
 * A broken invariant aborts with a message on stderr, so that libFuzzer
 * saves the input as a crash and the replay test fails.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <glib.h>
#include <tcpclient.h>

G_BEGIN_DECLS

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

void fuzz_fail (const char *file, int line, const char *format, ...)
  G_GNUC_PRINTF (3, 4) G_GNUC_NORETURN;

#define FUZZ_CHECK(cond)                                                   \
  G_STMT_START {                                                           \
    if (G_UNLIKELY (!(cond)))                                              \
      fuzz_fail (__FILE__, __LINE__, "check failed: %s", #cond);           \
  } G_STMT_END

#define FUZZ_CHECK_MSG(cond, ...)                                          \
  G_STMT_START {                                                           \
    if (G_UNLIKELY (!(cond)))                                              \
      fuzz_fail (__FILE__, __LINE__, __VA_ARGS__);                         \
  } G_STMT_END

/* @p + @off, without the undefined NULL + 0 (an empty GByteArray's data) */
#define FUZZ_AT(p, off) ((p) != NULL ? (p) + (off) : NULL)

#define FUZZ_MAX_CUTS 31

typedef struct
{
  guint8        mode;
  guint8        max_sel;
  guint8        flags;
  const guint8 *payload;
  gsize         len;
  gsize         cuts[FUZZ_MAX_CUTS];   /* sorted, each in [0, len] */
  guint         n_cuts;
} FuzzInput;

/* Splits @data into header and payload; never fails (missing header bytes
 * read as 0). */
void      fuzz_input_parse   (FuzzInput     *in,
                              const guint8  *data,
                              gsize          size);

/* A small max-length for selector @sel (1..255), or @dflt for 0. */
guint     fuzz_max_length    (guint8         sel,
                              guint          dflt);

/* One parse outcome: a record, or an error code (record == NULL). */
typedef struct
{
  GBytes *record;
  gint    code;
} FuzzOutcome;

typedef struct
{
  GArray *outcomes;        /* FuzzOutcome */
  GBytes *pending;         /* take_pending() at the end, nullable */
  gboolean refused;        /* a feed failed (MALFORMED): feeding stopped */
  gsize   max_pending;     /* largest take_pending() seen at a bound stop */
} FuzzParse;

void      fuzz_parse_clear   (FuzzParse     *parse);

/* Feeds @in->payload to @filter cut at @cuts (NULL, 0: whole), draining
 * after every feed or, with @lazy, only after feeds whose index has the
 * bit set in @in->flags (and at the end).  Errors from next_record() must
 * be TCPC_FILTER_ERROR; a failed feed must be MALFORMED or
 * INVALID_SETTINGS and stops the feeding. */
void      fuzz_parse         (TcpcFilter    *filter,
                              const guint8  *data,
                              gsize          len,
                              const gsize   *cuts,
                              guint          n_cuts,
                              gboolean       lazy,
                              guint8         lazy_bits,
                              FuzzParse     *out);

/* Feeds the chunks up to and including chunk @stop (draining after each),
 * then asserts take_pending() holds at most @bound + the size of that
 * chunk. */
void      fuzz_check_bound   (TcpcFilter    *prototype,
                              const FuzzInput *in,
                              guint          stop,
                              gsize          bound,
                              const char    *what);

/* Asserts that two parses gave the same records, errors and pending bytes. */
void      fuzz_assert_same   (const FuzzParse *expected,
                              const FuzzParse *actual,
                              const char      *what);

/* The standard checks for a framing filter: the whole payload, then cut
 * at the input's cuts (draining after every chunk, then lazily), every
 * result the same (chunk-boundary invariance, when @invariant), and the
 * bound at a stop chosen by the flags and at the end. */
void      fuzz_check_filter  (TcpcFilter    *prototype,
                              const FuzzInput *in,
                              gboolean       invariant,
                              gsize          bound);

/* Splits the payload at the cuts into records (each a GBytes). */
GPtrArray *fuzz_records_from_cuts (const FuzzInput *in);

/* Round trip: encodes every record that @encodable accepts (all when
 * NULL), feeds the concatenation whole and cut, and asserts the parse
 * gives back each record (or a RECORD_TOO_LONG error for one longer than
 * @max_length), in order, with nothing pending. */
typedef gboolean (*FuzzEncodableFunc) (GBytes *record, gpointer user_data);

void      fuzz_check_round_trip (TcpcFilter       *prototype,
                                 const FuzzInput  *in,
                                 FuzzEncodableFunc encodable,
                                 gpointer          user_data,
                                 guint             max_length);

/* A description of the outcome for messages (free it). */
char     *fuzz_describe      (const FuzzParse *parse);

G_END_DECLS
