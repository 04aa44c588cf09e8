/* tcpc-bench-baseline.c: the baselines the TcpcClient figures are compared to
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   tcpc-bench-baseline MODE HOST PORT COUNT
 *
 * Raw C (blocking sockets, no GLib on the data path):
 *   raw-stream    recv() into a 64 KiB buffer, count lines with memchr()
 *                 until end of stream          -> lines= bytes= seconds=
 *   raw-pingpong  send a 32-byte line, recv() its echo, COUNT times
 *                                              -> roundtrips= seconds=
 *   raw-connect   COUNT times socket(), connect(), read one line, close()
 *                                              -> connections= seconds=
 *   raw-write     connect, then COUNT write()s of one 64-byte line each
 *                                              -> records= bytes= seconds=
 *
 * GIO, the way GNOME code does it today (one GMainLoop, async calls):
 *   gdata-stream  GSocketClient + GDataInputStream read_line_async per line
 *                                              -> lines= bytes= seconds=
 *   gio-connect   COUNT times GSocketClient connect_async, read_line_async,
 *                 close                        -> connections= seconds=
 *   gio-idle      COUNT connections, each with a GDataInputStream and a
 *                 pending read_line_async; reports the growth of the
 *                 resident set per connection
 *                           -> clients= rss_delta= bytes_per_client= seconds=
 *
 * The exit status is 0 only when the count matches, 1 on failure and 2 for
 * an unsupported mode. Seconds are measured from before the first connect,
 * except for raw-write (from the first write).
 */

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <gio/gio.h>

#include "tcpc-bench-util.h"

#define PROGRAM      "tcpc-bench-baseline"
#define RECV_BUFFER  (64 * 1024)

static int
raw_connect (const char *host,
             guint16     port)
{
  struct addrinfo hints = { 0, };
  struct addrinfo *result = NULL;
  char service[16];
  int fd = -1;

  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  g_snprintf (service, sizeof service, "%u", port);
  if (getaddrinfo (host, service, &hints, &result) != 0 || result == NULL)
    {
      g_printerr ("%s: cannot resolve %s\n", PROGRAM, host);
      return -1;
    }

  fd = socket (result->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect (fd, result->ai_addr, result->ai_addrlen) != 0)
    {
      g_printerr ("%s: connect: %s\n", PROGRAM, g_strerror (errno));
      close (fd);
      fd = -1;
    }
  freeaddrinfo (result);

  return fd;
}

static gboolean
write_all (int         fd,
           const char *data,
           gsize       size)
{
  while (size > 0)
    {
      ssize_t n = send (fd, data, size, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      size -= (gsize) n;
    }

  return TRUE;
}

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1e6;
}

/* ------------------------------------------------------------------ */
/* raw C                                                                */

static int
raw_stream (const char *host,
            guint16     port,
            guint64     count)
{
  char *buffer = g_malloc (RECV_BUFFER);
  guint64 lines = 0, bytes = 0;
  gint64 start = g_get_monotonic_time ();
  gboolean failed = FALSE;
  int fd = raw_connect (host, port);

  if (fd < 0)
    return 1;

  for (;;)
    {
      ssize_t n = recv (fd, buffer, RECV_BUFFER, 0);
      const char *p, *end;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          g_printerr ("%s: recv: %s\n", PROGRAM, g_strerror (errno));
          failed = TRUE;
        }
      if (n <= 0)
        break;

      bytes += (guint64) n;
      p = buffer;
      end = buffer + n;
      while ((p = memchr (p, '\n', (gsize) (end - p))) != NULL)
        {
          lines++;
          p++;
        }
    }

  g_print ("lines=%" G_GUINT64_FORMAT " bytes=%" G_GUINT64_FORMAT " seconds=%.6f\n",
           lines, bytes, seconds_since (start));
  close (fd);
  g_free (buffer);

  return !failed && lines == count ? 0 : 1;
}

static int
raw_pingpong (const char *host,
              guint16     port,
              guint64     count)
{
  static const char ping[] = "0123456789abcdef0123456789abcde\n";
  char buffer[256];
  guint64 done = 0;
  gint64 start = g_get_monotonic_time ();
  int fd = raw_connect (host, port);

  if (fd < 0)
    return 1;

  while (done < count)
    {
      gsize got = 0;

      if (!write_all (fd, ping, sizeof ping - 1))
        break;
      /* The echo of a 32-byte line; stop at its newline. */
      while (got < sizeof ping - 1)
        {
          ssize_t n = recv (fd, buffer + got, sizeof buffer - got, 0);

          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            break;
          got += (gsize) n;
        }
      if (got < sizeof ping - 1 || buffer[got - 1] != '\n')
        break;
      done++;
    }

  g_print ("roundtrips=%" G_GUINT64_FORMAT " seconds=%.6f\n", done, seconds_since (start));
  close (fd);

  return done == count ? 0 : 1;
}

static int
raw_connect_loop (const char *host,
                  guint16     port,
                  guint64     count)
{
  struct addrinfo hints = { 0, };
  struct addrinfo *result = NULL;
  char service[16];
  char buffer[256];
  guint64 done = 0;
  gint64 start = g_get_monotonic_time ();

  /* Resolved once: the loop measures connect + read + close. */
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  g_snprintf (service, sizeof service, "%u", port);
  if (getaddrinfo (host, service, &hints, &result) != 0 || result == NULL)
    {
      g_printerr ("%s: cannot resolve %s\n", PROGRAM, host);
      return 1;
    }

  while (done < count)
    {
      int fd = socket (result->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      gsize got = 0;

      if (fd < 0)
        break;
      if (connect (fd, result->ai_addr, result->ai_addrlen) != 0)
        {
          g_printerr ("%s: connect: %s\n", PROGRAM, g_strerror (errno));
          close (fd);
          break;
        }
      while (got < sizeof buffer)
        {
          ssize_t n = recv (fd, buffer + got, sizeof buffer - got, 0);

          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            break;
          got += (gsize) n;
          if (memchr (buffer, '\n', got) != NULL)
            break;
        }
      close (fd);
      if (got == 0 || memchr (buffer, '\n', got) == NULL)
        break;
      done++;
    }

  freeaddrinfo (result);
  g_print ("connections=%" G_GUINT64_FORMAT " seconds=%.6f\n", done, seconds_since (start));

  return done == count ? 0 : 1;
}

static int
raw_write (const char *host,
           guint16     port,
           guint64     count)
{
  char record[64];
  guint64 done = 0;
  gint64 start;
  double seconds;
  int fd = raw_connect (host, port);

  if (fd < 0)
    return 1;

  memset (record, 'w', sizeof record - 1);
  record[sizeof record - 1] = '\n';

  start = g_get_monotonic_time ();
  while (done < count && write_all (fd, record, sizeof record))
    done++;
  seconds = seconds_since (start);

  g_print ("records=%" G_GUINT64_FORMAT " bytes=%" G_GUINT64_FORMAT " seconds=%.6f\n",
           done, done * sizeof record, seconds);
  close (fd);

  return done == count ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* GIO                                                                  */

typedef struct
{
  GMainLoop          *loop;
  GSocketClient      *client;
  GSocketConnectable *address;
  GSocketConnection  *connection;
  GDataInputStream   *data;
  guint64             count;
  guint64             lines;
  guint64             bytes;
  guint64             done;
  gboolean            failed;
} GioBench;

static void
gio_fail (GioBench     *bench,
          const char   *what,
          const GError *error)
{
  g_printerr ("%s: %s: %s\n", PROGRAM, what, error->message);
  bench->failed = TRUE;
  g_main_loop_quit (bench->loop);
}

static gboolean
gio_timeout_cb (gpointer user_data)
{
  GioBench *bench = user_data;

  g_printerr ("%s: timed out\n", PROGRAM);
  bench->failed = TRUE;
  g_main_loop_quit (bench->loop);
  return G_SOURCE_REMOVE;
}

static GDataInputStream *
gio_data_stream (GSocketConnection *connection)
{
  GDataInputStream *data;

  data = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  g_data_input_stream_set_newline_type (data, G_DATA_STREAM_NEWLINE_TYPE_LF);
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (data), FALSE);

  return data;
}

static void
gdata_line_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GioBench *bench = user_data;
  GError *error = NULL;
  gsize length = 0;
  char *line;

  line = g_data_input_stream_read_line_finish (bench->data, result, &length, &error);
  if (line == NULL)
    {
      if (error != NULL)
        {
          gio_fail (bench, "read", error);
          g_error_free (error);
        }
      else
        g_main_loop_quit (bench->loop);
      return;
    }

  bench->lines++;
  bench->bytes += length + 1;
  g_free (line);

  g_data_input_stream_read_line_async (bench->data, G_PRIORITY_DEFAULT, NULL,
                                       gdata_line_cb, bench);
}

static void
gdata_connected_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GioBench *bench = user_data;
  GError *error = NULL;

  bench->connection = g_socket_client_connect_finish (bench->client, result, &error);
  if (bench->connection == NULL)
    {
      gio_fail (bench, "connect", error);
      g_error_free (error);
      return;
    }

  bench->data = gio_data_stream (bench->connection);
  g_data_input_stream_read_line_async (bench->data, G_PRIORITY_DEFAULT, NULL,
                                       gdata_line_cb, bench);
}

static void connect_next (GioBench *bench);

static void
connect_line_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GioBench *bench = user_data;
  GError *error = NULL;
  char *line;

  line = g_data_input_stream_read_line_finish (bench->data, result, NULL, &error);
  g_clear_object (&bench->data);
  g_io_stream_close (G_IO_STREAM (bench->connection), NULL, NULL);
  g_clear_object (&bench->connection);

  if (line == NULL)
    {
      if (error != NULL)
        {
          gio_fail (bench, "read", error);
          g_error_free (error);
        }
      else
        {
          g_printerr ("%s: no line before end of stream\n", PROGRAM);
          bench->failed = TRUE;
          g_main_loop_quit (bench->loop);
        }
      return;
    }
  g_free (line);

  bench->done++;
  connect_next (bench);
}

static void
connect_connected_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GioBench *bench = user_data;
  GError *error = NULL;

  bench->connection = g_socket_client_connect_finish (bench->client, result, &error);
  if (bench->connection == NULL)
    {
      gio_fail (bench, "connect", error);
      g_error_free (error);
      return;
    }

  bench->data = gio_data_stream (bench->connection);
  g_data_input_stream_read_line_async (bench->data, G_PRIORITY_DEFAULT, NULL,
                                       connect_line_cb, bench);
}

static void
connect_next (GioBench *bench)
{
  if (bench->done >= bench->count)
    {
      g_main_loop_quit (bench->loop);
      return;
    }

  g_socket_client_connect_async (bench->client, bench->address, NULL,
                                 connect_connected_cb, bench);
}

static int
gio_run (const char *mode,
         const char *host,
         guint16     port,
         guint64     count)
{
  GioBench bench = { 0, };
  gint64 start;
  double seconds;
  guint timeout_id;
  int status;

  bench.loop = g_main_loop_new (NULL, FALSE);
  bench.count = count;
  timeout_id = g_timeout_add_seconds (tcpc_bench_timeout (), gio_timeout_cb, &bench);

  start = g_get_monotonic_time ();
  bench.client = g_socket_client_new ();
  bench.address = g_network_address_new (host, port);

  if (strcmp (mode, "gdata-stream") == 0)
    g_socket_client_connect_async (bench.client, bench.address, NULL,
                                   gdata_connected_cb, &bench);
  else
    connect_next (&bench);

  g_main_loop_run (bench.loop);
  seconds = seconds_since (start);
  g_source_remove (timeout_id);

  if (strcmp (mode, "gdata-stream") == 0)
    {
      g_print ("lines=%" G_GUINT64_FORMAT " bytes=%" G_GUINT64_FORMAT " seconds=%.6f\n",
               bench.lines, bench.bytes, seconds);
      status = !bench.failed && bench.lines == count ? 0 : 1;
    }
  else
    {
      g_print ("connections=%" G_GUINT64_FORMAT " seconds=%.6f\n", bench.done, seconds);
      status = !bench.failed && bench.done == count ? 0 : 1;
    }

  g_clear_object (&bench.data);
  g_clear_object (&bench.connection);
  g_object_unref (bench.address);
  g_object_unref (bench.client);
  g_main_loop_unref (bench.loop);

  return status;
}

/* An idle connection as GNOME code keeps one: a GSocketConnection, a
 * GDataInputStream and a read_line_async waiting for the next line. */
typedef struct
{
  GSocketConnection *connection;
  GDataInputStream  *data;
} IdleConnection;

static void
idle_line_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  /* Only reached when the server goes away; nothing to count. */
  g_free (g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (object), result,
                                                NULL, NULL));
}

static gboolean
idle_open (GSocketClient      *client,
           GSocketConnectable *address,
           GCancellable       *cancellable,
           IdleConnection     *idle)
{
  GError *error = NULL;

  idle->connection = g_socket_client_connect (client, address, NULL, &error);
  if (idle->connection == NULL)
    {
      g_printerr ("%s: connect: %s\n", PROGRAM, error->message);
      g_error_free (error);
      return FALSE;
    }
  idle->data = gio_data_stream (idle->connection);
  g_data_input_stream_read_line_async (idle->data, G_PRIORITY_DEFAULT, cancellable,
                                       idle_line_cb, NULL);
  return TRUE;
}

static void
drain_context (void)
{
  guint i;

  for (i = 0; i < 100000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

static int
gio_idle (const char *host,
          guint16     port,
          guint64     count)
{
  enum { WARM_UP = 16 };
  GSocketClient *client = g_socket_client_new ();
  GSocketConnectable *address = g_network_address_new (host, port);
  GCancellable *cancellable = g_cancellable_new ();
  IdleConnection *idle = g_new0 (IdleConnection, count + WARM_UP);
  guint64 limit = tcpc_bench_raise_fd_limit ();
  guint64 opened = 0, i;
  gsize rss_before, rss_after;
  gint64 start;
  double seconds;

  int status = 1;

  if (count + WARM_UP + 64 > limit)
    {
      g_printerr ("%s: %" G_GUINT64_FORMAT " connections need more file descriptors than "
                  "RLIMIT_NOFILE allows (%" G_GUINT64_FORMAT ")\n", PROGRAM, count, limit);
      goto out;
    }

  /* Warm up: types, classes, the proxy resolver; these stay open. */
  for (i = 0; i < WARM_UP; i++)
    if (!idle_open (client, address, cancellable, &idle[i]))
      goto out;
  drain_context ();

  rss_before = tcpc_bench_rss_bytes ();
  start = g_get_monotonic_time ();
  for (i = 0; i < count; i++)
    {
      if (!idle_open (client, address, cancellable, &idle[WARM_UP + i]))
        break;
      opened++;
      if (i % 256 == 255)
        drain_context ();
    }
  drain_context ();
  seconds = seconds_since (start);
  rss_after = tcpc_bench_rss_bytes ();

  g_print ("clients=%" G_GUINT64_FORMAT " rss_delta=%" G_GSIZE_FORMAT
           " bytes_per_client=%.0f seconds=%.6f\n",
           opened, rss_after - rss_before,
           opened > 0 ? (double) (rss_after - rss_before) / opened : 0.0, seconds);

  status = opened == count ? 0 : 1;

out:
  /* The pending reads finish (cancelled) before their streams go away. */
  g_cancellable_cancel (cancellable);
  drain_context ();
  for (i = 0; i < count + WARM_UP; i++)
    {
      g_clear_object (&idle[i].data);
      g_clear_object (&idle[i].connection);
    }
  g_free (idle);
  g_object_unref (cancellable);
  g_object_unref (address);
  g_object_unref (client);
  drain_context ();

  return status;
}

int
main (int   argc,
      char *argv[])
{
  const char *mode;
  guint16 port = 0;
  guint64 count = 0;

  if (argc != 5)
    {
      g_printerr ("usage: %s MODE HOST PORT COUNT\n"
                  "  MODE: raw-stream raw-pingpong raw-connect raw-write\n"
                  "        gdata-stream gio-connect gio-idle\n", PROGRAM);
      return 2;
    }

  mode = argv[1];
  if (!tcpc_bench_parse_args (PROGRAM, argv, &port, &count))
    return 1;

  if (strcmp (mode, "raw-stream") == 0)
    return raw_stream (argv[2], port, count);
  if (strcmp (mode, "raw-pingpong") == 0)
    return raw_pingpong (argv[2], port, count);
  if (strcmp (mode, "raw-connect") == 0)
    return raw_connect_loop (argv[2], port, count);
  if (strcmp (mode, "raw-write") == 0)
    return raw_write (argv[2], port, count);
  if (strcmp (mode, "gdata-stream") == 0 || strcmp (mode, "gio-connect") == 0)
    return gio_run (mode, argv[2], port, count);
  if (strcmp (mode, "gio-idle") == 0)
    return gio_idle (argv[2], port, count);

  g_printerr ("%s: unsupported mode “%s”\n", PROGRAM, mode);
  return 2;
}
