/* test-hostile.c: hostile input through a real client connection (issue 7)
 *
 * Oversized lines and length headers (up to 2^64 - 1), malformed frames,
 * invalid UTF-8, NUL bytes, \r at every chunk boundary and empty records,
 * sent by a loopback server to a connected TcpcClient: clear errors
 * (server-error "read" in TCPC_FILTER_ERROR), the connection closed per
 * shutdown-on-error, bytes delivered exactly, and bounded memory while a
 * server streams 200 MiB of hostile input (RSS measured and printed).
 *
 * TCPC_TEST_QUICK=1 streams 16 MiB instead (valgrind, sanitizers, --repeat).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <gio/gio.h>
#include <tcpclient.h>

#include "tcpc-test-server.h"
#include "tcpc-fault-util.h"

#if defined(__SANITIZE_ADDRESS__)
# define TEST_ASAN 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define TEST_ASAN 1
# endif
#endif

#define WAIT_MS       10000
#define WAIT_LONG_MS 180000
#define MIB (1024 * 1024)


#define FIGURE(...)                                                          \
  G_STMT_START {                                                             \
    g_autofree char *_msg = g_strdup_printf (__VA_ARGS__);                   \
    g_test_message ("FIGURE %s", _msg);                                      \
  } G_STMT_END

static const char *too_long_event = "server-error:read:filter:record-too-long";
static const char *malformed_event = "server-error:read:filter:malformed";

/* ------------------------------------------------------------------------ */
/* Generated hostile streams                                                 */
/* ------------------------------------------------------------------------ */

typedef struct
{
  const guint8 *header;      /* sent first */
  gsize         header_len;
  guint8        fill;        /* then this byte ... */
  gboolean      random;      /* ... or random bytes (fill as the seed) */
  guint64       body_len;    /* ... for this many bytes */
  const char   *trailer;     /* then this, NUL-terminated */
} Hostile;

static gsize
hostile_gen (guint8  *buf,
             gsize    max,
             guint64  offset,
             gpointer user_data)
{
  const Hostile *h = user_data;
  guint64 body_end = h->header_len + h->body_len;
  guint64 total = body_end + (h->trailer != NULL ? strlen (h->trailer) : 0);
  gsize n = 0;

  while (n < max && offset + n < total)
    {
      guint64 at = offset + n;

      if (at < h->header_len)
        buf[n++] = h->header[at];
      else if (at < body_end)
        {
          gsize run = MIN (max - n, body_end - at);

          if (h->random)
            {
              /* cheap xorshift, keyed by the position */
              guint64 x = (at / 8 + 1) * 0x9E3779B97F4A7C15ull ^ h->fill;
              gsize i;

              for (i = 0; i < run; i++)
                {
                  x ^= x << 13;
                  x ^= x >> 7;
                  x ^= x << 17;
                  buf[n + i] = (guint8) x;
                }
            }
          else
            memset (buf + n, h->fill, run);
          n += run;
        }
      else
        {
          buf[n] = h->trailer[at - body_end];
          n++;
        }
    }
  return n;
}

static guint64
stream_size (void)
{
  return tcpc_fault_scale (200 * MIB, 16 * MIB);
}

/* ------------------------------------------------------------------------ */
/* Oversized and malformed frames: an error, then the connection closes      */
/* ------------------------------------------------------------------------ */

typedef struct
{
  const char   *name;
  TcpcFilter *(*make) (void);
  const guint8 *header;
  gsize         header_len;
  const char   *event;
} FrameCase;

static TcpcFilter *make_line (void) { return TCPC_FILTER (tcpc_line_filter_new ()); }
static TcpcFilter *make_ascii (void) { return TCPC_FILTER (tcpc_block_filter_new ()); }
static TcpcFilter *make_u32 (void) { return TCPC_FILTER (tcpc_block_filter_new_length_prefixed (TCPC_LENGTH_CODEC_UINT32_BE)); }
static TcpcFilter *make_u64be (void) { return TCPC_FILTER (tcpc_block_filter_new_length_prefixed (TCPC_LENGTH_CODEC_UINT64_BE)); }
static TcpcFilter *make_u64le (void) { return TCPC_FILTER (tcpc_block_filter_new_length_prefixed (TCPC_LENGTH_CODEC_UINT64_LE)); }
static TcpcFilter *make_netstring (void) { return TCPC_FILTER (tcpc_netstring_filter_new ()); }

static const guint8 u64_max[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const guint8 u32_max[] = { 0xff, 0xff, 0xff, 0xff };
static const guint8 ascii_huge[] = "99999999999999999999\0";
static const guint8 ascii_bad[] = "12x";
static const guint8 netstring_huge[] = "18446744073709551615:";
static const guint8 netstring_bad[] = "5:hello;";
static const guint8 netstring_zero[] = "05:hello,";

static const FrameCase frame_cases[] = {
  { "line-oversized", make_line, NULL, 0, NULL /* too long */ },
  { "block-ascii-huge-header", make_ascii, ascii_huge, sizeof ascii_huge - 1, NULL },
  { "block-uint32-max", make_u32, u32_max, sizeof u32_max, NULL },
  { "block-uint64-be-max", make_u64be, u64_max, sizeof u64_max, NULL },
  { "block-uint64-le-max", make_u64le, u64_max, sizeof u64_max, NULL },
  { "netstring-huge-length", make_netstring, netstring_huge, sizeof netstring_huge - 1, NULL },
  { "block-ascii-malformed", make_ascii, ascii_bad, sizeof ascii_bad - 1, "malformed" },
  { "netstring-malformed", make_netstring, netstring_bad, sizeof netstring_bad - 1, "malformed" },
  { "netstring-leading-zero", make_netstring, netstring_zero, sizeof netstring_zero - 1, "malformed" },
};

static void
test_frame_closes (gconstpointer data)
{
  const FrameCase *c = data;
  Hostile hostile = { c->header, c->header_len, 'a', FALSE, stream_size (), NULL };
  TcpcFaultFeeder *feeder = tcpc_fault_feeder_new (hostile_gen, &hostile);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", feeder->port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(TcpcFilter) filter = c->make ();
  const char *event = c->event != NULL ? malformed_event : too_long_event;

  tcpc_client_set_filter (client, filter);
  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "disconnected"), WAIT_LONG_MS);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  TCPC_TEST_WAIT (feeder->finished, WAIT_LONG_MS);

  tcpc_test_assert_events (rec, "started", "connected", event, "disconnected");
  g_assert_cmpstr (rec->last_operation, ==, "read");
  g_assert_true (rec->last_error->message != NULL && rec->last_error->message[0] != '\0');
  /* closed by the client long before the end of the stream */
  g_assert_true (feeder->peer_gone || feeder->peer_eof);
  g_assert_cmpuint (feeder->sent, <, stream_size ());
  FIGURE ("%s: \"%s\" after %" G_GUINT64_FORMAT " bytes received, connection "
          "closed (the server could send %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
          " bytes)", c->name, rec->last_error->message,
          tcpc_client_get_bytes_received (client), feeder->sent, stream_size ());

  tcpc_test_recorder_free (rec);
  g_assert_finalize_object (client);
  tcpc_fault_feeder_free (feeder);
}

/* ------------------------------------------------------------------------ */
/* 200 MiB of hostile input, shutdown-on-error FALSE: bounded memory         */
/* ------------------------------------------------------------------------ */

typedef struct
{
  const char   *name;
  TcpcFilter *(*make) (void);
  Hostile       hostile;
  const char   *final_event;     /* a record that must still arrive, or NULL */
  guint         min_errors;
} FloodCase;

static TcpcFilter *
make_line_small (void)
{
  TcpcLineFilter *f = tcpc_line_filter_new ();

  tcpc_line_filter_set_max_length (f, 1024);
  return TCPC_FILTER (f);
}

static const FloodCase flood_cases[] = {
  /* 200 MiB without a terminator, then a line: one error, then the line */
  { "line-no-terminator", make_line, { NULL, 0, 'a', FALSE, 0, "\nafter the flood\n" },
    "input:after the flood", 1 },
  /* a header of 2^64 - 1, then 200 MiB: the rest of the stream is dropped */
  { "block-uint64-max", make_u64be, { u64_max, sizeof u64_max, 'b', FALSE, 0, NULL },
    NULL, 1 },
  /* random bytes against 1 KiB lines: lines come and go, long ones fail */
  { "line-random", make_line_small, { NULL, 0, 0x5a, TRUE, 0, "\nafter the noise\n" },
    "input:after the noise", 1 },
};

typedef struct
{
  guint   errors;
  guint64 records;
  guint64 record_bytes;
  guint   disconnected;
  guint   other;           /* started, connected */
} FloodCounts;

static void
flood_error_cb (TcpcClient   *c,
                const char   *op,
                const GError *e,
                FloodCounts  *n)
{
  if (n->errors++ < 3)
    g_test_message ("server-error %s: %s", op, e->message);
  g_assert_cmpstr (op, ==, "read");
  g_assert_true (e->domain == TCPC_FILTER_ERROR);
}

static void flood_disconnected_cb (TcpcClient *c, FloodCounts *n) { n->disconnected++; }
static void flood_started_cb (TcpcClient *c, FloodCounts *n) { n->other++; }
static void flood_connected_cb (TcpcClient *c, GIOStream *s, GSocketAddress *a, FloodCounts *n) { n->other++; }
static void
flood_input_cb (TcpcClient  *c,
                GBytes      *record,
                FloodCounts *n)
{
  n->records++;
  n->record_bytes += g_bytes_get_size (record);
}

static void
test_flood (gconstpointer data)
{
  const FloodCase *c = data;
  Hostile hostile = c->hostile;
  TcpcFaultFeeder *feeder;
  TcpcClient *client;
  g_autoptr(TcpcFilter) filter = c->make ();
  FloodCounts counts = { 0 };
  guint64 rss0, rss_peak, rss1, next_sample = 0;
  gint64 start;
  double seconds;

  hostile.body_len = stream_size ();
  feeder = tcpc_fault_feeder_new (hostile_gen, &hostile);
  client = tcpc_client_new ("127.0.0.1", feeder->port);
  tcpc_client_set_filter (client, filter);
  tcpc_client_set_shutdown_on_error (client, FALSE);
  /* counted, not recorded: a recorder would keep every record */
  g_signal_connect (client, "server-error", G_CALLBACK (flood_error_cb), &counts);
  g_signal_connect (client, "server-input", G_CALLBACK (flood_input_cb), &counts);
  g_signal_connect (client, "disconnected", G_CALLBACK (flood_disconnected_cb), &counts);
  g_signal_connect (client, "started", G_CALLBACK (flood_started_cb), &counts);
  g_signal_connect (client, "connected", G_CALLBACK (flood_connected_cb), &counts);

  tcpc_fault_settle (g_main_context_default (), 100);
  rss0 = rss_peak = tcpc_fault_rss ();
  start = g_get_monotonic_time ();
  tcpc_client_start (client);
  {
    TcpcTestDeadline *deadline = tcpc_test_deadline_new (WAIT_LONG_MS);

    while (!feeder->finished && !tcpc_test_deadline_expired (deadline))
      {
        tcpc_test_deadline_iterate (deadline);
        if (feeder->sent >= next_sample)
          {
            rss_peak = MAX (rss_peak, tcpc_fault_rss ());
            next_sample = feeder->sent + 4 * MIB;
          }
      }
    g_assert_false (tcpc_test_deadline_expired (deadline));
    tcpc_test_deadline_free (deadline);
  }
  /* the feeder closed after the client's end: the client saw it all */
  TCPC_TEST_WAIT (counts.disconnected > 0, WAIT_LONG_MS);
  seconds = tcpc_test_elapsed (start);
  rss_peak = MAX (rss_peak, tcpc_fault_rss ());
  rss1 = tcpc_fault_rss ();

  FIGURE ("flood %s: %" G_GUINT64_FORMAT " hostile bytes in %.2f s, %u errors, "
          "%" G_GUINT64_FORMAT " records (%" G_GUINT64_FORMAT " bytes); RSS before %"
          G_GUINT64_FORMAT " KiB, peak %" G_GUINT64_FORMAT " KiB (%+" G_GINT64_FORMAT
          " KiB), after %" G_GUINT64_FORMAT " KiB", c->name, feeder->sent, seconds,
          counts.errors, counts.records, counts.record_bytes, rss0 / 1024,
          rss_peak / 1024, (gint64) (rss_peak - rss0) / 1024, rss1 / 1024);

  g_assert_cmpuint (feeder->sent, ==, hostile.header_len + hostile.body_len +
                    (hostile.trailer != NULL ? strlen (hostile.trailer) : 0));
  g_assert_cmpuint (tcpc_client_get_bytes_received (client), ==, feeder->sent);
  g_assert_cmpuint (counts.errors, >=, c->min_errors);
  if (c->final_event != NULL)
    g_assert_cmpuint (counts.records, >=, 1);
  else
    g_assert_cmpuint (counts.records, ==, 0);
  g_assert_cmpuint (counts.disconnected, ==, 1);
  g_assert_cmpuint (counts.other, ==, 2);
#ifndef TEST_ASAN
  /* never the stream: at most a record (1 MiB) and a few read buffers */
  g_assert_cmpint ((gint64) (rss_peak - rss0), <, 32 * MIB);
#endif

  g_assert_finalize_object (client);
  tcpc_fault_feeder_free (feeder);
}

/* The record after the flood arrives: line-no-terminator's last line. */
static void
last_input_cb (TcpcClient *c,
               GBytes     *record,
               GBytes    **last)
{
  g_clear_pointer (last, g_bytes_unref);
  *last = g_bytes_ref (record);
}

static void
test_flood_recovers (void)
{
  Hostile hostile = { NULL, 0, 'a', FALSE, 4 * MIB, "\nafter the flood\n" };
  TcpcFaultFeeder *feeder = tcpc_fault_feeder_new (hostile_gen, &hostile);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", feeder->port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(GBytes) last = NULL;

  tcpc_client_set_shutdown_on_error (client, FALSE);
  g_signal_connect (client, "server-input", G_CALLBACK (last_input_cb), &last);
  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "disconnected"), WAIT_LONG_MS);
  /* one error for the 4 MiB line, then the next line, as it was sent */
  tcpc_test_assert_events (rec, "started", "connected", too_long_event,
                           "input:after the flood", "disconnected");
  g_assert_nonnull (last);
  g_assert_cmpmem (g_bytes_get_data (last, NULL), g_bytes_get_size (last),
                   "after the flood", 15);
  FIGURE ("a 4 MiB line: one error (\"%s\"), the next line delivered intact",
          rec->last_error->message);

  tcpc_test_recorder_free (rec);
  g_assert_finalize_object (client);
  tcpc_fault_feeder_free (feeder);
}

/* ------------------------------------------------------------------------ */
/* Exact bytes: NUL, invalid UTF-8, \r at chunk boundaries, empty records    */
/* ------------------------------------------------------------------------ */

/* The server sends @chunks (NULL-terminated, lengths in @lens) 30 ms apart,
 * then closes. The client's records must be the filter's records of the
 * whole stream (computed here with a clone), each event in order, and
 * equal to @expected (NULL-terminated event list). */
static void
run_exact (TcpcFilter        *filter,
           const char *const *chunks,
           const gsize       *lens,
           const char *const *expected)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", server->port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(TcpcFilter) whole = tcpc_filter_clone (filter);
  g_autoptr(GByteArray) all = g_byte_array_new ();
  g_autoptr(GBytes) all_bytes = NULL;
  g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func (g_free);
  guint i;

  for (i = 0; chunks[i] != NULL; i++)
    {
      tcpc_test_script_write (script, chunks[i], lens[i]);
      tcpc_test_script_wait (script, 30);
      g_byte_array_append (all, (const guint8 *) chunks[i], lens[i]);
    }
  tcpc_test_script_close (script);

  /* the same bytes fed whole to a clone */
  g_ptr_array_add (want, g_strdup ("started"));
  g_ptr_array_add (want, g_strdup ("connected"));
  all_bytes = g_bytes_new (all->data, all->len);
  g_assert_true (tcpc_filter_feed (whole, all_bytes, NULL));
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) record = tcpc_filter_next_record (whole, &error);
      GString *event;
      gsize len, j;
      const guint8 *data;

      g_assert_no_error (error);
      if (record == NULL)
        break;
      data = g_bytes_get_data (record, &len);
      event = g_string_new ("input:");
      for (j = 0; j < len; j++)
        if (data[j] >= 0x20 && data[j] < 0x7f && data[j] != '\\')
          g_string_append_c (event, data[j]);
        else
          g_string_append_printf (event, "\\x%02x", data[j]);
      g_ptr_array_add (want, g_string_free (event, FALSE));
    }
  g_ptr_array_add (want, g_strdup ("disconnected"));

  tcpc_client_set_filter (client, filter);
  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);

  /* as the whole stream, and as written down */
  g_assert_cmpuint (rec->events->len, ==, want->len);
  for (i = 0; i < want->len; i++)
    g_assert_cmpstr (rec->events->pdata[i], ==, want->pdata[i]);
  for (i = 0; expected[i] != NULL; i++)
    {
      g_assert_cmpuint (i + 2, <, rec->events->len);
      g_assert_cmpstr (rec->events->pdata[i + 2], ==, expected[i]);
    }
  g_assert_cmpuint (i + 3, ==, rec->events->len);

  tcpc_test_recorder_free (rec);
  g_assert_finalize_object (client);
  tcpc_test_server_free (server);
}

#define CHUNKS(...) ((const char *const[]) { __VA_ARGS__, NULL })
#define LENS(...) ((const gsize[]) { __VA_ARGS__ })
#define EXPECT(...) ((const char *const[]) { __VA_ARGS__, NULL })

static void
test_nul_and_invalid_utf8 (void)
{
  g_autoptr(TcpcFilter) line = make_line ();
  g_autoptr(TcpcFilter) netstring = make_netstring ();

  run_exact (line, CHUNKS ("\xff\xfe\0abc\0\n\xc3\x28\n", "\xed\xa0\x80\n\0\n"),
             LENS (11, 6),
             EXPECT ("input:\\xff\\xfe\\x00abc\\x00", "input:\\xc3(",
                     "input:\\xed\\xa0\\x80", "input:\\x00"));
  run_exact (netstring, CHUNKS ("3:\0\0\0,4:\xff\xc0\xc1\xf5,"), LENS (13),
             EXPECT ("input:\\x00\\x00\\x00", "input:\\xff\\xc0\\xc1\\xf5"));
  FIGURE ("NUL and invalid UTF-8: delivered byte for byte by the line and netstring filters");
}

static void
test_cr_at_chunk_boundaries (void)
{
  g_autoptr(TcpcFilter) line = make_line ();
  g_autoptr(TcpcFilter) crlf = TCPC_FILTER (tcpc_line_filter_new_literal ("\r\n"));
  g_autoptr(TcpcFilter) autodetect = make_line ();

  tcpc_line_filter_set_autodetect (TCPC_LINE_FILTER (autodetect), TRUE);

  /* every chunk ends with \r, the \n comes in the next read */
  run_exact (line, CHUNKS ("one\r", "\ntwo\r", "\nthree\r", "\n"), LENS (4, 5, 7, 1),
             EXPECT ("input:one", "input:two", "input:three"));
  run_exact (crlf, CHUNKS ("one\r", "\ntwo\r", "\nthree\r", "\n"), LENS (4, 5, 7, 1),
             EXPECT ("input:one", "input:two", "input:three"));
  run_exact (autodetect, CHUNKS ("one\r", "\ntwo\r", "\nthree\r", "\n"), LENS (4, 5, 7, 1),
             EXPECT ("input:one", "input:two", "input:three"));
  /* \r then \r: an empty line between */
  run_exact (line, CHUNKS ("a\r", "\rb\r", "\n"), LENS (2, 3, 1),
             EXPECT ("input:a", "input:", "input:b"));
  /* a lone \r at the very end still ends its line */
  run_exact (line, CHUNKS ("x\r"), LENS (2), EXPECT ("input:x"));
  FIGURE ("\\r at every chunk boundary: no empty record for a split \\r\\n, "
          "the same records as the stream fed whole");
}

static void
test_empty_records (void)
{
  g_autoptr(TcpcFilter) line = make_line ();
  g_autoptr(TcpcFilter) u32 = make_u32 ();
  g_autoptr(TcpcFilter) ascii = make_ascii ();
  g_autoptr(TcpcFilter) netstring = make_netstring ();

  run_exact (line, CHUNKS ("\r\n\r\n", "\n"), LENS (4, 1),
             EXPECT ("input:", "input:", "input:"));
  run_exact (u32, CHUNKS ("\0\0\0\0\0\0", "\0\0"), LENS (6, 2),
             EXPECT ("input:", "input:"));
  run_exact (ascii, CHUNKS ("0\0" "0", "\0"), LENS (3, 1), EXPECT ("input:", "input:"));
  run_exact (netstring, CHUNKS ("0:,0", ":,"), LENS (4, 2), EXPECT ("input:", "input:"));
  FIGURE ("empty records: delivered as empty GBytes by the line, block and netstring filters");
}

/* ------------------------------------------------------------------------ */

int
main (int   argc,
      char *argv[])
{
  guint i;

  g_test_init (&argc, &argv, NULL);

  for (i = 0; i < G_N_ELEMENTS (frame_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/Tcpc/Hostile/closes/%s", frame_cases[i].name);

      g_test_add_data_func (path, &frame_cases[i], test_frame_closes);
    }
  for (i = 0; i < G_N_ELEMENTS (flood_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/Tcpc/Hostile/flood/%s", flood_cases[i].name);

      g_test_add_data_func (path, &flood_cases[i], test_flood);
    }
  g_test_add_func ("/Tcpc/Hostile/flood-recovers", test_flood_recovers);
  g_test_add_func ("/Tcpc/Hostile/nul-and-invalid-utf8", test_nul_and_invalid_utf8);
  g_test_add_func ("/Tcpc/Hostile/cr-at-chunk-boundaries", test_cr_at_chunk_boundaries);
  g_test_add_func ("/Tcpc/Hostile/empty-records", test_empty_records);

  return g_test_run ();
}
