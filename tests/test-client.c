/* test-client.c: TcpcClient against in-process loopback servers
 *
 * One test per Given/When/Then item of reference/poe-spec.md section 5
 * that concerns the client (items 1-58 without the block-filter and
 * filter-switch items 25, 26 and 57), adapted to shared/API.md, plus the
 * contract points of API.md that have no POE counterpart.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <tcpclient.h>

#include "tcpc-test-server.h"

#define WAIT_MS         5000
#define WAIT_LONG_MS   20000

/* 20 records of 999 998 bytes: 20 000 000 bytes on the wire with "\r\n" */
#define BULK_RECORDS    20
#define BULK_RECORD_LEN 999998
#define BULK_BYTES      ((guint64) BULK_RECORDS * (BULK_RECORD_LEN + 2))


static const char *refused_event = "connect-error:connect:io:connection-refused";
static const char *timed_out_event = "connect-error:connect:io:timed-out";
static const char *reset_event = "server-error:read:io:connection-closed";
static const char *too_long_event = "server-error:read:filter:record-too-long";

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* Frees the recorder (asserting the in-handler checks) and drops the last
 * reference, asserting that the client really goes away. */
static void
assert_not_connected_error (GError *error)
{
  g_assert_error (error, TCPC_CLIENT_ERROR, TCPC_CLIENT_ERROR_NOT_CONNECTED);
}

/* put, put_data and put_string all refuse with NOT_CONNECTED */
static void
assert_put_refused (TcpcClient *client)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static ("r", 1);
  GError *error = NULL;

  g_assert_false (tcpc_client_put_string (client, "s", &error));
  assert_not_connected_error (error);
  g_clear_error (&error);

  g_assert_false (tcpc_client_put_data (client, (const guint8 *) "d", 1, &error));
  assert_not_connected_error (error);
  g_clear_error (&error);

  g_assert_false (tcpc_client_put (client, bytes, &error));
  assert_not_connected_error (error);
  g_clear_error (&error);
}

/* The client ended: `all` finishes with @last_signal then state:CLOSED, and
 * the client is CLOSED with no stream. */
static void
assert_ends_closed (TcpcTestRecorder *rec,
                    TcpcClient       *client,
                    const char       *last_signal)
{
  guint n;

  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  n = rec->all->len;
  g_assert_cmpuint (n, >=, 2);
  g_assert_cmpstr (g_ptr_array_index (rec->all, n - 1), ==, "state:CLOSED");
  g_assert_cmpstr (g_ptr_array_index (rec->all, n - 2), ==, last_signal);
  g_assert_false (tcpc_client_is_connected (client));
  g_assert_null (tcpc_client_get_stream (client));
}

/* Counts log messages of the "Tcpc" domain at MESSAGE level and above. */
typedef struct
{
  guint id;
  guint n_messages;
} LogCounter;

static void
log_counter_cb (const char     *log_domain,
                GLogLevelFlags  log_level,
                const char     *message,
                gpointer        user_data)
{
  LogCounter *counter = user_data;

  g_test_message ("logged: %s", message);
  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL |
                   G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE))
    counter->n_messages++;
}

static void
log_counter_start (LogCounter *counter)
{
  counter->n_messages = 0;
  counter->id = g_log_set_handler ("Tcpc",
                                   G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
                                   G_LOG_FLAG_RECURSION,
                                   log_counter_cb, counter);
}

static void
log_counter_stop (LogCounter *counter)
{
  g_log_remove_handler ("Tcpc", counter->id);
}

/* Handlers that reconnect a given number of times. */
typedef struct
{
  guint n_calls;
  guint n_reconnects;     /* reconnect() for the first n calls */
  double delay;           /* > 0: reconnect_after (delay) instead */
  TcpcClientState state_after;
} Reconnector;

static void
reconnector_cb (TcpcClient *client,
                Reconnector *r)
{
  r->n_calls++;
  if (r->n_calls <= r->n_reconnects)
    {
      if (r->delay > 0)
        tcpc_client_reconnect_after (client, r->delay);
      else
        tcpc_client_reconnect (client);
      r->state_after = tcpc_client_get_state (client);
    }
}

static void
reconnector_error_cb (TcpcClient   *client,
                      const char   *operation,
                      const GError *error,
                      Reconnector  *r)
{
  reconnector_cb (client, r);
}

/* ------------------------------------------------------------------------ */
/* Connecting (items 1-19)                                                   */
/* ------------------------------------------------------------------------ */

/* 1. started once, before connected and before CONNECTING */
static void
test_started (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_spin (50);

  tcpc_test_assert_events (rec, "started", "connected");
  g_assert_cmpint (tcpc_test_recorder_index_of (rec, "started"), <,
                   tcpc_test_recorder_index_of (rec, "state:CONNECTING"));

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 2. connected once with a stream and the remote address; IDLE→CONNECTING→CONNECTED */
static void
test_connected (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autofree char *host = NULL;

  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_IDLE);
  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_spin (50);

  tcpc_test_assert_all (rec, "started", "state:CONNECTING", "state:CONNECTED",
                        "connected");
  g_assert_nonnull (rec->last_stream);
  g_assert_true (G_IS_IO_STREAM (rec->last_stream));
  host = tcpc_test_address_host (rec->last_remote);
  g_assert_cmpstr (host, ==, "127.0.0.1");
  g_assert_cmpuint (tcpc_test_address_port (rec->last_remote), ==, server->port);
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 1);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 3. is_connected()/stream inside started and connected */
typedef struct
{
  gboolean in_started_connected;
  gboolean in_started_has_stream;
  gboolean in_connected_connected;
  GIOStream *in_connected_stream;
  guint n_started;
  guint n_connected;
} StateProbe;

static void
probe_started_cb (TcpcClient *client,
                  StateProbe *probe)
{
  probe->n_started++;
  probe->in_started_connected = tcpc_client_is_connected (client);
  probe->in_started_has_stream = tcpc_client_get_stream (client) != NULL;
}

static void
probe_connected_cb (TcpcClient     *client,
                    GIOStream      *stream,
                    GSocketAddress *remote,
                    StateProbe     *probe)
{
  probe->n_connected++;
  probe->in_connected_connected = tcpc_client_is_connected (client);
  probe->in_connected_stream = tcpc_client_get_stream (client);
}

static void
test_connected_state (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  StateProbe probe = { 0 };
  GIOStream *stream = NULL;

  g_signal_connect (client, "started", G_CALLBACK (probe_started_cb), &probe);
  g_signal_connect (client, "connected", G_CALLBACK (probe_connected_cb), &probe);

  g_assert_false (tcpc_client_is_connected (client));
  g_assert_null (tcpc_client_get_stream (client));

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");

  g_assert_cmpuint (probe.n_started, ==, 1);
  g_assert_cmpuint (probe.n_connected, ==, 1);
  g_assert_false (probe.in_started_connected);
  g_assert_false (probe.in_started_has_stream);
  g_assert_true (probe.in_connected_connected);
  g_assert_true (probe.in_connected_stream == rec->last_stream);

  g_assert_true (tcpc_client_is_connected (client));
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTED);
  g_assert_true (tcpc_client_get_stream (client) == rec->last_stream);
  g_object_get (client, "stream", &stream, NULL);
  g_assert_true (stream == rec->last_stream);
  g_clear_object (&stream);

  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  assert_ends_closed (rec, client, "disconnected");
  g_object_get (client, "stream", &stream, NULL);
  g_assert_null (stream);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 3b. a command from a started handler: started is emitted once per
 * start, and a shutdown there calls the start off and closes the client */
typedef enum
{
  STARTED_RECONNECT,
  STARTED_RECONNECT_AFTER,
  STARTED_CONNECT_TO,
  STARTED_SHUTDOWN,
} StartedCommand;

static void
command_started_cb (TcpcClient     *client,
                    StartedCommand *command)
{
  switch (*command)
    {
    case STARTED_RECONNECT:
      tcpc_client_reconnect (client);
      break;
    case STARTED_RECONNECT_AFTER:
      tcpc_client_reconnect_after (client, 0);
      break;
    case STARTED_CONNECT_TO:
      tcpc_client_connect_to (client, NULL, 0);
      break;
    case STARTED_SHUTDOWN:
    default:
      tcpc_client_shutdown (client);
      break;
    }
  /* a start in progress: this does nothing */
  tcpc_client_start (client);
}

static void
test_started_commands (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  StartedCommand command;

  for (command = STARTED_RECONNECT; command <= STARTED_SHUTDOWN; command++)
    {
      TcpcClient *client = tcpc_test_client_for (server);
      TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

      g_test_message ("command %d from started", command);
      g_signal_connect (client, "started", G_CALLBACK (command_started_cb), &command);
      tcpc_client_start (client);
      if (command == STARTED_SHUTDOWN)
        {
          g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CLOSED);
          tcpc_test_spin (50);
          tcpc_test_assert_all (rec, "started", "state:CLOSED");
        }
      else
        {
          WAIT_EVENT (rec, "connected");
          tcpc_test_spin (50);
          tcpc_test_assert_all (rec, "started", "state:CONNECTING", "state:CONNECTED",
                                "connected");
          tcpc_client_shutdown (client);
          WAIT_EVENT (rec, "disconnected");
        }

      tcpc_test_finish_client (client, rec);
    }
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 3);

  tcpc_test_server_free (server);
}

/* 3c. a command from a notify::state handler, once, when the client
 * enters a state: it takes effect, and nothing of the step it
 * interrupted happens afterwards (no second attempt, no connected for a
 * connection already ended, no retry timer behind a shutdown) */
typedef enum
{
  STATE_RECONNECT,
  STATE_SHUTDOWN,
  STATE_RECONNECT_AFTER_SHUTDOWN,
} StateCommand;

typedef struct
{
  TcpcClientState when;
  StateCommand    command;
  gboolean        fired;
} StateReaction;

static void
react_to_state_cb (TcpcClient    *client,
                   GParamSpec    *pspec,
                   StateReaction *reaction)
{
  if (reaction->fired || tcpc_client_get_state (client) != reaction->when)
    return;

  reaction->fired = TRUE;
  switch (reaction->command)
    {
    case STATE_RECONNECT:
      tcpc_client_reconnect (client);
      break;
    case STATE_RECONNECT_AFTER_SHUTDOWN:
      tcpc_client_reconnect_after (client, 0);
      tcpc_client_shutdown (client);
      break;
    case STATE_SHUTDOWN:
    default:
      tcpc_client_shutdown (client);
      break;
    }
}

static void
check_state_reaction (TcpcClientState when,
                      StateCommand    command)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  StateReaction reaction = { when, command, FALSE };

  g_test_message ("command %d on entering state %d", command, when);
  g_signal_connect (client, "notify::state", G_CALLBACK (react_to_state_cb), &reaction);
  tcpc_client_start (client);

  if (when == TCPC_CLIENT_STATE_SHUTTING_DOWN)
    {
      /* a reconnect from there replaces the connection: no disconnected */
      WAIT_EVENT (rec, "connected");
      tcpc_client_shutdown (client);
      WAIT_COUNT (rec, "connected", 2);
      tcpc_test_spin (100);
      g_assert_cmpuint (tcpc_test_recorder_count (rec, "disconnected"), ==, 0);
      g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTED);
      tcpc_client_shutdown (client);
      WAIT_EVENT (rec, "disconnected");
    }
  else if (command == STATE_RECONNECT)
    {
      WAIT_EVENT (rec, "connected");
      tcpc_test_spin (100);
      g_assert_cmpuint (tcpc_test_recorder_count (rec, "connected"), ==, 1);
      g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTED);
      tcpc_client_shutdown (client);
      WAIT_EVENT (rec, "disconnected");
    }
  else
    {
      WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
      tcpc_test_spin (100);
      g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CLOSED);
      g_assert_cmpuint (tcpc_test_recorder_count (rec, "connected"), ==, 0);
      if (when == TCPC_CLIENT_STATE_CONNECTING)
        g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 0);
    }
  g_assert_true (reaction.fired);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

static void
test_state_handler_commands (void)
{
  check_state_reaction (TCPC_CLIENT_STATE_CONNECTING, STATE_RECONNECT);
  check_state_reaction (TCPC_CLIENT_STATE_CONNECTING, STATE_SHUTDOWN);
  check_state_reaction (TCPC_CLIENT_STATE_CONNECTING, STATE_RECONNECT_AFTER_SHUTDOWN);
  check_state_reaction (TCPC_CLIENT_STATE_CONNECTED, STATE_SHUTDOWN);
  check_state_reaction (TCPC_CLIENT_STATE_CONNECTED, STATE_RECONNECT_AFTER_SHUTDOWN);
  check_state_reaction (TCPC_CLIENT_STATE_CONNECTED, STATE_RECONNECT);
  check_state_reaction (TCPC_CLIENT_STATE_SHUTTING_DOWN, STATE_RECONNECT);
}

/* 3d. the last reference dropped in a connect-progress handler: no more
 * events of that attempt, even while the client is still held inside
 * start() */
static void
unref_on_progress_cb (TcpcClient *client,
                      gint        event,
                      gpointer    connectable,
                      gpointer    connection,
                      guint      *n_events)
{
  if ((*n_events)++ == 0)
    g_object_unref (client);
}

static void
test_unref_in_connect_progress (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  guint n_events = 0;

  g_object_add_weak_pointer (G_OBJECT (client), (gpointer *) &client);
  g_signal_connect (client, "connect-progress", G_CALLBACK (unref_on_progress_cb), &n_events);
  tcpc_client_start (client);
  TCPC_TEST_WAIT (client == NULL, WAIT_MS);
  tcpc_test_spin (100);
  g_assert_cmpuint (n_events, ==, 1);

  tcpc_test_server_free (server);
}

/* 4. remote-address as a host name */
static void
test_host_name (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_client_new ("localhost", server->port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  GInetAddress *peer;

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");

  tcpc_test_assert_events (rec, "started", "connected");
  g_assert_true (G_IS_INET_SOCKET_ADDRESS (rec->last_remote));
  peer = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (rec->last_remote));
  g_assert_true (g_inet_address_get_is_loopback (peer));
  g_assert_cmpuint (tcpc_test_address_port (rec->last_remote), ==, server->port);
  g_assert_cmpstr (tcpc_client_get_remote_address (client), ==, "localhost");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 5. family IPv6 and ::1 */
static void
test_ipv6 (void)
{
  g_autoptr(GError) error = NULL;
  TcpcTestServer *server = tcpc_test_server_new_ipv6 (&error);
  TcpcClient *client;
  TcpcTestRecorder *rec;
  g_autofree char *host = NULL;

  if (server == NULL)
    {
      g_test_skip_printf ("cannot listen on [::1]: %s", error->message);
      return;
    }

  client = tcpc_client_new ("::1", server->port);
  tcpc_client_set_family (client, G_SOCKET_FAMILY_IPV6);
  g_assert_cmpint (tcpc_client_get_family (client), ==, G_SOCKET_FAMILY_IPV6);
  rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");

  tcpc_test_assert_events (rec, "started", "connected");
  host = tcpc_test_address_host (rec->last_remote);
  g_assert_cmpstr (host, ==, "::1");
  g_assert_cmpuint (tcpc_test_address_port (rec->last_remote), ==, server->port);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 6. bind-address and bind-port */
static void
test_bind_address (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  guint16 bind_port = tcpc_test_get_free_port ();
  TcpcTestConn *conn;
  g_autofree char *host = NULL;

  tcpc_client_set_bind_address (client, "127.0.0.1");
  tcpc_client_set_bind_port (client, bind_port);
  g_assert_cmpstr (tcpc_client_get_bind_address (client), ==, "127.0.0.1");
  g_assert_cmpuint (tcpc_client_get_bind_port (client), ==, bind_port);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  WAIT_CONNS (server, 1);

  tcpc_test_assert_events (rec, "started", "connected");
  conn = tcpc_test_server_get_conn (server, 0);
  g_assert_cmpuint (tcpc_test_address_port (conn->peer), ==, bind_port);
  host = tcpc_test_address_host (conn->peer);
  g_assert_cmpstr (host, ==, "127.0.0.1");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 7. bind-port in use: connect-error "bind" ADDRESS_IN_USE */
static void
test_bind_port_in_use (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestServer *other = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_set_bind_address (client, "127.0.0.1");
  tcpc_client_set_bind_port (client, other->port);

  tcpc_client_start (client);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);

  tcpc_test_assert_events (rec, "started",
                           "connect-error:bind:io:address-in-use");
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CLOSED");
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 0);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (other);
  tcpc_test_server_free (server);
}

/* 8. refused port: one connect-error, CLOSED after the emission */
static void
test_connect_refused (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_start (client);
  WAIT_EVENT (rec, refused_event);
  tcpc_test_spin (100);

  tcpc_test_assert_events (rec, "started", refused_event);
  tcpc_test_assert_all (rec, "started", "state:CONNECTING", refused_event,
                        "state:CLOSED");
  assert_ends_closed (rec, client, refused_event);

  tcpc_test_finish_client (client, rec);
  g_object_unref (reserved);
}

/* 9. unresolvable host: operation "resolve", asynchronous */
static void
test_unresolvable_host (void)
{
  TcpcClient *client = tcpc_client_new ("no-such-host.invalid", 80);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_start (client);
  /* resolution does not block start() nor report from inside it */
  g_assert_cmpuint (tcpc_test_count_prefix (rec->events, "connect-error"), ==, 0);

  TCPC_TEST_WAIT (tcpc_test_count_prefix (rec->events, "connect-error") > 0, WAIT_LONG_MS);
  tcpc_test_spin (100);

  g_assert_cmpuint (rec->events->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (rec->events, 0), ==, "started");
  g_assert_cmpstr (rec->last_operation, ==, "resolve");
  g_assert_nonnull (rec->last_error);
  g_assert_true (rec->last_error->domain == G_RESOLVER_ERROR ||
                 rec->last_error->domain == G_IO_ERROR);
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CLOSED");

  tcpc_test_finish_client (client, rec);
}

/* 10. unknown service name: "resolve", no connection attempt */
static void
test_unknown_service (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_set_remote_service (client, "no-such-service");
  g_assert_cmpstr (tcpc_client_get_remote_service (client), ==, "no-such-service");

  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_count_prefix (rec->events, "connect-error") > 0, WAIT_MS);
  tcpc_test_spin (100);

  g_assert_cmpuint (rec->events->len, ==, 2);
  g_assert_cmpstr (rec->last_operation, ==, "resolve");
  g_assert_nonnull (rec->last_error);
  g_assert_true (rec->last_error->domain == G_RESOLVER_ERROR ||
                 rec->last_error->domain == G_IO_ERROR);
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CLOSED");
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 0);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 10b. a known service name is looked up: "echo" is port 7 (nobody listens:
 * refused, not a resolve error) */
static void
test_known_service (void)
{
  TcpcClient *client = tcpc_client_new ("127.0.0.1", 0);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_set_remote_service (client, "echo");
  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_count_prefix (rec->events, "connect-error") > 0, WAIT_MS);
  tcpc_test_spin (50);

  tcpc_test_assert_events (rec, "started", refused_event);

  tcpc_test_finish_client (client, rec);
}

/* 11. connect-error handler: reconnect twice, then connect_to a good port */
typedef struct
{
  guint n;
  guint16 good_port;
} ThirdTime;

static void
third_time_cb (TcpcClient   *client,
               const char   *operation,
               const GError *error,
               ThirdTime    *t)
{
  if (++t->n <= 2)
    tcpc_client_reconnect (client);
  else
    tcpc_client_connect_to (client, NULL, t->good_port);
}

static void
test_connect_error_reconnect (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  ThirdTime t = { 0, server->port };

  g_signal_connect (client, "connect-error", G_CALLBACK (third_time_cb), &t);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_spin (100);

  tcpc_test_assert_events (rec, "started", refused_event, refused_event,
                           refused_event, "connected");
  /* no CLOSED→CONNECTING flicker */
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CONNECTED");
  g_assert_cmpuint (tcpc_test_address_port (rec->last_remote), ==, server->port);
  g_assert_cmpuint (tcpc_client_get_remote_port (client), ==, server->port);
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 1);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
  g_object_unref (reserved);
}

/* 12. a synchronous reconnect() inside connect-error sticks; no stale timeout */
static void
test_connect_error_sync_reconnect (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  Reconnector r = { 0, 1, 0, 0 };

  tcpc_client_set_connect_timeout (client, 0.3);
  g_signal_connect (client, "connect-error", G_CALLBACK (reconnector_error_cb), &r);

  tcpc_client_start (client);
  WAIT_COUNT (rec, refused_event, 2);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (600);

  g_assert_cmpint (r.state_after, ==, TCPC_CLIENT_STATE_CONNECTING);
  tcpc_test_assert_events (rec, "started", refused_event, refused_event);
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CLOSED");

  tcpc_test_finish_client (client, rec);
  g_object_unref (reserved);
}

/* 13. after connect-error without reconnect: CLOSED, silence, put refused */
static void
test_connect_error_closed (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_start (client);
  WAIT_EVENT (rec, refused_event);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (500);

  tcpc_test_assert_events (rec, "started", refused_event);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CLOSED);
  g_assert_null (tcpc_client_get_stream (client));
  assert_put_refused (client);

  tcpc_test_finish_client (client, rec);
  g_object_unref (reserved);
}

/* 14. connect-timeout 0.5 on a stalled connect */
static void
test_connect_timeout (void)
{
  TcpcTestStalled *stalled = tcpc_test_stalled_new ();
  TcpcClient *client = tcpc_client_new ("127.0.0.1", stalled->port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  gint64 start;
  double elapsed;

  tcpc_client_set_connect_timeout (client, 0.5);
  g_assert_cmpfloat (tcpc_client_get_connect_timeout (client), ==, 0.5);

  start = g_get_monotonic_time ();
  tcpc_client_start (client);
  WAIT_EVENT (rec, timed_out_event);
  elapsed = (tcpc_test_recorder_time_of (rec, timed_out_event, 0) - start) /
            (double) G_USEC_PER_SEC;
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);

  g_test_message ("timeout after %.3f s", elapsed);
  g_assert_cmpfloat (elapsed, >=, 0.499);
  tcpc_test_assert_events (rec, "started", timed_out_event);
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CLOSED");

  tcpc_test_finish_client (client, rec);
  tcpc_test_stalled_free (stalled);
}

/* 14b. fractions of a second are honoured (0.3 s fires well before 1 s) */
static void
test_connect_timeout_fraction (void)
{
  TcpcTestStalled *stalled = tcpc_test_stalled_new ();
  TcpcClient *client = tcpc_client_new ("127.0.0.1", stalled->port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  gint64 start;
  double elapsed;

  tcpc_client_set_connect_timeout (client, 0.3);
  start = g_get_monotonic_time ();
  tcpc_client_start (client);
  WAIT_EVENT (rec, timed_out_event);
  elapsed = (tcpc_test_recorder_time_of (rec, timed_out_event, 0) - start) /
            (double) G_USEC_PER_SEC;

  g_test_message ("timeout after %.3f s", elapsed);
  g_assert_cmpfloat (elapsed, >=, 0.299);
  g_assert_cmpfloat (elapsed, <, 0.95);

  tcpc_test_finish_client (client, rec);
  tcpc_test_stalled_free (stalled);
}

/* 15. the timeout is cancelled by a success */
static void
test_connect_timeout_success (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_set_connect_timeout (client, 0.3);
  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_spin (800);

  tcpc_test_assert_events (rec, "started", "connected");
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTED);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 16. the timeout is cancelled by a failure */
static void
test_connect_timeout_failure (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_set_connect_timeout (client, 0.3);
  tcpc_client_start (client);
  WAIT_EVENT (rec, refused_event);
  tcpc_test_spin (600);

  tcpc_test_assert_events (rec, "started", refused_event);
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CLOSED");

  tcpc_test_finish_client (client, rec);
  g_object_unref (reserved);
}

/* 17. the timeout is re-armed for every attempt */
static void
test_connect_timeout_rearmed (void)
{
  TcpcTestStalled *stalled = tcpc_test_stalled_new ();
  TcpcClient *client = tcpc_client_new ("127.0.0.1", stalled->port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  Reconnector r = { 0, 1, 0, 0 };
  double gap;

  tcpc_client_set_connect_timeout (client, 0.3);
  g_signal_connect (client, "connect-error", G_CALLBACK (reconnector_error_cb), &r);

  tcpc_client_start (client);
  WAIT_COUNT (rec, timed_out_event, 2);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (400);

  gap = (tcpc_test_recorder_time_of (rec, timed_out_event, 1) -
         tcpc_test_recorder_time_of (rec, timed_out_event, 0)) /
        (double) G_USEC_PER_SEC;
  g_test_message ("second timeout %.3f s after the first", gap);
  g_assert_cmpfloat (gap, >=, 0.299);
  tcpc_test_assert_events (rec, "started", timed_out_event, timed_out_event);
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CLOSED");

  tcpc_test_finish_client (client, rec);
  tcpc_test_stalled_free (stalled);
}

/* 18. connect-timeout 0 means no timeout */
static void
test_connect_timeout_zero (void)
{
  TcpcTestStalled *stalled = tcpc_test_stalled_new ();
  TcpcClient *client = tcpc_client_new ("127.0.0.1", stalled->port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  g_assert_cmpfloat (tcpc_client_get_connect_timeout (client), ==, 0);
  tcpc_client_set_connect_timeout (client, 0);
  tcpc_client_start (client);
  tcpc_test_spin (1000);

  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTING);
  tcpc_test_assert_events (rec, "started");

  tcpc_client_shutdown (client);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);
  tcpc_test_assert_events (rec, "started");
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CLOSED");

  tcpc_test_finish_client (client, rec);
  tcpc_test_stalled_free (stalled);
}

/* 19. shutdown while connecting: no signal at all, CLOSED */
static void
test_shutdown_while_connecting (void)
{
  TcpcTestStalled *stalled = tcpc_test_stalled_new ();
  TcpcClient *client = tcpc_client_new ("127.0.0.1", stalled->port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_set_connect_timeout (client, 1.0);
  tcpc_client_start (client);
  tcpc_test_spin (200);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTING);

  tcpc_client_shutdown (client);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (1100);   /* past the connect timeout */

  tcpc_test_assert_events (rec, "started");
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CLOSED");
  g_assert_null (tcpc_client_get_stream (client));

  tcpc_test_finish_client (client, rec);
  tcpc_test_stalled_free (stalled);
}

/* ------------------------------------------------------------------------ */
/* Input (items 20-24)                                                       */
/* ------------------------------------------------------------------------ */

/* 20. default filter: "one\r\ntwo\r\n" */
static void
test_input_default_filter (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_test_script_write_string (script, "one\r\ntwo\r\n");
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "input:two");
  tcpc_test_spin (100);
  tcpc_test_assert_events (rec, "started", "connected", "input:one", "input:two");

  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 0);
  g_assert_true (tcpc_test_server_get_conn (server, 0)->eof);
  tcpc_test_assert_events (rec, "started", "connected", "input:one", "input:two",
                           "disconnected");
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 21. 1000 lines in one write arrive in order */
static void
test_input_order (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  GString *lines = g_string_new (NULL);
  guint i;

  for (i = 0; i < 1000; i++)
    g_string_append_printf (lines, "line %u\r\n", i);
  tcpc_test_script_write_string (script, lines->str);
  tcpc_test_script_read_to_eof (script);
  g_string_free (lines, TRUE);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "input:line 999");
  tcpc_test_spin (100);

  g_assert_cmpuint (rec->events->len, ==, 1002);
  for (i = 0; i < 1000; i++)
    {
      g_autofree char *expected = g_strdup_printf ("input:line %u", i);

      g_assert_cmpstr (g_ptr_array_index (rec->events, i + 2), ==, expected);
    }

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 22. a record split across reads */
static void
test_input_split (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_test_script_write_string (script, "hel");
  tcpc_test_script_wait (script, 100);
  tcpc_test_script_write_string (script, "lo\n");
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "input:hello");
  tcpc_test_spin (200);

  tcpc_test_assert_events (rec, "started", "connected", "input:hello");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 26. switching filters mid-stream (POE's set_filter): the old filter's
 * unparsed bytes go to the new one, nothing is lost or parsed twice */
static void
switch_on_mode_cb (TcpcClient *client,
                   GBytes     *record,
                   gpointer    user_data)
{
  if (g_bytes_get_size (record) == 9 &&
      memcmp (g_bytes_get_data (record, NULL), "MODE PIPE", 9) == 0)
    {
      g_autoptr(TcpcLineFilter) pipe = tcpc_line_filter_new_literal ("|");

      tcpc_client_set_filter (client, TCPC_FILTER (pipe));
    }
}

static void
test_filter_switch (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec;
  TcpcTestConn *conn;

  /* connected before the recorder, so the switch happens first */
  g_signal_connect (client, "server-input", G_CALLBACK (switch_on_mode_cb), NULL);
  rec = tcpc_test_recorder_new (client, 0);

  tcpc_test_script_write_string (script, "MODE PIPE\nab|cd|ef");
  tcpc_test_script_wait (script, 100);
  tcpc_test_script_write_string (script, "gh|");
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "input:efgh");
  tcpc_test_spin (50);
  tcpc_test_assert_events (rec, "started", "connected", "input:MODE PIPE",
                           "input:ab", "input:cd", "input:efgh");

  /* output is encoded by the new filter too */
  g_assert_true (tcpc_client_put_string (client, "out", NULL));
  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 0);
  conn = tcpc_test_server_get_conn (server, 0);
  g_assert_cmpstr (tcpc_test_conn_received_str (conn), ==, "out|");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* Switching outside any handler: records the new filter parses from the
 * old one's unparsed bytes are delivered from the main loop. */
static void
test_filter_switch_idle (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(TcpcLineFilter) pipe = tcpc_line_filter_new_literal ("|");

  tcpc_test_script_write_string (script, "one\nx|y|z");
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "input:one");
  tcpc_test_spin (100);
  tcpc_test_assert_events (rec, "started", "connected", "input:one");

  tcpc_client_set_filter (client, TCPC_FILTER (pipe));
  g_assert_true (tcpc_client_get_filter (client) == TCPC_FILTER (pipe));
  WAIT_EVENT (rec, "input:y");
  tcpc_test_spin (50);
  tcpc_test_assert_events (rec, "started", "connected", "input:one", "input:x", "input:y");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 23. CR and LF of one terminator in different reads */
static void
test_input_crlf_split (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_test_script_write_string (script, "first\r");
  tcpc_test_script_wait (script, 150);
  tcpc_test_script_write_string (script, "\nsecond\r\nthird\r\n");
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "input:third");
  tcpc_test_spin (100);

  tcpc_test_assert_events (rec, "started", "connected", "input:first",
                           "input:second", "input:third");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 24. server closes mid-record: the partial record is dropped; a clean EOF
 * is no server-error (API.md) */
static void
test_eof_mid_record (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_test_script_write_string (script, "one\npartial");
  tcpc_test_script_wait (script, 50);
  tcpc_test_script_close (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);

  tcpc_test_assert_events (rec, "started", "connected", "input:one",
                           "disconnected");
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* ------------------------------------------------------------------------ */
/* Output and flushing (items 27-29)                                         */
/* ------------------------------------------------------------------------ */

/* 27. put_string ("x") sends "x\r\n" */
static void
test_put_default_filter (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_put_string_ok (client, "x");
  WAIT_EVENT (rec, "flushed");
  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 0);

  g_assert_cmpstr (tcpc_test_conn_received_str (tcpc_test_server_get_conn (server, 0)),
                   ==, "x\r\n");
  g_assert_true (tcpc_test_server_get_conn (server, 0)->eof);
  tcpc_test_assert_events (rec, "started", "connected", "flushed", "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* flush_async completes once everything put so far is written, and fails
 * when the client is not connected or the connection is dropped first */
typedef struct
{
  gboolean done;
  gboolean ok;
  GError  *error;
} FlushResult;

static void
flush_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  FlushResult *res = user_data;

  res->ok = tcpc_client_flush_finish (TCPC_CLIENT (object), result, &res->error);
  res->done = TRUE;
}

static void
test_flush_async (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  FlushResult idle = { 0 }, busy = { 0 }, dropped = { 0 }, closed = { 0 };

  tcpc_test_script_wait (script, 200);
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");

  /* nothing pending: at once (from the main loop) */
  tcpc_client_flush_async (client, NULL, flush_done_cb, &idle);
  g_assert_false (idle.done);
  TCPC_TEST_WAIT (idle.done, 5000);
  g_assert_true (idle.ok);

  /* 20 MB to a server that starts reading after 200 ms */
  tcpc_test_put_bulk (client, BULK_RECORDS, BULK_RECORD_LEN);
  tcpc_client_flush_async (client, NULL, flush_done_cb, &busy);
  TCPC_TEST_WAIT (busy.done, 10000);
  g_assert_no_error (busy.error);
  g_assert_true (busy.ok);
  g_assert_cmpuint (tcpc_client_get_pending_output_bytes (client), ==, 0);
  g_assert_cmpuint (tcpc_client_get_bytes_sent (client), ==, BULK_BYTES);

  /* output dropped by a reconnect: the flush fails */
  tcpc_test_put_bulk (client, BULK_RECORDS, BULK_RECORD_LEN);
  tcpc_client_flush_async (client, NULL, flush_done_cb, &dropped);
  tcpc_client_shutdown (client);
  tcpc_client_reconnect (client);
  TCPC_TEST_WAIT (dropped.done, 5000);
  g_assert_error (dropped.error, TCPC_CLIENT_ERROR, TCPC_CLIENT_ERROR_NOT_CONNECTED);
  g_clear_error (&dropped.error);

  tcpc_client_shutdown (client);
  tcpc_client_flush_async (client, NULL, flush_done_cb, &closed);
  TCPC_TEST_WAIT (closed.done, 5000);
  g_assert_error (closed.error, TCPC_CLIENT_ERROR, TCPC_CLIENT_ERROR_NOT_CONNECTED);
  g_clear_error (&closed.error);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* A flush's callback may drop the last reference: the client is
 * finalized once the callback returns (ASan and valgrind see any access
 * after that). */
static void
flush_unref_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  FlushResult *res = user_data;

  res->ok = tcpc_client_flush_finish (TCPC_CLIENT (object), result, &res->error);
  res->done = TRUE;
  g_object_unref (object);
}

static void
test_flush_async_unref (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  FlushResult res = { 0 };

  tcpc_test_script_wait (script, 100);
  tcpc_test_script_read_to_eof (script);
  g_object_add_weak_pointer (G_OBJECT (client), (gpointer *) &client);

  tcpc_client_start (client);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CONNECTED);
  tcpc_test_put_bulk (client, BULK_RECORDS, BULK_RECORD_LEN);
  tcpc_client_flush_async (client, NULL, flush_unref_cb, &res);
  TCPC_TEST_WAIT (res.done, 10000);
  g_assert_no_error (res.error);
  g_assert_true (res.ok);
  g_assert_null (client);

  tcpc_test_server_free (server);
}

/* Cancelling a flush fails it at once with G_IO_ERROR_CANCELLED, the
 * output staying queued; a flush that is already cancelled fails from
 * the main loop. The pending flush holds the client: once it is
 * cancelled, a client whose other references were dropped is finalized. */
static void
test_flush_async_cancel (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();
  FlushResult pending = { 0 }, early = { 0 };
  guint64 queued;

  /* a server that reads nothing while the test runs */
  tcpc_test_script_wait (script, 60000);
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_put_bulk (client, BULK_RECORDS, BULK_RECORD_LEN);

  g_cancellable_cancel (cancelled);
  tcpc_client_flush_async (client, cancelled, flush_done_cb, &early);
  g_assert_false (early.done);
  TCPC_TEST_WAIT (early.done, 5000);
  g_assert_error (early.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&early.error);

  tcpc_client_flush_async (client, cancellable, flush_done_cb, &pending);
  tcpc_test_spin (50);
  g_assert_false (pending.done);
  queued = tcpc_client_get_pending_output_bytes (client);
  g_assert_cmpuint (queued, >, 0);

  /* the flush holds the client, connected */
  tcpc_test_recorder_free (rec);
  g_object_add_weak_pointer (G_OBJECT (client), (gpointer *) &client);
  g_object_unref (client);
  g_assert_nonnull (client);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTED);

  g_cancellable_cancel (cancellable);
  TCPC_TEST_WAIT (pending.done, 5000);
  g_assert_false (pending.ok);
  g_assert_error (pending.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&pending.error);
  TCPC_TEST_WAIT (client == NULL, 5000);

  tcpc_test_server_free (server);
}

/* 27b. put, put_data and put_string; an echo round trip */
static void
test_put_variants (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(GBytes) bytes = g_bytes_new_static ("a", 1);
  g_autoptr(GError) error = NULL;

  tcpc_test_script_echo (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  g_assert_true (tcpc_client_put (client, bytes, &error));
  g_assert_no_error (error);
  g_assert_true (tcpc_client_put_data (client, (const guint8 *) "b", 1, &error));
  g_assert_no_error (error);
  g_assert_true (tcpc_client_put_string (client, "c", &error));
  g_assert_no_error (error);

  WAIT_EVENT (rec, "input:c");
  tcpc_test_spin (50);
  g_assert_cmpuint (tcpc_test_count_prefix (rec->events, "input:"), ==, 3);
  g_assert_cmpint (tcpc_test_recorder_index_of (rec, "input:a"), <,
                   tcpc_test_recorder_index_of (rec, "input:b"));
  g_assert_cmpint (tcpc_test_recorder_index_of (rec, "input:b"), <,
                   tcpc_test_recorder_index_of (rec, "input:c"));
  g_assert_cmpstr (tcpc_test_conn_received_str (tcpc_test_server_get_conn (server, 0)),
                   ==, "a\r\nb\r\nc\r\n");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 28. flushed on every drain */
typedef struct
{
  guint n;
} FlushChain;

static void
flush_chain_cb (TcpcClient *client,
                FlushChain *chain)
{
  chain->n++;
  if (chain->n == 1)
    tcpc_test_put_string_ok (client, "two");
  else if (chain->n == 2)
    {
      tcpc_test_put_string_ok (client, "three");
      tcpc_client_shutdown (client);
    }
}

static void
test_flushed_per_drain (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  FlushChain chain = { 0 };

  g_signal_connect (client, "flushed", G_CALLBACK (flush_chain_cb), &chain);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_put_string_ok (client, "one");
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 0);
  tcpc_test_spin (100);

  tcpc_test_assert_events (rec, "started", "connected", "flushed", "flushed",
                           "flushed", "disconnected");
  g_assert_cmpstr (tcpc_test_conn_received_str (tcpc_test_server_get_conn (server, 0)),
                   ==, "one\r\ntwo\r\nthree\r\n");
  g_assert_true (tcpc_test_server_get_conn (server, 0)->eof);
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 29. put while IDLE or CONNECTING: FALSE, nothing sent */
static void
test_put_not_connected (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  TcpcTestStalled *stalled = tcpc_test_stalled_new ();
  TcpcClient *stalled_client = tcpc_client_new ("127.0.0.1", stalled->port);

  assert_put_refused (client);               /* IDLE */

  tcpc_client_start (stalled_client);
  WAIT_STATE (stalled_client, TCPC_CLIENT_STATE_CONNECTING);
  tcpc_test_spin (50);
  g_assert_cmpint (tcpc_client_get_state (stalled_client), ==,
                   TCPC_CLIENT_STATE_CONNECTING);
  assert_put_refused (stalled_client);       /* CONNECTING */
  tcpc_client_shutdown (stalled_client);
  WAIT_STATE (stalled_client, TCPC_CLIENT_STATE_CLOSED);
  g_assert_finalize_object (stalled_client);
  tcpc_test_stalled_free (stalled);

  tcpc_client_start (client);
  if (tcpc_client_get_state (client) == TCPC_CLIENT_STATE_CONNECTING)
    assert_put_refused (client);             /* CONNECTING, just started */

  WAIT_EVENT (rec, "connected");
  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 0);

  g_assert_cmpuint (tcpc_test_server_get_conn (server, 0)->n_received, ==, 0);
  tcpc_test_assert_events (rec, "started", "connected", "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* ------------------------------------------------------------------------ */
/* Shutdown (items 30-38)                                                    */
/* ------------------------------------------------------------------------ */

typedef struct
{
  guint n_flushed;
  TcpcClientState state_at_flushed;
} FlushProbe;

static void
flush_probe_cb (TcpcClient *client,
                FlushProbe *probe)
{
  probe->n_flushed++;
  probe->state_at_flushed = tcpc_client_get_state (client);
}

/* 30. shutdown writes all 20 MB to a slow reader, then closes */
static void
test_shutdown_flushes (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  FlushProbe probe = { 0 };
  TcpcTestConn *conn;

  tcpc_test_script_wait (script, 500);
  tcpc_test_script_read_to_eof (script);
  g_signal_connect (client, "flushed", G_CALLBACK (flush_probe_cb), &probe);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_put_bulk (client, BULK_RECORDS, BULK_RECORD_LEN);
  tcpc_client_shutdown (client);

  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_SHUTTING_DOWN);
  g_assert_false (tcpc_client_is_connected (client));
  tcpc_test_spin (100);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_SHUTTING_DOWN);
  tcpc_test_assert_events (rec, "started", "connected");

  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "disconnected"), WAIT_LONG_MS);
  WAIT_CONN_FINISHED (server, 0);
  conn = tcpc_test_server_get_conn (server, 0);

  g_assert_cmpuint (conn->n_received, ==, BULK_BYTES);
  g_assert_true (conn->eof);
  g_assert_false (conn->reset);
  tcpc_test_assert_events (rec, "started", "connected", "flushed", "disconnected");
  g_assert_cmpuint (probe.n_flushed, ==, 1);
  g_assert_cmpint (probe.state_at_flushed, ==, TCPC_CLIENT_STATE_SHUTTING_DOWN);
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CONNECTED",
                           "state:SHUTTING_DOWN", "state:CLOSED");
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 31. shutdown with nothing pending */
static void
test_shutdown_idle (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 0);
  tcpc_test_spin (100);

  g_assert_true (tcpc_test_server_get_conn (server, 0)->eof);
  tcpc_test_assert_events (rec, "started", "connected", "disconnected");
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 32. no server-input after shutdown, not even from the same read */
static void
shutdown_on_a_cb (TcpcClient *client,
                  GBytes     *record,
                  gpointer    user_data)
{
  if (g_bytes_get_size (record) == 1 &&
      memcmp (g_bytes_get_data (record, NULL), "a", 1) == 0)
    tcpc_client_shutdown (client);
}

static void
test_no_input_after_shutdown (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_test_script_write_string (script, "a\nb\nc\n");
  tcpc_test_script_read_to_eof (script);
  g_signal_connect (client, "server-input", G_CALLBACK (shutdown_on_a_cb), NULL);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 0);
  tcpc_test_spin (200);

  tcpc_test_assert_events (rec, "started", "connected", "input:a", "disconnected");
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 33. input arriving during a flushing shutdown is dropped */
static void
test_input_during_flush_dropped (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  TcpcTestConn *conn;

  tcpc_test_script_wait (script, 300);
  tcpc_test_script_write_string (script, "late1\nlate2\n");
  tcpc_test_script_wait (script, 300);
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_put_bulk (client, BULK_RECORDS, BULK_RECORD_LEN);
  tcpc_client_shutdown (client);

  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "disconnected"), WAIT_LONG_MS);
  WAIT_CONN_FINISHED (server, 0);
  conn = tcpc_test_server_get_conn (server, 0);
  tcpc_test_spin (100);

  g_assert_cmpuint (conn->n_sent, ==, strlen ("late1\nlate2\n"));
  g_assert_cmpuint (conn->n_received, ==, BULK_BYTES);
  g_assert_true (conn->eof);
  tcpc_test_assert_events (rec, "started", "connected", "flushed", "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 34. put while SHUTTING_DOWN is refused and sends nothing */
static void
test_put_while_shutting_down (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  TcpcTestConn *conn;

  tcpc_test_script_wait (script, 300);
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_put_bulk (client, BULK_RECORDS, BULK_RECORD_LEN);
  tcpc_client_shutdown (client);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_SHUTTING_DOWN);
  assert_put_refused (client);
  tcpc_test_spin (50);
  assert_put_refused (client);

  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "disconnected"), WAIT_LONG_MS);
  WAIT_CONN_FINISHED (server, 0);
  conn = tcpc_test_server_get_conn (server, 0);

  g_assert_cmpuint (conn->n_received, ==, BULK_BYTES);
  tcpc_test_assert_events (rec, "started", "connected", "flushed", "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 35. shutdown twice while flushing changes nothing; shutdown on CLOSED too */
static void
test_shutdown_twice (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  TcpcTestConn *conn;

  tcpc_test_script_wait (script, 400);
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_put_bulk (client, BULK_RECORDS, BULK_RECORD_LEN);
  tcpc_client_shutdown (client);
  tcpc_client_shutdown (client);
  tcpc_test_spin (100);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_SHUTTING_DOWN);
  tcpc_client_shutdown (client);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_SHUTTING_DOWN);

  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "disconnected"), WAIT_LONG_MS);
  WAIT_CONN_FINISHED (server, 0);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  conn = tcpc_test_server_get_conn (server, 0);

  g_assert_cmpuint (conn->n_received, ==, BULK_BYTES);
  g_assert_true (conn->eof);

  tcpc_client_shutdown (client);          /* on CLOSED: nothing */
  tcpc_test_spin (100);
  tcpc_test_assert_events (rec, "started", "connected", "flushed", "disconnected");
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 36. a shutdown after an earlier error-ended connection still flushes */
typedef struct
{
  guint n_connected;
} BulkOnSecond;

static void
bulk_on_second_cb (TcpcClient     *client,
                   GIOStream      *stream,
                   GSocketAddress *remote,
                   BulkOnSecond   *b)
{
  if (++b->n_connected == 2)
    {
      tcpc_test_put_bulk (client, BULK_RECORDS, BULK_RECORD_LEN);
      tcpc_client_shutdown (client);
    }
}

static void
test_shutdown_after_error (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *first = tcpc_test_server_add_script (server);
  TcpcTestScript *second = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  Reconnector r = { 0, 1, 0, 0 };
  BulkOnSecond b = { 0 };
  TcpcTestConn *conn;

  tcpc_test_script_wait (first, 100);
  tcpc_test_script_reset (first);
  tcpc_test_script_wait (second, 300);
  tcpc_test_script_read_to_eof (second);
  g_signal_connect (client, "disconnected", G_CALLBACK (reconnector_cb), &r);
  g_signal_connect (client, "connected", G_CALLBACK (bulk_on_second_cb), &b);

  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_recorder_count (rec, "disconnected") == 2, WAIT_LONG_MS);
  WAIT_CONN_FINISHED (server, 1);
  conn = tcpc_test_server_get_conn (server, 1);

  g_assert_cmpuint (conn->n_received, ==, BULK_BYTES);
  g_assert_true (conn->eof);
  tcpc_test_assert_events (rec, "started", "connected", reset_event,
                           "disconnected", "connected", "flushed", "disconnected");
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 37. the peer resets during a flushing shutdown: error(s), one disconnected */
static void
test_peer_reset_during_flush (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  guint i;

  tcpc_test_script_wait (script, 300);
  tcpc_test_script_reset (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_put_bulk (client, BULK_RECORDS, BULK_RECORD_LEN);
  tcpc_client_shutdown (client);

  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "disconnected"), WAIT_LONG_MS);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (200);

  g_assert_cmpuint (rec->events->len, >=, 4);
  g_assert_cmpstr (g_ptr_array_index (rec->events, 0), ==, "started");
  g_assert_cmpstr (g_ptr_array_index (rec->events, 1), ==, "connected");
  for (i = 2; i < rec->events->len - 1; i++)
    {
      const char *ev = g_ptr_array_index (rec->events, i);

      g_assert_true (g_str_has_prefix (ev, "server-error:read:") ||
                     g_str_has_prefix (ev, "server-error:write:") ||
                     g_str_equal (ev, "flushed"));
    }
  g_assert_cmpuint (tcpc_test_count_prefix (rec->events, "server-error:"), >=, 1);
  g_assert_cmpuint (tcpc_test_recorder_count (rec, "disconnected"), ==, 1);
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 38. a CLOSED client can be started again; shutdown on CLOSED is silent */
static void
test_restart_after_closed (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);

  tcpc_client_shutdown (client);
  tcpc_test_spin (100);
  tcpc_test_assert_events (rec, "started", "connected", "disconnected");

  tcpc_client_start (client);
  WAIT_COUNT (rec, "connected", 2);
  tcpc_client_shutdown (client);
  WAIT_COUNT (rec, "disconnected", 2);
  WAIT_CONN_FINISHED (server, 1);
  tcpc_test_spin (100);

  tcpc_test_assert_events (rec, "started", "connected", "disconnected",
                           "started", "connected", "disconnected");
  g_assert_cmpint (tcpc_test_recorder_index_of (rec, "state:CLOSED"), <,
                   (int) rec->all->len - 1);
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 2);
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* ------------------------------------------------------------------------ */
/* Reconnect and connect_to (items 39-43)                                    */
/* ------------------------------------------------------------------------ */

/* 39. reconnect discards the queued output: put() only queues, writing
 * starts from the main loop, so a reconnect in the same handler means the
 * old connection receives nothing at all (as in POE) */
static void
test_reconnect_discards_output (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *first = tcpc_test_server_add_script (server);
  TcpcTestScript *second = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  TcpcTestConn *conn;

  tcpc_test_script_wait (first, 300);
  tcpc_test_script_read_to_eof (first);
  tcpc_test_script_read_to_eof (second);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  WAIT_CONNS (server, 1);
  tcpc_test_put_bulk (client, BULK_RECORDS, BULK_RECORD_LEN);
  tcpc_client_reconnect (client);

  WAIT_COUNT (rec, "connected", 2);
  WAIT_CONN_FINISHED (server, 0);
  conn = tcpc_test_server_get_conn (server, 0);
  tcpc_test_spin (100);

  g_test_message ("old connection received %" G_GUINT64_FORMAT " bytes (eof %d reset %d)",
                  conn->n_received, conn->eof, conn->reset);
  g_assert_cmpuint (conn->n_received, ==, 0);
  tcpc_test_assert_events (rec, "started", "connected", "connected");
  g_assert_cmpuint (tcpc_test_recorder_count (rec, "state:CLOSED"), ==, 0);

  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  tcpc_test_assert_events (rec, "started", "connected", "connected", "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 40. connect_to while connected: A sees EOF, no disconnected, connected to B */
typedef struct
{
  guint n_address;
  guint n_port;
  guint n_connectable;
  guint n_service;
} NotifyCount;

static void
notify_count_cb (GObject     *object,
                 GParamSpec  *pspec,
                 NotifyCount *count)
{
  if (g_str_equal (pspec->name, "remote-address"))
    count->n_address++;
  else if (g_str_equal (pspec->name, "remote-port"))
    count->n_port++;
  else if (g_str_equal (pspec->name, "connectable"))
    count->n_connectable++;
  else if (g_str_equal (pspec->name, "remote-service"))
    count->n_service++;
}

static void
test_connect_to_while_connected (void)
{
  TcpcTestServer *a = tcpc_test_server_new ();
  TcpcTestServer *b = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (a);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  NotifyCount count = { 0 };

  g_signal_connect (client, "notify", G_CALLBACK (notify_count_cb), &count);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_client_connect_to (client, NULL, b->port);
  g_assert_cmpuint (tcpc_client_get_remote_port (client), ==, b->port);
  g_assert_cmpstr (tcpc_client_get_remote_address (client), ==, "127.0.0.1");

  WAIT_COUNT (rec, "connected", 2);
  WAIT_CONN_FINISHED (a, 0);
  tcpc_test_spin (100);

  g_assert_true (tcpc_test_server_get_conn (a, 0)->eof);
  tcpc_test_assert_events (rec, "started", "connected", "connected");
  g_assert_cmpuint (tcpc_test_address_port (rec->last_remote), ==, b->port);
  g_assert_cmpuint (tcpc_test_server_n_conns (a), ==, 1);
  g_assert_cmpuint (tcpc_test_server_n_conns (b), ==, 1);
  g_assert_cmpuint (count.n_port, ==, 1);
  g_assert_cmpuint (count.n_address, <=, 1);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (b);
  tcpc_test_server_free (a);
}

/* 41. the connect_to address persists for later reconnects;
 * connect_to (NULL, 0) keeps it */
static void
test_connect_to_persists (void)
{
  TcpcTestServer *a = tcpc_test_server_new ();
  TcpcTestServer *b = tcpc_test_server_new ();
  TcpcTestScript *b_first = tcpc_test_server_add_script (b);
  TcpcTestScript *b_later = tcpc_test_server_add_script (b);
  TcpcClient *client = tcpc_test_client_for (a);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  Reconnector r = { 0, 1, 0, 0 };

  tcpc_test_script_wait (b_first, 100);
  tcpc_test_script_close (b_first);
  tcpc_test_script_read_to_eof (b_later);
  g_signal_connect (client, "disconnected", G_CALLBACK (reconnector_cb), &r);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_client_connect_to (client, "127.0.0.1", b->port);

  WAIT_COUNT (rec, "connected", 3);
  tcpc_test_spin (100);
  tcpc_test_assert_events (rec, "started", "connected", "connected",
                           "disconnected", "connected");
  g_assert_cmpuint (tcpc_test_server_n_conns (a), ==, 1);
  g_assert_cmpuint (tcpc_test_server_n_conns (b), ==, 2);
  g_assert_cmpuint (tcpc_test_address_port (rec->last_remote), ==, b->port);

  tcpc_client_connect_to (client, NULL, 0);
  WAIT_COUNT (rec, "connected", 4);
  tcpc_test_spin (100);
  g_assert_cmpstr (tcpc_client_get_remote_address (client), ==, "127.0.0.1");
  g_assert_cmpuint (tcpc_client_get_remote_port (client), ==, b->port);
  g_assert_cmpuint (tcpc_test_server_n_conns (a), ==, 1);
  g_assert_cmpuint (tcpc_test_server_n_conns (b), ==, 3);
  tcpc_test_assert_events (rec, "started", "connected", "connected",
                           "disconnected", "connected", "connected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (b);
  tcpc_test_server_free (a);
}

/* 42. reconnect_after (0.2) from disconnected */
static void
test_reconnect_after (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *first = tcpc_test_server_add_script (server);
  TcpcTestScript *second = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  Reconnector r = { 0, 1, 0.2, 0 };
  double gap;

  tcpc_test_script_wait (first, 100);
  tcpc_test_script_close (first);
  tcpc_test_script_read_to_eof (second);
  g_signal_connect (client, "disconnected", G_CALLBACK (reconnector_cb), &r);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  g_assert_cmpint (r.state_after, ==, TCPC_CLIENT_STATE_CONNECTING);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTING);
  WAIT_COUNT (rec, "connected", 2);

  gap = (tcpc_test_recorder_time_of (rec, "connected", 1) -
         tcpc_test_recorder_time_of (rec, "disconnected", 0)) /
        (double) G_USEC_PER_SEC;
  g_test_message ("reconnected %.3f s after disconnected", gap);
  g_assert_cmpfloat (gap, >=, 0.199);
  tcpc_test_assert_events (rec, "started", "connected", "disconnected", "connected");
  g_assert_cmpuint (tcpc_test_recorder_count (rec, "state:CLOSED"), ==, 0);
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 2);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 42b. a scheduled reconnect is cancelled by shutdown */
static void
test_reconnect_after_cancelled (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *first = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  Reconnector r = { 0, 1, 0.3, 0 };

  tcpc_test_script_wait (first, 100);
  tcpc_test_script_close (first);
  g_signal_connect (client, "disconnected", G_CALLBACK (reconnector_cb), &r);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTING);
  tcpc_client_shutdown (client);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (600);

  tcpc_test_assert_events (rec, "started", "connected", "disconnected");
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 1);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CLOSED);
  g_assert_cmpstr (g_ptr_array_index (rec->all, rec->all->len - 1), ==, "state:CLOSED");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 42c. a scheduled reconnect is cancelled by a later reconnect() */
static void
test_reconnect_after_replaced (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_client_reconnect_after (client, 0.3);
  tcpc_client_reconnect (client);
  WAIT_COUNT (rec, "connected", 2);
  tcpc_test_spin (600);

  tcpc_test_assert_events (rec, "started", "connected", "connected");
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 2);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 42d. a scheduled reconnect is cancelled by a later connect_to () */
static void
test_reconnect_after_connect_to (void)
{
  TcpcTestServer *a = tcpc_test_server_new ();
  TcpcTestServer *b = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (a);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_client_reconnect_after (client, 0.3);
  tcpc_client_connect_to (client, NULL, b->port);
  WAIT_COUNT (rec, "connected", 2);
  tcpc_test_spin (600);

  tcpc_test_assert_events (rec, "started", "connected", "connected");
  g_assert_cmpuint (tcpc_test_server_n_conns (a), ==, 1);
  g_assert_cmpuint (tcpc_test_server_n_conns (b), ==, 1);
  g_assert_cmpuint (tcpc_test_address_port (rec->last_remote), ==, b->port);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (b);
  tcpc_test_server_free (a);
}

/* 43. default server-error handler + a synchronous reconnect in
 * disconnected: the client connects again (the default handler logs a
 * message, it does not queue a second shutdown) */
static void
test_disconnected_sync_reconnect (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *first = tcpc_test_server_add_script (server);
  TcpcTestScript *second = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, TCPC_TEST_RECORD_NO_SERVER_ERROR);
  Reconnector r = { 0, 1, 0, 0 };

  tcpc_test_script_wait (first, 100);
  tcpc_test_script_reset (first);
  tcpc_test_script_read_to_eof (second);
  g_signal_connect (client, "disconnected", G_CALLBACK (reconnector_cb), &r);

  g_test_expect_message ("Tcpc", G_LOG_LEVEL_MESSAGE, "*read*");
  tcpc_client_start (client);
  WAIT_COUNT (rec, "connected", 2);
  tcpc_test_spin (200);
  g_test_assert_expected_messages ();

  tcpc_test_assert_events (rec, "started", "connected", "disconnected", "connected");
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTED);
  g_assert_cmpuint (tcpc_test_recorder_count (rec, "state:CLOSED"), ==, 0);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* ------------------------------------------------------------------------ */
/* End of connection, errors and shutdown-on-error (items 44-49)             */
/* ------------------------------------------------------------------------ */

/* 44. server closes, nobody reconnects: disconnected once, CLOSED, silence */
static void
test_eof_no_reconnect (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_test_script_wait (script, 100);
  tcpc_test_script_close (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (500);

  tcpc_test_assert_events (rec, "started", "connected", "disconnected");
  assert_ends_closed (rec, client, "disconnected");
  assert_put_refused (client);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 45. a clean EOF (the server half-closes) is not a server-error; the
 * client then closes its side too */
static void
test_eof_not_server_error (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_test_script_write_string (script, "bye\n");
  tcpc_test_script_wait (script, 50);
  tcpc_test_script_shutdown_write (script);
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 0);
  tcpc_test_spin (100);

  g_assert_true (tcpc_test_server_get_conn (server, 0)->eof);
  tcpc_test_assert_events (rec, "started", "connected", "input:bye", "disconnected");
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 46. no server-error handler and a clean close: nothing is logged */
static void
test_eof_default_handler (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, TCPC_TEST_RECORD_NO_SERVER_ERROR);
  LogCounter counter;

  tcpc_test_script_wait (script, 100);
  tcpc_test_script_close (script);

  log_counter_start (&counter);
  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);
  log_counter_stop (&counter);

  g_assert_cmpuint (counter.n_messages, ==, 0);
  tcpc_test_assert_events (rec, "started", "connected", "disconnected");
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 46b. no server-error handler and a reset: one message, not a warning */
static void
test_server_error_default_handler (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, TCPC_TEST_RECORD_NO_SERVER_ERROR);

  tcpc_test_script_wait (script, 100);
  tcpc_test_script_reset (script);

  g_test_expect_message ("Tcpc", G_LOG_LEVEL_MESSAGE, "*read*");
  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);
  g_test_assert_expected_messages ();

  tcpc_test_assert_events (rec, "started", "connected", "disconnected");
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 46c. with a user server-error handler the default handler does not log */
static void
test_server_error_handler_silences_log (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  LogCounter counter;

  tcpc_test_script_wait (script, 100);
  tcpc_test_script_reset (script);

  log_counter_start (&counter);
  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);
  log_counter_stop (&counter);

  g_assert_cmpuint (counter.n_messages, ==, 0);
  tcpc_test_assert_events (rec, "started", "connected", reset_event, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 47. RST from the server: server-error "read" CONNECTION_CLOSED */
static void
test_peer_reset (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_test_script_wait (script, 100);
  tcpc_test_script_reset (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (200);

  tcpc_test_assert_events (rec, "started", "connected", reset_event, "disconnected");
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 48. shutdown-on-error FALSE: a filter error leaves the client connected,
 * later records still arrive, shutdown () then ends it once */
static void
test_no_shutdown_on_error (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(TcpcLineFilter) filter = tcpc_line_filter_new ();

  tcpc_line_filter_set_max_length (filter, 10);
  tcpc_client_set_filter (client, TCPC_FILTER (filter));
  g_assert_true (tcpc_client_get_shutdown_on_error (client));
  tcpc_client_set_shutdown_on_error (client, FALSE);
  g_assert_false (tcpc_client_get_shutdown_on_error (client));

  tcpc_test_script_write_string (script, "short\nxxxxxxxxxxxxxxxxxxxx\n");
  tcpc_test_script_wait (script, 200);
  tcpc_test_script_write_string (script, "after\n");
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "input:after");
  tcpc_test_spin (300);

  tcpc_test_assert_events (rec, "started", "connected", "input:short",
                           too_long_event, "input:after");
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTED);
  g_assert_true (tcpc_client_is_connected (client));
  tcpc_test_put_string_ok (client, "ok");

  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 0);
  tcpc_test_spin (100);

  tcpc_test_assert_events (rec, "started", "connected", "input:short",
                           too_long_event, "input:after", "flushed", "disconnected");
  g_assert_cmpstr (tcpc_test_conn_received_str (tcpc_test_server_get_conn (server, 0)),
                   ==, "ok\r\n");
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 48b. shutdown-on-error FALSE: a clean EOF still ends the connection */
static void
test_no_shutdown_on_error_eof (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_set_shutdown_on_error (client, FALSE);
  tcpc_test_script_write_string (script, "one\n");
  tcpc_test_script_wait (script, 50);
  tcpc_test_script_close (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);

  tcpc_test_assert_events (rec, "started", "connected", "input:one", "disconnected");
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 48c. shutdown-on-error FALSE: after a reset the application decides;
 * shutdown () gives one disconnected */
static void
test_no_shutdown_on_error_reset (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_set_shutdown_on_error (client, FALSE);
  tcpc_test_script_wait (script, 100);
  tcpc_test_script_reset (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, reset_event);
  tcpc_test_spin (300);
  tcpc_test_assert_events (rec, "started", "connected", reset_event);
  g_assert_cmpint (tcpc_client_get_state (client), !=, TCPC_CLIENT_STATE_CLOSED);

  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);
  g_assert_cmpuint (tcpc_test_recorder_count (rec, "disconnected"), ==, 1);
  g_assert_cmpstr (g_ptr_array_index (rec->events, rec->events->len - 1), ==,
                   "disconnected");
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 48d. shutdown-on-error FALSE: records buffered behind bad ones (here two
 * too long lines) arrive without waiting for more input, also when the
 * peer closes right after them */
static void
test_no_shutdown_on_error_buffered (void)
{
  guint i;

  for (i = 0; i < 2; i++)
    {
      gboolean close = i == 1;
      TcpcTestServer *server = tcpc_test_server_new ();
      TcpcTestScript *script = tcpc_test_server_add_script (server);
      TcpcClient *client = tcpc_test_client_for (server);
      TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
      g_autoptr(TcpcLineFilter) filter = tcpc_line_filter_new ();

      tcpc_line_filter_set_max_length (filter, 10);
      tcpc_client_set_filter (client, TCPC_FILTER (filter));
      tcpc_client_set_shutdown_on_error (client, FALSE);

      /* one write: the client reads it all at once */
      tcpc_test_script_write_string (script,
                                     "short\nxxxxxxxxxxxxxxxxxxxx\n"
                                     "yyyyyyyyyyyyyyyyyyyy\nafter\nlast\n");
      if (close)
        tcpc_test_script_close (script);
      else
        tcpc_test_script_read_to_eof (script);

      tcpc_client_start (client);
      if (close)
        {
          WAIT_EVENT (rec, "disconnected");
          tcpc_test_assert_events (rec, "started", "connected", "input:short",
                                   too_long_event, too_long_event, "input:after",
                                   "input:last", "disconnected");
          assert_ends_closed (rec, client, "disconnected");
        }
      else
        {
          WAIT_EVENT (rec, "input:last");
          tcpc_test_assert_events (rec, "started", "connected", "input:short",
                                   too_long_event, too_long_event, "input:after",
                                   "input:last");
          g_assert_true (tcpc_client_is_connected (client));

          tcpc_client_shutdown (client);
          WAIT_EVENT (rec, "disconnected");
          assert_ends_closed (rec, client, "disconnected");
        }

      tcpc_test_finish_client (client, rec);
      tcpc_test_server_free (server);
    }
}

/* A filter that never gets anywhere: every next_record() fails with
 * TCPC_FILTER_ERROR_MALFORMED and consumes nothing. After STUCK_FILTER_LIMIT
 * calls it returns NULL, so that a caller that never stops asking fails
 * the test instead of hanging it. */
#define STUCK_FILTER_LIMIT 10000

#define TEST_TYPE_STUCK_FILTER (test_stuck_filter_get_type ())
G_DECLARE_FINAL_TYPE (TestStuckFilter, test_stuck_filter, TEST, STUCK_FILTER, GObject)

struct _TestStuckFilter
{
  GObject  parent_instance;
  guint   *n_calls;   /* next_record() calls, shared by the clones */
};

static void test_stuck_filter_iface_init (TcpcFilterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestStuckFilter, test_stuck_filter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TCPC_TYPE_FILTER,
                                                      test_stuck_filter_iface_init))

static TcpcFilter *
test_stuck_filter_new (guint *n_calls)
{
  TestStuckFilter *self = g_object_new (TEST_TYPE_STUCK_FILTER, NULL);

  self->n_calls = n_calls;
  return TCPC_FILTER (self);
}

static gboolean
test_stuck_filter_feed (TcpcFilter  *filter,
                        GBytes      *data,
                        GError     **error)
{
  return TRUE;
}

static GBytes *
test_stuck_filter_next_record (TcpcFilter  *filter,
                               GError     **error)
{
  TestStuckFilter *self = TEST_STUCK_FILTER (filter);

  if (++*self->n_calls > STUCK_FILTER_LIMIT)
    return NULL;

  g_set_error_literal (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_MALFORMED,
                       "test filter is stuck");
  return NULL;
}

static GBytes *
test_stuck_filter_encode (TcpcFilter  *filter,
                          GBytes      *record,
                          GError     **error)
{
  return g_bytes_ref (record);
}

static GBytes *
test_stuck_filter_take_pending (TcpcFilter *filter)
{
  return NULL;
}

static TcpcFilter *
test_stuck_filter_clone (TcpcFilter *filter)
{
  return test_stuck_filter_new (TEST_STUCK_FILTER (filter)->n_calls);
}

static void
test_stuck_filter_iface_init (TcpcFilterInterface *iface)
{
  iface->feed = test_stuck_filter_feed;
  iface->next_record = test_stuck_filter_next_record;
  iface->encode = test_stuck_filter_encode;
  iface->take_pending = test_stuck_filter_take_pending;
  iface->clone = test_stuck_filter_clone;
}

static void
test_stuck_filter_class_init (TestStuckFilterClass *klass)
{
}

static void
test_stuck_filter_init (TestStuckFilter *self)
{
}

static gboolean
stuck_tick_cb (gpointer user_data)
{
  tcpc_test_recorder_add (user_data, "tick");
  return G_SOURCE_REMOVE;
}

/* The first server-error queues a tick at the reader's priority. */
static void
stuck_error_cb (TcpcClient       *client,
                const char       *operation,
                const GError     *error,
                TcpcTestRecorder *rec)
{
  if (tcpc_test_count_prefix (rec->events, "server-error") == 1)
    g_idle_add_full (G_PRIORITY_DEFAULT, stuck_tick_cb, rec, NULL);
}

/* 48e. shutdown-on-error FALSE and a filter that fails again and again
 * without consuming its input: each server-error comes from its own
 * main-loop iteration; after 64 in a row they are paced (one per 10 ms at
 * most) instead of keeping the CPU busy; the client stays connected and
 * shuts down as usual */
static void
test_no_shutdown_on_error_stuck_filter (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  guint n_calls = 0;
  g_autoptr(TcpcFilter) filter = test_stuck_filter_new (&n_calls);
  guint n_errors, n_later;
  gint64 start;
  double elapsed;

  tcpc_client_set_filter (client, filter);
  tcpc_client_set_shutdown_on_error (client, FALSE);
  g_signal_connect_after (client, "server-error", G_CALLBACK (stuck_error_cb), rec);

  tcpc_test_script_write_string (script, "bad input\n");
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_count_prefix (rec->events, "server-error") >= 64, WAIT_MS);
  /* the main loop ran between the first two errors */
  g_assert_cmpstr (g_ptr_array_index (rec->events, 2), ==, "server-error:read:filter:malformed");
  g_assert_cmpstr (g_ptr_array_index (rec->events, 3), ==, "tick");

  /* then paced: at most one per 10 ms */
  n_errors = tcpc_test_count_prefix (rec->events, "server-error");
  start = g_get_monotonic_time ();
  tcpc_test_spin (200);
  n_later = tcpc_test_count_prefix (rec->events, "server-error");
  elapsed = tcpc_test_elapsed (start);
  g_test_message ("%u server-errors, then %u more in %.3f s", n_errors, n_later - n_errors,
                  elapsed);
  g_assert_cmpuint (n_later, >, n_errors);
  g_assert_cmpuint (n_later - n_errors, <=, (guint) (elapsed * 100) + 2);
  g_assert_cmpuint (n_calls, ==, n_later);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTED);

  tcpc_client_shutdown (client);
  n_errors = tcpc_test_count_prefix (rec->events, "server-error");
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 0);
  g_assert_cmpuint (tcpc_test_count_prefix (rec->events, "server-error"), ==, n_errors);
  g_assert_cmpuint (tcpc_test_recorder_count (rec, "disconnected"), ==, 1);
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 48e'. the same stuck filter, and the peer sends a lot and closes: the
 * end of the stream still ends the connection, after a bounded number of
 * errors */
static void
test_no_shutdown_on_error_stuck_filter_eof (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  guint n_calls = 0;
  g_autoptr(TcpcFilter) filter = test_stuck_filter_new (&n_calls);
  guint n_errors;

  tcpc_client_set_filter (client, filter);
  tcpc_client_set_shutdown_on_error (client, FALSE);
  /* far more bytes than errors are allowed after the end of the stream */
  tcpc_test_script_write_repeat (script, 'x', 100000);
  tcpc_test_script_wait (script, 100);
  tcpc_test_script_close (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  n_errors = tcpc_test_count_prefix (rec->events, "server-error:read:filter:malformed");
  g_test_message ("%u server-errors before disconnected", n_errors);
  g_assert_cmpuint (n_errors, >=, 64);
  g_assert_cmpuint (n_errors, <, STUCK_FILTER_LIMIT);
  g_assert_cmpuint (tcpc_test_recorder_count (rec, "disconnected"), ==, 1);
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 48g. a record handler runs a nested main loop, during which the peer
 * closes: the records still buffered come before disconnected */
typedef struct
{
  TcpcTestServer *server;
  gboolean        nested_done;
} NestedEof;

static void
nested_eof_input_cb (TcpcClient *client,
                     GBytes     *record,
                     NestedEof  *ne)
{
  if (g_bytes_get_size (record) != 3 || memcmp (g_bytes_get_data (record, NULL), "ok1", 3) != 0)
    return;

  g_assert_true (tcpc_client_put_string (client, "go", NULL));
  /* the server closes once it has the answer; the client reads the end
   * of the stream from this loop */
  TCPC_TEST_WAIT (tcpc_test_server_n_conns (ne->server) == 1 &&
                  tcpc_test_server_get_conn (ne->server, 0)->closed, WAIT_MS);
  tcpc_test_spin (100);
  ne->nested_done = TRUE;
}

static void
test_nested_loop_eof (void)
{
  guint bad_first;

  for (bad_first = 0; bad_first < 2; bad_first++)
    {
      TcpcTestServer *server = tcpc_test_server_new ();
      TcpcTestScript *script = tcpc_test_server_add_script (server);
      TcpcClient *client = tcpc_test_client_for (server);
      TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
      g_autoptr(TcpcLineFilter) filter = tcpc_line_filter_new_literal ("\n");
      g_autoptr(GString) input = g_string_new (NULL);
      NestedEof ne = { server, FALSE };
      guint i;

      g_test_message ("%s", bad_first ? "after 200 bad lines" : "plain");
      for (i = 0; bad_first && i < 200; i++)
        g_string_append (input, "too long\n");
      g_string_append (input, "ok1\nok2\n");
      tcpc_line_filter_set_max_length (filter, 4);
      tcpc_client_set_filter (client, TCPC_FILTER (filter));
      tcpc_client_set_shutdown_on_error (client, FALSE);
      g_signal_connect (client, "server-input", G_CALLBACK (nested_eof_input_cb), &ne);
      tcpc_test_script_write_string (script, input->str);
      tcpc_test_script_read_bytes (script, 3);   /* "go\n" */
      tcpc_test_script_close (script);

      tcpc_client_start (client);
      TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "disconnected"), WAIT_LONG_MS);
      g_assert_true (ne.nested_done);
      g_assert_cmpuint (tcpc_test_recorder_count (rec, "input:ok2"), ==, 1);
      g_assert_cmpint (tcpc_test_recorder_index_of (rec, "input:ok2"), <,
                       tcpc_test_recorder_index_of (rec, "disconnected"));

      tcpc_test_finish_client (client, rec);
      tcpc_test_server_free (server);
    }
}

/* 48f. shutdown-on-error FALSE and more bad records in a row than the
 * reader parses at full speed: the good record behind them still comes,
 * whether the peer then waits or closes at once */
static void
test_no_shutdown_on_error_long_bad_run (void)
{
  guint variant;

  /* 0: the peer waits; 1: it closes; 2: it closes, and a good record
   * comes first */
  for (variant = 0; variant < 3; variant++)
    {
      gboolean closes = variant > 0;
      TcpcTestServer *server = tcpc_test_server_new ();
      TcpcTestScript *script = tcpc_test_server_add_script (server);
      TcpcClient *client = tcpc_test_client_for (server);
      TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
      g_autoptr(TcpcLineFilter) filter = tcpc_line_filter_new_literal ("\n");
      g_autoptr(GString) input = g_string_new (NULL);
      guint i;

      g_test_message ("the peer %s%s", closes ? "closes" : "waits",
                      variant == 2 ? ", a good record first" : "");
      if (variant == 2)
        g_string_append (input, "a\n");
      for (i = 0; i < 200; i++)
        g_string_append (input, "too long\n");
      g_string_append (input, "ok\n");
      tcpc_line_filter_set_max_length (filter, 4);
      tcpc_client_set_filter (client, TCPC_FILTER (filter));
      tcpc_client_set_shutdown_on_error (client, FALSE);
      tcpc_test_script_write_string (script, input->str);
      if (closes)
        tcpc_test_script_close (script);
      else
        tcpc_test_script_read_to_eof (script);

      tcpc_client_start (client);
      TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "input:ok"), WAIT_LONG_MS);
      g_assert_cmpuint (tcpc_test_count_prefix (rec->events, "server-error:read:filter:"),
                        ==, 200);
      if (variant == 2)
        g_assert_cmpuint (tcpc_test_recorder_count (rec, "input:a"), ==, 1);
      if (closes)
        {
          WAIT_EVENT (rec, "disconnected");
          g_assert_cmpint (tcpc_test_recorder_index_of (rec, "input:ok"), <,
                           tcpc_test_recorder_index_of (rec, "disconnected"));
        }
      else
        {
          g_assert_true (tcpc_client_is_connected (client));
          tcpc_client_shutdown (client);
          WAIT_EVENT (rec, "disconnected");
        }

      tcpc_test_finish_client (client, rec);
      tcpc_test_server_free (server);
    }
}

/* 49. no connect-error handler: one message (not a warning), CLOSED */
static void
test_connect_error_default_handler (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, TCPC_TEST_RECORD_NO_CONNECT_ERROR);

  g_test_expect_message ("Tcpc", G_LOG_LEVEL_MESSAGE, "*connect*");
  tcpc_client_start (client);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);
  g_test_assert_expected_messages ();

  tcpc_test_assert_events (rec, "started");
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CLOSED");

  tcpc_test_finish_client (client, rec);
  g_object_unref (reserved);
}

/* 49b. the name property appears in the log messages */
static void
test_log_name (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);

  tcpc_client_set_name (client, "my-client-name");
  g_assert_cmpstr (tcpc_client_get_name (client), ==, "my-client-name");

  g_test_expect_message ("Tcpc", G_LOG_LEVEL_MESSAGE, "*my-client-name*");
  tcpc_client_start (client);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  g_test_assert_expected_messages ();

  g_assert_finalize_object (client);
  g_object_unref (reserved);
}

/* 49c. with a user connect-error handler nothing is logged */
static void
test_connect_error_handler_silences_log (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  LogCounter counter;

  log_counter_start (&counter);
  tcpc_client_start (client);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);
  log_counter_stop (&counter);

  g_assert_cmpuint (counter.n_messages, ==, 0);
  tcpc_test_assert_events (rec, "started", refused_event);

  tcpc_test_finish_client (client, rec);
  g_object_unref (reserved);
}

/* ------------------------------------------------------------------------ */
/* pre-connect (items 50-51)                                                 */
/* ------------------------------------------------------------------------ */

/* A GIOStream that wraps another one and closes it when closed (what
 * GTlsConnection does with close-base-stream). */
#define TEST_TYPE_WRAP_STREAM (test_wrap_stream_get_type ())
G_DECLARE_FINAL_TYPE (TestWrapStream, test_wrap_stream, TEST, WRAP_STREAM, GIOStream)

struct _TestWrapStream
{
  GIOStream  parent_instance;
  GIOStream *base;
};

G_DEFINE_FINAL_TYPE (TestWrapStream, test_wrap_stream, G_TYPE_IO_STREAM)

static GInputStream *
test_wrap_stream_get_input_stream (GIOStream *stream)
{
  return g_io_stream_get_input_stream (TEST_WRAP_STREAM (stream)->base);
}

static GOutputStream *
test_wrap_stream_get_output_stream (GIOStream *stream)
{
  return g_io_stream_get_output_stream (TEST_WRAP_STREAM (stream)->base);
}

static gboolean
test_wrap_stream_close_fn (GIOStream     *stream,
                           GCancellable  *cancellable,
                           GError       **error)
{
  return g_io_stream_close (TEST_WRAP_STREAM (stream)->base, cancellable, error);
}

static void
test_wrap_stream_base_closed_cb (GObject      *object,
                                 GAsyncResult *result,
                                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (g_io_stream_close_finish (G_IO_STREAM (object), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
test_wrap_stream_close_async (GIOStream           *stream,
                              int                  io_priority,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task = g_task_new (stream, cancellable, callback, user_data);

  g_io_stream_close_async (TEST_WRAP_STREAM (stream)->base, io_priority,
                           cancellable, test_wrap_stream_base_closed_cb, task);
}

static gboolean
test_wrap_stream_close_finish (GIOStream     *stream,
                               GAsyncResult  *result,
                               GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
test_wrap_stream_finalize (GObject *object)
{
  g_clear_object (&TEST_WRAP_STREAM (object)->base);
  G_OBJECT_CLASS (test_wrap_stream_parent_class)->finalize (object);
}

static void
test_wrap_stream_class_init (TestWrapStreamClass *klass)
{
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = test_wrap_stream_finalize;
  stream_class->get_input_stream = test_wrap_stream_get_input_stream;
  stream_class->get_output_stream = test_wrap_stream_get_output_stream;
  stream_class->close_fn = test_wrap_stream_close_fn;
  stream_class->close_async = test_wrap_stream_close_async;
  stream_class->close_finish = test_wrap_stream_close_finish;
}

static void
test_wrap_stream_init (TestWrapStream *self)
{
}

typedef struct
{
  TcpcTestRecorder *rec;
  const char *name;
  int mode;                 /* 0: same stream, 1: NULL, 2: wrapper */
  GIOStream *given;         /* not a ref */
  GIOStream *returned;      /* not a ref */
  guint n_calls;
} PreConnect;

static GIOStream *
pre_connect_cb (TcpcClient *client,
                GIOStream  *stream,
                PreConnect *pc)
{
  g_autofree char *ev = g_strdup_printf ("pre-connect:%s", pc->name);

  pc->n_calls++;
  pc->given = stream;
  tcpc_test_recorder_add (pc->rec, ev);
  g_assert_false (tcpc_client_is_connected (client));

  switch (pc->mode)
    {
    case 0:
      pc->returned = stream;
      return g_object_ref (stream);
    case 1:
      pc->returned = NULL;
      return NULL;
    default:
      {
        TestWrapStream *wrapper = g_object_new (TEST_TYPE_WRAP_STREAM, NULL);

        wrapper->base = g_object_ref (stream);
        pc->returned = G_IO_STREAM (wrapper);
        return G_IO_STREAM (wrapper);
      }
    }
}

/* 50. pre-connect returning the same stream */
static void
test_pre_connect (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  PreConnect pc = { rec, "a", 0, NULL, NULL, 0 };

  g_signal_connect (client, "pre-connect", G_CALLBACK (pre_connect_cb), &pc);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_spin (50);

  tcpc_test_assert_events (rec, "started", "pre-connect:a", "connected");
  g_assert_cmpuint (pc.n_calls, ==, 1);
  g_assert_true (rec->last_stream == pc.given);
  g_assert_true (tcpc_client_get_stream (client) == pc.given);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 50b. pre-connect returning a wrapping stream: it is used for I/O */
static void
test_pre_connect_wrap (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  PreConnect pc = { rec, "wrap", 2, NULL, NULL, 0 };

  tcpc_test_script_write_string (script, "hi\n");
  tcpc_test_script_read_to_eof (script);
  g_signal_connect (client, "pre-connect", G_CALLBACK (pre_connect_cb), &pc);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "input:hi");
  g_assert_true (rec->last_stream == pc.returned);
  g_assert_true (rec->last_stream != pc.given);
  g_assert_true (tcpc_client_get_stream (client) == pc.returned);
  tcpc_test_put_string_ok (client, "x");
  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 0);

  tcpc_test_assert_events (rec, "started", "pre-connect:wrap", "connected",
                           "input:hi", "flushed", "disconnected");
  g_assert_cmpstr (tcpc_test_conn_received_str (tcpc_test_server_get_conn (server, 0)),
                   ==, "x\r\n");
  g_assert_true (tcpc_test_server_get_conn (server, 0)->eof);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 50c. pre-connect handlers run in order; the first one's answer wins */
static void
test_pre_connect_order (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  PreConnect first = { rec, "first", 0, NULL, NULL, 0 };
  PreConnect second = { rec, "second", 1, NULL, NULL, 0 };

  g_signal_connect (client, "pre-connect", G_CALLBACK (pre_connect_cb), &first);
  g_signal_connect (client, "pre-connect", G_CALLBACK (pre_connect_cb), &second);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_spin (50);

  tcpc_test_assert_events (rec, "started", "pre-connect:first", "connected");
  g_assert_cmpuint (second.n_calls, ==, 0);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 51. pre-connect refusing: connect-error "pre-connect" REFUSED, server EOF */
static void
test_pre_connect_refuse (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  PreConnect pc = { rec, "no", 1, NULL, NULL, 0 };

  g_signal_connect (client, "pre-connect", G_CALLBACK (pre_connect_cb), &pc);

  tcpc_client_start (client);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  WAIT_CONN_FINISHED (server, 0);
  tcpc_test_spin (100);

  g_assert_true (tcpc_test_server_get_conn (server, 0)->eof);
  tcpc_test_assert_events (rec, "started", "pre-connect:no",
                           "connect-error:pre-connect:client:refused");
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CLOSED");
  assert_ends_closed (rec, client, "connect-error:pre-connect:client:refused");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* ------------------------------------------------------------------------ */
/* Filters used by the client (items 52-58)                                  */
/* ------------------------------------------------------------------------ */

/* A filter that wraps a line filter and logs which instance was fed. */
#define TEST_TYPE_FILTER (test_filter_get_type ())
G_DECLARE_FINAL_TYPE (TestFilter, test_filter, TEST, FILTER, GObject)

struct _TestFilter
{
  GObject     parent_instance;
  TcpcFilter *inner;
  guint       id;
  GArray     *fed_ids;     /* shared by the clones */
  int         encode_mode; /* 0: inner filter, 1: fail, 2: NULL (drop) */
};

static guint test_filter_last_id;

static void test_filter_iface_init (TcpcFilterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestFilter, test_filter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TCPC_TYPE_FILTER,
                                                      test_filter_iface_init))

static TestFilter *
test_filter_new (TcpcFilter *inner,
                 GArray     *fed_ids)
{
  TestFilter *self = g_object_new (TEST_TYPE_FILTER, NULL);

  self->inner = inner;
  self->id = ++test_filter_last_id;
  self->fed_ids = g_array_ref (fed_ids);
  return self;
}

static gboolean
test_filter_feed (TcpcFilter  *filter,
                  GBytes      *data,
                  GError     **error)
{
  TestFilter *self = TEST_FILTER (filter);

  g_array_append_val (self->fed_ids, self->id);
  return tcpc_filter_feed (self->inner, data, error);
}

static GBytes *
test_filter_next_record (TcpcFilter  *filter,
                         GError     **error)
{
  return tcpc_filter_next_record (TEST_FILTER (filter)->inner, error);
}

static GBytes *
test_filter_encode (TcpcFilter  *filter,
                    GBytes      *record,
                    GError     **error)
{
  TestFilter *self = TEST_FILTER (filter);

  switch (self->encode_mode)
    {
    case 1:
      g_set_error_literal (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_MALFORMED,
                           "test filter refuses to encode");
      return NULL;
    case 2:
      return NULL;
    default:
      return tcpc_filter_encode (self->inner, record, error);
    }
}

static GBytes *
test_filter_take_pending (TcpcFilter *filter)
{
  return tcpc_filter_take_pending (TEST_FILTER (filter)->inner);
}

static TcpcFilter *
test_filter_clone (TcpcFilter *filter)
{
  TestFilter *self = TEST_FILTER (filter);
  TestFilter *clone = test_filter_new (tcpc_filter_clone (self->inner),
                                       self->fed_ids);

  clone->encode_mode = self->encode_mode;
  return TCPC_FILTER (clone);
}

static void
test_filter_iface_init (TcpcFilterInterface *iface)
{
  iface->feed = test_filter_feed;
  iface->next_record = test_filter_next_record;
  iface->encode = test_filter_encode;
  iface->take_pending = test_filter_take_pending;
  iface->clone = test_filter_clone;
}

static void
test_filter_finalize (GObject *object)
{
  TestFilter *self = TEST_FILTER (object);

  g_clear_object (&self->inner);
  g_clear_pointer (&self->fed_ids, g_array_unref);
  G_OBJECT_CLASS (test_filter_parent_class)->finalize (object);
}

static void
test_filter_class_init (TestFilterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_filter_finalize;
}

static void
test_filter_init (TestFilter *self)
{
}

typedef struct
{
  GArray *fed_ids;
  GArray *input_ids;   /* the filter instance last fed, per record */
} FilterWatch;

static void
filter_watch_input_cb (TcpcClient  *client,
                       GBytes      *record,
                       FilterWatch *w)
{
  g_assert_cmpuint (w->fed_ids->len, >, 0);
  g_array_append_val (w->input_ids,
                      g_array_index (w->fed_ids, guint, w->fed_ids->len - 1));
}

/* 52. the filter prototype is cloned for every connection */
static void
test_filter_cloned (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *first = tcpc_test_server_add_script (server);
  TcpcTestScript *second = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(GArray) fed_ids = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) input_ids = g_array_new (FALSE, FALSE, sizeof (guint));
  TestFilter *proto = test_filter_new (TCPC_FILTER (tcpc_line_filter_new ()), fed_ids);
  FilterWatch w = { fed_ids, input_ids };
  Reconnector r = { 0, 1, 0, 0 };
  guint proto_id = proto->id;
  guint id0, id1, i;

  tcpc_test_script_write_string (first, "a\n");
  tcpc_test_script_wait (first, 100);
  tcpc_test_script_close (first);
  tcpc_test_script_write_string (second, "b\n");
  tcpc_test_script_read_to_eof (second);

  tcpc_client_set_filter (client, TCPC_FILTER (proto));
  g_assert_true (tcpc_client_get_filter (client) == TCPC_FILTER (proto));
  g_signal_connect (client, "server-input", G_CALLBACK (filter_watch_input_cb), &w);
  g_signal_connect (client, "disconnected", G_CALLBACK (reconnector_cb), &r);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "input:b");
  tcpc_test_spin (50);

  tcpc_test_assert_events (rec, "started", "connected", "input:a", "disconnected",
                           "connected", "input:b");
  g_assert_cmpuint (input_ids->len, ==, 2);
  id0 = g_array_index (input_ids, guint, 0);
  id1 = g_array_index (input_ids, guint, 1);
  g_assert_cmpuint (id0, !=, proto_id);
  g_assert_cmpuint (id1, !=, proto_id);
  g_assert_cmpuint (id0, !=, id1);
  for (i = 0; i < fed_ids->len; i++)
    g_assert_cmpuint (g_array_index (fed_ids, guint, i), !=, proto_id);
  g_assert_true (tcpc_client_get_filter (client) == TCPC_FILTER (proto));

  tcpc_test_finish_client (client, rec);
  g_object_unref (proto);
  tcpc_test_server_free (server);
}

/* put with a filter that cannot encode: FALSE with the filter's error, the
 * connection stays up; a filter that drops the record (encode returns
 * NULL without error): TRUE, nothing sent, no flushed */
static void
test_put_filter_error (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(GArray) fed_ids = g_array_new (FALSE, FALSE, sizeof (guint));
  TestFilter *proto = test_filter_new (TCPC_FILTER (tcpc_line_filter_new ()), fed_ids);
  GError *error = NULL;

  proto->encode_mode = 1;
  tcpc_client_set_filter (client, TCPC_FILTER (proto));

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");

  g_assert_false (tcpc_client_put_string (client, "x", &error));
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (tcpc_client_put_data (client, (const guint8 *) "y", 1, &error));
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_MALFORMED);
  g_clear_error (&error);
  tcpc_test_spin (100);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTED);

  /* a second connection with a dropping filter */
  proto->encode_mode = 2;
  tcpc_client_reconnect (client);
  WAIT_COUNT (rec, "connected", 2);
  g_assert_true (tcpc_client_put_string (client, "dropped", &error));
  g_assert_no_error (error);
  tcpc_test_spin (100);
  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 1);

  tcpc_test_assert_events (rec, "started", "connected", "connected", "disconnected");
  g_assert_cmpuint (tcpc_test_server_get_conn (server, 0)->n_received, ==, 0);
  g_assert_cmpuint (tcpc_test_server_get_conn (server, 1)->n_received, ==, 0);

  tcpc_test_finish_client (client, rec);
  g_object_unref (proto);
  tcpc_test_server_free (server);
}

/* 53. the clone starts fresh: an autodetect prototype that locked onto
 * CRLF does not hand that to the connection */
static void
test_filter_fresh_state (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(TcpcLineFilter) filter = tcpc_line_filter_new ();
  g_autoptr(GBytes) warmup = g_bytes_new_static ("warmup\r\n", 8);
  g_autoptr(GBytes) record = NULL;
  g_autoptr(GError) error = NULL;

  tcpc_line_filter_set_autodetect (filter, TRUE);
  g_assert_true (tcpc_filter_feed (TCPC_FILTER (filter), warmup, &error));
  g_assert_no_error (error);
  record = tcpc_filter_next_record (TCPC_FILTER (filter), &error);
  g_assert_no_error (error);
  g_assert_nonnull (record);
  g_assert_cmpmem (g_bytes_get_data (record, NULL), g_bytes_get_size (record),
                   "warmup", 6);
  tcpc_client_set_filter (client, TCPC_FILTER (filter));

  tcpc_test_script_write_string (script, "three\nfour\n");
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "input:four");
  tcpc_test_spin (50);

  tcpc_test_assert_events (rec, "started", "connected", "input:three", "input:four");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 54. no carry-over of a partial record into the next connection */
static void
test_filter_no_carry_over (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *first = tcpc_test_server_add_script (server);
  TcpcTestScript *second = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  Reconnector r = { 0, 1, 0, 0 };

  tcpc_test_script_write_string (first, "partial");
  tcpc_test_script_wait (first, 100);
  tcpc_test_script_close (first);
  tcpc_test_script_write_string (second, "x\n");
  tcpc_test_script_read_to_eof (second);
  g_signal_connect (client, "disconnected", G_CALLBACK (reconnector_cb), &r);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "input:x");
  tcpc_test_spin (50);

  tcpc_test_assert_events (rec, "started", "connected", "disconnected",
                           "connected", "input:x");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 55. a record over max-length: server-error "read" RECORD_TOO_LONG, then
 * disconnected (shutdown-on-error) */
static void
test_oversized_record (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(TcpcLineFilter) filter = tcpc_line_filter_new ();

  tcpc_line_filter_set_max_length (filter, 10);
  g_assert_cmpuint (tcpc_line_filter_get_max_length (filter), ==, 10);
  tcpc_client_set_filter (client, TCPC_FILTER (filter));
  tcpc_test_script_write_string (script, "short\nxxxxxxxxxxxxxxxxxxxx\nafter\n");
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 0);
  tcpc_test_spin (100);

  tcpc_test_assert_events (rec, "started", "connected", "input:short",
                           too_long_event, "disconnected");
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 56. 1 MiB without a terminator and max-length 16 */
static void
test_oversized_unterminated (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(TcpcLineFilter) filter = tcpc_line_filter_new ();

  tcpc_line_filter_set_max_length (filter, 16);
  tcpc_client_set_filter (client, TCPC_FILTER (filter));
  tcpc_test_script_write_repeat (script, 'x', 1024 * 1024);
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);

  tcpc_test_assert_events (rec, "started", "connected", too_long_event,
                           "disconnected");
  assert_ends_closed (rec, client, "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* 58. an invalid filter: connect-error "filter" INVALID_SETTINGS, no
 * connection is made; also when the invalid filter is deep in a stack */
#define N_INVALID_FILTERS 7

static TcpcFilter *
invalid_filter (guint variant)
{
  TcpcLineFilter *filter = tcpc_line_filter_new ();
  g_autoptr(GPtrArray) stack = NULL;

  switch (variant)
    {
    case 0:
      tcpc_line_filter_set_literal (filter, "");
      break;
    case 1:
      tcpc_line_filter_set_literal (filter, "|");
      tcpc_line_filter_set_input_regex (filter, "x");
      break;
    case 2:
      tcpc_line_filter_set_input_literal (filter, "a");
      tcpc_line_filter_set_input_regex (filter, "b");
      break;
    case 3:
      tcpc_line_filter_set_max_length (filter, 0);
      break;
    case 4:
      tcpc_line_filter_set_input_regex (filter, "(");
      break;
    case 5:
      /* the invalid filter is the second of a stack */
      tcpc_line_filter_set_max_length (filter, 0);
      stack = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (stack, tcpc_stream_filter_new ());
      g_ptr_array_add (stack, filter);
      return TCPC_FILTER (tcpc_stackable_filter_new (stack));
    case 6:
      /* the third, behind a map filter */
      stack = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (stack, filter);
      g_ptr_array_add (stack, tcpc_map_filter_new (NULL, NULL, NULL, NULL, NULL, NULL));
      g_ptr_array_add (stack, g_object_new (TCPC_TYPE_BLOCK_FILTER, "max-length", 0, NULL));
      return TCPC_FILTER (tcpc_stackable_filter_new (stack));
    default:
      g_assert_not_reached ();
    }

  return TCPC_FILTER (filter);
}

/* once: the client's filter is still the default line filter */
static void
set_invalid_filter_cb (TcpcClient *client)
{
  g_autoptr(TcpcFilter) invalid = invalid_filter (3);
  TcpcLineFilter *current = TCPC_LINE_FILTER (tcpc_client_get_filter (client));

  if (tcpc_line_filter_get_max_length (current) != 0)
    tcpc_client_set_filter (client, invalid);
}

static GIOStream *
pre_connect_invalid_filter_cb (TcpcClient *client,
                               GIOStream  *stream,
                               gpointer    user_data)
{
  set_invalid_filter_cb (client);
  return g_object_ref (stream);
}

static void
check_invalid_filter_from (TcpcTestServer *server,
                           const char     *signal)
{
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  g_test_message ("an invalid filter set from %s", signal);
  if (g_str_equal (signal, "pre-connect"))
    g_signal_connect (client, "pre-connect", G_CALLBACK (pre_connect_invalid_filter_cb), NULL);
  else
    g_signal_connect (client, signal, G_CALLBACK (set_invalid_filter_cb), NULL);
  tcpc_client_start (client);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);
  tcpc_test_assert_events (rec, "started", "connect-error:filter:filter:invalid-settings");
  g_assert_null (tcpc_client_get_stream (client));

  tcpc_test_finish_client (client, rec);
}

/* 58b. a filter set while connecting is the connection's: its framing
 * parses the input and encodes the output, and invalid settings end the
 * attempt with connect-error "filter" */
static void
test_filter_while_connecting (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(TcpcFilter) netstring = TCPC_FILTER (tcpc_netstring_filter_new ());
  g_autoptr(TcpcFilter) invalid = invalid_filter (3);
  GError *error = NULL;

  tcpc_test_script_write_string (script, "1:a,1:b,");
  tcpc_test_script_read_bytes (script, 4);
  tcpc_test_script_close (script);

  tcpc_client_start (client);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTING);
  tcpc_client_set_filter (client, netstring);
  WAIT_EVENT (rec, "connected");
  g_assert_true (tcpc_client_put_string (client, "x", &error));
  g_assert_no_error (error);
  WAIT_EVENT (rec, "disconnected");
  tcpc_test_assert_events (rec, "started", "connected", "input:a", "input:b", "flushed",
                           "disconnected");
  g_assert_cmpstr (tcpc_test_conn_received_str (tcpc_test_server_get_conn (server, 0)),
                   ==, "1:x,");
  tcpc_test_finish_client (client, rec);

  client = tcpc_test_client_for (server);
  rec = tcpc_test_recorder_new (client, 0);
  tcpc_client_start (client);
  tcpc_client_set_filter (client, invalid);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);
  tcpc_test_assert_events (rec, "started", "connect-error:filter:filter:invalid-settings");
  tcpc_test_finish_client (client, rec);

  /* from a pre-connect or connect-progress handler: the stream made is
   * closed, not used */
  check_invalid_filter_from (server, "pre-connect");
  check_invalid_filter_from (server, "connect-progress");

  tcpc_test_server_free (server);
}

static void
test_invalid_filter (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  guint variant;

  for (variant = 0; variant < N_INVALID_FILTERS; variant++)
    {
      g_autoptr(TcpcFilter) filter = invalid_filter (variant);
      TcpcClient *client = tcpc_test_client_for (server);
      TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

      g_test_message ("invalid filter variant %u", variant);
      tcpc_client_set_filter (client, filter);
      tcpc_client_start (client);
      WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
      tcpc_test_spin (100);

      tcpc_test_assert_events (rec, "started",
                               "connect-error:filter:filter:invalid-settings");
      g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 0);

      tcpc_test_finish_client (client, rec);
    }

  tcpc_test_server_free (server);
}

/* ------------------------------------------------------------------------ */
/* Further contract points of API.md                                        */
/* ------------------------------------------------------------------------ */

/* start while connecting or connected does nothing */
static void
test_start_twice (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_start (client);
  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_client_start (client);
  tcpc_test_spin (200);

  tcpc_test_assert_events (rec, "started", "connected");
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CONNECTED");
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 1);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* connect_to on an IDLE client acts like start and sets the properties */
static void
test_connect_to_idle (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = g_object_new (TCPC_TYPE_CLIENT, NULL);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  NotifyCount count = { 0 };

  g_assert_null (tcpc_client_get_remote_address (client));
  g_assert_cmpuint (tcpc_client_get_remote_port (client), ==, 0);
  g_signal_connect (client, "notify", G_CALLBACK (notify_count_cb), &count);

  tcpc_client_connect_to (client, "127.0.0.1", server->port);
  g_assert_cmpuint (count.n_address, ==, 1);
  g_assert_cmpuint (count.n_port, ==, 1);
  g_assert_cmpstr (tcpc_client_get_remote_address (client), ==, "127.0.0.1");
  g_assert_cmpuint (tcpc_client_get_remote_port (client), ==, server->port);

  WAIT_EVENT (rec, "connected");
  tcpc_test_spin (50);
  tcpc_test_assert_events (rec, "started", "connected");
  g_assert_cmpint (tcpc_test_recorder_index_of (rec, "started"), <,
                   tcpc_test_recorder_index_of (rec, "state:CONNECTING"));

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* reconnect on a CLOSED client acts like start */
static void
test_reconnect_closed (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_client_shutdown (client);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);

  tcpc_client_reconnect (client);
  WAIT_COUNT (rec, "connected", 2);
  tcpc_test_spin (50);

  tcpc_test_assert_events (rec, "started", "connected", "disconnected",
                           "started", "connected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* connect_to clears connectable and remote-service; connect_to (NULL, 0)
 * keeps the target as it is */
static void
test_connect_to_properties (void)
{
  TcpcTestServer *a = tcpc_test_server_new ();
  TcpcTestServer *b = tcpc_test_server_new ();
  TcpcClient *client = tcpc_client_new ("no-such-host.invalid", 1);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  NotifyCount count = { 0 };
  GSocketConnectable *connectable = NULL;
  char *service = NULL;

  tcpc_client_set_connectable (client, G_SOCKET_CONNECTABLE (a->address));
  tcpc_client_set_remote_service (client, "echo");
  g_assert_true (tcpc_client_get_connectable (client) ==
                 G_SOCKET_CONNECTABLE (a->address));

  /* keeps the connectable: goes to A */
  tcpc_client_connect_to (client, NULL, 0);
  WAIT_EVENT (rec, "connected");
  g_assert_cmpuint (tcpc_test_address_port (rec->last_remote), ==, a->port);
  g_assert_true (tcpc_client_get_connectable (client) ==
                 G_SOCKET_CONNECTABLE (a->address));
  g_assert_cmpstr (tcpc_client_get_remote_service (client), ==, "echo");
  g_assert_cmpstr (tcpc_client_get_remote_address (client), ==, "no-such-host.invalid");

  g_signal_connect (client, "notify", G_CALLBACK (notify_count_cb), &count);
  tcpc_client_connect_to (client, "127.0.0.1", b->port);
  g_assert_cmpuint (count.n_address, ==, 1);
  g_assert_cmpuint (count.n_port, ==, 1);
  g_assert_cmpuint (count.n_connectable, ==, 1);
  g_assert_cmpuint (count.n_service, ==, 1);
  g_object_get (client, "connectable", &connectable, "remote-service", &service, NULL);
  g_assert_null (connectable);
  g_assert_null (service);
  g_assert_null (tcpc_client_get_connectable (client));
  g_assert_null (tcpc_client_get_remote_service (client));

  WAIT_COUNT (rec, "connected", 2);
  tcpc_test_spin (50);
  g_assert_cmpuint (tcpc_test_address_port (rec->last_remote), ==, b->port);
  tcpc_test_assert_events (rec, "started", "connected", "connected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (b);
  tcpc_test_server_free (a);
}

/* no address at all: connect-error "connect" INVALID_ARGUMENT */
static void
test_no_address (void)
{
  guint variant;

  for (variant = 0; variant < 3; variant++)
    {
      TcpcClient *client;
      TcpcTestRecorder *rec;

      switch (variant)
        {
        case 0:
          client = g_object_new (TCPC_TYPE_CLIENT, NULL);
          break;
        case 1:
          client = tcpc_client_new ("127.0.0.1", 0);
          break;
        default:
          client = g_object_new (TCPC_TYPE_CLIENT, "remote-port", 4242, NULL);
          break;
        }
      rec = tcpc_test_recorder_new (client, 0);

      g_test_message ("no-address variant %u", variant);
      tcpc_client_start (client);
      WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
      tcpc_test_spin (50);

      tcpc_test_assert_events (rec, "started",
                               "connect-error:connect:io:invalid-argument");
      tcpc_test_assert_states (rec, "state:CONNECTING", "state:CLOSED");

      tcpc_test_finish_client (client, rec);
    }
}

/* connectable (a GInetSocketAddress) overrides remote-address/port */
static void
test_connectable_inet (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_client_new ("no-such-host.invalid", 1);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  GSocketConnectable *connectable = NULL;

  g_object_set (client, "connectable", server->address, NULL);
  g_object_get (client, "connectable", &connectable, NULL);
  g_assert_true (connectable == G_SOCKET_CONNECTABLE (server->address));
  g_clear_object (&connectable);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_spin (50);

  tcpc_test_assert_events (rec, "started", "connected");
  g_assert_cmpuint (tcpc_test_address_port (rec->last_remote), ==, server->port);
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 1);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* connectable: a GUnixSocketAddress */
static void
test_connectable_unix (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tcpc-test-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  TcpcTestServer *server;
  TcpcTestScript *script;
  TcpcClient *client;
  TcpcTestRecorder *rec;

  g_assert_no_error (error);
  path = g_build_filename (dir, "socket", NULL);
  address = g_unix_socket_address_new (path);
  server = tcpc_test_server_new_for_address (address, &error);
  g_assert_no_error (error);
  script = tcpc_test_server_add_script (server);
  tcpc_test_script_write_string (script, "unix\n");
  tcpc_test_script_read_to_eof (script);

  client = g_object_new (TCPC_TYPE_CLIENT, "connectable", address, NULL);
  rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "input:unix");
  tcpc_test_put_string_ok (client, "x");
  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 0);

  tcpc_test_assert_events (rec, "started", "connected", "input:unix", "flushed",
                           "disconnected");
  g_assert_cmpstr (tcpc_test_conn_received_str (tcpc_test_server_get_conn (server, 0)),
                   ==, "x\r\n");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
  g_unlink (path);
  g_rmdir (dir);
}

/* dropping the last reference while connecting */
static void
test_unref_while_connecting (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  gpointer weak = client;
  guint n_events, i;

  g_object_add_weak_pointer (G_OBJECT (client), &weak);
  tcpc_client_start (client);
  n_events = rec->all->len;

  g_object_unref (client);
  g_assert_null (weak);
  g_assert_null (rec->client);
  tcpc_test_spin (300);

  g_assert_cmpuint (rec->all->len, ==, n_events);
  for (i = 0; i < tcpc_test_server_n_conns (server); i++)
    WAIT_CONN_FINISHED (server, i);

  tcpc_test_recorder_free (rec);
  tcpc_test_server_free (server);
}

/* dropping the last reference while a stalled connect runs, with a timeout */
static void
test_unref_while_connecting_timeout (void)
{
  TcpcTestStalled *stalled = tcpc_test_stalled_new ();
  TcpcClient *client = tcpc_client_new ("127.0.0.1", stalled->port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  gpointer weak = client;

  g_object_add_weak_pointer (G_OBJECT (client), &weak);
  tcpc_client_set_connect_timeout (client, 0.2);
  tcpc_client_start (client);
  tcpc_test_spin (50);

  g_object_unref (client);
  g_assert_null (weak);
  tcpc_test_spin (500);   /* past the timeout: nothing may fire */

  tcpc_test_assert_events (rec, "started");
  tcpc_test_recorder_free (rec);
  tcpc_test_stalled_free (stalled);
}

/* dropping the last reference while connected: the server sees the close
 * at once, no signal afterwards */
static void
test_unref_while_connected (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  gpointer weak = client;
  guint n_events;

  g_object_add_weak_pointer (G_OBJECT (client), &weak);
  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  WAIT_CONNS (server, 1);
  tcpc_test_put_bulk (client, 4, BULK_RECORD_LEN);
  n_events = rec->all->len;

  g_object_unref (client);
  g_assert_null (weak);
  WAIT_CONN_FINISHED (server, 0);
  tcpc_test_spin (200);

  g_assert_cmpuint (rec->all->len, ==, n_events);
  tcpc_test_assert_events (rec, "started", "connected");
  tcpc_test_recorder_free (rec);
  tcpc_test_server_free (server);
}

/* dropping the last reference from inside server-input */
static void
unref_on_input_cb (TcpcClient *client,
                   GBytes     *record,
                   gpointer    user_data)
{
  gboolean *done = user_data;

  g_assert_false (*done);
  *done = TRUE;
  g_object_unref (client);
}

static void
test_unref_in_server_input (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  gboolean done = FALSE;
  gpointer weak = client;

  tcpc_test_script_write_string (script, "a\nb\nc\n");
  tcpc_test_script_read_to_eof (script);
  g_object_add_weak_pointer (G_OBJECT (client), &weak);
  g_signal_connect (client, "server-input", G_CALLBACK (unref_on_input_cb), &done);

  tcpc_client_start (client);
  TCPC_TEST_WAIT (weak == NULL, WAIT_MS);
  WAIT_CONN_FINISHED (server, 0);
  tcpc_test_spin (200);

  g_assert_true (done);
  tcpc_test_assert_events (rec, "started", "connected", "input:a");
  tcpc_test_recorder_free (rec);
  tcpc_test_server_free (server);
}

/* a thread-default GMainContext other than the global default */
typedef struct
{
  GMainContext *context;
  guint n_calls;
  guint n_wrong;
} ContextCheck;

static void
context_check (ContextCheck *check)
{
  check->n_calls++;
  if (g_main_context_get_thread_default () != check->context ||
      !g_main_context_is_owner (check->context))
    check->n_wrong++;
}

static void
context_check_cb (TcpcClient   *client,
                  ContextCheck *check)
{
  context_check (check);
}

static void
context_connected_cb (TcpcClient     *client,
                      GIOStream      *stream,
                      GSocketAddress *remote,
                      ContextCheck   *check)
{
  context_check (check);
}

static void
context_input_cb (TcpcClient   *client,
                  GBytes       *record,
                  ContextCheck *check)
{
  context_check (check);
  tcpc_test_put_string_ok (client, "pong");
}

static void
test_other_context (void)
{
  GMainContext *context = g_main_context_new ();
  ContextCheck check = { context, 0, 0 };
  TcpcTestServer *server;
  TcpcTestScript *first, *second;
  TcpcTestStalled *stalled;
  TcpcClient *client, *timeout_client;
  TcpcTestRecorder *rec, *timeout_rec;
  Reconnector r = { 0, 1, 0.1, 0 };

  g_main_context_push_thread_default (context);

  server = tcpc_test_server_new ();
  first = tcpc_test_server_add_script (server);
  second = tcpc_test_server_add_script (server);
  tcpc_test_script_write_string (first, "ping\n");
  tcpc_test_script_read_bytes (first, 6);
  tcpc_test_script_close (first);
  tcpc_test_script_read_to_eof (second);

  client = tcpc_test_client_for (server);
  rec = tcpc_test_recorder_new (client, 0);
  g_signal_connect (client, "started", G_CALLBACK (context_check_cb), &check);
  g_signal_connect (client, "connected", G_CALLBACK (context_connected_cb), &check);
  g_signal_connect (client, "server-input", G_CALLBACK (context_input_cb), &check);
  g_signal_connect (client, "flushed", G_CALLBACK (context_check_cb), &check);
  g_signal_connect (client, "disconnected", G_CALLBACK (context_check_cb), &check);
  g_signal_connect (client, "disconnected", G_CALLBACK (reconnector_cb), &r);

  stalled = tcpc_test_stalled_new ();
  timeout_client = tcpc_client_new ("127.0.0.1", stalled->port);
  tcpc_client_set_connect_timeout (timeout_client, 0.2);
  timeout_rec = tcpc_test_recorder_new (timeout_client, 0);

  tcpc_client_start (client);
  tcpc_client_start (timeout_client);
  WAIT_COUNT (rec, "connected", 2);
  WAIT_EVENT (timeout_rec, timed_out_event);
  tcpc_client_shutdown (client);
  WAIT_COUNT (rec, "disconnected", 2);
  tcpc_test_spin (50);

  tcpc_test_assert_events (rec, "started", "connected", "input:ping", "flushed",
                           "disconnected", "connected", "disconnected");
  tcpc_test_assert_events (timeout_rec, "started", timed_out_event);
  g_assert_cmpstr (tcpc_test_conn_received_str (tcpc_test_server_get_conn (server, 0)),
                   ==, "pong\r\n");
  g_assert_cmpuint (check.n_calls, ==, 7);
  g_assert_cmpuint (check.n_wrong, ==, 0);

  tcpc_test_finish_client (timeout_client, timeout_rec);
  tcpc_test_finish_client (client, rec);
  tcpc_test_stalled_free (stalled);
  tcpc_test_server_free (server);

  /* dispatch what the servers and clients left on the context */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
}

/* a subclass overriding class handlers (what do_server_input does in Python) */
#define TEST_TYPE_SUB_CLIENT (test_sub_client_get_type ())
G_DECLARE_FINAL_TYPE (TestSubClient, test_sub_client, TEST, SUB_CLIENT, TcpcClient)

struct _TestSubClient
{
  TcpcClient  parent_instance;
  GPtrArray  *records;
  guint       n_disconnected;
};

G_DEFINE_FINAL_TYPE (TestSubClient, test_sub_client, TCPC_TYPE_CLIENT)

static void
test_sub_client_server_input (TcpcClient *client,
                              GBytes     *record)
{
  TestSubClient *self = TEST_SUB_CLIENT (client);

  g_ptr_array_add (self->records,
                   g_strndup (g_bytes_get_data (record, NULL),
                              g_bytes_get_size (record)));
}

static void
test_sub_client_disconnected (TcpcClient *client)
{
  TEST_SUB_CLIENT (client)->n_disconnected++;

  if (TCPC_CLIENT_CLASS (test_sub_client_parent_class)->disconnected != NULL)
    TCPC_CLIENT_CLASS (test_sub_client_parent_class)->disconnected (client);
}

static void
test_sub_client_finalize (GObject *object)
{
  g_ptr_array_unref (TEST_SUB_CLIENT (object)->records);
  G_OBJECT_CLASS (test_sub_client_parent_class)->finalize (object);
}

static void
test_sub_client_class_init (TestSubClientClass *klass)
{
  TcpcClientClass *client_class = TCPC_CLIENT_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = test_sub_client_finalize;
  client_class->server_input = test_sub_client_server_input;
  client_class->disconnected = test_sub_client_disconnected;
}

static void
test_sub_client_init (TestSubClient *self)
{
  self->records = g_ptr_array_new_with_free_func (g_free);
}

static void
test_subclass (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TestSubClient *sub;
  TcpcTestRecorder *rec;

  tcpc_test_script_write_string (script, "one\ntwo\n");
  tcpc_test_script_wait (script, 50);
  tcpc_test_script_close (script);

  sub = g_object_new (TEST_TYPE_SUB_CLIENT,
                      "remote-address", "127.0.0.1",
                      "remote-port", (guint) server->port,
                      NULL);
  g_assert_true (TCPC_IS_CLIENT (sub));
  rec = tcpc_test_recorder_new (TCPC_CLIENT (sub), 0);

  tcpc_client_start (TCPC_CLIENT (sub));
  WAIT_EVENT (rec, "disconnected");
  tcpc_test_spin (50);

  tcpc_test_assert_events (rec, "started", "connected", "input:one", "input:two",
                           "disconnected");
  g_assert_cmpuint (sub->records->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (sub->records, 0), ==, "one");
  g_assert_cmpstr (g_ptr_array_index (sub->records, 1), ==, "two");
  g_assert_cmpuint (sub->n_disconnected, ==, 1);

  tcpc_test_finish_client (TCPC_CLIENT (sub), rec);
  tcpc_test_server_free (server);
}

/* properties: defaults and round trips */
static void
test_properties (void)
{
  TcpcClient *client = tcpc_client_new ("example.org", 80);
  g_autofree char *address = NULL;
  guint port = 0, bind_port = 1;
  double timeout = -1;
  gboolean tls = TRUE, shutdown_on_error = FALSE;
  GSocketFamily family = G_SOCKET_FAMILY_IPV4;
  TcpcClientState state = TCPC_CLIENT_STATE_CLOSED;
  TcpcFilter *filter = NULL;
  GIOStream *stream = NULL;

  g_object_get (client,
                "remote-address", &address,
                "remote-port", &port,
                "bind-port", &bind_port,
                "connect-timeout", &timeout,
                "tls", &tls,
                "shutdown-on-error", &shutdown_on_error,
                "family", &family,
                "state", &state,
                "filter", &filter,
                "stream", &stream,
                NULL);
  g_assert_cmpstr (address, ==, "example.org");
  g_assert_cmpuint (port, ==, 80);
  g_assert_cmpuint (bind_port, ==, 0);
  g_assert_cmpfloat (timeout, ==, 0);
  g_assert_false (tls);
  g_assert_true (shutdown_on_error);
  g_assert_cmpint (family, ==, G_SOCKET_FAMILY_INVALID);
  g_assert_cmpint (state, ==, TCPC_CLIENT_STATE_IDLE);
  g_assert_true (TCPC_IS_LINE_FILTER (filter));
  g_assert_null (stream);
  g_assert_null (tcpc_client_get_remote_service (client));
  g_assert_null (tcpc_client_get_connectable (client));
  g_assert_null (tcpc_client_get_bind_address (client));
  g_assert_null (tcpc_client_get_name (client));
  g_clear_object (&filter);

  tcpc_client_set_tls (client, TRUE);
  g_assert_true (tcpc_client_get_tls (client));
  tcpc_client_set_connect_timeout (client, 1.25);
  g_assert_cmpfloat (tcpc_client_get_connect_timeout (client), ==, 1.25);
  tcpc_client_set_remote_port (client, 8080);
  g_assert_cmpuint (tcpc_client_get_remote_port (client), ==, 8080);
  tcpc_client_set_remote_address (client, "::1");
  g_assert_cmpstr (tcpc_client_get_remote_address (client), ==, "::1");

  g_assert_finalize_object (client);
}

/* ------------------------------------------------------------------------ */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* Connecting */
  g_test_add_func ("/Tcpc/Client/started", test_started);
  g_test_add_func ("/Tcpc/Client/connected", test_connected);
  g_test_add_func ("/Tcpc/Client/connected-state", test_connected_state);
  g_test_add_func ("/Tcpc/Client/started-commands", test_started_commands);
  g_test_add_func ("/Tcpc/Client/state-handler-commands", test_state_handler_commands);
  g_test_add_func ("/Tcpc/Client/unref-in-connect-progress", test_unref_in_connect_progress);
  g_test_add_func ("/Tcpc/Client/host-name", test_host_name);
  g_test_add_func ("/Tcpc/Client/ipv6", test_ipv6);
  g_test_add_func ("/Tcpc/Client/bind-address", test_bind_address);
  g_test_add_func ("/Tcpc/Client/bind-port-in-use", test_bind_port_in_use);
  g_test_add_func ("/Tcpc/Client/connect-refused", test_connect_refused);
  g_test_add_func ("/Tcpc/Client/unresolvable-host", test_unresolvable_host);
  g_test_add_func ("/Tcpc/Client/unknown-service", test_unknown_service);
  g_test_add_func ("/Tcpc/Client/known-service", test_known_service);
  g_test_add_func ("/Tcpc/Client/connect-error-reconnect", test_connect_error_reconnect);
  g_test_add_func ("/Tcpc/Client/connect-error-sync-reconnect", test_connect_error_sync_reconnect);
  g_test_add_func ("/Tcpc/Client/connect-error-closed", test_connect_error_closed);
  g_test_add_func ("/Tcpc/Client/connect-timeout", test_connect_timeout);
  g_test_add_func ("/Tcpc/Client/connect-timeout-fraction", test_connect_timeout_fraction);
  g_test_add_func ("/Tcpc/Client/connect-timeout-success", test_connect_timeout_success);
  g_test_add_func ("/Tcpc/Client/connect-timeout-failure", test_connect_timeout_failure);
  g_test_add_func ("/Tcpc/Client/connect-timeout-rearmed", test_connect_timeout_rearmed);
  g_test_add_func ("/Tcpc/Client/connect-timeout-zero", test_connect_timeout_zero);
  g_test_add_func ("/Tcpc/Client/shutdown-while-connecting", test_shutdown_while_connecting);

  /* Input */
  g_test_add_func ("/Tcpc/Client/input-default-filter", test_input_default_filter);
  g_test_add_func ("/Tcpc/Client/input-order", test_input_order);
  g_test_add_func ("/Tcpc/Client/input-split", test_input_split);
  g_test_add_func ("/Tcpc/Client/input-crlf-split", test_input_crlf_split);
  g_test_add_func ("/Tcpc/Client/eof-mid-record", test_eof_mid_record);
  g_test_add_func ("/Tcpc/Client/filter-switch", test_filter_switch);
  g_test_add_func ("/Tcpc/Client/filter-switch-idle", test_filter_switch_idle);

  /* Output and flushing */
  g_test_add_func ("/Tcpc/Client/put-default-filter", test_put_default_filter);
  g_test_add_func ("/Tcpc/Client/put-variants", test_put_variants);
  g_test_add_func ("/Tcpc/Client/flush-async", test_flush_async);
  g_test_add_func ("/Tcpc/Client/flush-async-unref", test_flush_async_unref);
  g_test_add_func ("/Tcpc/Client/flush-async-cancel", test_flush_async_cancel);
  g_test_add_func ("/Tcpc/Client/flushed-per-drain", test_flushed_per_drain);
  g_test_add_func ("/Tcpc/Client/put-not-connected", test_put_not_connected);
  g_test_add_func ("/Tcpc/Client/put-filter-error", test_put_filter_error);

  /* Shutdown */
  g_test_add_func ("/Tcpc/Client/shutdown-flushes", test_shutdown_flushes);
  g_test_add_func ("/Tcpc/Client/shutdown-idle", test_shutdown_idle);
  g_test_add_func ("/Tcpc/Client/no-input-after-shutdown", test_no_input_after_shutdown);
  g_test_add_func ("/Tcpc/Client/input-during-flush-dropped", test_input_during_flush_dropped);
  g_test_add_func ("/Tcpc/Client/put-while-shutting-down", test_put_while_shutting_down);
  g_test_add_func ("/Tcpc/Client/shutdown-twice", test_shutdown_twice);
  g_test_add_func ("/Tcpc/Client/shutdown-after-error", test_shutdown_after_error);
  g_test_add_func ("/Tcpc/Client/peer-reset-during-flush", test_peer_reset_during_flush);
  g_test_add_func ("/Tcpc/Client/restart-after-closed", test_restart_after_closed);

  /* Reconnect and connect_to */
  g_test_add_func ("/Tcpc/Client/reconnect-discards-output", test_reconnect_discards_output);
  g_test_add_func ("/Tcpc/Client/connect-to-while-connected", test_connect_to_while_connected);
  g_test_add_func ("/Tcpc/Client/connect-to-persists", test_connect_to_persists);
  g_test_add_func ("/Tcpc/Client/reconnect-after", test_reconnect_after);
  g_test_add_func ("/Tcpc/Client/reconnect-after-cancelled", test_reconnect_after_cancelled);
  g_test_add_func ("/Tcpc/Client/reconnect-after-replaced", test_reconnect_after_replaced);
  g_test_add_func ("/Tcpc/Client/reconnect-after-connect-to", test_reconnect_after_connect_to);
  g_test_add_func ("/Tcpc/Client/disconnected-sync-reconnect", test_disconnected_sync_reconnect);

  /* End of connection and errors */
  g_test_add_func ("/Tcpc/Client/eof-no-reconnect", test_eof_no_reconnect);
  g_test_add_func ("/Tcpc/Client/eof-not-server-error", test_eof_not_server_error);
  g_test_add_func ("/Tcpc/Client/eof-default-handler", test_eof_default_handler);
  g_test_add_func ("/Tcpc/Client/server-error-default-handler", test_server_error_default_handler);
  g_test_add_func ("/Tcpc/Client/server-error-handler-silences-log", test_server_error_handler_silences_log);
  g_test_add_func ("/Tcpc/Client/peer-reset", test_peer_reset);
  g_test_add_func ("/Tcpc/Client/no-shutdown-on-error", test_no_shutdown_on_error);
  g_test_add_func ("/Tcpc/Client/no-shutdown-on-error-eof", test_no_shutdown_on_error_eof);
  g_test_add_func ("/Tcpc/Client/no-shutdown-on-error-reset", test_no_shutdown_on_error_reset);
  g_test_add_func ("/Tcpc/Client/no-shutdown-on-error-buffered",
                   test_no_shutdown_on_error_buffered);
  g_test_add_func ("/Tcpc/Client/no-shutdown-on-error-stuck-filter",
                   test_no_shutdown_on_error_stuck_filter);
  g_test_add_func ("/Tcpc/Client/no-shutdown-on-error-stuck-filter-eof",
                   test_no_shutdown_on_error_stuck_filter_eof);
  g_test_add_func ("/Tcpc/Client/nested-loop-eof", test_nested_loop_eof);
  g_test_add_func ("/Tcpc/Client/no-shutdown-on-error-long-bad-run",
                   test_no_shutdown_on_error_long_bad_run);
  g_test_add_func ("/Tcpc/Client/connect-error-default-handler", test_connect_error_default_handler);
  g_test_add_func ("/Tcpc/Client/log-name", test_log_name);
  g_test_add_func ("/Tcpc/Client/connect-error-handler-silences-log", test_connect_error_handler_silences_log);

  /* pre-connect */
  g_test_add_func ("/Tcpc/Client/pre-connect", test_pre_connect);
  g_test_add_func ("/Tcpc/Client/pre-connect-wrap", test_pre_connect_wrap);
  g_test_add_func ("/Tcpc/Client/pre-connect-order", test_pre_connect_order);
  g_test_add_func ("/Tcpc/Client/pre-connect-refuse", test_pre_connect_refuse);

  /* Filters used by the client */
  g_test_add_func ("/Tcpc/Client/filter-cloned", test_filter_cloned);
  g_test_add_func ("/Tcpc/Client/filter-fresh-state", test_filter_fresh_state);
  g_test_add_func ("/Tcpc/Client/filter-no-carry-over", test_filter_no_carry_over);
  g_test_add_func ("/Tcpc/Client/oversized-record", test_oversized_record);
  g_test_add_func ("/Tcpc/Client/oversized-unterminated", test_oversized_unterminated);
  g_test_add_func ("/Tcpc/Client/invalid-filter", test_invalid_filter);
  g_test_add_func ("/Tcpc/Client/filter-while-connecting", test_filter_while_connecting);

  /* Further contract points */
  g_test_add_func ("/Tcpc/Client/properties", test_properties);
  g_test_add_func ("/Tcpc/Client/start-twice", test_start_twice);
  g_test_add_func ("/Tcpc/Client/connect-to-idle", test_connect_to_idle);
  g_test_add_func ("/Tcpc/Client/reconnect-closed", test_reconnect_closed);
  g_test_add_func ("/Tcpc/Client/connect-to-properties", test_connect_to_properties);
  g_test_add_func ("/Tcpc/Client/no-address", test_no_address);
  g_test_add_func ("/Tcpc/Client/connectable-inet", test_connectable_inet);
  g_test_add_func ("/Tcpc/Client/connectable-unix", test_connectable_unix);
  g_test_add_func ("/Tcpc/Client/unref-while-connecting", test_unref_while_connecting);
  g_test_add_func ("/Tcpc/Client/unref-while-connecting-timeout", test_unref_while_connecting_timeout);
  g_test_add_func ("/Tcpc/Client/unref-while-connected", test_unref_while_connected);
  g_test_add_func ("/Tcpc/Client/unref-in-server-input", test_unref_in_server_input);
  g_test_add_func ("/Tcpc/Client/other-context", test_other_context);
  g_test_add_func ("/Tcpc/Client/subclass", test_subclass);

  return g_test_run ();
}
