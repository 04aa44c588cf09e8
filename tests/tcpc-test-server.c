/* tcpc-test-server.c: loopback servers, loop helpers and a signal recorder
 *                     shared by the C tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "tcpc-test-server.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#define RECEIVED_KEEP (1024 * 1024)

/* ------------------------------------------------------------------------ */
/* Main-loop helpers                                                         */
/* ------------------------------------------------------------------------ */

struct _TcpcTestDeadline
{
  GMainContext *context;
  GSource      *timeout;
  gboolean      expired;
};

static gboolean
deadline_expired_cb (gpointer user_data)
{
  TcpcTestDeadline *deadline = user_data;

  deadline->expired = TRUE;
  return G_SOURCE_REMOVE;
}

TcpcTestDeadline *
tcpc_test_deadline_new (guint timeout_ms)
{
  TcpcTestDeadline *deadline = g_new0 (TcpcTestDeadline, 1);

  deadline->context = g_main_context_ref_thread_default ();
  deadline->timeout = g_timeout_source_new (timeout_ms);
  g_source_set_callback (deadline->timeout, deadline_expired_cb, deadline, NULL);
  g_source_set_static_name (deadline->timeout, "tcpc-test-deadline");
  g_source_attach (deadline->timeout, deadline->context);

  return deadline;
}

gboolean
tcpc_test_deadline_expired (TcpcTestDeadline *deadline)
{
  return deadline->expired;
}

void
tcpc_test_deadline_iterate (TcpcTestDeadline *deadline)
{
  if (!deadline->expired)
    g_main_context_iteration (deadline->context, TRUE);
}

void
tcpc_test_deadline_free (TcpcTestDeadline *deadline)
{
  g_source_destroy (deadline->timeout);
  g_source_unref (deadline->timeout);
  g_main_context_unref (deadline->context);
  g_free (deadline);
}

void
tcpc_test_wait_until_impl (TcpcTestCondFunc  cond,
                           gpointer          user_data,
                           guint             timeout_ms,
                           const char       *what,
                           const char       *file,
                           int               line,
                           const char       *func)
{
  TcpcTestDeadline *deadline = tcpc_test_deadline_new (timeout_ms);

  while (!cond (user_data))
    {
      if (deadline->expired)
        {
          g_autofree char *msg = NULL;

          tcpc_test_deadline_free (deadline);
          msg = g_strdup_printf ("timed out (%u ms) waiting for %s",
                                 timeout_ms, what);
          g_assertion_message (G_LOG_DOMAIN, file, line, func, msg);
          return;
        }
      tcpc_test_deadline_iterate (deadline);
    }

  tcpc_test_deadline_free (deadline);
}

void
tcpc_test_spin (guint ms)
{
  TcpcTestDeadline *deadline = tcpc_test_deadline_new (ms);

  while (!deadline->expired)
    tcpc_test_deadline_iterate (deadline);

  tcpc_test_deadline_free (deadline);
}

double
tcpc_test_elapsed (gint64 start_us)
{
  return (g_get_monotonic_time () - start_us) / (double) G_USEC_PER_SEC;
}

/* ------------------------------------------------------------------------ */
/* Scripted loopback server                                                  */
/* ------------------------------------------------------------------------ */

typedef struct
{
  TcpcTestStepKind kind;
  GBytes          *data;   /* WRITE */
  guint64          n;      /* WAIT: ms; READ_BYTES: total */
} TcpcTestStep;

struct _TcpcTestScript
{
  GArray *steps;           /* TcpcTestStep */
};

static TcpcTestScript default_script = { NULL };

static void conn_run (TcpcTestConn *conn);

static void
step_clear (gpointer data)
{
  TcpcTestStep *step = data;

  g_clear_pointer (&step->data, g_bytes_unref);
}

static TcpcTestScript *
script_new (void)
{
  TcpcTestScript *script = g_new0 (TcpcTestScript, 1);

  script->steps = g_array_new (FALSE, TRUE, sizeof (TcpcTestStep));
  g_array_set_clear_func (script->steps, step_clear);
  return script;
}

static void
script_free (gpointer data)
{
  TcpcTestScript *script = data;

  g_array_unref (script->steps);
  g_free (script);
}

static void
script_add (TcpcTestScript   *script,
            TcpcTestStepKind  kind,
            GBytes           *data,
            guint64           n)
{
  TcpcTestStep step = { kind, data, n };

  g_array_append_val (script->steps, step);
}

void
tcpc_test_script_write (TcpcTestScript *script,
                        const void     *data,
                        gsize           len)
{
  script_add (script, TCPC_TEST_STEP_WRITE, g_bytes_new (data, len), 0);
}

void
tcpc_test_script_write_string (TcpcTestScript *script,
                               const char     *str)
{
  tcpc_test_script_write (script, str, strlen (str));
}

void
tcpc_test_script_write_repeat (TcpcTestScript *script,
                               char            byte,
                               gsize           count)
{
  guint8 *buf = g_malloc (count);

  memset (buf, byte, count);
  script_add (script, TCPC_TEST_STEP_WRITE, g_bytes_new_take (buf, count), 0);
}

void
tcpc_test_script_wait (TcpcTestScript *script,
                       guint           ms)
{
  script_add (script, TCPC_TEST_STEP_WAIT, NULL, ms);
}

void
tcpc_test_script_close (TcpcTestScript *script)
{
  script_add (script, TCPC_TEST_STEP_CLOSE, NULL, 0);
}

void
tcpc_test_script_shutdown_write (TcpcTestScript *script)
{
  script_add (script, TCPC_TEST_STEP_SHUTDOWN_WRITE, NULL, 0);
}

void
tcpc_test_script_reset (TcpcTestScript *script)
{
  script_add (script, TCPC_TEST_STEP_RESET, NULL, 0);
}

void
tcpc_test_script_read_to_eof (TcpcTestScript *script)
{
  script_add (script, TCPC_TEST_STEP_READ_TO_EOF, NULL, 0);
}

void
tcpc_test_script_read_bytes (TcpcTestScript *script,
                             guint64         n)
{
  script_add (script, TCPC_TEST_STEP_READ_BYTES, NULL, n);
}

void
tcpc_test_script_echo (TcpcTestScript *script)
{
  script_add (script, TCPC_TEST_STEP_ECHO, NULL, 0);
}

static void
conn_clear_source (TcpcTestConn *conn)
{
  if (conn->source != NULL)
    {
      g_source_destroy (conn->source);
      g_clear_pointer (&conn->source, g_source_unref);
    }
}

static void
conn_close (TcpcTestConn *conn)
{
  conn_clear_source (conn);
  if (conn->socket != NULL)
    {
      g_socket_close (conn->socket, NULL);
      g_clear_object (&conn->socket);
    }
  conn->closed = TRUE;
}

static void
conn_fail (TcpcTestConn *conn,
           GError       *error)
{
  g_debug ("test server conn %u: %s", conn->index, error->message);
  conn->reset = TRUE;
  if (conn->error == NULL)
    conn->error = error;
  else
    g_error_free (error);
  conn_close (conn);
}

static void
conn_free (gpointer data)
{
  TcpcTestConn *conn = data;

  conn_close (conn);
  g_clear_object (&conn->peer);
  g_byte_array_unref (conn->received);
  g_clear_error (&conn->error);
  g_free (conn->received_str);
  g_free (conn);
}

static gboolean
conn_socket_ready_cb (GSocket      *socket,
                      GIOCondition  condition,
                      gpointer      user_data)
{
  TcpcTestConn *conn = user_data;

  g_clear_pointer (&conn->source, g_source_unref);
  conn_run (conn);
  return G_SOURCE_REMOVE;
}

static void
conn_wait_socket (TcpcTestConn *conn,
                  GIOCondition  condition)
{
  g_assert (conn->source == NULL);
  conn->source = g_socket_create_source (conn->socket,
                                         condition | G_IO_HUP | G_IO_ERR,
                                         NULL);
  g_source_set_callback (conn->source, G_SOURCE_FUNC (conn_socket_ready_cb),
                         conn, NULL);
  g_source_set_static_name (conn->source, "tcpc-test-conn-io");
  g_source_attach (conn->source, conn->server->context);
}

static gboolean
conn_wait_done_cb (gpointer user_data)
{
  TcpcTestConn *conn = user_data;

  g_clear_pointer (&conn->source, g_source_unref);
  conn->step++;
  conn_run (conn);
  return G_SOURCE_REMOVE;
}

/* Reads what is available. Returns FALSE if it must wait for more input
 * (a source was set up), TRUE on EOF (conn->eof), and TRUE with the
 * socket closed on error. @limit: stop once n_received reaches it (0: no
 * limit). @echo: write back what was read. */
static gboolean
conn_read_some (TcpcTestConn *conn,
                guint64       limit,
                gboolean      echo)
{
  guint8 buf[65536];

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n;

      if (limit != 0 && conn->n_received >= limit)
        return TRUE;

      n = g_socket_receive (conn->socket, (char *) buf, sizeof buf, NULL,
                            &error);
      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              conn_wait_socket (conn, G_IO_IN);
              return FALSE;
            }
          conn_fail (conn, g_steal_pointer (&error));
          return TRUE;
        }
      if (n == 0)
        {
          conn->eof = TRUE;
          return TRUE;
        }

      conn->n_received += n;
      if (conn->received->len < RECEIVED_KEEP)
        g_byte_array_append (conn->received, buf,
                             MIN ((gsize) n, RECEIVED_KEEP - conn->received->len));

      if (echo)
        {
          gssize off = 0;

          /* loopback echo of small test data: wait for room if needed */
          while (off < n)
            {
              gssize w;

              g_clear_error (&error);
              w = g_socket_send (conn->socket, (char *) buf + off, n - off,
                                 NULL, &error);
              if (w < 0)
                {
                  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                    {
                      g_clear_error (&error);
                      if (!g_socket_condition_timed_wait (conn->socket, G_IO_OUT,
                                                          5 * G_USEC_PER_SEC,
                                                          NULL, &error))
                        {
                          conn_fail (conn, g_steal_pointer (&error));
                          return TRUE;
                        }
                      continue;
                    }
                  conn_fail (conn, g_steal_pointer (&error));
                  return TRUE;
                }
              off += w;
              conn->n_sent += w;
            }
        }
    }
}

static void
conn_run (TcpcTestConn *conn)
{
  while (conn->socket != NULL)
    {
      TcpcTestStep *step;

      if (conn->step >= conn->script->steps->len)
        {
          conn->done = TRUE;
          return;
        }

      step = &g_array_index (conn->script->steps, TcpcTestStep, conn->step);

      switch (step->kind)
        {
        case TCPC_TEST_STEP_WRITE:
          {
            gsize len;
            const char *data = g_bytes_get_data (step->data, &len);

            while (conn->write_offset < len)
              {
                g_autoptr(GError) error = NULL;
                gssize n;

                n = g_socket_send (conn->socket, data + conn->write_offset,
                                   len - conn->write_offset, NULL, &error);
                if (n < 0)
                  {
                    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                      conn_wait_socket (conn, G_IO_OUT);
                    else
                      conn_fail (conn, g_steal_pointer (&error));
                    return;
                  }
                conn->write_offset += n;
                conn->n_sent += n;
              }
            conn->write_offset = 0;
            conn->step++;
          }
          break;

        case TCPC_TEST_STEP_WAIT:
          g_assert (conn->source == NULL);
          conn->source = g_timeout_source_new (step->n);
          g_source_set_callback (conn->source, conn_wait_done_cb, conn, NULL);
          g_source_set_static_name (conn->source, "tcpc-test-conn-wait");
          g_source_attach (conn->source, conn->server->context);
          return;

        case TCPC_TEST_STEP_CLOSE:
          {
            guint8 buf[65536];
            gssize n;

            /* Drain what already arrived, so that the close is a FIN and
             * not a RST because of unread data. */
            while ((n = g_socket_receive (conn->socket, (char *) buf, sizeof buf,
                                          NULL, NULL)) > 0)
              conn->n_received += n;
            if (n == 0)
              conn->eof = TRUE;
            conn->step++;
            conn_close (conn);
            conn->done = conn->step >= conn->script->steps->len;
          }
          return;

        case TCPC_TEST_STEP_SHUTDOWN_WRITE:
          g_socket_shutdown (conn->socket, FALSE, TRUE, NULL);
          conn->step++;
          break;

        case TCPC_TEST_STEP_RESET:
          {
            struct linger lin = { 1, 0 };

            setsockopt (g_socket_get_fd (conn->socket), SOL_SOCKET, SO_LINGER,
                        &lin, sizeof lin);
            conn->step++;
            conn_close (conn);
            conn->done = conn->step >= conn->script->steps->len;
          }
          return;

        case TCPC_TEST_STEP_READ_TO_EOF:
        case TCPC_TEST_STEP_ECHO:
          if (!conn->eof &&
              !conn_read_some (conn, 0, step->kind == TCPC_TEST_STEP_ECHO))
            return;
          conn->step++;
          break;

        case TCPC_TEST_STEP_READ_BYTES:
          if (!conn->eof && !conn_read_some (conn, step->n, FALSE))
            return;
          conn->step++;
          break;

        default:
          g_assert_not_reached ();
        }
    }
}

static gboolean
server_accept_cb (GSocket      *socket,
                  GIOCondition  condition,
                  gpointer      user_data)
{
  TcpcTestServer *server = user_data;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      GSocket *accepted;
      TcpcTestConn *conn;
      guint n_scripts = server->scripts->len;

      accepted = g_socket_accept (server->listener, NULL, &error);
      if (accepted == NULL)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            g_debug ("test server accept: %s", error->message);
          break;
        }

      g_socket_set_blocking (accepted, FALSE);
      conn = g_new0 (TcpcTestConn, 1);
      conn->server = server;
      conn->index = server->conns->len;
      conn->socket = accepted;
      conn->peer = g_socket_get_remote_address (accepted, NULL);
      conn->received = g_byte_array_new ();
      if (n_scripts == 0)
        conn->script = &default_script;
      else
        conn->script = g_ptr_array_index (server->scripts,
                                          MIN (conn->index, n_scripts - 1));
      g_ptr_array_add (server->conns, conn);
      conn_run (conn);
    }

  return G_SOURCE_CONTINUE;
}

TcpcTestServer *
tcpc_test_server_new_for_address (GSocketAddress *address,
                                  GError        **error)
{
  TcpcTestServer *server;
  g_autoptr(GSocket) listener = NULL;

  if (default_script.steps == NULL)
    {
      default_script.steps = g_array_new (FALSE, TRUE, sizeof (TcpcTestStep));
      script_add (&default_script, TCPC_TEST_STEP_READ_TO_EOF, NULL, 0);
    }

  listener = g_socket_new (g_socket_address_get_family (address),
                           G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                           error);
  if (listener == NULL)
    return NULL;

  g_socket_set_blocking (listener, FALSE);
  g_socket_set_listen_backlog (listener, 64);
  if (!g_socket_bind (listener, address, TRUE, error) ||
      !g_socket_listen (listener, error))
    return NULL;

  server = g_new0 (TcpcTestServer, 1);
  server->context = g_main_context_ref_thread_default ();
  server->listener = g_steal_pointer (&listener);
  server->address = g_socket_get_local_address (server->listener, NULL);
  if (G_IS_INET_SOCKET_ADDRESS (server->address))
    server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (server->address));
  server->scripts = g_ptr_array_new_with_free_func (script_free);
  server->conns = g_ptr_array_new_with_free_func (conn_free);

  server->accept_source = g_socket_create_source (server->listener, G_IO_IN, NULL);
  g_source_set_callback (server->accept_source, G_SOURCE_FUNC (server_accept_cb),
                         server, NULL);
  g_source_set_static_name (server->accept_source, "tcpc-test-accept");
  g_source_attach (server->accept_source, server->context);

  return server;
}

TcpcTestServer *
tcpc_test_server_new (void)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GError) error = NULL;
  TcpcTestServer *server;

  server = tcpc_test_server_new_for_address (address, &error);
  g_assert_no_error (error);
  g_assert_nonnull (server);
  return server;
}

TcpcTestServer *
tcpc_test_server_new_ipv6 (GError **error)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);

  return tcpc_test_server_new_for_address (address, error);
}

void
tcpc_test_server_free (TcpcTestServer *server)
{
  if (server == NULL)
    return;

  g_source_destroy (server->accept_source);
  g_source_unref (server->accept_source);
  g_ptr_array_unref (server->conns);
  g_ptr_array_unref (server->scripts);
  g_socket_close (server->listener, NULL);
  g_object_unref (server->listener);
  g_object_unref (server->address);
  g_main_context_unref (server->context);
  g_free (server->unix_path);
  g_free (server);
}

TcpcTestScript *
tcpc_test_server_add_script (TcpcTestServer *server)
{
  TcpcTestScript *script = script_new ();

  g_ptr_array_add (server->scripts, script);
  return script;
}

guint
tcpc_test_server_n_conns (TcpcTestServer *server)
{
  return server->conns->len;
}

TcpcTestConn *
tcpc_test_server_get_conn (TcpcTestServer *server,
                           guint           index)
{
  g_assert_cmpuint (index, <, server->conns->len);
  return g_ptr_array_index (server->conns, index);
}

gboolean
tcpc_test_conn_finished (TcpcTestConn *conn)
{
  return conn->eof || conn->reset;
}

const char *
tcpc_test_conn_received_str (TcpcTestConn *conn)
{
  g_free (conn->received_str);
  conn->received_str = g_strndup ((const char *) conn->received->data,
                                  conn->received->len);
  return conn->received_str;
}

TcpcTestConn *
tcpc_test_server_adopt_socket (TcpcTestServer *server,
                               GSocket        *socket)
{
  TcpcTestConn *conn;
  guint n_scripts = server->scripts->len;

  g_socket_set_blocking (socket, FALSE);
  conn = g_new0 (TcpcTestConn, 1);
  conn->server = server;
  conn->index = server->conns->len;
  conn->socket = g_object_ref (socket);
  conn->peer = g_socket_get_remote_address (socket, NULL);
  conn->received = g_byte_array_new ();
  if (n_scripts == 0)
    conn->script = &default_script;
  else
    conn->script = g_ptr_array_index (server->scripts,
                                      MIN (conn->index, n_scripts - 1));
  g_ptr_array_add (server->conns, conn);
  conn_run (conn);
  return conn;
}

void
tcpc_test_socket_pair (GSocket **a,
                       GSocket **b)
{
  g_autoptr(GError) error = NULL;
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  *a = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);
  *b = g_socket_new_from_fd (fds[1], &error);
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------------ */
/* Ports that refuse or stall                                                */
/* ------------------------------------------------------------------------ */

static GSocket *
bind_loopback (guint16 *port)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GError) error = NULL;
  GSocket *socket;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  local = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  return socket;
}

GSocket *
tcpc_test_reserve_refused_port (guint16 *port)
{
  return bind_loopback (port);
}

guint16
tcpc_test_get_free_port (void)
{
  guint16 port;
  GSocket *socket = bind_loopback (&port);

  g_socket_close (socket, NULL);
  g_object_unref (socket);
  return port;
}

TcpcTestStalled *
tcpc_test_stalled_new (void)
{
  TcpcTestStalled *stalled = g_new0 (TcpcTestStalled, 1);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;
  guint i;

  stalled->listener = bind_loopback (&stalled->port);
  g_socket_set_listen_backlog (stalled->listener, 1);
  g_socket_listen (stalled->listener, &error);
  g_assert_no_error (error);
  address = g_socket_get_local_address (stalled->listener, &error);
  g_assert_no_error (error);

  stalled->fillers = g_ptr_array_new_with_free_func (g_object_unref);
  for (i = 0; i < 4; i++)
    {
      GSocket *filler;

      filler = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                             G_SOCKET_PROTOCOL_DEFAULT, &error);
      g_assert_no_error (error);
      g_socket_set_blocking (filler, FALSE);
      if (!g_socket_connect (filler, address, NULL, &error))
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);
          g_clear_error (&error);
        }
      /* The first two fill the accept queue (backlog 1 holds two): wait
       * until they are established so that later SYNs are dropped. */
      if (i < 2 &&
          g_socket_condition_timed_wait (filler, G_IO_OUT, G_USEC_PER_SEC,
                                         NULL, NULL))
        g_socket_check_connect_result (filler, NULL);
      g_ptr_array_add (stalled->fillers, filler);
    }

  return stalled;
}

void
tcpc_test_stalled_free (TcpcTestStalled *stalled)
{
  if (stalled == NULL)
    return;

  g_ptr_array_unref (stalled->fillers);
  g_socket_close (stalled->listener, NULL);
  g_object_unref (stalled->listener);
  g_free (stalled);
}

/* ------------------------------------------------------------------------ */
/* Signal recorder                                                           */
/* ------------------------------------------------------------------------ */

const char *
tcpc_test_state_name (TcpcClientState state)
{
  switch (state)
    {
    case TCPC_CLIENT_STATE_IDLE:
      return "IDLE";
    case TCPC_CLIENT_STATE_CONNECTING:
      return "CONNECTING";
    case TCPC_CLIENT_STATE_CONNECTED:
      return "CONNECTED";
    case TCPC_CLIENT_STATE_SHUTTING_DOWN:
      return "SHUTTING_DOWN";
    case TCPC_CLIENT_STATE_CLOSED:
      return "CLOSED";
    default:
      return "INVALID";
    }
}

char *
tcpc_test_format_error (const char   *prefix,
                        const char   *operation,
                        const GError *error)
{
  const char *domain;
  GType enum_type = G_TYPE_INVALID;
  g_autofree char *code = NULL;

  if (error == NULL)
    return g_strdup_printf ("%s:%s:(null)", prefix, operation);

  if (error->domain == G_IO_ERROR)
    {
      domain = "io";
      enum_type = G_TYPE_IO_ERROR_ENUM;
    }
  else if (error->domain == G_RESOLVER_ERROR)
    {
      domain = "resolver";
      enum_type = G_TYPE_RESOLVER_ERROR;
    }
  else if (error->domain == TCPC_CLIENT_ERROR)
    {
      domain = "client";
      enum_type = TCPC_TYPE_CLIENT_ERROR;
    }
  else if (error->domain == TCPC_FILTER_ERROR)
    {
      domain = "filter";
      enum_type = TCPC_TYPE_FILTER_ERROR;
    }
  else
    domain = g_quark_to_string (error->domain);

  if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_CONNECTION_CLOSED)
    code = g_strdup ("connection-closed");   /* == BROKEN_PIPE */
  else if (enum_type != G_TYPE_INVALID)
    {
      GEnumClass *klass = g_type_class_ref (enum_type);
      GEnumValue *value = g_enum_get_value (klass, error->code);

      code = value != NULL ? g_strdup (value->value_nick)
                           : g_strdup_printf ("%d", error->code);
      g_type_class_unref (klass);
    }
  else
    code = g_strdup_printf ("%d", error->code);

  return g_strdup_printf ("%s:%s:%s:%s", prefix, operation, domain, code);
}

static void
rec_add (TcpcTestRecorder *rec,
         char             *event,   /* transfer full */
         gboolean          is_state)
{
  gint64 now = g_get_monotonic_time ();

  g_test_message ("event: %s", event);
  g_ptr_array_add (is_state ? rec->states : rec->events, g_strdup (event));
  g_ptr_array_add (rec->all, event);
  g_array_append_val (rec->times, now);
}

static void
rec_violation (TcpcTestRecorder *rec,
               const char       *format,
               ...) G_GNUC_PRINTF (2, 3);

static void
rec_violation (TcpcTestRecorder *rec,
               const char       *format,
               ...)
{
  va_list args;
  char *msg;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_test_message ("VIOLATION: %s", msg);
  g_ptr_array_add (rec->violations, msg);
}

static void
rec_started_cb (TcpcClient       *client,
                TcpcTestRecorder *rec)
{
  TcpcClientState state = tcpc_client_get_state (client);

  if (tcpc_client_is_connected (client))
    rec_violation (rec, "is_connected() TRUE inside started");
  if (tcpc_client_get_stream (client) != NULL)
    rec_violation (rec, "stream non-NULL inside started");
  if (state == TCPC_CLIENT_STATE_CONNECTING || state == TCPC_CLIENT_STATE_CONNECTED)
    rec_violation (rec, "state %s inside started (must be before CONNECTING)",
                   tcpc_test_state_name (state));
  rec_add (rec, g_strdup ("started"), FALSE);
}

static GIOStream *
rec_pre_connect_cb (TcpcClient       *client,
                    GIOStream        *stream,
                    TcpcTestRecorder *rec)
{
  rec_add (rec, g_strdup ("pre-connect"), FALSE);
  return g_object_ref (stream);
}

static void
rec_connected_cb (TcpcClient       *client,
                  GIOStream        *stream,
                  GSocketAddress   *remote,
                  TcpcTestRecorder *rec)
{
  if (!tcpc_client_is_connected (client))
    rec_violation (rec, "is_connected() FALSE inside connected");
  if (tcpc_client_get_state (client) != TCPC_CLIENT_STATE_CONNECTED)
    rec_violation (rec, "state %s inside connected",
                   tcpc_test_state_name (tcpc_client_get_state (client)));
  if (stream == NULL)
    rec_violation (rec, "connected with a NULL stream");
  if (tcpc_client_get_stream (client) != stream)
    rec_violation (rec, "stream property differs from the connected stream");

  g_set_object (&rec->last_stream, stream);
  g_set_object (&rec->last_remote, remote);
  rec_add (rec, g_strdup ("connected"), FALSE);
}

static void
rec_end_checks (TcpcTestRecorder *rec,
                TcpcClient       *client,
                const char       *signal)
{
  if (tcpc_client_is_connected (client))
    rec_violation (rec, "is_connected() TRUE inside %s", signal);
  if (tcpc_client_get_state (client) == TCPC_CLIENT_STATE_CLOSED)
    rec_violation (rec, "state already CLOSED inside %s", signal);
}

static void
rec_set_error (TcpcTestRecorder *rec,
               const char       *operation,
               const GError     *error)
{
  g_clear_error (&rec->last_error);
  g_free (rec->last_operation);
  rec->last_error = error != NULL ? g_error_copy (error) : NULL;
  rec->last_operation = g_strdup (operation);
}

static void
rec_connect_error_cb (TcpcClient       *client,
                      const char       *operation,
                      const GError     *error,
                      TcpcTestRecorder *rec)
{
  rec_end_checks (rec, client, "connect-error");
  if (error == NULL)
    rec_violation (rec, "connect-error with a NULL error");
  rec_set_error (rec, operation, error);
  rec_add (rec, tcpc_test_format_error ("connect-error", operation, error), FALSE);
}

static void
rec_server_error_cb (TcpcClient       *client,
                     const char       *operation,
                     const GError     *error,
                     TcpcTestRecorder *rec)
{
  if (error == NULL)
    rec_violation (rec, "server-error with a NULL error");
  rec_set_error (rec, operation, error);
  rec_add (rec, tcpc_test_format_error ("server-error", operation, error), FALSE);
}

static char *
format_record (GBytes *record)
{
  gsize len, i;
  const guint8 *data = g_bytes_get_data (record, &len);
  GString *str = g_string_new ("input:");

  for (i = 0; i < len; i++)
    {
      if (data[i] >= 0x20 && data[i] < 0x7f && data[i] != '\\')
        g_string_append_c (str, data[i]);
      else
        g_string_append_printf (str, "\\x%02x", data[i]);
    }
  return g_string_free (str, FALSE);
}

static void
rec_server_input_cb (TcpcClient       *client,
                     GBytes           *record,
                     TcpcTestRecorder *rec)
{
  if (tcpc_client_get_state (client) != TCPC_CLIENT_STATE_CONNECTED)
    rec_violation (rec, "server-input in state %s",
                   tcpc_test_state_name (tcpc_client_get_state (client)));
  rec_add (rec, format_record (record), FALSE);
}

static void
rec_flushed_cb (TcpcClient       *client,
                TcpcTestRecorder *rec)
{
  rec_add (rec, g_strdup ("flushed"), FALSE);
}

static void
rec_disconnected_cb (TcpcClient       *client,
                     TcpcTestRecorder *rec)
{
  rec_end_checks (rec, client, "disconnected");
  rec_add (rec, g_strdup ("disconnected"), FALSE);
}

static void
rec_notify_state_cb (TcpcClient       *client,
                     GParamSpec       *pspec,
                     TcpcTestRecorder *rec)
{
  TcpcClientState state = tcpc_client_get_state (client);

  if (state == TCPC_CLIENT_STATE_CLOSED && tcpc_client_get_stream (client) != NULL)
    rec_violation (rec, "stream non-NULL when state notified CLOSED");
  rec_add (rec, g_strdup_printf ("state:%s", tcpc_test_state_name (state)), TRUE);
}

TcpcTestRecorder *
tcpc_test_recorder_new (TcpcClient          *client,
                        TcpcTestRecordFlags  flags)
{
  TcpcTestRecorder *rec = g_new0 (TcpcTestRecorder, 1);

  rec->client = client;
  rec->flags = flags;
  g_object_add_weak_pointer (G_OBJECT (client), (gpointer *) &rec->client);
  rec->events = g_ptr_array_new_with_free_func (g_free);
  rec->states = g_ptr_array_new_with_free_func (g_free);
  rec->all = g_ptr_array_new_with_free_func (g_free);
  rec->times = g_array_new (FALSE, FALSE, sizeof (gint64));
  rec->violations = g_ptr_array_new_with_free_func (g_free);

#define REC_CONNECT(sig, cb) \
  rec->handlers[rec->n_handlers++] = g_signal_connect (client, sig, G_CALLBACK (cb), rec)

  REC_CONNECT ("started", rec_started_cb);
  if (flags & TCPC_TEST_RECORD_PRE_CONNECT)
    REC_CONNECT ("pre-connect", rec_pre_connect_cb);
  REC_CONNECT ("connected", rec_connected_cb);
  if (!(flags & TCPC_TEST_RECORD_NO_CONNECT_ERROR))
    REC_CONNECT ("connect-error", rec_connect_error_cb);
  REC_CONNECT ("server-input", rec_server_input_cb);
  if (!(flags & TCPC_TEST_RECORD_NO_SERVER_ERROR))
    REC_CONNECT ("server-error", rec_server_error_cb);
  REC_CONNECT ("flushed", rec_flushed_cb);
  REC_CONNECT ("disconnected", rec_disconnected_cb);
  REC_CONNECT ("notify::state", rec_notify_state_cb);

#undef REC_CONNECT

  return rec;
}

void
tcpc_test_recorder_free (TcpcTestRecorder *rec)
{
  guint i;

  if (rec == NULL)
    return;

  if (rec->client != NULL)
    {
      for (i = 0; i < rec->n_handlers; i++)
        g_signal_handler_disconnect (rec->client, rec->handlers[i]);
      g_object_remove_weak_pointer (G_OBJECT (rec->client),
                                    (gpointer *) &rec->client);
    }

  if (rec->violations->len > 0)
    {
      g_autofree char *msg = NULL;

      g_ptr_array_add (rec->violations, NULL);
      msg = g_strjoinv ("; ", (char **) rec->violations->pdata);
      g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, msg);
    }

  g_ptr_array_unref (rec->events);
  g_ptr_array_unref (rec->states);
  g_ptr_array_unref (rec->all);
  g_array_unref (rec->times);
  g_ptr_array_unref (rec->violations);
  g_clear_object (&rec->last_stream);
  g_clear_object (&rec->last_remote);
  g_clear_error (&rec->last_error);
  g_free (rec->last_operation);
  g_free (rec);
}

void
tcpc_test_recorder_add (TcpcTestRecorder *rec,
                        const char       *event)
{
  rec_add (rec, g_strdup (event), FALSE);
}

guint
tcpc_test_recorder_count (TcpcTestRecorder *rec,
                          const char       *event)
{
  guint i, n = 0;

  for (i = 0; i < rec->all->len; i++)
    if (g_str_equal (g_ptr_array_index (rec->all, i), event))
      n++;
  return n;
}

gboolean
tcpc_test_recorder_has (TcpcTestRecorder *rec,
                        const char       *event)
{
  return tcpc_test_recorder_index_of (rec, event) >= 0;
}

int
tcpc_test_recorder_index_of (TcpcTestRecorder *rec,
                             const char       *event)
{
  guint i;

  for (i = 0; i < rec->all->len; i++)
    if (g_str_equal (g_ptr_array_index (rec->all, i), event))
      return i;
  return -1;
}

gint64
tcpc_test_recorder_time_of (TcpcTestRecorder *rec,
                            const char       *event,
                            guint             nth)
{
  guint i;

  for (i = 0; i < rec->all->len; i++)
    if (g_str_equal (g_ptr_array_index (rec->all, i), event) && nth-- == 0)
      return g_array_index (rec->times, gint64, i);
  return 0;
}

static char *
join_array (GPtrArray *array)
{
  GString *str = g_string_new ("[");
  guint i;

  for (i = 0; i < array->len; i++)
    {
      if (i > 0)
        g_string_append (str, ", ");
      g_string_append (str, g_ptr_array_index (array, i));
    }
  g_string_append_c (str, ']');
  return g_string_free (str, FALSE);
}

char *
tcpc_test_recorder_dump (TcpcTestRecorder *rec)
{
  return join_array (rec->events);
}

void
tcpc_test_assert_strv_impl (GPtrArray  *array,
                            const char *what,
                            const char *file,
                            int         line,
                            const char *func,
                            ...)
{
  g_autoptr(GPtrArray) expected = g_ptr_array_new ();
  gboolean equal;
  const char *item;
  va_list args;
  guint i;

  va_start (args, func);
  while ((item = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (expected, (gpointer) item);
  va_end (args);

  equal = expected->len == array->len;
  for (i = 0; equal && i < array->len; i++)
    equal = g_str_equal (g_ptr_array_index (array, i),
                         g_ptr_array_index (expected, i));

  if (!equal)
    {
      g_autofree char *got = join_array (array);
      g_autofree char *want = join_array (expected);
      g_autofree char *msg = g_strdup_printf ("%s: got %s, expected %s",
                                              what, got, want);

      g_assertion_message (G_LOG_DOMAIN, file, line, func, msg);
    }
}

void
tcpc_test_put_string_ok (TcpcClient *client,
                         const char *record)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (tcpc_client_put_string (client, record, &error));
  g_assert_no_error (error);
}

void
tcpc_test_put_bulk (TcpcClient *client,
                    guint       n_records,
                    gsize       record_len)
{
  g_autofree guint8 *record = g_malloc (record_len);
  guint i;

  memset (record, 'a', record_len);
  for (i = 0; i < n_records; i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean ok;

      ok = tcpc_client_put_data (client, record, record_len, &error);
      g_assert_no_error (error);
      g_assert_true (ok);
    }
}

TcpcClient *
tcpc_test_client_for (TcpcTestServer *server)
{
  return tcpc_client_new ("127.0.0.1", server->port);
}

void
tcpc_test_finish_client (TcpcClient       *client,
                         TcpcTestRecorder *rec)
{
  tcpc_test_recorder_free (rec);
  g_assert_finalize_object (client);
}

guint
tcpc_test_count_prefix (GPtrArray  *array,
                        const char *prefix)
{
  guint i, n = 0;

  for (i = 0; i < array->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (array, i), prefix))
      n++;
  return n;
}

guint16
tcpc_test_address_port (GSocketAddress *address)
{
  g_assert_true (G_IS_INET_SOCKET_ADDRESS (address));
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

char *
tcpc_test_address_host (GSocketAddress *address)
{
  g_assert_true (G_IS_INET_SOCKET_ADDRESS (address));
  return g_inet_address_to_string (
      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
}
