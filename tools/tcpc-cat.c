/* tcpc-cat.c: a command-line TCP client built on tcpclient.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   tcpc-cat [OPTION…] HOST PORT
 *
 * Connects to HOST PORT with a TcpcClient, sends what it reads from standard
 * input as records of the chosen filter, and prints the records it receives
 * on standard output. See tcpc-cat --help and tcpc-cat(1).
 *
 * Standard input is read asynchronously (GUnixInputStream, with a
 * GDataInputStream for lines) and only while the client is connected and
 * writable, so a fast producer is paced by the connection. Standard output is
 * written asynchronously too, in pieces a pipe takes without blocking, and
 * the client's input is paused while too much of it is waiting.
 */

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>

#include <tcpclient.h>

/* Exit statuses, documented in --help and tcpc-cat(1). */
enum
{
  EXIT_OK = 0,
  EXIT_CONNECT_FAILED = 1,
  EXIT_USAGE = 2,
  EXIT_CONNECTION_ERROR = 3,
  EXIT_FILTER_SETTINGS = 4,
  EXIT_INTERRUPTED = 130,
  EXIT_TERMINATED = 143,
};

/* Standard output: the most written at once to a pollable stream (a pipe
 * that polled writable takes a page without blocking), the most to a file
 * (written by a worker thread), and the backlog that pauses the client's
 * input and the one that resumes it.
 */
#define OUT_CHUNK_POLLABLE 4096
#define OUT_CHUNK_FILE     (64 * 1024)
#define OUT_HIGH_WATER     (1024 * 1024)
#define OUT_LOW_WATER      (64 * 1024)

/* The largest stdin chunk read in --raw mode, and the most buffered lines
 * put at once.
 */
#define RAW_CHUNK   (64 * 1024)
#define STDIN_BATCH 1024

typedef enum
{
  FILTER_LINE,
  FILTER_BLOCK,
  FILTER_STREAM,
  FILTER_NETSTRING,
} FilterKind;

/* ---- options */

static char *opt_filter;
static char *opt_terminator;
static char *opt_length_codec;
static gint64 opt_block_size = -1;
static gint64 opt_max_length = -1;
static gboolean opt_raw;
static gboolean opt_close_on_eof;
static gboolean opt_tls;
static char *opt_ca_file;
static gboolean opt_reconnect;
static double opt_reconnect_delay = -1;
static gint64 opt_reconnect_max_attempts = -1;
static double opt_connect_timeout = -1;
static double opt_idle_timeout = -1;
static char *opt_proxy;
static gboolean opt_ipv4;
static gboolean opt_ipv6;
static char *opt_bind;
static gboolean opt_verbose;
static gboolean opt_version;
static char **opt_args;

static gboolean
parse_count (const char  *option_name,
             const char  *value,
             gint64      *out,
             GError     **error)
{
  guint64 number = 0;

  if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT, &number, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s takes a whole number from 0 to %u, not “%s”",
                   option_name, G_MAXUINT, value);
      return FALSE;
    }

  *out = (gint64) number;
  return TRUE;
}

static gboolean
parse_seconds (const char  *option_name,
               const char  *value,
               double      *out,
               GError     **error)
{
  char *end = NULL;
  double seconds;

  errno = 0;
  seconds = g_ascii_strtod (value, &end);
  if (value[0] == '\0' || end == NULL || *end != '\0' || errno != 0 ||
      !isfinite (seconds) || seconds < 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s takes a number of seconds (0 or more, fractions "
                   "allowed), not “%s”", option_name, value);
      return FALSE;
    }

  *out = seconds;
  return TRUE;
}

static gboolean
block_size_cb (const char  *option_name,
               const char  *value,
               gpointer     data,
               GError     **error)
{
  return parse_count (option_name, value, &opt_block_size, error);
}

static gboolean
max_length_cb (const char  *option_name,
               const char  *value,
               gpointer     data,
               GError     **error)
{
  return parse_count (option_name, value, &opt_max_length, error);
}

static gboolean
reconnect_max_attempts_cb (const char  *option_name,
                           const char  *value,
                           gpointer     data,
                           GError     **error)
{
  return parse_count (option_name, value, &opt_reconnect_max_attempts, error);
}

static gboolean
reconnect_delay_cb (const char  *option_name,
                    const char  *value,
                    gpointer     data,
                    GError     **error)
{
  return parse_seconds (option_name, value, &opt_reconnect_delay, error);
}

static gboolean
connect_timeout_cb (const char  *option_name,
                    const char  *value,
                    gpointer     data,
                    GError     **error)
{
  return parse_seconds (option_name, value, &opt_connect_timeout, error);
}

static gboolean
idle_timeout_cb (const char  *option_name,
                 const char  *value,
                 gpointer     data,
                 GError     **error)
{
  return parse_seconds (option_name, value, &opt_idle_timeout, error);
}

static const GOptionEntry option_entries[] = {
  { "filter", 'f', 0, G_OPTION_ARG_STRING, &opt_filter,
    "line (default), block, stream or netstring", "NAME" },
  { "terminator", 't', 0, G_OPTION_ARG_STRING, &opt_terminator,
    "Line terminator, with C escapes: \\r\\n", "STR" },
  { "length-codec", 0, 0, G_OPTION_ARG_STRING, &opt_length_codec,
    "Block length header: ascii, u8, u16be … u64le", "CODEC" },
  { "block-size", 0, 0, G_OPTION_ARG_CALLBACK, block_size_cb,
    "Fixed-size blocks of N bytes, no header", "N" },
  { "max-length", 0, 0, G_OPTION_ARG_CALLBACK, max_length_cb,
    "Longest record received (default 1 MiB)", "N" },
  { "raw", 0, 0, G_OPTION_ARG_NONE, &opt_raw,
    "Stdin chunks are records; print records as is", NULL },
  { "close-on-eof", 0, 0, G_OPTION_ARG_NONE, &opt_close_on_eof,
    "At the end of stdin close, do not half-close", NULL },
  { "tls", 0, 0, G_OPTION_ARG_NONE, &opt_tls,
    "Use TLS, validating the server's certificate", NULL },
  { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_ca_file,
    "Trust the CAs in this PEM file (implies --tls)", "PEM" },
  { "reconnect", 0, 0, G_OPTION_ARG_NONE, &opt_reconnect,
    "Reconnect after a failure, backing off", NULL },
  { "reconnect-delay", 0, 0, G_OPTION_ARG_CALLBACK, reconnect_delay_cb,
    "First retry after S seconds (1), then doubling", "S" },
  { "reconnect-max-attempts", 0, 0, G_OPTION_ARG_CALLBACK,
    reconnect_max_attempts_cb,
    "Give up after N failures in a row (0: never)", "N" },
  { "connect-timeout", 0, 0, G_OPTION_ARG_CALLBACK, connect_timeout_cb,
    "Limit of a connection attempt (0: none)", "S" },
  { "idle-timeout", 0, 0, G_OPTION_ARG_CALLBACK, idle_timeout_cb,
    "Error after S seconds without input (0: none)", "S" },
  { "proxy", 0, 0, G_OPTION_ARG_STRING, &opt_proxy,
    "Proxy: socks5://, socks4a://, http://HOST:PORT", "URI" },
  { "ipv4", '4', 0, G_OPTION_ARG_NONE, &opt_ipv4,
    "Use IPv4 only", NULL },
  { "ipv6", '6', 0, G_OPTION_ARG_NONE, &opt_ipv6,
    "Use IPv6 only", NULL },
  { "bind", 0, 0, G_OPTION_ARG_STRING, &opt_bind,
    "Connect from ADDR, ADDR:PORT, [IPV6]:PORT, :PORT",
    "ADDR[:PORT]" },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
    "Trace signals and state changes on stderr", NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version,
    "Print the version and exit", NULL },
  { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_args,
    NULL, NULL },
  G_OPTION_ENTRY_NULL
};

static const char option_description[] =
  "Filters: line splits at \\n, \\r\\n, \\r or \\n\\r and sends \\r\\n, or uses\n"
  "--terminator both ways. block sends a length header before each record\n"
  "(--length-codec: ascii \"LEN\\0\", the default, or binary u8 … u64le) or\n"
  "fixed-size blocks (--block-size); either option implies --filter=block.\n"
  "netstring speaks \"LEN:DATA,\". stream takes the bytes as they come.\n"
  "--ca-file implies --tls; --reconnect-delay and --reconnect-max-attempts\n"
  "imply --reconnect. S is in seconds, fractions allowed.\n"
  "\n"
  "Standard input is sent as records: each line (without its \\n, and\n"
  "without a \\r before it) is one record, for every filter; with --raw,\n"
  "each chunk read is one record. Received records are printed one per line;\n"
  "with --raw, as they are. Reading stdin waits until the connection is made.\n"
  "\n"
  "At the end of stdin the connection is half-closed once everything is sent:\n"
  "the server sees the end of the stream, and its answer is still printed\n"
  "until it closes. With --close-on-eof the connection is closed instead.\n"
  "The program ends when the connection ends. Ctrl-C (SIGINT) or SIGTERM stops\n"
  "reading stdin, sends what is queued, closes and exits; a second one exits\n"
  "at once.\n"
  "\n"
  "Exit status:\n"
  "  0    the connection was made and ended cleanly\n"
  "  1    the connection could not be made (after the last attempt)\n"
  "  2    usage error: unknown option, bad value, missing HOST or PORT\n"
  "  3    the connection ended with an error (server-error), a record could\n"
  "       not be encoded, or stdin or stdout failed\n"
  "  4    invalid filter settings (e.g. an empty --terminator)\n"
  "  130  interrupted by SIGINT (143: SIGTERM)\n"
  "\n"
  "Examples:\n"
  "  printf 'HEAD / HTTP/1.0\\r\\n\\r\\n' | tcpc-cat --raw -f stream example.org 80\n"
  "  echo hello | tcpc-cat --length-codec=u32be localhost 7000\n"
  "  tcpc-cat -v --reconnect --connect-timeout=5 irc.example.net 6667\n"
  "\n"
  "See tcpc-cat(1) for more.";

/* ---- the program's state */

typedef struct
{
  GMainLoop        *loop;
  TcpcClient       *client;
  gint64            start_time;
  int               status;

  /* Standard input. */
  GInputStream     *stdin_stream;
  GDataInputStream *stdin_lines;      /* line mode (not --raw) */
  GCancellable     *stdin_cancellable;
  GBytes           *held;             /* read, not put: waits for a connection */
  guint             stdin_reading : 1;
  guint             stdin_eof : 1;
  guint             eof_handled : 1;

  /* Standard output. */
  GOutputStream    *stdout_stream;
  gsize             out_chunk;
  GByteArray       *out_buf;          /* waiting to be written */
  GBytes           *out_inflight;     /* being written */
  gsize             out_offset;
  guint             out_writing : 1;
  guint             out_failed : 1;
  guint             input_paused : 1;

  guint             closed : 1;       /* the client reached CLOSED */
  guint             interrupted;      /* signals received */
  int               signal_status;
  guint             last_next_retry;
} App;

static void stdin_maybe_read (App *app);

static void
trace (App        *app,
       const char *format,
       ...) G_GNUC_PRINTF (2, 3);

static void
trace (App        *app,
       const char *format,
       ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (!opt_verbose)
    return;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("tcpc-cat: %.3f %s\n",
              (g_get_monotonic_time () - app->start_time) / (double) G_USEC_PER_SEC,
              message);
}

static const char *
enum_nick (GType type,
           int   value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *enum_value = g_enum_get_value (klass, value);

  /* The class stays referenced by its type, so the nick outlives klass. */
  return enum_value != NULL ? enum_value->value_nick : "?";
}

static void
fail (App        *app,
      int         status,
      const char *format,
      ...) G_GNUC_PRINTF (3, 4);

/* Reports a local failure and ends the connection, sending what is queued. */
static void
fail (App        *app,
      int         status,
      const char *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("tcpc-cat: %s\n", message);
  app->status = status;
  g_cancellable_cancel (app->stdin_cancellable);
  tcpc_client_shutdown (app->client);
}

static void
maybe_finish (App *app)
{
  if (app->closed && (app->out_failed || (!app->out_writing && app->out_buf->len == 0)))
    g_main_loop_quit (app->loop);
}

/* ---- standard output */

static void out_kick (App *app);

/* The bytes received and not written to stdout yet. */
static gsize
out_backlog (App *app)
{
  gsize backlog = app->out_buf->len;

  if (app->out_inflight != NULL)
    backlog += g_bytes_get_size (app->out_inflight) - app->out_offset;
  return backlog;
}

static void
out_written_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  App *app = user_data;
  g_autoptr(GError) error = NULL;
  gssize written;

  written = g_output_stream_write_finish (G_OUTPUT_STREAM (source), result, &error);
  app->out_writing = FALSE;

  if (written < 0)
    {
      app->out_failed = TRUE;
      g_clear_pointer (&app->out_inflight, g_bytes_unref);
      g_byte_array_set_size (app->out_buf, 0);
      fail (app, EXIT_CONNECTION_ERROR, "cannot write to standard output: %s",
            error->message);
      maybe_finish (app);
      return;
    }

  app->out_offset += written;
  if (app->out_offset >= g_bytes_get_size (app->out_inflight))
    g_clear_pointer (&app->out_inflight, g_bytes_unref);

  if (app->input_paused && out_backlog (app) <= OUT_LOW_WATER)
    {
      app->input_paused = FALSE;
      tcpc_client_resume_input (app->client);
    }

  out_kick (app);
  maybe_finish (app);
}

static void
out_kick (App *app)
{
  const guint8 *data;
  gsize size;

  if (app->out_writing || app->out_failed)
    return;

  if (app->out_inflight == NULL)
    {
      if (app->out_buf->len == 0)
        return;
      app->out_inflight = g_byte_array_free_to_bytes (app->out_buf);
      app->out_buf = g_byte_array_new ();
      app->out_offset = 0;
    }

  data = g_bytes_get_data (app->out_inflight, &size);
  app->out_writing = TRUE;
  g_output_stream_write_async (app->stdout_stream,
                               data + app->out_offset,
                               MIN (size - app->out_offset, app->out_chunk),
                               G_PRIORITY_DEFAULT, NULL,
                               out_written_cb, app);
}

static void
out_append (App          *app,
            const guint8 *data,
            gsize         length,
            gboolean      newline)
{
  if (app->out_failed)
    return;

  g_byte_array_append (app->out_buf, data, length);
  if (newline)
    g_byte_array_append (app->out_buf, (const guint8 *) "\n", 1);

  if (!app->input_paused && out_backlog (app) > OUT_HIGH_WATER &&
      tcpc_client_is_connected (app->client))
    {
      app->input_paused = TRUE;
      tcpc_client_pause_input (app->client);
    }

  out_kick (app);
}

/* ---- standard input */

static void
stdin_eof_action (App *app)
{
  if (app->eof_handled || !app->stdin_eof ||
      tcpc_client_get_state (app->client) != TCPC_CLIENT_STATE_CONNECTED)
    return;

  app->eof_handled = TRUE;
  if (opt_close_on_eof)
    {
      trace (app, "end of stdin: shutting down");
      tcpc_client_shutdown (app->client);
    }
  else
    {
      trace (app, "end of stdin: half-closing");
      tcpc_client_shutdown_output (app->client);
    }
}

/* Puts the held record. FALSE when it must wait for a connection, or when
 * the program is failing.
 */
static gboolean
put_held (App *app)
{
  g_autoptr(GError) error = NULL;

  if (app->held == NULL)
    return TRUE;

  if (!tcpc_client_put (app->client, app->held, &error))
    {
      if (g_error_matches (error, TCPC_CLIENT_ERROR, TCPC_CLIENT_ERROR_NOT_CONNECTED))
        return FALSE;

      g_clear_pointer (&app->held, g_bytes_unref);
      fail (app, EXIT_CONNECTION_ERROR, "cannot send a record: %s", error->message);
      return FALSE;
    }

  g_clear_pointer (&app->held, g_bytes_unref);
  return TRUE;
}

static void
stdin_got (App    *app,
           GBytes *record,
           GError *error)
{
  app->stdin_reading = FALSE;

  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (app, EXIT_CONNECTION_ERROR, "cannot read standard input: %s",
              error->message);
      return;
    }

  if (record == NULL)
    {
      app->stdin_eof = TRUE;
      /* The end of this connection is the end of the program. */
      if (opt_reconnect)
        g_object_set (app->client, "auto-reconnect", FALSE, NULL);
      stdin_eof_action (app);
      return;
    }

  app->held = record;
  if (put_held (app))
    stdin_maybe_read (app);
}

static void
stdin_line_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  App *app = user_data;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  char *line;

  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source),
                                               result, &length, &error);
  if (line == NULL)
    {
      stdin_got (app, NULL, error);
      return;
    }

  if (length > 0 && line[length - 1] == '\r')
    length--;
  stdin_got (app, g_bytes_new_take (line, length), NULL);
}

static void
stdin_chunk_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  App *app = user_data;
  g_autoptr(GError) error = NULL;
  GBytes *chunk;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (chunk == NULL)
    {
      stdin_got (app, NULL, error);
      return;
    }

  if (g_bytes_get_size (chunk) == 0)
    {
      g_bytes_unref (chunk);
      stdin_got (app, NULL, NULL);
      return;
    }

  stdin_got (app, chunk, NULL);
}

static gboolean
stdin_can_read (App *app)
{
  return !app->stdin_reading && !app->stdin_eof && app->held == NULL &&
         app->interrupted == 0 && !app->closed &&
         !g_cancellable_is_cancelled (app->stdin_cancellable) &&
         tcpc_client_is_connected (app->client) &&
         tcpc_client_get_writable (app->client);
}

/* Takes a whole line that is already in the stdin buffer, if there is one:
 * reading it does not touch the file descriptor.
 */
static GBytes *
stdin_take_buffered_line (App *app)
{
  GBufferedInputStream *buffered = G_BUFFERED_INPUT_STREAM (app->stdin_lines);
  gsize available = 0;
  const void *buffer = g_buffered_input_stream_peek_buffer (buffered, &available);
  gsize length = 0;
  char *line;

  if (available == 0 || memchr (buffer, '\n', available) == NULL)
    return NULL;

  line = g_data_input_stream_read_line (app->stdin_lines, &length, NULL, NULL);
  if (line == NULL)
    return NULL;
  if (length > 0 && line[length - 1] == '\r')
    length--;
  return g_bytes_new_take (line, length);
}

/* Reads the next records from stdin while the connection can take them:
 * the lines already buffered at once (so that they leave in one write),
 * then the next read.
 */
static void
stdin_maybe_read (App *app)
{
  guint batch = 0;

  if (!stdin_can_read (app))
    return;

  while (app->stdin_lines != NULL && batch++ < STDIN_BATCH)
    {
      GBytes *record = stdin_take_buffered_line (app);

      if (record == NULL)
        break;
      app->held = record;
      if (!put_held (app) || !stdin_can_read (app))
        return;
    }

  app->stdin_reading = TRUE;
  if (app->stdin_lines != NULL)
    g_data_input_stream_read_line_async (app->stdin_lines, G_PRIORITY_DEFAULT,
                                         app->stdin_cancellable,
                                         stdin_line_cb, app);
  else
    g_input_stream_read_bytes_async (app->stdin_stream, RAW_CHUNK,
                                     G_PRIORITY_DEFAULT,
                                     app->stdin_cancellable,
                                     stdin_chunk_cb, app);
}

/* ---- the client's signals */

static void
started_cb (TcpcClient *client,
            gpointer    user_data)
{
  trace (user_data, "started");
}

static void
connect_progress_cb (TcpcClient         *client,
                     GSocketClientEvent  event,
                     GSocketConnectable *connectable,
                     GIOStream          *connection,
                     gpointer            user_data)
{
  g_autofree char *target = NULL;

  if (!opt_verbose)
    return;

  if (connectable != NULL)
    target = g_socket_connectable_to_string (connectable);
  trace (user_data, "connect-progress %s%s%s",
         enum_nick (G_TYPE_SOCKET_CLIENT_EVENT, event),
         target != NULL ? " " : "", target != NULL ? target : "");
}

static void
connected_cb (TcpcClient     *client,
              GIOStream      *stream,
              GSocketAddress *remote_address,
              gpointer        user_data)
{
  App *app = user_data;

  if (opt_verbose)
    {
      g_autofree char *peer = NULL;

      if (remote_address != NULL)
        peer = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (remote_address));
      trace (app, "connected %s", peer != NULL ? peer : "(unknown peer)");
    }

  /* A connection made after failed attempts or errors: what counts is how
   * this one ends.
   */
  app->status = EXIT_OK;
  app->input_paused = FALSE;
  if (!put_held (app))
    return;
  stdin_eof_action (app);
  stdin_maybe_read (app);
}

static void
connect_error_cb (TcpcClient   *client,
                  const char   *operation,
                  const GError *error,
                  gpointer      user_data)
{
  App *app = user_data;

  if (g_strcmp0 (operation, "filter") == 0)
    app->status = EXIT_FILTER_SETTINGS;
  else
    app->status = EXIT_CONNECT_FAILED;

  if (opt_verbose)
    trace (app, "connect-error %s: %s", operation, error->message);
  else
    g_printerr ("tcpc-cat: %s failed: %s\n", operation, error->message);
}

static void
server_input_cb (TcpcClient *client,
                 GBytes     *record,
                 gpointer    user_data)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (record, &length);

  out_append (user_data, data, length, !opt_raw);
}

static void
server_error_cb (TcpcClient   *client,
                 const char   *operation,
                 const GError *error,
                 gpointer      user_data)
{
  App *app = user_data;

  app->status = EXIT_CONNECTION_ERROR;
  if (opt_verbose)
    trace (app, "server-error %s: %s", operation, error->message);
  else
    g_printerr ("tcpc-cat: %s error: %s\n", operation, error->message);
}

static void
flushed_cb (TcpcClient *client,
            gpointer    user_data)
{
  trace (user_data, "flushed");
}

static void
disconnected_cb (TcpcClient *client,
                 gpointer    user_data)
{
  App *app = user_data;

  trace (app, "disconnected (records sent %" G_GUINT64_FORMAT ", received %"
         G_GUINT64_FORMAT "; bytes sent %" G_GUINT64_FORMAT ", received %"
         G_GUINT64_FORMAT ")",
         tcpc_client_get_records_sent (client),
         tcpc_client_get_records_received (client),
         tcpc_client_get_bytes_sent (client),
         tcpc_client_get_bytes_received (client));
}

static void
state_notify_cb (TcpcClient *client,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  App *app = user_data;
  TcpcClientState state = tcpc_client_get_state (client);

  trace (app, "state %s", enum_nick (TCPC_TYPE_CLIENT_STATE, state));

  switch (state)
    {
    case TCPC_CLIENT_STATE_CLOSED:
      app->closed = TRUE;
      g_cancellable_cancel (app->stdin_cancellable);
      maybe_finish (app);
      break;

    case TCPC_CLIENT_STATE_IDLE:
    case TCPC_CLIENT_STATE_CONNECTING:
    case TCPC_CLIENT_STATE_CONNECTED:
    case TCPC_CLIENT_STATE_SHUTTING_DOWN:
    default:
      break;
    }
}

static void
writable_notify_cb (TcpcClient *client,
                    GParamSpec *pspec,
                    gpointer    user_data)
{
  trace (user_data, "writable %s", tcpc_client_get_writable (client) ? "yes" : "no");
  stdin_maybe_read (user_data);
}

static void
next_retry_notify_cb (TcpcClient *client,
                      GParamSpec *pspec,
                      gpointer    user_data)
{
  App *app = user_data;
  guint next_retry = tcpc_client_get_next_retry (client);

  if (app->last_next_retry == 0 && next_retry > 0)
    trace (app, "retrying in %u s (failed attempts: %u)", next_retry,
           tcpc_client_get_reconnect_attempt (client));
  app->last_next_retry = next_retry;
}

static gboolean
signal_cb (gpointer    user_data,
           const char *name,
           int         status)
{
  App *app = user_data;

  app->interrupted++;
  app->signal_status = status;
  if (app->interrupted > 1 || app->closed)
    {
      trace (app, "%s again: exiting at once", name);
      app->out_failed = TRUE;
      g_main_loop_quit (app->loop);
      return G_SOURCE_CONTINUE;
    }

  trace (app, "%s: shutting down", name);
  g_cancellable_cancel (app->stdin_cancellable);
  tcpc_client_shutdown (app->client);
  return G_SOURCE_CONTINUE;
}

static gboolean
sigint_cb (gpointer user_data)
{
  return signal_cb (user_data, "SIGINT", EXIT_INTERRUPTED);
}

static gboolean
sigterm_cb (gpointer user_data)
{
  return signal_cb (user_data, "SIGTERM", EXIT_TERMINATED);
}

/* ---- setting up */

static int
usage_error (GOptionContext *context,
             const char     *format,
             ...) G_GNUC_PRINTF (2, 3);

static int
usage_error (GOptionContext *context,
             const char     *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("tcpc-cat: %s\nTry “tcpc-cat --help” for more information.\n",
              message);
  return EXIT_USAGE;
}

static int
filter_error (const char *format,
              ...) G_GNUC_PRINTF (1, 2);

static int
filter_error (const char *format,
              ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("tcpc-cat: invalid filter settings: %s\n", message);
  return EXIT_FILTER_SETTINGS;
}

/* Turns the C escapes of --terminator into bytes. FALSE on an unknown
 * escape or a NUL byte, which a terminator cannot hold.
 */
static gboolean
unescape (const char  *text,
          char       **out,
          GError     **error)
{
  static const char simple_names[] = "abefnrtv\\'\"";
  static const char simple_escapes[] = "\a\b\033\f\n\r\t\v\\'\"";
  g_autoptr(GString) result = g_string_new (NULL);
  const char *p = text;

  while (*p != '\0')
    {
      int byte;

      if (*p != '\\')
        {
          g_string_append_c (result, *p++);
          continue;
        }

      p++;
      switch (*p)
        {
        case 'a':
        case 'b':
        case 'e':
        case 'f':
        case 'n':
        case 'r':
        case 't':
        case 'v':
        case '\\':
        case '\'':
        case '"':
          byte = simple_escapes[strchr (simple_names, *p) - simple_names];
          p++;
          break;
        case 'x':
          {
            int digits = 0;

            p++;
            byte = 0;
            while (digits < 2 && g_ascii_isxdigit (*p))
              {
                byte = byte * 16 + g_ascii_xdigit_value (*p++);
                digits++;
              }
            if (digits == 0)
              {
                g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                     "\\x needs hexadecimal digits");
                return FALSE;
              }
          }
          break;
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7':
          {
            int digits = 0;

            byte = 0;
            while (digits < 3 && *p >= '0' && *p <= '7')
              {
                byte = byte * 8 + (*p++ - '0');
                digits++;
              }
            if (byte > 0xff)
              {
                g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                     "an octal escape is above \\377");
                return FALSE;
              }
          }
          break;
        default:
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "unknown escape “\\%.1s”", *p != '\0' ? p : "");
          return FALSE;
        }

      if (byte == 0)
        {
          g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                               "a terminator cannot contain a NUL byte");
          return FALSE;
        }
      g_string_append_c (result, (char) byte);
    }

  *out = g_string_free (g_steal_pointer (&result), FALSE);
  return TRUE;
}

static gboolean
parse_length_codec (const char      *name,
                    TcpcLengthCodec *codec)
{
  static const struct
  {
    const char      *name;
    TcpcLengthCodec  codec;
  } codecs[] = {
    { "ascii", TCPC_LENGTH_CODEC_ASCII },
    { "u8", TCPC_LENGTH_CODEC_UINT8 },
    { "u16be", TCPC_LENGTH_CODEC_UINT16_BE },
    { "u16le", TCPC_LENGTH_CODEC_UINT16_LE },
    { "u32be", TCPC_LENGTH_CODEC_UINT32_BE },
    { "u32le", TCPC_LENGTH_CODEC_UINT32_LE },
    { "u64be", TCPC_LENGTH_CODEC_UINT64_BE },
    { "u64le", TCPC_LENGTH_CODEC_UINT64_LE },
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (codecs); i++)
    if (g_ascii_strcasecmp (name, codecs[i].name) == 0)
      {
        *codec = codecs[i].codec;
        return TRUE;
      }

  return FALSE;
}

/* Splits --bind into an address (or NULL) and a port (0: any). */
static gboolean
parse_bind (const char  *text,
            char       **address,
            guint       *port)
{
  const char *port_text = NULL;
  guint64 number = 0;

  *address = NULL;
  *port = 0;

  if (text[0] == '[')
    {
      const char *close = strchr (text, ']');

      if (close == NULL || close == text + 1)
        return FALSE;
      if (close[1] == ':')
        port_text = close + 2;
      else if (close[1] != '\0')
        return FALSE;
      *address = g_strndup (text + 1, close - text - 1);
    }
  else
    {
      const char *colon = strchr (text, ':');

      if (colon != NULL && strchr (colon + 1, ':') == NULL)
        {
          port_text = colon + 1;
          if (colon > text)
            *address = g_strndup (text, colon - text);
        }
      else if (text[0] != '\0')
        *address = g_strdup (text);
    }

  if (port_text != NULL)
    {
      if (!g_ascii_string_to_unsigned (port_text, 10, 0, G_MAXUINT16, &number, NULL))
        {
          g_clear_pointer (address, g_free);
          return FALSE;
        }
      *port = (guint) number;
    }

  return *address != NULL || port_text != NULL;
}

static gboolean
parse_filter_kind (const char *name,
                   FilterKind *kind)
{
  static const struct
  {
    const char *name;
    FilterKind  kind;
  } kinds[] = {
    { "line", FILTER_LINE },
    { "block", FILTER_BLOCK },
    { "stream", FILTER_STREAM },
    { "netstring", FILTER_NETSTRING },
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_ascii_strcasecmp (name, kinds[i].name) == 0)
      {
        *kind = kinds[i].kind;
        return TRUE;
      }

  return FALSE;
}

/* Builds the filter of the options: EXIT_OK, or EXIT_FILTER_SETTINGS with
 * a message.
 */
static int
make_filter (FilterKind       kind,
             TcpcLengthCodec  codec,
             TcpcFilter     **out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TcpcFilter) filter = NULL;
  gboolean block_options = opt_length_codec != NULL || opt_block_size >= 0;

  if (opt_terminator != NULL && kind != FILTER_LINE)
    return filter_error ("--terminator applies to --filter=line only");
  if (block_options && kind != FILTER_BLOCK)
    return filter_error ("--length-codec and --block-size apply to "
                         "--filter=block only");
  if (opt_max_length >= 0 && kind == FILTER_STREAM)
    return filter_error ("--max-length does not apply to --filter=stream");

  switch (kind)
    {
    case FILTER_LINE:
      {
        TcpcLineFilter *line = tcpc_line_filter_new ();

        filter = TCPC_FILTER (line);
        if (opt_terminator != NULL)
          {
            g_autofree char *terminator = NULL;

            if (!unescape (opt_terminator, &terminator, &error))
              return filter_error ("--terminator: %s", error->message);
            tcpc_line_filter_set_literal (line, terminator);
          }
        if (opt_max_length >= 0)
          tcpc_line_filter_set_max_length (line, (guint) opt_max_length);
        if (!tcpc_line_filter_check_settings (line, &error))
          return filter_error ("%s", error->message);
      }
      break;

    case FILTER_BLOCK:
      {
        TcpcBlockFilter *block;

        /* Fixed-size blocks are made as such, so that a size of 0 is
         * refused rather than read as "no fixed size".
         */
        if (opt_block_size >= 0)
          block = tcpc_block_filter_new_fixed ((guint) opt_block_size);
        else
          block = tcpc_block_filter_new ();
        filter = TCPC_FILTER (block);
        if (opt_length_codec != NULL)
          tcpc_block_filter_set_length_codec (block, codec);
        if (opt_max_length >= 0)
          tcpc_block_filter_set_max_length (block, (guint) opt_max_length);
        if (!tcpc_block_filter_check_settings (block, &error))
          return filter_error ("%s", error->message);
      }
      break;

    case FILTER_STREAM:
      filter = TCPC_FILTER (tcpc_stream_filter_new ());
      break;

    case FILTER_NETSTRING:
      {
        TcpcNetstringFilter *netstring = tcpc_netstring_filter_new ();

        filter = TCPC_FILTER (netstring);
        if (opt_max_length >= 0)
          tcpc_netstring_filter_set_max_length (netstring, (guint) opt_max_length);
        if (!tcpc_netstring_filter_check_settings (netstring, &error))
          return filter_error ("%s", error->message);
      }
      break;

    default:
      g_assert_not_reached ();
    }

  *out = g_steal_pointer (&filter);
  return EXIT_OK;
}

static int
run (int    argc,
     char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TcpcFilter) filter = NULL;
  g_autoptr(TcpcClient) client = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autofree char *bind_address = NULL;
  guint bind_port = 0;
  guint64 port = 0;
  const char *host;
  const char *service = NULL;
  FilterKind kind = FILTER_LINE;
  TcpcLengthCodec codec = TCPC_LENGTH_CODEC_ASCII;
  guint sigint_id;
  guint sigterm_id;
  App app = { 0 };
  int status;

  context = g_option_context_new ("HOST PORT");
  g_option_context_set_summary (context,
    "Connect to HOST PORT over TCP, send standard input as records and print\n"
    "the records the server sends. PORT is a number or a service name.");
  g_option_context_set_description (context, option_description);
  g_option_context_add_main_entries (context, option_entries, NULL);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (context, "%s", error->message);

  if (opt_version)
    {
      g_print ("tcpc-cat (tcpclient) %s\n", PACKAGE_VERSION);
      return EXIT_OK;
    }

  if (opt_args == NULL || g_strv_length (opt_args) != 2)
    return usage_error (context, "expected HOST and PORT");
  host = opt_args[0];
  if (host[0] == '\0')
    return usage_error (context, "HOST is empty");
  if (!g_ascii_string_to_unsigned (opt_args[1], 10, 1, G_MAXUINT16, &port, NULL))
    {
      if (opt_args[1][0] == '\0' || g_ascii_isdigit (opt_args[1][0]))
        return usage_error (context, "PORT must be 1 to 65535 or a service "
                            "name, not “%s”", opt_args[1]);
      service = opt_args[1];
    }

  if (opt_ipv4 && opt_ipv6)
    return usage_error (context, "--ipv4 and --ipv6 exclude each other");
  if (opt_bind != NULL && !parse_bind (opt_bind, &bind_address, &bind_port))
    return usage_error (context, "--bind takes ADDR, ADDR:PORT, [IPV6]:PORT or "
                        ":PORT, not “%s”", opt_bind);

  /* --length-codec and --block-size imply --filter=block. */
  if (opt_filter == NULL && (opt_length_codec != NULL || opt_block_size >= 0))
    kind = FILTER_BLOCK;
  else if (opt_filter != NULL && !parse_filter_kind (opt_filter, &kind))
    return usage_error (context, "unknown filter “%s”: use line, block, stream "
                        "or netstring", opt_filter);
  if (opt_length_codec != NULL && !parse_length_codec (opt_length_codec, &codec))
    return usage_error (context, "unknown length codec “%s”: use ascii, u8, "
                        "u16be, u16le, u32be, u32le, u64be or u64le",
                        opt_length_codec);

  status = make_filter (kind, codec, &filter);
  if (status != EXIT_OK)
    return status;

  if (opt_ca_file != NULL)
    {
      database = g_tls_file_database_new (opt_ca_file, &error);
      if (database == NULL)
        return usage_error (context, "cannot load --ca-file: %s", error->message);
      opt_tls = TRUE;
    }

  client = tcpc_client_new (host, (guint16) port);
  tcpc_client_set_name (client, "tcpc-cat");
  tcpc_client_set_filter (client, filter);
  if (service != NULL)
    tcpc_client_set_remote_service (client, service);
  if (opt_ipv4)
    tcpc_client_set_family (client, G_SOCKET_FAMILY_IPV4);
  else if (opt_ipv6)
    tcpc_client_set_family (client, G_SOCKET_FAMILY_IPV6);
  if (bind_address != NULL)
    tcpc_client_set_bind_address (client, bind_address);
  if (bind_port != 0)
    tcpc_client_set_bind_port (client, bind_port);
  if (opt_connect_timeout >= 0)
    tcpc_client_set_connect_timeout (client, opt_connect_timeout);
  if (opt_idle_timeout >= 0)
    g_object_set (client, "idle-timeout", opt_idle_timeout, NULL);
  if (opt_tls)
    tcpc_client_set_tls (client, TRUE);
  if (database != NULL)
    g_object_set (client, "tls-database", database, NULL);
  if (opt_proxy != NULL)
    g_object_set (client, "proxy-uri", opt_proxy, NULL);
  if (opt_reconnect_delay >= 0 || opt_reconnect_max_attempts >= 0)
    opt_reconnect = TRUE;
  if (opt_reconnect)
    g_object_set (client, "auto-reconnect", TRUE, NULL);
  if (opt_reconnect_delay >= 0)
    g_object_set (client, "reconnect-delay", opt_reconnect_delay, NULL);
  if (opt_reconnect_max_attempts >= 0)
    g_object_set (client, "reconnect-max-attempts",
                  (guint) opt_reconnect_max_attempts, NULL);

  app.loop = g_main_loop_new (NULL, FALSE);
  app.client = client;
  app.start_time = g_get_monotonic_time ();
  app.status = EXIT_OK;
  app.stdin_cancellable = g_cancellable_new ();
  app.stdin_stream = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  if (!opt_raw)
    {
      app.stdin_lines = g_data_input_stream_new (app.stdin_stream);
      g_data_input_stream_set_newline_type (app.stdin_lines,
                                            G_DATA_STREAM_NEWLINE_TYPE_LF);
      g_buffered_input_stream_set_buffer_size (G_BUFFERED_INPUT_STREAM (app.stdin_lines),
                                               RAW_CHUNK);
    }
  app.stdout_stream = g_unix_output_stream_new (STDOUT_FILENO, FALSE);
  if (g_pollable_output_stream_can_poll (G_POLLABLE_OUTPUT_STREAM (app.stdout_stream)))
    app.out_chunk = OUT_CHUNK_POLLABLE;
  else
    app.out_chunk = OUT_CHUNK_FILE;
  app.out_buf = g_byte_array_new ();

  g_signal_connect (client, "started", G_CALLBACK (started_cb), &app);
  g_signal_connect (client, "connect-progress", G_CALLBACK (connect_progress_cb), &app);
  g_signal_connect (client, "connected", G_CALLBACK (connected_cb), &app);
  g_signal_connect (client, "connect-error", G_CALLBACK (connect_error_cb), &app);
  g_signal_connect (client, "server-input", G_CALLBACK (server_input_cb), &app);
  g_signal_connect (client, "server-error", G_CALLBACK (server_error_cb), &app);
  g_signal_connect (client, "flushed", G_CALLBACK (flushed_cb), &app);
  g_signal_connect (client, "disconnected", G_CALLBACK (disconnected_cb), &app);
  g_signal_connect (client, "notify::state", G_CALLBACK (state_notify_cb), &app);
  g_signal_connect (client, "notify::writable", G_CALLBACK (writable_notify_cb), &app);
  g_signal_connect (client, "notify::next-retry", G_CALLBACK (next_retry_notify_cb), &app);

  sigint_id = g_unix_signal_add (SIGINT, sigint_cb, &app);
  sigterm_id = g_unix_signal_add (SIGTERM, sigterm_cb, &app);

  tcpc_client_start (client);
  g_main_loop_run (app.loop);

  status = app.interrupted > 0 ? app.signal_status : app.status;
  trace (&app, "exit %d", status);

  /* Nothing is emitted once the client is gone; a read of stdin still in
   * a worker thread ends with the process.
   */
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_cancellable_cancel (app.stdin_cancellable);
  g_signal_handlers_disconnect_by_data (client, &app);
  g_clear_object (&client);
  g_clear_pointer (&app.held, g_bytes_unref);
  g_clear_pointer (&app.out_inflight, g_bytes_unref);
  g_byte_array_unref (app.out_buf);
  g_object_unref (app.stdout_stream);
  g_clear_object (&app.stdin_lines);
  g_object_unref (app.stdin_stream);
  g_object_unref (app.stdin_cancellable);
  g_main_loop_unref (app.loop);

  return status;
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  g_set_prgname ("tcpc-cat");

  return run (argc, argv);
}
