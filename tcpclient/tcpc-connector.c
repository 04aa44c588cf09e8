/* tcpc-connector.c: one connection attempt
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "tcpc-connector-private.h"

typedef struct
{
  GSocketConnectable *target;
  char               *host;
  char               *service;
  char               *bind_address;
  guint16             port;
  guint16             bind_port;
  GSocketFamily       family;
  gboolean            tls;
  gboolean            enable_proxy;
  GTlsDatabase       *tls_database;
  char               *proxy_uri;
  char               *target_name;   /* for error messages */
  GPtrArray          *tried;         /* addresses tried, as strings */

  void              (*progress)           (gpointer, GSocketClientEvent,
                                           GSocketConnectable *, GIOStream *);
  gboolean          (*accept_certificate) (gpointer, GTlsCertificate *,
                                           GTlsCertificateFlags);
  gpointer            owner;

  GSocketAddress     *local_address;
  GSocketClient      *client;
  GSocket            *socket;        /* the direct path's connect in progress */
  GSocketConnection  *connection;    /* ... its connection */
  GSocketAddress     *direct_target; /* ... and its address, once tried */
  GSource            *writable;
  GCancellable       *cancellable;   /* ours: cancelled by the caller's or the deadline */
  GCancellable       *external;
  gulong              external_id;
  GSource            *deadline;
  double              timeout;

  const char         *operation;     /* the step that failed */
  guint               timed_out : 1;
  guint               resolved : 1;
  guint               connecting : 1;
  guint               proxying : 1;
  guint               handshaking : 1;
} ConnectData;

static void
connect_data_free (ConnectData *data)
{
  if (data->external_id != 0)
    g_cancellable_disconnect (data->external, data->external_id);
  if (data->deadline != NULL)
    {
      g_source_destroy (data->deadline);
      g_source_unref (data->deadline);
    }
  if (data->writable != NULL)
    {
      g_source_destroy (data->writable);
      g_source_unref (data->writable);
    }
  g_clear_object (&data->socket);
  g_clear_object (&data->connection);
  g_clear_object (&data->direct_target);
  if (data->client != NULL)
    g_signal_handlers_disconnect_by_data (data->client, data);
  g_clear_object (&data->client);
  g_clear_object (&data->external);
  g_clear_object (&data->cancellable);
  g_clear_object (&data->local_address);
  g_clear_object (&data->target);
  g_clear_object (&data->tls_database);
  g_free (data->proxy_uri);
  g_free (data->target_name);
  g_clear_pointer (&data->tried, g_ptr_array_unref);
  g_free (data->host);
  g_free (data->service);
  g_free (data->bind_address);
  g_free (data);
}

static void
fail (GTask      *task,
      const char *operation,
      GError     *error)
{
  ConnectData *data = g_task_get_task_data (task);

  data->operation = operation;
  g_task_return_error (task, error);
  g_object_unref (task);
}

static gboolean
deadline_cb (gpointer user_data)
{
  ConnectData *data = user_data;

  data->timed_out = TRUE;
  g_cancellable_cancel (data->cancellable);

  return G_SOURCE_REMOVE;
}

static void
external_cancelled_cb (GCancellable *cancellable,
                       gpointer      user_data)
{
  GCancellable *ours = user_data;

  g_cancellable_cancel (ours);
}

static gboolean
accept_certificate_cb (GTlsConnection       *connection,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  ConnectData *data = user_data;

  return data->accept_certificate (data->owner, certificate, errors);
}

static void
event_cb (GSocketClient      *client,
          GSocketClientEvent  event,
          GSocketConnectable *connectable,
          GIOStream          *connection,
          gpointer            user_data)
{
  ConnectData *data = user_data;

  switch (event)
    {
    case G_SOCKET_CLIENT_RESOLVED:
      data->resolved = TRUE;
      break;
    case G_SOCKET_CLIENT_CONNECTING:
      data->connecting = TRUE;
      if (G_IS_SOCKET_CONNECTION (connection))
        {
          g_autoptr(GSocketAddress) address =
            g_socket_connection_get_remote_address (G_SOCKET_CONNECTION (connection), NULL);

          if (address != NULL)
            g_ptr_array_add (data->tried,
                             g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (address)));
        }
      break;
    case G_SOCKET_CLIENT_PROXY_NEGOTIATING:
      data->proxying = TRUE;
      break;
    case G_SOCKET_CLIENT_PROXY_NEGOTIATED:
      data->proxying = FALSE;
      break;
    case G_SOCKET_CLIENT_TLS_HANDSHAKING:
      data->handshaking = TRUE;
      if (G_IS_TLS_CONNECTION (connection))
        {
          /* Many servers just close; a record cut short by that is never
           * delivered anyway (filters only deliver complete records). */
          g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (connection), FALSE);
          if (data->tls_database != NULL)
            g_tls_connection_set_database (G_TLS_CONNECTION (connection), data->tls_database);
          if (data->accept_certificate != NULL)
            g_signal_connect (connection, "accept-certificate",
                              G_CALLBACK (accept_certificate_cb), data);
        }
      break;
    case G_SOCKET_CLIENT_TLS_HANDSHAKED:
      data->handshaking = FALSE;
      break;
    case G_SOCKET_CLIENT_RESOLVING:
    case G_SOCKET_CLIENT_CONNECTED:
    case G_SOCKET_CLIENT_COMPLETE:
    default:
      break;
    }

  if (data->progress != NULL)
    data->progress (data->owner, event, connectable, connection);
}

/* Which step an error of GSocketClient belongs to. */
static const char *
failed_operation (ConnectData  *data,
                  const GError *error)
{
  if (error->domain == G_RESOLVER_ERROR || !data->resolved)
    return "resolve";
  if (error->domain == G_TLS_ERROR || data->handshaking)
    return "tls";
  if (data->proxying)
    return "proxy";
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE) ||
      (data->local_address != NULL && !data->connecting))
    return "bind";
  return "connect";
}

static GError *
timed_out_error (ConnectData *data)
{
  return g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                      "Connecting to %s timed out after %g seconds",
                      data->target_name != NULL ? data->target_name : "the server",
                      data->timeout);
}

static void fail_connect (GTask  *task,
                          GError *error);

static void
connected_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  GSocketConnection *connection;
  GError *error = NULL;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (object), result, &error);

  if (connection != NULL)
    {
      g_task_return_pointer (task, connection, g_object_unref);
      g_object_unref (task);
      return;
    }

  if (data->timed_out && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_error (&error);
      fail (task, "connect", timed_out_error (data));
      return;
    }

  fail_connect (task, error);
}

/* Names the target and every address tried; GIO's message gives the
 * reason (of the last address, or the most telling one). */
static void
fail_connect (GTask  *task,
              GError *error)
{
  ConnectData *data = g_task_get_task_data (task);

  if (data->tried->len > 0)
    {
      g_autofree char *list = NULL;

      g_ptr_array_add (data->tried, NULL);
      list = g_strjoinv (", ", (char **) data->tried->pdata);
      g_prefix_error (&error, "%s (tried %s): ",
                      data->target_name != NULL ? data->target_name : "server", list);
    }
  else if (data->target_name != NULL &&
           (error->message == NULL || strstr (error->message, data->target_name) == NULL))
    g_prefix_error (&error, "%s: ", data->target_name);
  fail (task, failed_operation (data, error), error);
}

/* Whether the target is this machine: proxies are never asked about it
 * (unless the client names one), which also spares a proxy lookup per
 * connection. */
static gboolean
target_is_loopback (ConnectData *data)
{
  g_autoptr(GInetAddress) literal = NULL;

  if (G_IS_INET_SOCKET_ADDRESS (data->target))
    return g_inet_address_get_is_loopback (
             g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (data->target)));

  if (data->host == NULL || data->target == NULL || !G_IS_NETWORK_ADDRESS (data->target))
    return FALSE;

  if (g_ascii_strcasecmp (data->host, "localhost") == 0)
    return TRUE;

  literal = g_inet_address_new_from_string (data->host);
  return literal != NULL && g_inet_address_get_is_loopback (literal);
}

/* An address literal, with no proxy and no TLS involved, needs none of
 * GSocketClient's machinery (name resolution, proxy lookup, racing
 * addresses): it takes one non-blocking connect. Returns the address then,
 * NULL otherwise. */
static GSocketAddress *
direct_address (ConnectData *data)
{
  g_autoptr(GInetAddress) literal = NULL;
  GSocketAddress *address = NULL;

  if (data->tls || data->proxy_uri != NULL ||
      (data->enable_proxy && !target_is_loopback (data)))
    return NULL;

  if (G_IS_INET_SOCKET_ADDRESS (data->target))
    address = g_object_ref (G_SOCKET_ADDRESS (data->target));
  else if (G_IS_NETWORK_ADDRESS (data->target) && data->host != NULL &&
           (literal = g_inet_address_new_from_string (data->host)) != NULL)
    address = g_inet_socket_address_new (literal,
                                         g_network_address_get_port (G_NETWORK_ADDRESS (data->target)));
  else
    return NULL;

  if (data->family != G_SOCKET_FAMILY_INVALID &&
      data->family != g_socket_address_get_family (address))
    g_clear_object (&address);

  return address;
}

static void
direct_event (ConnectData        *data,
              GSocketClientEvent  event,
              GIOStream          *connection)
{
  event_cb (NULL, event, data->target, connection, data);
}

static void
direct_connected (GTask *task)
{
  ConnectData *data = g_task_get_task_data (task);
  g_autoptr(GSocketConnection) connection = g_steal_pointer (&data->connection);

  g_socket_set_blocking (data->socket, TRUE);  /* as GSocketClient leaves it */
  direct_event (data, G_SOCKET_CLIENT_CONNECTED, G_IO_STREAM (connection));
  direct_event (data, G_SOCKET_CLIENT_COMPLETE, G_IO_STREAM (connection));
  g_task_return_pointer (task, g_steal_pointer (&connection), g_object_unref);
  g_object_unref (task);
}

static void
direct_failed (GTask  *task,
               GError *error)
{
  ConnectData *data = g_task_get_task_data (task);

  if (data->timed_out && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_error_free (error);
      fail (task, "connect", timed_out_error (data));
      return;
    }
  direct_event (data, G_SOCKET_CLIENT_COMPLETE, NULL);
  if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_CANCELLED)
    fail (task, "connect", error);
  else
    {
      /* named only now: the string is for the error message */
      if (data->direct_target != NULL)
        g_ptr_array_add (data->tried,
                         g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (data->direct_target)));
      fail_connect (task, error);
    }
}

static gboolean
direct_writable_cb (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;

  g_clear_pointer (&data->writable, g_source_unref);

  if (g_cancellable_set_error_if_cancelled (data->cancellable, &error) ||
      !g_socket_check_connect_result (socket, &error))
    direct_failed (task, error);
  else
    direct_connected (task);

  return G_SOURCE_REMOVE;
}

static void
start_direct (GTask          *task,
              GSocketAddress *address)
{
  ConnectData *data = g_task_get_task_data (task);
  GError *error = NULL;

  direct_event (data, G_SOCKET_CLIENT_RESOLVING, NULL);
  direct_event (data, G_SOCKET_CLIENT_RESOLVED, NULL);

  data->socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                               G_SOCKET_PROTOCOL_TCP, &error);
  if (data->socket == NULL)
    {
      direct_failed (task, error);
      return;
    }
  g_socket_set_blocking (data->socket, FALSE);

  if (data->local_address != NULL && !g_socket_bind (data->socket, data->local_address, FALSE, &error))
    {
      direct_event (data, G_SOCKET_CLIENT_COMPLETE, NULL);
      fail (task, "bind", error);
      return;
    }

  data->direct_target = g_object_ref (address);
  data->connection = g_socket_connection_factory_create_connection (data->socket);
  direct_event (data, G_SOCKET_CLIENT_CONNECTING, G_IO_STREAM (data->connection));

  if (g_socket_connect (data->socket, address, data->cancellable, &error))
    {
      direct_connected (task);
      return;
    }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING))
    {
      direct_failed (task, error);
      return;
    }
  g_clear_error (&error);

  data->writable = g_socket_create_source (data->socket, G_IO_OUT, data->cancellable);
  g_source_set_static_name (data->writable, "[tcpclient] connect");
  g_source_set_callback (data->writable, G_SOURCE_FUNC (direct_writable_cb), task, NULL);
  g_source_attach (data->writable, g_task_get_context (task));
}

static void
start_connect (GTask *task)
{
  ConnectData *data = g_task_get_task_data (task);
  g_autoptr(GSocketAddress) direct = direct_address (data);

  if (direct != NULL)
    {
      start_direct (task, direct);
      return;
    }

  data->client = g_socket_client_new ();
  g_socket_client_set_family (data->client, data->family);
  g_socket_client_set_tls (data->client, data->tls);
  g_socket_client_set_enable_proxy (data->client,
                                    data->enable_proxy &&
                                    (data->proxy_uri != NULL || !target_is_loopback (data)));
  if (data->proxy_uri != NULL)
    {
      g_autoptr(GProxyResolver) resolver = g_simple_proxy_resolver_new (data->proxy_uri, NULL);

      g_socket_client_set_proxy_resolver (data->client, resolver);
    }
  if (data->local_address != NULL)
    g_socket_client_set_local_address (data->client, data->local_address);
  g_signal_connect (data->client, "event", G_CALLBACK (event_cb), data);

  g_socket_client_connect_async (data->client, data->target, data->cancellable,
                                 connected_cb, task);
}

static GSocketAddress *
any_address (GSocketFamily family,
             guint16       port)
{
  g_autoptr(GInetAddress) any = NULL;

  any = g_inet_address_new_any (family == G_SOCKET_FAMILY_IPV6 ? G_SOCKET_FAMILY_IPV6
                                                               : G_SOCKET_FAMILY_IPV4);
  return g_inet_socket_address_new (any, port);
}

static void
bind_resolved_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  GList *addresses;
  GError *error = NULL;

  addresses = g_resolver_lookup_by_name_with_flags_finish (G_RESOLVER (object), result, &error);
  if (addresses == NULL)
    {
      if (data->timed_out)
        {
          g_clear_error (&error);
          fail (task, "connect", timed_out_error (data));
        }
      else
        fail (task, "resolve", error);
      return;
    }

  data->local_address = g_inet_socket_address_new (addresses->data, data->bind_port);
  g_resolver_free_addresses (addresses);

  start_connect (task);
}

static gboolean
lookup_service (const char  *service,
                guint16     *port,
                GError     **error)
{
  struct servent result_buf, *result = NULL;
  char buf[1024];
  char *end = NULL;
  guint64 number;

  number = g_ascii_strtoull (service, &end, 10);
  if (end != service && *end == '\0')
    {
      if (number == 0 || number > G_MAXUINT16)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "Invalid port number “%s”", service);
          return FALSE;
        }
      *port = number;
      return TRUE;
    }

  /* A lookup in the local services database: no network involved. */
  if (getservbyname_r (service, "tcp", &result_buf, buf, sizeof buf, &result) != 0 ||
      result == NULL)
    {
      g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                   "Unknown TCP service “%s”", service);
      return FALSE;
    }

  *port = g_ntohs (result->s_port);
  return TRUE;
}

void
_tcpc_connector_connect_async (const TcpcConnectOptions *options,
                               GCancellable             *cancellable,
                               GAsyncReadyCallback       callback,
                               gpointer                  user_data)
{
  GTask *task;
  ConnectData *data;
  GError *error = NULL;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, _tcpc_connector_connect_async);
  g_task_set_name (task, "[tcpclient] connect");
  g_task_set_check_cancellable (task, FALSE);

  data = g_new0 (ConnectData, 1);
  data->family = options->family;
  data->tls = options->tls;
  data->timeout = options->timeout;
  data->port = options->port;
  data->bind_port = options->bind_port;
  data->host = g_strdup (options->host);
  data->service = g_strdup (options->service);
  data->bind_address = g_strdup (options->bind_address);
  data->enable_proxy = options->enable_proxy;
  data->proxy_uri = g_strdup (options->proxy_uri);
  data->tls_database = options->tls_database ? g_object_ref (options->tls_database) : NULL;
  data->progress = options->progress;
  data->accept_certificate = options->accept_certificate;
  data->owner = options->owner;
  data->cancellable = g_cancellable_new ();
  data->tried = g_ptr_array_new_with_free_func (g_free);
  g_task_set_task_data (task, data, (GDestroyNotify) connect_data_free);

  if (cancellable != NULL)
    {
      data->external = g_object_ref (cancellable);
      data->external_id = g_cancellable_connect (cancellable,
                                                 G_CALLBACK (external_cancelled_cb),
                                                 data->cancellable, NULL);
    }

  if (data->timeout > 0)
    {
      guint ms = (guint) MIN (data->timeout * 1000.0 + 0.5, (double) G_MAXUINT);

      data->deadline = g_timeout_source_new (MAX (ms, 1));
      g_source_set_static_name (data->deadline, "[tcpclient] connect timeout");
      g_source_set_callback (data->deadline, deadline_cb, data, NULL);
      g_source_attach (data->deadline, g_task_get_context (task));
    }

  /* The target. */
  if (options->connectable != NULL)
    {
      data->target = g_object_ref (options->connectable);
      data->target_name = g_socket_connectable_to_string (data->target);
    }
  else
    {
      g_autoptr(GInetAddress) literal = NULL;
      guint16 port = data->port;

      if (data->host == NULL || data->host[0] == '\0')
        {
          fail (task, "connect",
                g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                     "No remote address to connect to"));
          return;
        }
      if (data->service != NULL)
        {
          if (!lookup_service (data->service, &port, &error))
            {
              fail (task, "resolve", error);
              return;
            }
        }
      else if (port == 0)
        {
          fail (task, "connect",
                g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                     "No remote port to connect to"));
          return;
        }
      /* An address literal for the direct path is parsed here, once. */
      literal = data->tls || data->proxy_uri != NULL
        ? NULL : g_inet_address_new_from_string (data->host);
      if (literal != NULL)
        data->target = G_SOCKET_CONNECTABLE (g_inet_socket_address_new (literal, port));
      else
        data->target = g_network_address_new (data->host, port);
      data->target_name = strchr (data->host, ':') != NULL
        ? g_strdup_printf ("[%s]:%u", data->host, port)
        : g_strdup_printf ("%s:%u", data->host, port);
    }

  /* The local address, resolved first when it is a host name. */
  if (data->bind_address != NULL && data->bind_address[0] != '\0')
    {
      g_autoptr(GInetAddress) literal = g_inet_address_new_from_string (data->bind_address);

      if (literal == NULL)
        {
          GResolverNameLookupFlags flags = G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT;
          g_autoptr(GResolver) resolver = g_resolver_get_default ();

          if (data->family == G_SOCKET_FAMILY_IPV4)
            flags = G_RESOLVER_NAME_LOOKUP_FLAGS_IPV4_ONLY;
          else if (data->family == G_SOCKET_FAMILY_IPV6)
            flags = G_RESOLVER_NAME_LOOKUP_FLAGS_IPV6_ONLY;
          g_resolver_lookup_by_name_with_flags_async (resolver, data->bind_address, flags,
                                                      data->cancellable,
                                                      bind_resolved_cb, task);
          return;
        }
      data->local_address = g_inet_socket_address_new (literal, data->bind_port);
    }
  else if (data->bind_port != 0)
    data->local_address = any_address (data->family, data->bind_port);

  start_connect (task);
}

GIOStream *
_tcpc_connector_connect_finish (GAsyncResult  *result,
                                const char   **operation,
                                GError       **error)
{
  GTask *task = G_TASK (result);
  ConnectData *data = g_task_get_task_data (task);

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  if (operation != NULL)
    *operation = data->operation;

  return g_task_propagate_pointer (task, error);
}
