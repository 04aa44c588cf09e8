/* tcpc-connector-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * One connection attempt: resolve (service name, bind address), connect
 * with GSocketClient (proxy, happy eyeballs), TLS, all under one deadline.
 * The result is a GIOStream, or a GError with the name of the step that
 * failed ("resolve", "bind", "connect", "tls").
 */
typedef struct
{
  GSocketConnectable *connectable;    /* overrides host/port/service */
  const char         *host;
  guint16             port;
  const char         *service;        /* overrides port */
  const char         *bind_address;
  guint16             bind_port;
  GSocketFamily       family;
  gboolean            tls;
  GTlsDatabase       *tls_database;   /* NULL: the system's */
  const char         *proxy_uri;      /* NULL: the system's proxy settings */
  gboolean            enable_proxy;
  double              timeout;        /* seconds, 0 = none */

  /* Called from the attempt as it goes; owner is the callbacks' data. */
  void              (*progress)           (gpointer            owner,
                                           GSocketClientEvent  event,
                                           GSocketConnectable *connectable,
                                           GIOStream          *connection);
  gboolean          (*accept_certificate) (gpointer             owner,
                                           GTlsCertificate     *certificate,
                                           GTlsCertificateFlags errors);
  gpointer            owner;
} TcpcConnectOptions;

void       _tcpc_connector_connect_async  (const TcpcConnectOptions  *options,
                                           GCancellable              *cancellable,
                                           GAsyncReadyCallback        callback,
                                           gpointer                   user_data);
GIOStream *_tcpc_connector_connect_finish (GAsyncResult              *result,
                                           const char               **operation,
                                           GError                   **error);

G_END_DECLS
