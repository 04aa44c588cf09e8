/* tcpc-bench-extra.c: the TcpcClient benchmarks beyond the client contract
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   tcpc-bench-extra MODE HOST PORT COUNT
 *
 *   idle           COUNT TcpcClients connected to one server and left idle;
 *                  reports the growth of the resident set per client
 *                           -> clients= rss_delta= bytes_per_client= seconds=
 *   idle-put       like idle, but each client first sends a request line
 *                  (REQUEST below) and is counted once it has been flushed:
 *                  what a client that has written keeps while idle
 *                           -> clients= rss_delta= bytes_per_client= seconds=
 *   put            one TcpcClient (line filter, "\n"), COUNT puts of a
 *                  63-byte record (64 bytes on the wire) in a row, timed
 *                  from the first put until flushed
 *                                  -> records= bytes= seconds= put_seconds=
 *   connect-noproxy  COUNT times connect, read one line, close, like
 *                  tcpc-bench-client connect but with TcpcClient:enable-proxy
 *                  FALSE (no proxy lookup per connection)
 *                                              -> connections= seconds=
 *   stream-filter  a TcpcClient with a TcpcStreamFilter; the handler counts
 *                  the lines of each chunk with memchr() until end of stream
 *                                              -> lines= bytes= seconds=
 *   stream-func    like tcpc-bench-client stream (TcpcLineFilter, "\n"),
 *                  with the records going to a function set with
 *                  tcpc_client_set_input_func() instead of server-input
 *                                              -> lines= bytes= seconds=
 *   emit-floor     no connection at all: COUNT emissions of server-input
 *                  on an unconnected client, each with a new 63-byte slice
 *                  of one 64 KiB GBytes, to a handler that counts; what a
 *                  record costs in GSignal and GBytes alone (HOST and PORT
 *                  are not used)                -> lines= bytes= seconds=
 *
 * The exit status is 0 when the count matches, 1 on failure and 2 for an
 * unsupported mode.
 */

#include <tcpclient.h>

#include "tcpc-bench-util.h"

#define PROGRAM "tcpc-bench-extra"

/* idle-put: a request of a typical size, as a client sends after connecting */
#define REQUEST "SUBSCRIBE tcpclient.benchmark.idle-clients since=0 format=line"

typedef struct
{
  GMainLoop  *loop;
  TcpcClient *client;
  guint64     count;
  guint64     lines;
  guint64     bytes;
  guint64     connected;
  guint64     target;    /* idle: quit once this many are connected */
  gboolean    idle_put;  /* idle-put: each client sends REQUEST first */
  gint64      put_start;
  double      put_seconds;
  double      flush_seconds;
  gboolean    failed;
} Bench;

static gboolean
timeout_cb (gpointer user_data)
{
  Bench *bench = user_data;

  g_printerr ("%s: timed out\n", PROGRAM);
  bench->failed = TRUE;
  g_main_loop_quit (bench->loop);
  return G_SOURCE_REMOVE;
}

static void
connect_error_cb (TcpcClient   *client,
                  const char   *operation,
                  const GError *error,
                  Bench        *bench)
{
  g_printerr ("%s: %s: %s\n", PROGRAM, operation, error->message);
  bench->failed = TRUE;
  g_main_loop_quit (bench->loop);
}

static void
server_error_cb (TcpcClient   *client,
                 const char   *operation,
                 const GError *error,
                 Bench        *bench)
{
  g_printerr ("%s: %s: %s\n", PROGRAM, operation, error->message);
  bench->failed = TRUE;
}

static void
disconnected_cb (TcpcClient *client,
                 Bench      *bench)
{
  g_main_loop_quit (bench->loop);
}

static void
watch (TcpcClient *client,
       Bench      *bench)
{
  g_signal_connect (client, "connect-error", G_CALLBACK (connect_error_cb), bench);
  g_signal_connect (client, "server-error", G_CALLBACK (server_error_cb), bench);
}

/* ------------------------------------------------------------------ */
/* idle: memory per connected client                                    */

static void
idle_count (Bench *bench)
{
  bench->connected++;
  if (bench->connected >= bench->target)
    g_main_loop_quit (bench->loop);
}

static void
idle_connected_cb (TcpcClient     *client,
                   GIOStream      *stream,
                   GSocketAddress *remote_address,
                   Bench          *bench)
{
  g_autoptr(GError) error = NULL;

  if (!bench->idle_put)
    idle_count (bench);
  else if (!tcpc_client_put_string (client, REQUEST, &error))
    {
      g_printerr ("%s: put: %s\n", PROGRAM, error->message);
      bench->failed = TRUE;
      g_main_loop_quit (bench->loop);
    }
}

/* idle-put: counted once, when the request has been written */
static void
idle_flushed_cb (TcpcClient *client,
                 Bench      *bench)
{
  g_signal_handlers_disconnect_by_func (client, idle_flushed_cb, bench);
  idle_count (bench);
}

static void
idle_disconnected_cb (TcpcClient *client,
                      Bench      *bench)
{
  g_printerr ("%s: an idle client was disconnected\n", PROGRAM);
  bench->failed = TRUE;
  g_main_loop_quit (bench->loop);
}

static void
drain_context (void)
{
  guint i;

  for (i = 0; i < 100000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* Starts clients[from..to) and runs the loop until they are connected. */
static gboolean
idle_open (Bench       *bench,
           TcpcClient **clients,
           const char  *host,
           guint16      port,
           guint64      from,
           guint64      to)
{
  guint64 i;

  for (i = from; i < to; i++)
    {
      clients[i] = tcpc_client_new (host, port);
      watch (clients[i], bench);
      g_signal_connect (clients[i], "connected", G_CALLBACK (idle_connected_cb), bench);
      g_signal_connect (clients[i], "disconnected", G_CALLBACK (idle_disconnected_cb), bench);
      if (bench->idle_put)
        g_signal_connect (clients[i], "flushed", G_CALLBACK (idle_flushed_cb), bench);
      tcpc_client_start (clients[i]);
    }

  bench->target = to;
  if (bench->connected < bench->target && !bench->failed)
    g_main_loop_run (bench->loop);

  return !bench->failed && bench->connected >= to;
}

static int
run_idle (Bench      *bench,
          const char *host,
          guint16     port)
{
  enum { WARM_UP = 16, BATCH = 256 };
  guint64 total = bench->count + WARM_UP;
  TcpcClient **clients = g_new0 (TcpcClient *, total);
  guint64 limit = tcpc_bench_raise_fd_limit ();
  guint64 opened;
  gsize rss_before, rss_after;
  gint64 start;
  double seconds;

  int status = 1;

  if (total + 64 > limit)
    {
      g_printerr ("%s: %" G_GUINT64_FORMAT " clients need more file descriptors than "
                  "RLIMIT_NOFILE allows (%" G_GUINT64_FORMAT ")\n", PROGRAM,
                  bench->count, limit);
      goto out;
    }

  /* Warm up: types, classes, the proxy resolver, the resolver's threads;
   * these clients stay connected. */
  if (!idle_open (bench, clients, host, port, 0, WARM_UP))
    goto out;
  drain_context ();

  rss_before = tcpc_bench_rss_bytes ();
  start = g_get_monotonic_time ();
  for (opened = WARM_UP; opened < total; )
    {
      guint64 to = MIN (opened + BATCH, total);

      if (!idle_open (bench, clients, host, port, opened, to))
        break;
      opened = to;
    }
  drain_context ();
  seconds = (g_get_monotonic_time () - start) / 1e6;
  rss_after = tcpc_bench_rss_bytes ();

  opened = bench->connected > WARM_UP ? bench->connected - WARM_UP : 0;
  g_print ("clients=%" G_GUINT64_FORMAT " rss_delta=%" G_GSIZE_FORMAT
           " bytes_per_client=%.0f seconds=%.6f\n",
           opened, rss_after - rss_before,
           opened > 0 ? (double) (rss_after - rss_before) / opened : 0.0, seconds);

  status = !bench->failed && opened == bench->count ? 0 : 1;

out:
  /* Dropping the last reference closes a client's connection at once. */
  for (opened = 0; opened < total; opened++)
    g_clear_object (&clients[opened]);
  g_free (clients);
  drain_context ();

  return status;
}

/* ------------------------------------------------------------------ */
/* put: output of many small records                                    */

static void
put_connected_cb (TcpcClient     *client,
                  GIOStream      *stream,
                  GSocketAddress *remote_address,
                  Bench          *bench)
{
  guint8 record[63];
  guint64 i;

  memset (record, 'p', sizeof record);

  bench->put_start = g_get_monotonic_time ();
  for (i = 0; i < bench->count; i++)
    {
      GError *error = NULL;

      if (!tcpc_client_put_data (client, record, sizeof record, &error))
        {
          g_printerr ("%s: put: %s\n", PROGRAM, error->message);
          g_error_free (error);
          bench->failed = TRUE;
          tcpc_client_shutdown (client);
          return;
        }
      bench->lines++;
      bench->bytes += sizeof record + 1;
    }
  bench->put_seconds = (g_get_monotonic_time () - bench->put_start) / 1e6;

  if (bench->count == 0)
    tcpc_client_shutdown (client);
}

static void
put_flushed_cb (TcpcClient *client,
                Bench      *bench)
{
  if (bench->flush_seconds == 0)
    bench->flush_seconds = (g_get_monotonic_time () - bench->put_start) / 1e6;
  tcpc_client_shutdown (client);
}

static int
run_put (Bench      *bench,
         const char *host,
         guint16     port)
{
  g_autoptr(TcpcLineFilter) filter = tcpc_line_filter_new_literal ("\n");

  bench->client = tcpc_client_new (host, port);
  tcpc_client_set_filter (bench->client, TCPC_FILTER (filter));
  watch (bench->client, bench);
  g_signal_connect (bench->client, "connected", G_CALLBACK (put_connected_cb), bench);
  g_signal_connect (bench->client, "flushed", G_CALLBACK (put_flushed_cb), bench);
  g_signal_connect (bench->client, "disconnected", G_CALLBACK (disconnected_cb), bench);

  tcpc_client_start (bench->client);
  g_main_loop_run (bench->loop);

  g_print ("records=%" G_GUINT64_FORMAT " bytes=%" G_GUINT64_FORMAT
           " seconds=%.6f put_seconds=%.6f\n",
           bench->lines, bench->bytes, bench->flush_seconds, bench->put_seconds);
  g_object_unref (bench->client);

  return !bench->failed && bench->lines == bench->count &&
         (bench->flush_seconds > 0 || bench->count == 0) ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* connect-noproxy: connection rate without the proxy lookup            */

static void
connect_input_cb (TcpcClient *client,
                  GBytes     *record,
                  Bench      *bench)
{
  bench->connected++;
  if (bench->connected < bench->count)
    tcpc_client_reconnect (client);
  else
    tcpc_client_shutdown (client);
}

static int
run_connect_noproxy (Bench      *bench,
                     const char *host,
                     guint16     port)
{
  g_autoptr(TcpcLineFilter) filter = tcpc_line_filter_new_literal ("\n");
  gint64 start;
  double seconds;

  start = g_get_monotonic_time ();
  bench->client = tcpc_client_new (host, port);
  g_object_set (bench->client, "enable-proxy", FALSE, NULL);
  tcpc_client_set_filter (bench->client, TCPC_FILTER (filter));
  watch (bench->client, bench);
  g_signal_connect (bench->client, "server-input", G_CALLBACK (connect_input_cb), bench);
  g_signal_connect (bench->client, "disconnected", G_CALLBACK (disconnected_cb), bench);

  if (bench->count > 0)
    {
      tcpc_client_start (bench->client);
      g_main_loop_run (bench->loop);
    }
  seconds = (g_get_monotonic_time () - start) / 1e6;

  g_print ("connections=%" G_GUINT64_FORMAT " seconds=%.6f\n", bench->connected, seconds);
  g_object_unref (bench->client);

  return !bench->failed && bench->connected == bench->count ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* the line-counting modes                                              */

/* bench->client, for a stream until the server closes */
static void
lines_client_new (Bench      *bench,
                  const char *host,
                  guint16     port,
                  TcpcFilter *filter)
{
  bench->client = tcpc_client_new (host, port);
  tcpc_client_set_filter (bench->client, filter);
  watch (bench->client, bench);
  g_signal_connect (bench->client, "disconnected", G_CALLBACK (disconnected_cb), bench);
}

/* Runs bench->client until it is disconnected, then reports the lines
 * counted since @start and frees it. */
static int
lines_client_run (Bench  *bench,
                  gint64  start)
{
  double seconds;

  tcpc_client_start (bench->client);
  g_main_loop_run (bench->loop);
  seconds = (g_get_monotonic_time () - start) / 1e6;

  g_print ("lines=%" G_GUINT64_FORMAT " bytes=%" G_GUINT64_FORMAT " seconds=%.6f\n",
           bench->lines, bench->bytes, seconds);
  g_object_unref (bench->client);

  return !bench->failed && bench->lines == bench->count ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* stream-filter: large records without framing                         */

static void
chunk_input_cb (TcpcClient *client,
                GBytes     *record,
                Bench      *bench)
{
  gsize size;
  const char *data = g_bytes_get_data (record, &size);
  const char *end = data + size;
  const char *p = data;

  bench->bytes += size;
  while (p < end && (p = memchr (p, '\n', (gsize) (end - p))) != NULL)
    {
      bench->lines++;
      p++;
    }
}

static int
run_stream_filter (Bench      *bench,
                   const char *host,
                   guint16     port)
{
  g_autoptr(TcpcStreamFilter) filter = tcpc_stream_filter_new ();
  gint64 start;

  start = g_get_monotonic_time ();
  lines_client_new (bench, host, port, TCPC_FILTER (filter));
  g_signal_connect (bench->client, "server-input", G_CALLBACK (chunk_input_cb), bench);

  return lines_client_run (bench, start);
}

/* ------------------------------------------------------------------ */
/* stream-func: line records to an input function                       */

static void
count_record (TcpcClient *client,
              GBytes     *record,
              gpointer    user_data)
{
  Bench *bench = user_data;

  bench->lines++;
  bench->bytes += g_bytes_get_size (record) + 1;
}

static int
run_stream_func (Bench      *bench,
                 const char *host,
                 guint16     port)
{
  g_autoptr(TcpcLineFilter) filter = tcpc_line_filter_new_literal ("\n");
  gint64 start;

  start = g_get_monotonic_time ();
  lines_client_new (bench, host, port, TCPC_FILTER (filter));
  tcpc_client_set_input_func (bench->client, count_record, bench, NULL);

  return lines_client_run (bench, start);
}

/* ------------------------------------------------------------------ */
/* emit-floor: the signal and the record, without I/O                   */

static void
count_input_cb (TcpcClient *client,
                GBytes     *record,
                Bench      *bench)
{
  count_record (client, record, bench);
}

static int
run_emit_floor (Bench *bench)
{
  g_autoptr(TcpcClient) client = tcpc_client_new ("127.0.0.1", 9);
  g_autoptr(GBytes) chunk = g_bytes_new_take (g_malloc0 (65536), 65536);
  guint signal_id = g_signal_lookup ("server-input", TCPC_TYPE_CLIENT);
  gint64 start;
  double seconds;
  guint64 i;

  g_signal_connect (client, "server-input", G_CALLBACK (count_input_cb), bench);

  start = g_get_monotonic_time ();
  for (i = 0; i < bench->count; i++)
    {
      GBytes *record = g_bytes_new_from_bytes (chunk, (i % 1024) * 64, 63);

      g_signal_emit (client, signal_id, 0, record);
      g_bytes_unref (record);
    }
  seconds = (g_get_monotonic_time () - start) / 1e6;

  g_print ("lines=%" G_GUINT64_FORMAT " bytes=%" G_GUINT64_FORMAT " seconds=%.6f\n",
           bench->lines, bench->bytes, seconds);

  return bench->lines == bench->count ? 0 : 1;
}

int
main (int   argc,
      char *argv[])
{
  Bench bench = { 0, };
  guint16 port = 0;
  guint timeout_id;
  int status;

  if (argc != 5)
    {
      g_printerr ("usage: %s idle|idle-put|put|connect-noproxy|stream-filter|stream-func|emit-floor "
                  "HOST PORT COUNT\n",
                  PROGRAM);
      return 2;
    }
  if (strcmp (argv[1], "idle") != 0 && strcmp (argv[1], "idle-put") != 0 &&
      strcmp (argv[1], "put") != 0 &&
      strcmp (argv[1], "connect-noproxy") != 0 && strcmp (argv[1], "stream-filter") != 0 &&
      strcmp (argv[1], "stream-func") != 0 && strcmp (argv[1], "emit-floor") != 0)
    {
      g_printerr ("%s: unsupported mode “%s”\n", PROGRAM, argv[1]);
      return 2;
    }
  if (!tcpc_bench_parse_args (PROGRAM, argv, &port, &bench.count))
    return 1;

  bench.loop = g_main_loop_new (NULL, FALSE);
  timeout_id = g_timeout_add_seconds (tcpc_bench_timeout (), timeout_cb, &bench);

  if (strcmp (argv[1], "idle") == 0 || strcmp (argv[1], "idle-put") == 0)
    {
      bench.idle_put = strcmp (argv[1], "idle-put") == 0;
      status = run_idle (&bench, argv[2], port);
    }
  else if (strcmp (argv[1], "put") == 0)
    status = run_put (&bench, argv[2], port);
  else if (strcmp (argv[1], "connect-noproxy") == 0)
    status = run_connect_noproxy (&bench, argv[2], port);
  else if (strcmp (argv[1], "stream-filter") == 0)
    status = run_stream_filter (&bench, argv[2], port);
  else if (strcmp (argv[1], "stream-func") == 0)
    status = run_stream_func (&bench, argv[2], port);
  else
    status = run_emit_floor (&bench);

  g_source_remove (timeout_id);
  g_main_loop_unref (bench.loop);

  return status;
}
