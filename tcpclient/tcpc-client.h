/* tcpc-client.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__TCPCLIENT_INSIDE__) && !defined(TCPC_COMPILATION)
# error "Only <tcpclient.h> can be included directly."
#endif

#include <gio/gio.h>

#include "tcpc-version-macros.h"
#include "tcpc-filter.h"

G_BEGIN_DECLS

/**
 * TCPC_CLIENT_ERROR:
 *
 * The error domain of client errors: see #TcpcClientError.
 */
#define TCPC_CLIENT_ERROR (tcpc_client_error_quark ())

/**
 * TcpcClientError:
 * @TCPC_CLIENT_ERROR_NOT_CONNECTED: the client is not connected, or is shutting
 *   down, so the record cannot be sent
 * @TCPC_CLIENT_ERROR_REFUSED: a #TcpcClient::pre-connect handler refused the
 *   connection by returning %NULL
 *
 * Error codes of the %TCPC_CLIENT_ERROR domain. Network failures keep GIO's own
 * codes (%G_IO_ERROR_CONNECTION_REFUSED, %G_IO_ERROR_TIMED_OUT,
 * %G_RESOLVER_ERROR_NOT_FOUND, …).
 */
typedef enum
{
  TCPC_CLIENT_ERROR_NOT_CONNECTED,
  TCPC_CLIENT_ERROR_REFUSED,
} TcpcClientError;

/**
 * TcpcClientState:
 * @TCPC_CLIENT_STATE_IDLE: created, never started
 * @TCPC_CLIENT_STATE_CONNECTING: a connection attempt is in progress or scheduled
 * @TCPC_CLIENT_STATE_CONNECTED: connected: input is delivered and put() works
 * @TCPC_CLIENT_STATE_SHUTTING_DOWN: the connection is ending: pending output
 *   is being written before the close
 * @TCPC_CLIENT_STATE_CLOSED: the client stopped; it may be started again
 *
 * The life-cycle state of a #TcpcClient, see #TcpcClient:state.
 */
typedef enum
{
  TCPC_CLIENT_STATE_IDLE,
  TCPC_CLIENT_STATE_CONNECTING,
  TCPC_CLIENT_STATE_CONNECTED,
  TCPC_CLIENT_STATE_SHUTTING_DOWN,
  TCPC_CLIENT_STATE_CLOSED,
} TcpcClientState;

#define TCPC_TYPE_CLIENT (tcpc_client_get_type ())

TCPC_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (TcpcClient, tcpc_client, TCPC, CLIENT, GObject)

/**
 * TcpcClientClass:
 * @parent_class: the parent class
 * @started: class handler of #TcpcClient::started
 * @pre_connect: class handler of #TcpcClient::pre-connect
 * @connected: class handler of #TcpcClient::connected
 * @connect_error: class handler of #TcpcClient::connect-error
 * @server_input: class handler of #TcpcClient::server-input
 * @server_error: class handler of #TcpcClient::server-error
 * @flushed: class handler of #TcpcClient::flushed
 * @disconnected: class handler of #TcpcClient::disconnected
 * @accept_certificate: class handler of #TcpcClient::accept-certificate
 * @connect_progress: class handler of #TcpcClient::connect-progress
 *
 * The class of #TcpcClient. A subclass overrides the class handlers to
 * handle the client's signals without connecting to them.
 */
struct _TcpcClientClass
{
  GObjectClass parent_class;

  void        (*started)       (TcpcClient     *self);
  GIOStream * (*pre_connect)   (TcpcClient     *self,
                                GIOStream      *stream);
  void        (*connected)     (TcpcClient     *self,
                                GIOStream      *stream,
                                GSocketAddress *remote_address);
  void        (*connect_error) (TcpcClient     *self,
                                const char     *operation,
                                const GError   *error);
  void        (*server_input)  (TcpcClient     *self,
                                GBytes         *record);
  void        (*server_error)  (TcpcClient     *self,
                                const char     *operation,
                                const GError   *error);
  void        (*flushed)       (TcpcClient     *self);
  void        (*disconnected)  (TcpcClient     *self);
  gboolean    (*accept_certificate) (TcpcClient           *self,
                                     GTlsCertificate      *peer_certificate,
                                     GTlsCertificateFlags  errors);
  void        (*connect_progress)   (TcpcClient           *self,
                                     GSocketClientEvent    event,
                                     GSocketConnectable   *connectable,
                                     GIOStream            *connection);

  /*< private >*/
  gpointer _reserved[14];
};

/**
 * TcpcClientInputFunc:
 * @client: the client
 * @record: one record, as the filter parsed it; valid during the call only
 * @user_data: the data given to tcpc_client_set_input_func()
 *
 * The function that tcpc_client_set_input_func() installs: it receives
 * every record instead of #TcpcClient::server-input.
 */
typedef void (*TcpcClientInputFunc) (TcpcClient *client,
                                     GBytes     *record,
                                     gpointer    user_data);

TCPC_AVAILABLE_IN_ALL
GQuark              tcpc_client_error_quark          (void);

TCPC_AVAILABLE_IN_ALL
TcpcClient         *tcpc_client_new                  (const char         *remote_address,
                                                      guint16             remote_port);
TCPC_AVAILABLE_IN_ALL
TcpcClient         *tcpc_client_new_for_stream       (GIOStream          *stream);

TCPC_AVAILABLE_IN_ALL
void                tcpc_client_start                (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_connect_to           (TcpcClient         *self,
                                                      const char         *remote_address,
                                                      guint16             remote_port);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_reconnect            (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_reconnect_after      (TcpcClient         *self,
                                                      double              seconds);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_shutdown             (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_shutdown_output      (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_retry_now            (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_pause_input          (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_resume_input         (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_set_input_func       (TcpcClient         *self,
                                                      TcpcClientInputFunc func,
                                                      gpointer            user_data,
                                                      GDestroyNotify      destroy);

TCPC_AVAILABLE_IN_ALL
gboolean            tcpc_client_put                  (TcpcClient         *self,
                                                      GBytes             *record,
                                                      GError            **error);
TCPC_AVAILABLE_IN_ALL
gboolean            tcpc_client_put_data             (TcpcClient         *self,
                                                      const guint8       *data,
                                                      gsize               length,
                                                      GError            **error);
TCPC_AVAILABLE_IN_ALL
gboolean            tcpc_client_put_string           (TcpcClient         *self,
                                                      const char         *record,
                                                      GError            **error);

TCPC_AVAILABLE_IN_ALL
void                tcpc_client_flush_async          (TcpcClient         *self,
                                                      GCancellable       *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer            user_data);
TCPC_AVAILABLE_IN_ALL
gboolean            tcpc_client_flush_finish         (TcpcClient         *self,
                                                      GAsyncResult       *result,
                                                      GError            **error);

TCPC_AVAILABLE_IN_ALL
void                tcpc_client_start_tls_async      (TcpcClient         *self,
                                                      GCancellable       *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer            user_data);
TCPC_AVAILABLE_IN_ALL
gboolean            tcpc_client_start_tls_finish     (TcpcClient         *self,
                                                      GAsyncResult       *result,
                                                      GError            **error);

TCPC_AVAILABLE_IN_ALL
TcpcClientState     tcpc_client_get_state            (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
gboolean            tcpc_client_is_connected         (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
GIOStream          *tcpc_client_get_stream           (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
gboolean            tcpc_client_get_writable         (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
guint64             tcpc_client_get_pending_output_bytes (TcpcClient     *self);
TCPC_AVAILABLE_IN_ALL
GTlsCertificate    *tcpc_client_get_peer_certificate (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
GTlsCertificateFlags tcpc_client_get_peer_certificate_errors (TcpcClient *self);
TCPC_AVAILABLE_IN_ALL
guint64             tcpc_client_get_bytes_sent       (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
guint64             tcpc_client_get_bytes_received   (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
guint64             tcpc_client_get_records_sent     (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
guint64             tcpc_client_get_records_received (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
gint64              tcpc_client_get_connected_since  (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
guint               tcpc_client_get_reconnect_attempt (TcpcClient        *self);
TCPC_AVAILABLE_IN_ALL
guint               tcpc_client_get_next_retry       (TcpcClient         *self);

TCPC_AVAILABLE_IN_ALL
const char         *tcpc_client_get_remote_address   (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_set_remote_address   (TcpcClient         *self,
                                                      const char         *remote_address);
TCPC_AVAILABLE_IN_ALL
guint               tcpc_client_get_remote_port      (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_set_remote_port      (TcpcClient         *self,
                                                      guint               remote_port);
TCPC_AVAILABLE_IN_ALL
const char         *tcpc_client_get_remote_service   (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_set_remote_service   (TcpcClient         *self,
                                                      const char         *remote_service);
TCPC_AVAILABLE_IN_ALL
GSocketConnectable *tcpc_client_get_connectable      (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_set_connectable      (TcpcClient         *self,
                                                      GSocketConnectable *connectable);
TCPC_AVAILABLE_IN_ALL
const char         *tcpc_client_get_bind_address     (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_set_bind_address     (TcpcClient         *self,
                                                      const char         *bind_address);
TCPC_AVAILABLE_IN_ALL
guint               tcpc_client_get_bind_port        (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_set_bind_port        (TcpcClient         *self,
                                                      guint               bind_port);
TCPC_AVAILABLE_IN_ALL
GSocketFamily       tcpc_client_get_family           (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_set_family           (TcpcClient         *self,
                                                      GSocketFamily       family);
TCPC_AVAILABLE_IN_ALL
double              tcpc_client_get_connect_timeout  (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_set_connect_timeout  (TcpcClient         *self,
                                                      double              seconds);
TCPC_AVAILABLE_IN_ALL
TcpcFilter         *tcpc_client_get_filter           (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_set_filter           (TcpcClient         *self,
                                                      TcpcFilter         *filter);
TCPC_AVAILABLE_IN_ALL
gboolean            tcpc_client_get_tls              (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_set_tls              (TcpcClient         *self,
                                                      gboolean            tls);
TCPC_AVAILABLE_IN_ALL
gboolean            tcpc_client_get_shutdown_on_error (TcpcClient        *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_set_shutdown_on_error (TcpcClient        *self,
                                                       gboolean           shutdown_on_error);
TCPC_AVAILABLE_IN_ALL
const char         *tcpc_client_get_name             (TcpcClient         *self);
TCPC_AVAILABLE_IN_ALL
void                tcpc_client_set_name             (TcpcClient         *self,
                                                      const char         *name);

G_END_DECLS
