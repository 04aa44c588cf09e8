/* test-starttls.c: upgrading a live plain connection to TLS
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A STARTTLS-style server (a GThreadedSocketService on loopback) greets in
 * plain text, answers "STARTTLS" with "220 go ahead", then does a TLS
 * handshake with a certificate made by openssl for this run, and answers
 * every line over TLS.
 */

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <tcpclient.h>

#include "tcpc-test-server.h"

typedef struct
{
  char            *dir;
  char            *cert;
  char            *key;
  GTlsCertificate *certificate;
} Fixture;

static Fixture fx;

static gboolean
make_certificate (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  int status = 0;

  if (openssl == NULL || !g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    return FALSE;

  fx.dir = g_dir_make_tmp ("tcpc-starttls-XXXXXX", &error);
  g_assert_no_error (error);
  fx.cert = g_build_filename (fx.dir, "cert.pem", NULL);
  fx.key = g_build_filename (fx.dir, "key.pem", NULL);
  {
    const char *argv[] = {
      openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
      "-nodes", "-keyout", fx.key, "-out", fx.cert, "-days", "2", "-subj", "/CN=localhost",
      "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", NULL
    };
    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                  NULL, NULL, NULL, NULL, &status, &error);
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }
  fx.certificate = g_tls_certificate_new_from_files (fx.cert, fx.key, &error);
  g_assert_no_error (error);
  return TRUE;
}

static void
write_all (GOutputStream *out,
           const char    *text)
{
  g_output_stream_write_all (out, text, strlen (text), NULL, NULL, NULL);
}

/* Runs in a worker thread of the service: blocking I/O is fine here. */
static gboolean
serve_cb (GThreadedSocketService *service,
          GSocketConnection      *connection,
          GObject                *source,
          gpointer                user_data)
{
  g_autoptr(GDataInputStream) plain = NULL;
  g_autoptr(GDataInputStream) secure = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autofree char *line = NULL;
  gboolean refuse = GPOINTER_TO_INT (user_data);

  plain = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  g_data_input_stream_set_newline_type (plain, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), "220 ready\r\n");
  line = g_data_input_stream_read_line (plain, NULL, NULL, NULL);
  if (g_strcmp0 (line, "STARTTLS") != 0)
    return TRUE;
  write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), "220 go ahead\r\n");

  if (refuse)
    {
      /* not TLS at all: the handshake must fail */
      write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                 "this is not a TLS record\r\n");
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }

  tls = g_tls_server_connection_new (G_IO_STREAM (connection), fx.certificate, NULL);
  if (tls == NULL || !g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, NULL))
    return TRUE;

  secure = g_data_input_stream_new (g_io_stream_get_input_stream (tls));
  g_data_input_stream_set_newline_type (secure, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  for (;;)
    {
      g_autofree char *secret = g_data_input_stream_read_line (secure, NULL, NULL, NULL);
      g_autofree char *answer = NULL;

      if (secret == NULL)
        break;
      answer = g_strdup_printf ("secret: %s\r\n", secret);
      write_all (g_io_stream_get_output_stream (tls), answer);
    }
  g_io_stream_close (tls, NULL, NULL);
  return TRUE;
}

static GSocketService *
start_server (gboolean  refuse,
              guint16  *port)
{
  GSocketService *service = g_threaded_socket_service_new (4);
  g_autoptr(GError) error = NULL;

  *port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (service), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "run", G_CALLBACK (serve_cb), GINT_TO_POINTER (refuse));
  g_socket_service_start (service);
  return service;
}

typedef struct
{
  GPtrArray *records;
  gboolean   upgraded;
  gboolean   upgrade_done;
  GError    *upgrade_error;
  GPtrArray *server_errors;
  gboolean   disconnected;
} Session;

static void
upgraded_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Session *session = user_data;
  TcpcClient *client = TCPC_CLIENT (object);

  session->upgraded = tcpc_client_start_tls_finish (client, result, &session->upgrade_error);
  session->upgrade_done = TRUE;
  if (session->upgraded)
    tcpc_client_put_string (client, "hello", NULL);
}

static void
input_cb (TcpcClient *client,
          GBytes     *record,
          gpointer    user_data)
{
  Session *session = user_data;
  g_autofree char *text = g_strndup (g_bytes_get_data (record, NULL), g_bytes_get_size (record));
  GError *error = NULL;

  g_ptr_array_add (session->records, g_strdup (text));
  if (g_str_equal (text, "220 ready"))
    {
      g_assert_true (tcpc_client_put_string (client, "STARTTLS", NULL));
    }
  else if (g_str_equal (text, "220 go ahead"))
    {
      tcpc_client_start_tls_async (client, NULL, upgraded_cb, session);
      /* nothing may be put while the upgrade runs */
      g_assert_false (tcpc_client_put_string (client, "too early", &error));
      g_assert_error (error, TCPC_CLIENT_ERROR, TCPC_CLIENT_ERROR_NOT_CONNECTED);
      g_clear_error (&error);
    }
}

static void
server_error_cb (TcpcClient *client,
                 const char *operation,
                 GError     *error,
                 gpointer    user_data)
{
  Session *session = user_data;

  g_ptr_array_add (session->server_errors, g_strdup (operation));
}

static void
disconnected_cb (TcpcClient *client,
                 gpointer    user_data)
{
  ((Session *) user_data)->disconnected = TRUE;
}

static TcpcClient *
session_client (Session *session,
                guint16  port)
{
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  g_autoptr(GTlsDatabase) db = NULL;
  g_autoptr(GError) error = NULL;

  session->records = g_ptr_array_new_with_free_func (g_free);
  session->server_errors = g_ptr_array_new_with_free_func (g_free);
  db = g_tls_file_database_new (fx.cert, &error);
  g_assert_no_error (error);
  g_object_set (client, "tls-database", db, NULL);
  g_signal_connect (client, "server-input", G_CALLBACK (input_cb), session);
  g_signal_connect (client, "server-error", G_CALLBACK (server_error_cb), session);
  g_signal_connect (client, "disconnected", G_CALLBACK (disconnected_cb), session);
  return client;
}

static void
session_clear (Session *session)
{
  g_ptr_array_unref (session->records);
  g_ptr_array_unref (session->server_errors);
  g_clear_error (&session->upgrade_error);
}

static void
test_starttls (void)
{
  g_autoptr(GSocketService) service = NULL;
  Session session = { 0 };
  TcpcClient *client;
  guint16 port;

  if (fx.certificate == NULL)
    {
      g_test_skip ("openssl or a GIO TLS backend is missing");
      return;
    }

  service = start_server (FALSE, &port);
  client = session_client (&session, port);
  tcpc_client_start (client);

  TCPC_TEST_WAIT (session.records->len == 3, 10000);
  g_assert_true (session.upgraded);
  g_assert_no_error (session.upgrade_error);
  g_assert_cmpstr (g_ptr_array_index (session.records, 0), ==, "220 ready");
  g_assert_cmpstr (g_ptr_array_index (session.records, 1), ==, "220 go ahead");
  g_assert_cmpstr (g_ptr_array_index (session.records, 2), ==, "secret: hello");
  g_assert_true (G_IS_TLS_CONNECTION (tcpc_client_get_stream (client)));
  g_assert_nonnull (tcpc_client_get_peer_certificate (client));
  g_assert_cmpuint (tcpc_client_get_peer_certificate_errors (client), ==, 0);
  g_assert_cmpuint (session.server_errors->len, ==, 0);

  tcpc_client_shutdown (client);
  TCPC_TEST_WAIT (session.disconnected, 5000);
  g_assert_finalize_object (client);
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  session_clear (&session);
}

/* A peer that does not speak TLS: the upgrade fails, then the connection
 * ends with server-error "tls" and disconnected. */
static void
test_starttls_fails (void)
{
  g_autoptr(GSocketService) service = NULL;
  Session session = { 0 };
  TcpcClient *client;
  guint16 port;

  if (fx.certificate == NULL)
    {
      g_test_skip ("openssl or a GIO TLS backend is missing");
      return;
    }

  service = start_server (TRUE, &port);
  client = session_client (&session, port);
  tcpc_client_start (client);

  TCPC_TEST_WAIT (session.disconnected, 10000);
  g_assert_true (session.upgrade_done);
  g_assert_false (session.upgraded);
  g_assert_nonnull (session.upgrade_error);
  g_assert_cmpuint (session.server_errors->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (session.server_errors, 0), ==, "tls");
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CLOSED);

  g_assert_finalize_object (client);
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  session_clear (&session);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  make_certificate ();

  g_test_add_func ("/Tcpc/StartTls/upgrade", test_starttls);
  g_test_add_func ("/Tcpc/StartTls/not-tls", test_starttls_fails);

  ret = g_test_run ();

  if (fx.dir != NULL)
    {
      g_unlink (fx.cert);
      g_unlink (fx.key);
      g_rmdir (fx.dir);
    }
  g_clear_object (&fx.certificate);
  g_free (fx.cert);
  g_free (fx.key);
  g_free (fx.dir);
  return ret;
}
