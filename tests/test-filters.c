/* test-filters.c: the stream, block, netstring, stackable and map filters
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <tcpclient.h>

#include "tcpc-test-filter.h"

/* Helpers */








static void
assert_next_len (TcpcFilter *filter,
                 const void *expected,
                 gsize       expected_len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) record = tcpc_filter_next_record (filter, &error);

  g_assert_no_error (error);
  assert_bytes_len (record, expected, expected_len);
}


static void
assert_feed_error (TcpcFilter *filter,
                   const char *s,
                   gint        code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = bytes_from_string (s);

  g_assert_false (tcpc_filter_feed (filter, bytes, &error));
  g_assert_error (error, TCPC_FILTER_ERROR, code);
}



static GBytes *
encode (TcpcFilter *filter,
        const char *record)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = bytes_from_string (record);
  GBytes *encoded = tcpc_filter_encode (filter, bytes, &error);

  g_assert_no_error (error);
  g_assert_nonnull (encoded);

  return encoded;
}

static void
assert_encode (TcpcFilter *filter,
               const char *record,
               const void *expected,
               gsize       expected_len)
{
  g_autoptr(GBytes) encoded = encode (filter, record);

  assert_bytes_len (encoded, expected, expected_len);
}

static void
assert_encode_error (TcpcFilter *filter,
                     gsize       size,
                     gint        code)
{
  g_autofree guint8 *data = g_malloc0 (size + 1);
  g_autoptr(GBytes) record = g_bytes_new (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) encoded = tcpc_filter_encode (filter, record, &error);

  g_assert_error (error, TCPC_FILTER_ERROR, code);
  g_assert_null (encoded);
}

static TcpcFilter *
block_filter (const char *first_property,
              ...)
{
  GObject *object;
  va_list args;

  va_start (args, first_property);
  object = g_object_new_valist (TCPC_TYPE_BLOCK_FILTER, first_property, args);
  va_end (args);

  return TCPC_FILTER (object);
}

static TcpcFilter *
netstring_filter (guint max_length)
{
  return g_object_new (TCPC_TYPE_NETSTRING_FILTER, "max-length", max_length, NULL);
}

/* Chunks that count their release. */
typedef struct
{
  guint8 *data;
  guint *freed;
} CountedChunk;

static void
counted_chunk_free (gpointer data)
{
  CountedChunk *chunk = data;

  (*chunk->freed)++;
  g_free (chunk->data);
  g_free (chunk);
}

static GBytes *
counted_chunk_new (const void *data,
                   gsize       len,
                   guint      *freed)
{
  CountedChunk *chunk = g_new (CountedChunk, 1);

  chunk->data = g_memdup2 (data, len);
  chunk->freed = freed;

  return g_bytes_new_with_free_func (chunk->data, len, counted_chunk_free, chunk);
}

/* Outcomes of a parse: records and errors, in order. */

typedef struct
{
  GBytes *record;   /* NULL for an error */
  gint code;        /* the TCPC_FILTER_ERROR code of an error */
} Outcome;

static void
outcome_clear (gpointer data)
{
  Outcome *outcome = data;

  g_clear_pointer (&outcome->record, g_bytes_unref);
}

static GArray *
outcomes_new (void)
{
  GArray *outcomes = g_array_new (FALSE, TRUE, sizeof (Outcome));

  g_array_set_clear_func (outcomes, outcome_clear);

  return outcomes;
}

/* Reads records until there is none, as a TcpcClient does: an error does
 * not stop reading. Returns the number of errors.
 */
static guint
drain (TcpcFilter *filter,
       GArray     *outcomes)
{
  guint errors = 0;
  guint rounds;

  for (rounds = 0; ; rounds++)
    {
      g_autoptr(GError) error = NULL;
      GBytes *record = tcpc_filter_next_record (filter, &error);
      Outcome outcome = { 0 };

      /* A filter must make progress: no endless stream of errors. */
      g_assert_cmpuint (rounds, <, 1000000);

      if (record == NULL && error == NULL)
        return errors;

      if (record == NULL)
        {
          g_assert_true (error->domain == TCPC_FILTER_ERROR);
          outcome.code = error->code;
          errors++;
        }
      else
        g_assert_no_error (error);

      outcome.record = record;
      if (outcomes != NULL)
        g_array_append_val (outcomes, outcome);
      else
        outcome_clear (&outcome);
    }
}

/* Feeds @data cut at the sorted @cuts, draining after every feed, or only
 * after random feeds and the last one when @skip_rand is set. Feeding
 * stops at the first chunk the filter refuses (after malformed input).
 */
static GArray *
parse_cut (TcpcFilter   *filter,
           const guint8 *data,
           gsize         len,
           const gsize  *cuts,
           guint         n_cuts,
           GRand        *skip_rand,
           GBytes      **pending)
{
  GArray *outcomes = outcomes_new ();
  gsize start = 0;
  guint i;

  for (i = 0; i <= n_cuts; i++)
    {
      gsize end = i < n_cuts ? cuts[i] : len;
      g_autoptr(GBytes) chunk = g_bytes_new (data + start, end - start);
      g_autoptr(GError) error = NULL;

      start = end;

      if (!tcpc_filter_feed (filter, chunk, &error))
        {
          g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_MALFORMED);
          break;
        }

      if (skip_rand != NULL && i < n_cuts && g_rand_boolean (skip_rand))
        continue;

      drain (filter, outcomes);
    }

  drain (filter, outcomes);
  *pending = tcpc_filter_take_pending (filter);

  return outcomes;
}

static void
assert_same_outcomes (GArray *expected,
                      GArray *actual)
{
  guint i;

  g_assert_cmpuint (actual->len, ==, expected->len);
  for (i = 0; i < expected->len; i++)
    {
      Outcome *e = &g_array_index (expected, Outcome, i);
      Outcome *a = &g_array_index (actual, Outcome, i);

      if (e->record == NULL)
        {
          g_assert_null (a->record);
          g_assert_cmpint (a->code, ==, e->code);
        }
      else
        {
          g_assert_nonnull (a->record);
          g_assert_true (g_bytes_equal (e->record, a->record));
        }
    }
}

static void
assert_same_pending (GBytes *expected,
                     GBytes *actual)
{
  if (expected == NULL)
    g_assert_null (actual);
  else
    {
      g_assert_nonnull (actual);
      g_assert_true (g_bytes_equal (expected, actual));
    }
}

static int
compare_gsize (gconstpointer a,
               gconstpointer b)
{
  gsize x = *(const gsize *) a;
  gsize y = *(const gsize *) b;

  return x < y ? -1 : x > y;
}

/* Parses @data whole with a clone of @prototype, then cut in many ways
 * (random cuts, single bytes, every cut in two), and asserts that the
 * records, errors and pending bytes are the same every time.
 */
static void
check_invariance (TcpcFilter   *prototype,
                  const guint8 *data,
                  gsize         len,
                  GRand        *rand)
{
  g_autoptr(TcpcFilter) whole = tcpc_filter_clone (prototype);
  g_autoptr(GArray) expected = NULL;
  g_autoptr(GBytes) expected_pending = NULL;
  g_autofree gsize *cuts = g_new (gsize, len + 1);
  guint round;
  gsize i;

  expected = parse_cut (whole, data, len, NULL, 0, NULL, &expected_pending);

  for (round = 0; round < 8; round++)
    {
      g_autoptr(TcpcFilter) filter = tcpc_filter_clone (prototype);
      g_autoptr(GArray) actual = NULL;
      g_autoptr(GBytes) pending = NULL;
      guint n_cuts;

      if (round == 0)
        {
          /* Single bytes. */
          n_cuts = len > 0 ? len - 1 : 0;
          for (i = 0; i < n_cuts; i++)
            cuts[i] = i + 1;
        }
      else
        {
          n_cuts = len > 1 ? g_rand_int_range (rand, 1, MIN (len, 24) + 1) : 0;
          for (i = 0; i < n_cuts; i++)
            cuts[i] = g_rand_int_range (rand, 0, len + 1);
          qsort (cuts, n_cuts, sizeof (gsize), compare_gsize);
        }

      /* Half of the rounds feed without parsing in between. */
      actual = parse_cut (filter, data, len, cuts, n_cuts,
                          round % 2 == 1 ? rand : NULL, &pending);
      assert_same_outcomes (expected, actual);
      assert_same_pending (expected_pending, pending);
    }

  if (len <= 120)
    {
      for (i = 0; i <= len; i++)
        {
          g_autoptr(TcpcFilter) filter = tcpc_filter_clone (prototype);
          g_autoptr(GArray) actual = NULL;
          g_autoptr(GBytes) pending = NULL;

          actual = parse_cut (filter, data, len, &i, 1, NULL, &pending);
          assert_same_outcomes (expected, actual);
          assert_same_pending (expected_pending, pending);
        }
    }
}

/* Random records of up to @max_size bytes from @alphabet (any byte when
 * %NULL), some of them empty.
 */
static GPtrArray *
random_records (GRand      *rand,
                guint       n,
                gsize       max_size,
                const char *alphabet)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint i;

  for (i = 0; i < n; i++)
    {
      gsize size = g_rand_int_range (rand, 0, 5) == 0 ? 0 : g_rand_int_range (rand, 1, max_size + 1);
      guint8 *data = g_malloc (size + 1);
      gsize j;

      for (j = 0; j < size; j++)
        data[j] = alphabet != NULL
          ? alphabet[g_rand_int_range (rand, 0, strlen (alphabet))]
          : g_rand_int_range (rand, 0, 256);

      g_ptr_array_add (records, g_bytes_new_take (data, size));
    }

  return records;
}

/* The concatenation of the encoded @records. */
static GByteArray *
encode_all (TcpcFilter *filter,
            GPtrArray  *records)
{
  GByteArray *wire = g_byte_array_new ();
  guint i;

  for (i = 0; i < records->len; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) encoded = tcpc_filter_encode (filter, records->pdata[i], &error);

      g_assert_no_error (error);
      g_assert_nonnull (encoded);
      g_byte_array_append (wire, g_bytes_get_data (encoded, NULL),
                           g_bytes_get_size (encoded));
    }

  return wire;
}

/* Random bytes from @alphabet (of length @alphabet_len, NUL allowed). */
static GByteArray *
random_noise (GRand      *rand,
              gsize       len,
              const char *alphabet,
              gsize       alphabet_len)
{
  GByteArray *noise = g_byte_array_sized_new (len);
  gsize i;

  for (i = 0; i < len; i++)
    {
      guint8 c = alphabet[g_rand_int_range (rand, 0, alphabet_len)];

      g_byte_array_append (noise, &c, 1);
    }

  return noise;
}

/* Encodes random records with @prototype, then checks that parsing gives
 * them back (round trip) whatever the cuts.
 */
static void
check_round_trip_invariance (TcpcFilter *prototype,
                             guint32     seed,
                             gsize       max_size,
                             guint       n_inputs)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  guint n;

  for (n = 0; n < n_inputs; n++)
    {
      g_autoptr(TcpcFilter) filter = tcpc_filter_clone (prototype);
      g_autoptr(GPtrArray) records = random_records (rand, g_rand_int_range (rand, 0, 12), max_size, NULL);
      g_autoptr(GByteArray) wire = encode_all (filter, records);
      g_autoptr(GArray) outcomes = NULL;
      g_autoptr(GBytes) pending = NULL;
      guint i;

      /* Round trip. */
      outcomes = parse_cut (filter, wire->data, wire->len, NULL, 0, NULL, &pending);
      g_assert_null (pending);
      g_assert_cmpuint (outcomes->len, ==, records->len);
      for (i = 0; i < records->len; i++)
        {
          Outcome *o = &g_array_index (outcomes, Outcome, i);

          g_assert_nonnull (o->record);
          g_assert_true (g_bytes_equal (o->record, records->pdata[i]));
        }

      check_invariance (prototype, wire->data, wire->len, rand);
    }
}

/* TcpcStreamFilter */

static void
test_stream_poe (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_stream_filter_new ());

  g_test_summary ("poe-spec 5.66: a stream filter returns everything fed as one record");

  assert_pending (filter, NULL);
  assert_next (filter, NULL);

  feed (filter, "ab");
  feed (filter, "cd");
  assert_next (filter, "abcd");
  assert_next (filter, NULL);

  assert_encode (filter, "x\r\ny", "x\r\ny", 4);
  assert_encode (filter, "", "", 0);

  feed (filter, "left");
  assert_pending (filter, "left");
  assert_pending (filter, NULL);
  assert_next (filter, NULL);
}

static void
test_stream_zero_copy (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_stream_filter_new ());
  g_autoptr(GBytes) chunk = bytes_from_string ("one chunk");
  g_autoptr(GBytes) record = NULL;
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  guint freed = 0;
  GBytes *counted;

  g_assert_true (tcpc_filter_feed (filter, chunk, NULL));
  record = tcpc_filter_next_record (filter, NULL);
  g_assert_true (record == chunk);

  /* Zero bytes add nothing. */
  g_assert_true (tcpc_filter_feed (filter, empty, NULL));
  assert_next (filter, NULL);

  /* The filter keeps no reference once the record is taken. */
  counted = counted_chunk_new ("abc", 3, &freed);
  g_assert_true (tcpc_filter_feed (filter, counted, NULL));
  g_bytes_unref (counted);
  g_clear_pointer (&record, g_bytes_unref);
  record = tcpc_filter_next_record (filter, NULL);
  assert_bytes (record, "abc");
  g_assert_cmpuint (freed, ==, 0);
  g_clear_pointer (&record, g_bytes_unref);
  g_assert_cmpuint (freed, ==, 1);
}

static void
test_stream_chunks (void)
{
  g_autoptr(TcpcFilter) prototype = TCPC_FILTER (tcpc_stream_filter_new ());
  g_autoptr(GRand) rand = g_rand_new_with_seed (66);
  guint n;

  /* Records depend on the chunks by design; their concatenation never
   * does, and every chunk fed and parsed at once is one record.
   */
  for (n = 0; n < 200; n++)
    {
      g_autoptr(TcpcFilter) filter = tcpc_filter_clone (prototype);
      g_autoptr(GByteArray) input = random_noise (rand, g_rand_int_range (rand, 1, 300),
                                                  "abc\0\r\n", 6);
      g_autoptr(GByteArray) joined = g_byte_array_new ();
      gsize start = 0;

      while (start < input->len)
        {
          gsize step = g_rand_int_range (rand, 1, 20);
          gsize end = MIN (input->len, start + step);
          GBytes *record;

          feed_len (filter, input->data + start, end - start);
          if (g_rand_boolean (rand))
            {
              record = tcpc_filter_next_record (filter, NULL);
              g_assert_nonnull (record);
              g_byte_array_append (joined, g_bytes_get_data (record, NULL),
                                   g_bytes_get_size (record));
              g_bytes_unref (record);
              assert_next (filter, NULL);
            }
          start = end;
        }

      {
        g_autoptr(GBytes) rest = tcpc_filter_take_pending (filter);

        if (rest != NULL)
          g_byte_array_append (joined, g_bytes_get_data (rest, NULL), g_bytes_get_size (rest));
      }
      g_assert_cmpmem (joined->data, joined->len, input->data, input->len);
    }
}

static void
test_stream_clone (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_stream_filter_new ());
  g_autoptr(TcpcFilter) clone = NULL;

  feed (filter, "buffered");
  clone = tcpc_filter_clone (filter);
  g_assert_true (TCPC_IS_STREAM_FILTER (clone));
  g_assert_true (clone != filter);
  assert_pending (clone, NULL);
  assert_next (clone, NULL);
  assert_next (filter, "buffered");
}

/* TcpcBlockFilter: fixed size */

static void
test_block_fixed_poe (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_block_filter_new_fixed (3));
  g_autoptr(GBytes) ab = NULL;
  g_autoptr(GBytes) cdefg = NULL;
  g_autoptr(GByteArray) wire = g_byte_array_new ();

  g_test_summary ("poe-spec 5.64: fixed-size blocks");

  g_assert_true (tcpc_block_filter_check_settings (TCPC_BLOCK_FILTER (filter), NULL));
  assert_parse (filter, STRV ("abcdefg"), STRV ("abc", "def"));
  assert_pending (filter, "g");
  assert_pending (filter, NULL);

  /* Encoding concatenates, without padding or a size check. */
  ab = encode (filter, "ab");
  cdefg = encode (filter, "cdefg");
  g_byte_array_append (wire, g_bytes_get_data (ab, NULL), g_bytes_get_size (ab));
  g_byte_array_append (wire, g_bytes_get_data (cdefg, NULL), g_bytes_get_size (cdefg));
  g_assert_cmpmem (wire->data, wire->len, "abcdefg", 7);

  assert_parse (filter, STRV ("a", "b", "cd", "efghi", "j"), STRV ("abc", "def", "ghi"));
  assert_pending (filter, "j");
}

static void
test_block_fixed_zero_copy (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_block_filter_new_fixed (2));
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  guint freed = 0;
  GBytes *chunk = counted_chunk_new ("abcde", 5, &freed);
  const guint8 *base = g_bytes_get_data (chunk, NULL);

  g_assert_true (tcpc_filter_feed (filter, chunk, NULL));
  g_bytes_unref (chunk);
  first = tcpc_filter_next_record (filter, NULL);
  second = tcpc_filter_next_record (filter, NULL);
  g_assert_true (g_bytes_get_data (first, NULL) == base);
  g_assert_true (g_bytes_get_data (second, NULL) == base + 2);
  assert_next (filter, NULL);

  /* The partial block was copied: only the records hold the chunk. */
  g_clear_pointer (&first, g_bytes_unref);
  g_clear_pointer (&second, g_bytes_unref);
  g_assert_cmpuint (freed, ==, 1);
  assert_parse (filter, STRV ("f"), STRV ("ef"));
}

/* TcpcBlockFilter: the ASCII length codec */

static void
test_block_ascii_poe (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_block_filter_new ());
  g_autoptr(TcpcFilter) garbage = TCPC_FILTER (tcpc_block_filter_new ());

  g_test_summary ("poe-spec 5.65: POE's \"<length>\\0\" header");

  assert_encode (filter, "hello", "5\0hello", 7);
  assert_encode (filter, "", "0\0", 2);

  feed_len (filter, "5\0hel", 5);
  assert_next (filter, NULL);
  feed_len (filter, "lo0\0", 4);
  assert_next (filter, "hello");
  assert_next (filter, "");
  assert_next (filter, NULL);
  assert_pending (filter, NULL);

  /* Leading garbage is dropped and the record behind it is parsed by the
   * same call (POE only parses it on the next read), with a debug message
   * in place of POE's warning.
   */
  feed_len (garbage, "xyz3\0abc", 8);
  g_test_expect_message ("Tcpc", G_LOG_LEVEL_DEBUG, "*3 strange bytes removed from the stream");
  assert_next (garbage, "abc");
  g_test_assert_expected_messages ();
  assert_next (garbage, NULL);
  feed_len (garbage, "\r\n\0-+2\0ok", 9);
  assert_next (garbage, "ok");
  /* Garbage alone is dropped, not kept as pending input. */
  feed (garbage, "garbage");
  assert_next (garbage, NULL);
  assert_pending (garbage, NULL);
}

static void
test_block_ascii_malformed (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_block_filter_new ());
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);

  /* Digits followed by a byte other than NUL: POE stalls, we report. */
  feed_len (filter, "2\0ok12x\0abc", 11);
  assert_next (filter, "ok");
  assert_next_error (filter, TCPC_FILTER_ERROR_MALFORMED);
  /* Reported once; then no records and every feed fails. */
  assert_next (filter, NULL);
  assert_feed_error (filter, "3\0abc", TCPC_FILTER_ERROR_MALFORMED);
  assert_next (filter, NULL);
  /* An empty chunk (a client's settings check) is no input. */
  g_assert_true (tcpc_filter_feed (filter, empty, NULL));
  assert_pending (filter, NULL);

  /* take_pending starts afresh. */
  feed_len (filter, "3\0abc", 5);
  assert_next (filter, "abc");
}

/* Leading zeros: POE's ^(\d+)\0 takes any number of them, and so do we.
 * They count toward no digit limit; the value limits still hold. */
static void
test_block_ascii_leading_zeros (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (166);
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_block_filter_new ());
  g_autoptr(TcpcFilter) limited = block_filter ("max-length", 100, NULL);
  g_autoptr(TcpcFilter) widest = block_filter ("max-length", G_MAXUINT, NULL);
  g_autofree char *zeros = g_strnfill (30, '0');
  g_autofree char *body = g_strnfill (100, 'b');
  g_autoptr(GByteArray) wire = g_byte_array_new ();
  guint i;

  g_test_summary ("A length header with leading zeros, 30 of them here, "
                  "is a valid header, as in POE");

  /* b"0" * 30 + b"5\0hello" */
  feed (filter, zeros);
  feed_len (filter, "5\0hello", 7);
  assert_next (filter, "hello");
  assert_next (filter, NULL);
  assert_pending (filter, NULL);

  /* Only zeros: an empty record, whether one zero or many. */
  feed_len (filter, "000\0", 4);
  assert_next (filter, "");
  assert_next (filter, NULL);
  feed (filter, zeros);
  feed_len (filter, "\0", 1);
  assert_next (filter, "");
  assert_next (filter, NULL);
  assert_pending (filter, NULL);

  /* More than 20 digits in all, 20 significant ones: over any max-length
   * (64-bit values saturate), so too long, not malformed. */
  feed (filter, zeros);
  feed_len (filter, "99999999999999999999\0", 21);
  assert_next_error (filter, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next (filter, NULL);
  g_clear_object (&filter);

  /* max-length still applies behind the zeros. */
  feed (limited, zeros);
  feed_len (limited, "101\0", 4);
  assert_next_error (limited, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next (limited, NULL);
  feed_len (limited, body, 100);
  feed_len (limited, "b", 1);
  assert_next (limited, NULL);
  feed (limited, zeros);
  feed_len (limited, "100\0", 4);
  feed_len (limited, body, 100);
  assert_next_len (limited, body, 100);
  assert_next (limited, NULL);
  feed (limited, zeros);
  feed (limited, "101");
  assert_next_error (limited, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next (limited, NULL);

  /* The largest max-length: 2^32 - 1 is accepted (its body is awaited),
   * 2^32 is too long. */
  feed (widest, zeros);
  feed_len (widest, "4294967295\0", 11);
  assert_next (widest, NULL);
  /* (a run of leading zeros is kept as one) */
  {
    g_autoptr(GBytes) pending = tcpc_filter_take_pending (widest);

    assert_bytes_len (pending, "04294967295\0", 12);
  }
  feed (widest, zeros);
  feed_len (widest, "4294967296\0", 11);
  assert_next_error (widest, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next (widest, NULL);

  /* A stream of zeros that never ends does not fill the memory. */
  g_clear_object (&widest);
  widest = block_filter ("max-length", G_MAXUINT, NULL);
  for (i = 0; i < 1000; i++)
    {
      feed (widest, zeros);
      assert_next (widest, NULL);
    }
  feed_len (widest, "2\0ok", 4);
  assert_next (widest, "ok");
  assert_next (widest, NULL);
  assert_pending (widest, NULL);

  /* Every split across feeds gives the same outcomes. */
  g_byte_array_append (wire, (const guint8 *) zeros, 30);
  g_byte_array_append (wire, (const guint8 *) "5\0hello", 7);
  g_byte_array_append (wire, (const guint8 *) "000\0", 4);
  g_byte_array_append (wire, (const guint8 *) zeros, 30);
  g_byte_array_append (wire, (const guint8 *) "2\0ok", 4);
  {
    g_autoptr(TcpcFilter) whole = TCPC_FILTER (tcpc_block_filter_new ());
    g_autoptr(GArray) outcomes = NULL;
    g_autoptr(GBytes) pending = NULL;

    outcomes = parse_cut (whole, wire->data, wire->len, NULL, 0, NULL, &pending);
    g_assert_cmpuint (outcomes->len, ==, 3);
    assert_bytes (g_array_index (outcomes, Outcome, 0).record, "hello");
    assert_bytes (g_array_index (outcomes, Outcome, 1).record, "");
    assert_bytes (g_array_index (outcomes, Outcome, 2).record, "ok");
    g_assert_null (pending);
    check_invariance (whole, wire->data, wire->len, rand);
  }

  /* And the limits behind zeros: a too long record is skipped, the
   * stream stays in step. */
  g_byte_array_set_size (wire, 0);
  g_byte_array_append (wire, (const guint8 *) zeros, 30);
  g_byte_array_append (wire, (const guint8 *) "0101\0", 5);
  g_byte_array_append (wire, (const guint8 *) body, 100);
  g_byte_array_append (wire, (const guint8 *) "b", 1);
  g_byte_array_append (wire, (const guint8 *) zeros, 25);
  g_byte_array_append (wire, (const guint8 *) "3\0abc", 5);
  {
    g_autoptr(TcpcFilter) whole = block_filter ("max-length", 100, NULL);
    g_autoptr(GArray) outcomes = NULL;
    g_autoptr(GBytes) pending = NULL;

    outcomes = parse_cut (whole, wire->data, wire->len, NULL, 0, NULL, &pending);
    g_assert_cmpuint (outcomes->len, ==, 2);
    g_assert_null (g_array_index (outcomes, Outcome, 0).record);
    g_assert_cmpint (g_array_index (outcomes, Outcome, 0).code, ==,
                     TCPC_FILTER_ERROR_RECORD_TOO_LONG);
    assert_bytes (g_array_index (outcomes, Outcome, 1).record, "abc");
    g_assert_null (pending);
    check_invariance (whole, wire->data, wire->len, rand);
  }
}

static void
test_block_ascii_too_long (void)
{
  g_autoptr(TcpcFilter) filter = block_filter ("max-length", 100, NULL);
  g_autofree char *body = g_strnfill (997, 'b');

  g_test_summary ("poe-spec 5.57: a header announcing more than max-length is "
                  "refused at once, before its body arrives");

  feed_len (filter, "3\0abc1000\0xyz", 13);
  assert_next (filter, "abc");
  assert_next_error (filter, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next (filter, NULL);

  /* The announced record is dropped as it arrives; the next one parses. */
  feed (filter, body);
  assert_next (filter, NULL);
  assert_pending (filter, NULL);
  g_clear_object (&filter);

  filter = block_filter ("max-length", 100, NULL);
  feed_len (filter, "1000\0", 5);
  assert_next_error (filter, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next (filter, NULL);
  feed (filter, body);
  feed_len (filter, "xyz2\0ok", 7);
  assert_next (filter, "ok");
  assert_next (filter, NULL);

  /* Known too long before the NUL arrives. */
  feed (filter, "101");
  assert_next_error (filter, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next (filter, NULL);
  feed_len (filter, "\0", 1);
  assert_next (filter, NULL);
  feed_len (filter, body, 100);
  assert_next (filter, NULL);
  feed_len (filter, "b0\0", 3);
  assert_next (filter, "");
  assert_next (filter, NULL);

  /* 100 is fine. */
  feed_len (filter, "100\0", 4);
  feed_len (filter, body, 99);
  assert_next (filter, NULL);
  feed_len (filter, body, 1);
  assert_next_len (filter, body, 100);
  assert_next (filter, NULL);

  /* A too long length followed by a non-NUL: reported too, after. */
  feed (filter, "5000x");
  assert_next_error (filter, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next_error (filter, TCPC_FILTER_ERROR_MALFORMED);
  assert_next (filter, NULL);
}

/* TcpcBlockFilter: binary length codecs */

typedef struct
{
  TcpcLengthCodec codec;
  const char *name;
  guint width;
  gboolean little_endian;
} CodecCase;

static const CodecCase codec_cases[] = {
  { TCPC_LENGTH_CODEC_UINT8, "uint8", 1, FALSE },
  { TCPC_LENGTH_CODEC_UINT16_BE, "uint16-be", 2, FALSE },
  { TCPC_LENGTH_CODEC_UINT16_LE, "uint16-le", 2, TRUE },
  { TCPC_LENGTH_CODEC_UINT32_BE, "uint32-be", 4, FALSE },
  { TCPC_LENGTH_CODEC_UINT32_LE, "uint32-le", 4, TRUE },
  { TCPC_LENGTH_CODEC_UINT64_BE, "uint64-be", 8, FALSE },
  { TCPC_LENGTH_CODEC_UINT64_LE, "uint64-le", 8, TRUE },
};

/* Writes @value as the header of @c to @out; returns its size. */
static gsize
write_header (const CodecCase *c,
              guint64          value,
              guint8          *out)
{
  guint i;

  for (i = 0; i < c->width; i++)
    {
      guint shift = c->little_endian ? i : c->width - 1 - i;

      out[i] = (value >> (shift * 8)) & 0xff;
    }

  return c->width;
}

static void
test_block_binary_codec (gconstpointer data)
{
  const CodecCase *c = data;
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_block_filter_new_length_prefixed (c->codec));
  g_autoptr(TcpcFilter) limited = block_filter ("length-codec", c->codec, "max-length", 10, NULL);
  guint8 wire[64];
  gsize n;

  g_assert_cmpint (tcpc_block_filter_get_length_codec (TCPC_BLOCK_FILTER (filter)), ==, c->codec);

  /* Encoding. */
  n = write_header (c, 5, wire);
  memcpy (wire + n, "hello", 5);
  assert_encode (filter, "hello", wire, n + 5);
  n = write_header (c, 0, wire);
  assert_encode (filter, "", wire, n);

  /* Parsing across chunks, header split too. */
  n = write_header (c, 3, wire);
  memcpy (wire + n, "abc", 3);
  n += 3;
  n += write_header (c, 0, wire + n);
  n += write_header (c, 2, wire + n);
  memcpy (wire + n, "xy", 2);
  n += 2;
  feed_len (filter, wire, 1);
  assert_next (filter, NULL);
  feed_len (filter, wire + 1, n - 2);
  assert_next (filter, "abc");
  assert_next (filter, "");
  assert_next (filter, NULL);
  feed_len (filter, wire + n - 1, 1);
  assert_next (filter, "xy");
  assert_next (filter, NULL);
  assert_pending (filter, NULL);

  /* A header over max-length: refused before the body, which is then
   * dropped as it arrives.
   */
  n = write_header (c, 11, wire);
  feed_len (limited, wire, n);
  assert_next_error (limited, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next (limited, NULL);
  feed (limited, "0123456789");
  assert_next (limited, NULL);
  n = write_header (c, 2, wire + 1);
  wire[0] = 'X';
  memcpy (wire + 1 + n, "ok", 2);
  feed_len (limited, wire, n + 3);
  assert_next (limited, "ok");
  assert_next (limited, NULL);

  /* 10 is fine. */
  n = write_header (c, 10, wire);
  memcpy (wire + n, "0123456789", 10);
  feed_len (limited, wire, n + 10);
  assert_next (limited, "0123456789");

  /* The largest header the codec can hold: no overflow, no memory. */
  n = write_header (c, G_MAXUINT64, wire);
  feed_len (limited, wire, n);
  assert_next_error (limited, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next (limited, NULL);
}

static void
test_block_binary_hostile (void)
{
  static const guint8 max_be[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
  g_autoptr(TcpcFilter) be = TCPC_FILTER (tcpc_block_filter_new_length_prefixed (TCPC_LENGTH_CODEC_UINT64_BE));
  g_autoptr(TcpcFilter) le = TCPC_FILTER (tcpc_block_filter_new_length_prefixed (TCPC_LENGTH_CODEC_UINT64_LE));
  g_autoptr(TcpcFilter) u32 = TCPC_FILTER (tcpc_block_filter_new_length_prefixed (TCPC_LENGTH_CODEC_UINT32_BE));
  g_autofree guint8 *block = g_malloc0 (65536);
  guint i;

  /* 2^64 - 1, and just above max-length. */
  feed_len (be, max_be, 8);
  assert_next_error (be, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  feed_len (le, max_be, 8);
  assert_next_error (le, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  feed_len (u32, "\x00\x10\x00\x01", 4);
  assert_next_error (u32, TCPC_FILTER_ERROR_RECORD_TOO_LONG);

  /* 16 MiB of body afterwards: no record, no error, nothing kept. */
  for (i = 0; i < 256; i++)
    {
      guint freed = 0;
      GBytes *chunk = counted_chunk_new (block, 65536, &freed);

      g_assert_true (tcpc_filter_feed (be, chunk, NULL));
      g_assert_true (tcpc_filter_feed (le, chunk, NULL));
      g_bytes_unref (chunk);
      g_assert_cmpuint (drain (be, NULL), ==, 0);
      g_assert_cmpuint (drain (le, NULL), ==, 0);
      g_assert_cmpuint (freed, ==, 1);
    }
  assert_pending (be, NULL);
  assert_pending (le, NULL);

  /* The 1 MiB + 1 record is skipped exactly; the next one parses. */
  for (i = 0; i < 16; i++)
    feed_len (u32, block, 65536);
  assert_next (u32, NULL);
  feed_len (u32, "\x00\x00\x00\x00\x02hi", 7);
  assert_next (u32, "hi");
}

static void
test_block_encode_too_long (void)
{
  g_autoptr(TcpcFilter) u8 = TCPC_FILTER (tcpc_block_filter_new_length_prefixed (TCPC_LENGTH_CODEC_UINT8));
  g_autoptr(TcpcFilter) u16 = TCPC_FILTER (tcpc_block_filter_new_length_prefixed (TCPC_LENGTH_CODEC_UINT16_LE));
  g_autoptr(TcpcFilter) ascii = block_filter ("max-length", 4, NULL);
  g_autofree guint8 *data = g_malloc0 (70000);
  g_autoptr(GBytes) r255 = g_bytes_new (data, 255);
  g_autoptr(GBytes) r65535 = g_bytes_new (data, 65535);
  g_autoptr(GBytes) e255 = NULL;
  g_autoptr(GBytes) e65535 = NULL;
  g_autoptr(GBytes) big = NULL;

  assert_encode_error (u8, 300, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_encode_error (u8, 256, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  e255 = tcpc_filter_encode (u8, r255, NULL);
  g_assert_cmpuint (g_bytes_get_size (e255), ==, 256);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (e255, NULL))[0], ==, 255);

  assert_encode_error (u16, 65536, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  e65535 = tcpc_filter_encode (u16, r65535, NULL);
  g_assert_cmpuint (g_bytes_get_size (e65535), ==, 65537);

  /* max-length limits input only. */
  big = encode (ascii, "0123456789");
  assert_bytes_len (big, "10\0" "0123456789", 13);
}

static void
test_block_round_trip (void)
{
  TcpcFilter *filters[12];
  guint n = 0;
  guint i;

  filters[n++] = TCPC_FILTER (tcpc_block_filter_new ());
  for (i = 0; i < G_N_ELEMENTS (codec_cases); i++)
    filters[n++] = TCPC_FILTER (tcpc_block_filter_new_length_prefixed (codec_cases[i].codec));
  filters[n++] = block_filter ("length-codec", TCPC_LENGTH_CODEC_ASCII, "max-length", 300, NULL);

  for (i = 0; i < n; i++)
    {
      check_round_trip_invariance (filters[i], 100 + i, i == 1 ? 255 : 300, 40);
      g_object_unref (filters[i]);
    }
}

static void
test_block_fixed_invariance (void)
{
  static const guint sizes[] = { 1, 3, 7, 64 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (164);
  guint i;
  guint n;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(TcpcFilter) prototype = TCPC_FILTER (tcpc_block_filter_new_fixed (sizes[i]));

      for (n = 0; n < 40; n++)
        {
          g_autoptr(GByteArray) input = random_noise (rand, g_rand_int_range (rand, 0, 200),
                                                      "ab\0\n", 4);
          g_autoptr(TcpcFilter) filter = tcpc_filter_clone (prototype);
          g_autoptr(GArray) outcomes = NULL;
          g_autoptr(GBytes) pending = NULL;
          guint j;

          outcomes = parse_cut (filter, input->data, input->len, NULL, 0, NULL, &pending);
          g_assert_cmpuint (outcomes->len, ==, input->len / sizes[i]);
          for (j = 0; j < outcomes->len; j++)
            assert_bytes_len (g_array_index (outcomes, Outcome, j).record,
                              input->data + j * sizes[i], sizes[i]);
          if (input->len % sizes[i] == 0)
            g_assert_null (pending);
          else
            assert_bytes_len (pending, input->data + outcomes->len * sizes[i],
                              input->len % sizes[i]);

          check_invariance (prototype, input->data, input->len, rand);
        }
    }
}

/* Records mixed with too long ones, garbage and hostile bytes. */
static void
test_block_hostile_invariance (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (165);
  guint i;
  guint n;

  for (i = 0; i < 1 + G_N_ELEMENTS (codec_cases); i++)
    {
      TcpcLengthCodec codec = i == 0 ? TCPC_LENGTH_CODEC_ASCII : codec_cases[i - 1].codec;
      g_autoptr(TcpcFilter) wide = block_filter ("length-codec", codec, NULL);
      g_autoptr(TcpcFilter) prototype = block_filter ("length-codec", codec, "max-length", 12, NULL);

      for (n = 0; n < 40; n++)
        {
          g_autoptr(GPtrArray) records = random_records (rand, g_rand_int_range (rand, 1, 10), 20, "ab0\n");
          g_autoptr(GByteArray) wire = g_byte_array_new ();
          guint j;

          for (j = 0; j < records->len; j++)
            {
              g_autoptr(GBytes) encoded = tcpc_filter_encode (wide, records->pdata[j], NULL);

              /* Garbage between ASCII records. */
              if (codec == TCPC_LENGTH_CODEC_ASCII && g_rand_int_range (rand, 0, 4) == 0)
                g_byte_array_append (wire, (const guint8 *) "x\r\n", g_rand_int_range (rand, 1, 4));
              g_byte_array_append (wire, g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded));
            }

          check_invariance (prototype, wire->data, wire->len, rand);

          /* And plain noise. */
          {
            g_autoptr(GByteArray) noise = random_noise (rand, g_rand_int_range (rand, 0, 80),
                                                        "0123456789\0\0\0ab", 15);

            check_invariance (prototype, noise->data, noise->len, rand);
          }
        }
    }
}

/* TcpcNetstringFilter */

static void
test_netstring_basic (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_netstring_filter_new ());

  assert_encode (filter, "hello", "5:hello,", 8);
  assert_encode (filter, "", "0:,", 3);
  assert_encode (filter, "a,b:c", "5:a,b:c,", 8);

  assert_parse (filter, STRV ("5:hello,0:,", "1", "2:hello", " world!,3:ab"),
                STRV ("hello", "", "hello world!"));
  assert_pending (filter, "3:ab");
  assert_parse (filter, STRV ("3:a,b,"), STRV ("a,b"));
}

static void
test_netstring_zero_copy (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_netstring_filter_new ());
  g_autoptr(GBytes) record = NULL;
  guint freed = 0;
  GBytes *chunk = counted_chunk_new ("3:abc,2:x", 9, &freed);
  const guint8 *base = g_bytes_get_data (chunk, NULL);

  g_assert_true (tcpc_filter_feed (filter, chunk, NULL));
  g_bytes_unref (chunk);
  record = tcpc_filter_next_record (filter, NULL);
  g_assert_true (g_bytes_get_data (record, NULL) == base + 2);
  assert_next (filter, NULL);
  g_clear_pointer (&record, g_bytes_unref);
  g_assert_cmpuint (freed, ==, 1);
  assert_parse (filter, STRV ("y,"), STRV ("xy"));
}

static void
test_netstring_malformed (void)
{
  static const char *const cases[] = {
    "05:hello,",   /* leading zero, as Twisted */
    "00:,",
    ":hello,",     /* empty length */
    "5x:hello,",
    "-1:a,",
    " 5:hello,",
    "5:hello;",    /* missing comma */
    "5:hello",     /* (with more input below) */
    "0:x",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_netstring_filter_new ());

      feed (filter, "2:ok,");
      feed (filter, cases[i]);
      if (i == 7)
        feed (filter, "!!");
      assert_next (filter, "ok");
      assert_next_error (filter, TCPC_FILTER_ERROR_MALFORMED);
      assert_next (filter, NULL);
      assert_feed_error (filter, "2:ok,", TCPC_FILTER_ERROR_MALFORMED);
      assert_next (filter, NULL);

      /* take_pending starts afresh. */
      assert_pending (filter, NULL);
      assert_parse (filter, STRV ("2:ok,"), STRV ("ok"));
    }
}

static void
test_netstring_too_long (void)
{
  g_autoptr(TcpcFilter) filter = netstring_filter (10);
  g_autoptr(TcpcFilter) digits = netstring_filter (10);
  g_autofree char *many = g_strnfill (4096, '9');
  guint i;

  assert_parse (filter, STRV ("10:0123456789,"), STRV ("0123456789"));

  /* Refused as soon as the digits exceed max-length, before the ":". */
  feed (filter, "3:abc,1");
  assert_next (filter, "abc");
  assert_next (filter, NULL);
  feed (filter, "1");
  assert_next_error (filter, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next (filter, NULL);
  /* Then skipped, comma included, and parsing resumes. */
  assert_parse (filter, STRV (":hello", " world,2:ok,"), STRV ("ok"));

  /* A skipped netstring must still end with a comma. */
  feed (filter, "12:hello world!;2:ok,");
  assert_next_error (filter, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  assert_next_error (filter, TCPC_FILTER_ERROR_MALFORMED);
  assert_next (filter, NULL);

  /* Endless digits: one error, nothing kept. */
  for (i = 0; i < 256; i++)
    {
      feed (digits, many);
      g_assert_cmpuint (drain (digits, NULL), ==, i == 0 ? 1 : 0);
    }
  assert_pending (digits, NULL);
}

static void
test_netstring_round_trip (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_netstring_filter_new ());
  g_autoptr(TcpcFilter) small = netstring_filter (20);

  check_round_trip_invariance (filter, 300, 200, 60);
  check_round_trip_invariance (small, 301, 20, 60);
}

static void
test_netstring_hostile_invariance (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (302);
  g_autoptr(TcpcFilter) wide = TCPC_FILTER (tcpc_netstring_filter_new ());
  g_autoptr(TcpcFilter) prototype = netstring_filter (12);
  guint n;

  for (n = 0; n < 80; n++)
    {
      g_autoptr(GPtrArray) records = random_records (rand, g_rand_int_range (rand, 1, 10), 20, "a:,0");
      g_autoptr(GByteArray) wire = encode_all (wide, records);
      g_autoptr(GByteArray) noise = random_noise (rand, g_rand_int_range (rand, 0, 60),
                                                  "0123456789::,,a", 15);

      check_invariance (prototype, wire->data, wire->len, rand);
      check_invariance (prototype, noise->data, noise->len, rand);

      /* Records followed by one corrupted byte. */
      if (wire->len > 0)
        {
          wire->data[g_rand_int_range (rand, 0, wire->len)] = "x,:09"[g_rand_int_range (rand, 0, 5)];
          check_invariance (prototype, wire->data, wire->len, rand);
        }
    }
}

/* TcpcMapFilter */

static GBytes *
uppercase_cb (GBytes   *record,
              gpointer  user_data)
{
  gsize size;
  const char *data = g_bytes_get_data (record, &size);
  char *upper = g_ascii_strup (data != NULL ? data : "", size);

  return g_bytes_new_take (upper, size);
}

static GBytes *
counting_uppercase_cb (GBytes   *record,
                       gpointer  user_data)
{
  (*(guint *) user_data)++;

  return uppercase_cb (record, NULL);
}

static GBytes *
drop_skip_cb (GBytes   *record,
              gpointer  user_data)
{
  g_autoptr(GBytes) skip = bytes_from_string ("skip");

  if (g_bytes_equal (record, skip))
    return NULL;

  return g_bytes_ref (record);
}

/* Grep /x/. */
static GBytes *
grep_x_cb (GBytes   *record,
           gpointer  user_data)
{
  gsize size;
  const char *data = g_bytes_get_data (record, &size);

  if (size == 0 || memchr (data, 'x', size) == NULL)
    return NULL;

  return g_bytes_ref (record);
}

static GBytes *
drop_all_cb (GBytes   *record,
             gpointer  user_data)
{
  return NULL;
}

static void
count_destroy_cb (gpointer data)
{
  (*(guint *) data)++;
}

static void
test_map_poe (void)
{
  g_autoptr(TcpcFilter) map = TCPC_FILTER (tcpc_map_filter_new (drop_skip_cb, NULL, NULL,
                                                                NULL, NULL, NULL));
  g_autoptr(TcpcFilter) grep = TCPC_FILTER (tcpc_map_filter_new (grep_x_cb, NULL, NULL,
                                                                 grep_x_cb, NULL, NULL));
  g_autoptr(GBytes) dropped = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) y2 = bytes_from_string ("y2");

  g_test_summary ("poe-spec 5.68: records dropped by the input function are "
                  "skipped in the same read");

  /* One read: every chunk is a record. */
  feed (map, "a");
  feed (map, "skip");
  feed (map, "b");
  assert_next (map, "a");
  assert_next (map, "b");
  assert_next (map, NULL);

  feed (grep, "ax");
  feed (grep, "b");
  feed (grep, "xc");
  assert_next (grep, "ax");
  assert_next (grep, "xc");
  assert_next (grep, NULL);

  /* An output function that drops: NULL without an error. */
  assert_encode (grep, "x1", "x1", 2);
  dropped = tcpc_filter_encode (grep, y2, &error);
  g_assert_no_error (error);
  g_assert_null (dropped);

  /* No input function: records pass through. */
  assert_encode (map, "skip", "skip", 4);
}

static void
test_map_functions (void)
{
  guint calls = 0;
  guint destroyed_in = 0;
  guint destroyed_out = 0;
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_map_filter_new (counting_uppercase_cb, &calls, NULL,
                                                                   counting_uppercase_cb, &calls, NULL));
  g_autoptr(TcpcFilter) plain = TCPC_FILTER (tcpc_map_filter_new (NULL, NULL, NULL,
                                                                  NULL, NULL, NULL));
  g_autoptr(TcpcFilter) object = g_object_new (TCPC_TYPE_MAP_FILTER, NULL);
  TcpcFilter *clone;
  TcpcFilter *shared;
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);

  assert_parse (filter, STRV ("abc", "dEf"), STRV ("ABC", "DEF"));
  assert_encode (filter, "xy", "XY", 2);
  g_assert_cmpuint (calls, ==, 3);

  assert_parse (plain, STRV ("abc"), STRV ("abc"));
  assert_encode (plain, "xy", "xy", 2);
  assert_parse (object, STRV ("abc"), STRV ("abc"));

  /* A chunk of zero bytes is no record. */
  g_assert_true (tcpc_filter_feed (plain, empty, NULL));
  assert_next (plain, NULL);

  /* take_pending joins what was not parsed. */
  feed (plain, "ab");
  feed (plain, "cd");
  assert_pending (plain, "abcd");
  assert_next (plain, NULL);
  feed (plain, "one");
  assert_pending (plain, "one");
  assert_pending (plain, NULL);

  /* Clones share the functions: one destroy notification, at the end. */
  clone = TCPC_FILTER (tcpc_map_filter_new (uppercase_cb, &destroyed_in, count_destroy_cb,
                                            drop_all_cb, &destroyed_out, count_destroy_cb));
  feed (clone, "pending");
  shared = tcpc_filter_clone (clone);
  g_assert_true (TCPC_IS_MAP_FILTER (shared));
  assert_pending (shared, NULL);
  g_object_unref (clone);
  g_assert_cmpuint (destroyed_in + destroyed_out, ==, 0);
  assert_parse (shared, STRV ("q"), STRV ("Q"));
  g_object_unref (shared);
  g_assert_cmpuint (destroyed_in, ==, 1);
  g_assert_cmpuint (destroyed_out, ==, 1);

  /* Replacing a function (POE's modify) releases the old one. */
  destroyed_in = destroyed_out = 0;
  clone = TCPC_FILTER (tcpc_map_filter_new (uppercase_cb, NULL, NULL, NULL, NULL, NULL));
  tcpc_map_filter_set_input_func (TCPC_MAP_FILTER (clone), drop_all_cb, &destroyed_in, count_destroy_cb);
  shared = tcpc_filter_clone (clone);
  tcpc_map_filter_set_input_func (TCPC_MAP_FILTER (clone), NULL, NULL, NULL);
  g_assert_cmpuint (destroyed_in, ==, 0);
  assert_parse (clone, STRV ("kept"), STRV ("kept"));
  assert_parse (shared, STRV ("dropped"), STRV (NULL));
  g_object_unref (shared);
  g_assert_cmpuint (destroyed_in, ==, 1);
  tcpc_map_filter_set_output_func (TCPC_MAP_FILTER (clone), uppercase_cb, &destroyed_out, count_destroy_cb);
  assert_encode (clone, "up", "UP", 2);
  tcpc_map_filter_set_output_func (TCPC_MAP_FILTER (clone), NULL, NULL, NULL);
  g_assert_cmpuint (destroyed_out, ==, 1);
  assert_encode (clone, "up", "up", 2);
  g_object_unref (clone);

  /* A NULL function with a destroy notify: the data is released at once. */
  destroyed_in = 0;
  clone = TCPC_FILTER (tcpc_map_filter_new (NULL, &destroyed_in, count_destroy_cb, NULL, NULL, NULL));
  g_assert_cmpuint (destroyed_in, ==, 1);
  g_object_unref (clone);
}

/* TcpcStackableFilter */

static TcpcFilter *
stack_of (TcpcFilter *first,
          ...)
{
  g_autoptr(GPtrArray) filters = g_ptr_array_new_with_free_func (g_object_unref);
  TcpcFilter *filter;
  va_list args;

  va_start (args, first);
  for (filter = first; filter != NULL; filter = va_arg (args, TcpcFilter *))
    g_ptr_array_add (filters, filter);
  va_end (args);

  return TCPC_FILTER (tcpc_stackable_filter_new (filters));
}

static TcpcFilter *
uppercase_map (void)
{
  return TCPC_FILTER (tcpc_map_filter_new (uppercase_cb, NULL, NULL, uppercase_cb, NULL, NULL));
}

static TcpcFilter *
line_lf (void)
{
  return TCPC_FILTER (tcpc_line_filter_new_literal ("\n"));
}

static void
assert_filter_types (TcpcStackableFilter *stack,
                     ...)
{
  g_autoptr(GPtrArray) filters = tcpc_stackable_filter_get_filters (stack);
  va_list args;
  guint i;

  va_start (args, stack);
  for (i = 0; ; i++)
    {
      GType type = va_arg (args, GType);

      if (type == G_TYPE_INVALID)
        break;
      g_assert_cmpuint (i, <, filters->len);
      g_assert_true (G_TYPE_CHECK_INSTANCE_TYPE (filters->pdata[i], type));
      g_assert_true (tcpc_stackable_filter_get_filter (stack, i) == filters->pdata[i]);
    }
  va_end (args);

  g_assert_cmpuint (filters->len, ==, i);
  g_assert_cmpuint (tcpc_stackable_filter_get_n_filters (stack), ==, i);
  g_assert_null (tcpc_stackable_filter_get_filter (stack, i));
}

static void
test_stackable_poe (void)
{
  g_autoptr(TcpcFilter) filter = stack_of (line_lf (), uppercase_map (), NULL);
  TcpcStackableFilter *stack = TCPC_STACKABLE_FILTER (filter);
  g_autoptr(TcpcFilter) popped = NULL;
  g_autoptr(TcpcFilter) shifted = NULL;

  g_test_summary ("poe-spec 5.67: input through the filters in order, output "
                  "in reverse");

  assert_parse (filter, STRV ("ab\ncd\n"), STRV ("AB", "CD"));
  assert_encode (filter, "x", "X\n", 2);

  feed (filter, "partial");
  assert_next (filter, NULL);
  assert_pending (filter, "partial");
  assert_pending (filter, NULL);

  /* push appends, unshift prepends, pop and shift remove. */
  tcpc_stackable_filter_push (stack, TCPC_FILTER (tcpc_stream_filter_new ()));
  g_object_unref (tcpc_stackable_filter_get_filter (stack, 2));
  tcpc_stackable_filter_unshift (stack, TCPC_FILTER (tcpc_netstring_filter_new ()));
  g_object_unref (tcpc_stackable_filter_get_filter (stack, 0));
  assert_filter_types (stack, TCPC_TYPE_NETSTRING_FILTER, TCPC_TYPE_LINE_FILTER,
                       TCPC_TYPE_MAP_FILTER, TCPC_TYPE_STREAM_FILTER, G_TYPE_INVALID);

  /* netstring -> line -> map -> stream. */
  assert_parse (filter, STRV ("6:a\nb\nc\n,"), STRV ("A", "B", "C"));
  assert_encode (filter, "x", "2:X\n,", 5);

  popped = tcpc_stackable_filter_pop (stack);
  g_assert_true (TCPC_IS_STREAM_FILTER (popped));
  shifted = tcpc_stackable_filter_shift (stack);
  g_assert_true (TCPC_IS_NETSTRING_FILTER (shifted));
  assert_filter_types (stack, TCPC_TYPE_LINE_FILTER, TCPC_TYPE_MAP_FILTER, G_TYPE_INVALID);
  assert_parse (filter, STRV ("ok\n"), STRV ("OK"));
}

static void
test_stackable_pending (void)
{
  g_autoptr(TcpcFilter) filter = stack_of (TCPC_FILTER (tcpc_line_filter_new_literal ("|")),
                                           line_lf (), NULL);
  TcpcStackableFilter *stack = TCPC_STACKABLE_FILTER (filter);
  g_autoptr(TcpcFilter) shifted = NULL;
  g_autoptr(TcpcFilter) popped = NULL;
  g_autoptr(TcpcFilter) front = NULL;

  /* "a\nb" goes to the second filter, which keeps "b"; "c\nd" stays in
   * the first.
   */
  assert_parse (filter, STRV ("a\nb|c\nd"), STRV ("a"));

  /* shift hands the first filter's bytes to the new first filter. */
  shifted = tcpc_stackable_filter_shift (stack);
  assert_pending (shifted, NULL);
  assert_parse (filter, STRV ("e\n"), STRV ("bc", "de"));

  /* pop leaves them in the removed filter. */
  feed (filter, "rest");
  assert_next (filter, NULL);
  popped = tcpc_stackable_filter_pop (stack);
  assert_pending (popped, "rest");
  g_assert_cmpuint (tcpc_stackable_filter_get_n_filters (stack), ==, 0);
  g_assert_null (tcpc_stackable_filter_pop (stack));
  g_assert_null (tcpc_stackable_filter_shift (stack));
  assert_pending (filter, NULL);

  /* unshift moves the wire bytes in front of the former first filter. */
  tcpc_stackable_filter_push (stack, popped);
  feed (filter, "5:ab\ncd,");
  front = TCPC_FILTER (tcpc_netstring_filter_new ());
  tcpc_stackable_filter_unshift (stack, front);
  assert_pending (popped, NULL);
  assert_next (filter, "ab");
  assert_next (filter, NULL);
  assert_parse (filter, STRV ("2:\nx,"), STRV ("cd"));

  /* take_pending gives the first filter's bytes; the later ones keep
   * theirs.
   */
  feed (filter, "4:e");
  assert_pending (filter, "4:e");
  assert_parse (filter, STRV ("2:f\n,"), STRV ("xf"));
}

static void
test_stackable_empty (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_stackable_filter_new (NULL));
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_autoptr(TcpcFilter) from_empty = TCPC_FILTER (tcpc_stackable_filter_new (none));
  g_autoptr(GBytes) data = bytes_from_string ("x");
  g_autoptr(GBytes) record = NULL;
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TcpcFilter) clone = NULL;

  g_assert_false (tcpc_filter_feed (filter, data, &error));
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
  g_clear_error (&error);
  record = tcpc_filter_next_record (filter, &error);
  g_assert_null (record);
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
  g_clear_error (&error);
  encoded = tcpc_filter_encode (filter, data, &error);
  g_assert_null (encoded);
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
  g_clear_error (&error);
  assert_pending (filter, NULL);

  g_assert_false (tcpc_filter_feed (from_empty, data, NULL));
  clone = tcpc_filter_clone (filter);
  g_assert_true (TCPC_IS_STACKABLE_FILTER (clone));
  g_assert_false (tcpc_filter_feed (clone, data, NULL));

  /* Filled later, it works. */
  tcpc_stackable_filter_push (TCPC_STACKABLE_FILTER (filter), TCPC_FILTER (tcpc_stream_filter_new ()));
  g_object_unref (tcpc_stackable_filter_get_filter (TCPC_STACKABLE_FILTER (filter), 0));
  assert_parse (filter, STRV ("x"), STRV ("x"));
}

static void
test_stackable_empty_records (void)
{
  g_autoptr(TcpcFilter) map = stack_of (line_lf (), uppercase_map (), NULL);
  g_autoptr(TcpcFilter) grep = stack_of (line_lf (),
                                         TCPC_FILTER (tcpc_map_filter_new (drop_skip_cb, NULL, NULL,
                                                                           drop_all_cb, NULL, NULL)),
                                         NULL);
  g_autoptr(GBytes) x = bytes_from_string ("x");
  g_autoptr(GBytes) dropped = NULL;
  g_autoptr(GError) error = NULL;

  /* Empty lines are records for the map filter too. */
  assert_parse (map, STRV ("a\n\nb\n"), STRV ("A", "", "B"));

  /* Records dropped inside the stack are skipped in the same call. */
  assert_parse (grep, STRV ("a\nskip\nskip\nb\n"), STRV ("a", "b"));

  /* A record the map drops on output is dropped by the stack. */
  dropped = tcpc_filter_encode (grep, x, &error);
  g_assert_no_error (error);
  g_assert_null (dropped);
}

static void
test_stackable_clone (void)
{
  g_autoptr(TcpcFilter) filter = stack_of (block_filter ("max-length", 50, NULL),
                                           TCPC_FILTER (tcpc_line_filter_new_literal ("\n")),
                                           uppercase_map (), NULL);
  g_autoptr(TcpcFilter) clone = NULL;
  g_autoptr(GPtrArray) originals = tcpc_stackable_filter_get_filters (TCPC_STACKABLE_FILTER (filter));
  g_autoptr(GPtrArray) copies = NULL;
  guint i;

  feed_len (filter, "3\0a\nb", 5);
  assert_next (filter, "A");
  assert_next (filter, NULL);

  clone = tcpc_filter_clone (filter);
  g_assert_true (TCPC_IS_STACKABLE_FILTER (clone));
  copies = tcpc_stackable_filter_get_filters (TCPC_STACKABLE_FILTER (clone));
  g_assert_cmpuint (copies->len, ==, 3);
  for (i = 0; i < 3; i++)
    {
      g_assert_true (copies->pdata[i] != originals->pdata[i]);
      g_assert_true (G_OBJECT_TYPE (copies->pdata[i]) == G_OBJECT_TYPE (originals->pdata[i]));
    }
  g_assert_cmpuint (tcpc_block_filter_get_max_length (copies->pdata[0]), ==, 50);
  g_assert_cmpstr (tcpc_line_filter_get_literal (copies->pdata[1]), ==, "\n");

  /* A fresh state all along the stack. */
  assert_pending (clone, NULL);
  feed_len (clone, "2\0c\n", 4);
  assert_next (clone, "C");
  assert_next (clone, NULL);
  assert_encode (clone, "y", "2\0Y\n", 4);
}

static void
test_stackable_nested_invariance (void)
{
  g_autoptr(TcpcFilter) prototype =
    stack_of (TCPC_FILTER (tcpc_netstring_filter_new ()),
              stack_of (TCPC_FILTER (tcpc_block_filter_new_length_prefixed (TCPC_LENGTH_CODEC_UINT16_LE)),
                        TCPC_FILTER (tcpc_map_filter_new (NULL, NULL, NULL, NULL, NULL, NULL)),
                        NULL),
              NULL);
  g_autoptr(TcpcFilter) lines = stack_of (block_filter ("max-length", 30, NULL), line_lf (), NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (467);
  guint n;

  check_round_trip_invariance (prototype, 467, 100, 40);

  /* Lines inside blocks: records cross block boundaries. */
  for (n = 0; n < 60; n++)
    {
      g_autoptr(TcpcFilter) encoder = tcpc_filter_clone (lines);
      g_autoptr(GPtrArray) records = random_records (rand, g_rand_int_range (rand, 1, 8), 40, "ab\n");
      g_autoptr(GByteArray) wire = g_byte_array_new ();
      guint j;

      for (j = 0; j < records->len; j++)
        {
          g_autoptr(GBytes) block = NULL;

          /* Encoded by the block filter only: the lines span blocks. */
          block = tcpc_filter_encode (tcpc_stackable_filter_get_filter (TCPC_STACKABLE_FILTER (encoder), 0),
                                      records->pdata[j], NULL);
          g_byte_array_append (wire, g_bytes_get_data (block, NULL), g_bytes_get_size (block));
        }

      check_invariance (lines, wire->data, wire->len, rand);
    }
}

/* A filter that misbehaves as a careless binding filter might: its clone
 * returns nothing and its feed fails without an error.
 */
#define TEST_TYPE_BAD_FILTER (test_bad_filter_get_type ())
G_DECLARE_FINAL_TYPE (TestBadFilter, test_bad_filter, TEST, BAD_FILTER, GObject)

struct _TestBadFilter
{
  GObject parent_instance;
};

static gboolean
test_bad_filter_feed (TcpcFilter  *filter,
                      GBytes      *data,
                      GError     **error)
{
  return g_bytes_get_size (data) == 0;
}

static GBytes *
test_bad_filter_next_record (TcpcFilter  *filter,
                             GError     **error)
{
  return NULL;
}

static GBytes *
test_bad_filter_encode (TcpcFilter  *filter,
                        GBytes      *record,
                        GError     **error)
{
  return NULL;
}

static GBytes *
test_bad_filter_take_pending (TcpcFilter *filter)
{
  return NULL;
}

static TcpcFilter *
test_bad_filter_clone (TcpcFilter *filter)
{
  return NULL;
}

static void
test_bad_filter_iface_init (TcpcFilterInterface *iface)
{
  iface->feed = test_bad_filter_feed;
  iface->next_record = test_bad_filter_next_record;
  iface->encode = test_bad_filter_encode;
  iface->take_pending = test_bad_filter_take_pending;
  iface->clone = test_bad_filter_clone;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestBadFilter, test_bad_filter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TCPC_TYPE_FILTER, test_bad_filter_iface_init))

static void
test_bad_filter_class_init (TestBadFilterClass *klass)
{
}

static void
test_bad_filter_init (TestBadFilter *self)
{
}

static void
test_stackable_bad_member (void)
{
  g_autoptr(TcpcFilter) filter = stack_of (line_lf (), g_object_new (TEST_TYPE_BAD_FILTER, NULL), NULL);
  g_autoptr(TcpcFilter) clone = NULL;
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GBytes) record = NULL;
  g_autoptr(GError) error = NULL;

  /* The settings check (an empty chunk) cannot clone the bad member to
   * check it: it passes, without a critical. */
  g_assert_true (tcpc_filter_feed (filter, empty, &error));
  g_assert_no_error (error);

  /* A member that fails without an error. */
  feed (filter, "a\n");
  record = tcpc_filter_next_record (filter, &error);
  g_assert_null (record);
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_MALFORMED);
  g_clear_error (&error);

  /* A member that cannot be cloned makes the clone invalid. */
  clone = tcpc_filter_clone (filter);
  g_assert_true (TCPC_IS_STACKABLE_FILTER (clone));
  g_assert_false (tcpc_filter_feed (clone, empty, &error));
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
  g_assert_nonnull (strstr (error->message, "TestBadFilter"));
  g_clear_error (&error);
  g_assert_null (tcpc_filter_encode (clone, empty, &error));
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
}

/* An empty chunk is the settings check: every member takes it, so an
 * invalid member anywhere fails it, and it is not an empty record for a
 * later map filter. */
static void
test_stackable_settings_check (void)
{
  g_autoptr(TcpcLineFilter) invalid = tcpc_line_filter_new ();
  g_autoptr(TcpcFilter) stack = NULL;
  g_autoptr(TcpcFilter) map = stack_of (line_lf (), uppercase_map (), NULL);
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GError) error = NULL;

  tcpc_line_filter_set_max_length (invalid, 0);
  stack = stack_of (TCPC_FILTER (tcpc_stream_filter_new ()), g_object_ref (invalid), NULL);
  g_assert_false (tcpc_filter_feed (stack, empty, &error));
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
  g_clear_error (&error);

  /* once valid, the same stack passes */
  tcpc_line_filter_set_max_length (invalid, 100);
  g_assert_true (tcpc_filter_feed (stack, empty, &error));
  g_assert_no_error (error);

  g_assert_true (tcpc_filter_feed (map, empty, &error));
  g_assert_no_error (error);
  assert_parse (map, STRV ("a\n"), STRV ("A"));
}

/* Settings, properties and clones */

static void
notify_cb (GObject    *object G_GNUC_UNUSED,
           GParamSpec *pspec,
           GString    *log)
{
  g_string_append_printf (log, "%s;", pspec->name);
}

static void
test_block_properties (void)
{
  g_autoptr(TcpcBlockFilter) self = tcpc_block_filter_new ();
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GEnumClass) codecs = g_type_class_ref (TCPC_TYPE_LENGTH_CODEC);
  TcpcLengthCodec codec = TCPC_LENGTH_CODEC_UINT8;
  guint block_size = 7;
  guint max_length = 0;

  g_object_get (self,
                "block-size", &block_size,
                "length-codec", &codec,
                "max-length", &max_length,
                NULL);
  g_assert_cmpuint (block_size, ==, 0);
  g_assert_cmpint (codec, ==, TCPC_LENGTH_CODEC_ASCII);
  g_assert_cmpuint (max_length, ==, TCPC_BLOCK_FILTER_DEFAULT_MAX_LENGTH);
  g_assert_cmpuint (max_length, ==, 1024 * 1024);
  g_assert_true (tcpc_block_filter_check_settings (self, NULL));

  /* The codecs are a registered enum. */
  g_assert_cmpuint (codecs->n_values, ==, 8);
  g_assert_cmpstr (g_enum_get_value (codecs, TCPC_LENGTH_CODEC_UINT32_BE)->value_nick, ==, "uint32-be");
  g_assert_cmpstr (g_enum_get_value (codecs, TCPC_LENGTH_CODEC_ASCII)->value_name, ==, "TCPC_LENGTH_CODEC_ASCII");

  g_signal_connect (self, "notify", G_CALLBACK (notify_cb), log);

  /* No change, no notification. */
  tcpc_block_filter_set_block_size (self, 0);
  tcpc_block_filter_set_length_codec (self, TCPC_LENGTH_CODEC_ASCII);
  tcpc_block_filter_set_max_length (self, TCPC_BLOCK_FILTER_DEFAULT_MAX_LENGTH);
  g_assert_cmpstr (log->str, ==, "");

  tcpc_block_filter_set_length_codec (self, TCPC_LENGTH_CODEC_UINT64_LE);
  g_object_set (self, "length-codec", TCPC_LENGTH_CODEC_UINT64_LE, NULL);
  tcpc_block_filter_set_max_length (self, 5);
  g_object_set (self, "max-length", 6, NULL);
  g_assert_cmpstr (log->str, ==, "length-codec;max-length;max-length;");
  g_assert_cmpint (tcpc_block_filter_get_length_codec (self), ==, TCPC_LENGTH_CODEC_UINT64_LE);
  g_assert_cmpuint (tcpc_block_filter_get_max_length (self), ==, 6);
  g_string_truncate (log, 0);

  /* A block size with an explicit codec or limit is invalid (POE). */
  tcpc_block_filter_set_block_size (self, 4);
  g_assert_cmpstr (log->str, ==, "block-size;");
  g_assert_cmpuint (tcpc_block_filter_get_block_size (self), ==, 4);
  g_assert_false (tcpc_block_filter_check_settings (self, NULL));
  /* Back to length-prefixed records, valid again. */
  g_object_set (self, "block-size", 0, NULL);
  g_assert_true (tcpc_block_filter_check_settings (self, NULL));
}

typedef struct
{
  const char *name;
  TcpcFilter *(*make) (void);
  const char *message;
} InvalidCase;

static TcpcFilter *
make_fixed_zero (void)
{
  return TCPC_FILTER (tcpc_block_filter_new_fixed (0));
}

static TcpcFilter *
make_size_and_codec (void)
{
  return block_filter ("block-size", 4, "length-codec", TCPC_LENGTH_CODEC_UINT32_BE, NULL);
}

static TcpcFilter *
make_size_and_default_codec (void)
{
  return block_filter ("length-codec", TCPC_LENGTH_CODEC_ASCII, "block-size", 4, NULL);
}

static TcpcFilter *
make_size_and_max_length (void)
{
  return block_filter ("block-size", 4, "max-length", 100, NULL);
}

static TcpcFilter *
make_prefixed_then_size (void)
{
  TcpcBlockFilter *filter = tcpc_block_filter_new_length_prefixed (TCPC_LENGTH_CODEC_UINT8);

  tcpc_block_filter_set_block_size (filter, 3);

  return TCPC_FILTER (filter);
}

static TcpcFilter *
make_block_max_zero (void)
{
  return block_filter ("max-length", 0, NULL);
}

static TcpcFilter *
make_netstring_max_zero (void)
{
  return netstring_filter (0);
}

static const InvalidCase invalid_cases[] = {
  { "block/fixed-zero", make_fixed_zero, "block-size of a fixed-size block filter must be greater than 0" },
  { "block/size+codec", make_size_and_codec, "block-size cannot be combined with TcpcBlockFilter:length-codec" },
  { "block/size+default-codec", make_size_and_default_codec, "block-size cannot be combined with TcpcBlockFilter:length-codec" },
  { "block/size+max-length", make_size_and_max_length, "block-size cannot be combined with TcpcBlockFilter:max-length" },
  { "block/prefixed+size", make_prefixed_then_size, "length-codec" },
  { "block/max-length-0", make_block_max_zero, "max-length must be greater than 0" },
  { "netstring/max-length-0", make_netstring_max_zero, "max-length must be greater than 0" },
};

static void
assert_invalid (TcpcFilter *filter,
                const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GBytes) data = bytes_from_string ("1\0a");
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(GBytes) record = NULL;

  if (TCPC_IS_BLOCK_FILTER (filter))
    g_assert_false (tcpc_block_filter_check_settings (TCPC_BLOCK_FILTER (filter), &error));
  else
    g_assert_false (tcpc_netstring_filter_check_settings (TCPC_NETSTRING_FILTER (filter), &error));
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
  g_assert_nonnull (strstr (error->message, message));
  g_clear_error (&error);

  /* An empty chunk is how a client checks its filter. */
  g_assert_false (tcpc_filter_feed (filter, empty, &error));
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
  g_assert_nonnull (strstr (error->message, message));
  g_clear_error (&error);

  g_assert_false (tcpc_filter_feed (filter, data, &error));
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
  g_clear_error (&error);

  record = tcpc_filter_next_record (filter, &error);
  g_assert_null (record);
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
  g_clear_error (&error);

  encoded = tcpc_filter_encode (filter, data, &error);
  g_assert_null (encoded);
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
  g_clear_error (&error);

  g_assert_false (tcpc_filter_feed (filter, data, NULL));
  g_assert_null (tcpc_filter_next_record (filter, NULL));
  g_assert_null (tcpc_filter_encode (filter, data, NULL));
  g_assert_null (tcpc_filter_take_pending (filter));
}

static void
test_invalid (gconstpointer data)
{
  const InvalidCase *c = data;
  g_autoptr(TcpcFilter) filter = c->make ();
  g_autoptr(TcpcFilter) clone = NULL;

  assert_invalid (filter, c->message);

  /* A clone has the same invalid settings. */
  clone = tcpc_filter_clone (filter);
  assert_invalid (clone, c->message);
}

static void
test_programmer_errors (void)
{
  g_autoptr(TcpcBlockFilter) block = tcpc_block_filter_new ();
  g_autoptr(TcpcStackableFilter) stack = tcpc_stackable_filter_new (NULL);
  g_autoptr(GPtrArray) bad = g_ptr_array_new ();

  if (!g_test_undefined ())
    return;

  g_test_expect_message ("Tcpc", G_LOG_LEVEL_CRITICAL, "*length_codec <= TCPC_LENGTH_CODEC_UINT64_LE*");
  tcpc_block_filter_set_length_codec (block, 99);
  g_test_assert_expected_messages ();
  g_assert_cmpint (tcpc_block_filter_get_length_codec (block), ==, TCPC_LENGTH_CODEC_ASCII);

  g_test_expect_message ("Tcpc", G_LOG_LEVEL_CRITICAL, "*TCPC_IS_FILTER*");
  tcpc_stackable_filter_push (stack, NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Tcpc", G_LOG_LEVEL_CRITICAL, "*filter != (gpointer) self*");
  tcpc_stackable_filter_push (stack, TCPC_FILTER (stack));
  g_test_assert_expected_messages ();
  g_assert_cmpuint (tcpc_stackable_filter_get_n_filters (stack), ==, 0);

  g_ptr_array_add (bad, block);
  g_ptr_array_add (bad, g_object_new (G_TYPE_OBJECT, NULL));
  g_test_expect_message ("Tcpc", G_LOG_LEVEL_CRITICAL, "*TCPC_IS_FILTER*");
  g_assert_null (tcpc_stackable_filter_new (bad));
  g_test_assert_expected_messages ();
  g_object_unref (bad->pdata[1]);
}

static void
test_clone_settings (void)
{
  g_autoptr(TcpcFilter) prefixed = block_filter ("length-codec", TCPC_LENGTH_CODEC_UINT16_BE,
                                                 "max-length", 9, NULL);
  g_autoptr(TcpcFilter) fixed = TCPC_FILTER (tcpc_block_filter_new_fixed (5));
  g_autoptr(TcpcFilter) broken = TCPC_FILTER (tcpc_block_filter_new ());
  g_autoptr(TcpcFilter) netstring = netstring_filter (4);
  g_autoptr(TcpcFilter) clone = NULL;
  TcpcBlockFilter *block;

  feed_len (prefixed, "\x00\x03" "ab", 4);
  assert_next (prefixed, NULL);
  clone = tcpc_filter_clone (prefixed);
  block = TCPC_BLOCK_FILTER (clone);
  g_assert_cmpuint (tcpc_block_filter_get_block_size (block), ==, 0);
  g_assert_cmpint (tcpc_block_filter_get_length_codec (block), ==, TCPC_LENGTH_CODEC_UINT16_BE);
  g_assert_cmpuint (tcpc_block_filter_get_max_length (block), ==, 9);
  assert_pending (clone, NULL);
  feed_len (clone, "\x00\x0a", 2);
  assert_next_error (clone, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  /* The explicit settings are kept: a block size is invalid on both. */
  tcpc_block_filter_set_block_size (block, 2);
  g_assert_false (tcpc_block_filter_check_settings (block, NULL));
  g_clear_object (&clone);

  feed (fixed, "abc");
  assert_next (fixed, NULL);
  clone = tcpc_filter_clone (fixed);
  g_assert_cmpuint (tcpc_block_filter_get_block_size (TCPC_BLOCK_FILTER (clone)), ==, 5);
  g_assert_true (tcpc_block_filter_check_settings (TCPC_BLOCK_FILTER (clone), NULL));
  assert_parse (clone, STRV ("12345"), STRV ("12345"));
  assert_parse (fixed, STRV ("de"), STRV ("abcde"));
  g_clear_object (&clone);

  /* The clone of a filter that saw malformed input is not broken; nor is
   * the clone of one skipping a too long record.
   */
  feed (broken, "1x");
  assert_next_error (broken, TCPC_FILTER_ERROR_MALFORMED);
  clone = tcpc_filter_clone (broken);
  assert_parse (clone, STRV ("1"), STRV (NULL));
  feed_len (clone, "\0z", 2);
  assert_next (clone, "z");
  g_clear_object (&clone);

  feed (netstring, "10:");
  assert_next_error (netstring, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  clone = tcpc_filter_clone (netstring);
  g_assert_cmpuint (tcpc_netstring_filter_get_max_length (TCPC_NETSTRING_FILTER (clone)), ==, 4);
  assert_parse (clone, STRV ("4:abcd,"), STRV ("abcd"));
}

static void
test_netstring_properties (void)
{
  g_autoptr(TcpcNetstringFilter) self = tcpc_netstring_filter_new ();
  g_autoptr(GString) log = g_string_new (NULL);
  guint max_length = 0;

  g_object_get (self, "max-length", &max_length, NULL);
  g_assert_cmpuint (max_length, ==, TCPC_NETSTRING_FILTER_DEFAULT_MAX_LENGTH);
  g_assert_true (tcpc_netstring_filter_check_settings (self, NULL));

  g_signal_connect (self, "notify", G_CALLBACK (notify_cb), log);
  tcpc_netstring_filter_set_max_length (self, TCPC_NETSTRING_FILTER_DEFAULT_MAX_LENGTH);
  tcpc_netstring_filter_set_max_length (self, 3);
  g_object_set (self, "max-length", 3, NULL);
  g_assert_cmpstr (log->str, ==, "max-length;");
  g_assert_cmpuint (tcpc_netstring_filter_get_max_length (self), ==, 3);
}

/* Bounded memory */

typedef void (*ChunkFunc) (guint   index,
                           guint8 *chunk,
                           gsize   size);

static void
chunk_digits (guint   index,
              guint8 *chunk,
              gsize   size)
{
  memset (chunk, '9', size);
}

static void
chunk_ascii_header_then_zeros (guint   index,
                               guint8 *chunk,
                               gsize   size)
{
  memset (chunk, 0, size);
  if (index == 0)
    memcpy (chunk, "99999999999999999999999999", 26);
}

static void
chunk_netstring_huge (guint   index,
                      guint8 *chunk,
                      gsize   size)
{
  memset (chunk, 'x', size);
  if (index == 0)
    memcpy (chunk, "18446744073709551615:", 21);
}

static void
chunk_u64_max (guint   index,
               guint8 *chunk,
               gsize   size)
{
  memset (chunk, 0xff, size);
}

static void
chunk_u32_just_below (guint   index,
                      guint8 *chunk,
                      gsize   size)
{
  /* Records of max-length (1 MiB) exactly, one after the other. */
  static const guint8 header[] = { 0x00, 0x10, 0x00, 0x00 };
  guint64 period = 4 + 1024 * 1024;
  gsize i;

  for (i = 0; i < size; i++)
    {
      guint64 offset = ((guint64) index * size + i) % period;

      chunk[i] = offset < 4 ? header[offset] : 'b';
    }
}

static void
chunk_garbage (guint   index,
               guint8 *chunk,
               gsize   size)
{
  memset (chunk, 'g', size);
}

static void
chunk_random (guint   index,
              guint8 *chunk,
              gsize   size)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (index);
  gsize i;

  for (i = 0; i < size; i++)
    chunk[i] = "0123456789\0:,"[g_rand_int_range (rand, 0, 13)];
}

/* Feeds @n_chunks chunks of @chunk_size bytes made by @func, draining
 * after each; at several points, a fresh filter stopped there must hold at
 * most @bound bytes, and no chunk may be kept referenced by an idle
 * filter.
 */
static void
check_bounded (TcpcFilter *prototype,
               ChunkFunc   func,
               guint       n_chunks,
               gsize       chunk_size,
               gsize       bound)
{
  static const guint stops[] = { 1, 2, 3, 17, 64, 257, 258, 1000 };
  g_autofree guint8 *data = g_malloc (chunk_size);
  guint s;

  for (s = 0; s < G_N_ELEMENTS (stops) && stops[s] <= n_chunks; s++)
    {
      g_autoptr(TcpcFilter) filter = tcpc_filter_clone (prototype);
      g_autoptr(GBytes) pending = NULL;
      guint freed = 0;
      guint i;

      for (i = 0; i < stops[s]; i++)
        {
          g_autoptr(GError) error = NULL;
          GBytes *chunk;

          func (i, data, chunk_size);
          chunk = counted_chunk_new (data, chunk_size, &freed);
          if (!tcpc_filter_feed (filter, chunk, &error))
            {
              g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_MALFORMED);
              g_bytes_unref (chunk);
              continue;
            }
          g_bytes_unref (chunk);
          drain (filter, NULL);
          g_assert_cmpuint (freed, ==, i + 1);
        }

      pending = tcpc_filter_take_pending (filter);
      if (pending != NULL)
        g_assert_cmpuint (g_bytes_get_size (pending), <=, bound);
    }
}

static void
test_bounded_memory (void)
{
  g_autoptr(TcpcFilter) ascii = TCPC_FILTER (tcpc_block_filter_new ());
  g_autoptr(TcpcFilter) ascii_small = block_filter ("max-length", 100, NULL);
  g_autoptr(TcpcFilter) u64 = TCPC_FILTER (tcpc_block_filter_new_length_prefixed (TCPC_LENGTH_CODEC_UINT64_BE));
  g_autoptr(TcpcFilter) u32 = TCPC_FILTER (tcpc_block_filter_new_length_prefixed (TCPC_LENGTH_CODEC_UINT32_BE));
  g_autoptr(TcpcFilter) netstring = TCPC_FILTER (tcpc_netstring_filter_new ());
  g_autoptr(TcpcFilter) netstring_small = netstring_filter (100);
  g_autoptr(TcpcFilter) fixed = TCPC_FILTER (tcpc_block_filter_new_fixed (1000));
  g_autoptr(TcpcFilter) stack = stack_of (block_filter ("max-length", 100, NULL),
                                          TCPC_FILTER (tcpc_line_filter_new_literal ("\n")), NULL);
  gsize mib = 1024 * 1024;

  /* Endless digits, a huge ASCII length, 2^64 - 1, garbage, noise. */
  check_bounded (ascii, chunk_digits, 256, 4096, 0);
  check_bounded (ascii, chunk_ascii_header_then_zeros, 256, 4096, 0);
  check_bounded (ascii, chunk_garbage, 256, 4096, 0);
  check_bounded (ascii_small, chunk_random, 300, 4096, 100 + 21);
  check_bounded (u64, chunk_u64_max, 256, 4096, 0);
  check_bounded (u32, chunk_u32_just_below, 1000, 4096, mib + 4);
  check_bounded (netstring, chunk_digits, 256, 4096, 0);
  check_bounded (netstring, chunk_netstring_huge, 256, 4096, 0);
  check_bounded (netstring_small, chunk_random, 300, 4096, 100 + 5);
  check_bounded (fixed, chunk_random, 300, 4096, 999);
  check_bounded (stack, chunk_random, 300, 4096, 100 + 21);
}

static void
ignore_log_cb (const char     *log_domain,
               GLogLevelFlags  log_level,
               const char     *message,
               gpointer        user_data)
{
}

int
main (int   argc,
      char *argv[])
{
  guint i;

  g_test_init (&argc, &argv, NULL);

  /* The hostile inputs below make the block filter log thousands of debug
   * messages about dropped garbage.
   */
  g_log_set_handler ("Tcpc", G_LOG_LEVEL_DEBUG, ignore_log_cb, NULL);

  g_test_add_func ("/Tcpc/StreamFilter/poe", test_stream_poe);
  g_test_add_func ("/Tcpc/StreamFilter/zero-copy", test_stream_zero_copy);
  g_test_add_func ("/Tcpc/StreamFilter/chunks", test_stream_chunks);
  g_test_add_func ("/Tcpc/StreamFilter/clone", test_stream_clone);

  g_test_add_func ("/Tcpc/BlockFilter/fixed/poe", test_block_fixed_poe);
  g_test_add_func ("/Tcpc/BlockFilter/fixed/zero-copy", test_block_fixed_zero_copy);
  g_test_add_func ("/Tcpc/BlockFilter/fixed/invariance", test_block_fixed_invariance);
  g_test_add_func ("/Tcpc/BlockFilter/ascii/poe", test_block_ascii_poe);
  g_test_add_func ("/Tcpc/BlockFilter/ascii/malformed", test_block_ascii_malformed);
  g_test_add_func ("/Tcpc/BlockFilter/ascii/too-long", test_block_ascii_too_long);
  g_test_add_func ("/Tcpc/BlockFilter/ascii/leading-zeros", test_block_ascii_leading_zeros);
  for (i = 0; i < G_N_ELEMENTS (codec_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/Tcpc/BlockFilter/binary/%s", codec_cases[i].name);

      g_test_add_data_func (path, &codec_cases[i], test_block_binary_codec);
    }
  g_test_add_func ("/Tcpc/BlockFilter/binary/hostile", test_block_binary_hostile);
  g_test_add_func ("/Tcpc/BlockFilter/encode/too-long", test_block_encode_too_long);
  g_test_add_func ("/Tcpc/BlockFilter/round-trip", test_block_round_trip);
  g_test_add_func ("/Tcpc/BlockFilter/hostile-invariance", test_block_hostile_invariance);
  g_test_add_func ("/Tcpc/BlockFilter/properties", test_block_properties);

  g_test_add_func ("/Tcpc/NetstringFilter/basic", test_netstring_basic);
  g_test_add_func ("/Tcpc/NetstringFilter/zero-copy", test_netstring_zero_copy);
  g_test_add_func ("/Tcpc/NetstringFilter/malformed", test_netstring_malformed);
  g_test_add_func ("/Tcpc/NetstringFilter/too-long", test_netstring_too_long);
  g_test_add_func ("/Tcpc/NetstringFilter/round-trip", test_netstring_round_trip);
  g_test_add_func ("/Tcpc/NetstringFilter/hostile-invariance", test_netstring_hostile_invariance);
  g_test_add_func ("/Tcpc/NetstringFilter/properties", test_netstring_properties);

  g_test_add_func ("/Tcpc/MapFilter/poe", test_map_poe);
  g_test_add_func ("/Tcpc/MapFilter/functions", test_map_functions);

  g_test_add_func ("/Tcpc/StackableFilter/poe", test_stackable_poe);
  g_test_add_func ("/Tcpc/StackableFilter/pending", test_stackable_pending);
  g_test_add_func ("/Tcpc/StackableFilter/empty", test_stackable_empty);
  g_test_add_func ("/Tcpc/StackableFilter/empty-records", test_stackable_empty_records);
  g_test_add_func ("/Tcpc/StackableFilter/clone", test_stackable_clone);
  g_test_add_func ("/Tcpc/StackableFilter/nested-invariance", test_stackable_nested_invariance);
  g_test_add_func ("/Tcpc/StackableFilter/bad-member", test_stackable_bad_member);
  g_test_add_func ("/Tcpc/StackableFilter/settings-check", test_stackable_settings_check);

  for (i = 0; i < G_N_ELEMENTS (invalid_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/Tcpc/Filters/invalid/%s", invalid_cases[i].name);

      g_test_add_data_func (path, &invalid_cases[i], test_invalid);
    }
  g_test_add_func ("/Tcpc/Filters/programmer-errors", test_programmer_errors);
  g_test_add_func ("/Tcpc/Filters/clone", test_clone_settings);
  g_test_add_func ("/Tcpc/Filters/bounded-memory", test_bounded_memory);

  return g_test_run ();
}
