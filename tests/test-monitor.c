/* test-monitor.c: automatic retries follow a GNetworkMonitor
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gio/gio.h>
#include <tcpclient.h>

#include "tcpc-test-server.h"

/* A network monitor the test switches on and off. */
typedef struct
{
  GObject  parent_instance;
  gboolean available;
} FakeMonitor;

typedef struct
{
  GObjectClass parent_class;
} FakeMonitorClass;

static void fake_initable_init (GInitableIface *iface);
static void fake_monitor_init_iface (GNetworkMonitorInterface *iface);

GType fake_monitor_get_type (void);
G_DEFINE_TYPE_WITH_CODE (FakeMonitor, fake_monitor, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, fake_initable_init)
                         G_IMPLEMENT_INTERFACE (G_TYPE_NETWORK_MONITOR, fake_monitor_init_iface))

enum { PROP_0, PROP_AVAILABLE, PROP_METERED, PROP_CONNECTIVITY };

static gboolean
fake_initable_initable_init (GInitable     *initable,
                             GCancellable  *cancellable,
                             GError       **error)
{
  return TRUE;
}

static void
fake_initable_init (GInitableIface *iface)
{
  iface->init = fake_initable_initable_init;
}

static void
fake_monitor_init_iface (GNetworkMonitorInterface *iface)
{
}

static void
fake_monitor_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  FakeMonitor *self = (FakeMonitor *) object;

  switch (prop_id)
    {
    case PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    case PROP_METERED:
      g_value_set_boolean (value, FALSE);
      break;
    case PROP_CONNECTIVITY:
      g_value_set_enum (value, self->available ? G_NETWORK_CONNECTIVITY_FULL
                                               : G_NETWORK_CONNECTIVITY_LOCAL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fake_monitor_class_init (FakeMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = fake_monitor_get_property;
  g_object_class_override_property (object_class, PROP_AVAILABLE, "network-available");
  g_object_class_override_property (object_class, PROP_METERED, "network-metered");
  g_object_class_override_property (object_class, PROP_CONNECTIVITY, "connectivity");
}

static void
fake_monitor_init (FakeMonitor *self)
{
}

static void
fake_monitor_set_available (FakeMonitor *self,
                            gboolean     available)
{
  self->available = available;
  g_signal_emit_by_name (self, "network-changed", available);
}

static void
count_cb (TcpcClient *client,
          const char *operation,
          GError     *error,
          gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
connected_cb (TcpcClient     *client,
              GIOStream      *stream,
              GSocketAddress *address,
              gpointer        user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Offline, a failed attempt is not retried; when the network comes back
 * the retry starts at once, whatever the back-off says. */
static void
test_retry_follows_monitor (void)
{
  g_autoptr(GSocket) refused = NULL;
  TcpcTestServer *server = tcpc_test_server_new ();
  FakeMonitor *monitor = g_object_new (fake_monitor_get_type (), NULL);
  TcpcClient *client;
  guint16 refused_port = 0;
  guint errors = 0;
  gboolean connected = FALSE;

  refused = tcpc_test_reserve_refused_port (&refused_port);
  client = tcpc_client_new ("127.0.0.1", refused_port);
  g_object_set (client,
                "auto-reconnect", TRUE,
                "reconnect-delay", 0.01,
                "reconnect-jitter", 0.0,
                "network-monitor", monitor,
                NULL);
  g_signal_connect (client, "connect-error", G_CALLBACK (count_cb), &errors);
  g_signal_connect (client, "connected", G_CALLBACK (connected_cb), &connected);

  tcpc_client_start (client);
  TCPC_TEST_WAIT (errors == 1, 5000);

  /* offline: no further attempt, though the back-off is 10 ms */
  tcpc_test_spin (300);
  g_assert_cmpuint (errors, ==, 1);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTING);
  g_assert_cmpuint (tcpc_client_get_next_retry (client), ==, 0);

  /* still offline when the network changes otherwise */
  fake_monitor_set_available (monitor, FALSE);
  tcpc_test_spin (50);
  g_assert_cmpuint (errors, ==, 1);

  /* back online, to a server that now listens: connected at once, even
   * with a long back-off */
  g_object_set (client, "reconnect-delay", 3600.0, "remote-port", (guint) server->port, NULL);
  fake_monitor_set_available (monitor, TRUE);
  TCPC_TEST_WAIT (connected, 2000);
  g_assert_cmpuint (errors, ==, 1);

  tcpc_client_shutdown (client);
  g_assert_finalize_object (client);
  g_assert_finalize_object (monitor);
  tcpc_test_server_free (server);
}

/* Online, a failed attempt waits for its back-off; the network coming
 * back (a change to available) cuts the wait short. */
static void
test_network_back_cuts_backoff (void)
{
  g_autoptr(GSocket) refused = NULL;
  FakeMonitor *monitor = g_object_new (fake_monitor_get_type (), NULL);
  TcpcClient *client;
  guint16 refused_port = 0;
  guint errors = 0;

  monitor->available = TRUE;
  refused = tcpc_test_reserve_refused_port (&refused_port);
  client = tcpc_client_new ("127.0.0.1", refused_port);
  g_object_set (client,
                "auto-reconnect", TRUE,
                "reconnect-delay", 3600.0,
                "reconnect-max-delay", 3600.0,
                "reconnect-jitter", 0.0,
                "network-monitor", monitor,
                NULL);
  g_signal_connect (client, "connect-error", G_CALLBACK (count_cb), &errors);

  tcpc_client_start (client);
  TCPC_TEST_WAIT (errors == 1, 5000);
  g_assert_cmpuint (tcpc_client_get_next_retry (client), ==, 3600);

  fake_monitor_set_available (monitor, TRUE);
  TCPC_TEST_WAIT (errors == 2, 5000);

  tcpc_client_shutdown (client);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CLOSED);
  g_assert_finalize_object (client);
  g_assert_finalize_object (monitor);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Tcpc/Monitor/retry-follows-monitor", test_retry_follows_monitor);
  g_test_add_func ("/Tcpc/Monitor/network-back-cuts-backoff", test_network_back_cuts_backoff);

  return g_test_run ();
}
