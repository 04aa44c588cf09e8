/* tcpc-fault-util.c: a fault-injecting loopback proxy, a closing echo
 *                    server, a hostile-input feeder and process figures
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "tcpc-fault-util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define PUMP_BUF (64 * 1024)

/* ------------------------------------------------------------------------ */
/* Process figures                                                           */
/* ------------------------------------------------------------------------ */

guint
tcpc_fault_count_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);
  /* the directory's own descriptor */
  return n - 1;
}

guint64
tcpc_fault_rss (void)
{
  g_autofree char *contents = NULL;
  unsigned long size = 0, resident = 0;

  g_assert_true (g_file_get_contents ("/proc/self/statm", &contents, NULL, NULL));
  g_assert_cmpint (sscanf (contents, "%lu %lu", &size, &resident), ==, 2);
  return (guint64) resident * sysconf (_SC_PAGESIZE);
}

guint
tcpc_fault_count_sources (GMainContext *context)
{
  GSource *probe = g_idle_source_new ();
  guint newest, id, n = 0;

  newest = g_source_attach (probe, context);
  g_source_destroy (probe);
  g_source_unref (probe);

  for (id = 1; id < newest; id++)
    if (g_main_context_find_source_by_id (context, id) != NULL)
      n++;
  return n;
}

gboolean
tcpc_fault_settle (GMainContext *context,
                   guint         max_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) max_ms * 1000;

  while (g_main_context_iteration (context, FALSE) &&
         g_get_monotonic_time () < end)
    ;
  return g_main_context_pending (context);
}

guint
tcpc_fault_raise_nofile (guint want)
{
  struct rlimit lim;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &lim), ==, 0);
  if (lim.rlim_cur < want)
    {
      lim.rlim_cur = MIN ((rlim_t) want, lim.rlim_max);
      g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &lim), ==, 0);
    }
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &lim), ==, 0);
  return (guint) MIN (lim.rlim_cur, (rlim_t) G_MAXUINT);
}

gboolean
tcpc_fault_quick (void)
{
  const char *quick = g_getenv ("TCPC_TEST_QUICK");

  return quick != NULL && quick[0] != '\0' && !g_str_equal (quick, "0");
}

guint64
tcpc_fault_scale (guint64 full,
                  guint64 quick)
{
  const char *scale = g_getenv ("TCPC_TEST_SCALE");

  if (scale != NULL && scale[0] != '\0')
    return g_ascii_strtoull (scale, NULL, 10);
  return tcpc_fault_quick () ? quick : full;
}

/* ------------------------------------------------------------------------ */
/* Sockets                                                                   */
/* ------------------------------------------------------------------------ */

static GSocketAddress *
loopback_any_port (void)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

  return g_inet_socket_address_new (loopback, 0);
}

static guint16
address_port (GSocketAddress *address)
{
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

static GSocket *
listen_loopback (guint            backlog,
                 GSocketAddress **address)
{
  g_autoptr(GSocketAddress) any = loopback_any_port ();
  g_autoptr(GError) error = NULL;
  GSocket *listener;

  listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                           G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (listener, FALSE);
  g_socket_set_listen_backlog (listener, backlog);
  g_socket_bind (listener, any, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (listener, &error);
  g_assert_no_error (error);
  *address = g_socket_get_local_address (listener, &error);
  g_assert_no_error (error);
  return listener;
}

static void
socket_reset (GSocket *socket)
{
  struct linger lin = { 1, 0 };

  setsockopt (g_socket_get_fd (socket), SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
  g_socket_close (socket, NULL);
}

/* Reads what is waiting, so that a close sends FIN and not RST. */
static void
socket_drain (GSocket *socket)
{
  char buf[16384];

  while (g_socket_receive (socket, buf, sizeof buf, NULL, NULL) > 0)
    ;
}

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* ------------------------------------------------------------------------ */
/* Fault proxy                                                               */
/* ------------------------------------------------------------------------ */

typedef struct _TcpcFaultSession TcpcFaultSession;

typedef struct
{
  TcpcFaultSession *session;
  gboolean          up;          /* client -> server */
  GSocket          *src;
  GSocket          *dst;
  guint8           *buf;
  gsize             len;
  gsize             off;
  gboolean          src_eof;
  gboolean          done;
  gint64            ready_at;    /* DELAY: when the buffer may be written */
  gint64            read_at;     /* STALL_READS: when the next read may be */
  guint64           forwarded;
  GSource          *source;
} Pump;

struct _TcpcFaultSession
{
  TcpcFaultProxy    *proxy;
  GSocketConnection *connection; /* accepted: the client side */
  GSocket           *client;
  GSocket           *server;     /* NULL for a black hole */
  Pump               up;
  Pump               down;
  GSource           *fault_source;
  gboolean           closed;
};

static void pump_run (Pump *pump);

static void
session_close (TcpcFaultSession *session,
               gboolean          reset_client)
{
  if (session->closed)
    return;
  session->closed = TRUE;
  clear_source (&session->fault_source);
  clear_source (&session->up.source);
  clear_source (&session->down.source);
  if (reset_client)
    socket_reset (session->client);
  else
    {
      socket_drain (session->client);
      g_socket_close (session->client, NULL);
    }
  if (session->server != NULL)
    {
      if (reset_client)
        socket_reset (session->server);
      else
        {
          socket_drain (session->server);
          g_socket_close (session->server, NULL);
        }
    }
}

static void
session_free (gpointer data)
{
  TcpcFaultSession *session = data;

  session_close (session, FALSE);
  g_clear_object (&session->server);
  g_clear_object (&session->client);
  g_clear_object (&session->connection);
  g_free (session->up.buf);
  g_free (session->down.buf);
  g_free (session);
}

static gboolean
pump_socket_cb (GSocket      *socket,
                GIOCondition  condition,
                gpointer      user_data)
{
  Pump *pump = user_data;

  g_clear_pointer (&pump->source, g_source_unref);
  pump_run (pump);
  return G_SOURCE_REMOVE;
}

static gboolean
pump_timeout_cb (gpointer user_data)
{
  Pump *pump = user_data;

  g_clear_pointer (&pump->source, g_source_unref);
  pump_run (pump);
  return G_SOURCE_REMOVE;
}

static void
pump_wait_socket (Pump         *pump,
                  GSocket      *socket,
                  GIOCondition  condition)
{
  g_assert (pump->source == NULL);
  pump->source = g_socket_create_source (socket, condition | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (pump->source, G_SOURCE_FUNC (pump_socket_cb), pump, NULL);
  g_source_set_static_name (pump->source, "tcpc-fault-pump-io");
  g_source_attach (pump->source, g_main_context_get_thread_default ());
}

static void
pump_wait_ms (Pump *pump,
              guint ms)
{
  g_assert (pump->source == NULL);
  pump->source = ms == 0 ? g_idle_source_new () : g_timeout_source_new (ms);
  g_source_set_callback (pump->source, pump_timeout_cb, pump, NULL);
  g_source_set_static_name (pump->source, "tcpc-fault-pump-wait");
  g_source_attach (pump->source, g_main_context_get_thread_default ());
}

static void
session_check_done (TcpcFaultSession *session)
{
  if (session->up.done && session->down.done)
    session_close (session, FALSE);
}

static gboolean
session_fault_cb (gpointer user_data)
{
  TcpcFaultSession *session = user_data;

  g_clear_pointer (&session->fault_source, g_source_unref);
  session_close (session, session->proxy->mode == TCPC_FAULT_RESET_AFTER);
  return G_SOURCE_REMOVE;
}

/* The fault of RESET_AFTER and CLOSE_AFTER, once @limit bytes went down:
 * at once, or @delay_ms later (so that the client has read them). */
static void
session_limit_reached (TcpcFaultSession *session)
{
  if (session->fault_source != NULL)
    return;
  session->fault_source = g_timeout_source_new (session->proxy->delay_ms);
  g_source_set_callback (session->fault_source, session_fault_cb, session, NULL);
  g_source_set_static_name (session->fault_source, "tcpc-fault-cut");
  g_source_attach (session->fault_source, g_main_context_get_thread_default ());
}

static void
pump_run (Pump *pump)
{
  TcpcFaultSession *session = pump->session;
  TcpcFaultProxy *proxy = session->proxy;
  gboolean limited = !pump->up && (proxy->mode == TCPC_FAULT_RESET_AFTER ||
                                   proxy->mode == TCPC_FAULT_CLOSE_AFTER);

  while (!pump->done && !session->closed)
    {
      g_autoptr(GError) error = NULL;
      gint64 now = g_get_monotonic_time ();
      gssize n;

      if (pump->off < pump->len)
        {
          gsize want = pump->len - pump->off;

          if (proxy->mode == TCPC_FAULT_DELAY && now < pump->ready_at)
            {
              pump_wait_ms (pump, (pump->ready_at - now + 999) / 1000);
              return;
            }
          if (proxy->mode == TCPC_FAULT_SPLIT)
            want = 1;
          if (limited)
            {
              if (pump->forwarded >= proxy->limit)
                {
                  session_limit_reached (session);
                  return;
                }
              want = MIN (want, proxy->limit - pump->forwarded);
            }

          n = g_socket_send (pump->dst, (const char *) pump->buf + pump->off,
                             want, NULL, &error);
          if (n < 0)
            {
              if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                pump_wait_socket (pump, pump->dst, G_IO_OUT);
              else
                session_close (session, TRUE);
              return;
            }
          pump->off += n;
          pump->forwarded += n;
          if (pump->up)
            proxy->up_bytes += n;
          else
            proxy->down_bytes += n;

          if (limited && pump->forwarded >= proxy->limit)
            {
              session_limit_reached (session);
              return;
            }
          if (proxy->mode == TCPC_FAULT_SPLIT)
            {
              /* one byte per main-loop turn: the peer reads it alone */
              pump_wait_ms (pump, 0);
              return;
            }
          continue;
        }

      pump->len = pump->off = 0;
      if (pump->src_eof)
        {
          g_socket_shutdown (pump->dst, FALSE, TRUE, NULL);
          pump->done = TRUE;
          session_check_done (session);
          return;
        }

      if (proxy->mode == TCPC_FAULT_STALL_READS && pump->up && now < pump->read_at)
        {
          pump_wait_ms (pump, (pump->read_at - now + 999) / 1000);
          return;
        }

      n = g_socket_receive (pump->src, (char *) pump->buf,
                            proxy->mode == TCPC_FAULT_STALL_READS && pump->up
                              ? MIN (proxy->read_chunk, PUMP_BUF) : PUMP_BUF,
                            NULL, &error);
      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            pump_wait_socket (pump, pump->src, G_IO_IN);
          else
            session_close (session, TRUE);   /* pass a reset on */
          return;
        }
      if (n == 0)
        {
          pump->src_eof = TRUE;
          continue;
        }

      pump->len = n;
      if (pump->up)
        g_checksum_update (proxy->up_checksum, pump->buf, n);
      if (proxy->mode == TCPC_FAULT_DELAY)
        pump->ready_at = now + (gint64) proxy->delay_ms * 1000;
      if (proxy->mode == TCPC_FAULT_STALL_READS && pump->up)
        pump->read_at = now + (gint64) proxy->read_pause_ms * 1000;
    }
}

static void
pump_init (Pump             *pump,
           TcpcFaultSession *session,
           gboolean          up)
{
  pump->session = session;
  pump->up = up;
  pump->src = up ? session->client : session->server;
  pump->dst = up ? session->server : session->client;
  pump->buf = g_malloc (PUMP_BUF);
}

static gboolean
proxy_incoming_cb (GSocketService    *service,
                   GSocketConnection *connection,
                   GObject           *source_object,
                   gpointer           user_data)
{
  TcpcFaultProxy *proxy = user_data;
  TcpcFaultSession *session = g_new0 (TcpcFaultSession, 1);
  g_autoptr(GError) error = NULL;

  proxy->n_accepted++;
  session->proxy = proxy;
  session->connection = g_object_ref (connection);
  session->client = g_object_ref (g_socket_connection_get_socket (connection));
  g_socket_set_blocking (session->client, FALSE);
  g_ptr_array_add (proxy->sessions, session);

  if (proxy->mode == TCPC_FAULT_BLACKHOLE)
    return TRUE;

  /* loopback: a blocking connect returns at once */
  session->server = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  if (!g_socket_connect (session->server, proxy->upstream, NULL, &error))
    {
      g_test_message ("fault proxy: upstream connect: %s", error->message);
      session_close (session, TRUE);
      return TRUE;
    }
  g_socket_set_blocking (session->server, FALSE);

  pump_init (&session->up, session, TRUE);
  pump_init (&session->down, session, FALSE);
  if (proxy->mode == TCPC_FAULT_STALL_READS)
    session->up.read_at = g_get_monotonic_time () + (gint64) proxy->delay_ms * 1000;
  pump_run (&session->up);
  pump_run (&session->down);
  return TRUE;
}

TcpcFaultProxy *
tcpc_fault_proxy_new (GSocketAddress *upstream,
                      TcpcFaultMode   mode)
{
  TcpcFaultProxy *proxy = g_new0 (TcpcFaultProxy, 1);
  g_autoptr(GSocketAddress) any = loopback_any_port ();
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  proxy->upstream = upstream != NULL ? g_object_ref (upstream) : NULL;
  proxy->mode = mode;
  proxy->read_chunk = 4096;
  proxy->read_pause_ms = 1;
  proxy->sessions = g_ptr_array_new_with_free_func (session_free);
  proxy->up_checksum = g_checksum_new (G_CHECKSUM_SHA256);

  proxy->service = g_socket_service_new ();
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (proxy->service), 128);
  g_socket_listener_add_address (G_SOCKET_LISTENER (proxy->service), any,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &effective, &error);
  g_assert_no_error (error);
  proxy->port = address_port (effective);
  g_signal_connect (proxy->service, "incoming", G_CALLBACK (proxy_incoming_cb), proxy);
  g_socket_service_start (proxy->service);

  return proxy;
}

void
tcpc_fault_proxy_free (TcpcFaultProxy *proxy)
{
  if (proxy == NULL)
    return;

  g_signal_handlers_disconnect_by_data (proxy->service, proxy);
  g_socket_service_stop (proxy->service);
  g_socket_listener_close (G_SOCKET_LISTENER (proxy->service));
  g_object_unref (proxy->service);
  g_ptr_array_unref (proxy->sessions);
  g_clear_object (&proxy->upstream);
  g_checksum_free (proxy->up_checksum);
  g_free (proxy);
}

gboolean
tcpc_fault_proxy_idle (TcpcFaultProxy *proxy)
{
  guint i;

  for (i = 0; i < proxy->sessions->len; i++)
    if (!((TcpcFaultSession *) proxy->sessions->pdata[i])->closed)
      return FALSE;
  return TRUE;
}

const char *
tcpc_fault_proxy_up_sum (TcpcFaultProxy *proxy)
{
  /* a copy: g_checksum_get_string() closes the checksum */
  static char hex[65];
  GChecksum *copy = g_checksum_copy (proxy->up_checksum);

  g_strlcpy (hex, g_checksum_get_string (copy), sizeof hex);
  g_checksum_free (copy);
  return hex;
}

/* ------------------------------------------------------------------------ */
/* Echo server that closes on EOF                                            */
/* ------------------------------------------------------------------------ */

typedef struct
{
  TcpcFaultEcho *echo;
  GSocket       *socket;
  GSource       *source;
  GList         *link;
} EchoConn;

static void
echo_conn_free (EchoConn *conn)
{
  TcpcFaultEcho *echo = conn->echo;

  clear_source (&conn->source);
  g_socket_close (conn->socket, NULL);
  g_object_unref (conn->socket);
  echo->conns = g_list_delete_link (echo->conns, conn->link);
  echo->n_live--;
  g_free (conn);
}

static gboolean
echo_send_all (EchoConn   *conn,
               const char *data,
               gsize       len)
{
  while (len > 0)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send (conn->socket, data, len, NULL, &error);

      if (n < 0)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return FALSE;
          /* small test data: wait for room */
          if (!g_socket_condition_timed_wait (conn->socket, G_IO_OUT,
                                              5 * G_USEC_PER_SEC, NULL, NULL))
            return FALSE;
          continue;
        }
      data += n;
      len -= n;
    }
  return TRUE;
}

static gboolean
echo_conn_cb (GSocket      *socket,
              GIOCondition  condition,
              gpointer      user_data)
{
  EchoConn *conn = user_data;
  char buf[16384];

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive (conn->socket, buf, sizeof buf, NULL, &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
      if (n <= 0 || !echo_send_all (conn, buf, n))
        {
          /* EOF or an error: close (the source goes with the conn) */
          g_clear_pointer (&conn->source, g_source_unref);
          echo_conn_free (conn);
          return G_SOURCE_REMOVE;
        }
      conn->echo->n_bytes += n;
    }
}

static gboolean
echo_accept_cb (GSocket      *socket,
                GIOCondition  condition,
                gpointer      user_data)
{
  TcpcFaultEcho *echo = user_data;

  for (;;)
    {
      GSocket *accepted = g_socket_accept (echo->listener, NULL, NULL);
      EchoConn *conn;

      if (accepted == NULL)
        break;
      g_socket_set_blocking (accepted, FALSE);
      conn = g_new0 (EchoConn, 1);
      conn->echo = echo;
      conn->socket = accepted;
      echo->conns = g_list_prepend (echo->conns, conn);
      conn->link = echo->conns;
      echo->n_live++;
      echo->n_accepted++;
      if (echo->greeting != NULL &&
          !echo_send_all (conn, echo->greeting, strlen (echo->greeting)))
        {
          echo_conn_free (conn);
          continue;
        }
      conn->source = g_socket_create_source (accepted, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (conn->source, G_SOURCE_FUNC (echo_conn_cb), conn, NULL);
      g_source_set_static_name (conn->source, "tcpc-fault-echo-conn");
      g_source_attach (conn->source, g_main_context_get_thread_default ());
    }
  return G_SOURCE_CONTINUE;
}

TcpcFaultEcho *
tcpc_fault_echo_new (guint backlog)
{
  TcpcFaultEcho *echo = g_new0 (TcpcFaultEcho, 1);

  echo->listener = listen_loopback (backlog, &echo->address);
  echo->port = address_port (echo->address);
  echo->accept_source = g_socket_create_source (echo->listener, G_IO_IN, NULL);
  g_source_set_callback (echo->accept_source, G_SOURCE_FUNC (echo_accept_cb), echo, NULL);
  g_source_set_static_name (echo->accept_source, "tcpc-fault-echo-accept");
  g_source_attach (echo->accept_source, g_main_context_get_thread_default ());
  return echo;
}

void
tcpc_fault_echo_free (TcpcFaultEcho *echo)
{
  if (echo == NULL)
    return;

  while (echo->conns != NULL)
    echo_conn_free (echo->conns->data);
  clear_source (&echo->accept_source);
  g_socket_close (echo->listener, NULL);
  g_object_unref (echo->listener);
  g_object_unref (echo->address);
  g_free (echo);
}

/* ------------------------------------------------------------------------ */
/* Hostile-input feeder                                                      */
/* ------------------------------------------------------------------------ */

static void feeder_run (TcpcFaultFeeder *feeder);

static gboolean
feeder_socket_cb (GSocket      *socket,
                  GIOCondition  condition,
                  gpointer      user_data)
{
  TcpcFaultFeeder *feeder = user_data;

  g_clear_pointer (&feeder->source, g_source_unref);
  feeder_run (feeder);
  return G_SOURCE_REMOVE;
}

static void
feeder_wait (TcpcFaultFeeder *feeder,
             GSocket         *socket,
             GIOCondition     condition)
{
  feeder->source = g_socket_create_source (socket, condition | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (feeder->source, G_SOURCE_FUNC (feeder_socket_cb), feeder, NULL);
  g_source_set_static_name (feeder->source, "tcpc-fault-feeder");
  g_source_attach (feeder->source, g_main_context_get_thread_default ());
}

static void
feeder_close (TcpcFaultFeeder *feeder)
{
  if (feeder->conn != NULL)
    {
      socket_drain (feeder->conn);
      g_socket_close (feeder->conn, NULL);
      g_clear_object (&feeder->conn);
    }
  feeder->finished = TRUE;
}

static void
feeder_run (TcpcFaultFeeder *feeder)
{
  if (feeder->conn == NULL)
    {
      /* waiting for the client */
      feeder->conn = g_socket_accept (feeder->listener, NULL, NULL);
      if (feeder->conn == NULL)
        {
          feeder_wait (feeder, feeder->listener, G_IO_IN);
          return;
        }
      g_socket_set_blocking (feeder->conn, FALSE);
    }

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n;

      if (feeder->buf_off == feeder->buf_len && feeder->gen != NULL)
        {
          feeder->buf_len = feeder->gen (feeder->buf, PUMP_BUF, feeder->offset,
                                         feeder->gen_data);
          feeder->buf_off = 0;
          feeder->offset += feeder->buf_len;
          if (feeder->buf_len == 0)
            {
              /* all sent: FIN, then wait for the client's end */
              feeder->gen = NULL;
              g_socket_shutdown (feeder->conn, FALSE, TRUE, NULL);
            }
        }

      if (feeder->gen == NULL)
        {
          char sink[4096];

          n = g_socket_receive (feeder->conn, sink, sizeof sink, NULL, &error);
          if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              feeder_wait (feeder, feeder->conn, G_IO_IN);
              return;
            }
          if (n > 0)
            continue;
          feeder->peer_eof = n == 0;
          feeder_close (feeder);
          return;
        }

      n = g_socket_send (feeder->conn, (const char *) feeder->buf + feeder->buf_off,
                         feeder->buf_len - feeder->buf_off, NULL, &error);
      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              feeder_wait (feeder, feeder->conn, G_IO_OUT);
              return;
            }
          /* the client closed its end */
          feeder->peer_gone = TRUE;
          feeder_close (feeder);
          return;
        }
      feeder->buf_off += n;
      feeder->sent += n;
    }
}

TcpcFaultFeeder *
tcpc_fault_feeder_new (TcpcFaultGenFunc gen,
                       gpointer         gen_data)
{
  TcpcFaultFeeder *feeder = g_new0 (TcpcFaultFeeder, 1);

  feeder->listener = listen_loopback (4, &feeder->address);
  feeder->port = address_port (feeder->address);
  feeder->gen = gen;
  feeder->gen_data = gen_data;
  feeder->buf = g_malloc (PUMP_BUF);
  feeder_wait (feeder, feeder->listener, G_IO_IN);
  return feeder;
}

void
tcpc_fault_feeder_free (TcpcFaultFeeder *feeder)
{
  if (feeder == NULL)
    return;

  clear_source (&feeder->source);
  if (feeder->conn != NULL)
    {
      g_socket_close (feeder->conn, NULL);
      g_object_unref (feeder->conn);
    }
  g_socket_close (feeder->listener, NULL);
  g_object_unref (feeder->listener);
  g_object_unref (feeder->address);
  g_free (feeder->buf);
  g_free (feeder);
}
