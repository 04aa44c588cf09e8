/* fuzz-common.c: helpers shared by the libFuzzer targets of tests/fuzz/
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fuzz-common.h"

#include <stdio.h>
#include <string.h>

void
fuzz_fail (const char *file,
           int         line,
           const char *format,
           ...)
{
  va_list args;

  fprintf (stderr, "FUZZ INVARIANT BROKEN at %s:%d: ", file, line);
  va_start (args, format);
  vfprintf (stderr, format, args);
  va_end (args);
  fputc ('\n', stderr);
  fflush (stderr);
  abort ();
}

static int
compare_gsize (const void *a,
               const void *b)
{
  gsize x = *(const gsize *) a;
  gsize y = *(const gsize *) b;

  return x < y ? -1 : x > y;
}

void
fuzz_input_parse (FuzzInput    *in,
                  const guint8 *data,
                  gsize         size)
{
  gsize pos = 0;
  guint n_cuts;
  guint16 raw[FUZZ_MAX_CUTS];
  guint i;

  memset (in, 0, sizeof *in);

#define NEXT() (pos < size ? data[pos++] : 0)
  in->mode = NEXT ();
  in->max_sel = NEXT ();
  in->flags = NEXT ();
  n_cuts = NEXT () % (FUZZ_MAX_CUTS + 1);
  for (i = 0; i < n_cuts; i++)
    {
      guint lo = NEXT ();
      guint hi = NEXT ();

      raw[i] = lo | (hi << 8);
    }
#undef NEXT

  in->payload = data + pos;
  in->len = size - pos;
  in->n_cuts = n_cuts;
  for (i = 0; i < n_cuts; i++)
    in->cuts[i] = raw[i] % (in->len + 1);
  qsort (in->cuts, n_cuts, sizeof (gsize), compare_gsize);
}

guint
fuzz_max_length (guint8 sel,
                 guint  dflt)
{
  return sel == 0 ? dflt : sel;
}

static void
outcome_clear (gpointer data)
{
  FuzzOutcome *outcome = data;

  g_clear_pointer (&outcome->record, g_bytes_unref);
}

void
fuzz_parse_clear (FuzzParse *parse)
{
  g_clear_pointer (&parse->outcomes, g_array_unref);
  g_clear_pointer (&parse->pending, g_bytes_unref);
}

static void
drain (TcpcFilter *filter,
       GArray     *outcomes)
{
  guint rounds;

  for (rounds = 0; ; rounds++)
    {
      GError *error = NULL;
      GBytes *record = tcpc_filter_next_record (filter, &error);
      FuzzOutcome outcome = { NULL, -1 };

      /* a filter must make progress: no endless stream of errors */
      FUZZ_CHECK_MSG (rounds < 1000000, "next_record() never returns NULL");

      if (record == NULL && error == NULL)
        return;

      if (record == NULL)
        {
          FUZZ_CHECK_MSG (error->domain == TCPC_FILTER_ERROR,
                          "next_record() error outside TCPC_FILTER_ERROR: %s",
                          error->message);
          FUZZ_CHECK_MSG (error->message != NULL && error->message[0] != '\0',
                          "an error without a message");
          outcome.code = error->code;
          g_error_free (error);
        }
      else
        FUZZ_CHECK_MSG (error == NULL, "a record and an error at once");

      outcome.record = record;
      g_array_append_val (outcomes, outcome);
    }
}

void
fuzz_parse (TcpcFilter   *filter,
            const guint8 *data,
            gsize         len,
            const gsize  *cuts,
            guint         n_cuts,
            gboolean      lazy,
            guint8        lazy_bits,
            FuzzParse    *out)
{
  gsize start = 0;
  guint i;

  memset (out, 0, sizeof *out);
  out->outcomes = g_array_new (FALSE, TRUE, sizeof (FuzzOutcome));
  g_array_set_clear_func (out->outcomes, outcome_clear);

  for (i = 0; i <= n_cuts; i++)
    {
      gsize end = i < n_cuts ? cuts[i] : len;
      GBytes *chunk = g_bytes_new (FUZZ_AT (data, start), end - start);
      GError *error = NULL;
      gboolean ok;

      start = end;
      ok = tcpc_filter_feed (filter, chunk, &error);
      g_bytes_unref (chunk);
      if (!ok)
        {
          FUZZ_CHECK_MSG (error != NULL, "feed() failed without an error");
          FUZZ_CHECK_MSG (g_error_matches (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_MALFORMED) ||
                          g_error_matches (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS),
                          "feed() failed with an unexpected error: %s", error->message);
          g_error_free (error);
          out->refused = TRUE;
          break;
        }
      FUZZ_CHECK_MSG (error == NULL, "feed() succeeded and set an error");

      if (lazy && i < n_cuts && (lazy_bits & (1u << (i % 8))) == 0)
        continue;

      drain (filter, out->outcomes);
    }

  drain (filter, out->outcomes);
  out->pending = tcpc_filter_take_pending (filter);
  if (out->pending != NULL)
    FUZZ_CHECK_MSG (g_bytes_get_size (out->pending) > 0,
                    "take_pending() returned an empty GBytes instead of NULL");
}

void
fuzz_check_bound (TcpcFilter      *prototype,
                  const FuzzInput *in,
                  guint            stop,
                  gsize            bound,
                  const char      *what)
{
  TcpcFilter *filter = tcpc_filter_clone (prototype);
  GArray *outcomes = g_array_new (FALSE, TRUE, sizeof (FuzzOutcome));
  gsize start = 0, chunk_len = 0;
  GBytes *pending;
  guint i;

  g_array_set_clear_func (outcomes, outcome_clear);
  for (i = 0; i <= MIN (stop, in->n_cuts); i++)
    {
      gsize end = i < in->n_cuts ? in->cuts[i] : in->len;
      GBytes *chunk = g_bytes_new (FUZZ_AT (in->payload, start), end - start);
      gboolean ok;

      chunk_len = end - start;
      start = end;
      ok = tcpc_filter_feed (filter, chunk, NULL);
      g_bytes_unref (chunk);
      if (!ok)
        break;
      drain (filter, outcomes);
    }

  pending = tcpc_filter_take_pending (filter);
  if (pending != NULL)
    FUZZ_CHECK_MSG (g_bytes_get_size (pending) <= bound + chunk_len,
                    "%s: %" G_GSIZE_FORMAT " bytes pending after chunk %u, "
                    "more than the bound %" G_GSIZE_FORMAT " + the chunk's %"
                    G_GSIZE_FORMAT, what, g_bytes_get_size (pending), i,
                    bound, chunk_len);

  g_clear_pointer (&pending, g_bytes_unref);
  g_array_unref (outcomes);
  g_object_unref (filter);
}

static void
describe_bytes (GString *str,
                GBytes  *bytes)
{
  gsize len, i;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  g_string_append_c (str, '"');
  for (i = 0; i < len && i < 64; i++)
    {
      if (data[i] >= 0x20 && data[i] < 0x7f && data[i] != '\\' && data[i] != '"')
        g_string_append_c (str, data[i]);
      else
        g_string_append_printf (str, "\\x%02x", data[i]);
    }
  if (len > 64)
    g_string_append_printf (str, "...(%" G_GSIZE_FORMAT " bytes)", len);
  g_string_append_c (str, '"');
}

char *
fuzz_describe (const FuzzParse *parse)
{
  GString *str = g_string_new ("[");
  guint i;

  for (i = 0; i < parse->outcomes->len; i++)
    {
      FuzzOutcome *o = &g_array_index (parse->outcomes, FuzzOutcome, i);

      if (i > 0)
        g_string_append (str, ", ");
      if (o->record != NULL)
        describe_bytes (str, o->record);
      else
        g_string_append_printf (str, "error %d", o->code);
    }
  g_string_append (str, "] pending ");
  if (parse->pending != NULL)
    describe_bytes (str, parse->pending);
  else
    g_string_append (str, "none");
  if (parse->refused)
    g_string_append (str, " (feed refused)");
  return g_string_free (str, FALSE);
}

void
fuzz_assert_same (const FuzzParse *expected,
                  const FuzzParse *actual,
                  const char      *what)
{
  gboolean same = expected->outcomes->len == actual->outcomes->len;
  guint i;

  for (i = 0; same && i < expected->outcomes->len; i++)
    {
      FuzzOutcome *e = &g_array_index (expected->outcomes, FuzzOutcome, i);
      FuzzOutcome *a = &g_array_index (actual->outcomes, FuzzOutcome, i);

      if (e->record == NULL)
        same = a->record == NULL && a->code == e->code;
      else
        same = a->record != NULL && g_bytes_equal (e->record, a->record);
    }

  if (same)
    {
      if (expected->pending == NULL || actual->pending == NULL)
        same = expected->pending == actual->pending;
      else
        same = g_bytes_equal (expected->pending, actual->pending);
    }

  if (!same)
    {
      char *e = fuzz_describe (expected);
      char *a = fuzz_describe (actual);

      fuzz_fail (__FILE__, __LINE__, "%s: expected %s, got %s", what, e, a);
    }
}

void
fuzz_check_filter (TcpcFilter      *prototype,
                   const FuzzInput *in,
                   gboolean         invariant,
                   gsize            bound)
{
  FuzzParse whole, cut, lazy;
  TcpcFilter *filter;

  filter = tcpc_filter_clone (prototype);
  fuzz_parse (filter, in->payload, in->len, NULL, 0, FALSE, 0, &whole);
  g_object_unref (filter);

  filter = tcpc_filter_clone (prototype);
  fuzz_parse (filter, in->payload, in->len, in->cuts, in->n_cuts, FALSE, 0, &cut);
  g_object_unref (filter);

  filter = tcpc_filter_clone (prototype);
  fuzz_parse (filter, in->payload, in->len, in->cuts, in->n_cuts, TRUE,
              in->flags, &lazy);
  g_object_unref (filter);

  if (invariant)
    {
      fuzz_assert_same (&whole, &cut, "cut input, drained after every chunk");
      fuzz_assert_same (&whole, &lazy, "cut input, drained now and then");
    }

  /* bounded buffering: at a stop chosen by the input, and at the end */
  fuzz_check_bound (prototype, in, (in->flags >> 3) % (in->n_cuts + 1), bound,
                    "bound");
  fuzz_check_bound (prototype, in, in->n_cuts, bound, "bound at the end");

  fuzz_parse_clear (&whole);
  fuzz_parse_clear (&cut);
  fuzz_parse_clear (&lazy);
}

GPtrArray *
fuzz_records_from_cuts (const FuzzInput *in)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gsize start = 0;
  guint i;

  for (i = 0; i <= in->n_cuts; i++)
    {
      gsize end = i < in->n_cuts ? in->cuts[i] : in->len;

      g_ptr_array_add (records, g_bytes_new (FUZZ_AT (in->payload, start), end - start));
      start = end;
    }

  return records;
}

void
fuzz_check_round_trip (TcpcFilter        *prototype,
                       const FuzzInput   *in,
                       FuzzEncodableFunc  encodable,
                       gpointer           user_data,
                       guint              max_length)
{
  GPtrArray *records = fuzz_records_from_cuts (in);
  TcpcFilter *encoder = tcpc_filter_clone (prototype);
  GByteArray *wire = g_byte_array_new ();
  GArray *wire_cuts = g_array_new (FALSE, FALSE, sizeof (gsize));
  FuzzParse expected = { 0 };
  FuzzParse whole, cut;
  TcpcFilter *filter;
  guint i;

  expected.outcomes = g_array_new (FALSE, TRUE, sizeof (FuzzOutcome));
  g_array_set_clear_func (expected.outcomes, outcome_clear);

  for (i = 0; i < records->len; i++)
    {
      GBytes *record = records->pdata[i];
      GError *error = NULL;
      GBytes *encoded;
      FuzzOutcome outcome = { NULL, -1 };

      if (encodable != NULL && !encodable (record, user_data))
        continue;

      encoded = tcpc_filter_encode (encoder, record, &error);
      if (encoded == NULL && error == NULL)
        continue;   /* dropped on output (a map function) */
      if (encoded == NULL)
        {
          /* only a record the framing cannot express may be refused */
          FUZZ_CHECK_MSG (g_error_matches (error, TCPC_FILTER_ERROR,
                                           TCPC_FILTER_ERROR_RECORD_TOO_LONG),
                          "encode() failed: %s",
                          error != NULL ? error->message : "(no error)");
          g_error_free (error);
          continue;
        }

      g_byte_array_append (wire, g_bytes_get_data (encoded, NULL),
                           g_bytes_get_size (encoded));
      /* cut in the middle of every other record's wire form */
      if (i % 2 == 1)
        {
          gsize mid = wire->len - g_bytes_get_size (encoded) / 2;

          g_array_append_val (wire_cuts, mid);
        }
      g_bytes_unref (encoded);

      if (g_bytes_get_size (record) > max_length)
        outcome.code = TCPC_FILTER_ERROR_RECORD_TOO_LONG;
      else
        outcome.record = g_bytes_ref (record);
      g_array_append_val (expected.outcomes, outcome);
    }

  filter = tcpc_filter_clone (prototype);
  fuzz_parse (filter, wire->data, wire->len, NULL, 0, FALSE, 0, &whole);
  g_object_unref (filter);
  fuzz_assert_same (&expected, &whole, "round trip");

  filter = tcpc_filter_clone (prototype);
  fuzz_parse (filter, wire->data, wire->len, (gsize *) (gpointer) wire_cuts->data,
              wire_cuts->len, FALSE, 0, &cut);
  g_object_unref (filter);
  fuzz_assert_same (&expected, &cut, "round trip, cut");

  fuzz_parse_clear (&expected);
  fuzz_parse_clear (&whole);
  fuzz_parse_clear (&cut);
  g_array_unref (wire_cuts);
  g_byte_array_unref (wire);
  g_object_unref (encoder);
  g_ptr_array_unref (records);
}
