/* tcpc-client.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "tcpc-client.h"
#include "tcpc-connector-private.h"
#include "tcpc-enum-types.h"
#include "tcpc-filter-private.h"
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
 *
 * One exception comes from GLib: a signal emission holds a reference of
 * its own while it runs. A last reference dropped in a handler that runs
 * within another handler of the client (a #GObject::notify handler
 * reached from a #TcpcClient::server-input handler that called
 * tcpc_client_shutdown(), say) is therefore not seen as the last one until
 * the outer emission returns, and the step under way may still emit its
 * signals meanwhile. Dropped from a handler called by the main loop, it
 * is seen at once.
 */

/**
 * TcpcClient:
 *
 * A TCP client driven by signals. The instance structure is opaque: use
 * the functions and properties below.
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
  guint               enable_proxy : 1;
  guint               keepalive : 1;
  guint               no_delay : 1;
  guint               auto_reconnect : 1;
  GTlsDatabase       *tls_database;
  char               *proxy_uri;
  GIOStream          *existing_stream;  /* tcpc_client_new_for_stream() */
  GNetworkMonitor    *network_monitor;
  gulong              network_changed_id;
  double              idle_timeout;
  double              shutdown_timeout;
  guint               keepalive_idle;
  guint               keepalive_interval;
  guint               keepalive_count;
  guint               high_water_mark;
  guint               low_water_mark;
  double              reconnect_delay;
  double              reconnect_multiplier;
  double              reconnect_max_delay;
  double              reconnect_jitter;
  double              reconnect_stable_time;
  guint               reconnect_max_attempts;

  TcpcClientState     state;

  /* Bumped whenever what the client is doing changes (a new attempt, a
   * connection replaced or stopped): code that ran a signal emission
   * compares it to know whether a handler took over. */
  guint               generation;
  guint               holds;       /* references the client holds on itself */
  guint               ending : 1;  /* inside connect-error or disconnected */
  guint               starting : 1;  /* inside started */
  guint               disposed : 1;
  guint               user_stopped : 1;         /* shutdown() called: no auto reconnect */
  guint               existing_stream_used : 1;

  /* reconnect policy */
  guint               reconnect_attempt;
  guint               next_retry;
  gint64              retry_deadline;           /* monotonic, 0 when none */
  GSource            *countdown;
  GSource            *stable_timer;

  Attempt            *attempt;
  TcpcFilter         *attempt_filter;
  GSource            *pending;     /* a scheduled attempt, or an early error */
  guint               pending_is_retry : 1;
  guint               waiting_for_network : 1;  /* a retry held while offline */
  char               *pending_operation;
  GError             *pending_error;

  /* the connection */
  GIOStream          *stream;
  TcpcReader         *reader;
  TcpcWriter         *writer;
  GSource            *idle_timer;
  GSource            *flush_timer;
  gint64              flush_progress;  /* when the flushing shutdown last wrote */
  gint64              last_input;               /* monotonic */
  guint               writable : 1;
  guint               input_paused : 1;
  guint               output_shut : 1;          /* shutdown_output() asked */
  guint               output_closed : 1;
  GQueue              flushes;                  /* GTask, oldest first */
  GTask              *tls_upgrade;              /* start_tls_async() in progress */
  GSource            *tls_wait;    /* its cancellable, while output is written first */

  /* about the current or last connection */
  GTlsCertificate    *peer_certificate;
  GTlsCertificateFlags peer_certificate_errors;
  guint64             bytes_sent;
  guint64             bytes_received;
  guint64             records_sent;
  guint64             records_received;
  gint64              connected_since;
  gint64              connected_at;             /* monotonic */

  /* tcpc_client_set_input_func(): records go here instead of server-input */
  TcpcClientInputFunc input_func;
  gpointer            input_data;
  GDestroyNotify      input_destroy;
  guint               in_input_func;            /* calls in progress */
  GArray             *input_destroys;           /* DeferredDestroy, while in_input_func */
} TcpcClientPrivate;

typedef struct
{
  GDestroyNotify destroy;
  gpointer       data;
} DeferredDestroy;

G_DEFINE_TYPE_WITH_PRIVATE (TcpcClient, tcpc_client, G_TYPE_OBJECT)

/**
 * tcpc_client_error_quark:
 *
 * The error domain of client errors; use %TCPC_CLIENT_ERROR.
 *
 * Returns: the #GQuark of the domain
 */
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
  PROP_EXISTING_STREAM,
  PROP_TLS_DATABASE,
  PROP_PEER_CERTIFICATE,
  PROP_PEER_CERTIFICATE_ERRORS,
  PROP_PROXY_URI,
  PROP_ENABLE_PROXY,
  PROP_AUTO_RECONNECT,
  PROP_RECONNECT_DELAY,
  PROP_RECONNECT_MULTIPLIER,
  PROP_RECONNECT_MAX_DELAY,
  PROP_RECONNECT_JITTER,
  PROP_RECONNECT_MAX_ATTEMPTS,
  PROP_RECONNECT_STABLE_TIME,
  PROP_RECONNECT_ATTEMPT,
  PROP_NEXT_RETRY,
  PROP_IDLE_TIMEOUT,
  PROP_SHUTDOWN_TIMEOUT,
  PROP_KEEPALIVE,
  PROP_KEEPALIVE_IDLE,
  PROP_KEEPALIVE_INTERVAL,
  PROP_KEEPALIVE_COUNT,
  PROP_NO_DELAY,
  PROP_OUTPUT_HIGH_WATER_MARK,
  PROP_OUTPUT_LOW_WATER_MARK,
  PROP_WRITABLE,
  PROP_PENDING_OUTPUT_BYTES,
  PROP_BYTES_SENT,
  PROP_BYTES_RECEIVED,
  PROP_RECORDS_SENT,
  PROP_RECORDS_RECEIVED,
  PROP_CONNECTED_SINCE,
  PROP_NETWORK_MONITOR,
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
  ACCEPT_CERTIFICATE,
  CONNECT_PROGRESS,
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

static void
tcpc_client_notify (TcpcClient *self,
                    guint       prop)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  if (!priv->disposed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
destroy_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static GSource *
attach_timeout (TcpcClient  *self,
                double       seconds,
                const char  *name,
                GSourceFunc  callback)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  GSource *source;
  guint ms = (guint) MIN (ceil (seconds * 1000.0), (double) G_MAXUINT);

  source = g_timeout_source_new (ms);
  g_source_set_static_name (source, name);
  g_source_set_callback (source, callback, self, NULL);
  g_source_attach (source, priv->context);

  return source;
}

/* The client holds itself while it runs code that emits signals or
 * notifications: a handler may drop the last reference, and the code must
 * still be able to finish (disposal then happens at the release). */
static void
tcpc_client_hold (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  priv->holds++;
  g_object_ref (self);
}

static void
tcpc_client_release (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  priv->holds--;
  g_object_unref (self);
}

/* Whether anybody besides the client's own holds still has a reference.
 * A client whose last user reference went away emits nothing more. */
static gboolean
tcpc_client_is_wanted (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  /* a plain cast: this runs for every record */
  return !priv->disposed && g_atomic_int_get (&((GObject *) self)->ref_count) > (gint) priv->holds;
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

  destroy_source (&priv->pending);
  priv->pending_is_retry = FALSE;
  priv->waiting_for_network = FALSE;
  g_clear_pointer (&priv->pending_operation, g_free);
  g_clear_error (&priv->pending_error);

  destroy_source (&priv->countdown);
  priv->retry_deadline = 0;
  if (priv->next_retry != 0)
    {
      priv->next_retry = 0;
      tcpc_client_notify (self, PROP_NEXT_RETRY);
    }
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

/* A pending tcpc_client_flush_async(): the task's data. */
typedef struct
{
  guint64  target;         /* bytes_sent once the output is written */
  GSource *cancel_source;  /* completes the task when it is cancelled */
} FlushWait;

static void
flush_wait_free (FlushWait *wait)
{
  if (wait->cancel_source != NULL)
    {
      g_source_destroy (wait->cancel_source);
      g_source_unref (wait->cancel_source);
    }
  g_free (wait);
}

/* Takes the pending flush @task out of the queue: it no longer reacts to
 * its cancellable, and the caller returns it. */
static GTask *
tcpc_client_take_flush (TcpcClient *self,
                        GList      *link)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  GTask *task = link->data;
  FlushWait *wait = g_task_get_task_data (task);

  g_queue_delete_link (&priv->flushes, link);
  if (wait->cancel_source != NULL)
    g_source_destroy (wait->cancel_source);

  return task;
}

static void
tcpc_client_fail_flushes (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  while (!g_queue_is_empty (&priv->flushes))
    {
      GTask *task = tcpc_client_take_flush (self, priv->flushes.head);

      g_task_return_new_error (task, TCPC_CLIENT_ERROR, TCPC_CLIENT_ERROR_NOT_CONNECTED,
                               "The connection ended before its output was written");
      g_object_unref (task);
    }
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
  destroy_source (&priv->idle_timer);
  destroy_source (&priv->flush_timer);
  destroy_source (&priv->stable_timer);
  tcpc_client_fail_flushes (self);
  destroy_source (&priv->tls_wait);
  if (priv->tls_upgrade != NULL)
    {
      GTask *task = g_steal_pointer (&priv->tls_upgrade);

      g_task_return_new_error (task, TCPC_CLIENT_ERROR, TCPC_CLIENT_ERROR_NOT_CONNECTED,
                               "The connection ended before TLS was started");
      g_object_unref (task);
    }
  priv->input_paused = FALSE;
  priv->output_shut = FALSE;
  priv->output_closed = FALSE;

  close_stream (priv->stream);
  g_clear_object (&priv->stream);

  tcpc_client_notify (self, PROP_STREAM);
  if (!priv->writable)
    {
      priv->writable = TRUE;
      tcpc_client_notify (self, PROP_WRITABLE);
    }
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
/* scheduled attempts and the reconnect policy                          */

static gboolean
countdown_cb (gpointer user_data)
{
  TcpcClient *self = user_data;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  gint64 left = priv->retry_deadline - g_get_monotonic_time ();
  guint seconds = left > 0 ? (guint) ((left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC) : 0;

  if (seconds != priv->next_retry)
    {
      priv->next_retry = seconds;
      tcpc_client_notify (self, PROP_NEXT_RETRY);
    }

  return G_SOURCE_CONTINUE;
}

static gboolean
reconnect_timer_cb (gpointer user_data)
{
  TcpcClient *self = user_data;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_clear_pointer (&priv->pending, g_source_unref);
  tcpc_client_hold (self);
  tcpc_client_begin_attempt (self);
  tcpc_client_release (self);

  return G_SOURCE_REMOVE;
}

/* The next attempt starts after @seconds; meanwhile the state is
 * CONNECTING and next-retry counts down. */
static void
tcpc_client_schedule_attempt (TcpcClient *self,
                              double      seconds)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  guint generation = priv->generation;

  tcpc_client_clear_pending (self);
  priv->ending = FALSE;
  tcpc_client_set_state (self, TCPC_CLIENT_STATE_CONNECTING);
  /* a handler of the state dropped the client, or shut it down or
   * restarted it itself */
  if (!tcpc_client_is_wanted (self) || priv->generation != generation)
    return;

  priv->pending = attach_timeout (self, seconds, "[tcpclient] reconnect", reconnect_timer_cb);
  priv->pending_is_retry = TRUE;
  priv->retry_deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  priv->countdown = g_timeout_source_new (200);
  g_source_set_static_name (priv->countdown, "[tcpclient] retry countdown");
  g_source_set_callback (priv->countdown, countdown_cb, self, NULL);
  g_source_attach (priv->countdown, priv->context);
  countdown_cb (self);
}

/* The delay before retry number reconnect-attempt: exponential, with
 * jitter, then capped, never negative. */
static double
tcpc_client_backoff (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  guint steps = priv->reconnect_attempt > 0 ? priv->reconnect_attempt - 1 : 0;
  double delay = priv->reconnect_delay * pow (priv->reconnect_multiplier, MIN (steps, 1000));

  if (priv->reconnect_jitter > 0)
    delay *= 1.0 + g_random_double_range (-priv->reconnect_jitter, priv->reconnect_jitter);

  if (!(delay >= 0))  /* also catches NaN */
    delay = 0;

  return MIN (delay, priv->reconnect_max_delay);
}

static void
tcpc_client_set_reconnect_attempt (TcpcClient *self,
                                   guint       attempt)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  if (priv->reconnect_attempt != attempt)
    {
      priv->reconnect_attempt = attempt;
      tcpc_client_notify (self, PROP_RECONNECT_ATTEMPT);
    }
}

/* After connect-error or disconnected that no handler answered: CLOSED,
 * or, with auto-reconnect, the next attempt after a back-off. */
static void
tcpc_client_closed_or_retry (TcpcClient *self,
                             gboolean    failure,
                             gboolean    permanent)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  if (!priv->auto_reconnect || priv->user_stopped || permanent ||
      priv->existing_stream != NULL)
    {
      tcpc_client_set_state (self, TCPC_CLIENT_STATE_CLOSED);
      return;
    }

  tcpc_client_set_reconnect_attempt (self, failure ? priv->reconnect_attempt + 1 : 0);

  if (priv->reconnect_max_attempts > 0 &&
      priv->reconnect_attempt >= priv->reconnect_max_attempts)
    {
      tcpc_client_set_state (self, TCPC_CLIENT_STATE_CLOSED);
      return;
    }

  if (priv->network_monitor != NULL &&
      !g_network_monitor_get_network_available (priv->network_monitor))
    {
      /* offline: no point in trying until the network is back */
      tcpc_client_clear_pending (self);
      priv->ending = FALSE;
      tcpc_client_set_state (self, TCPC_CLIENT_STATE_CONNECTING);
      priv->waiting_for_network = TRUE;
      return;
    }

  tcpc_client_schedule_attempt (self, tcpc_client_backoff (self));
}

/* The network came back: a retry that waits (held while offline, or in
 * its back-off) starts at once. */
static void
network_changed_cb (GNetworkMonitor *monitor,
                    gboolean         available,
                    gpointer         user_data)
{
  TcpcClient *self = user_data;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  if (available && (priv->waiting_for_network || priv->pending_is_retry) &&
      priv->attempt == NULL)
    {
      tcpc_client_hold (self);
      tcpc_client_begin_attempt (self);
      tcpc_client_release (self);
    }
}

static void
tcpc_client_set_network_monitor (TcpcClient      *self,
                                 GNetworkMonitor *monitor)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  if (priv->network_monitor == monitor)
    return;

  g_clear_signal_handler (&priv->network_changed_id, priv->network_monitor);
  g_set_object (&priv->network_monitor, monitor);
  if (monitor != NULL)
    priv->network_changed_id = g_signal_connect_object (monitor, "network-changed",
                                                        G_CALLBACK (network_changed_cb),
                                                        self, 0);
  tcpc_client_notify (self, PROP_NETWORK_MONITOR);
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

  tcpc_client_hold (self);

  g_clear_object (&priv->attempt_filter);
  generation = ++priv->generation;
  priv->ending = TRUE;
  if (tcpc_client_is_wanted (self))
    g_signal_emit (self, signals[CONNECT_ERROR], 0, operation, error);
  priv->ending = FALSE;

  if (tcpc_client_is_wanted (self) && priv->generation == generation)
    {
      /* Errors that another attempt cannot mend are not retried. */
      gboolean permanent = g_str_equal (operation, "filter") ||
                           g_str_equal (operation, "pre-connect") ||
                           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT) ||
                           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);

      tcpc_client_closed_or_retry (self, TRUE, permanent);
    }

  tcpc_client_release (self);
}

/* The connection ended: close it, emit disconnected, then CLOSED unless
 * a handler reconnected. */
static void
tcpc_client_finish_disconnect (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  guint generation = priv->generation;

  tcpc_client_hold (self);

  tcpc_client_set_state (self, TCPC_CLIENT_STATE_SHUTTING_DOWN);
  /* a handler of the state replaced the connection (no disconnected for
   * it then) or dropped the client */
  if (!tcpc_client_is_wanted (self) || priv->generation != generation)
    {
      tcpc_client_release (self);
      return;
    }
  tcpc_client_close_connection (self, TRUE);

  generation = ++priv->generation;
  priv->ending = TRUE;
  if (tcpc_client_is_wanted (self))
    g_signal_emit (self, signals[DISCONNECTED], 0);
  priv->ending = FALSE;

  if (tcpc_client_is_wanted (self) && priv->generation == generation)
    {
      /* a connection that did not stay up counts as a failed attempt */
      gboolean stable = g_get_monotonic_time () - priv->connected_at >=
                        (gint64) (priv->reconnect_stable_time * G_USEC_PER_SEC);

      tcpc_client_closed_or_retry (self, !stable, FALSE);
    }

  tcpc_client_release (self);
}

static void tcpc_client_server_error (TcpcClient   *self,
                                      const char   *operation,
                                      const GError *error,
                                      gboolean      connection_broken);

/* A peer that stops reading cannot hold a closing client forever; one
 * that reads, however slowly, gets every byte. */
static gboolean
flush_timeout_cb (gpointer user_data)
{
  TcpcClient *self = user_data;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  g_autoptr(GError) error = NULL;
  gint64 deadline = priv->flush_progress +
                    (gint64) (priv->shutdown_timeout * G_USEC_PER_SEC);
  gint64 now = g_get_monotonic_time ();

  g_clear_pointer (&priv->flush_timer, g_source_unref);
  if (deadline > now)
    {
      /* output went out meanwhile: wait from then on */
      priv->flush_timer = attach_timeout (self, (deadline - now) / (double) G_USEC_PER_SEC,
                                          "[tcpclient] shutdown timeout", flush_timeout_cb);
      return G_SOURCE_REMOVE;
    }

  error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "Shutdown timed out: nothing written for %g seconds, with "
                       "%" G_GSIZE_FORMAT " bytes unsent",
                       priv->shutdown_timeout, _tcpc_writer_get_pending (priv->writer));
  tcpc_client_server_error (self, "write", error, TRUE);

  return G_SOURCE_REMOVE;
}

/* Ends the connection after its output is written. */
static void
tcpc_client_begin_shutdown (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  guint generation = priv->generation;

  tcpc_client_set_state (self, TCPC_CLIENT_STATE_SHUTTING_DOWN);
  /* a handler of the state replaced the connection or dropped the client */
  if (!tcpc_client_is_wanted (self) || priv->generation != generation)
    return;
  destroy_source (&priv->idle_timer);
  if (priv->reader != NULL)
    {
      /* input is read and dropped, so that the close is clean */
      _tcpc_reader_set_discard (priv->reader, TRUE);
      _tcpc_reader_set_paused (priv->reader, FALSE);
    }

  if (priv->writer != NULL &&
      _tcpc_writer_get_pending (priv->writer) > 0 &&
      !_tcpc_writer_has_failed (priv->writer) &&
      !priv->output_closed)
    {
      /* writer_flushed_cb, writer_error_cb or the deadline finishes */
      if (priv->shutdown_timeout > 0 && priv->flush_timer == NULL)
        {
          priv->flush_progress = g_get_monotonic_time ();
          priv->flush_timer = attach_timeout (self, priv->shutdown_timeout,
                                              "[tcpclient] shutdown timeout", flush_timeout_cb);
        }
      return;
    }

  tcpc_client_finish_disconnect (self);
}

/* ------------------------------------------------------------------ */
/* reader and writer callbacks                                          */

/* The destroy notifies of input functions replaced from inside a call:
 * a binding frees the function itself there, so they wait for the call
 * to return. */
static void
tcpc_client_destroy_input_data (TcpcClient     *self,
                                GDestroyNotify  destroy,
                                gpointer        data)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  DeferredDestroy deferred = { destroy, data };

  if (destroy == NULL)
    return;

  if (priv->in_input_func == 0)
    {
      destroy (data);
      return;
    }

  if (priv->input_destroys == NULL)
    priv->input_destroys = g_array_new (FALSE, FALSE, sizeof (DeferredDestroy));
  g_array_append_val (priv->input_destroys, deferred);
}

static void
tcpc_client_run_input_destroys (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  GArray *destroys = g_steal_pointer (&priv->input_destroys);
  guint i;

  for (i = 0; i < destroys->len; i++)
    {
      DeferredDestroy *deferred = &g_array_index (destroys, DeferredDestroy, i);

      deferred->destroy (deferred->data);
    }
  g_array_unref (destroys);
}

static void
reader_record_cb (gpointer  owner,
                  GBytes   *record)
{
  TcpcClient *self = owner;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  /* The reader holds the client around its deliveries (reader_batch_cb):
   * a client whose last user reference went away takes no more records. */
  if (priv->state == TCPC_CLIENT_STATE_CONNECTED && tcpc_client_is_wanted (self))
    {
      priv->records_received++;
      if (priv->input_func != NULL)
        {
          priv->in_input_func++;
          priv->input_func (self, record, priv->input_data);
          if (--priv->in_input_func == 0 && priv->input_destroys != NULL)
            tcpc_client_run_input_destroys (self);
        }
      else
        g_signal_emit (self, signals[SERVER_INPUT], 0, record);
    }
}

/* One hold for every run of deliveries rather than one reference per
 * record: a handler or input function may drop the last reference, and
 * the client is disposed of when the run ends. */
static void
reader_batch_cb (gpointer owner,
                 gboolean begin)
{
  TcpcClient *self = owner;

  if (begin)
    tcpc_client_hold (self);
  else
    tcpc_client_release (self);
}

static void
reader_data_cb (gpointer owner,
                gsize    size)
{
  TcpcClient *self = owner;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  priv->bytes_received += size;
  if (priv->idle_timer != NULL)
    priv->last_input = g_get_monotonic_time ();
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

  tcpc_client_hold (self);

  if (tcpc_client_is_wanted (self))
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

  tcpc_client_release (self);
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
    {
      tcpc_client_hold (self);
      tcpc_client_begin_shutdown (self);
      tcpc_client_release (self);
    }
}

/* Half-close: the peer sees the end of our stream, we keep reading. */
static void
tcpc_client_close_output (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  GIOStream *stream = priv->stream;

  priv->output_closed = TRUE;
  _tcpc_writer_close (priv->writer);

  if (G_IS_SOCKET_CONNECTION (stream) && !G_IS_TCP_WRAPPER_CONNECTION (stream))
    g_socket_shutdown (g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream)),
                       FALSE, TRUE, NULL);
  else
    g_output_stream_close_async (g_io_stream_get_output_stream (stream), G_PRIORITY_DEFAULT,
                                 NULL, NULL, NULL);
}

static void tcpc_client_handshake (TcpcClient *self);

static void
writer_flushed_cb (gpointer owner)
{
  TcpcClient *self = owner;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  guint generation = priv->generation;

  tcpc_client_hold (self);

  if (tcpc_client_is_wanted (self))
    g_signal_emit (self, signals[FLUSHED], 0);

  if (tcpc_client_is_wanted (self) &&
      priv->generation == generation &&
      priv->writer != NULL &&
      _tcpc_writer_get_pending (priv->writer) == 0)
    {
      if (priv->state == TCPC_CLIENT_STATE_SHUTTING_DOWN)
        tcpc_client_finish_disconnect (self);
      else if (priv->output_shut && !priv->output_closed)
        tcpc_client_close_output (self);
      else if (priv->tls_upgrade != NULL)
        tcpc_client_handshake (self);
    }

  tcpc_client_release (self);
}

static void
writer_written_cb (gpointer owner,
                   gsize    size)
{
  TcpcClient *self = owner;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  /* a flush's callback may drop the last reference */
  tcpc_client_hold (self);

  priv->bytes_sent += size;
  if (priv->flush_timer != NULL)
    priv->flush_progress = g_get_monotonic_time ();
  while (!g_queue_is_empty (&priv->flushes))
    {
      GTask *task = g_queue_peek_head (&priv->flushes);
      FlushWait *wait = g_task_get_task_data (task);

      if (wait->target > priv->bytes_sent)
        break;
      tcpc_client_take_flush (self, priv->flushes.head);
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }

  if (!priv->writable && priv->writer != NULL &&
      _tcpc_writer_get_pending (priv->writer) <= priv->low_water_mark)
    {
      priv->writable = TRUE;
      tcpc_client_notify (self, PROP_WRITABLE);
    }

  tcpc_client_release (self);
}

static void
writer_error_cb (gpointer      owner,
                 const GError *error)
{
  TcpcClient *self = owner;

  tcpc_client_server_error (self, "write", error, TRUE);
}

/* Answers put by the handlers of this read go out now, in one write. */
static void
reader_done_cb (gpointer owner)
{
  TcpcClient *self = owner;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  if (priv->writer != NULL)
    _tcpc_writer_flush_now (priv->writer);
}

static const TcpcReaderCallbacks reader_callbacks = {
  reader_record_cb,
  reader_error_cb,
  reader_eof_cb,
  reader_data_cb,
  reader_done_cb,
  reader_batch_cb,
};

static const TcpcWriterCallbacks writer_callbacks = {
  writer_written_cb,
  writer_flushed_cb,
  writer_error_cb,
};

/* ------------------------------------------------------------------ */
/* connecting                                                           */

static GTlsConnection *
find_tls_connection (GIOStream *stream)
{
  if (G_IS_TCP_WRAPPER_CONNECTION (stream))
    stream = g_tcp_wrapper_connection_get_base_io_stream (G_TCP_WRAPPER_CONNECTION (stream));

  return G_IS_TLS_CONNECTION (stream) ? G_TLS_CONNECTION (stream) : NULL;
}

/* No input for idle-timeout seconds: a server error. The timer is not
 * reset per read; it looks at the time of the last input when it fires. */
static gboolean
idle_timeout_cb (gpointer user_data)
{
  TcpcClient *self = user_data;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  gint64 period = (gint64) (priv->idle_timeout * G_USEC_PER_SEC);
  gint64 quiet = g_get_monotonic_time () - priv->last_input;
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&priv->idle_timer, g_source_unref);

  if (quiet < period || priv->input_paused)
    {
      double left = priv->input_paused ? priv->idle_timeout
                                       : (double) (period - quiet) / G_USEC_PER_SEC;

      priv->idle_timer = attach_timeout (self, left, "[tcpclient] idle timeout", idle_timeout_cb);
      return G_SOURCE_REMOVE;
    }

  /* With shutdown-on-error off, the next period starts now. */
  priv->last_input = g_get_monotonic_time ();
  priv->idle_timer = attach_timeout (self, priv->idle_timeout, "[tcpclient] idle timeout",
                                     idle_timeout_cb);

  error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "No input from the server for %g seconds", priv->idle_timeout);
  tcpc_client_server_error (self, "read", error, FALSE);

  return G_SOURCE_REMOVE;
}

/* The connection stayed up: the back-off starts from the beginning. */
static gboolean
stable_cb (gpointer user_data)
{
  TcpcClient *self = user_data;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_clear_pointer (&priv->stable_timer, g_source_unref);
  tcpc_client_set_reconnect_attempt (self, 0);

  return G_SOURCE_REMOVE;
}

static void
apply_socket_options (TcpcClient *self,
                      GIOStream  *stream)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  GSocket *socket;
  GSocketFamily family;

  /* (with TLS, the wrapper GSocketClient returns has the socket too) */
  if (!G_IS_SOCKET_CONNECTION (stream))
    return;

  socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
  family = g_socket_get_family (socket);
  if (family != G_SOCKET_FAMILY_IPV4 && family != G_SOCKET_FAMILY_IPV6)
    return;

  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, priv->no_delay, NULL);
  g_socket_set_keepalive (socket, priv->keepalive);
  if (priv->keepalive)
    {
#ifdef TCP_KEEPIDLE
      g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPIDLE, MAX (priv->keepalive_idle, 1), NULL);
#endif
#ifdef TCP_KEEPINTVL
      g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPINTVL, MAX (priv->keepalive_interval, 1), NULL);
#endif
#ifdef TCP_KEEPCNT
      g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPCNT, MAX (priv->keepalive_count, 1), NULL);
#endif
    }
}

static void
tcpc_client_establish (TcpcClient     *self,
                       GIOStream      *stream,
                       GSocketAddress *remote)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  g_autoptr(TcpcFilter) filter = g_steal_pointer (&priv->attempt_filter);
  guint generation;

  GTlsConnection *tls;

  priv->stream = g_object_ref (stream);
  priv->reader = _tcpc_reader_new (g_io_stream_get_input_stream (stream),
                                   G_IS_SOCKET_CONNECTION (stream) &&
                                   !G_IS_TCP_WRAPPER_CONNECTION (stream)
                                     ? g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream))
                                     : NULL,
                                   filter, priv->context, &reader_callbacks, self);
  priv->writer = _tcpc_writer_new (g_io_stream_get_output_stream (stream),
                                   priv->context, &writer_callbacks, self);

  priv->bytes_sent = priv->bytes_received = 0;
  priv->records_sent = priv->records_received = 0;
  priv->connected_since = g_get_real_time ();
  priv->connected_at = g_get_monotonic_time ();
  priv->last_input = priv->connected_at;
  priv->writable = TRUE;

  g_clear_object (&priv->peer_certificate);
  priv->peer_certificate_errors = 0;
  tls = find_tls_connection (stream);
  if (tls != NULL)
    {
      g_set_object (&priv->peer_certificate, g_tls_connection_get_peer_certificate (tls));
      priv->peer_certificate_errors = g_tls_connection_get_peer_certificate_errors (tls);
    }

  if (priv->idle_timeout > 0)
    priv->idle_timer = attach_timeout (self, priv->idle_timeout, "[tcpclient] idle timeout",
                                       idle_timeout_cb);
  if (priv->reconnect_attempt > 0)
    priv->stable_timer = attach_timeout (self, priv->reconnect_stable_time,
                                         "[tcpclient] stable connection", stable_cb);

  tcpc_client_hold (self);

  generation = ++priv->generation;
  g_object_freeze_notify (G_OBJECT (self));
  tcpc_client_set_state (self, TCPC_CLIENT_STATE_CONNECTED);
  tcpc_client_notify (self, PROP_STREAM);
  tcpc_client_notify (self, PROP_PEER_CERTIFICATE);
  tcpc_client_notify (self, PROP_PEER_CERTIFICATE_ERRORS);
  g_object_thaw_notify (G_OBJECT (self));
  /* not for a connection that a handler of those notifications ended */
  if (tcpc_client_is_wanted (self) &&
      priv->generation == generation &&
      priv->state == TCPC_CLIENT_STATE_CONNECTED)
    g_signal_emit (self, signals[CONNECTED], 0, stream, remote);

  if (tcpc_client_is_wanted (self) &&
      priv->generation == generation &&
      priv->state == TCPC_CLIENT_STATE_CONNECTED)
    _tcpc_reader_start (priv->reader);

  tcpc_client_release (self);
}

static void tcpc_client_connection_made (TcpcClient *self,
                                         GIOStream  *stream);

static void
connect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Attempt *attempt = user_data;
  TcpcClient *self = attempt->client;
  TcpcClientPrivate *priv;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  const char *operation = NULL;

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

  apply_socket_options (self, stream);
  tcpc_client_connection_made (self, stream);
}

/* A stream to talk over: pre-connect, then connected. */
static void
tcpc_client_connection_made (TcpcClient *self,
                             GIOStream  *stream)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  g_autoptr(GIOStream) chosen = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  guint generation;

  if (G_IS_SOCKET_CONNECTION (stream))
    remote = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION (stream), NULL);

  tcpc_client_hold (self);

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

  tcpc_client_release (self);
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

/* Like tcpc_filter_clone(), but a filter (maybe written in Python or
 * JavaScript) whose clone returns nothing is an error, not a critical. */
static TcpcFilter *
clone_filter (TcpcFilter  *filter,
              GError     **error)
{
  TcpcFilter *clone = TCPC_FILTER_GET_IFACE (filter)->clone (filter);

  if (clone != NULL && TCPC_IS_FILTER (clone))
    return clone;

  g_clear_object (&clone);
  g_set_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS,
               "The %s filter's clone method returned no filter",
               G_OBJECT_TYPE_NAME (filter));
  return NULL;
}

/* The filter of a connection about to be made, checked before connecting:
 * fed nothing, an invalid filter refuses (and a valid one is left as it
 * was). */
static TcpcFilter *
clone_checked_filter (TcpcFilter  *filter,
                      GError     **error)
{
  g_autoptr(TcpcFilter) clone = clone_filter (filter, error);
  g_autoptr(GBytes) nothing = NULL;
  GError *local_error = NULL;

  if (clone == NULL)
    return NULL;

  nothing = g_bytes_new_static ("", 0);
  if (!tcpc_filter_feed (clone, nothing, &local_error))
    {
      if (local_error == NULL)
        local_error = g_error_new_literal (TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS,
                                           "The filter refused to start");
      g_propagate_error (error, local_error);
      return NULL;
    }
  g_clear_error (&local_error);

  return g_steal_pointer (&clone);
}

static gboolean
existing_stream_cb (gpointer user_data)
{
  TcpcClient *self = user_data;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_clear_pointer (&priv->pending, g_source_unref);
  /* taken now: an attempt called off before this leaves it for the next */
  priv->existing_stream_used = TRUE;
  tcpc_client_connection_made (self, priv->existing_stream);

  return G_SOURCE_REMOVE;
}

static void
attempt_progress_cb (gpointer            owner,
                     GSocketClientEvent  event,
                     GSocketConnectable *connectable,
                     GIOStream          *connection)
{
  Attempt *attempt = owner;
  TcpcClient *self = attempt->client;

  /* nothing once the last reference is gone, even while it is held */
  if (self == NULL || !tcpc_client_is_wanted (self))
    return;

  tcpc_client_hold (self);
  g_signal_emit (self, signals[CONNECT_PROGRESS], 0, event, connectable, connection);
  tcpc_client_release (self);
}

static gboolean
attempt_accept_certificate_cb (gpointer             owner,
                               GTlsCertificate     *certificate,
                               GTlsCertificateFlags errors)
{
  Attempt *attempt = owner;
  TcpcClient *self = attempt->client;
  gboolean accepted = FALSE;

  if (self == NULL || !tcpc_client_is_wanted (self))
    return FALSE;

  tcpc_client_hold (self);
  g_signal_emit (self, signals[ACCEPT_CERTIFICATE], 0, certificate, errors, &accepted);
  tcpc_client_release (self);

  return accepted;
}

static void
tcpc_client_begin_attempt (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  TcpcConnectOptions options = { 0 };
  GError *error = NULL;
  Attempt *attempt;
  guint generation;

  tcpc_client_abandon_attempt (self);
  generation = ++priv->generation;
  priv->ending = FALSE;
  tcpc_client_set_state (self, TCPC_CLIENT_STATE_CONNECTING);
  /* a handler of the state dropped the client, or shut it down or
   * restarted it itself */
  if (!tcpc_client_is_wanted (self) || priv->generation != generation)
    return;

  priv->attempt_filter = clone_checked_filter (priv->filter, &error);
  if (priv->attempt_filter == NULL)
    {
      tcpc_client_report_later (self, "filter", error);
      return;
    }

  if (priv->existing_stream != NULL)
    {
      if (priv->existing_stream_used)
        tcpc_client_report_later (self, "connect",
                                  g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                                       "This client runs over a stream made "
                                                       "elsewhere and cannot reconnect"));
      else
        {
          priv->pending = g_idle_source_new ();
          g_source_set_static_name (priv->pending, "[tcpclient] existing stream");
          g_source_set_callback (priv->pending, existing_stream_cb, self, NULL);
          g_source_attach (priv->pending, priv->context);
        }
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
  options.tls_database = priv->tls_database;
  options.proxy_uri = priv->proxy_uri;
  options.enable_proxy = priv->enable_proxy;
  options.timeout = priv->connect_timeout;
  options.progress = attempt_progress_cb;
  options.accept_certificate = attempt_accept_certificate_cb;

  attempt = g_new0 (Attempt, 1);
  attempt->client = self;
  attempt->cancellable = g_cancellable_new ();
  priv->attempt = attempt;
  options.owner = attempt;

  g_main_context_push_thread_default (priv->context);
  _tcpc_connector_connect_async (&options, attempt->cancellable, connect_cb, attempt);
  g_main_context_pop_thread_default (priv->context);
}

/* Emits started; returns FALSE when a handler took over (or dropped the
 * client), in which case the caller does nothing more. */
static gboolean
tcpc_client_emit_started (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  guint generation = priv->generation;
  gboolean was_starting = priv->starting;
  gboolean go_on;

  tcpc_client_hold (self);
  priv->starting = TRUE;
  g_signal_emit (self, signals[STARTED], 0);
  priv->starting = was_starting;
  go_on = tcpc_client_is_wanted (self) && priv->generation == generation;
  tcpc_client_release (self);

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
 * tcpc_client_new_for_stream:
 * @stream: a connected stream
 *
 * Creates a client that runs over a connection made elsewhere (a socket
 * from systemd socket activation, a passed file descriptor, one end of a
 * socket pair…), with every filter and signal. tcpc_client_start() emits
 * #TcpcClient::started, then, from the main loop, #TcpcClient::pre-connect
 * and #TcpcClient::connected with @stream. Such a client cannot connect
 * anywhere else: a reconnect, tcpc_client_connect_to() or a second start
 * reports #TcpcClient::connect-error with operation "connect" and
 * %G_IO_ERROR_NOT_SUPPORTED.
 *
 * Returns: (transfer full): a new #TcpcClient
 */
TcpcClient *
tcpc_client_new_for_stream (GIOStream *stream)
{
  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);

  return g_object_new (TCPC_TYPE_CLIENT, "existing-stream", stream, NULL);
}

/**
 * tcpc_client_start:
 * @self: a #TcpcClient
 *
 * Starts the client: emits #TcpcClient::started, then connects. Calling it
 * while the client is connecting, connected or shutting down, or from a
 * #TcpcClient::started handler, does nothing; a closed client starts
 * again. #TcpcClient::started is emitted once per start: a
 * tcpc_client_reconnect(), tcpc_client_reconnect_after() or
 * tcpc_client_connect_to() from a #TcpcClient::started handler takes over
 * the start in progress without emitting it again.
 */
void
tcpc_client_start (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_if_fail (TCPC_IS_CLIENT (self));

  priv = tcpc_client_get_instance_private (self);

  tcpc_client_hold (self);

  /* inside connect-error or disconnected nothing is left running either */
  if ((!tcpc_client_is_stopped (self) && !priv->ending) || priv->starting)
    goto out;

  priv->user_stopped = FALSE;
  tcpc_client_set_reconnect_attempt (self, 0);
  if (!tcpc_client_emit_started (self))
    goto out;

  tcpc_client_begin_attempt (self);
out:
  tcpc_client_release (self);
}

/* reconnect and connect_to: drop what there is, connect again. */
static void
tcpc_client_restart (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  priv->user_stopped = FALSE;
  /* from a started handler, the start in progress is the one started
   * was emitted for */
  if (tcpc_client_is_stopped (self) && !priv->starting)
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

  tcpc_client_hold (self);

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
  tcpc_client_release (self);
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

  tcpc_client_hold (self);

  tcpc_client_restart (self);
  tcpc_client_release (self);
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
 * tcpc_client_connect_to() or tcpc_client_reconnect() cancels it. A
 * negative @seconds is a programmer error (a critical warning).
 */
void
tcpc_client_reconnect_after (TcpcClient *self,
                             double      seconds)
{
  TcpcClientPrivate *priv;

  g_return_if_fail (TCPC_IS_CLIENT (self));
  g_return_if_fail (seconds >= 0);

  priv = tcpc_client_get_instance_private (self);

  tcpc_client_hold (self);

  if (tcpc_client_is_stopped (self) && !priv->starting)
    {
      if (!tcpc_client_emit_started (self))
        goto out;
    }

  priv->user_stopped = FALSE;
  tcpc_client_drop_everything (self);
  tcpc_client_schedule_attempt (self, seconds);
out:
  tcpc_client_release (self);
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
 * While connecting, the attempt is cancelled without any signal. From a
 * #TcpcClient::started handler it calls the start off: the client goes to
 * %TCPC_CLIENT_STATE_CLOSED without connecting. Calling it again while
 * shutting down, or on a closed client, does nothing.
 */
void
tcpc_client_shutdown (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_if_fail (TCPC_IS_CLIENT (self));

  priv = tcpc_client_get_instance_private (self);

  tcpc_client_hold (self);

  priv->user_stopped = TRUE;

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
       * is called off, and the client, started, is closed */
      priv->generation++;
      if (priv->starting)
        tcpc_client_set_state (self, TCPC_CLIENT_STATE_CLOSED);
      break;

    case TCPC_CLIENT_STATE_SHUTTING_DOWN:
    default:
      break;
    }
  tcpc_client_release (self);
}

/**
 * tcpc_client_shutdown_output:
 * @self: a #TcpcClient
 *
 * Half-closes the connection: once every queued byte is written the peer
 * sees the end of the stream, while the client keeps reading and
 * delivering input until the peer closes its side, which ends the
 * connection with #TcpcClient::disconnected. tcpc_client_put() fails from
 * this call on. Does nothing unless connected.
 */
void
tcpc_client_shutdown_output (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_if_fail (TCPC_IS_CLIENT (self));

  priv = tcpc_client_get_instance_private (self);

  if (priv->state != TCPC_CLIENT_STATE_CONNECTED || priv->output_shut)
    return;

  priv->output_shut = TRUE;
  if (_tcpc_writer_get_pending (priv->writer) == 0)
    tcpc_client_close_output (self);
}

/**
 * tcpc_client_retry_now:
 * @self: a #TcpcClient
 *
 * Starts a scheduled connection attempt (an automatic retry, see
 * #TcpcClient:auto-reconnect, or one asked for with
 * tcpc_client_reconnect_after()) at once. Does nothing when no attempt is
 * scheduled.
 */
void
tcpc_client_retry_now (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_if_fail (TCPC_IS_CLIENT (self));

  priv = tcpc_client_get_instance_private (self);

  tcpc_client_hold (self);

  if ((priv->pending != NULL && priv->pending_is_retry) || priv->waiting_for_network)
    tcpc_client_begin_attempt (self);
  tcpc_client_release (self);
}

/**
 * tcpc_client_pause_input:
 * @self: a #TcpcClient
 *
 * Stops reading from the connection (POE's `pause_input`): no
 * #TcpcClient::server-input is emitted until tcpc_client_resume_input(),
 * not even for records already received, and once the socket's buffers
 * are full the peer's writes block. Called from a #TcpcClient::server-input
 * handler, the records after the current one wait too. The pause ends
 * with the connection.
 */
void
tcpc_client_pause_input (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_if_fail (TCPC_IS_CLIENT (self));

  priv = tcpc_client_get_instance_private (self);

  if (priv->state != TCPC_CLIENT_STATE_CONNECTED || priv->input_paused)
    return;

  priv->input_paused = TRUE;
  _tcpc_reader_set_paused (priv->reader, TRUE);
}

/**
 * tcpc_client_resume_input:
 * @self: a #TcpcClient
 *
 * Resumes reading after tcpc_client_pause_input() (POE's
 * `resume_input`). Records received before the pause are delivered first,
 * from the main loop, in order.
 */
void
tcpc_client_resume_input (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_if_fail (TCPC_IS_CLIENT (self));

  priv = tcpc_client_get_instance_private (self);

  if (!priv->input_paused || priv->reader == NULL)
    return;

  priv->input_paused = FALSE;
  priv->last_input = g_get_monotonic_time ();
  _tcpc_reader_set_paused (priv->reader, FALSE);
}

/**
 * tcpc_client_set_input_func:
 * @self: a #TcpcClient
 * @func: (nullable) (scope notified) (closure user_data) (destroy destroy):
 *   the function that receives every record, or %NULL to go back to
 *   #TcpcClient::server-input
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when @func is replaced or unset,
 *   or when the client is disposed of
 *
 * Sets a function that receives every record instead of
 * #TcpcClient::server-input, the way gtk_drawing_area_set_draw_func()
 * replaces a signal on a path that runs very often. While a function is
 * set, #TcpcClient::server-input is not emitted at all; every other
 * signal is unchanged.
 *
 * The function is called exactly where the signal would be emitted, with
 * the same guarantees: once per record, in order, on the client's main
 * context; never after tcpc_client_shutdown(), not even for records from
 * the same read; tcpc_client_pause_input() holds back the records after
 * the current one; the function may drop the last reference to the client,
 * and is then not called again. @record is valid during the call only:
 * take a reference (g_bytes_ref()) to keep it.
 *
 * A signal emission costs more than the rest of a record's way from the
 * socket together (signal lock, handler lookup, closure and instance
 * references). A program that takes many small records per second, and
 * does not need several handlers, uses this function instead.
 *
 * The function may be set, replaced or unset at any time, also from inside
 * itself: the records after the current one go to the new function, or
 * are emitted again. The old @destroy runs at once, or, when this is
 * called from inside the input function, as soon as that call returns.
 * When @func is %NULL, @destroy (if any) is called on @user_data in the
 * same way.
 */
void
tcpc_client_set_input_func (TcpcClient          *self,
                            TcpcClientInputFunc  func,
                            gpointer             user_data,
                            GDestroyNotify       destroy)
{
  TcpcClientPrivate *priv;
  GDestroyNotify old_destroy;
  gpointer old_data;

  g_return_if_fail (TCPC_IS_CLIENT (self));

  priv = tcpc_client_get_instance_private (self);
  old_destroy = priv->input_destroy;
  old_data = priv->input_data;

  priv->input_func = func;
  priv->input_data = func != NULL ? user_data : NULL;
  priv->input_destroy = func != NULL ? destroy : NULL;

  tcpc_client_destroy_input_data (self, old_destroy, old_data);
  if (func == NULL)
    tcpc_client_destroy_input_data (self, destroy, user_data);
}

static gboolean
tcpc_client_check_connected (TcpcClient  *self,
                             GError     **error)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  if (priv->state == TCPC_CLIENT_STATE_CONNECTED && priv->writer != NULL &&
      !priv->output_shut && priv->tls_upgrade == NULL)
    return TRUE;

  g_set_error_literal (error, TCPC_CLIENT_ERROR, TCPC_CLIENT_ERROR_NOT_CONNECTED,
                       priv->state == TCPC_CLIENT_STATE_SHUTTING_DOWN
                         ? "The client is shutting down"
                         : priv->output_shut && priv->state == TCPC_CLIENT_STATE_CONNECTED
                         ? "The client's output was shut down"
                         : priv->tls_upgrade != NULL
                         ? "The client is starting TLS"
                         : "The client is not connected");
  return FALSE;
}

/* Encodes a record and queues it; @record, when not %NULL, holds @data.
 * With the line filter, the default, the record and its terminator are
 * queued as they are: no encoded copy is made first. */
static gboolean
tcpc_client_queue (TcpcClient    *self,
                   GBytes        *record,
                   gconstpointer  data,
                   gsize          length,
                   GError       **error)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  TcpcFilter *filter;
  TcpcFrameFunc frame_func;

  if (!tcpc_client_check_connected (self, error))
    return FALSE;

  filter = _tcpc_reader_get_filter (priv->reader);
  frame_func = _tcpc_filter_get_frame_func (filter);
  if (frame_func != NULL)
    {
      TcpcFrame frame;

      /* the filter only frames records: queue the record and its frame,
       * without an encoded copy */
      if (!frame_func (filter, length, &frame, error))
        return FALSE;
      _tcpc_writer_push_parts (priv->writer, frame.prefix, frame.prefix_len,
                               record, data, length, frame.suffix, frame.suffix_len);
    }
  else
    {
      g_autoptr(GBytes) owned = NULL;
      GBytes *encoded;
      GError *local_error = NULL;

      if (record == NULL)
        record = owned = g_bytes_new (data, length);
      encoded = tcpc_filter_encode (filter, record, &local_error);
      if (encoded == NULL)
        {
          /* no error: the filter dropped the record */
          if (local_error == NULL)
            return TRUE;
          g_propagate_error (error, local_error);
          return FALSE;
        }
      _tcpc_writer_push (priv->writer, encoded);
      g_bytes_unref (encoded);
    }

  priv->records_sent++;

  if (priv->writable && _tcpc_writer_get_pending (priv->writer) >= priv->high_water_mark)
    {
      priv->writable = FALSE;
      tcpc_client_notify (self, PROP_WRITABLE);
    }

  return TRUE;
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
  gsize length;
  gconstpointer data;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  data = g_bytes_get_data (record, &length);
  return tcpc_client_queue (self, record, data, length, error);
}

/**
 * tcpc_client_put_data:
 * @self: a #TcpcClient
 * @data: (array length=length) (element-type guint8): the record's bytes
 * @length: the number of bytes in @data
 * @error: return location for a #GError
 *
 * Like tcpc_client_put(), with the record given as a buffer, which is
 * copied. %NULL @data with a non-zero @length is a programmer error
 * (a critical warning), not a #GError.
 *
 * Returns: %TRUE if the record was queued, %FALSE with @error set otherwise
 */
gboolean
tcpc_client_put_data (TcpcClient    *self,
                      const guint8  *data,
                      gsize          length,
                      GError       **error)
{
  g_return_val_if_fail (TCPC_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return tcpc_client_queue (self, NULL, data, length, error);
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
  g_return_val_if_fail (TCPC_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return tcpc_client_queue (self, NULL, record, strlen (record), error);
}

/* The cancellable of a pending flush was cancelled: it fails at once, the
 * output stays queued. */
static gboolean
flush_cancelled_cb (GCancellable *cancellable,
                    gpointer      user_data)
{
  GTask *task = user_data;
  TcpcClient *self = g_task_get_source_object (task);
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  GList *link = g_queue_find (&priv->flushes, task);

  if (link != NULL)
    {
      tcpc_client_hold (self);
      tcpc_client_take_flush (self, link);
      g_task_return_error_if_cancelled (task);
      g_object_unref (task);
      tcpc_client_release (self);
    }

  return G_SOURCE_REMOVE;
}

/**
 * tcpc_client_flush_async:
 * @self: a #TcpcClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the output is written
 * @user_data: data for @callback
 *
 * Waits until every record put so far has been written to the socket,
 * for programs that rather await a completion than follow
 * #TcpcClient::flushed (`Gio._promisify` makes it a promise in GJS). With
 * nothing pending it completes at once. It fails with
 * %TCPC_CLIENT_ERROR_NOT_CONNECTED when the client is not connected, or
 * when the connection ends (or is replaced) before the output went out.
 *
 * Cancelling @cancellable makes it fail with %G_IO_ERROR_CANCELLED at
 * once; the output stays queued. As with GIO's asynchronous operations,
 * the pending operation holds a reference to the client until it
 * completes: a client whose last other reference is dropped meanwhile
 * lives on, connected, until its output is written, the connection ends
 * or @cancellable is cancelled.
 */
void
tcpc_client_flush_async (TcpcClient          *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  TcpcClientPrivate *priv;
  g_autoptr(GTask) task = NULL;
  FlushWait *wait;

  g_return_if_fail (TCPC_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  priv = tcpc_client_get_instance_private (self);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tcpc_client_flush_async);

  if (g_task_return_error_if_cancelled (task))
    return;

  if ((priv->state != TCPC_CLIENT_STATE_CONNECTED &&
       priv->state != TCPC_CLIENT_STATE_SHUTTING_DOWN) || priv->writer == NULL)
    {
      g_task_return_new_error (task, TCPC_CLIENT_ERROR, TCPC_CLIENT_ERROR_NOT_CONNECTED,
                               "The client is not connected");
      return;
    }

  if (_tcpc_writer_get_pending (priv->writer) == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  wait = g_new0 (FlushWait, 1);
  wait->target = priv->bytes_sent + _tcpc_writer_get_pending (priv->writer);
  g_task_set_task_data (task, wait, (GDestroyNotify) flush_wait_free);
  if (cancellable != NULL)
    {
      /* the source lives as long as the task: it cannot run after the
       * task was returned */
      wait->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (wait->cancel_source, G_SOURCE_FUNC (flush_cancelled_cb),
                             task, NULL);
      g_source_set_static_name (wait->cancel_source, "[tcpclient] flush cancelled");
      g_source_attach (wait->cancel_source, priv->context);
    }
  g_queue_push_tail (&priv->flushes, g_steal_pointer (&task));
}

/**
 * tcpc_client_flush_finish:
 * @self: a #TcpcClient
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes tcpc_client_flush_async().
 *
 * Returns: %TRUE when the output was written, %FALSE with @error set
 *   otherwise
 */
gboolean
tcpc_client_flush_finish (TcpcClient    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (TCPC_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
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
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), TCPC_CLIENT_STATE_IDLE);

  priv = tcpc_client_get_instance_private (self);

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
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), FALSE);

  priv = tcpc_client_get_instance_private (self);

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
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), NULL);

  priv = tcpc_client_get_instance_private (self);

  return priv->stream;
}


/**
 * tcpc_client_get_writable:
 * @self: a #TcpcClient
 *
 * Gets whether the pending output is below the high-water mark, see
 * #TcpcClient:writable.
 *
 * Returns: the #TcpcClient:writable flag
 */
gboolean
tcpc_client_get_writable (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), FALSE);

  priv = tcpc_client_get_instance_private (self);
  return priv->writable;
}

/**
 * tcpc_client_get_pending_output_bytes:
 * @self: a #TcpcClient
 *
 * Gets the number of bytes put but not written yet, see
 * #TcpcClient:pending-output-bytes.
 *
 * Returns: the #TcpcClient:pending-output-bytes
 */
guint64
tcpc_client_get_pending_output_bytes (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), 0);

  priv = tcpc_client_get_instance_private (self);
  return priv->writer != NULL ? _tcpc_writer_get_pending (priv->writer) : 0;
}

/**
 * tcpc_client_get_peer_certificate:
 * @self: a #TcpcClient
 *
 * Gets the server's TLS certificate, see #TcpcClient:peer-certificate.
 *
 * Returns: (transfer none) (nullable): the #TcpcClient:peer-certificate
 */
GTlsCertificate *
tcpc_client_get_peer_certificate (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), NULL);

  priv = tcpc_client_get_instance_private (self);
  return priv->peer_certificate;
}

/**
 * tcpc_client_get_peer_certificate_errors:
 * @self: a #TcpcClient
 *
 * Gets the validation errors of the server's certificate that a
 * handler accepted, see #TcpcClient:peer-certificate-errors.
 *
 * Returns: the #TcpcClient:peer-certificate-errors
 */
GTlsCertificateFlags
tcpc_client_get_peer_certificate_errors (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), 0);

  priv = tcpc_client_get_instance_private (self);
  return priv->peer_certificate_errors;
}

/**
 * tcpc_client_get_bytes_sent:
 * @self: a #TcpcClient
 *
 * Gets the number of bytes written on the current (or last)
 * connection, see #TcpcClient:bytes-sent.
 *
 * Returns: the #TcpcClient:bytes-sent
 */
guint64
tcpc_client_get_bytes_sent (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), 0);

  priv = tcpc_client_get_instance_private (self);
  return priv->bytes_sent;
}

/**
 * tcpc_client_get_bytes_received:
 * @self: a #TcpcClient
 *
 * Gets the number of bytes read on the current (or last) connection,
 * see #TcpcClient:bytes-received.
 *
 * Returns: the #TcpcClient:bytes-received
 */
guint64
tcpc_client_get_bytes_received (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), 0);

  priv = tcpc_client_get_instance_private (self);
  return priv->bytes_received;
}

/**
 * tcpc_client_get_records_sent:
 * @self: a #TcpcClient
 *
 * Gets the number of records put on the current (or last)
 * connection, see #TcpcClient:records-sent.
 *
 * Returns: the #TcpcClient:records-sent
 */
guint64
tcpc_client_get_records_sent (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), 0);

  priv = tcpc_client_get_instance_private (self);
  return priv->records_sent;
}

/**
 * tcpc_client_get_records_received:
 * @self: a #TcpcClient
 *
 * Gets the number of records delivered on the current (or last)
 * connection, see #TcpcClient:records-received.
 *
 * Returns: the #TcpcClient:records-received
 */
guint64
tcpc_client_get_records_received (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), 0);

  priv = tcpc_client_get_instance_private (self);
  return priv->records_received;
}

/**
 * tcpc_client_get_connected_since:
 * @self: a #TcpcClient
 *
 * Gets when the current (or last) connection was established, see
 * #TcpcClient:connected-since.
 *
 * Returns: the #TcpcClient:connected-since time, in microseconds since
 *   January 1, 1970 UTC (as g_get_real_time()), or 0
 */
gint64
tcpc_client_get_connected_since (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), 0);

  priv = tcpc_client_get_instance_private (self);
  return priv->connected_since;
}

/**
 * tcpc_client_get_reconnect_attempt:
 * @self: a #TcpcClient
 *
 * Gets the number of consecutive failed connection attempts, see
 * #TcpcClient:reconnect-attempt.
 *
 * Returns: the #TcpcClient:reconnect-attempt count
 */
guint
tcpc_client_get_reconnect_attempt (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), 0);

  priv = tcpc_client_get_instance_private (self);
  return priv->reconnect_attempt;
}

/**
 * tcpc_client_get_next_retry:
 * @self: a #TcpcClient
 *
 * Gets the seconds until a scheduled connection attempt starts, see
 * #TcpcClient:next-retry.
 *
 * Returns: the #TcpcClient:next-retry countdown, in whole seconds
 */
guint
tcpc_client_get_next_retry (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), 0);

  priv = tcpc_client_get_instance_private (self);
  return priv->next_retry;
}

/* ------------------------------------------------------------------ */
/* STARTTLS                                                             */

static gboolean
upgrade_accept_certificate_cb (GTlsConnection       *connection,
                               GTlsCertificate      *certificate,
                               GTlsCertificateFlags  errors,
                               gpointer              user_data)
{
  TcpcClient *self = user_data;
  gboolean accepted = FALSE;

  g_signal_emit (self, signals[ACCEPT_CERTIFICATE], 0, certificate, errors, &accepted);
  return accepted;
}

static void
handshake_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  TcpcClient *self = user_data;   /* kept alive by the task */
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  GTlsConnection *tls = G_TLS_CONNECTION (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  g_autoptr(TcpcFilter) filter = NULL;

  g_signal_handlers_disconnect_by_func (tls, upgrade_accept_certificate_cb, self);

  if (!g_tls_connection_handshake_finish (tls, result, &error) &&
      priv->tls_upgrade != NULL && priv->stream != NULL)
    {
      /* The plain connection cannot carry on after a failed handshake. */
      task = g_steal_pointer (&priv->tls_upgrade);
      g_task_return_error (task, g_error_copy (error));
      tcpc_client_hold (self);
      g_signal_emit (self, signals[SERVER_ERROR], 0, "tls", error);
      if (tcpc_client_is_wanted (self) && priv->stream != NULL)
        tcpc_client_finish_disconnect (self);
      tcpc_client_release (self);
      g_object_unref (self);
      return;
    }

  if (priv->tls_upgrade == NULL || priv->stream == NULL)
    {
      /* the connection was dropped meanwhile (its close failed the task) */
      g_object_unref (self);
      return;
    }

  /* The same filter goes on over TLS, with what it had not parsed yet. */
  filter = g_object_ref (_tcpc_reader_get_filter (priv->reader));
  _tcpc_reader_close (priv->reader);
  _tcpc_writer_close (priv->writer);
  g_clear_pointer (&priv->reader, _tcpc_reader_unref);
  g_clear_pointer (&priv->writer, _tcpc_writer_unref);

  g_set_object (&priv->stream, G_IO_STREAM (tls));
  priv->reader = _tcpc_reader_new (g_io_stream_get_input_stream (priv->stream), NULL, filter,
                                   priv->context, &reader_callbacks, self);
  priv->writer = _tcpc_writer_new (g_io_stream_get_output_stream (priv->stream),
                                   priv->context, &writer_callbacks, self);
  g_set_object (&priv->peer_certificate, g_tls_connection_get_peer_certificate (tls));
  priv->peer_certificate_errors = g_tls_connection_get_peer_certificate_errors (tls);

  task = g_steal_pointer (&priv->tls_upgrade);
  g_object_freeze_notify (G_OBJECT (self));
  tcpc_client_notify (self, PROP_STREAM);
  tcpc_client_notify (self, PROP_PEER_CERTIFICATE);
  tcpc_client_notify (self, PROP_PEER_CERTIFICATE_ERRORS);
  g_object_thaw_notify (G_OBJECT (self));

  if (!priv->input_paused)
    _tcpc_reader_start (priv->reader);
  g_task_return_boolean (task, TRUE);
  g_object_unref (self);
}

/* The output is written: the handshake starts over the plain stream. */
static void
tcpc_client_handshake (TcpcClient *self)
{
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  g_autoptr(GSocketConnectable) identity = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) error = NULL;

  if (priv->connectable != NULL)
    identity = g_object_ref (priv->connectable);
  else if (priv->remote_address != NULL)
    identity = g_network_address_new (priv->remote_address, priv->remote_port);

  /* the handshake watches the cancellable from now on */
  destroy_source (&priv->tls_wait);

  /* no reading meanwhile: the handshake reads the socket itself */
  _tcpc_reader_set_paused (priv->reader, TRUE);

  tls = g_tls_client_connection_new (priv->stream, identity, &error);
  if (tls == NULL)
    {
      GTask *task = g_steal_pointer (&priv->tls_upgrade);

      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      if (!priv->input_paused)
        _tcpc_reader_set_paused (priv->reader, FALSE);
      return;
    }

  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
  if (priv->tls_database != NULL)
    g_tls_connection_set_database (G_TLS_CONNECTION (tls), priv->tls_database);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (upgrade_accept_certificate_cb), self);

  g_main_context_push_thread_default (priv->context);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (priv->tls_upgrade),
                                    handshake_cb, g_object_ref (self));
  g_main_context_pop_thread_default (priv->context);
}

/* start_tls_async() was cancelled while the output before the handshake
 * was being written: it fails, and the connection goes on in plain text. */
static gboolean
tls_wait_cancelled_cb (GCancellable *cancellable,
                       gpointer      user_data)
{
  TcpcClient *self = user_data;
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);
  GTask *task = g_steal_pointer (&priv->tls_upgrade);

  tcpc_client_hold (self);
  destroy_source (&priv->tls_wait);
  g_task_return_error_if_cancelled (task);
  g_object_unref (task);
  tcpc_client_release (self);

  return G_SOURCE_REMOVE;
}

/**
 * tcpc_client_start_tls_async:
 * @self: a #TcpcClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when TLS is established or failed
 * @user_data: data for @callback
 *
 * Upgrades a live plain connection to TLS (STARTTLS): once every record
 * put so far is written, the client stops reading and performs a TLS
 * handshake over the connection, with the same server identity,
 * #TcpcClient:tls-database and #TcpcClient::accept-certificate as
 * #TcpcClient:tls. The connection's filter goes on over TLS with whatever
 * it had received but not parsed yet. Until the upgrade completes
 * tcpc_client_put() fails.
 *
 * A failed handshake ends the connection: #TcpcClient::server-error with
 * operation "tls", then #TcpcClient::disconnected.
 *
 * Cancelling @cancellable while the earlier output is still being written
 * makes it fail with %G_IO_ERROR_CANCELLED, and the connection goes on
 * without TLS; once the handshake has begun, cancelling it fails the
 * handshake, which ends the connection. As with GIO's asynchronous
 * operations, the pending operation holds a reference to the client
 * until it completes.
 */
void
tcpc_client_start_tls_async (TcpcClient          *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  TcpcClientPrivate *priv;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TCPC_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  priv = tcpc_client_get_instance_private (self);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tcpc_client_start_tls_async);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (priv->state != TCPC_CLIENT_STATE_CONNECTED || priv->output_shut)
    {
      g_task_return_new_error (task, TCPC_CLIENT_ERROR, TCPC_CLIENT_ERROR_NOT_CONNECTED,
                               "The client is not connected");
      return;
    }
  if (priv->tls_upgrade != NULL || find_tls_connection (priv->stream) != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "The connection already uses TLS");
      return;
    }

  priv->tls_upgrade = g_steal_pointer (&task);
  if (_tcpc_writer_get_pending (priv->writer) == 0)
    tcpc_client_handshake (self);
  else if (cancellable != NULL)
    {
      priv->tls_wait = g_cancellable_source_new (cancellable);
      g_source_set_callback (priv->tls_wait, G_SOURCE_FUNC (tls_wait_cancelled_cb), self, NULL);
      g_source_set_static_name (priv->tls_wait, "[tcpclient] STARTTLS cancelled");
      g_source_attach (priv->tls_wait, priv->context);
    }
}

/**
 * tcpc_client_start_tls_finish:
 * @self: a #TcpcClient
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes tcpc_client_start_tls_async().
 *
 * Returns: %TRUE when the connection now uses TLS, %FALSE with @error set
 *   otherwise
 */
gboolean
tcpc_client_start_tls_finish (TcpcClient    *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (TCPC_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
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
 * Gets the host the client connects to, see #TcpcClient:remote-address.
 *
 * Returns: (nullable): the #TcpcClient:remote-address
 */
const char *
tcpc_client_get_remote_address (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), NULL);

  priv = tcpc_client_get_instance_private (self);
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
 * Gets the port the client connects to, see #TcpcClient:remote-port.
 *
 * Returns: the #TcpcClient:remote-port
 */
guint
tcpc_client_get_remote_port (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), 0);

  priv = tcpc_client_get_instance_private (self);
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
  TcpcClientPrivate *priv;

  g_return_if_fail (TCPC_IS_CLIENT (self));
  g_return_if_fail (remote_port <= G_MAXUINT16);

  priv = tcpc_client_get_instance_private (self);

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
 * Gets the service name of the port the client connects to, see
 * #TcpcClient:remote-service.
 *
 * Returns: (nullable): the #TcpcClient:remote-service
 */
const char *
tcpc_client_get_remote_service (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), NULL);

  priv = tcpc_client_get_instance_private (self);
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
 * Gets what the client connects to when it is set, see
 * #TcpcClient:connectable.
 *
 * Returns: (transfer none) (nullable): the #TcpcClient:connectable
 */
GSocketConnectable *
tcpc_client_get_connectable (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), NULL);

  priv = tcpc_client_get_instance_private (self);
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
  TcpcClientPrivate *priv;

  g_return_if_fail (TCPC_IS_CLIENT (self));
  g_return_if_fail (connectable == NULL || G_IS_SOCKET_CONNECTABLE (connectable));

  priv = tcpc_client_get_instance_private (self);

  if (g_set_object (&priv->connectable, connectable))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTABLE]);
}

/**
 * tcpc_client_get_bind_address:
 * @self: a #TcpcClient
 *
 * Gets the local address the client binds to, see #TcpcClient:bind-address.
 *
 * Returns: (nullable): the #TcpcClient:bind-address
 */
const char *
tcpc_client_get_bind_address (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), NULL);

  priv = tcpc_client_get_instance_private (self);
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
 * Gets the local port the client binds to, see #TcpcClient:bind-port.
 *
 * Returns: the #TcpcClient:bind-port
 */
guint
tcpc_client_get_bind_port (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), 0);

  priv = tcpc_client_get_instance_private (self);
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
  TcpcClientPrivate *priv;

  g_return_if_fail (TCPC_IS_CLIENT (self));
  g_return_if_fail (bind_port <= G_MAXUINT16);

  priv = tcpc_client_get_instance_private (self);

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
 * Gets the address family the client connects with, see #TcpcClient:family.
 *
 * Returns: the #TcpcClient:family
 */
GSocketFamily
tcpc_client_get_family (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), G_SOCKET_FAMILY_INVALID);

  priv = tcpc_client_get_instance_private (self);
  return priv->family;
}

/**
 * tcpc_client_set_family:
 * @self: a #TcpcClient
 * @family: %G_SOCKET_FAMILY_IPV4, %G_SOCKET_FAMILY_IPV6, or
 *   %G_SOCKET_FAMILY_INVALID for either
 *
 * Sets #TcpcClient:family, used from the next connection attempt on. Any
 * other family is a programmer error (a critical warning).
 */
void
tcpc_client_set_family (TcpcClient    *self,
                        GSocketFamily  family)
{
  TcpcClientPrivate *priv;

  g_return_if_fail (TCPC_IS_CLIENT (self));
  g_return_if_fail (family == G_SOCKET_FAMILY_INVALID ||
                    family == G_SOCKET_FAMILY_IPV4 ||
                    family == G_SOCKET_FAMILY_IPV6 ||
                    family == G_SOCKET_FAMILY_UNIX);

  priv = tcpc_client_get_instance_private (self);

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
 * Gets how long a connection attempt may take, see
 * #TcpcClient:connect-timeout.
 *
 * Returns: the #TcpcClient:connect-timeout, in seconds
 */
double
tcpc_client_get_connect_timeout (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), 0);

  priv = tcpc_client_get_instance_private (self);
  return priv->connect_timeout;
}

/**
 * tcpc_client_set_connect_timeout:
 * @self: a #TcpcClient
 * @seconds: the timeout in seconds, 0 for none
 *
 * Sets #TcpcClient:connect-timeout, used from the next connection attempt on.
 * A negative value is a programmer error (a critical warning).
 */
void
tcpc_client_set_connect_timeout (TcpcClient *self,
                                 double      seconds)
{
  TcpcClientPrivate *priv;

  g_return_if_fail (TCPC_IS_CLIENT (self));
  g_return_if_fail (seconds >= 0);

  priv = tcpc_client_get_instance_private (self);

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
 * Gets the prototype filter, see #TcpcClient:filter. The live connection
 * works with a clone of it.
 *
 * Returns: (transfer none): the prototype #TcpcClient:filter
 */
TcpcFilter *
tcpc_client_get_filter (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), NULL);

  priv = tcpc_client_get_instance_private (self);
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
 * A connection being made (from tcpc_client_start() until
 * #TcpcClient::connected) works with a clone of @filter as well; if
 * @filter's settings are invalid, the attempt ends with
 * #TcpcClient::connect-error and operation "filter".
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
  TcpcClientPrivate *priv;
  g_autoptr(TcpcFilter) fallback = NULL;

  g_return_if_fail (TCPC_IS_CLIENT (self));
  g_return_if_fail (filter == NULL || TCPC_IS_FILTER (filter));

  priv = tcpc_client_get_instance_private (self);

  if (filter == NULL)
    filter = fallback = TCPC_FILTER (tcpc_line_filter_new ());

  if (!g_set_object (&priv->filter, filter))
    return;

  /* A live connection switches framings at once, keeping its unparsed
   * input (POE's set_filter). */
  if (priv->reader != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TcpcFilter) clone = clone_filter (filter, &error);

      if (clone != NULL)
        _tcpc_reader_set_filter (priv->reader, clone);
      else
        tcpc_client_server_error (self, "read", error, FALSE);
    }
  /* so does the connection being made, checked as it would have been */
  else if (priv->attempt_filter != NULL)
    {
      GError *error = NULL;
      TcpcFilter *clone = clone_checked_filter (filter, &error);

      if (clone != NULL)
        {
          g_object_unref (priv->attempt_filter);
          priv->attempt_filter = clone;
        }
      else
        {
          /* a stream made meanwhile (in a pre-connect or connect-progress
           * handler) is closed, not established */
          priv->generation++;
          tcpc_client_abandon_attempt (self);
          tcpc_client_report_later (self, "filter", error);
        }
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER]);
}

/**
 * tcpc_client_get_tls:
 * @self: a #TcpcClient
 *
 * Gets whether connections use TLS, see #TcpcClient:tls.
 *
 * Returns: the #TcpcClient:tls setting
 */
gboolean
tcpc_client_get_tls (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), FALSE);

  priv = tcpc_client_get_instance_private (self);
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
  TcpcClientPrivate *priv;

  g_return_if_fail (TCPC_IS_CLIENT (self));

  priv = tcpc_client_get_instance_private (self);

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
 * Gets whether a server error ends the connection, see
 * #TcpcClient:shutdown-on-error.
 *
 * Returns: the #TcpcClient:shutdown-on-error setting
 */
gboolean
tcpc_client_get_shutdown_on_error (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), FALSE);

  priv = tcpc_client_get_instance_private (self);
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
  TcpcClientPrivate *priv;

  g_return_if_fail (TCPC_IS_CLIENT (self));

  priv = tcpc_client_get_instance_private (self);

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
 * Gets the name used in log messages, see #TcpcClient:name.
 *
 * Returns: (nullable): the #TcpcClient:name
 */
const char *
tcpc_client_get_name (TcpcClient *self)
{
  TcpcClientPrivate *priv;

  g_return_val_if_fail (TCPC_IS_CLIENT (self), NULL);

  priv = tcpc_client_get_instance_private (self);
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
  tcpc_client_set_input_func (self, NULL, NULL, NULL);
  g_clear_signal_handler (&priv->network_changed_id, priv->network_monitor);
  g_clear_object (&priv->network_monitor);

  G_OBJECT_CLASS (tcpc_client_parent_class)->dispose (object);
}

static void
tcpc_client_finalize (GObject *object)
{
  TcpcClient *self = TCPC_CLIENT (object);
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

  g_clear_object (&priv->connectable);
  g_clear_object (&priv->filter);
  g_clear_object (&priv->existing_stream);
  g_clear_object (&priv->tls_database);
  g_clear_object (&priv->peer_certificate);
  g_free (priv->proxy_uri);
  g_free (priv->remote_address);
  g_free (priv->remote_service);
  g_free (priv->bind_address);
  g_free (priv->name);
  g_main_context_unref (priv->context);
  /* a function set after dispose, and notifies still waiting */
  if (priv->input_destroy != NULL)
    priv->input_destroy (priv->input_data);
  if (priv->input_destroys != NULL)
    tcpc_client_run_input_destroys (self);

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
    case PROP_EXISTING_STREAM:
      g_value_set_object (value, priv->existing_stream);
      break;
    case PROP_TLS_DATABASE:
      g_value_set_object (value, priv->tls_database);
      break;
    case PROP_PEER_CERTIFICATE:
      g_value_set_object (value, priv->peer_certificate);
      break;
    case PROP_PEER_CERTIFICATE_ERRORS:
      g_value_set_flags (value, priv->peer_certificate_errors);
      break;
    case PROP_PROXY_URI:
      g_value_set_string (value, priv->proxy_uri);
      break;
    case PROP_ENABLE_PROXY:
      g_value_set_boolean (value, priv->enable_proxy);
      break;
    case PROP_AUTO_RECONNECT:
      g_value_set_boolean (value, priv->auto_reconnect);
      break;
    case PROP_RECONNECT_DELAY:
      g_value_set_double (value, priv->reconnect_delay);
      break;
    case PROP_RECONNECT_MULTIPLIER:
      g_value_set_double (value, priv->reconnect_multiplier);
      break;
    case PROP_RECONNECT_MAX_DELAY:
      g_value_set_double (value, priv->reconnect_max_delay);
      break;
    case PROP_RECONNECT_JITTER:
      g_value_set_double (value, priv->reconnect_jitter);
      break;
    case PROP_RECONNECT_MAX_ATTEMPTS:
      g_value_set_uint (value, priv->reconnect_max_attempts);
      break;
    case PROP_RECONNECT_STABLE_TIME:
      g_value_set_double (value, priv->reconnect_stable_time);
      break;
    case PROP_RECONNECT_ATTEMPT:
      g_value_set_uint (value, priv->reconnect_attempt);
      break;
    case PROP_NEXT_RETRY:
      g_value_set_uint (value, priv->next_retry);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_double (value, priv->idle_timeout);
      break;
    case PROP_SHUTDOWN_TIMEOUT:
      g_value_set_double (value, priv->shutdown_timeout);
      break;
    case PROP_KEEPALIVE:
      g_value_set_boolean (value, priv->keepalive);
      break;
    case PROP_KEEPALIVE_IDLE:
      g_value_set_uint (value, priv->keepalive_idle);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      g_value_set_uint (value, priv->keepalive_interval);
      break;
    case PROP_KEEPALIVE_COUNT:
      g_value_set_uint (value, priv->keepalive_count);
      break;
    case PROP_NO_DELAY:
      g_value_set_boolean (value, priv->no_delay);
      break;
    case PROP_OUTPUT_HIGH_WATER_MARK:
      g_value_set_uint (value, priv->high_water_mark);
      break;
    case PROP_OUTPUT_LOW_WATER_MARK:
      g_value_set_uint (value, priv->low_water_mark);
      break;
    case PROP_WRITABLE:
      g_value_set_boolean (value, priv->writable);
      break;
    case PROP_PENDING_OUTPUT_BYTES:
      g_value_set_uint64 (value, tcpc_client_get_pending_output_bytes (self));
      break;
    case PROP_BYTES_SENT:
      g_value_set_uint64 (value, priv->bytes_sent);
      break;
    case PROP_BYTES_RECEIVED:
      g_value_set_uint64 (value, priv->bytes_received);
      break;
    case PROP_RECORDS_SENT:
      g_value_set_uint64 (value, priv->records_sent);
      break;
    case PROP_RECORDS_RECEIVED:
      g_value_set_uint64 (value, priv->records_received);
      break;
    case PROP_CONNECTED_SINCE:
      g_value_set_int64 (value, priv->connected_since);
      break;
    case PROP_NETWORK_MONITOR:
      g_value_set_object (value, priv->network_monitor);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* Setting a plain field, notified only when it changes. */
#define SET_FIELD(field, value, prop)                                      \
  G_STMT_START {                                                           \
    if (priv->field != (value))                                            \
      {                                                                    \
        priv->field = (value);                                             \
        g_object_notify_by_pspec (object, properties[prop]);               \
      }                                                                    \
  } G_STMT_END

static void
tcpc_client_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  TcpcClient *self = TCPC_CLIENT (object);
  TcpcClientPrivate *priv = tcpc_client_get_instance_private (self);

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
    case PROP_EXISTING_STREAM:
      priv->existing_stream = g_value_dup_object (value);
      break;
    case PROP_TLS_DATABASE:
      if (g_set_object (&priv->tls_database, g_value_get_object (value)))
        g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_PROXY_URI:
      SET_STRING (proxy_uri, g_value_get_string (value), PROP_PROXY_URI);
      break;
    case PROP_ENABLE_PROXY:
      SET_FIELD (enable_proxy, (guint) g_value_get_boolean (value), PROP_ENABLE_PROXY);
      break;
    case PROP_AUTO_RECONNECT:
      SET_FIELD (auto_reconnect, (guint) g_value_get_boolean (value), PROP_AUTO_RECONNECT);
      break;
    case PROP_RECONNECT_DELAY:
      SET_FIELD (reconnect_delay, g_value_get_double (value), PROP_RECONNECT_DELAY);
      break;
    case PROP_RECONNECT_MULTIPLIER:
      SET_FIELD (reconnect_multiplier, g_value_get_double (value), PROP_RECONNECT_MULTIPLIER);
      break;
    case PROP_RECONNECT_MAX_DELAY:
      SET_FIELD (reconnect_max_delay, g_value_get_double (value), PROP_RECONNECT_MAX_DELAY);
      break;
    case PROP_RECONNECT_JITTER:
      SET_FIELD (reconnect_jitter, g_value_get_double (value), PROP_RECONNECT_JITTER);
      break;
    case PROP_RECONNECT_MAX_ATTEMPTS:
      SET_FIELD (reconnect_max_attempts, g_value_get_uint (value), PROP_RECONNECT_MAX_ATTEMPTS);
      break;
    case PROP_RECONNECT_STABLE_TIME:
      SET_FIELD (reconnect_stable_time, g_value_get_double (value), PROP_RECONNECT_STABLE_TIME);
      break;
    case PROP_IDLE_TIMEOUT:
      SET_FIELD (idle_timeout, g_value_get_double (value), PROP_IDLE_TIMEOUT);
      break;
    case PROP_SHUTDOWN_TIMEOUT:
      SET_FIELD (shutdown_timeout, g_value_get_double (value), PROP_SHUTDOWN_TIMEOUT);
      break;
    case PROP_KEEPALIVE:
      SET_FIELD (keepalive, (guint) g_value_get_boolean (value), PROP_KEEPALIVE);
      break;
    case PROP_KEEPALIVE_IDLE:
      SET_FIELD (keepalive_idle, g_value_get_uint (value), PROP_KEEPALIVE_IDLE);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      SET_FIELD (keepalive_interval, g_value_get_uint (value), PROP_KEEPALIVE_INTERVAL);
      break;
    case PROP_KEEPALIVE_COUNT:
      SET_FIELD (keepalive_count, g_value_get_uint (value), PROP_KEEPALIVE_COUNT);
      break;
    case PROP_NO_DELAY:
      SET_FIELD (no_delay, (guint) g_value_get_boolean (value), PROP_NO_DELAY);
      break;
    case PROP_OUTPUT_HIGH_WATER_MARK:
      SET_FIELD (high_water_mark, g_value_get_uint (value), PROP_OUTPUT_HIGH_WATER_MARK);
      break;
    case PROP_OUTPUT_LOW_WATER_MARK:
      SET_FIELD (low_water_mark, g_value_get_uint (value), PROP_OUTPUT_LOW_WATER_MARK);
      break;
    case PROP_NETWORK_MONITOR:
      tcpc_client_set_network_monitor (self, g_value_get_object (value));
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
   * from the remote address and full certificate validation. A server
   * that closes without a TLS close_notify ends the connection like a
   * plain end of stream (as many servers do so): a record cut short is
   * not delivered in either case.
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

  /**
   * TcpcClient:existing-stream:
   *
   * A connection made elsewhere for the client to run over, see
   * tcpc_client_new_for_stream(). Such a client cannot reconnect.
   */
  properties[PROP_EXISTING_STREAM] =
    g_param_spec_object ("existing-stream", "Existing stream",
                         "A connection made elsewhere to run over",
                         G_TYPE_IO_STREAM,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * TcpcClient:tls-database:
   *
   * The trust anchors that #TcpcClient:tls validates certificates against;
   * %NULL (the default) uses the system's. Set it to trust a private
   * certificate authority. There is no switch that ignores validation
   * errors: a program that must accept a certificate that does not
   * validate decides per certificate in #TcpcClient::accept-certificate.
   */
  properties[PROP_TLS_DATABASE] =
    g_param_spec_object ("tls-database", "TLS database",
                         "The trust anchors for TLS, NULL for the system's",
                         G_TYPE_TLS_DATABASE, rw);

  /**
   * TcpcClient:peer-certificate:
   *
   * The server's certificate on a TLS connection, set when it is
   * established (and kept after it ends); %NULL without TLS.
   */
  properties[PROP_PEER_CERTIFICATE] =
    g_param_spec_object ("peer-certificate", "Peer certificate",
                         "The server's TLS certificate",
                         G_TYPE_TLS_CERTIFICATE,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * TcpcClient:peer-certificate-errors:
   *
   * What validation found wrong with #TcpcClient:peer-certificate: 0 for a
   * certificate that validated, otherwise the errors an
   * #TcpcClient::accept-certificate handler accepted.
   */
  properties[PROP_PEER_CERTIFICATE_ERRORS] =
    g_param_spec_flags ("peer-certificate-errors", "Peer certificate errors",
                        "The validation errors of the server's certificate",
                        G_TYPE_TLS_CERTIFICATE_FLAGS, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * TcpcClient:proxy-uri:
   *
   * A proxy for this client only, overriding the system's settings:
   * "socks5://host:port", "socks4://…", "socks4a://…" or "http://…"
   * (HTTP CONNECT). %NULL (the default) follows the system's settings.
   */
  properties[PROP_PROXY_URI] =
    g_param_spec_string ("proxy-uri", "Proxy URI",
                         "The proxy to connect through, NULL for the system's settings",
                         NULL, rw);

  /**
   * TcpcClient:enable-proxy:
   *
   * Whether to connect through a proxy when #TcpcClient:proxy-uri or the
   * system's settings name one (as #GSocketClient:enable-proxy). The
   * system's settings are not consulted for a loopback target
   * ("localhost", 127.0.0.0/8, ::1): those connections are always direct
   * unless #TcpcClient:proxy-uri is set.
   */
  properties[PROP_ENABLE_PROXY] =
    g_param_spec_boolean ("enable-proxy", "Enable proxy",
                          "Whether to use a proxy",
                          TRUE, rw);

  /**
   * TcpcClient:auto-reconnect:
   *
   * Whether the client connects again by itself after
   * #TcpcClient::connect-error or #TcpcClient::disconnected when no
   * handler asked for a reconnect and tcpc_client_shutdown() was not
   * called. Retries back off exponentially: the n-th consecutive retry
   * waits #TcpcClient:reconnect-delay × #TcpcClient:reconnect-multiplier^(n-1),
   * times a random factor within ±#TcpcClient:reconnect-jitter, then capped
   * at #TcpcClient:reconnect-max-delay. A connection that stays up for
   * #TcpcClient:reconnect-stable-time starts the count again. Errors that
   * another attempt cannot mend (an invalid filter, a refused pre-connect,
   * no address) are not retried. Meanwhile the state is
   * %TCPC_CLIENT_STATE_CONNECTING and #TcpcClient:next-retry counts down.
   */
  properties[PROP_AUTO_RECONNECT] =
    g_param_spec_boolean ("auto-reconnect", "Auto reconnect",
                          "Whether to reconnect by itself, with back-off",
                          FALSE, rw);

  /**
   * TcpcClient:reconnect-delay:
   *
   * The delay before the first automatic retry, in seconds.
   */
  properties[PROP_RECONNECT_DELAY] =
    g_param_spec_double ("reconnect-delay", "Reconnect delay",
                         "Seconds before the first automatic retry",
                         0, G_MAXDOUBLE, 1.0, rw);

  /**
   * TcpcClient:reconnect-multiplier:
   *
   * How much longer each further retry waits than the one before.
   */
  properties[PROP_RECONNECT_MULTIPLIER] =
    g_param_spec_double ("reconnect-multiplier", "Reconnect multiplier",
                         "Growth of the delay between automatic retries",
                         1.0, 1000.0, 2.0, rw);

  /**
   * TcpcClient:reconnect-max-delay:
   *
   * The longest delay between automatic retries, in seconds; applied
   * after the jitter.
   */
  properties[PROP_RECONNECT_MAX_DELAY] =
    g_param_spec_double ("reconnect-max-delay", "Reconnect maximum delay",
                         "The cap of the delay between automatic retries, in seconds",
                         0, G_MAXDOUBLE, 60.0, rw);

  /**
   * TcpcClient:reconnect-jitter:
   *
   * The random spread of retry delays: 0.1 multiplies each delay by a
   * factor between 0.9 and 1.1, so that many clients do not retry in step.
   */
  properties[PROP_RECONNECT_JITTER] =
    g_param_spec_double ("reconnect-jitter", "Reconnect jitter",
                         "The random spread of retry delays, 0 to 1",
                         0, 1.0, 0.1, rw);

  /**
   * TcpcClient:reconnect-max-attempts:
   *
   * After this many consecutive failed attempts the client gives up and
   * stays %TCPC_CLIENT_STATE_CLOSED; 0, the default, retries forever.
   */
  properties[PROP_RECONNECT_MAX_ATTEMPTS] =
    g_param_spec_uint ("reconnect-max-attempts", "Reconnect maximum attempts",
                       "Consecutive failed attempts before giving up, 0 for no limit",
                       0, G_MAXUINT, 0, rw);

  /**
   * TcpcClient:reconnect-stable-time:
   *
   * A connection that stays up this long, in seconds, resets the back-off;
   * one that ends sooner counts as a failed attempt.
   */
  properties[PROP_RECONNECT_STABLE_TIME] =
    g_param_spec_double ("reconnect-stable-time", "Reconnect stable time",
                         "Seconds a connection must last to reset the back-off",
                         0, G_MAXDOUBLE, 10.0, rw);

  /**
   * TcpcClient:reconnect-attempt:
   *
   * The number of consecutive failed attempts so far; 0 again once a
   * connection stayed up for #TcpcClient:reconnect-stable-time, or after
   * tcpc_client_start().
   */
  properties[PROP_RECONNECT_ATTEMPT] =
    g_param_spec_uint ("reconnect-attempt", "Reconnect attempt",
                       "Consecutive failed attempts so far",
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * TcpcClient:next-retry:
   *
   * Whole seconds (rounded up) until a scheduled attempt starts, notified
   * as it counts down, 0 when none is scheduled: bind a label to it to
   * show "reconnecting in 5 s".
   */
  properties[PROP_NEXT_RETRY] =
    g_param_spec_uint ("next-retry", "Next retry",
                       "Seconds until the scheduled attempt, 0 for none",
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * TcpcClient:idle-timeout:
   *
   * When no input arrives for this many seconds, #TcpcClient::server-error
   * is emitted with operation "read" and %G_IO_ERROR_TIMED_OUT, then
   * handled per #TcpcClient:shutdown-on-error. 0 (the default) disables it.
   * Time spent with input paused does not count.
   */
  properties[PROP_IDLE_TIMEOUT] =
    g_param_spec_double ("idle-timeout", "Idle timeout",
                         "Seconds without input before a server error, 0 for none",
                         0, G_MAXDOUBLE, 0, rw);

  /**
   * TcpcClient:shutdown-timeout:
   *
   * How long, in seconds, a shutdown may wait while none of its output
   * can be written: a peer that reads, however slowly, gets every byte,
   * and one that stops reading for this long cannot hold the client. When
   * it runs out the connection is closed anyway, with
   * #TcpcClient::server-error (operation "write", %G_IO_ERROR_TIMED_OUT,
   * the message counting the unsent bytes) before
   * #TcpcClient::disconnected. 0 waits forever.
   */
  properties[PROP_SHUTDOWN_TIMEOUT] =
    g_param_spec_double ("shutdown-timeout", "Shutdown timeout",
                         "Seconds a shutdown may wait while its output cannot be written, 0 for ever",
                         0, G_MAXDOUBLE, 60.0, rw);

  /**
   * TcpcClient:keepalive:
   *
   * Whether TCP keepalive probes detect a peer that vanished without
   * closing. On by default, with #TcpcClient:keepalive-idle,
   * #TcpcClient:keepalive-interval and #TcpcClient:keepalive-count
   * noticing a dead peer after about two minutes of silence.
   */
  properties[PROP_KEEPALIVE] =
    g_param_spec_boolean ("keepalive", "Keepalive",
                          "Whether to send TCP keepalive probes",
                          TRUE, rw);

  /**
   * TcpcClient:keepalive-idle:
   *
   * Seconds of silence before the first keepalive probe.
   */
  properties[PROP_KEEPALIVE_IDLE] =
    g_param_spec_uint ("keepalive-idle", "Keepalive idle",
                       "Seconds of silence before the first keepalive probe",
                       1, 32767, 60, rw);

  /**
   * TcpcClient:keepalive-interval:
   *
   * Seconds between keepalive probes.
   */
  properties[PROP_KEEPALIVE_INTERVAL] =
    g_param_spec_uint ("keepalive-interval", "Keepalive interval",
                       "Seconds between keepalive probes",
                       1, 32767, 10, rw);

  /**
   * TcpcClient:keepalive-count:
   *
   * Unanswered keepalive probes before the connection is declared dead.
   */
  properties[PROP_KEEPALIVE_COUNT] =
    g_param_spec_uint ("keepalive-count", "Keepalive count",
                       "Unanswered probes before the connection is dead",
                       1, 127, 6, rw);

  /**
   * TcpcClient:no-delay:
   *
   * Whether small writes go out at once (TCP_NODELAY, Nagle's algorithm
   * off). On by default: the client already gathers the records put by
   * one handler into one write.
   */
  properties[PROP_NO_DELAY] =
    g_param_spec_boolean ("no-delay", "No delay",
                          "Whether to disable Nagle's algorithm",
                          TRUE, rw);

  /**
   * TcpcClient:output-high-water-mark:
   *
   * When the output waiting to be written reaches this many bytes,
   * #TcpcClient:writable becomes %FALSE (POE's HighMark). tcpc_client_put()
   * still queues records past the mark and returns %TRUE: the report is the
   * notification of #TcpcClient:writable, and a well-behaved producer
   * stops until it is %TRUE again.
   */
  properties[PROP_OUTPUT_HIGH_WATER_MARK] =
    g_param_spec_uint ("output-high-water-mark", "Output high-water mark",
                       "Pending output bytes at which writable becomes FALSE",
                       1, G_MAXUINT, 1024 * 1024, rw);

  /**
   * TcpcClient:output-low-water-mark:
   *
   * When the pending output drains to this many bytes, #TcpcClient:writable
   * becomes %TRUE again (POE's LowMark).
   */
  properties[PROP_OUTPUT_LOW_WATER_MARK] =
    g_param_spec_uint ("output-low-water-mark", "Output low-water mark",
                       "Pending output bytes at which writable becomes TRUE again",
                       0, G_MAXUINT, 64 * 1024, rw);

  /**
   * TcpcClient:writable:
   *
   * %FALSE while the pending output is above the high-water mark, see
   * #TcpcClient:output-high-water-mark; notified on every change.
   */
  properties[PROP_WRITABLE] =
    g_param_spec_boolean ("writable", "Writable",
                          "Whether the output queue is below its high-water mark",
                          TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * TcpcClient:pending-output-bytes:
   *
   * Bytes put but not written yet. Not notified.
   */
  properties[PROP_PENDING_OUTPUT_BYTES] =
    g_param_spec_uint64 ("pending-output-bytes", "Pending output bytes",
                         "Bytes put but not written yet",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * TcpcClient:bytes-sent:
   *
   * Bytes written on the current (or last) connection. Not notified.
   */
  properties[PROP_BYTES_SENT] =
    g_param_spec_uint64 ("bytes-sent", "Bytes sent",
                         "Bytes written on the current connection",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * TcpcClient:bytes-received:
   *
   * Bytes read on the current (or last) connection. Not notified.
   */
  properties[PROP_BYTES_RECEIVED] =
    g_param_spec_uint64 ("bytes-received", "Bytes received",
                         "Bytes read on the current connection",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * TcpcClient:records-sent:
   *
   * Records put on the current (or last) connection. Not notified.
   */
  properties[PROP_RECORDS_SENT] =
    g_param_spec_uint64 ("records-sent", "Records sent",
                         "Records put on the current connection",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * TcpcClient:records-received:
   *
   * Records delivered on the current (or last) connection. Not notified.
   */
  properties[PROP_RECORDS_RECEIVED] =
    g_param_spec_uint64 ("records-received", "Records received",
                         "Records delivered on the current connection",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * TcpcClient:connected-since:
   *
   * When the current (or last) connection was established, in
   * microseconds since January 1, 1970 UTC (as g_get_real_time()); 0 if
   * the client never connected.
   */
  properties[PROP_CONNECTED_SINCE] =
    g_param_spec_int64 ("connected-since", "Connected since",
                        "When the connection was established (real time, microseconds)",
                        0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * TcpcClient:network-monitor:
   *
   * A #GNetworkMonitor that automatic retries follow, usually
   * g_network_monitor_get_default(): while it says the network is
   * unavailable no retry is made (the state stays
   * %TCPC_CLIENT_STATE_CONNECTING), and when the network comes back a
   * waiting retry starts at once. %NULL (the default) retries on the
   * back-off schedule alone. Loopback servers need no network: leave it
   * %NULL for them.
   */
  properties[PROP_NETWORK_MONITOR] =
    g_param_spec_object ("network-monitor", "Network monitor",
                         "The network monitor automatic retries follow, or NULL",
                         G_TYPE_NETWORK_MONITOR, rw);

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

  /**
   * TcpcClient::accept-certificate:
   * @self: the client
   * @peer_certificate: the server's certificate
   * @errors: what validation found wrong with it
   *
   * Emitted during a TLS handshake when the server's certificate does not
   * validate (forwarded from #GTlsConnection::accept-certificate). A
   * handler returning %TRUE accepts it anyway, for example because it
   * matches a pinned certificate; otherwise the attempt fails with a
   * #TcpcClient::connect-error with operation "tls".
   *
   * Returns: %TRUE to accept the certificate
   */
  signals[ACCEPT_CERTIFICATE] =
    g_signal_new ("accept-certificate",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (TcpcClientClass, accept_certificate),
                  g_signal_accumulator_true_handled, NULL,
                  NULL,
                  G_TYPE_BOOLEAN, 2,
                  G_TYPE_TLS_CERTIFICATE,
                  G_TYPE_TLS_CERTIFICATE_FLAGS);

  /**
   * TcpcClient::connect-progress:
   * @self: the client
   * @event: the step reached
   * @connectable: what is being connected to
   * @connection: (nullable): the connection so far, if any
   *
   * Emitted as a connection attempt goes on: resolving, connecting,
   * negotiating with a proxy, the TLS handshake (forwarded from
   * #GSocketClient::event), for a progress display or a log.
   */
  signals[CONNECT_PROGRESS] =
    g_signal_new ("connect-progress",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (TcpcClientClass, connect_progress),
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_SOCKET_CLIENT_EVENT,
                  G_TYPE_SOCKET_CONNECTABLE,
                  G_TYPE_IO_STREAM);
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
  priv->enable_proxy = TRUE;
  priv->keepalive = TRUE;
  priv->keepalive_idle = 60;
  priv->keepalive_interval = 10;
  priv->keepalive_count = 6;
  priv->no_delay = TRUE;
  priv->shutdown_timeout = 60.0;
  priv->high_water_mark = 1024 * 1024;
  priv->low_water_mark = 64 * 1024;
  priv->writable = TRUE;
  priv->reconnect_delay = 1.0;
  priv->reconnect_multiplier = 2.0;
  priv->reconnect_max_delay = 60.0;
  priv->reconnect_jitter = 0.1;
  priv->reconnect_stable_time = 10.0;
}
