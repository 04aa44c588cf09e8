/* tcpc-client.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "tcpc-client.h"
#include "tcpc-connector-private.h"
#include "tcpc-enum-types.h"
#include "tcpc-line-filter.h"
#include "tcpc-marshal.h"
#include "tcpc-reader-private.h"
#include "tcpc-writer-private.h"

/**
 * SECTION:tcpc-client
 * @title: TcpcClient
 * @short_description: an event-driven TCP client driven by signals
 *
 * A #TcpcClient connects to a server, turns what the server sends into
 * records with a #TcpcFilter and emits #TcpcClient::server-input once per
 * record. Records given to tcpc_client_put() are encoded by the same filter
 * and written without blocking the main loop. It is the GObject form of
 * Perl's POE::Component::Client::TCP: configure it with a few properties,
 * connect to its signals (or subclass it and override the class handlers),
 * and call tcpc_client_start().
 *
 * |[<!-- language="C" -->
 * static void
 * on_input (TcpcClient *client, GBytes *record, gpointer user_data)
 * {
 *   g_print ("from server: %.*s\n", (int) g_bytes_get_size (record),
 *            (const char *) g_bytes_get_data (record, NULL));
 * }
 *
 * client = tcpc_client_new ("example.org", 80);
 * g_signal_connect (client, "server-input", G_CALLBACK (on_input), NULL);
 * tcpc_client_start (client);
 * ]|
 *
 * # Life cycle
 *
 * A client starts in %TCPC_CLIENT_STATE_IDLE. tcpc_client_start() emits
 * #TcpcClient::started and moves to %TCPC_CLIENT_STATE_CONNECTING; a
 * successful attempt emits #TcpcClient::pre-connect and then
 * #TcpcClient::connected in %TCPC_CLIENT_STATE_CONNECTED. A failed attempt
 * emits #TcpcClient::connect-error; a connection that ends, by
 * tcpc_client_shutdown(), by the peer or by an error, emits
 * #TcpcClient::disconnected exactly once. After either of those two
 * signals the client is %TCPC_CLIENT_STATE_CLOSED, unless a handler asked
 * for a new connection with tcpc_client_reconnect(),
 * tcpc_client_reconnect_after() or tcpc_client_connect_to() during the
 * emission. A closed client may be started again.
 *
 * tcpc_client_shutdown() stops delivering input at once, writes every
 * queued byte, then closes; meanwhile the state is
 * %TCPC_CLIENT_STATE_SHUTTING_DOWN and tcpc_client_put() is refused.
 *
 * # Filters
 *
 * The #TcpcClient:filter property holds a prototype: every connection
 * works with its own tcpc_filter_clone() of it, so nothing one connection
 * buffered or learnt reaches the next. The default is a #TcpcLineFilter.
 *
 * # Main contexts
 *
 * A client belongs to the #GMainContext that was the thread-default one
 * when it was created: every signal is emitted there and every command must
 * be called from the thread running it.
 *
 * # References
 *
 * The client does not keep itself alive: dropping the last reference
 * closes its connection at once, discards pending output and emits nothing
 * more. Keep a reference for as long as the connection should live.
 */

/**
 * TcpcClientClass::pre_connect:
 * @self: the client
 * @stream: the new connection's stream
 *
 * Class handler of #TcpcClient::pre-connect; the default returns @stream.
 *
 * Returns: (transfer full) (nullable): the stream to use, or %NULL to refuse
 *   the connection
 */

/**
 * TcpcClientClass::connected:
 * @self: the client
 * @stream: the connection's stream
 * @remote_address: (nullable): the address of the peer
 *
 * Class handler of #TcpcClient::connected.
 */

/**
 * TcpcClientClass::server_input:
 * @self: the client
 * @record: the record
 *
 * Class handler of #TcpcClient::server-input.
 */

/* One connection attempt in flight. It outlives the client when the
 * client goes away before the connector answers. */
typedef struct
{
  TcpcClient   *client;       /* NULL once abandoned */
  GCancellable *cancellable;
} Attempt;

typedef struct
{
  GMainContext       *context;
  guint               id;

  /* settings */
  char               *remote_address;
  char               *remote_service;
  GSocketConnectable *connectable;
  char               *bind_address;
  char               *name;
  TcpcFilter         *filter;
  double              connect_timeout;
  GSocketFamily       family;
  guint16             remote_port;
  guint16             bind_port;
  guint               tls : 1;
  guint               shutdown_on_error : 1;

  TcpcClientState     state;

  /* Bumped whenever what the client is doing changes (a new attempt, a
   * connection replaced or stopped): code that ran a signal emission
   * compares it to know whether a handler took over. */
  guint               generation;
  guint               ending : 1;  /* inside connect-error or disconnected */
  guint               disposed : 1;

  Attempt            *attempt;
  TcpcFilter         *attempt_filter;
  GSource            *pending;     /* reconnect_after timer, or an early error */
  char               *pending_operation;
  GError             *pending_error;

  /* the connection */
  GIOStream          *stream;
  TcpcReader         *reader;
  TcpcWriter         *writer;
} TcpcClientPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (TcpcClient, tcpc_client, G_TYPE_OBJECT)

G_DEFINE_QUARK (tcpc-client-error-quark, tcpc_client_error)

enum {
  PROP_0,
  PROP_REMOTE_ADDRESS,
  PROP_REMOTE_PORT,
  PROP_REMOTE_SERVICE,
  PROP_CONNECTABLE,
  PROP_BIND_ADDRESS,
  PROP_BIND_PORT,
  PROP_FAMILY,
  PROP_CONNECT_TIMEOUT,
  PROP_FILTER,
  PROP_TLS,
  PROP_SHUTDOWN_ON_ERROR,
  PROP_NAME,
  PROP_STATE,
  PROP_STREAM,
  N_PROPS
};

enum {
  STARTED,
  PRE_CONNECT,
  CONNECTED,
  CONNECT_ERROR,
  SERVER_INPUT,
  SERVER_ERROR,
  FLUSHED,
  DISCONNECTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];
static guint last_client_id;

static void tcpc_client_begin_attempt (TcpcClient *self);

/* ------------------------------------------------------------------ */
/* small helpers                                                        */

static void
tcpc_client_set_state (TcpcClient      *self,
                       TcpcClientState  state)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  if (priv->state == state)
    return;

  priv->state = state;
  if (!priv->disposed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* While the caller holds a reference of its own: whether anybody else
 * still does. A client whose last user reference went away during a
 * signal emission emits nothing more. */
static gboolean
tcpc_client_is_wanted (TcpcClient *self)
{
  return g_atomic_int_get (&G_OBJECT (self)->ref_count) > 1;
}

static const char *
tcpc_client_display_name (TcpcClient  *self,
                          char        *buf,
                          gsize        size)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  if (priv->name != NULL)
    return priv->name;

  g_snprintf (buf, size, "#%u", priv->id);
  return buf;
}

static void
close_stream (GIOStream *stream)
{
  /* A plain socket closes at once; anything layered on it (TLS, a
   * wrapper from pre-connect) may have to write, so it closes in the
   * background, holding its own references. */
  if (G_IS_TCP_CONNECTION (stream) && !G_IS_TCP_WRAPPER_CONNECTION (stream))
    g_io_stream_close (stream, NULL, NULL);
  else if (!g_io_stream_is_closed (stream))
    g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
}

static void
tcpc_client_clear_pending (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  if (priv->pending != NULL)
    {
      g_source_destroy (priv->pending);
      g_clear_pointer (&priv->pending, g_source_unref);
    }
  g_clear_pointer (&priv->pending_operation, g_free);
  g_clear_error (&priv->pending_error);
}

static void
tcpc_client_abandon_attempt (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  Attempt *attempt = g_steal_pointer (&priv->attempt);

  if (attempt != NULL)
    {
      attempt->client = NULL;
      g_cancellable_cancel (attempt->cancellable);
    }
  g_clear_object (&priv->attempt_filter);
  tcpc_client_clear_pending (self);
}

/* Closes the connection, if any. @graceful: the input already there is
 * read first so that the close is not answered with a reset. */
static void
tcpc_client_close_connection (TcpcClient *self,
                              gboolean    graceful)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  if (priv->stream == NULL)
    return;

  if (graceful)
    _tcpc_reader_drain (priv->reader);

  _tcpc_reader_close (priv->reader);
  _tcpc_writer_close (priv->writer);
  g_clear_pointer (&priv->reader, _tcpc_reader_unref);
  g_clear_pointer (&priv->writer, _tcpc_writer_unref);

  close_stream (priv->stream);
  g_clear_object (&priv->stream);

  if (!priv->disposed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STREAM]);
}

/* Stops whatever the client is doing, without any signal: the attempt in
 * flight, a scheduled reconnect, the connection and its queued output. */
static void
tcpc_client_drop_everything (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  priv->generation++;
  tcpc_client_abandon_attempt (self);
  tcpc_client_close_connection (self, FALSE);
}

/* ------------------------------------------------------------------ */
/* ending: connect-error and disconnected                              */

static void
tcpc_client_report_connect_error (TcpcClient   *self,
                                  const char   *operation,
                                  const GError *error)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  guint generation;

  g_object_ref (self);

  g_clear_object (&priv->attempt_filter);
  generation = ++priv->generation;
  priv->ending = TRUE;
  g_signal_emit (self, signals[CONNECT_ERROR], 0, operation, error);
  priv->ending = FALSE;

  if (tcpc_client_is_wanted (self) && priv->generation == generation)
    tcpc_client_set_state (self, TCPC_CLIENT_STATE_CLOSED);

  g_object_unref (self);
}

/* The connection ended: close it, emit disconnected, then CLOSED unless
 * a handler reconnected. */
static void
tcpc_client_finish_disconnect (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  guint generation;

  g_object_ref (self);

  tcpc_client_set_state (self, TCPC_CLIENT_STATE_SHUTTING_DOWN);
  tcpc_client_close_connection (self, TRUE);

  generation = ++priv->generation;
  priv->ending = TRUE;
  g_signal_emit (self, signals[DISCONNECTED], 0);
  priv->ending = FALSE;

  if (tcpc_client_is_wanted (self) && priv->generation == generation)
    tcpc_client_set_state (self, TCPC_CLIENT_STATE_CLOSED);

  g_object_unref (self);
}

/* Ends the connection after its output is written. */
static void
tcpc_client_begin_shutdown (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  tcpc_client_set_state (self, TCPC_CLIENT_STATE_SHUTTING_DOWN);
  if (priv->reader != NULL)
    _tcpc_reader_set_discard (priv->reader, TRUE);

  if (priv->writer != NULL &&
      _tcpc_writer_get_pending (priv->writer) > 0 &&
      !_tcpc_writer_has_failed (priv->writer))
    return;  /* writer_flushed_cb or writer_error_cb finishes */

  tcpc_client_finish_disconnect (self);
}

/* ------------------------------------------------------------------ */
/* reader and writer callbacks                                          */

static void
reader_record_cb (gpointer  owner,
                  GBytes   *record)
{
  TcpcClient *self = owner;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  if (priv->state == TCPC_CLIENT_STATE_CONNECTED)
    g_signal_emit (self, signals[SERVER_INPUT], 0, record);
}

/* A server-error, then what shutdown-on-error asks for. */
static void
tcpc_client_server_error (TcpcClient   *self,
                          const char   *operation,
                          const GError *error,
                          gboolean      connection_broken)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  guint generation = priv->generation;

  g_object_ref (self);

  g_signal_emit (self, signals[SERVER_ERROR], 0, operation, error);

  if (tcpc_client_is_wanted (self) && priv->generation == generation)
    {
      if (priv->state == TCPC_CLIENT_STATE_SHUTTING_DOWN)
        {
          if (connection_broken)
            tcpc_client_finish_disconnect (self);
        }
      else if (priv->state == TCPC_CLIENT_STATE_CONNECTED && priv->shutdown_on_error)
        {
          if (connection_broken)
            tcpc_client_finish_disconnect (self);
          else
            tcpc_client_begin_shutdown (self);
        }
    }

  g_object_unref (self);
}

static void
reader_error_cb (gpointer      owner,
                 const GError *error,
                 gboolean      fatal)
{
  TcpcClient *self = owner;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  if (priv->state != TCPC_CLIENT_STATE_CONNECTED &&
      priv->state != TCPC_CLIENT_STATE_SHUTTING_DOWN)
    return;

  /* A read error on a connection that is flushing its output does not
   * stop the flush by itself: the write side reports its own failure. */
  if (fatal && priv->state == TCPC_CLIENT_STATE_SHUTTING_DOWN &&
      priv->writer != NULL && _tcpc_writer_get_pending (priv->writer) > 0 &&
      !_tcpc_writer_has_failed (priv->writer))
    {
      tcpc_client_server_error (self, "read", error, FALSE);
      return;
    }

  tcpc_client_server_error (self, "read", error, fatal);
}

static void
reader_eof_cb (gpointer owner)
{
  TcpcClient *self = owner;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  /* A clean end of stream is no error. Output still queued is written
   * first (the peer may only have closed its sending side). */
  if (priv->state == TCPC_CLIENT_STATE_CONNECTED)
    tcpc_client_begin_shutdown (self);
}

static void
writer_flushed_cb (gpointer owner)
{
  TcpcClient *self = owner;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  guint generation = priv->generation;

  g_object_ref (self);

  g_signal_emit (self, signals[FLUSHED], 0);

  if (tcpc_client_is_wanted (self) &&
      priv->generation == generation &&
      priv->state == TCPC_CLIENT_STATE_SHUTTING_DOWN &&
      priv->writer != NULL &&
      _tcpc_writer_get_pending (priv->writer) == 0)
    tcpc_client_finish_disconnect (self);

  g_object_unref (self);
}

static void
writer_error_cb (gpointer      owner,
                 const GError *error)
{
  TcpcClient *self = owner;

  tcpc_client_server_error (self, "write", error, TRUE);
}

static const TcpcReaderCallbacks reader_callbacks = {
  reader_record_cb,
  reader_error_cb,
  reader_eof_cb,
};

static const TcpcWriterCallbacks writer_callbacks = {
  writer_flushed_cb,
  writer_error_cb,
};

/* ------------------------------------------------------------------ */
/* connecting                                                           */

static void
tcpc_client_establish (TcpcClient     *self,
                       GIOStream      *stream,
                       GSocketAddress *remote)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  g_autoptr(TcpcFilter) filter = g_steal_pointer (&priv->attempt_filter);
  guint generation;

  priv->stream = g_object_ref (stream);
  priv->reader = _tcpc_reader_new (g_io_stream_get_input_stream (stream), filter,
                                   priv->context, &reader_callbacks, self);
  priv->writer = _tcpc_writer_new (g_io_stream_get_output_stream (stream),
                                   priv->context, &writer_callbacks, self);

  g_object_ref (self);

  generation = ++priv->generation;
  tcpc_client_set_state (self, TCPC_CLIENT_STATE_CONNECTED);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STREAM]);
  g_signal_emit (self, signals[CONNECTED], 0, stream, remote);

  if (tcpc_client_is_wanted (self) &&
      priv->generation == generation &&
      priv->state == TCPC_CLIENT_STATE_CONNECTED)
    _tcpc_reader_start (priv->reader);

  g_object_unref (self);
}

static void
connect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Attempt *attempt = user_data;
  TcpcClient *self = attempt->client;
  TcpcClientPrivate *priv;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GIOStream) chosen = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  g_autoptr(GError) error = NULL;
  const char *operation = NULL;
  guint generation;

  stream = _tcpc_connector_connect_finish (result, &operation, &error);

  g_object_unref (attempt->cancellable);
  g_free (attempt);

  if (self == NULL)
    {
      /* abandoned: shut down, replaced or disposed meanwhile */
      if (stream != NULL)
        close_stream (stream);
      return;
    }

  priv = tcpc_client_get_instance_private (self);
  g_assert (priv->attempt == attempt);
  priv->attempt = NULL;

  if (stream == NULL)
    {
      tcpc_client_report_connect_error (self, operation, error);
      return;
    }

  if (G_IS_SOCKET_CONNECTION (stream))
    remote = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION (stream), NULL);

  g_object_ref (self);

  generation = priv->generation;
  g_signal_emit (self, signals[PRE_CONNECT], 0, stream, &chosen);

  if (!tcpc_client_is_wanted (self) || priv->generation != generation)
    {
      /* a handler stopped or replaced this attempt */
      close_stream (stream);
      if (chosen != NULL && chosen != stream)
        close_stream (chosen);
    }
  else if (chosen == NULL)
    {
      g_autoptr(GError) refused = NULL;

      close_stream (stream);
      refused = g_error_new_literal (TCPC_CLIENT_ERROR, TCPC_CLIENT_ERROR_REFUSED,
                                     "The pre-connect handler refused the connection");
      tcpc_client_report_connect_error (self, "pre-connect", refused);
    }
  else
    tcpc_client_establish (self, chosen, remote);

  g_object_unref (self);
}

static gboolean
report_pending_error_cb (gpointer user_data)
{
  TcpcClient *self = user_data;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  g_autofree char *operation = g_steal_pointer (&priv->pending_operation);
  g_autoptr(GError) error = g_steal_pointer (&priv->pending_error);

  g_clear_pointer (&priv->pending, g_source_unref);
  tcpc_client_report_connect_error (self, operation, error);

  return G_SOURCE_REMOVE;
}

/* Errors found before anything was started are reported from the main
 * loop, like every other connect error, not from inside the command. */
static void
tcpc_client_report_later (TcpcClient *self,
                          const char *operation,
                          GError     *error)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  tcpc_client_clear_pending (self);
  priv->pending_operation = g_strdup (operation);
  priv->pending_error = error;
  priv->pending = g_idle_source_new ();
  g_source_set_static_name (priv->pending, "[tcpclient] connect error");
  g_source_set_callback (priv->pending, report_pending_error_cb, self, NULL);
  g_source_attach (priv->pending, priv->context);
}

static void
tcpc_client_begin_attempt (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  TcpcConnectOptions options = { 0 };
  g_autoptr(GBytes) nothing = NULL;
  GError *error = NULL;
  Attempt *attempt;

  tcpc_client_abandon_attempt (self);
  priv->generation++;
  priv->ending = FALSE;
  tcpc_client_set_state (self, TCPC_CLIENT_STATE_CONNECTING);

  /* The connection's filter, checked before connecting. */
  priv->attempt_filter = tcpc_filter_clone (priv->filter);
  nothing = g_bytes_new_static ("", 0);
  if (priv->attempt_filter == NULL)
    {
      tcpc_client_report_later (self, "filter",
                                g_error_new_literal (TCPC_FILTER_ERROR,
                                                     TCPC_FILTER_ERROR_INVALID_SETTINGS,
                                                     "The filter could not be cloned"));
      return;
    }
  if (!tcpc_filter_feed (priv->attempt_filter, nothing, &error))
    {
      tcpc_client_report_later (self, "filter", error);
      return;
    }

  options.connectable = priv->connectable;
  options.host = priv->remote_address;
  options.port = priv->remote_port;
  options.service = priv->remote_service;
  options.bind_address = priv->bind_address;
  options.bind_port = priv->bind_port;
  options.family = priv->family;
  options.tls = priv->tls;
  options.timeout = priv->connect_timeout;

  attempt = g_new0 (Attempt, 1);
  attempt->client = self;
  attempt->cancellable = g_cancellable_new ();
  priv->attempt = attempt;

  g_main_context_push_thread_default (priv->context);
  _tcpc_connector_connect_async (&options, attempt->cancellable, connect_cb, attempt);
  g_main_context_pop_thread_default (priv->context);
}

static gboolean
reconnect_timer_cb (gpointer user_data)
{
  TcpcClient *self = user_data;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_clear_pointer (&priv->pending, g_source_unref);
  tcpc_client_begin_attempt (self);

  return G_SOURCE_REMOVE;
}

/* Emits started; returns FALSE when a handler took over (or dropped the
 * client), in which case the caller does nothing more. */
static gboolean
tcpc_client_emit_started (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  guint generation = priv->generation;
  gboolean go_on;

  g_object_ref (self);
  g_signal_emit (self, signals[STARTED], 0);
  go_on = tcpc_client_is_wanted (self) && priv->generation == generation;
  g_object_unref (self);

  return go_on;
}

static gboolean
tcpc_client_is_stopped (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  return priv->state == TCPC_CLIENT_STATE_IDLE || priv->state == TCPC_CLIENT_STATE_CLOSED;
}

/* ------------------------------------------------------------------ */
/* commands                                                             */

/**
 * tcpc_client_new:
 * @remote_address: (nullable): the host name, IPv4 or IPv6 literal to connect to
 * @remote_port: the port to connect to
 *
 * Creates a client for @remote_address and @remote_port. Nothing happens
 * until tcpc_client_start() is called. The client belongs to the current
 * thread-default #GMainContext.
 *
 * Returns: (transfer full): a new #TcpcClient
 */
TcpcClient *
tcpc_client_new (const char *remote_address,
                 guint16     remote_port)
{
  return g_object_new (TCPC_TYPE_CLIENT,
                       "remote-address", remote_address,
                       "remote-port", (guint) remote_port,
                       NULL);
}

/**
 * tcpc_client_start:
 * @self: a #TcpcClient
 *
 * Starts the client: emits #TcpcClient::started, then connects. Calling it
 * while the client is connecting, connected or shutting down does nothing;
 * a closed client starts again.
 */
void
tcpc_client_start (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_if_fail (TCPC_IS_CLIENT (self));

  /* inside connect-error or disconnected nothing is left running either */
  if (!tcpc_client_is_stopped (self) && !priv->ending)
    return;

  if (!tcpc_client_emit_started (self))
    return;

  tcpc_client_begin_attempt (self);
}

/* reconnect and connect_to: drop what there is, connect again. */
static void
tcpc_client_restart (TcpcClient *self)
{
  if (tcpc_client_is_stopped (self))
    {
      if (!tcpc_client_emit_started (self))
        return;
    }

  tcpc_client_drop_everything (self);
  tcpc_client_begin_attempt (self);
}

/**
 * tcpc_client_connect_to:
 * @self: a #TcpcClient
 * @remote_address: (nullable): the new address, or %NULL to keep the current one
 * @remote_port: the new port, or 0 to keep the current one
 *
 * Connects to a new address (POE's `connect` event). A current connection
 * is dropped at once, without #TcpcClient::disconnected: its buffered
 * input and output are lost. The new address is kept for later reconnects:
 * it sets #TcpcClient:remote-address and #TcpcClient:remote-port and clears
 * #TcpcClient:connectable and #TcpcClient:remote-service. With %NULL and 0
 * the target stays as it is.
 *
 * On an idle or closed client this acts like tcpc_client_start().
 */
void
tcpc_client_connect_to (TcpcClient *self,
                        const char *remote_address,
                        guint16     remote_port)
{
  g_return_if_fail (TCPC_IS_CLIENT (self));

  if (remote_address != NULL || remote_port != 0)
    {
      g_object_freeze_notify (G_OBJECT (self));
      if (remote_address != NULL)
        tcpc_client_set_remote_address (self, remote_address);
      if (remote_port != 0)
        tcpc_client_set_remote_port (self, remote_port);
      tcpc_client_set_connectable (self, NULL);
      tcpc_client_set_remote_service (self, NULL);
      g_object_thaw_notify (G_OBJECT (self));
    }

  tcpc_client_restart (self);
}

/**
 * tcpc_client_reconnect:
 * @self: a #TcpcClient
 *
 * Drops the current connection at once, without
 * #TcpcClient::disconnected (its buffered input and output are lost), and
 * connects again to the most recent address. This is POE's `reconnect`
 * event. A reconnect asked for from a #TcpcClient::connect-error or
 * #TcpcClient::disconnected handler is what keeps the client from closing.
 *
 * On an idle or closed client this acts like tcpc_client_start().
 */
void
tcpc_client_reconnect (TcpcClient *self)
{
  g_return_if_fail (TCPC_IS_CLIENT (self));

  tcpc_client_restart (self);
}

/**
 * tcpc_client_reconnect_after:
 * @self: a #TcpcClient
 * @seconds: the delay, in seconds
 *
 * Like tcpc_client_reconnect(), but the new attempt starts after @seconds
 * (POE's `delay(reconnect => N)`). The current connection, if any, is
 * dropped at once. Until the attempt starts the state is
 * %TCPC_CLIENT_STATE_CONNECTING; a later tcpc_client_shutdown(),
 * tcpc_client_connect_to() or tcpc_client_reconnect() cancels it.
 */
void
tcpc_client_reconnect_after (TcpcClient *self,
                             double      seconds)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  guint ms;

  g_return_if_fail (TCPC_IS_CLIENT (self));
  g_return_if_fail (seconds >= 0);

  if (tcpc_client_is_stopped (self))
    {
      if (!tcpc_client_emit_started (self))
        return;
    }

  tcpc_client_drop_everything (self);
  priv->ending = FALSE;
  tcpc_client_set_state (self, TCPC_CLIENT_STATE_CONNECTING);

  ms = (guint) MIN (seconds * 1000.0 + 0.5, (double) G_MAXUINT);
  priv->pending = g_timeout_source_new (ms);
  g_source_set_static_name (priv->pending, "[tcpclient] reconnect");
  g_source_set_callback (priv->pending, reconnect_timer_cb, self, NULL);
  g_source_attach (priv->pending, priv->context);
}

/**
 * tcpc_client_shutdown:
 * @self: a #TcpcClient
 *
 * Ends the connection cleanly (POE's `shutdown` event): input is no
 * longer delivered, not even records already received, every queued byte
 * is written, then the connection is closed and #TcpcClient::disconnected
 * is emitted; the client ends %TCPC_CLIENT_STATE_CLOSED. With nothing to
 * write this happens before the call returns. #TcpcClient::flushed is
 * emitted before #TcpcClient::disconnected when output was written.
 *
 * While connecting, the attempt is cancelled without any signal. Calling
 * it again while shutting down, or on a closed client, does nothing.
 */
void
tcpc_client_shutdown (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_if_fail (TCPC_IS_CLIENT (self));

  switch (priv->state)
    {
    case TCPC_CLIENT_STATE_CONNECTED:
      tcpc_client_begin_shutdown (self);
      break;

    case TCPC_CLIENT_STATE_CONNECTING:
      tcpc_client_drop_everything (self);
      tcpc_client_set_state (self, TCPC_CLIENT_STATE_CLOSED);
      break;

    case TCPC_CLIENT_STATE_IDLE:
    case TCPC_CLIENT_STATE_CLOSED:
      /* nothing to stop; a start in progress (from a started handler)
       * is called off */
      priv->generation++;
      break;

    case TCPC_CLIENT_STATE_SHUTTING_DOWN:
    default:
      break;
    }
}

static gboolean
tcpc_client_check_connected (TcpcClient  *self,
                             GError     **error)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  if (priv->state == TCPC_CLIENT_STATE_CONNECTED && priv->writer != NULL)
    return TRUE;

  g_set_error_literal (error, TCPC_CLIENT_ERROR, TCPC_CLIENT_ERROR_NOT_CONNECTED,
                       priv->state == TCPC_CLIENT_STATE_SHUTTING_DOWN
                         ? "The client is shutting down"
                         : "The client is not connected");
  return FALSE;
}

/**
 * tcpc_client_put:
 * @self: a #TcpcClient
 * @record: the record to send
 * @error: return location for a #GError
 *
 * Encodes @record with the connection's filter and queues the bytes for
 * writing. It never blocks: the bytes are written as the socket accepts
 * them, and #TcpcClient::flushed is emitted each time everything queued
 * has been written. A record the filter drops (encodes to %NULL without
 * an error) is not sent, and the call succeeds.
 *
 * Returns: %TRUE if the record was queued; %FALSE with
 *   %TCPC_CLIENT_ERROR_NOT_CONNECTED when the client is not connected or is
 *   shutting down, or with a %TCPC_FILTER_ERROR when the filter cannot
 *   encode the record
 */
gboolean
tcpc_client_put (TcpcClient  *self,
                 GBytes      *record,
                 GError     **error)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  GBytes *encoded;
  GError *local_error = NULL;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!tcpc_client_check_connected (self, error))
    return FALSE;

  encoded = tcpc_filter_encode (_tcpc_reader_get_filter (priv->reader), record, &local_error);
  if (encoded == NULL)
    {
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      return TRUE;
    }

  _tcpc_writer_push (priv->writer, encoded);
  g_bytes_unref (encoded);

  return TRUE;
}

/**
 * tcpc_client_put_data:
 * @self: a #TcpcClient
 * @data: (array length=length) (element-type guint8): the record's bytes
 * @length: the number of bytes in @data
 * @error: return location for a #GError
 *
 * Like tcpc_client_put(), with the record given as a buffer, which is
 * copied.
 *
 * Returns: %TRUE if the record was queued, %FALSE with @error set otherwise
 */
gboolean
tcpc_client_put_data (TcpcClient    *self,
                      const guint8  *data,
                      gsize          length,
                      GError       **error)
{
  g_autoptr(GBytes) record = NULL;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  if (!tcpc_client_check_connected (self, error))
    return FALSE;

  record = g_bytes_new (data, length);
  return tcpc_client_put (self, record, error);
}

/**
 * tcpc_client_put_string:
 * @self: a #TcpcClient
 * @record: a nul-terminated record, without its terminator
 * @error: return location for a #GError
 *
 * Like tcpc_client_put(), with the record given as a string (without its
 * trailing nul byte); with the line filter, "HEAD / HTTP/1.0" goes out as
 * "HEAD / HTTP/1.0\r\n".
 *
 * Returns: %TRUE if the record was queued, %FALSE with @error set otherwise
 */
gboolean
tcpc_client_put_string (TcpcClient  *self,
                        const char  *record,
                        GError     **error)
{
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (record != NULL, FALSE);

  if (!tcpc_client_check_connected (self, error))
    return FALSE;

  bytes = g_bytes_new (record, strlen (record));
  return tcpc_client_put (self, bytes, error);
}

/**
 * tcpc_client_get_state:
 * @self: a #TcpcClient
 *
 * Gets the client's life-cycle state, see #TcpcClient:state.
 *
 * Returns: the state
 */
TcpcClientState
tcpc_client_get_state (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_val_if_fail (TCPC_IS_CLIENT (self), TCPC_CLIENT_STATE_IDLE);

  return priv->state;
}

/**
 * tcpc_client_is_connected:
 * @self: a #TcpcClient
 *
 * Whether the client is connected and accepts records: %TRUE only in
 * %TCPC_CLIENT_STATE_CONNECTED (POE's `connected` heap member), so %FALSE
 * while shutting down and inside #TcpcClient::disconnected.
 *
 * Returns: %TRUE if connected
 */
gboolean
tcpc_client_is_connected (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_val_if_fail (TCPC_IS_CLIENT (self), FALSE);

  return priv->state == TCPC_CLIENT_STATE_CONNECTED;
}

/**
 * tcpc_client_get_stream:
 * @self: a #TcpcClient
 *
 * Gets the stream of the current connection, see #TcpcClient:stream.
 *
 * Returns: (transfer none) (nullable): the stream, or %NULL when not connected
 */
GIOStream *
tcpc_client_get_stream (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_val_if_fail (TCPC_IS_CLIENT (self), NULL);

  return priv->stream;
}

/* ------------------------------------------------------------------ */
/* properties                                                           */

#define SET_STRING(field, value, prop)                                     \
  G_STMT_START {                                                           \
    TcpcClientPrivate *priv_ = tcpc_client_get_instance_private (self);    \
    if (g_strcmp0 (priv_->field, (value)) != 0)                            \
      {                                                                    \
        g_free (priv_->field);                                             \
        priv_->field = g_strdup (value);                                   \
        g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);      \
      }                                                                    \
  } G_STMT_END

/**
 * tcpc_client_get_remote_address:
 * @self: a #TcpcClient
 *
 * Returns: (nullable): the #TcpcClient:remote-address
 */
const char *
tcpc_client_get_remote_address (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_val_if_fail (TCPC_IS_CLIENT (self), NULL);
  return priv->remote_address;
}

/**
 * tcpc_client_set_remote_address:
 * @self: a #TcpcClient
 * @remote_address: (nullable): a host name, IPv4 or IPv6 literal
 *
 * Sets #TcpcClient:remote-address, used from the next connection attempt on.
 */
void
tcpc_client_set_remote_address (TcpcClient *self,
                                const char *remote_address)
{
  g_return_if_fail (TCPC_IS_CLIENT (self));
  SET_STRING (remote_address, remote_address, PROP_REMOTE_ADDRESS);
}

/**
 * tcpc_client_get_remote_port:
 * @self: a #TcpcClient
 *
 * Returns: the #TcpcClient:remote-port
 */
guint
tcpc_client_get_remote_port (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_val_if_fail (TCPC_IS_CLIENT (self), 0);
  return priv->remote_port;
}

/**
 * tcpc_client_set_remote_port:
 * @self: a #TcpcClient
 * @remote_port: a port number, 0 to 65535
 *
 * Sets #TcpcClient:remote-port, used from the next connection attempt on.
 */
void
tcpc_client_set_remote_port (TcpcClient *self,
                             guint       remote_port)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_if_fail (TCPC_IS_CLIENT (self));
  g_return_if_fail (remote_port <= G_MAXUINT16);

  if (priv->remote_port != remote_port)
    {
      priv->remote_port = remote_port;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMOTE_PORT]);
    }
}

/**
 * tcpc_client_get_remote_service:
 * @self: a #TcpcClient
 *
 * Returns: (nullable): the #TcpcClient:remote-service
 */
const char *
tcpc_client_get_remote_service (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_val_if_fail (TCPC_IS_CLIENT (self), NULL);
  return priv->remote_service;
}

/**
 * tcpc_client_set_remote_service:
 * @self: a #TcpcClient
 * @remote_service: (nullable): a service name such as "http", or %NULL
 *
 * Sets #TcpcClient:remote-service, used from the next connection attempt on.
 */
void
tcpc_client_set_remote_service (TcpcClient *self,
                                const char *remote_service)
{
  g_return_if_fail (TCPC_IS_CLIENT (self));
  SET_STRING (remote_service, remote_service, PROP_REMOTE_SERVICE);
}

/**
 * tcpc_client_get_connectable:
 * @self: a #TcpcClient
 *
 * Returns: (transfer none) (nullable): the #TcpcClient:connectable
 */
GSocketConnectable *
tcpc_client_get_connectable (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_val_if_fail (TCPC_IS_CLIENT (self), NULL);
  return priv->connectable;
}

/**
 * tcpc_client_set_connectable:
 * @self: a #TcpcClient
 * @connectable: (nullable): what to connect to, or %NULL
 *
 * Sets #TcpcClient:connectable, used from the next connection attempt on.
 */
void
tcpc_client_set_connectable (TcpcClient         *self,
                             GSocketConnectable *connectable)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_if_fail (TCPC_IS_CLIENT (self));
  g_return_if_fail (connectable == NULL || G_IS_SOCKET_CONNECTABLE (connectable));

  if (g_set_object (&priv->connectable, connectable))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTABLE]);
}

/**
 * tcpc_client_get_bind_address:
 * @self: a #TcpcClient
 *
 * Returns: (nullable): the #TcpcClient:bind-address
 */
const char *
tcpc_client_get_bind_address (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_val_if_fail (TCPC_IS_CLIENT (self), NULL);
  return priv->bind_address;
}

/**
 * tcpc_client_set_bind_address:
 * @self: a #TcpcClient
 * @bind_address: (nullable): the local address to bind to, or %NULL
 *
 * Sets #TcpcClient:bind-address, used from the next connection attempt on.
 */
void
tcpc_client_set_bind_address (TcpcClient *self,
                              const char *bind_address)
{
  g_return_if_fail (TCPC_IS_CLIENT (self));
  SET_STRING (bind_address, bind_address, PROP_BIND_ADDRESS);
}

/**
 * tcpc_client_get_bind_port:
 * @self: a #TcpcClient
 *
 * Returns: the #TcpcClient:bind-port
 */
guint
tcpc_client_get_bind_port (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_val_if_fail (TCPC_IS_CLIENT (self), 0);
  return priv->bind_port;
}

/**
 * tcpc_client_set_bind_port:
 * @self: a #TcpcClient
 * @bind_port: the local port to bind to, or 0
 *
 * Sets #TcpcClient:bind-port, used from the next connection attempt on.
 */
void
tcpc_client_set_bind_port (TcpcClient *self,
                           guint       bind_port)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_if_fail (TCPC_IS_CLIENT (self));
  g_return_if_fail (bind_port <= G_MAXUINT16);

  if (priv->bind_port != bind_port)
    {
      priv->bind_port = bind_port;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BIND_PORT]);
    }
}

/**
 * tcpc_client_get_family:
 * @self: a #TcpcClient
 *
 * Returns: the #TcpcClient:family
 */
GSocketFamily
tcpc_client_get_family (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_val_if_fail (TCPC_IS_CLIENT (self), G_SOCKET_FAMILY_INVALID);
  return priv->family;
}

/**
 * tcpc_client_set_family:
 * @self: a #TcpcClient
 * @family: %G_SOCKET_FAMILY_IPV4, %G_SOCKET_FAMILY_IPV6, or
 *   %G_SOCKET_FAMILY_INVALID for either
 *
 * Sets #TcpcClient:family, used from the next connection attempt on.
 */
void
tcpc_client_set_family (TcpcClient    *self,
                        GSocketFamily  family)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_if_fail (TCPC_IS_CLIENT (self));

  if (priv->family != family)
    {
      priv->family = family;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAMILY]);
    }
}

/**
 * tcpc_client_get_connect_timeout:
 * @self: a #TcpcClient
 *
 * Returns: the #TcpcClient:connect-timeout, in seconds
 */
double
tcpc_client_get_connect_timeout (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_val_if_fail (TCPC_IS_CLIENT (self), 0);
  return priv->connect_timeout;
}

/**
 * tcpc_client_set_connect_timeout:
 * @self: a #TcpcClient
 * @seconds: the timeout in seconds, 0 for none
 *
 * Sets #TcpcClient:connect-timeout, used from the next connection attempt on.
 */
void
tcpc_client_set_connect_timeout (TcpcClient *self,
                                 double      seconds)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_if_fail (TCPC_IS_CLIENT (self));
  g_return_if_fail (seconds >= 0);

  if (priv->connect_timeout != seconds)
    {
      priv->connect_timeout = seconds;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECT_TIMEOUT]);
    }
}

/**
 * tcpc_client_get_filter:
 * @self: a #TcpcClient
 *
 * Returns: (transfer none): the prototype #TcpcClient:filter
 */
TcpcFilter *
tcpc_client_get_filter (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_val_if_fail (TCPC_IS_CLIENT (self), NULL);
  return priv->filter;
}

/**
 * tcpc_client_set_filter:
 * @self: a #TcpcClient
 * @filter: (nullable): the prototype filter, or %NULL for a new #TcpcLineFilter
 *
 * Sets the prototype #TcpcClient:filter; every later connection works with
 * a clone of it.
 *
 * On a live connection the change also takes effect at once (POE's
 * `set_filter`): the connection continues with a clone of @filter, which
 * first parses the bytes the old filter had received but not parsed yet,
 * so no byte is lost or delivered twice. Called from a
 * #TcpcClient::server-input handler, the next record delivered is the
 * first one the new filter parses. Records put from then on are encoded by
 * the new filter too. A protocol that must start with the old framing on
 * every connection sets the filter back in its #TcpcClient::connected or
 * #TcpcClient::disconnected handler.
 */
void
tcpc_client_set_filter (TcpcClient *self,
                        TcpcFilter *filter)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  g_autoptr(TcpcFilter) fallback = NULL;

  g_return_if_fail (TCPC_IS_CLIENT (self));
  g_return_if_fail (filter == NULL || TCPC_IS_FILTER (filter));

  if (filter == NULL)
    filter = fallback = TCPC_FILTER (tcpc_line_filter_new ());

  if (!g_set_object (&priv->filter, filter))
    return;

  /* A live connection switches framings at once, keeping its unparsed
   * input (POE's set_filter). */
  if (priv->reader != NULL)
    {
      g_autoptr(TcpcFilter) clone = tcpc_filter_clone (filter);

      if (clone != NULL)
        _tcpc_reader_set_filter (priv->reader, clone);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER]);
}

/**
 * tcpc_client_get_tls:
 * @self: a #TcpcClient
 *
 * Returns: the #TcpcClient:tls setting
 */
gboolean
tcpc_client_get_tls (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_val_if_fail (TCPC_IS_CLIENT (self), FALSE);
  return priv->tls;
}

/**
 * tcpc_client_set_tls:
 * @self: a #TcpcClient
 * @tls: whether to use TLS
 *
 * Sets #TcpcClient:tls, used from the next connection attempt on.
 */
void
tcpc_client_set_tls (TcpcClient *self,
                     gboolean    tls)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_if_fail (TCPC_IS_CLIENT (self));

  tls = !!tls;
  if (priv->tls != (guint) tls)
    {
      priv->tls = tls;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS]);
    }
}

/**
 * tcpc_client_get_shutdown_on_error:
 * @self: a #TcpcClient
 *
 * Returns: the #TcpcClient:shutdown-on-error setting
 */
gboolean
tcpc_client_get_shutdown_on_error (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_val_if_fail (TCPC_IS_CLIENT (self), FALSE);
  return priv->shutdown_on_error;
}

/**
 * tcpc_client_set_shutdown_on_error:
 * @self: a #TcpcClient
 * @shutdown_on_error: whether a server error ends the connection
 *
 * Sets #TcpcClient:shutdown-on-error.
 */
void
tcpc_client_set_shutdown_on_error (TcpcClient *self,
                                   gboolean    shutdown_on_error)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_if_fail (TCPC_IS_CLIENT (self));

  shutdown_on_error = !!shutdown_on_error;
  if (priv->shutdown_on_error != (guint) shutdown_on_error)
    {
      priv->shutdown_on_error = shutdown_on_error;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHUTDOWN_ON_ERROR]);
    }
}

/**
 * tcpc_client_get_name:
 * @self: a #TcpcClient
 *
 * Returns: (nullable): the #TcpcClient:name
 */
const char *
tcpc_client_get_name (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_return_val_if_fail (TCPC_IS_CLIENT (self), NULL);
  return priv->name;
}

/**
 * tcpc_client_set_name:
 * @self: a #TcpcClient
 * @name: (nullable): a name for log messages, or %NULL
 *
 * Sets #TcpcClient:name.
 */
void
tcpc_client_set_name (TcpcClient *self,
                      const char *name)
{
  g_return_if_fail (TCPC_IS_CLIENT (self));
  SET_STRING (name, name, PROP_NAME);
}

/* ------------------------------------------------------------------ */
/* GObject                                                              */

static GIOStream *
tcpc_client_real_pre_connect (TcpcClient *self,
                              GIOStream  *stream)
{
  return g_object_ref (stream);
}

static void
tcpc_client_real_connect_error (TcpcClient   *self,
                                const char   *operation,
                                const GError *error)
{
  char buf[32];

  /* Only when nobody else handles it, as POE's default handler. */
  if (g_signal_has_handler_pending (self, signals[CONNECT_ERROR], 0, TRUE))
    return;

  g_message ("Client %s got %s error: %s",
             tcpc_client_display_name (self, buf, sizeof buf), operation, error->message);
}

static void
tcpc_client_real_server_error (TcpcClient   *self,
                               const char   *operation,
                               const GError *error)
{
  char buf[32];

  if (g_signal_has_handler_pending (self, signals[SERVER_ERROR], 0, TRUE))
    return;

  g_message ("Client %s got %s error: %s",
             tcpc_client_display_name (self, buf, sizeof buf), operation, error->message);
}

static void
tcpc_client_dispose (GObject *object)
{
  TcpcClient *self = TCPC_CLIENT (object);
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  priv->disposed = TRUE;
  tcpc_client_drop_everything (self);

  G_OBJECT_CLASS (tcpc_client_parent_class)->dispose (object);
}

static void
tcpc_client_finalize (GObject *object)
{
  TcpcClient *self = TCPC_CLIENT (object);
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_clear_object (&priv->connectable);
  g_clear_object (&priv->filter);
  g_free (priv->remote_address);
  g_free (priv->remote_service);
  g_free (priv->bind_address);
  g_free (priv->name);
  g_main_context_unref (priv->context);

  G_OBJECT_CLASS (tcpc_client_parent_class)->finalize (object);
}

static void
tcpc_client_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  TcpcClient *self = TCPC_CLIENT (object);
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_REMOTE_ADDRESS:
      g_value_set_string (value, priv->remote_address);
      break;
    case PROP_REMOTE_PORT:
      g_value_set_uint (value, priv->remote_port);
      break;
    case PROP_REMOTE_SERVICE:
      g_value_set_string (value, priv->remote_service);
      break;
    case PROP_CONNECTABLE:
      g_value_set_object (value, priv->connectable);
      break;
    case PROP_BIND_ADDRESS:
      g_value_set_string (value, priv->bind_address);
      break;
    case PROP_BIND_PORT:
      g_value_set_uint (value, priv->bind_port);
      break;
    case PROP_FAMILY:
      g_value_set_enum (value, priv->family);
      break;
    case PROP_CONNECT_TIMEOUT:
      g_value_set_double (value, priv->connect_timeout);
      break;
    case PROP_FILTER:
      g_value_set_object (value, priv->filter);
      break;
    case PROP_TLS:
      g_value_set_boolean (value, priv->tls);
      break;
    case PROP_SHUTDOWN_ON_ERROR:
      g_value_set_boolean (value, priv->shutdown_on_error);
      break;
    case PROP_NAME:
      g_value_set_string (value, priv->name);
      break;
    case PROP_STATE:
      g_value_set_enum (value, priv->state);
      break;
    case PROP_STREAM:
      g_value_set_object (value, priv->stream);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tcpc_client_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  TcpcClient *self = TCPC_CLIENT (object);

  switch (prop_id)
    {
    case PROP_REMOTE_ADDRESS:
      tcpc_client_set_remote_address (self, g_value_get_string (value));
      break;
    case PROP_REMOTE_PORT:
      tcpc_client_set_remote_port (self, g_value_get_uint (value));
      break;
    case PROP_REMOTE_SERVICE:
      tcpc_client_set_remote_service (self, g_value_get_string (value));
      break;
    case PROP_CONNECTABLE:
      tcpc_client_set_connectable (self, g_value_get_object (value));
      break;
    case PROP_BIND_ADDRESS:
      tcpc_client_set_bind_address (self, g_value_get_string (value));
      break;
    case PROP_BIND_PORT:
      tcpc_client_set_bind_port (self, g_value_get_uint (value));
      break;
    case PROP_FAMILY:
      tcpc_client_set_family (self, g_value_get_enum (value));
      break;
    case PROP_CONNECT_TIMEOUT:
      tcpc_client_set_connect_timeout (self, g_value_get_double (value));
      break;
    case PROP_FILTER:
      tcpc_client_set_filter (self, g_value_get_object (value));
      break;
    case PROP_TLS:
      tcpc_client_set_tls (self, g_value_get_boolean (value));
      break;
    case PROP_SHUTDOWN_ON_ERROR:
      tcpc_client_set_shutdown_on_error (self, g_value_get_boolean (value));
      break;
    case PROP_NAME:
      tcpc_client_set_name (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tcpc_client_class_init (TcpcClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = tcpc_client_dispose;
  object_class->finalize = tcpc_client_finalize;
  object_class->get_property = tcpc_client_get_property;
  object_class->set_property = tcpc_client_set_property;

  klass->pre_connect = tcpc_client_real_pre_connect;
  klass->connect_error = tcpc_client_real_connect_error;
  klass->server_error = tcpc_client_real_server_error;

  /**
   * TcpcClient:remote-address:
   *
   * The host to connect to: a host name, an IPv4 or an IPv6 literal (POE's
   * RemoteAddress). Ignored when #TcpcClient:connectable is set.
   */
  properties[PROP_REMOTE_ADDRESS] =
    g_param_spec_string ("remote-address", "Remote address",
                         "The host name or address to connect to",
                         NULL, rw);

  /**
   * TcpcClient:remote-port:
   *
   * The port to connect to (POE's RemotePort as a number). Ignored when
   * #TcpcClient:remote-service or #TcpcClient:connectable is set.
   */
  properties[PROP_REMOTE_PORT] =
    g_param_spec_uint ("remote-port", "Remote port",
                       "The port to connect to",
                       0, G_MAXUINT16, 0, rw);

  /**
   * TcpcClient:remote-service:
   *
   * The port to connect to as a service name such as "http" (POE's
   * RemotePort given as a name), looked up in the local services database
   * (or a decimal port number). It overrides #TcpcClient:remote-port; an
   * unknown name is a #TcpcClient::connect-error with operation "resolve".
   */
  properties[PROP_REMOTE_SERVICE] =
    g_param_spec_string ("remote-service", "Remote service",
                         "The service name of the port to connect to",
                         NULL, rw);

  /**
   * TcpcClient:connectable:
   *
   * What to connect to, as any #GSocketConnectable (a #GInetSocketAddress,
   * a #GNetworkAddress, a #GUnixSocketAddress…). When set it overrides
   * #TcpcClient:remote-address, #TcpcClient:remote-port and
   * #TcpcClient:remote-service.
   */
  properties[PROP_CONNECTABLE] =
    g_param_spec_object ("connectable", "Connectable",
                         "What to connect to, overriding address and port",
                         G_TYPE_SOCKET_CONNECTABLE, rw);

  /**
   * TcpcClient:bind-address:
   *
   * The local address to bind to before connecting (POE's BindAddress):
   * an address literal or a host name, which is resolved first.
   */
  properties[PROP_BIND_ADDRESS] =
    g_param_spec_string ("bind-address", "Bind address",
                         "The local address to bind to",
                         NULL, rw);

  /**
   * TcpcClient:bind-port:
   *
   * The local port to bind to before connecting (POE's BindPort); 0 lets
   * the system choose. A port without #TcpcClient:bind-address binds to
   * the any-address of #TcpcClient:family (IPv4 unless it is IPv6).
   */
  properties[PROP_BIND_PORT] =
    g_param_spec_uint ("bind-port", "Bind port",
                       "The local port to bind to",
                       0, G_MAXUINT16, 0, rw);

  /**
   * TcpcClient:family:
   *
   * The address family to connect with (POE's Domain):
   * %G_SOCKET_FAMILY_IPV4, %G_SOCKET_FAMILY_IPV6, or the default
   * %G_SOCKET_FAMILY_INVALID for any, trying every address of the host.
   */
  properties[PROP_FAMILY] =
    g_param_spec_enum ("family", "Family",
                       "The address family to use",
                       G_TYPE_SOCKET_FAMILY, G_SOCKET_FAMILY_INVALID, rw);

  /**
   * TcpcClient:connect-timeout:
   *
   * How long a connection attempt may take, in seconds (fractions are
   * honoured); 0, the default, means no limit of the client's own. A
   * timeout is a #TcpcClient::connect-error with operation "connect" and
   * %G_IO_ERROR_TIMED_OUT. It covers name resolution, connecting and the
   * TLS handshake, and never applies to the established connection.
   */
  properties[PROP_CONNECT_TIMEOUT] =
    g_param_spec_double ("connect-timeout", "Connect timeout",
                         "Seconds a connection attempt may take, 0 for no limit",
                         0, G_MAXDOUBLE, 0, rw);

  /**
   * TcpcClient:filter:
   *
   * The prototype of the connection's filter (POE's Filter): every
   * connection works with its own tcpc_filter_clone() of it. Setting
   * %NULL restores the default, a new #TcpcLineFilter. Setting it while
   * connected switches the live connection too, see
   * tcpc_client_set_filter().
   */
  properties[PROP_FILTER] =
    g_param_spec_object ("filter", "Filter",
                         "The prototype filter, cloned for every connection",
                         TCPC_TYPE_FILTER, rw);

  /**
   * TcpcClient:tls:
   *
   * Whether to wrap the connection in TLS, with the server identity taken
   * from the remote address and full certificate validation.
   */
  properties[PROP_TLS] =
    g_param_spec_boolean ("tls", "TLS",
                          "Whether to use TLS",
                          FALSE, rw);

  /**
   * TcpcClient:shutdown-on-error:
   *
   * Whether a #TcpcClient::server-error ends the connection (the default,
   * as POE's heap member). When %FALSE the client stays connected after a
   * server error and the application decides what to do.
   */
  properties[PROP_SHUTDOWN_ON_ERROR] =
    g_param_spec_boolean ("shutdown-on-error", "Shutdown on error",
                          "Whether a server error ends the connection",
                          TRUE, rw);

  /**
   * TcpcClient:name:
   *
   * A name for the client, used in its log messages (POE's Alias).
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", "Name",
                         "The name used in log messages",
                         NULL, rw);

  /**
   * TcpcClient:state:
   *
   * The life-cycle state. Every change is notified.
   */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", "State",
                       "The life-cycle state",
                       TCPC_TYPE_CLIENT_STATE, TCPC_CLIENT_STATE_IDLE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * TcpcClient:stream:
   *
   * The stream of the current connection (POE's `server` heap member):
   * the one #TcpcClient::pre-connect chose, %NULL when not connected.
   */
  properties[PROP_STREAM] =
    g_param_spec_object ("stream", "Stream",
                         "The stream of the current connection",
                         G_TYPE_IO_STREAM,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TcpcClient::started:
   * @self: the client
   *
   * Emitted once per tcpc_client_start() (POE's Started), before the state
   * becomes %TCPC_CLIENT_STATE_CONNECTING.
   */
  signals[STARTED] =
    g_signal_new ("started",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (TcpcClientClass, started),
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 0);

  /**
   * TcpcClient::pre-connect:
   * @self: the client
   * @stream: the new connection's stream
   *
   * Emitted when the connection is established, before it is used (POE's
   * PreConnect). The first handler's return value is the stream the client
   * uses: @stream itself, or a stream wrapping it. Returning %NULL refuses
   * the connection: it is closed and #TcpcClient::connect-error is emitted
   * with operation "pre-connect" and %TCPC_CLIENT_ERROR_REFUSED. With no
   * handler @stream is used as it is.
   *
   * Returns: (transfer full) (nullable): the stream to use, or %NULL
   */
  signals[PRE_CONNECT] =
    g_signal_new ("pre-connect",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (TcpcClientClass, pre_connect),
                  g_signal_accumulator_first_wins, NULL,
                  _tcpc_marshal_OBJECT__OBJECT,
                  G_TYPE_IO_STREAM, 1,
                  G_TYPE_IO_STREAM);
  g_signal_set_va_marshaller (signals[PRE_CONNECT], G_TYPE_FROM_CLASS (klass),
                              _tcpc_marshal_OBJECT__OBJECTv);

  /**
   * TcpcClient::connected:
   * @self: the client
   * @stream: the connection's stream
   * @remote_address: (nullable): the address of the peer
   *
   * Emitted when a connection is established and ready (POE's Connected):
   * the state is %TCPC_CLIENT_STATE_CONNECTED and tcpc_client_put() works.
   */
  signals[CONNECTED] =
    g_signal_new ("connected",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (TcpcClientClass, connected),
                  NULL, NULL,
                  _tcpc_marshal_VOID__OBJECT_OBJECT,
                  G_TYPE_NONE, 2,
                  G_TYPE_IO_STREAM,
                  G_TYPE_SOCKET_ADDRESS);
  g_signal_set_va_marshaller (signals[CONNECTED], G_TYPE_FROM_CLASS (klass),
                              _tcpc_marshal_VOID__OBJECT_OBJECTv);

  /**
   * TcpcClient::connect-error:
   * @self: the client
   * @operation: the step that failed: "resolve", "bind", "connect",
   *   "tls", "proxy", "pre-connect" or "filter"
   * @error: what went wrong
   *
   * Emitted when a connection attempt fails (POE's ConnectError). A
   * connect timeout is reported with operation "connect" and
   * %G_IO_ERROR_TIMED_OUT. After the emission the client is
   * %TCPC_CLIENT_STATE_CLOSED, unless a handler called
   * tcpc_client_reconnect(), tcpc_client_reconnect_after() or
   * tcpc_client_connect_to(). When no handler is connected, the default
   * handler logs a message.
   */
  signals[CONNECT_ERROR] =
    g_signal_new ("connect-error",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (TcpcClientClass, connect_error),
                  NULL, NULL,
                  _tcpc_marshal_VOID__STRING_BOXED,
                  G_TYPE_NONE, 2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  g_signal_set_va_marshaller (signals[CONNECT_ERROR], G_TYPE_FROM_CLASS (klass),
                              _tcpc_marshal_VOID__STRING_BOXEDv);

  /**
   * TcpcClient::server-input:
   * @self: the client
   * @record: one record, as the filter parsed it (for the line filter, a
   *   line without its terminator)
   *
   * Emitted once per record received (POE's ServerInput). Never emitted
   * after tcpc_client_shutdown() was called, not even for records that
   * arrived with the same read.
   */
  signals[SERVER_INPUT] =
    g_signal_new ("server-input",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (TcpcClientClass, server_input),
                  NULL, NULL,
                  _tcpc_marshal_VOID__BOXED,
                  G_TYPE_NONE, 1,
                  G_TYPE_BYTES | G_SIGNAL_TYPE_STATIC_SCOPE);
  g_signal_set_va_marshaller (signals[SERVER_INPUT], G_TYPE_FROM_CLASS (klass),
                              _tcpc_marshal_VOID__BOXEDv);

  /**
   * TcpcClient::server-error:
   * @self: the client
   * @operation: "read" or "write"
   * @error: what went wrong: an I/O error, or a %TCPC_FILTER_ERROR for
   *   input the filter cannot parse
   *
   * Emitted for an error on an established connection (POE's
   * ServerError). A clean end of stream from the peer is not an error: it
   * ends the connection with #TcpcClient::disconnected. Unless
   * #TcpcClient:shutdown-on-error is %FALSE, the connection then ends:
   * after an I/O error at once, after a filter error once queued output is
   * written. When no handler is connected, the default handler logs a
   * message.
   */
  signals[SERVER_ERROR] =
    g_signal_new ("server-error",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (TcpcClientClass, server_error),
                  NULL, NULL,
                  _tcpc_marshal_VOID__STRING_BOXED,
                  G_TYPE_NONE, 2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  g_signal_set_va_marshaller (signals[SERVER_ERROR], G_TYPE_FROM_CLASS (klass),
                              _tcpc_marshal_VOID__STRING_BOXEDv);

  /**
   * TcpcClient::flushed:
   * @self: the client
   *
   * Emitted each time all queued output has been written (POE's
   * ServerFlushed); never when nothing was written.
   */
  signals[FLUSHED] =
    g_signal_new ("flushed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (TcpcClientClass, flushed),
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 0);

  /**
   * TcpcClient::disconnected:
   * @self: the client
   *
   * Emitted exactly once for every established connection that ends, by
   * tcpc_client_shutdown(), by the peer or by an error (POE's
   * Disconnected); never for a connection that tcpc_client_reconnect() or
   * tcpc_client_connect_to() replaced. The connection is already closed
   * and #TcpcClient:stream is %NULL; during the emission the state is
   * %TCPC_CLIENT_STATE_SHUTTING_DOWN, so tcpc_client_is_connected() is
   * %FALSE. After the emission the client is %TCPC_CLIENT_STATE_CLOSED
   * unless a handler asked for a reconnect: the state then goes straight
   * to %TCPC_CLIENT_STATE_CONNECTING. A clean end of stream from the peer
   * ends the connection the same way, after writing any queued output.
   */
  signals[DISCONNECTED] =
    g_signal_new ("disconnected",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (TcpcClientClass, disconnected),
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 0);
}

static void
tcpc_client_init (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  priv->context = g_main_context_ref_thread_default ();
  priv->id = (guint) g_atomic_int_add (&last_client_id, 1) + 1;
  priv->shutdown_on_error = TRUE;
  priv->family = G_SOCKET_FAMILY_INVALID;
  priv->state = TCPC_CLIENT_STATE_IDLE;
  priv->filter = TCPC_FILTER (tcpc_line_filter_new ());
}
