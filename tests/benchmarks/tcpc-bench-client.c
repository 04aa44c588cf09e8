/* tcpc-bench-client.c: the benchmark client, with TcpcClient
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   tcpc-bench-client MODE HOST PORT COUNT
 *
 * The command-line contract of issue 3, so that the program can be run
 * beside other clients by any harness:
 *
 *   stream    connect and count "\n"-terminated lines until end of stream;
 *             prints "lines=<n> bytes=<b> seconds=<s>" (bytes include the
 *             newlines); COUNT is the number of lines expected
 *   pingpong  send a 32-byte line ("…\n") and wait for its echo, COUNT times
 *             on one connection; prints "roundtrips=<n> seconds=<s>"
 *   connect   COUNT times: connect, read one line, close; prints
 *             "connections=<n> seconds=<s>"
 *
 * Seconds are measured from before the first connect. The exit status is 0
 * only when the count matches, 1 on any failure, 2 for an unsupported mode.
 * The server-input handler only counts.
 *
 * The client uses the library's defaults except for the filter, a
 * TcpcLineFilter with the literal terminator "\n" (so that exactly "\n"
 * ends a line and the pings go out with "\n").
 *
 * TCPC_BENCH_TIMEOUT (seconds, default 600) bounds the whole run.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tcpclient.h>

typedef enum
{
  MODE_STREAM,
  MODE_PINGPONG,
  MODE_CONNECT,
} Mode;

typedef struct
{
  Mode        mode;
  TcpcClient *client;
  GMainLoop  *loop;
  guint64     count;
  guint64     lines;
  guint64     bytes;
  guint64     done;      /* round trips or connections */
  gboolean    failed;
  gboolean    finished;
} Bench;

/* 31 bytes; the filter appends the newline. */
static const char ping[] = "0123456789abcdef0123456789abcde";

static void
bench_finish (Bench    *bench,
              gboolean  failed)
{
  bench->failed |= failed;
  bench->finished = TRUE;
  g_main_loop_quit (bench->loop);
}

static void
put_ping (Bench *bench)
{
  GError *error = NULL;

  if (!tcpc_client_put_data (bench->client, (const guint8 *) ping, sizeof ping - 1, &error))
    {
      g_printerr ("tcpc-bench-client: put: %s\n", error->message);
      g_error_free (error);
      bench->failed = TRUE;
      tcpc_client_shutdown (bench->client);
    }
}

static void
stream_input_cb (TcpcClient *client,
                 GBytes     *record,
                 Bench      *bench)
{
  bench->lines++;
  bench->bytes += g_bytes_get_size (record) + 1;
}

static void
pingpong_input_cb (TcpcClient *client,
                   GBytes     *record,
                   Bench      *bench)
{
  bench->done++;
  if (bench->done < bench->count)
    put_ping (bench);
  else
    tcpc_client_shutdown (client);
}

static void
connect_input_cb (TcpcClient *client,
                  GBytes     *record,
                  Bench      *bench)
{
  bench->done++;
  if (bench->done < bench->count)
    tcpc_client_reconnect (client);
  else
    tcpc_client_shutdown (client);
}

static void
connected_cb (TcpcClient     *client,
              GIOStream      *stream,
              GSocketAddress *remote_address,
              Bench          *bench)
{
  if (bench->mode != MODE_PINGPONG)
    return;
  if (bench->count > 0)
    put_ping (bench);
  else
    tcpc_client_shutdown (client);
}

static void
connect_error_cb (TcpcClient   *client,
                  const char   *operation,
                  const GError *error,
                  Bench        *bench)
{
  g_printerr ("tcpc-bench-client: %s: %s\n", operation, error->message);
  bench_finish (bench, TRUE);
}

static void
server_error_cb (TcpcClient   *client,
                 const char   *operation,
                 const GError *error,
                 Bench        *bench)
{
  g_printerr ("tcpc-bench-client: %s: %s\n", operation, error->message);
  bench->failed = TRUE;
}

static void
disconnected_cb (TcpcClient *client,
                 Bench      *bench)
{
  bench_finish (bench, FALSE);
}

static gboolean
timeout_cb (gpointer user_data)
{
  Bench *bench = user_data;

  g_printerr ("tcpc-bench-client: timed out\n");
  bench_finish (bench, TRUE);
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  Bench bench = { 0, };
  g_autoptr(TcpcLineFilter) filter = NULL;
  const char *timeout_env;
  guint64 port = 0;
  gint64 start;
  double seconds;
  guint timeout_id;
  gboolean ok;

  if (argc != 5)
    {
      g_printerr ("usage: tcpc-bench-client stream|pingpong|connect HOST PORT COUNT\n");
      return 2;
    }

  if (strcmp (argv[1], "stream") == 0)
    bench.mode = MODE_STREAM;
  else if (strcmp (argv[1], "pingpong") == 0)
    bench.mode = MODE_PINGPONG;
  else if (strcmp (argv[1], "connect") == 0)
    bench.mode = MODE_CONNECT;
  else
    {
      g_printerr ("tcpc-bench-client: unsupported mode “%s”\n", argv[1]);
      return 2;
    }

  if (!g_ascii_string_to_unsigned (argv[3], 10, 1, G_MAXUINT16, &port, NULL) ||
      !g_ascii_string_to_unsigned (argv[4], 10, 0, G_MAXUINT64, &bench.count, NULL))
    {
      g_printerr ("tcpc-bench-client: bad PORT or COUNT\n");
      return 1;
    }

  bench.loop = g_main_loop_new (NULL, FALSE);
  bench.client = tcpc_client_new (argv[2], (guint16) port);
  filter = tcpc_line_filter_new_literal ("\n");
  tcpc_client_set_filter (bench.client, TCPC_FILTER (filter));

  switch (bench.mode)
    {
    case MODE_STREAM:
      g_signal_connect (bench.client, "server-input", G_CALLBACK (stream_input_cb), &bench);
      break;
    case MODE_PINGPONG:
      g_signal_connect (bench.client, "server-input", G_CALLBACK (pingpong_input_cb), &bench);
      break;
    case MODE_CONNECT:
      g_signal_connect (bench.client, "server-input", G_CALLBACK (connect_input_cb), &bench);
      break;
    default:
      g_assert_not_reached ();
    }
  g_signal_connect (bench.client, "connected", G_CALLBACK (connected_cb), &bench);
  g_signal_connect (bench.client, "connect-error", G_CALLBACK (connect_error_cb), &bench);
  g_signal_connect (bench.client, "server-error", G_CALLBACK (server_error_cb), &bench);
  g_signal_connect (bench.client, "disconnected", G_CALLBACK (disconnected_cb), &bench);

  timeout_env = g_getenv ("TCPC_BENCH_TIMEOUT");
  timeout_id = g_timeout_add_seconds (timeout_env != NULL ? (guint) atoi (timeout_env) : 600,
                                      timeout_cb, &bench);

  start = g_get_monotonic_time ();
  if (bench.mode != MODE_CONNECT || bench.count > 0)
    {
      tcpc_client_start (bench.client);
      if (!bench.finished)
        g_main_loop_run (bench.loop);
    }
  seconds = (g_get_monotonic_time () - start) / 1e6;

  g_source_remove (timeout_id);

  switch (bench.mode)
    {
    case MODE_STREAM:
      g_print ("lines=%" G_GUINT64_FORMAT " bytes=%" G_GUINT64_FORMAT " seconds=%.6f\n",
               bench.lines, bench.bytes, seconds);
      ok = bench.lines == bench.count;
      break;
    case MODE_PINGPONG:
      g_print ("roundtrips=%" G_GUINT64_FORMAT " seconds=%.6f\n", bench.done, seconds);
      ok = bench.done == bench.count;
      break;
    case MODE_CONNECT:
      g_print ("connections=%" G_GUINT64_FORMAT " seconds=%.6f\n", bench.done, seconds);
      ok = bench.done == bench.count;
      break;
    default:
      g_assert_not_reached ();
    }

  g_object_unref (bench.client);
  g_main_loop_unref (bench.loop);

  return ok && !bench.failed ? 0 : 1;
}
