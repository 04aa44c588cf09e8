/* test-rules.c: contract rules pinned through a real client and a loopback
 *               server
 *
 * Each test drives a TcpcClient against the scripted in-process server on
 * 127.0.0.1 and checks one rule of shared/API.md that the item-by-item
 * tests of test-client.c leave open: a reconnect asked for inside any
 * handler sticks; connect_to() and reconnect() drop the queued output and
 * the buffered input of the connection they replace, also while it is
 * flushing; remote-service overrides a non-zero remote-port; output
 * queued when the server ends its stream is still written, and a server
 * half-close during a flushing shutdown does not stop the flush; a
 * partial record at the end of the stream is dropped (block filter); and
 * the records parsed before an oversized one are delivered before its
 * server-error.
 *
 * Where the server must not read until the test says so, its connection
 * runs a script that only waits, and a "late reader" of this file reads
 * the socket from the moment the test starts it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <gio/gio.h>
#include <tcpclient.h>

#include "tcpc-test-server.h"

#define WAIT_MS         5000
#define WAIT_LONG_MS   20000

/* A server connection that runs the hold script reads nothing for this
 * long: far longer than any test. */
#define HOLD_MS        (30 * 60 * 1000)

/* 20 records of 999 998 bytes: 20 000 000 bytes on the wire with "\r\n",
 * more than the loopback socket buffers take from a peer that does not
 * read */
#define BULK_RECORDS    20
#define BULK_RECORD_LEN 999998
#define BULK_BYTES      ((guint64) BULK_RECORDS * (BULK_RECORD_LEN + 2))

static const char *reset_event = "server-error:read:io:connection-closed";
static const char *too_long_event = "server-error:read:filter:record-too-long";

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* A script whose connection neither reads nor writes: the test takes the
 * socket over with a late reader, or shuts it down itself. */
static void
add_hold_script (TcpcTestServer *server)
{
  tcpc_test_script_wait (tcpc_test_server_add_script (server), HOLD_MS);
}

/* Reads a held server connection from the moment it is started, counting
 * the bytes, until the end of the stream or an error. */
typedef struct
{
  GSocket    *socket;
  GSource    *source;
  GByteArray *received;   /* the first 64 KiB */
  guint64     n_received;
  gboolean    eof;
  gboolean    failed;
} LateReader;

static gboolean
late_reader_ready_cb (GSocket      *socket,
                      GIOCondition  condition,
                      gpointer      user_data)
{
  LateReader *reader = user_data;
  guint8 buf[65536];

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n;

      n = g_socket_receive (socket, (char *) buf, sizeof buf, NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
      if (n < 0)
        {
          g_test_message ("late reader: %s", error->message);
          reader->failed = TRUE;
          break;
        }
      if (n == 0)
        {
          reader->eof = TRUE;
          break;
        }
      reader->n_received += n;
      if (reader->received->len < 65536)
        g_byte_array_append (reader->received, buf,
                             MIN ((guint) n, 65536 - reader->received->len));
    }

  g_clear_pointer (&reader->source, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
late_reader_start (LateReader   *reader,
                   TcpcTestConn *conn)
{
  g_assert_nonnull (conn->socket);

  memset (reader, 0, sizeof *reader);
  reader->socket = g_object_ref (conn->socket);
  reader->received = g_byte_array_new ();
  reader->source = g_socket_create_source (reader->socket,
                                           G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (reader->source, G_SOURCE_FUNC (late_reader_ready_cb),
                         reader, NULL);
  g_source_set_static_name (reader->source, "test-rules-late-reader");
  g_source_attach (reader->source, conn->server->context);
}

static gboolean
late_reader_finished (LateReader *reader)
{
  return reader->eof || reader->failed;
}

static void
late_reader_clear (LateReader *reader)
{
  if (reader->source != NULL)
    {
      g_source_destroy (reader->source);
      g_clear_pointer (&reader->source, g_source_unref);
    }
  g_clear_object (&reader->socket);
  g_clear_pointer (&reader->received, g_byte_array_unref);
}

/* The client's current connection is the server's connection @index:
 * its local port is that connection's peer port. */
static void
assert_connected_to (TcpcClient     *client,
                     TcpcTestServer *server,
                     guint           index)
{
  GIOStream *stream = tcpc_client_get_stream (client);
  TcpcTestConn *conn;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTED);
  g_assert_true (G_IS_SOCKET_CONNECTION (stream));
  WAIT_CONNS (server, index + 1);
  conn = tcpc_test_server_get_conn (server, index);

  local = g_socket_connection_get_local_address (G_SOCKET_CONNECTION (stream), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tcpc_test_address_port (local), ==,
                    tcpc_test_address_port (conn->peer));
}

/* Shuts the client down from CONNECTED with nothing queued and checks it
 * ends CLOSED after one more disconnected. */
static void
shutdown_and_finish (TcpcClient       *client,
                     TcpcTestRecorder *rec)
{
  guint n_disconnected = tcpc_test_recorder_count (rec, "disconnected");

  tcpc_client_shutdown (client);
  WAIT_COUNT (rec, "disconnected", n_disconnected + 1);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  g_assert_cmpstr (g_ptr_array_index (rec->all, rec->all->len - 1), ==, "state:CLOSED");
  g_assert_null (tcpc_client_get_stream (client));
  tcpc_test_finish_client (client, rec);
}

/* ------------------------------------------------------------------------ */
/* 1. A reconnect asked for inside any handler sticks                        */
/* ------------------------------------------------------------------------ */

typedef struct
{
  TcpcTestRecorder *rec;
  guint             n_calls;
  TcpcClientState   state_after;
} ReconnectOnce;

/* The first call reconnects; the state right after is recorded. */
static void
reconnect_once (TcpcClient    *client,
                ReconnectOnce *r)
{
  if (++r->n_calls != 1)
    return;

  tcpc_client_reconnect (client);
  r->state_after = tcpc_client_get_state (client);
}

static void
reconnect_on_server_error_cb (TcpcClient    *client,
                              const char    *operation,
                              const GError  *error,
                              ReconnectOnce *r)
{
  reconnect_once (client, r);
}

static void
reconnect_on_server_input_cb (TcpcClient    *client,
                              GBytes        *record,
                              ReconnectOnce *r)
{
  reconnect_once (client, r);
}

static void
reconnect_on_flushed_cb (TcpcClient    *client,
                         ReconnectOnce *r)
{
  reconnect_once (client, r);
}

static GIOStream *
reconnect_on_pre_connect_cb (TcpcClient    *client,
                             GIOStream     *stream,
                             ReconnectOnce *r)
{
  tcpc_test_recorder_add (r->rec, "pre-connect");
  reconnect_once (client, r);
  return g_object_ref (stream);
}

/* server-error from a filter error with shutdown-on-error FALSE: the
 * client connects again, and the rest of the hostile input is not parsed */
static void
test_reconnect_in_server_error_filter (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *first = tcpc_test_server_add_script (server);
  TcpcTestScript *second = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(TcpcLineFilter) filter = tcpc_line_filter_new ();
  ReconnectOnce r = { rec, 0, 0 };

  tcpc_line_filter_set_max_length (filter, 8);
  tcpc_client_set_filter (client, TCPC_FILTER (filter));
  tcpc_client_set_shutdown_on_error (client, FALSE);
  g_signal_connect (client, "server-error",
                    G_CALLBACK (reconnect_on_server_error_cb), &r);

  tcpc_test_script_write_string (first, "this line is far too long\nstale\n");
  tcpc_test_script_read_to_eof (first);
  tcpc_test_script_read_to_eof (second);

  tcpc_client_start (client);
  WAIT_COUNT (rec, "connected", 2);
  WAIT_CONN_FINISHED (server, 0);
  tcpc_test_spin (100);

  g_assert_cmpint (r.state_after, ==, TCPC_CLIENT_STATE_CONNECTING);
  tcpc_test_assert_events (rec, "started", "connected", too_long_event, "connected");
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CONNECTED",
                           "state:CONNECTING", "state:CONNECTED");
  g_assert_true (tcpc_test_server_get_conn (server, 0)->eof);
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 2);
  assert_connected_to (client, server, 1);

  shutdown_and_finish (client, rec);
  tcpc_test_server_free (server);
}

/* server-error from a reset with shutdown-on-error TRUE (the default):
 * the reconnect beats the close that shutdown-on-error would do, and the
 * replaced connection has no disconnected */
static void
test_reconnect_in_server_error_reset (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *first = tcpc_test_server_add_script (server);
  TcpcTestScript *second = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  ReconnectOnce r = { rec, 0, 0 };

  g_assert_true (tcpc_client_get_shutdown_on_error (client));
  g_signal_connect (client, "server-error",
                    G_CALLBACK (reconnect_on_server_error_cb), &r);

  /* the reset follows the client's "x": it cannot race the connect */
  tcpc_test_script_read_bytes (first, 3);
  tcpc_test_script_reset (first);
  tcpc_test_script_read_to_eof (second);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_put_string_ok (client, "x");
  WAIT_COUNT (rec, "connected", 2);
  tcpc_test_spin (100);

  g_assert_cmpint (r.state_after, ==, TCPC_CLIENT_STATE_CONNECTING);
  tcpc_test_assert_events (rec, "started", "connected", "flushed", reset_event,
                           "connected");
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CONNECTED",
                           "state:CONNECTING", "state:CONNECTED");
  g_assert_cmpuint (tcpc_test_server_get_conn (server, 0)->n_received, ==, 3);
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 2);
  assert_connected_to (client, server, 1);

  shutdown_and_finish (client, rec);
  tcpc_test_server_free (server);
}

/* server-input: the client connects again, and the records after the one
 * being handled, from the same read, are not delivered */
static void
test_reconnect_in_server_input (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *first = tcpc_test_server_add_script (server);
  TcpcTestScript *second = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  ReconnectOnce r = { rec, 0, 0 };

  g_signal_connect (client, "server-input",
                    G_CALLBACK (reconnect_on_server_input_cb), &r);

  tcpc_test_script_write_string (first, "go\nstale\n");
  tcpc_test_script_read_to_eof (first);
  tcpc_test_script_read_to_eof (second);

  tcpc_client_start (client);
  WAIT_COUNT (rec, "connected", 2);
  WAIT_CONN_FINISHED (server, 0);
  tcpc_test_spin (100);

  g_assert_cmpuint (r.n_calls, ==, 1);
  g_assert_cmpint (r.state_after, ==, TCPC_CLIENT_STATE_CONNECTING);
  tcpc_test_assert_events (rec, "started", "connected", "input:go", "connected");
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CONNECTED",
                           "state:CONNECTING", "state:CONNECTED");
  g_assert_true (tcpc_test_server_get_conn (server, 0)->eof);
  assert_connected_to (client, server, 1);

  shutdown_and_finish (client, rec);
  tcpc_test_server_free (server);
}

/* flushed: the client connects again once its output is written */
static void
test_reconnect_in_flushed (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  ReconnectOnce r = { rec, 0, 0 };
  TcpcTestConn *conn;

  g_signal_connect (client, "flushed", G_CALLBACK (reconnect_on_flushed_cb), &r);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_put_string_ok (client, "hello");
  WAIT_COUNT (rec, "connected", 2);
  WAIT_CONN_FINISHED (server, 0);
  conn = tcpc_test_server_get_conn (server, 0);
  tcpc_test_spin (100);

  g_assert_cmpint (r.state_after, ==, TCPC_CLIENT_STATE_CONNECTING);
  tcpc_test_assert_events (rec, "started", "connected", "flushed", "connected");
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CONNECTED",
                           "state:CONNECTING", "state:CONNECTED");
  g_assert_cmpstr (tcpc_test_conn_received_str (conn), ==, "hello\r\n");
  g_assert_true (conn->eof);
  assert_connected_to (client, server, 1);

  shutdown_and_finish (client, rec);
  tcpc_test_server_free (server);
}

/* pre-connect: the stream offered is closed unused (neither connected
 * nor connect-error for it) and the client connects again */
static void
test_reconnect_in_pre_connect (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  ReconnectOnce r = { rec, 0, 0 };

  g_signal_connect (client, "pre-connect",
                    G_CALLBACK (reconnect_on_pre_connect_cb), &r);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  WAIT_CONN_FINISHED (server, 0);
  tcpc_test_spin (100);

  g_assert_cmpuint (r.n_calls, ==, 2);
  g_assert_cmpint (r.state_after, ==, TCPC_CLIENT_STATE_CONNECTING);
  tcpc_test_assert_events (rec, "started", "pre-connect", "pre-connect", "connected");
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CONNECTED");
  g_assert_true (tcpc_test_server_get_conn (server, 0)->eof);
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 2);
  assert_connected_to (client, server, 1);

  shutdown_and_finish (client, rec);
  tcpc_test_server_free (server);
}

/* ------------------------------------------------------------------------ */
/* 2. connect_to() drops the queued output and the buffered input            */
/* ------------------------------------------------------------------------ */

/* The first connection gets no byte of the queued output beyond what the
 * kernel had taken when connect_to() was called, and no flushed or
 * disconnected is emitted for it; the input it sent last, already in the
 * client's socket or filter, never comes out; the new connection carries
 * only what is put afterwards. */
static void
test_connect_to_drops_buffers (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *first = tcpc_test_server_add_script (server);
  TcpcTestScript *second = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  static const char last_input[] = "second\npartial";
  g_autoptr(GError) error = NULL;
  TcpcTestConn *conn;
  LateReader late;
  guint64 sent;

  tcpc_test_script_write_string (first, "first\n");
  tcpc_test_script_wait (first, HOLD_MS);
  tcpc_test_script_read_to_eof (second);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "input:first");
  conn = tcpc_test_server_get_conn (server, 0);
  tcpc_test_put_bulk (client, BULK_RECORDS, BULK_RECORD_LEN);
  /* the kernel has taken part of it, the rest is queued */
  TCPC_TEST_WAIT (tcpc_client_get_bytes_sent (client) > 0, WAIT_MS);
  g_assert_cmpuint (tcpc_client_get_pending_output_bytes (client), >, 0);

  /* input the client has not delivered yet: nothing runs the main loop
   * between this write and connect_to() */
  g_assert_cmpint (g_socket_send (conn->socket, last_input, strlen (last_input),
                                  NULL, &error), ==, strlen (last_input));
  g_assert_no_error (error);
  sent = tcpc_client_get_bytes_sent (client);
  g_assert_cmpuint (sent, <, BULK_BYTES);
  tcpc_client_connect_to (client, NULL, 0);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTING);

  WAIT_COUNT (rec, "connected", 2);
  assert_connected_to (client, server, 1);
  g_assert_cmpuint (tcpc_client_get_pending_output_bytes (client), ==, 0);
  tcpc_test_put_string_ok (client, "after");

  /* the first connection now reads what reached it (a byte more than
   * the kernel had taken is a failure at once) */
  late_reader_start (&late, conn);
  TCPC_TEST_WAIT (late_reader_finished (&late) || late.n_received > sent, WAIT_LONG_MS);
  g_test_message ("first connection: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                  " bytes written before connect_to, %" G_GUINT64_FORMAT
                  " received (eof %d)", sent, BULK_BYTES, late.n_received, late.eof);
  g_assert_cmpuint (late.n_received, <=, sent);

  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 1);
  tcpc_test_spin (100);

  tcpc_test_assert_events (rec, "started", "connected", "input:first", "connected",
                           "flushed", "disconnected");
  g_assert_cmpstr (tcpc_test_conn_received_str (tcpc_test_server_get_conn (server, 1)),
                   ==, "after\r\n");
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CLOSED);

  late_reader_clear (&late);
  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* ------------------------------------------------------------------------ */
/* 3. remote-service overrides a non-zero remote-port                        */
/* ------------------------------------------------------------------------ */

static void
test_service_overrides_port (void)
{
  guint16 refused_port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&refused_port);
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_client_new ("127.0.0.1", refused_port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autofree char *service = g_strdup_printf ("%u", server->port);

  g_assert_cmpuint (refused_port, !=, 0);
  g_assert_cmpuint (refused_port, !=, server->port);
  tcpc_client_set_remote_service (client, service);
  g_assert_cmpuint (tcpc_client_get_remote_port (client), ==, refused_port);

  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "connected") ||
                  tcpc_test_count_prefix (rec->events, "connect-error") > 0, WAIT_MS);
  tcpc_test_spin (50);

  tcpc_test_assert_events (rec, "started", "connected");
  g_assert_cmpuint (tcpc_test_address_port (rec->last_remote), ==, server->port);
  assert_connected_to (client, server, 0);
  /* the service wins without replacing the port */
  g_assert_cmpuint (tcpc_client_get_remote_port (client), ==, refused_port);
  g_assert_cmpstr (tcpc_client_get_remote_service (client), ==, service);

  /* connect_to (NULL, 0) keeps the target: the service still wins */
  tcpc_client_connect_to (client, NULL, 0);
  WAIT_COUNT (rec, "connected", 2);
  tcpc_test_assert_events (rec, "started", "connected", "connected");
  assert_connected_to (client, server, 1);
  g_assert_cmpstr (tcpc_client_get_remote_service (client), ==, service);

  shutdown_and_finish (client, rec);
  tcpc_test_server_free (server);
  g_object_unref (reserved);
}

/* ------------------------------------------------------------------------ */
/* 4. reconnect() and connect_to() during a flushing shutdown                */
/* ------------------------------------------------------------------------ */

typedef enum
{
  REPLACE_RECONNECT,
  REPLACE_CONNECT_TO,
} ReplaceCommand;

/* A shutdown is flushing 20 MB to a server that does not read when the
 * command replaces the connection: neither flushed nor disconnected for
 * it, it gets nothing more than the kernel had taken, and the client
 * connects again (with connect_to, to another server). */
static void
check_replace_while_flushing (ReplaceCommand command)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestServer *other = tcpc_test_server_new ();
  TcpcTestServer *next = command == REPLACE_CONNECT_TO ? other : server;
  guint next_index = command == REPLACE_CONNECT_TO ? 0 : 1;
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  LateReader late;
  guint64 sent;

  add_hold_script (server);
  tcpc_test_script_read_to_eof (tcpc_test_server_add_script (server));

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_put_bulk (client, BULK_RECORDS, BULK_RECORD_LEN);
  TCPC_TEST_WAIT (tcpc_client_get_bytes_sent (client) > 0, WAIT_MS);
  tcpc_client_shutdown (client);
  tcpc_test_spin (50);

  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_SHUTTING_DOWN);
  g_assert_cmpuint (tcpc_client_get_pending_output_bytes (client), >, 0);
  tcpc_test_assert_events (rec, "started", "connected");
  sent = tcpc_client_get_bytes_sent (client);
  g_assert_cmpuint (sent, <, BULK_BYTES);

  if (command == REPLACE_CONNECT_TO)
    tcpc_client_connect_to (client, NULL, other->port);
  else
    tcpc_client_reconnect (client);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTING);

  WAIT_COUNT (rec, "connected", 2);
  assert_connected_to (client, next, next_index);
  late_reader_start (&late, tcpc_test_server_get_conn (server, 0));
  TCPC_TEST_WAIT (late_reader_finished (&late) || late.n_received > sent, WAIT_LONG_MS);
  tcpc_test_spin (100);

  g_test_message ("replaced connection: %" G_GUINT64_FORMAT " bytes written before "
                  "the command, %" G_GUINT64_FORMAT " received (eof %d)",
                  sent, late.n_received, late.eof);
  g_assert_cmpuint (late.n_received, <=, sent);
  tcpc_test_assert_events (rec, "started", "connected", "connected");
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CONNECTED",
                           "state:SHUTTING_DOWN", "state:CONNECTING",
                           "state:CONNECTED");
  g_assert_cmpuint (tcpc_client_get_pending_output_bytes (client), ==, 0);
  g_assert_true (tcpc_client_is_connected (client));

  late_reader_clear (&late);
  shutdown_and_finish (client, rec);
  tcpc_test_server_free (other);
  tcpc_test_server_free (server);
}

static void
test_reconnect_while_flushing (void)
{
  check_replace_while_flushing (REPLACE_RECONNECT);
}

static void
test_connect_to_while_flushing (void)
{
  check_replace_while_flushing (REPLACE_CONNECT_TO);
}

/* ------------------------------------------------------------------------ */
/* 5. The server half-closes during a flushing shutdown                      */
/* ------------------------------------------------------------------------ */

static void
test_half_close_during_flush (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  TcpcTestConn *conn;
  LateReader late;
  g_autoptr(GError) error = NULL;

  add_hold_script (server);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  WAIT_CONNS (server, 1);
  conn = tcpc_test_server_get_conn (server, 0);
  tcpc_test_put_bulk (client, BULK_RECORDS, BULK_RECORD_LEN);
  tcpc_client_shutdown (client);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_SHUTTING_DOWN);

  /* the server ends its stream while the client flushes */
  g_assert_true (g_socket_shutdown (conn->socket, FALSE, TRUE, &error));
  g_assert_no_error (error);
  tcpc_test_spin (200);

  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_SHUTTING_DOWN);
  g_assert_cmpuint (tcpc_client_get_pending_output_bytes (client), >, 0);
  tcpc_test_assert_events (rec, "started", "connected");

  late_reader_start (&late, conn);
  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "disconnected"), WAIT_LONG_MS);
  TCPC_TEST_WAIT (late_reader_finished (&late), WAIT_LONG_MS);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);

  g_assert_cmpuint (late.n_received, ==, BULK_BYTES);
  g_assert_true (late.eof);
  g_assert_false (late.failed);
  tcpc_test_assert_events (rec, "started", "connected", "flushed", "disconnected");
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CONNECTED",
                           "state:SHUTTING_DOWN", "state:CLOSED");

  late_reader_clear (&late);
  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* ------------------------------------------------------------------------ */
/* 6. Output queued when the server ends its stream is still written         */
/* ------------------------------------------------------------------------ */

static void
test_output_after_server_eof (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  TcpcTestConn *conn;
  LateReader late;
  g_autoptr(GError) error = NULL;

  add_hold_script (server);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  WAIT_CONNS (server, 1);
  conn = tcpc_test_server_get_conn (server, 0);
  tcpc_test_put_bulk (client, BULK_RECORDS, BULK_RECORD_LEN);

  /* the server ends its stream and reads nothing yet */
  g_assert_true (g_socket_shutdown (conn->socket, FALSE, TRUE, &error));
  g_assert_no_error (error);
  WAIT_STATE (client, TCPC_CLIENT_STATE_SHUTTING_DOWN);
  tcpc_test_spin (100);

  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_SHUTTING_DOWN);
  g_assert_cmpuint (tcpc_client_get_pending_output_bytes (client), >, 0);
  g_assert_false (tcpc_client_is_connected (client));
  tcpc_test_assert_events (rec, "started", "connected");

  /* now it reads: every byte arrives, then the client closes */
  late_reader_start (&late, conn);
  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "disconnected"), WAIT_LONG_MS);
  TCPC_TEST_WAIT (late_reader_finished (&late), WAIT_LONG_MS);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);

  g_assert_cmpuint (late.n_received, ==, BULK_BYTES);
  g_assert_true (late.eof);
  g_assert_false (late.failed);
  tcpc_test_assert_events (rec, "started", "connected", "flushed", "disconnected");
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CONNECTED",
                           "state:SHUTTING_DOWN", "state:CLOSED");
  g_assert_null (tcpc_client_get_stream (client));

  late_reader_clear (&late);
  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* ------------------------------------------------------------------------ */
/* 7. Block filter: the server closes in the middle of a record              */
/* ------------------------------------------------------------------------ */

/* The server writes @data and closes: the complete records come out, the
 * partial one is dropped, then disconnected, and no server-error. */
static void
check_block_eof_mid_record (TcpcBlockFilter *filter,
                            const char      *data,
                            gsize            len,
                            const char      *first_event,
                            ...) G_GNUC_NULL_TERMINATED;

static void
check_block_eof_mid_record (TcpcBlockFilter *filter,
                            const char      *data,
                            gsize            len,
                            const char      *first_event,
                            ...)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(GPtrArray) expected = g_ptr_array_new ();
  g_autofree char *dump = NULL;
  const char *event;
  va_list args;
  guint i;

  tcpc_client_set_filter (client, TCPC_FILTER (filter));
  tcpc_test_script_write (script, data, len);
  tcpc_test_script_close (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);

  g_ptr_array_add (expected, (gpointer) "started");
  g_ptr_array_add (expected, (gpointer) "connected");
  va_start (args, first_event);
  for (event = first_event; event != NULL; event = va_arg (args, const char *))
    g_ptr_array_add (expected, (gpointer) event);
  va_end (args);
  g_ptr_array_add (expected, (gpointer) "disconnected");

  dump = tcpc_test_recorder_dump (rec);
  g_test_message ("events: %s", dump);
  g_assert_cmpuint (rec->events->len, ==, expected->len);
  for (i = 0; i < expected->len; i++)
    g_assert_cmpstr (g_ptr_array_index (rec->events, i), ==,
                     g_ptr_array_index (expected, i));
  g_assert_cmpuint (tcpc_test_count_prefix (rec->events, "server-error"), ==, 0);
  g_assert_cmpstr (g_ptr_array_index (rec->all, rec->all->len - 1), ==, "state:CLOSED");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* poe-spec item 25: "2\0ok10\0abc" then close gives "ok" only */
static void
test_block_eof_mid_record (void)
{
  g_autoptr(TcpcBlockFilter) filter = tcpc_block_filter_new ();
  static const char data[] = "2\0ok10\0abc";

  g_assert_cmpint (tcpc_block_filter_get_length_codec (filter), ==,
                   TCPC_LENGTH_CODEC_ASCII);
  check_block_eof_mid_record (filter, data, sizeof data - 1, "input:ok", NULL);
}

/* the same with fixed-size records: two blocks of 4, then 2 bytes */
static void
test_block_fixed_eof_mid_record (void)
{
  g_autoptr(TcpcBlockFilter) filter = tcpc_block_filter_new_fixed (4);
  static const char data[] = "abcdefghij";

  check_block_eof_mid_record (filter, data, sizeof data - 1,
                              "input:abcd", "input:efgh", NULL);
}

/* ------------------------------------------------------------------------ */
/* 8. The records before an oversized one come first                         */
/* ------------------------------------------------------------------------ */

/* Line filter with max-length 8: "abc" then a 100-byte line, in one write:
 * server-input "abc", then server-error "read", then (shutdown-on-error)
 * disconnected. */
static void
test_record_before_oversized_line (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(TcpcLineFilter) filter = tcpc_line_filter_new ();
  g_autoptr(GString) data = g_string_new ("abc\n");

  g_string_append_len (data, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 50);
  g_string_append_len (data, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 50);
  g_string_append (data, "\nlate\n");
  tcpc_line_filter_set_max_length (filter, 8);
  tcpc_client_set_filter (client, TCPC_FILTER (filter));
  g_assert_true (tcpc_client_get_shutdown_on_error (client));

  tcpc_test_script_write (script, data->str, data->len);
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  WAIT_CONN_FINISHED (server, 0);
  tcpc_test_spin (100);

  tcpc_test_assert_events (rec, "started", "connected", "input:abc", too_long_event,
                           "disconnected");
  g_assert_cmpstr (rec->last_operation, ==, "read");
  g_assert_error (rec->last_error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  g_assert_true (tcpc_test_server_get_conn (server, 0)->eof);
  g_assert_cmpstr (g_ptr_array_index (rec->all, rec->all->len - 1), ==, "state:CLOSED");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* poe-spec item 57: block filter (ASCII lengths) with max-length 100:
 * "3\0abc1000\0xyz" gives "abc", then the filter error at once, without
 * waiting for a body that never comes (the server neither sends it nor
 * closes) */
static void
test_record_before_oversized_block_header (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(TcpcBlockFilter) filter = tcpc_block_filter_new ();
  static const char data[] = "3\0abc1000\0xyz";

  tcpc_block_filter_set_max_length (filter, 100);
  tcpc_client_set_filter (client, TCPC_FILTER (filter));

  tcpc_test_script_write (script, data, sizeof data - 1);
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  WAIT_CONN_FINISHED (server, 0);
  tcpc_test_spin (100);

  tcpc_test_assert_events (rec, "started", "connected", "input:abc", too_long_event,
                           "disconnected");
  g_assert_cmpstr (rec->last_operation, ==, "read");
  g_assert_true (tcpc_test_server_get_conn (server, 0)->eof);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Tcpc/Rules/reconnect-in-server-error-filter",
                   test_reconnect_in_server_error_filter);
  g_test_add_func ("/Tcpc/Rules/reconnect-in-server-error-reset",
                   test_reconnect_in_server_error_reset);
  g_test_add_func ("/Tcpc/Rules/reconnect-in-server-input", test_reconnect_in_server_input);
  g_test_add_func ("/Tcpc/Rules/reconnect-in-flushed", test_reconnect_in_flushed);
  g_test_add_func ("/Tcpc/Rules/reconnect-in-pre-connect", test_reconnect_in_pre_connect);
  g_test_add_func ("/Tcpc/Rules/connect-to-drops-buffers", test_connect_to_drops_buffers);
  g_test_add_func ("/Tcpc/Rules/service-overrides-port", test_service_overrides_port);
  g_test_add_func ("/Tcpc/Rules/reconnect-while-flushing", test_reconnect_while_flushing);
  g_test_add_func ("/Tcpc/Rules/connect-to-while-flushing", test_connect_to_while_flushing);
  g_test_add_func ("/Tcpc/Rules/half-close-during-flush", test_half_close_during_flush);
  g_test_add_func ("/Tcpc/Rules/output-after-server-eof", test_output_after_server_eof);
  g_test_add_func ("/Tcpc/Rules/block-eof-mid-record", test_block_eof_mid_record);
  g_test_add_func ("/Tcpc/Rules/block-fixed-eof-mid-record",
                   test_block_fixed_eof_mid_record);
  g_test_add_func ("/Tcpc/Rules/record-before-oversized-line",
                   test_record_before_oversized_line);
  g_test_add_func ("/Tcpc/Rules/record-before-oversized-block-header",
                   test_record_before_oversized_block_header);

  return g_test_run ();
}
