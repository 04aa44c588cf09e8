/* test-network.c: TcpcClient on real networks (issue 5)
 *
 * TLS against openssl s_server with a CA and server certificates made at run
 * time, SOCKS4/SOCKS5/HTTP CONNECT through an in-process loopback proxy, the
 * automatic reconnect policy, idle and shutdown timeouts, socket options,
 * flow control (water marks, pause/resume, half-close), statistics, connect
 * diagnostics and clients over an existing stream.
 *
 * Every peer is on loopback with a kernel-chosen port, every wait is bounded
 * and driven by the main loop.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <tcpclient.h>

#include "tcpc-test-server.h"

#if defined(__SANITIZE_ADDRESS__)
# define TEST_LSAN 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define TEST_LSAN 1
# endif
#endif
#ifdef TEST_LSAN
# include <sanitizer/lsan_interface.h>
#endif

#define WAIT_MS         5000
#define WAIT_LONG_MS   20000


static const char *refused_event = "connect-error:connect:io:connection-refused";
static const char *not_supported_event = "connect-error:connect:io:not-supported";
static const char *idle_event = "server-error:read:io:timed-out";
static const char *flush_timeout_event = "server-error:write:io:timed-out";

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* Seconds between the @a-th occurrence of @event_a and the @b-th of @event_b. */
static double
gap_between (TcpcTestRecorder *rec,
             const char       *event_a,
             guint             a,
             const char       *event_b,
             guint             b)
{
  gint64 ta = tcpc_test_recorder_time_of (rec, event_a, a);
  gint64 tb = tcpc_test_recorder_time_of (rec, event_b, b);

  g_assert_cmpint (ta, >, 0);
  g_assert_cmpint (tb, >, 0);
  return (tb - ta) / (double) G_USEC_PER_SEC;
}

/* A TcpcTestServer listening on 127.0.0.1:@port (a port that a test kept
 * refused until now). */
static TcpcTestServer *
server_on_port (guint16 port)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  g_autoptr(GError) error = NULL;
  TcpcTestServer *server;

  server = tcpc_test_server_new_for_address (address, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (server->port, ==, port);
  return server;
}

static void
close_socket (GSocket *socket)
{
  g_socket_close (socket, NULL);
  g_object_unref (socket);
}

/* The GSocket under the client's current stream (a GSocketConnection). */
static GSocket *
client_socket (TcpcClient *client)
{
  GIOStream *stream = tcpc_client_get_stream (client);

  g_assert_nonnull (stream);
  g_assert_true (G_IS_SOCKET_CONNECTION (stream));
  return g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
}

static int
socket_option (GSocket *socket,
               int      level,
               int      optname)
{
  g_autoptr(GError) error = NULL;
  int value = -1;

  g_assert_true (g_socket_get_option (socket, level, optname, &value, &error));
  g_assert_no_error (error);
  return value;
}

/* Records every notify::@property as "<property>:<value>" in the recorder. */
static void
record_uint_notify_cb (GObject    *object,
                       GParamSpec *pspec,
                       gpointer    user_data)
{
  TcpcTestRecorder *rec = user_data;
  GValue value = G_VALUE_INIT;
  g_autofree char *event = NULL;

  g_value_init (&value, pspec->value_type);
  g_object_get_property (object, pspec->name, &value);
  if (G_VALUE_HOLDS_UINT (&value))
    event = g_strdup_printf ("%s:%u", pspec->name, g_value_get_uint (&value));
  else if (G_VALUE_HOLDS_BOOLEAN (&value))
    event = g_strdup_printf ("%s:%s", pspec->name,
                             g_value_get_boolean (&value) ? "TRUE" : "FALSE");
  else
    event = g_strdup_printf ("%s:?", pspec->name);
  g_value_unset (&value);
  tcpc_test_recorder_add (rec, event);
}

/* The values of the "<prefix>" events in rec->all between positions
 * [from, to), with consecutive duplicates removed. */
static GPtrArray *
distinct_values (TcpcTestRecorder *rec,
                 const char       *prefix,
                 guint             from,
                 guint             to)
{
  GPtrArray *values = g_ptr_array_new_with_free_func (g_free);
  gsize plen = strlen (prefix);
  guint i;

  for (i = from; i < to && i < rec->all->len; i++)
    {
      const char *ev = g_ptr_array_index (rec->all, i);

      if (!g_str_has_prefix (ev, prefix))
        continue;
      if (values->len > 0 &&
          g_str_equal (g_ptr_array_index (values, values->len - 1), ev + plen))
        continue;
      g_ptr_array_add (values, g_strdup (ev + plen));
    }
  return values;
}

/* The strings of @array joined with ","; free it. */
static char *
join_strings (GPtrArray *array)
{
  GString *str = g_string_new (NULL);
  guint i;

  for (i = 0; i < array->len; i++)
    {
      if (i > 0)
        g_string_append_c (str, ',');
      g_string_append (str, g_ptr_array_index (array, i));
    }
  return g_string_free (str, FALSE);
}

/* Index in rec->all of the @nth occurrence of @event, or -1. */
static int
index_of_nth (TcpcTestRecorder *rec,
              const char       *event,
              guint             nth)
{
  guint i;

  for (i = 0; i < rec->all->len; i++)
    if (g_str_equal (g_ptr_array_index (rec->all, i), event) && nth-- == 0)
      return i;
  return -1;
}

/* Runs a command to its end (bounded), failing the test if it fails. */
typedef struct
{
  gboolean done;
  gboolean ok;
  char *output;
  GError *error;
} CommandResult;

static void
command_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CommandResult *r = user_data;
  GSubprocess *proc = G_SUBPROCESS (source);

  if (g_subprocess_communicate_utf8_finish (proc, result, &r->output, NULL,
                                            &r->error))
    r->ok = g_subprocess_get_successful (proc);
  r->done = TRUE;
}

static void
run_command (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  CommandResult r = { 0 };

  proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                  G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                  G_SUBPROCESS_FLAGS_STDERR_MERGE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, command_done_cb, &r);
  TCPC_TEST_WAIT (r.done, 60000);
  g_assert_no_error (r.error);
  if (!r.ok)
    {
      g_autofree char *cmd = g_strjoinv (" ", (char **) argv);
      g_autofree char *msg = g_strdup_printf ("command failed: %s\n%s", cmd,
                                              r.output ? r.output : "");

      g_free (r.output);
      g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, msg);
    }
  g_free (r.output);
}

/* ------------------------------------------------------------------------ */
/* TLS fixtures: a CA, two server certificates, openssl s_server             */
/* ------------------------------------------------------------------------ */

enum
{
  CERT_LOCALHOST,       /* CN localhost, DNS:localhost, IP:127.0.0.1 */
  CERT_INVALID_NAME,    /* CN example.invalid, DNS:example.invalid */
  N_CERTS
};

typedef struct
{
  gboolean tried;
  gboolean usable;
  char *skip_reason;
  char *dir;
  char *ca_pem;
  char *ca_key;
  char *cert[N_CERTS];
  char *key[N_CERTS];
  GPtrArray *files;     /* everything to remove at the end */
} TlsFiles;

static TlsFiles tls_files;

static char *
tls_file (const char *name)
{
  char *path = g_build_filename (tls_files.dir, name, NULL);

  g_ptr_array_add (tls_files.files, g_strdup (path));
  return path;
}

static void
make_server_cert (guint       which,
                  const char *name,
                  const char *san)
{
  g_autofree char *csr = NULL;
  g_autofree char *ext = NULL;
  g_autofree char *ext_text = NULL;
  g_autofree char *subj = g_strdup_printf ("/CN=%s", name);
  g_autofree char *serial = g_strdup_printf ("%u", which + 2);
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_strdup_printf ("server-%u", which);
  g_autofree char *key_name = g_strconcat (base, ".key", NULL);
  g_autofree char *pem_name = g_strconcat (base, ".pem", NULL);
  g_autofree char *csr_name = g_strconcat (base, ".csr", NULL);
  g_autofree char *ext_name = g_strconcat (base, ".ext", NULL);

  tls_files.key[which] = tls_file (key_name);
  tls_files.cert[which] = tls_file (pem_name);
  csr = tls_file (csr_name);
  ext = tls_file (ext_name);

  ext_text = g_strdup_printf ("subjectAltName=%s\n"
                              "basicConstraints=critical,CA:FALSE\n"
                              "keyUsage=critical,digitalSignature\n"
                              "extendedKeyUsage=serverAuth\n", san);
  g_file_set_contents (ext, ext_text, -1, &error);
  g_assert_no_error (error);

  {
    const char *argv[] = {
      "openssl", "req", "-new", "-newkey", "ec",
      "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
      "-keyout", tls_files.key[which], "-out", csr, "-subj", subj, NULL
    };
    run_command (argv);
  }
  {
    const char *argv[] = {
      "openssl", "x509", "-req", "-in", csr, "-CA", tls_files.ca_pem,
      "-CAkey", tls_files.ca_key, "-set_serial", serial, "-days", "2",
      "-extfile", ext, "-out", tls_files.cert[which], NULL
    };
    run_command (argv);
  }
}

/* Makes the CA and the server certificates once per run. Returns FALSE
 * when TLS cannot be tested here. */
static gboolean
tls_files_prepare (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *openssl = NULL;

  if (!tls_files.tried)
    {
      tls_files.tried = TRUE;
      tls_files.files = g_ptr_array_new_with_free_func (g_free);

      openssl = g_find_program_in_path ("openssl");
      if (openssl == NULL)
        {
          tls_files.skip_reason = g_strdup ("openssl is not installed");
          goto out;
        }
      if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
        {
          tls_files.skip_reason = g_strdup ("no GIO TLS backend (glib-networking)");
          goto out;
        }

      tls_files.dir = g_dir_make_tmp ("tcpc-tls-XXXXXX", &error);
      g_assert_no_error (error);
      tls_files.ca_pem = tls_file ("ca.pem");
      tls_files.ca_key = tls_file ("ca.key");
      {
        const char *argv[] = {
          "openssl", "req", "-x509", "-newkey", "ec",
          "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
          "-keyout", tls_files.ca_key, "-out", tls_files.ca_pem,
          "-days", "2", "-subj", "/CN=Tcpc Test CA",
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign", NULL
        };
        run_command (argv);
      }
      make_server_cert (CERT_LOCALHOST, "localhost", "DNS:localhost,IP:127.0.0.1");
      make_server_cert (CERT_INVALID_NAME, "example.invalid", "DNS:example.invalid");
      tls_files.usable = TRUE;
    }

out:
  return tls_files.usable;
}

/* The same, marking the test skipped when TLS cannot be tested. */
static gboolean
tls_files_ensure (void)
{
  if (!tls_files_prepare ())
    {
      g_test_skip (tls_files.skip_reason);
      return FALSE;
    }
  return TRUE;
}

static void
tls_files_cleanup (void)
{
  guint i;

  if (tls_files.files != NULL)
    {
      for (i = 0; i < tls_files.files->len; i++)
        g_unlink (g_ptr_array_index (tls_files.files, i));
      g_ptr_array_unref (tls_files.files);
    }
  if (tls_files.dir != NULL)
    g_rmdir (tls_files.dir);
  g_free (tls_files.dir);
  g_free (tls_files.ca_pem);
  g_free (tls_files.ca_key);
  for (i = 0; i < N_CERTS; i++)
    {
      g_free (tls_files.cert[i]);
      g_free (tls_files.key[i]);
    }
  g_free (tls_files.skip_reason);
}

static GTlsDatabase *
test_ca_database (void)
{
  g_autoptr(GError) error = NULL;
  GTlsDatabase *db = g_tls_file_database_new (tls_files.ca_pem, &error);

  g_assert_no_error (error);
  return db;
}

/* openssl s_server -rev on 127.0.0.1: every line received is sent back
 * reversed, terminated by "\n".  It serves one connection at a time. */
typedef struct
{
  GSubprocess *proc;
  GInputStream *out;
  GCancellable *cancellable;
  GString *log;
  guint16 port;
  gboolean ready;      /* "ACCEPT" printed: listening */
  gboolean exited;
  gboolean reading;
} TlsServer;

static void tls_server_read (TlsServer *server);

static void
tls_server_read_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  TlsServer *server = user_data;
  g_autoptr(GBytes) bytes = NULL;
  gsize len = 0;
  const char *data;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      server->reading = FALSE;
      return;
    }
  data = g_bytes_get_data (bytes, &len);
  g_string_append_len (server->log, data, len);
  if (!server->ready && strstr (server->log->str, "ACCEPT\n") != NULL)
    server->ready = TRUE;
  tls_server_read (server);
}

static void
tls_server_read (TlsServer *server)
{
  server->reading = TRUE;
  g_input_stream_read_bytes_async (server->out, 4096, G_PRIORITY_DEFAULT,
                                   server->cancellable, tls_server_read_cb,
                                   server);
}

static void
tls_server_exited_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  TlsServer *server = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  server->exited = TRUE;
}

static void tls_server_stop (TlsServer *server);

static TlsServer *
tls_server_start (guint which)
{
  guint attempt;

  for (attempt = 0; attempt < 10; attempt++)
    {
      g_autoptr(GError) error = NULL;
      TlsServer *server = g_new0 (TlsServer, 1);
      g_autofree char *accept = NULL;

      server->port = tcpc_test_get_free_port ();
      server->log = g_string_new (NULL);
      server->cancellable = g_cancellable_new ();
      accept = g_strdup_printf ("127.0.0.1:%u", server->port);
      {
        const char *argv[] = {
          "openssl", "s_server", "-accept", accept,
          "-cert", tls_files.cert[which], "-key", tls_files.key[which],
          "-rev", NULL
        };

        server->proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                G_SUBPROCESS_FLAGS_STDERR_MERGE,
                                          &error);
      }
      g_assert_no_error (error);
      server->out = g_object_ref (g_subprocess_get_stdout_pipe (server->proc));
      g_subprocess_wait_async (server->proc, NULL, tls_server_exited_cb, server);
      tls_server_read (server);

      /* ready, or exited because the port was taken meanwhile */
      TCPC_TEST_WAIT (server->ready || server->exited, 20000);
      if (server->ready)
        return server;

      g_test_message ("s_server on port %u failed, retrying: %s", server->port,
                      server->log->str);
      tls_server_stop (server);
    }

  g_assert_not_reached ();
  return NULL;
}

static void
tls_server_stop (TlsServer *server)
{
  if (server == NULL)
    return;

  if (!server->exited)
    g_subprocess_force_exit (server->proc);
  g_cancellable_cancel (server->cancellable);
  TCPC_TEST_WAIT (server->exited && !server->reading, WAIT_MS);
  g_test_message ("s_server log:\n%s", server->log->str);
  g_object_unref (server->out);
  g_object_unref (server->proc);
  g_object_unref (server->cancellable);
  g_string_free (server->log, TRUE);
  g_free (server);
}

/* ------------------------------------------------------------------------ */
/* connect-progress log                                                      */
/* ------------------------------------------------------------------------ */

typedef struct
{
  GPtrArray *events;            /* enum nicks */
  guint n_null_connectable;
  guint n_connection_missing;   /* CONNECTED/COMPLETE without a connection */
  gboolean complete_before_connected;
  gulong handler;
  gulong connected_handler;
} ProgressLog;

static const char *
client_event_nick (GSocketClientEvent event)
{
  GEnumClass *klass = g_type_class_peek (G_TYPE_SOCKET_CLIENT_EVENT);
  GEnumValue *value;

  if (klass == NULL)
    klass = g_type_class_ref (G_TYPE_SOCKET_CLIENT_EVENT);   /* kept */
  value = g_enum_get_value (klass, event);
  return value != NULL ? value->value_nick : "?";
}

static void
progress_cb (TcpcClient         *client,
             GSocketClientEvent  event,
             GSocketConnectable *connectable,
             GIOStream          *connection,
             ProgressLog        *log)
{
  g_test_message ("connect-progress: %s", client_event_nick (event));
  g_ptr_array_add (log->events, g_strdup (client_event_nick (event)));
  if (connectable == NULL)
    log->n_null_connectable++;
  if ((event == G_SOCKET_CLIENT_CONNECTED || event == G_SOCKET_CLIENT_COMPLETE) &&
      connection == NULL)
    log->n_connection_missing++;
}

static void
progress_connected_cb (TcpcClient     *client,
                       GIOStream      *stream,
                       GSocketAddress *remote,
                       ProgressLog    *log)
{
  log->complete_before_connected =
    log->events->len > 0 &&
    g_str_equal (g_ptr_array_index (log->events, log->events->len - 1), "complete");
}

static ProgressLog *
progress_log_new (TcpcClient *client)
{
  ProgressLog *log = g_new0 (ProgressLog, 1);

  log->events = g_ptr_array_new_with_free_func (g_free);
  log->handler = g_signal_connect (client, "connect-progress",
                                   G_CALLBACK (progress_cb), log);
  log->connected_handler = g_signal_connect (client, "connected",
                                             G_CALLBACK (progress_connected_cb), log);
  return log;
}

static void
progress_log_free (ProgressLog *log,
                   TcpcClient  *client)
{
  g_signal_handler_disconnect (client, log->handler);
  g_signal_handler_disconnect (client, log->connected_handler);
  g_ptr_array_unref (log->events);
  g_free (log);
}

static int
progress_index (ProgressLog *log,
                const char  *nick)
{
  guint i;

  for (i = 0; i < log->events->len; i++)
    if (g_str_equal (g_ptr_array_index (log->events, i), nick))
      return i;
  return -1;
}

/* ------------------------------------------------------------------------ */
/* TLS                                                                       */
/* ------------------------------------------------------------------------ */

static GTlsCertificate *
server_certificate (guint which)
{
  g_autoptr(GError) error = NULL;
  GTlsCertificate *cert = g_tls_certificate_new_from_file (tls_files.cert[which],
                                                           &error);
  g_assert_no_error (error);
  return cert;
}

/* Connects with tls and the test CA to @host, exchanges two lines with
 * s_server -rev, checks the peer certificate, and shuts down. */
static void
tls_trusted_session (TlsServer  *server,
                     const char *host)
{
  TcpcClient *client = tcpc_client_new (host, server->port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  ProgressLog *progress = progress_log_new (client);
  g_autoptr(GTlsDatabase) db = test_ca_database ();
  g_autoptr(GTlsCertificate) expected = server_certificate (CERT_LOCALHOST);
  GTlsCertificate *peer = NULL;
  GTlsCertificateFlags errors = 0;
  GTlsDatabase *got_db = NULL;

  g_object_set (client, "tls", TRUE, "tls-database", db, NULL);
  g_object_get (client, "tls-database", &got_db, NULL);
  g_assert_true (got_db == db);
  g_clear_object (&got_db);

  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "connected") ||
                  tcpc_test_count_prefix (rec->events, "connect-error") > 0, WAIT_LONG_MS);
  if (rec->last_error != NULL)
    g_test_message ("connect-error %s: %s", rec->last_operation,
                    rec->last_error->message);
  tcpc_test_assert_events (rec, "started", "connected");

  /* GSocketClient's TLS gives a GTcpWrapperConnection around the TLS
   * connection; either is fine */
  g_assert_true (G_IS_TLS_CONNECTION (rec->last_stream) ||
                 (G_IS_TCP_WRAPPER_CONNECTION (rec->last_stream) &&
                  G_IS_TLS_CONNECTION (g_tcp_wrapper_connection_get_base_io_stream (
                      G_TCP_WRAPPER_CONNECTION (rec->last_stream)))));
  g_object_get (client, "peer-certificate", &peer,
                "peer-certificate-errors", &errors, NULL);
  g_assert_nonnull (peer);
  g_assert_true (g_tls_certificate_is_same (peer, expected));
  g_assert_true (tcpc_client_get_peer_certificate (client) == peer);
  g_assert_cmpuint (errors, ==, 0);
  g_assert_cmpuint (tcpc_client_get_peer_certificate_errors (client), ==, 0);
  g_clear_object (&peer);

  /* TLS adds its two events between CONNECTED and COMPLETE */
  g_assert_cmpint (progress_index (progress, "connected"), >=, 0);
  g_assert_cmpint (progress_index (progress, "tls-handshaking"), >,
                   progress_index (progress, "connected"));
  g_assert_cmpint (progress_index (progress, "tls-handshaked"), >,
                   progress_index (progress, "tls-handshaking"));
  g_assert_cmpint (progress_index (progress, "complete"), >,
                   progress_index (progress, "tls-handshaked"));

  /* and to the TLS connection's socket */
  g_assert_cmpint (socket_option (client_socket (client), SOL_SOCKET, SO_KEEPALIVE), !=, 0);
  g_assert_cmpint (socket_option (client_socket (client), IPPROTO_TCP, TCP_NODELAY), !=, 0);

  tcpc_test_put_string_ok (client, "hello");
  tcpc_test_put_string_ok (client, "tcpclient");
  WAIT_EVENT (rec, "input:tneilcpct");
  g_assert_cmpuint (tcpc_test_count_prefix (rec->events, "input:"), ==, 2);
  g_assert_cmpint (tcpc_test_recorder_index_of (rec, "input:olleh"), <,
                   tcpc_test_recorder_index_of (rec, "input:tneilcpct"));
  g_assert_true (tcpc_test_recorder_has (rec, "flushed"));
  g_assert_cmpuint (tcpc_test_count_prefix (rec->events, "server-error"), ==, 0);

  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  g_assert_null (tcpc_client_get_stream (client));

  progress_log_free (progress, client);
  tcpc_test_finish_client (client, rec);
}

static void
test_tls_trusted (void)
{
  TlsServer *server;

  if (!tls_files_ensure ())
    return;
  server = tls_server_start (CERT_LOCALHOST);

  /* the identity is the host name, then the IP address of the SAN */
  tls_trusted_session (server, "localhost");
  tls_trusted_session (server, "127.0.0.1");

  tls_server_stop (server);
}

/* Without the test CA the certificate is refused: connect-error "tls". */
static void
test_tls_untrusted (void)
{
  TlsServer *server;
  TcpcClient *client;
  TcpcTestRecorder *rec;

  if (!tls_files_ensure ())
    return;
  server = tls_server_start (CERT_LOCALHOST);
  client = tcpc_client_new ("localhost", server->port);
  rec = tcpc_test_recorder_new (client, 0);
  tcpc_client_set_tls (client, TRUE);
  g_assert_true (tcpc_client_get_tls (client));

  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_count_prefix (rec->events, "connect-error") > 0, WAIT_LONG_MS);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);

  g_assert_cmpuint (rec->events->len, ==, 2);
  g_assert_cmpstr (rec->last_operation, ==, "tls");
  g_assert_error (rec->last_error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_cmpstr (rec->last_error->message, !=, "");
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CLOSED");
  g_assert_null (tcpc_client_get_stream (client));
  g_assert_null (tcpc_client_get_peer_certificate (client));

  tcpc_test_finish_client (client, rec);
  tls_server_stop (server);
}

/* accept-certificate handlers */
typedef struct
{
  gboolean answer;
  guint n_calls;
  GTlsCertificateFlags errors;
  gboolean had_cert;
} CertHandler;

static gboolean
accept_certificate_cb (TcpcClient           *client,
                       GTlsCertificate      *peer_cert,
                       GTlsCertificateFlags  errors,
                       CertHandler          *h)
{
  h->n_calls++;
  h->errors = errors;
  h->had_cert = G_IS_TLS_CERTIFICATE (peer_cert);
  return h->answer;
}

/* An untrusted certificate accepted by a handler connects, and its
 * errors are readable. */
static void
test_tls_accept_certificate (void)
{
  TlsServer *server;
  TcpcClient *client;
  TcpcTestRecorder *rec;
  CertHandler h = { TRUE, 0, 0, FALSE };
  GTlsCertificateFlags errors = 0;
  g_autoptr(GTlsCertificate) expected = NULL;

  if (!tls_files_ensure ())
    return;
  server = tls_server_start (CERT_LOCALHOST);
  expected = server_certificate (CERT_LOCALHOST);
  client = tcpc_client_new ("localhost", server->port);
  rec = tcpc_test_recorder_new (client, 0);
  tcpc_client_set_tls (client, TRUE);
  g_signal_connect (client, "accept-certificate", G_CALLBACK (accept_certificate_cb), &h);

  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "connected") ||
                  tcpc_test_count_prefix (rec->events, "connect-error") > 0, WAIT_LONG_MS);
  tcpc_test_assert_events (rec, "started", "connected");

  g_assert_cmpuint (h.n_calls, ==, 1);
  g_assert_true (h.had_cert);
  g_assert_true (h.errors & G_TLS_CERTIFICATE_UNKNOWN_CA);
  g_object_get (client, "peer-certificate-errors", &errors, NULL);
  g_assert_true (errors & G_TLS_CERTIFICATE_UNKNOWN_CA);
  g_assert_true (g_tls_certificate_is_same (tcpc_client_get_peer_certificate (client),
                                            expected));

  tcpc_test_put_string_ok (client, "abc");
  WAIT_EVENT (rec, "input:cba");

  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");

  tcpc_test_finish_client (client, rec);
  tls_server_stop (server);
}

/* A handler returning FALSE refuses; the first handler returning TRUE wins. */
static void
test_tls_accept_certificate_handlers (void)
{
  TlsServer *server;
  TcpcClient *client;
  TcpcTestRecorder *rec;
  CertHandler no = { FALSE, 0, 0, FALSE };
  CertHandler yes = { TRUE, 0, 0, FALSE };
  CertHandler after = { FALSE, 0, 0, FALSE };
  gulong id;

  if (!tls_files_ensure ())
    return;
  server = tls_server_start (CERT_LOCALHOST);
  client = tcpc_client_new ("localhost", server->port);
  rec = tcpc_test_recorder_new (client, 0);
  tcpc_client_set_tls (client, TRUE);

  /* a single handler saying no: refused as without handler */
  id = g_signal_connect (client, "accept-certificate",
                         G_CALLBACK (accept_certificate_cb), &no);
  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_count_prefix (rec->events, "connect-error") > 0, WAIT_LONG_MS);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  g_assert_cmpuint (no.n_calls, ==, 1);
  g_assert_cmpstr (rec->last_operation, ==, "tls");
  g_assert_error (rec->last_error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_false (tcpc_test_recorder_has (rec, "connected"));

  /* no, then yes, then one that must not run: connected */
  g_signal_connect (client, "accept-certificate", G_CALLBACK (accept_certificate_cb), &yes);
  g_signal_connect (client, "accept-certificate", G_CALLBACK (accept_certificate_cb), &after);
  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "connected") ||
                  tcpc_test_count_prefix (rec->events, "connect-error") > 1, WAIT_LONG_MS);
  g_assert_true (tcpc_test_recorder_has (rec, "connected"));
  g_assert_cmpuint (no.n_calls, ==, 2);
  g_assert_cmpuint (yes.n_calls, ==, 1);
  g_assert_cmpuint (after.n_calls, ==, 0);
  g_signal_handler_disconnect (client, id);

  tcpc_test_put_string_ok (client, "xy");
  WAIT_EVENT (rec, "input:yx");
  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");

  tcpc_test_finish_client (client, rec);
  tls_server_stop (server);
}

/* A trusted certificate for another name is refused; accepted by a
 * handler its errors say BAD_IDENTITY. */
static void
test_tls_wrong_hostname (void)
{
  TlsServer *server;
  TcpcClient *client;
  TcpcTestRecorder *rec;
  g_autoptr(GTlsDatabase) db = NULL;
  CertHandler h = { TRUE, 0, 0, FALSE };

  if (!tls_files_ensure ())
    return;
  server = tls_server_start (CERT_INVALID_NAME);
  db = test_ca_database ();

  client = tcpc_client_new ("127.0.0.1", server->port);
  rec = tcpc_test_recorder_new (client, 0);
  g_object_set (client, "tls", TRUE, "tls-database", db, NULL);

  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_count_prefix (rec->events, "connect-error") > 0 ||
                  tcpc_test_recorder_has (rec, "connected"), WAIT_LONG_MS);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  g_assert_false (tcpc_test_recorder_has (rec, "connected"));
  g_assert_cmpstr (rec->last_operation, ==, "tls");
  g_assert_error (rec->last_error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  tcpc_test_finish_client (client, rec);

  /* "localhost" is not example.invalid either */
  client = tcpc_client_new ("localhost", server->port);
  rec = tcpc_test_recorder_new (client, 0);
  g_object_set (client, "tls", TRUE, "tls-database", db, NULL);
  g_signal_connect (client, "accept-certificate", G_CALLBACK (accept_certificate_cb), &h);
  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_count_prefix (rec->events, "connect-error") > 0 ||
                  tcpc_test_recorder_has (rec, "connected"), WAIT_LONG_MS);
  g_assert_true (tcpc_test_recorder_has (rec, "connected"));
  g_assert_cmpuint (h.n_calls, ==, 1);
  g_assert_true (h.errors & G_TLS_CERTIFICATE_BAD_IDENTITY);
  g_assert_false (h.errors & G_TLS_CERTIFICATE_UNKNOWN_CA);
  g_assert_true (tcpc_client_get_peer_certificate_errors (client) &
                 G_TLS_CERTIFICATE_BAD_IDENTITY);
  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  tcpc_test_finish_client (client, rec);

  tls_server_stop (server);
}

/* pre-connect wrapping the stream in a GTlsClientConnection itself */
typedef struct
{
  guint16 port;
  GTlsDatabase *db;
  GIOStream *wrapped;
} SelfTls;

static GIOStream *
self_tls_pre_connect_cb (TcpcClient *client,
                         GIOStream  *stream,
                         SelfTls    *s)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnectable) identity = g_network_address_new ("localhost", s->port);
  GIOStream *tls;

  tls = g_tls_client_connection_new (stream, identity, &error);
  g_assert_no_error (error);
  g_tls_connection_set_database (G_TLS_CONNECTION (tls), s->db);
  s->wrapped = tls;
  return tls;
}

static void
test_tls_pre_connect_wrap (void)
{
  TlsServer *server;
  TcpcClient *client;
  TcpcTestRecorder *rec;
  SelfTls s = { 0 };
  g_autoptr(GTlsDatabase) db = NULL;

  if (!tls_files_ensure ())
    return;
  server = tls_server_start (CERT_LOCALHOST);
  db = test_ca_database ();
  s.port = server->port;
  s.db = db;

  client = tcpc_client_new ("127.0.0.1", server->port);
  rec = tcpc_test_recorder_new (client, 0);
  g_assert_false (tcpc_client_get_tls (client));
  g_signal_connect (client, "pre-connect", G_CALLBACK (self_tls_pre_connect_cb), &s);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  g_assert_true (rec->last_stream == s.wrapped);
  tcpc_test_put_string_ok (client, "wrapped");
  WAIT_EVENT (rec, "input:depparw");

  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  g_assert_cmpuint (tcpc_test_count_prefix (rec->events, "server-error"), ==, 0);
  g_assert_cmpuint (tcpc_test_count_prefix (rec->events, "input:"), ==, 1);

  tcpc_test_finish_client (client, rec);
  tls_server_stop (server);
}

/* connect-timeout covers the handshake: a server that never answers */
static void
test_tls_handshake_timeout (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  gint64 start;
  double elapsed;

  g_autoptr(GTlsDatabase) db = NULL;

  if (!tls_files_ensure ())
    {
      tcpc_test_finish_client (client, rec);
      tcpc_test_server_free (server);
      return;
    }
  db = test_ca_database ();
  g_object_set (client, "tls-database", db, NULL);

  /* reads the ClientHello and whatever follows, never answers */
  tcpc_test_script_read_to_eof (script);
  tcpc_client_set_tls (client, TRUE);
  tcpc_client_set_connect_timeout (client, 0.4);

  start = g_get_monotonic_time ();
  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_count_prefix (rec->events, "connect-error") > 0, WAIT_MS);
  elapsed = tcpc_test_elapsed (start);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);

  g_test_message ("handshake timed out after %.3f s (%s)", elapsed,
                  rec->last_error->message);
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 1);
  g_assert_true (g_str_equal (rec->last_operation, "connect") ||
                 g_str_equal (rec->last_operation, "tls"));
  g_assert_error (rec->last_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpfloat (elapsed, >=, 0.399);
  g_assert_cmpfloat (elapsed, <, 3.0);
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CLOSED");

  /* the abandoned attempt is closed, not left hanging in the handshake */
  WAIT_CONN_FINISHED (server, 0);
  g_assert_true (tcpc_test_server_get_conn (server, 0)->eof);
  g_assert_cmpuint (tcpc_test_server_get_conn (server, 0)->n_received, >, 0);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* peer-certificate is NULL and its errors 0 on a plain connection */
static void
test_tls_plain_properties (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  GTlsCertificate *cert = NULL;
  GTlsCertificateFlags errors = 1;

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  g_assert_false (G_IS_TLS_CONNECTION (rec->last_stream));
  g_object_get (client, "peer-certificate", &cert,
                "peer-certificate-errors", &errors, NULL);
  g_assert_null (cert);
  g_assert_cmpuint (errors, ==, 0);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* ------------------------------------------------------------------------ */
/* Proxies: an in-process SOCKS4/SOCKS5/HTTP CONNECT proxy                    */
/* ------------------------------------------------------------------------ */

typedef enum
{
  PROXY_SOCKS5,
  PROXY_SOCKS4,
  PROXY_HTTP,
} ProxyKind;

typedef struct _TestProxy TestProxy;

typedef struct
{
  TestProxy *proxy;
  GIOStream *down;        /* from the client */
  GIOStream *up;          /* to the target */
  GByteArray *buf;
  guint stage;
  char *host;
  guint16 port;
  gboolean done;
} ProxySession;

struct _TestProxy
{
  ProxyKind kind;
  GSocketService *service;
  guint16 port;
  GCancellable *cancellable;
  GPtrArray *sessions;    /* ProxySession* */
  GPtrArray *targets;     /* "host:port" as requested */
  guint n_spliced;
  guint n_failed;
};

static void proxy_session_read (ProxySession *session);

static void
proxy_session_free (gpointer data)
{
  ProxySession *session = data;

  g_clear_object (&session->down);
  g_clear_object (&session->up);
  g_byte_array_unref (session->buf);
  g_free (session->host);
  g_free (session);
}

static void
proxy_session_finish (ProxySession *session)
{
  if (session->down != NULL)
    g_io_stream_close (session->down, NULL, NULL);
  if (session->up != NULL)
    g_io_stream_close (session->up, NULL, NULL);
  session->done = TRUE;
}

static gboolean
proxy_session_write (ProxySession *session,
                     GIOStream    *stream,
                     const void   *data,
                     gsize         len)
{
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all (g_io_stream_get_output_stream (stream),
                                  data, len, NULL, NULL, &error))
    {
      g_test_message ("test proxy: write: %s", error->message);
      return FALSE;
    }
  return TRUE;
}

static void
proxy_splice_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  ProxySession *session = user_data;

  g_io_stream_splice_finish (result, NULL);
  proxy_session_finish (session);
}

static void
proxy_reply (ProxySession *session,
             gboolean      ok)
{
  static const guint8 socks5_ok[] = { 5, 0, 0, 1, 127, 0, 0, 1, 0, 0 };
  static const guint8 socks5_refused[] = { 5, 5, 0, 1, 0, 0, 0, 0, 0, 0 };
  static const guint8 socks4_ok[] = { 0, 0x5a, 0, 0, 0, 0, 0, 0 };
  static const guint8 socks4_refused[] = { 0, 0x5b, 0, 0, 0, 0, 0, 0 };
  static const char http_ok[] = "HTTP/1.0 200 Connection established\r\n\r\n";
  static const char http_refused[] = "HTTP/1.0 502 Bad Gateway\r\n\r\n";

  switch (session->proxy->kind)
    {
    case PROXY_SOCKS5:
      proxy_session_write (session, session->down, ok ? socks5_ok : socks5_refused,
                           sizeof socks5_ok);
      break;
    case PROXY_SOCKS4:
      proxy_session_write (session, session->down, ok ? socks4_ok : socks4_refused,
                           sizeof socks4_ok);
      break;
    case PROXY_HTTP:
      if (ok)
        proxy_session_write (session, session->down, http_ok, strlen (http_ok));
      else
        proxy_session_write (session, session->down, http_refused,
                             strlen (http_refused));
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
proxy_upstream_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ProxySession *session = user_data;
  g_autoptr(GError) error = NULL;
  GSocketConnection *up;

  up = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (up == NULL)
    {
      g_test_message ("test proxy: target %s:%u: %s", session->host,
                      session->port, error->message);
      session->proxy->n_failed++;
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        proxy_reply (session, FALSE);
      proxy_session_finish (session);
      return;
    }

  session->up = G_IO_STREAM (up);
  proxy_reply (session, TRUE);
  if (session->buf->len > 0 &&
      !proxy_session_write (session, session->up, session->buf->data,
                            session->buf->len))
    {
      proxy_session_finish (session);
      return;
    }
  g_byte_array_set_size (session->buf, 0);
  session->proxy->n_spliced++;
  g_io_stream_splice_async (session->down, session->up,
                            G_IO_STREAM_SPLICE_CLOSE_STREAM1 |
                            G_IO_STREAM_SPLICE_CLOSE_STREAM2,
                            G_PRIORITY_DEFAULT, session->proxy->cancellable,
                            proxy_splice_cb, session);
}

static void
proxy_connect_target (ProxySession *session)
{
  g_autoptr(GSocketClient) sc = g_socket_client_new ();
  g_autoptr(GSocketConnectable) target = g_network_address_new (session->host,
                                                                session->port);

  g_ptr_array_add (session->proxy->targets,
                   g_strdup_printf ("%s:%u", session->host, session->port));
  g_socket_client_set_enable_proxy (sc, FALSE);
  g_socket_client_connect_async (sc, target, session->proxy->cancellable,
                                 proxy_upstream_cb, session);
}

/* Returns 1 when the request is complete (host and port set, consumed from
 * buf), 0 when more bytes are needed, -1 on a malformed request. */
static int
proxy_parse_socks5 (ProxySession *session)
{
  GByteArray *buf = session->buf;
  const guint8 *d = buf->data;
  gsize need;

  if (session->stage == 0)
    {
      static const guint8 no_auth[] = { 5, 0 };

      if (buf->len < 2)
        return 0;
      if (d[0] != 5)
        return -1;
      need = 2 + d[1];
      if (buf->len < need)
        return 0;
      g_byte_array_remove_range (buf, 0, need);
      if (!proxy_session_write (session, session->down, no_auth, sizeof no_auth))
        return -1;
      session->stage = 1;
      d = buf->data;
    }

  if (buf->len < 5)
    return 0;
  if (d[0] != 5 || d[1] != 1)
    return -1;
  switch (d[3])
    {
    case 1:
      need = 4 + 4 + 2;
      if (buf->len < need)
        return 0;
      session->host = g_strdup_printf ("%u.%u.%u.%u", d[4], d[5], d[6], d[7]);
      break;
    case 3:
      need = 5 + d[4] + 2;
      if (buf->len < need)
        return 0;
      session->host = g_strndup ((const char *) d + 5, d[4]);
      break;
    case 4:
      {
        g_autoptr(GInetAddress) addr = NULL;

        need = 4 + 16 + 2;
        if (buf->len < need)
          return 0;
        addr = g_inet_address_new_from_bytes (d + 4, G_SOCKET_FAMILY_IPV6);
        session->host = g_inet_address_to_string (addr);
      }
      break;
    default:
      return -1;
    }
  session->port = (d[need - 2] << 8) | d[need - 1];
  g_byte_array_remove_range (buf, 0, need);
  return 1;
}

static int
proxy_parse_socks4 (ProxySession *session)
{
  GByteArray *buf = session->buf;
  const guint8 *d = buf->data;
  const guint8 *nul, *nul2;

  if (buf->len < 9)
    return 0;
  if (d[0] != 4 || d[1] != 1)
    return -1;
  nul = memchr (d + 8, 0, buf->len - 8);
  if (nul == NULL)
    return 0;
  session->port = (d[2] << 8) | d[3];
  if (d[4] == 0 && d[5] == 0 && d[6] == 0 && d[7] != 0)
    {
      /* SOCKS4a: the host name follows the user id */
      nul2 = memchr (nul + 1, 0, buf->len - (nul + 1 - d));
      if (nul2 == NULL)
        return 0;
      session->host = g_strndup ((const char *) nul + 1, nul2 - (nul + 1));
      g_byte_array_remove_range (buf, 0, nul2 + 1 - d);
    }
  else
    {
      session->host = g_strdup_printf ("%u.%u.%u.%u", d[4], d[5], d[6], d[7]);
      g_byte_array_remove_range (buf, 0, nul + 1 - d);
    }
  return 1;
}

static int
proxy_parse_http (ProxySession *session)
{
  GByteArray *buf = session->buf;
  g_autofree char *head = NULL;
  g_auto(GStrv) words = NULL;
  const char *end, *colon;
  const char *hostport;
  gsize head_len;

  end = g_strstr_len ((const char *) buf->data, buf->len, "\r\n\r\n");
  if (end == NULL)
    return buf->len > 8192 ? -1 : 0;
  head_len = end + 4 - (const char *) buf->data;
  head = g_strndup ((const char *) buf->data, head_len);
  g_byte_array_remove_range (buf, 0, head_len);

  *strstr (head, "\r\n") = '\0';
  words = g_strsplit (head, " ", 3);
  if (g_strv_length (words) != 3 || !g_str_equal (words[0], "CONNECT") ||
      !g_str_has_prefix (words[2], "HTTP/1."))
    return -1;
  hostport = words[1];
  colon = strrchr (hostport, ':');
  if (colon == NULL)
    return -1;
  if (hostport[0] == '[' && colon > hostport && colon[-1] == ']')
    session->host = g_strndup (hostport + 1, colon - hostport - 2);
  else
    session->host = g_strndup (hostport, colon - hostport);
  session->port = (guint16) g_ascii_strtoull (colon + 1, NULL, 10);
  return 1;
}

static void
proxy_read_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  ProxySession *session = user_data;
  g_autoptr(GBytes) bytes = NULL;
  const guint8 *data;
  gsize len = 0;
  int status;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      proxy_session_finish (session);
      return;
    }
  data = g_bytes_get_data (bytes, &len);
  g_byte_array_append (session->buf, data, len);

  switch (session->proxy->kind)
    {
    case PROXY_SOCKS5:
      status = proxy_parse_socks5 (session);
      break;
    case PROXY_SOCKS4:
      status = proxy_parse_socks4 (session);
      break;
    case PROXY_HTTP:
      status = proxy_parse_http (session);
      break;
    default:
      g_assert_not_reached ();
    }

  if (status < 0)
    {
      g_test_message ("test proxy: malformed request");
      proxy_session_finish (session);
    }
  else if (status == 0)
    proxy_session_read (session);
  else
    proxy_connect_target (session);
}

static void
proxy_session_read (ProxySession *session)
{
  g_input_stream_read_bytes_async (g_io_stream_get_input_stream (session->down),
                                   4096, G_PRIORITY_DEFAULT,
                                   session->proxy->cancellable,
                                   proxy_read_cb, session);
}

static gboolean
proxy_incoming_cb (GSocketService    *service,
                   GSocketConnection *connection,
                   GObject           *source_object,
                   TestProxy         *proxy)
{
  ProxySession *session = g_new0 (ProxySession, 1);

  session->proxy = proxy;
  session->down = g_object_ref (G_IO_STREAM (connection));
  session->buf = g_byte_array_new ();
  g_ptr_array_add (proxy->sessions, session);
  proxy_session_read (session);
  return TRUE;
}

static TestProxy *
test_proxy_new (ProxyKind kind)
{
  TestProxy *proxy = g_new0 (TestProxy, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  proxy->kind = kind;
  proxy->cancellable = g_cancellable_new ();
  proxy->sessions = g_ptr_array_new_with_free_func (proxy_session_free);
  proxy->targets = g_ptr_array_new_with_free_func (g_free);
  proxy->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (proxy->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &effective, &error);
  g_assert_no_error (error);
  proxy->port = tcpc_test_address_port (effective);
  g_signal_connect (proxy->service, "incoming", G_CALLBACK (proxy_incoming_cb), proxy);
  g_socket_service_start (proxy->service);
  return proxy;
}

static gboolean
proxy_sessions_done (gpointer user_data)
{
  TestProxy *proxy = user_data;
  guint i;

  for (i = 0; i < proxy->sessions->len; i++)
    if (!((ProxySession *) g_ptr_array_index (proxy->sessions, i))->done)
      return FALSE;
  return TRUE;
}

static void
test_proxy_free (TestProxy *proxy)
{
  g_socket_service_stop (proxy->service);
  g_socket_listener_close (G_SOCKET_LISTENER (proxy->service));
  g_cancellable_cancel (proxy->cancellable);
  tcpc_test_wait_until (proxy_sessions_done, proxy, WAIT_MS);
  g_object_unref (proxy->service);
  g_object_unref (proxy->cancellable);
  g_ptr_array_unref (proxy->sessions);
  g_ptr_array_unref (proxy->targets);
  g_free (proxy);
}

static char *
proxy_uri (const char *scheme,
           guint16     port)
{
  return g_strdup_printf ("%s://127.0.0.1:%u", scheme, port);
}

/* Lines flow end to end through the proxy, which saw the target's port. */
static void
proxy_echo_session (ProxyKind   kind,
                    const char *scheme)
{
  TestProxy *proxy = test_proxy_new (kind);
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  ProgressLog *progress = progress_log_new (client);
  g_autofree char *uri = proxy_uri (scheme, proxy->port);
  g_autofree char *target = g_strdup_printf ("127.0.0.1:%u", server->port);
  g_autofree char *got_uri = NULL;

  tcpc_test_script_echo (script);
  g_object_set (client, "proxy-uri", uri, NULL);
  g_object_get (client, "proxy-uri", &got_uri, NULL);
  g_assert_cmpstr (got_uri, ==, uri);

  /* GLib's GSocks4aProxy never frees its 8-byte reply buffer
   * (free_connect_data() in gio/gsocks4aproxy.c): not ours to report */
#ifdef TEST_LSAN
  if (kind == PROXY_SOCKS4)
    __lsan_disable ();
#endif
  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "connected") ||
                  tcpc_test_count_prefix (rec->events, "connect-error") > 0, WAIT_MS);
#ifdef TEST_LSAN
  if (kind == PROXY_SOCKS4)
    __lsan_enable ();
#endif
  if (rec->last_error != NULL)
    g_test_message ("connect-error %s: %s", rec->last_operation,
                    rec->last_error->message);
  tcpc_test_assert_events (rec, "started", "connected");

  /* the socket options apply to the proxied connection too */
  g_assert_cmpint (socket_option (client_socket (client), SOL_SOCKET, SO_KEEPALIVE), !=, 0);
  g_assert_cmpint (socket_option (client_socket (client), IPPROTO_TCP, TCP_NODELAY), !=, 0);

  tcpc_test_put_string_ok (client, "through the proxy");
  tcpc_test_put_string_ok (client, "and back");
  WAIT_EVENT (rec, "input:and back");
  tcpc_test_assert_events (rec, "started", "connected", "flushed",
                           "input:through the proxy", "input:and back");

  g_assert_cmpuint (proxy->sessions->len, ==, 1);
  g_assert_cmpuint (proxy->targets->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (proxy->targets, 0), ==, target);
  g_assert_cmpuint (proxy->n_spliced, ==, 1);
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 1);

  /* the proxy negotiation is part of the connect diagnostics */
  g_assert_cmpint (progress_index (progress, "proxy-negotiating"), >=, 0);
  g_assert_cmpint (progress_index (progress, "proxy-negotiated"), >,
                   progress_index (progress, "proxy-negotiating"));

  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 0);
  g_assert_cmpstr (tcpc_test_conn_received_str (tcpc_test_server_get_conn (server, 0)),
                   ==, "through the proxy\r\nand back\r\n");

  progress_log_free (progress, client);
  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
  test_proxy_free (proxy);
}

static void
test_proxy_socks5 (void)
{
  proxy_echo_session (PROXY_SOCKS5, "socks5");
}

static void
test_proxy_socks4 (void)
{
  proxy_echo_session (PROXY_SOCKS4, "socks4");
}

static void
test_proxy_http (void)
{
  proxy_echo_session (PROXY_HTTP, "http");
}

/* enable-proxy FALSE ignores proxy-uri: a direct connection */
static void
test_proxy_disabled (void)
{
  TestProxy *proxy = test_proxy_new (PROXY_SOCKS5);
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autofree char *uri = proxy_uri ("socks5", proxy->port);
  gboolean enabled = FALSE;

  g_object_get (client, "enable-proxy", &enabled, NULL);
  g_assert_true (enabled);
  g_object_set (client, "proxy-uri", uri, "enable-proxy", FALSE, NULL);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  WAIT_CONNS (server, 1);
  tcpc_test_spin (50);
  g_assert_cmpuint (proxy->sessions->len, ==, 0);
  g_assert_cmpuint (proxy->targets->len, ==, 0);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
  test_proxy_free (proxy);
}

static void
assert_proxy_connect_error (TcpcTestRecorder *rec)
{
  g_assert_cmpuint (tcpc_test_count_prefix (rec->events, "connect-error"), ==, 1);
  g_assert_false (tcpc_test_recorder_has (rec, "connected"));
  g_assert_true (g_str_equal (rec->last_operation, "connect") ||
                 g_str_equal (rec->last_operation, "proxy"));
  g_assert_nonnull (rec->last_error);
  g_assert_nonnull (rec->last_error->message);
  g_assert_cmpstr (rec->last_error->message, !=, "");
  g_test_message ("proxy error (%s): %s", rec->last_operation,
                  rec->last_error->message);
}

/* the proxy port refuses: connect-error */
static void
test_proxy_refused (void)
{
  guint16 proxy_port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&proxy_port);
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autofree char *uri = proxy_uri ("socks5", proxy_port);

  g_object_set (client, "proxy-uri", uri, NULL);
  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_count_prefix (rec->events, "connect-error") > 0, WAIT_MS);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (50);

  assert_proxy_connect_error (rec);
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 0);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
  close_socket (reserved);
}

/* the proxy cannot reach the target: connect-error */
static void
test_proxy_target_refused (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TestProxy *proxy = test_proxy_new (PROXY_SOCKS5);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autofree char *uri = proxy_uri ("socks5", proxy->port);
  g_autofree char *target = g_strdup_printf ("127.0.0.1:%u", port);

  g_object_set (client, "proxy-uri", uri, NULL);
  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_count_prefix (rec->events, "connect-error") > 0, WAIT_MS);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);

  assert_proxy_connect_error (rec);
  g_assert_cmpuint (proxy->targets->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (proxy->targets, 0), ==, target);
  g_assert_cmpuint (proxy->n_failed, ==, 1);

  tcpc_test_finish_client (client, rec);
  test_proxy_free (proxy);
  close_socket (reserved);
}

/* connect-timeout covers the proxy negotiation: a proxy that never answers */
static void
test_proxy_timeout (void)
{
  TcpcTestServer *silent = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (silent);
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autofree char *uri = proxy_uri ("socks5", silent->port);
  gint64 start;
  double elapsed;

  tcpc_test_script_read_to_eof (script);
  g_object_set (client, "proxy-uri", uri, "connect-timeout", 0.4, NULL);

  start = g_get_monotonic_time ();
  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_count_prefix (rec->events, "connect-error") > 0, WAIT_MS);
  elapsed = tcpc_test_elapsed (start);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);

  g_test_message ("proxy timed out after %.3f s (%s: %s)", elapsed,
                  rec->last_operation, rec->last_error->message);
  assert_proxy_connect_error (rec);
  g_assert_error (rec->last_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpfloat (elapsed, >=, 0.399);
  g_assert_cmpfloat (elapsed, <, 3.0);
  /* the proxy saw the greeting; the attempt was then closed */
  WAIT_CONN_FINISHED (silent, 0);
  g_assert_cmpuint (tcpc_test_server_get_conn (silent, 0)->n_received, >, 0);
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 0);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
  tcpc_test_server_free (silent);
}

/* TLS through a SOCKS5 proxy: the identity is the target, not the proxy */
static void
test_proxy_tls (void)
{
  TlsServer *server;
  TestProxy *proxy;
  TcpcClient *client;
  TcpcTestRecorder *rec;
  g_autoptr(GTlsDatabase) db = NULL;
  g_autofree char *uri = NULL;

  if (!tls_files_ensure ())
    return;
  server = tls_server_start (CERT_LOCALHOST);
  proxy = test_proxy_new (PROXY_SOCKS5);
  db = test_ca_database ();
  uri = proxy_uri ("socks5", proxy->port);

  client = tcpc_client_new ("localhost", server->port);
  rec = tcpc_test_recorder_new (client, 0);
  g_object_set (client, "tls", TRUE, "tls-database", db, "proxy-uri", uri, NULL);

  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "connected") ||
                  tcpc_test_count_prefix (rec->events, "connect-error") > 0, WAIT_LONG_MS);
  if (rec->last_error != NULL)
    g_test_message ("connect-error %s: %s", rec->last_operation,
                    rec->last_error->message);
  tcpc_test_assert_events (rec, "started", "connected");
  g_assert_cmpuint (proxy->n_spliced, ==, 1);

  tcpc_test_put_string_ok (client, "socks");
  WAIT_EVENT (rec, "input:skcos");
  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");

  tcpc_test_finish_client (client, rec);
  test_proxy_free (proxy);
  tls_server_stop (server);
}

/* ------------------------------------------------------------------------ */
/* Reconnect policy                                                          */
/* ------------------------------------------------------------------------ */

static void
set_backoff (TcpcClient *client,
             double      delay,
             double      multiplier,
             double      max_delay,
             double      jitter)
{
  g_object_set (client,
                "auto-reconnect", TRUE,
                "reconnect-delay", delay,
                "reconnect-multiplier", multiplier,
                "reconnect-max-delay", max_delay,
                "reconnect-jitter", jitter,
                NULL);
}

/* Delays grow by the multiplier and are capped by max-delay. */
static void
test_reconnect_backoff (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  const double expected[] = { 0.1, 0.2, 0.3, 0.3 };
  const double upper[] = { 0.19, 0.35, 0.65, 0.65 };   /* uncapped: 0.4, 0.8 */
  guint i;

  set_backoff (client, 0.1, 2.0, 0.3, 0.0);
  tcpc_client_start (client);

  for (i = 1; i <= 3; i++)
    {
      WAIT_COUNT (rec, refused_event, i);
      /* a retry is scheduled: still CONNECTING, attempts counted */
      g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTING);
      g_assert_cmpuint (tcpc_client_get_reconnect_attempt (client), ==, i);
    }
  TCPC_TEST_WAIT (tcpc_test_recorder_count (rec, refused_event) >= 5, WAIT_LONG_MS);

  for (i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      double gap = gap_between (rec, refused_event, i, refused_event, i + 1);

      g_test_message ("retry %u after %.3f s (expected %.2f)", i + 1, gap, expected[i]);
      g_assert_cmpfloat (gap, >=, expected[i] - 0.005);
      g_assert_cmpfloat (gap, <, upper[i]);
    }

  /* one start, never CLOSED in between */
  g_assert_cmpuint (tcpc_test_recorder_count (rec, "started"), ==, 1);
  tcpc_test_assert_states (rec, "state:CONNECTING");

  tcpc_client_shutdown (client);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CLOSED");

  tcpc_test_finish_client (client, rec);
  close_socket (reserved);
}

/* max-attempts: after that many consecutive failures the client stays CLOSED */
static void
test_reconnect_max_attempts (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  guint max = 0;

  set_backoff (client, 0.05, 1.0, 1.0, 0.0);
  g_object_set (client, "reconnect-max-attempts", 3, NULL);
  g_object_get (client, "reconnect-max-attempts", &max, NULL);
  g_assert_cmpuint (max, ==, 3);

  tcpc_client_start (client);
  WAIT_COUNT (rec, refused_event, 3);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (300);

  tcpc_test_assert_events (rec, "started", refused_event, refused_event, refused_event);
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CLOSED");
  g_assert_cmpuint (tcpc_client_get_reconnect_attempt (client), ==, 3);
  g_assert_cmpuint (tcpc_client_get_next_retry (client), ==, 0);

  tcpc_test_finish_client (client, rec);
  close_socket (reserved);
}

/* next-retry counts down whole seconds, rounded up, notified while waiting */
static void
test_reconnect_next_retry (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(GPtrArray) values = NULL;
  g_autofree char *got = NULL;
  int first, second;
  double gap;

  set_backoff (client, 2.2, 2.0, 60.0, 0.0);
  g_assert_cmpuint (tcpc_client_get_next_retry (client), ==, 0);
  g_signal_connect (client, "notify::next-retry", G_CALLBACK (record_uint_notify_cb), rec);
  g_signal_connect (client, "notify::reconnect-attempt",
                    G_CALLBACK (record_uint_notify_cb), rec);

  tcpc_client_start (client);
  WAIT_COUNT (rec, refused_event, 1);
  g_assert_cmpuint (tcpc_client_get_next_retry (client), ==, 3);
  g_assert_true (tcpc_test_recorder_has (rec, "reconnect-attempt:1"));
  TCPC_TEST_WAIT (tcpc_test_recorder_count (rec, refused_event) >= 2, WAIT_MS);
  /* the second delay is 4.4 s: 5 */
  g_assert_cmpuint (tcpc_client_get_next_retry (client), ==, 5);
  g_assert_true (tcpc_test_recorder_has (rec, "reconnect-attempt:2"));

  first = index_of_nth (rec, refused_event, 0);
  second = index_of_nth (rec, refused_event, 1);
  values = distinct_values (rec, "next-retry:", first, second);
  got = join_strings (values);
  g_test_message ("next-retry between the attempts: %s", got);
  /* 3, 2, 1, then 0 when the attempt starts */
  g_assert_true (g_str_equal (got, "3,2,1,0") || g_str_equal (got, "3,2,1"));

  gap = gap_between (rec, refused_event, 0, refused_event, 1);
  g_assert_cmpfloat (gap, >=, 2.195);

  /* shutdown cancels the scheduled retry */
  tcpc_client_shutdown (client);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  g_assert_cmpuint (tcpc_client_get_next_retry (client), ==, 0);
  g_assert_true (tcpc_test_recorder_has (rec, "next-retry:0"));

  tcpc_test_finish_client (client, rec);
  close_socket (reserved);
}

/* retry_now starts a scheduled retry at once; without one it does nothing */
static void
test_reconnect_retry_now (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  gint64 start;

  /* idle: nothing scheduled, nothing happens */
  tcpc_client_retry_now (client);
  tcpc_test_spin (50);
  g_assert_cmpuint (rec->all->len, ==, 0);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_IDLE);

  set_backoff (client, 30.0, 2.0, 60.0, 0.0);
  tcpc_client_start (client);
  WAIT_COUNT (rec, refused_event, 1);
  g_assert_cmpuint (tcpc_client_get_next_retry (client), ==, 30);

  start = g_get_monotonic_time ();
  tcpc_client_retry_now (client);
  WAIT_COUNT (rec, refused_event, 2);
  g_assert_cmpfloat (tcpc_test_elapsed (start), <, 2.0);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTING);
  g_assert_cmpuint (tcpc_client_get_next_retry (client), >, 0);
  tcpc_test_spin (200);
  g_assert_cmpuint (tcpc_test_recorder_count (rec, refused_event), ==, 2);
  tcpc_test_assert_states (rec, "state:CONNECTING");

  tcpc_client_shutdown (client);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (50);
  tcpc_test_assert_events (rec, "started", refused_event, refused_event);
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CLOSED");

  /* closed: nothing scheduled any more */
  tcpc_client_retry_now (client);
  tcpc_test_spin (100);
  tcpc_test_assert_events (rec, "started", refused_event, refused_event);

  tcpc_test_finish_client (client, rec);
  close_socket (reserved);
}

/* shutdown while a retry is scheduled cancels it, silently */
static void
test_reconnect_shutdown_cancels (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  set_backoff (client, 0.2, 2.0, 60.0, 0.0);
  tcpc_client_start (client);
  WAIT_COUNT (rec, refused_event, 1);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTING);

  tcpc_client_shutdown (client);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (500);

  tcpc_test_assert_events (rec, "started", refused_event);
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CLOSED");
  g_assert_cmpuint (tcpc_client_get_next_retry (client), ==, 0);

  tcpc_test_finish_client (client, rec);
  close_socket (reserved);
}

/* a server that appears later gets connected */
static void
test_reconnect_server_appears (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  TcpcTestServer *server;
  TcpcTestScript *script;

  set_backoff (client, 0.2, 1.0, 1.0, 0.0);
  tcpc_client_start (client);
  WAIT_COUNT (rec, refused_event, 2);

  /* the next attempt is 0.2 s away: the server comes up now */
  close_socket (reserved);
  server = server_on_port (port);
  script = tcpc_test_server_add_script (server);
  tcpc_test_script_write_string (script, "finally\r\n");
  tcpc_test_script_read_to_eof (script);

  WAIT_EVENT (rec, "input:finally");
  tcpc_test_assert_events (rec, "started", refused_event, refused_event,
                           "connected", "input:finally");
  tcpc_test_assert_states (rec, "state:CONNECTING", "state:CONNECTED");
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 1);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* the peer closing triggers a reconnect; shutdown then stops for good */
static void
test_reconnect_after_disconnected (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *first = tcpc_test_server_add_script (server);
  TcpcTestScript *second = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_test_script_write_string (first, "first\r\n");
  tcpc_test_script_close (first);
  tcpc_test_script_write_string (second, "second\r\n");
  tcpc_test_script_read_to_eof (second);

  set_backoff (client, 0.05, 2.0, 1.0, 0.0);
  tcpc_client_start (client);
  WAIT_EVENT (rec, "input:second");

  tcpc_test_assert_events (rec, "started", "connected", "input:first",
                           "disconnected", "connected", "input:second");
  /* never CLOSED in between (SHUTTING_DOWN while the connection ends is fine) */
  g_assert_cmpint (tcpc_test_recorder_index_of (rec, "state:CLOSED"), <, 0);
  g_assert_cmpuint (tcpc_test_recorder_count (rec, "state:CONNECTING"), ==, 2);
  g_assert_cmpstr (g_ptr_array_index (rec->states, rec->states->len - 1), ==,
                   "state:CONNECTED");
  g_assert_cmpfloat (gap_between (rec, "disconnected", 0, "connected", 1), >=, 0.045);

  /* no reconnect after shutdown */
  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_COUNT (rec, "disconnected", 2);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (300);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CLOSED);
  g_assert_cmpuint (tcpc_test_server_n_conns (server), ==, 2);
  g_assert_cmpuint (tcpc_test_recorder_count (rec, "connected"), ==, 2);
  g_assert_cmpuint (tcpc_test_recorder_count (rec, "started"), ==, 1);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* a connection that stayed up for reconnect-stable-time resets the backoff */
static void
test_reconnect_stable_reset (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  TcpcTestServer *server;
  TcpcTestScript *script;
  double stable = 0;
  double gap;

  /* delays 0.1, 0.4, 1.6 ... */
  set_backoff (client, 0.1, 4.0, 10.0, 0.0);
  g_object_set (client, "reconnect-stable-time", 0.2, NULL);
  g_object_get (client, "reconnect-stable-time", &stable, NULL);
  g_assert_cmpfloat (stable, ==, 0.2);

  tcpc_client_start (client);
  WAIT_COUNT (rec, refused_event, 1);
  g_assert_cmpuint (tcpc_client_get_reconnect_attempt (client), ==, 1);

  close_socket (reserved);
  server = server_on_port (port);
  script = tcpc_test_server_add_script (server);
  tcpc_test_script_wait (script, 500);       /* up for 0.5 s > 0.2 s */
  tcpc_test_script_close (script);
  script = tcpc_test_server_add_script (server);
  tcpc_test_script_read_to_eof (script);

  WAIT_COUNT (rec, "connected", 1);
  WAIT_COUNT (rec, "disconnected", 1);
  g_assert_cmpuint (tcpc_client_get_reconnect_attempt (client), ==, 0);
  TCPC_TEST_WAIT (tcpc_test_recorder_count (rec, "connected") >= 2, WAIT_MS);

  gap = gap_between (rec, "disconnected", 0, "connected", 1);
  g_test_message ("reconnected %.3f s after the stable connection ended", gap);
  g_assert_cmpfloat (gap, >=, 0.095);
  g_assert_cmpfloat (gap, <, 0.35);    /* not reset: 0.4 */

  tcpc_client_shutdown (client);
  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* connections shorter than reconnect-stable-time do not reset the backoff:
 * a server that accepts and closes at once is retried ever more slowly */
static void
test_reconnect_unstable_backoff (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  double first, last;

  tcpc_test_script_close (script);
  set_backoff (client, 0.05, 2.0, 10.0, 0.0);
  g_object_set (client, "reconnect-stable-time", 10.0, NULL);

  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_recorder_count (rec, "connected") >= 5, WAIT_LONG_MS);

  first = gap_between (rec, "disconnected", 0, "connected", 1);
  last = gap_between (rec, "disconnected", 3, "connected", 4);
  g_test_message ("gaps after short connections: first %.3f s, fourth %.3f s",
                  first, last);
  g_assert_cmpfloat (last, >=, 2 * first);
  g_assert_cmpuint (tcpc_client_get_reconnect_attempt (client), >, 0);

  tcpc_client_shutdown (client);
  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* jitter stays within [1-j, 1+j]; the cap applies after the jitter */
static void
test_reconnect_jitter (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  guint i;

  /* 0.2 s ± 50 % */
  set_backoff (client, 0.2, 1.0, 10.0, 0.5);
  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_recorder_count (rec, refused_event) >= 6, WAIT_LONG_MS);
  tcpc_client_shutdown (client);
  for (i = 0; i < 5; i++)
    {
      double gap = gap_between (rec, refused_event, i, refused_event, i + 1);

      g_test_message ("jittered gap %.3f s", gap);
      g_assert_cmpfloat (gap, >=, 0.099);
      g_assert_cmpfloat (gap, <, 0.6);
    }
  tcpc_test_finish_client (client, rec);

  /* 1 s ± 50 % capped at 0.2 s: always 0.2 s */
  client = tcpc_client_new ("127.0.0.1", port);
  rec = tcpc_test_recorder_new (client, 0);
  set_backoff (client, 1.0, 1.0, 0.2, 0.5);
  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_recorder_count (rec, refused_event) >= 6, WAIT_LONG_MS);
  tcpc_client_shutdown (client);
  for (i = 0; i < 5; i++)
    {
      double gap = gap_between (rec, refused_event, i, refused_event, i + 1);

      g_test_message ("capped gap %.3f s", gap);
      g_assert_cmpfloat (gap, >=, 0.195);
      g_assert_cmpfloat (gap, <, 0.6);
    }
  tcpc_test_finish_client (client, rec);

  /* full jitter: never negative, retries keep coming */
  client = tcpc_client_new ("127.0.0.1", port);
  rec = tcpc_test_recorder_new (client, 0);
  set_backoff (client, 0.05, 1.0, 1.0, 1.0);
  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_recorder_count (rec, refused_event) >= 6, WAIT_LONG_MS);
  tcpc_client_shutdown (client);
  for (i = 0; i < 5; i++)
    g_assert_cmpfloat (gap_between (rec, refused_event, i, refused_event, i + 1),
                       <, 0.5);
  tcpc_test_finish_client (client, rec);

  close_socket (reserved);
}

/* a reconnect asked for by a handler wins over the automatic one */
static void
delayed_reconnect_cb (TcpcClient   *client,
                      const char   *operation,
                      const GError *error,
                      gpointer      user_data)
{
  tcpc_client_reconnect_after (client, 0.4);
}

static void
test_reconnect_handler_wins (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  double gap;

  set_backoff (client, 0.05, 1.0, 1.0, 0.0);
  g_signal_connect (client, "connect-error", G_CALLBACK (delayed_reconnect_cb), NULL);
  tcpc_client_start (client);
  WAIT_COUNT (rec, refused_event, 2);
  tcpc_client_shutdown (client);
  tcpc_test_spin (100);

  gap = gap_between (rec, refused_event, 0, refused_event, 1);
  g_test_message ("second attempt after %.3f s", gap);
  g_assert_cmpfloat (gap, >=, 0.395);
  tcpc_test_assert_events (rec, "started", refused_event, refused_event);

  tcpc_test_finish_client (client, rec);
  close_socket (reserved);
}

/* ------------------------------------------------------------------------ */
/* Timeouts                                                                  */
/* ------------------------------------------------------------------------ */

/* no input for idle-timeout: server-error "read" TIMED_OUT, then disconnected */
static void
test_idle_timeout (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  double idle = -1, gap;

  g_object_get (client, "idle-timeout", &idle, NULL);
  g_assert_cmpfloat (idle, ==, 0.0);

  tcpc_test_script_write_string (script, "hello\r\n");
  tcpc_test_script_wait (script, 5000);
  tcpc_test_script_close (script);
  g_object_set (client, "idle-timeout", 0.3, NULL);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);

  tcpc_test_assert_events (rec, "started", "connected", "input:hello", idle_event,
                           "disconnected");
  g_assert_error (rec->last_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpstr (rec->last_error->message, !=, "");
  gap = gap_between (rec, "input:hello", 0, idle_event, 0);
  g_test_message ("idle timeout %.3f s after the last input", gap);
  g_assert_cmpfloat (gap, >=, 0.29);
  g_assert_cmpfloat (gap, <, 2.0);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* input restarts the idle timer */
static void
test_idle_timeout_reset_by_input (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  double gap;

  tcpc_test_script_write_string (script, "a\r\n");
  tcpc_test_script_wait (script, 200);
  tcpc_test_script_write_string (script, "b\r\n");
  tcpc_test_script_wait (script, 200);
  tcpc_test_script_write_string (script, "c\r\n");
  tcpc_test_script_wait (script, 200);
  tcpc_test_script_write_string (script, "d\r\n");
  tcpc_test_script_wait (script, 5000);
  tcpc_test_script_close (script);
  g_object_set (client, "idle-timeout", 0.45, NULL);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");

  tcpc_test_assert_events (rec, "started", "connected", "input:a", "input:b",
                           "input:c", "input:d", idle_event, "disconnected");
  gap = gap_between (rec, "input:d", 0, idle_event, 0);
  g_assert_cmpfloat (gap, >=, 0.44);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* with shutdown-on-error FALSE the idle timeout leaves the client connected */
static void
test_idle_timeout_no_shutdown (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_test_script_read_to_eof (script);
  g_object_set (client, "idle-timeout", 0.2, "shutdown-on-error", FALSE, NULL);

  tcpc_client_start (client);
  WAIT_EVENT (rec, idle_event);
  tcpc_test_spin (50);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTED);
  g_assert_false (tcpc_test_recorder_has (rec, "disconnected"));
  tcpc_test_put_string_ok (client, "still here");

  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 0);
  g_assert_cmpstr (tcpc_test_conn_received_str (tcpc_test_server_get_conn (server, 0)),
                   ==, "still here\r\n");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* a flush that cannot finish is cut by shutdown-timeout */
static void
find_numbers (const char *message,
              guint64    *largest)
{
  const char *p = message;

  *largest = 0;
  while (*p != '\0')
    {
      if (g_ascii_isdigit (*p))
        {
          char *end = NULL;
          guint64 n = g_ascii_strtoull (p, &end, 10);

          *largest = MAX (*largest, n);
          p = end;
        }
      else
        p++;
    }
}

typedef struct
{
  guint64 pending_at_error;
  gboolean seen;
} FlushTimeoutProbe;

static void
flush_timeout_error_cb (TcpcClient        *client,
                        const char        *operation,
                        const GError      *error,
                        FlushTimeoutProbe *probe)
{
  if (!probe->seen)
    probe->pending_at_error = tcpc_client_get_pending_output_bytes (client);
  probe->seen = TRUE;
}

#define STALL_RECORDS    48
#define STALL_RECORD_LEN 999998   /* 1 000 000 bytes on the wire */

static void
test_shutdown_timeout (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  FlushTimeoutProbe probe = { 0 };
  guint64 total = (guint64) STALL_RECORDS * (STALL_RECORD_LEN + 2);
  guint64 unsent = 0;
  double timeout = 0;
  gint64 start;
  double elapsed;

  g_object_get (client, "shutdown-timeout", &timeout, NULL);
  g_assert_cmpfloat (timeout, ==, 60.0);

  tcpc_test_script_wait (script, 15000);    /* never reads in time */
  tcpc_test_script_close (script);
  g_object_set (client, "shutdown-timeout", 0.5, NULL);
  g_signal_connect (client, "server-error", G_CALLBACK (flush_timeout_error_cb), &probe);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_put_bulk (client, STALL_RECORDS, STALL_RECORD_LEN);
  start = g_get_monotonic_time ();
  tcpc_client_shutdown (client);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_SHUTTING_DOWN);

  WAIT_EVENT (rec, "disconnected");
  elapsed = (tcpc_test_recorder_time_of (rec, flush_timeout_event, 0) - start) /
            (double) G_USEC_PER_SEC;
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);

  tcpc_test_assert_events (rec, "started", "connected", flush_timeout_event,
                           "disconnected");
  g_test_message ("flush cut after %.3f s: %s", elapsed, rec->last_error->message);
  g_assert_cmpfloat (elapsed, >=, 0.49);
  g_assert_cmpfloat (elapsed, <, 3.0);
  g_assert_error (rec->last_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  find_numbers (rec->last_error->message, &unsent);
  g_assert_cmpuint (unsent, >, 0);
  g_assert_cmpuint (unsent, <=, total);
  g_test_message ("pending-output-bytes in the handler: %" G_GUINT64_FORMAT,
                  probe.pending_at_error);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* shutdown-timeout counts from the last write: a reader that pauses for
 * less than it, again and again, gets everything even when the whole
 * flush takes longer */
static void
test_shutdown_timeout_progress (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  guint64 total = (guint64) 24 * (STALL_RECORD_LEN + 2);
  gint64 start;
  double elapsed;

  tcpc_test_script_wait (script, 700);
  tcpc_test_script_read_bytes (script, total / 4);
  tcpc_test_script_wait (script, 700);
  tcpc_test_script_read_bytes (script, total / 2);
  tcpc_test_script_wait (script, 700);
  tcpc_test_script_read_bytes (script, 3 * total / 4);
  tcpc_test_script_wait (script, 700);
  tcpc_test_script_read_to_eof (script);
  g_object_set (client, "shutdown-timeout", 1.2, NULL);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_put_bulk (client, 24, STALL_RECORD_LEN);
  start = g_get_monotonic_time ();
  tcpc_client_shutdown (client);
  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "disconnected"), WAIT_LONG_MS);
  elapsed = tcpc_test_elapsed (start);
  WAIT_CONN_FINISHED (server, 0);

  g_test_message ("the flush took %.2f s", elapsed);
  g_assert_cmpfloat (elapsed, >, 1.2);
  tcpc_test_assert_events (rec, "started", "connected", "flushed", "disconnected");
  g_assert_cmpuint (tcpc_test_server_get_conn (server, 0)->n_received, ==, total);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* shutdown-timeout 0 waits for ever: a slow reader gets everything */
static void
test_shutdown_timeout_zero (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  guint64 total = (guint64) 24 * (STALL_RECORD_LEN + 2);

  tcpc_test_script_wait (script, 1500);
  tcpc_test_script_read_to_eof (script);
  g_object_set (client, "shutdown-timeout", 0.0, NULL);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_put_bulk (client, 24, STALL_RECORD_LEN);
  tcpc_client_shutdown (client);
  tcpc_test_spin (1000);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_SHUTTING_DOWN);

  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "disconnected"), WAIT_LONG_MS);
  WAIT_CONN_FINISHED (server, 0);
  tcpc_test_assert_events (rec, "started", "connected", "flushed", "disconnected");
  g_assert_cmpuint (tcpc_test_server_get_conn (server, 0)->n_received, ==, total);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* ------------------------------------------------------------------------ */
/* Socket options, bind, family                                              */
/* ------------------------------------------------------------------------ */

static void
test_socket_options_default (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  gboolean keepalive = FALSE, no_delay = FALSE;
  guint idle = 0, interval = 0, count = 0;
  GSocket *socket;

  g_object_get (client, "keepalive", &keepalive, "keepalive-idle", &idle,
                "keepalive-interval", &interval, "keepalive-count", &count,
                "no-delay", &no_delay, NULL);
  g_assert_true (keepalive);
  g_assert_cmpuint (idle, ==, 60);
  g_assert_cmpuint (interval, ==, 10);
  g_assert_cmpuint (count, ==, 6);
  g_assert_true (no_delay);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  socket = client_socket (client);
  g_assert_cmpint (socket_option (socket, SOL_SOCKET, SO_KEEPALIVE), !=, 0);
  g_assert_cmpint (socket_option (socket, IPPROTO_TCP, TCP_NODELAY), !=, 0);
#ifdef TCP_KEEPIDLE
  g_assert_cmpint (socket_option (socket, IPPROTO_TCP, TCP_KEEPIDLE), ==, 60);
  g_assert_cmpint (socket_option (socket, IPPROTO_TCP, TCP_KEEPINTVL), ==, 10);
  g_assert_cmpint (socket_option (socket, IPPROTO_TCP, TCP_KEEPCNT), ==, 6);
#endif

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

static void
test_socket_options_custom (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  GSocket *socket;

  g_object_set (client, "keepalive-idle", 30, "keepalive-interval", 5,
                "keepalive-count", 3, "no-delay", FALSE, NULL);
  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  socket = client_socket (client);
  g_assert_cmpint (socket_option (socket, SOL_SOCKET, SO_KEEPALIVE), !=, 0);
  g_assert_cmpint (socket_option (socket, IPPROTO_TCP, TCP_NODELAY), ==, 0);
#ifdef TCP_KEEPIDLE
  g_assert_cmpint (socket_option (socket, IPPROTO_TCP, TCP_KEEPIDLE), ==, 30);
  g_assert_cmpint (socket_option (socket, IPPROTO_TCP, TCP_KEEPINTVL), ==, 5);
  g_assert_cmpint (socket_option (socket, IPPROTO_TCP, TCP_KEEPCNT), ==, 3);
#endif
  tcpc_test_finish_client (client, rec);

  /* keepalive off */
  client = tcpc_test_client_for (server);
  rec = tcpc_test_recorder_new (client, 0);
  g_object_set (client, "keepalive", FALSE, "no-delay", TRUE, NULL);
  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  socket = client_socket (client);
  g_assert_cmpint (socket_option (socket, SOL_SOCKET, SO_KEEPALIVE), ==, 0);
  g_assert_cmpint (socket_option (socket, IPPROTO_TCP, TCP_NODELAY), !=, 0);
  tcpc_test_finish_client (client, rec);

  tcpc_test_server_free (server);
}

/* socket options that do not apply to a Unix socket are no error */
static void
test_unix_socket_options (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tcpc-net-XXXXXX", &error);
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
  tcpc_test_script_echo (script);

  client = g_object_new (TCPC_TYPE_CLIENT, "connectable", address,
                         "keepalive", TRUE, "no-delay", TRUE,
                         "idle-timeout", 5.0, NULL);
  rec = tcpc_test_recorder_new (client, 0);
  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_put_string_ok (client, "over unix");
  WAIT_EVENT (rec, "input:over unix");
  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  tcpc_test_assert_events (rec, "started", "connected", "flushed",
                           "input:over unix", "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
  g_unlink (path);
  g_rmdir (dir);
}

/* IPv6: bind-address ::1 and bind-port, family IPV6 */
static void
test_ipv6_bind (void)
{
  g_autoptr(GError) error = NULL;
  TcpcTestServer *server = tcpc_test_server_new_ipv6 (&error);
  TcpcClient *client;
  TcpcTestRecorder *rec;
  TcpcTestConn *conn;
  g_autofree char *host = NULL;
  guint16 bind_port;

  if (server == NULL)
    {
      g_test_skip_printf ("cannot listen on [::1]: %s", error->message);
      return;
    }

  /* a free IPv6 port for the client's side */
  {
    g_autoptr(GError) local_error = NULL;
    TcpcTestServer *probe = tcpc_test_server_new_ipv6 (&local_error);

    g_assert_no_error (local_error);
    bind_port = probe->port;
    tcpc_test_server_free (probe);
  }

  client = tcpc_client_new ("::1", server->port);
  g_object_set (client, "family", G_SOCKET_FAMILY_IPV6, "bind-address", "::1",
                "bind-port", bind_port, NULL);
  rec = tcpc_test_recorder_new (client, 0);
  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "connected") ||
                  tcpc_test_count_prefix (rec->events, "connect-error") > 0, WAIT_MS);
  tcpc_test_assert_events (rec, "started", "connected");
  WAIT_CONNS (server, 1);
  conn = tcpc_test_server_get_conn (server, 0);
  host = tcpc_test_address_host (conn->peer);
  g_assert_cmpstr (host, ==, "::1");
  g_assert_cmpuint (tcpc_test_address_port (conn->peer), ==, bind_port);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* family restricts a host name's addresses */
static void
test_family_ipv4 (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_client_new ("localhost", server->port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autofree char *host = NULL;

  tcpc_client_set_family (client, G_SOCKET_FAMILY_IPV4);
  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  host = tcpc_test_address_host (rec->last_remote);
  g_assert_cmpstr (host, ==, "127.0.0.1");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

static gboolean
localhost_has_ipv6 (void)
{
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  GList *addresses, *l;
  gboolean found = FALSE;

  addresses = g_resolver_lookup_by_name (resolver, "localhost", NULL, NULL);
  for (l = addresses; l != NULL; l = l->next)
    if (g_inet_address_get_family (l->data) == G_SOCKET_FAMILY_IPV6)
      found = TRUE;
  g_resolver_free_addresses (addresses);
  return found;
}

static void
test_family_ipv6 (void)
{
  g_autoptr(GError) error = NULL;
  TcpcTestServer *server;
  TcpcClient *client;
  TcpcTestRecorder *rec;
  g_autofree char *host = NULL;

  if (!localhost_has_ipv6 ())
    {
      g_test_skip ("localhost has no IPv6 address here");
      return;
    }
  server = tcpc_test_server_new_ipv6 (&error);
  if (server == NULL)
    {
      g_test_skip_printf ("cannot listen on [::1]: %s", error->message);
      return;
    }

  client = tcpc_client_new ("localhost", server->port);
  rec = tcpc_test_recorder_new (client, 0);
  tcpc_client_set_family (client, G_SOCKET_FAMILY_IPV6);
  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  host = tcpc_test_address_host (rec->last_remote);
  g_assert_cmpstr (host, ==, "::1");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* ------------------------------------------------------------------------ */
/* Flow control                                                              */
/* ------------------------------------------------------------------------ */

typedef struct
{
  TcpcTestRecorder *rec;
  guint64 high;
  guint64 low;
} WritableWatch;

static void
writable_notify_cb (TcpcClient    *client,
                    GParamSpec    *pspec,
                    WritableWatch *w)
{
  gboolean writable = tcpc_client_get_writable (client);
  guint64 pending = tcpc_client_get_pending_output_bytes (client);

  g_test_message ("writable %d with %" G_GUINT64_FORMAT " bytes pending",
                  writable, pending);
  if (!writable && pending < w->high)
    g_ptr_array_add (w->rec->violations,
                     g_strdup_printf ("writable FALSE with %" G_GUINT64_FORMAT
                                      " bytes pending (< high mark)", pending));
  if (writable && pending > w->low)
    g_ptr_array_add (w->rec->violations,
                     g_strdup_printf ("writable TRUE with %" G_GUINT64_FORMAT
                                      " bytes pending (> low mark)", pending));
  tcpc_test_recorder_add (w->rec, writable ? "writable:TRUE" : "writable:FALSE");
}

/* puts one @len-byte record at a time, checking the high mark after each */
static void
put_checking_marks (TcpcClient *client,
                    guint       n,
                    gsize       len,
                    guint64     high)
{
  g_autofree guint8 *record = g_malloc (len);
  guint i;

  memset (record, 'w', len);
  for (i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;

      /* past the high mark put still queues and returns TRUE */
      g_assert_true (tcpc_client_put_data (client, record, len, &error));
      g_assert_no_error (error);
      if (tcpc_client_get_pending_output_bytes (client) >= high)
        g_assert_false (tcpc_client_get_writable (client));
    }
}

static void
test_flow_water_marks (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  WritableWatch w = { rec, 100000, 10000 };
  guint high = 0, low = 0;
  /* 2 x 200 records of 100 000 bytes */
  guint64 total = 2 * 200 * (guint64) 100000;

  g_object_get (client, "output-high-water-mark", &high,
                "output-low-water-mark", &low, NULL);
  g_assert_cmpuint (high, ==, 1024 * 1024);
  g_assert_cmpuint (low, ==, 64 * 1024);

  tcpc_test_script_wait (script, 400);
  tcpc_test_script_read_to_eof (script);
  g_object_set (client, "output-high-water-mark", 100000,
                "output-low-water-mark", 10000, NULL);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  g_assert_true (tcpc_client_get_writable (client));
  g_assert_cmpuint (tcpc_client_get_pending_output_bytes (client), ==, 0);
  g_signal_connect (client, "notify::writable", G_CALLBACK (writable_notify_cb), &w);

  /* 20 MB while the server does not read: far past the high mark */
  put_checking_marks (client, 200, 100000 - 2, w.high);
  g_assert_false (tcpc_client_get_writable (client));
  g_assert_cmpuint (tcpc_client_get_pending_output_bytes (client), >=, w.high);
  WAIT_EVENT (rec, "writable:FALSE");

  /* the server reads: writable again at the low mark, then flushed */
  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "writable:TRUE"), WAIT_LONG_MS);
  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "flushed"), WAIT_LONG_MS);
  g_assert_true (tcpc_client_get_writable (client));
  g_assert_cmpuint (tcpc_client_get_pending_output_bytes (client), ==, 0);

  /* and once more */
  put_checking_marks (client, 200, 100000 - 2, w.high);
  g_assert_false (tcpc_client_get_writable (client));
  TCPC_TEST_WAIT (tcpc_test_recorder_count (rec, "flushed") >= 2, WAIT_LONG_MS);
  g_assert_true (tcpc_client_get_writable (client));

  tcpc_test_assert_events (rec, "started", "connected", "writable:FALSE",
                           "writable:TRUE", "flushed", "writable:FALSE",
                           "writable:TRUE", "flushed");

  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 0);
  g_assert_cmpuint (tcpc_test_server_get_conn (server, 0)->n_received, ==, total);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* pending-output-bytes is what was put and not yet written to the socket,
 * bytes-sent what was: with a peer that does not read, the socket buffers
 * take part of the output at once and the rest stays pending */
static void
test_flow_pending_accounting (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  guint64 total = (guint64) 48 * (STALL_RECORD_LEN + 2);
  guint64 sent, pending;

  tcpc_test_script_wait (script, 1000);
  tcpc_test_script_read_to_eof (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_put_bulk (client, 48, STALL_RECORD_LEN);
  g_assert_cmpuint (tcpc_client_get_pending_output_bytes (client) +
                    tcpc_client_get_bytes_sent (client), ==, total);

  /* the socket buffers take what fits (megabytes on loopback), then the
   * writes block: sent counts the former, pending the rest */
  tcpc_test_spin (300);
  g_assert_cmpuint (tcpc_test_server_get_conn (server, 0)->n_received, ==, 0);
  sent = tcpc_client_get_bytes_sent (client);
  pending = tcpc_client_get_pending_output_bytes (client);
  g_test_message ("%" G_GUINT64_FORMAT " bytes written, %" G_GUINT64_FORMAT
                  " pending", sent, pending);
  /* reported without aborting, so that the tests after this one still run */
  if (sent == 0 || sent >= total || pending + sent != total)
    g_test_fail_printf ("with a peer that does not read, %" G_GUINT64_FORMAT
                        " bytes counted as sent and %" G_GUINT64_FORMAT
                        " as pending of %" G_GUINT64_FORMAT " put: expected part"
                        " sent (the socket buffers took it), the rest pending",
                        sent, pending, total);

  /* and all of it once the server reads */
  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "flushed"), WAIT_LONG_MS);
  g_assert_cmpuint (tcpc_client_get_pending_output_bytes (client), ==, 0);
  g_assert_cmpuint (tcpc_client_get_bytes_sent (client), ==, total);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* pause_input: nothing is read, the server's writes block; resume delivers
 * every record in order */
#define PAUSE_RECORDS    50000
#define PAUSE_RECORD_LEN 1000     /* with "\r\n" */

typedef struct
{
  guint n_records;
  guint n_out_of_order;
  gboolean connected;
  gboolean disconnected;
  gboolean pause_in_connected;
} Counter;

static void
counter_connected_cb (TcpcClient     *client,
                      GIOStream      *stream,
                      GSocketAddress *remote,
                      Counter        *c)
{
  c->connected = TRUE;
  if (c->pause_in_connected)
    tcpc_client_pause_input (client);
}

static void
counter_input_cb (TcpcClient *client,
                  GBytes     *record,
                  Counter    *c)
{
  gsize len;
  const char *data = g_bytes_get_data (record, &len);
  g_autofree char *number = g_strndup (data, MIN (len, 8));

  if (len != PAUSE_RECORD_LEN - 2 ||
      g_ascii_strtoull (number, NULL, 10) != c->n_records)
    c->n_out_of_order++;
  c->n_records++;
}

static void
counter_disconnected_cb (TcpcClient *client,
                         Counter    *c)
{
  c->disconnected = TRUE;
}

static void
test_flow_pause_input (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  Counter c = { 0 };
  GString *data = g_string_sized_new ((gsize) PAUSE_RECORDS * PAUSE_RECORD_LEN);
  guint64 total;
  guint64 received;
  TcpcTestConn *conn;
  guint i;

  for (i = 0; i < PAUSE_RECORDS; i++)
    {
      guint j;

      g_string_append_printf (data, "%08u", i);
      for (j = 8; j < PAUSE_RECORD_LEN - 2; j++)
        g_string_append_c (data, 'p');
      g_string_append (data, "\r\n");
    }
  total = data->len;
  g_assert_cmpuint (total, ==, (guint64) PAUSE_RECORDS * PAUSE_RECORD_LEN);
  tcpc_test_script_write (script, data->str, data->len);
  tcpc_test_script_read_to_eof (script);
  g_string_free (data, TRUE);

  c.pause_in_connected = TRUE;
  g_signal_connect (client, "connected", G_CALLBACK (counter_connected_cb), &c);
  g_signal_connect (client, "server-input", G_CALLBACK (counter_input_cb), &c);
  g_signal_connect (client, "disconnected", G_CALLBACK (counter_disconnected_cb), &c);

  tcpc_client_start (client);
  TCPC_TEST_WAIT (c.connected, WAIT_MS);
  WAIT_CONNS (server, 1);
  conn = tcpc_test_server_get_conn (server, 0);
  tcpc_test_spin (500);
  received = tcpc_client_get_bytes_received (client);
  tcpc_test_spin (300);

  /* nothing delivered, nothing read meanwhile, the server is stuck */
  g_assert_cmpuint (c.n_records, ==, 0);
  g_assert_cmpuint (tcpc_client_get_bytes_received (client), ==, received);
  g_test_message ("server sent %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                  " bytes while paused", conn->n_sent, total);
  g_assert_cmpuint (conn->n_sent, <, total);
  g_assert_false (conn->done);

  tcpc_client_resume_input (client);
  TCPC_TEST_WAIT (c.n_records >= PAUSE_RECORDS, 60000);
  g_assert_cmpuint (c.n_records, ==, PAUSE_RECORDS);
  g_assert_cmpuint (c.n_out_of_order, ==, 0);
  g_assert_cmpuint (conn->n_sent, ==, total);
  g_assert_cmpuint (tcpc_client_get_bytes_received (client), ==, total);

  tcpc_client_shutdown (client);
  TCPC_TEST_WAIT (c.disconnected, WAIT_MS);
  g_assert_finalize_object (client);
  tcpc_test_server_free (server);
}

/* pausing inside server-input holds the rest of that read until resume */
static void
pause_at_b_cb (TcpcClient *client,
               GBytes     *record,
               gpointer    user_data)
{
  if (g_bytes_get_size (record) == 1 &&
      *(const char *) g_bytes_get_data (record, NULL) == 'b')
    tcpc_client_pause_input (client);
}

static void
test_flow_pause_in_handler (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_test_script_write_string (script, "a\r\nb\r\nc\r\nd\r\n");
  tcpc_test_script_read_to_eof (script);
  g_signal_connect (client, "server-input", G_CALLBACK (pause_at_b_cb), NULL);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "input:b");
  tcpc_test_spin (300);
  tcpc_test_assert_events (rec, "started", "connected", "input:a", "input:b");

  tcpc_client_resume_input (client);
  WAIT_EVENT (rec, "input:d");
  tcpc_test_assert_events (rec, "started", "connected", "input:a", "input:b",
                           "input:c", "input:d");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* while paused even the end of stream is not read */
static void
pause_on_connected_cb (TcpcClient     *client,
                       GIOStream      *stream,
                       GSocketAddress *remote,
                       gpointer        user_data)
{
  tcpc_client_pause_input (client);
}

static void
test_flow_pause_eof (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);

  tcpc_test_script_write_string (script, "last words\r\n");
  tcpc_test_script_close (script);
  g_signal_connect (client, "connected", G_CALLBACK (pause_on_connected_cb), NULL);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  WAIT_CONNS (server, 1);
  TCPC_TEST_WAIT (tcpc_test_server_get_conn (server, 0)->closed, WAIT_MS);
  tcpc_test_spin (300);
  tcpc_test_assert_events (rec, "started", "connected");
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_CONNECTED);

  tcpc_client_resume_input (client);
  WAIT_EVENT (rec, "disconnected");
  tcpc_test_assert_events (rec, "started", "connected", "input:last words",
                           "disconnected");

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* shutdown_output: EOF after the pending output, input still arrives */
static void
test_flow_shutdown_output (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  TcpcTestConn *conn;

  tcpc_test_script_read_to_eof (script);
  tcpc_test_script_write_string (script, "after\r\n");
  tcpc_test_script_wait (script, 100);
  tcpc_test_script_write_string (script, "later\r\n");
  tcpc_test_script_close (script);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_test_put_string_ok (client, "one");
  tcpc_test_put_string_ok (client, "two");
  tcpc_client_shutdown_output (client);

  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  conn = tcpc_test_server_get_conn (server, 0);
  g_assert_true (conn->eof);
  g_assert_false (conn->reset);
  g_assert_cmpstr (tcpc_test_conn_received_str (conn), ==, "one\r\ntwo\r\n");

  g_assert_cmpint (tcpc_test_recorder_index_of (rec, "input:after"), <,
                   tcpc_test_recorder_index_of (rec, "input:later"));
  g_assert_cmpint (tcpc_test_recorder_index_of (rec, "input:later"), <,
                   tcpc_test_recorder_index_of (rec, "disconnected"));
  g_assert_cmpuint (tcpc_test_count_prefix (rec->events, "server-error"), ==, 0);
  g_assert_cmpuint (tcpc_test_count_prefix (rec->events, "input:"), ==, 2);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* ------------------------------------------------------------------------ */
/* Statistics                                                                */
/* ------------------------------------------------------------------------ */

static void
assert_stats (TcpcClient *client,
              guint64     bytes_sent,
              guint64     bytes_received,
              guint64     records_sent,
              guint64     records_received)
{
  guint64 bs = 0, br = 0, rs = 0, rr = 0;

  g_object_get (client, "bytes-sent", &bs, "bytes-received", &br,
                "records-sent", &rs, "records-received", &rr, NULL);
  g_assert_cmpuint (bs, ==, bytes_sent);
  g_assert_cmpuint (br, ==, bytes_received);
  g_assert_cmpuint (rs, ==, records_sent);
  g_assert_cmpuint (rr, ==, records_received);
  g_assert_cmpuint (tcpc_client_get_bytes_sent (client), ==, bytes_sent);
  g_assert_cmpuint (tcpc_client_get_bytes_received (client), ==, bytes_received);
  g_assert_cmpuint (tcpc_client_get_records_sent (client), ==, records_sent);
  g_assert_cmpuint (tcpc_client_get_records_received (client), ==, records_received);
}

static void
test_statistics (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *first = tcpc_test_server_add_script (server);
  TcpcTestScript *second = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  gint64 before, after, since = -1, since2;

  tcpc_test_script_write_string (first, "a\r\nbb\r\n");
  tcpc_test_script_read_bytes (first, 14);
  tcpc_test_script_close (first);
  tcpc_test_script_read_to_eof (second);

  assert_stats (client, 0, 0, 0, 0);
  g_object_get (client, "connected-since", &since, NULL);
  g_assert_cmpint (since, ==, 0);

  before = g_get_real_time ();
  tcpc_client_start (client);
  WAIT_EVENT (rec, "input:bb");
  after = g_get_real_time ();
  tcpc_test_put_string_ok (client, "hello");
  tcpc_test_put_string_ok (client, "world");
  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);

  /* kept after the connection ended */
  assert_stats (client, 14, 7, 2, 2);
  since = tcpc_client_get_connected_since (client);
  g_assert_cmpint (since, >=, before);
  g_assert_cmpint (since, <=, after);

  /* reset by the next connection */
  before = g_get_real_time ();
  tcpc_client_start (client);
  WAIT_COUNT (rec, "connected", 2);
  assert_stats (client, 0, 0, 0, 0);
  g_object_get (client, "connected-since", &since2, NULL);
  g_assert_cmpint (since2, >=, before);
  g_assert_cmpint (since2, >=, since);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* ------------------------------------------------------------------------ */
/* Connect diagnostics                                                       */
/* ------------------------------------------------------------------------ */

static void
test_connect_progress (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcClient *client = tcpc_test_client_for (server);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  ProgressLog *progress = progress_log_new (client);
  g_autofree char *got = NULL;

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");

  got = join_strings (progress->events);
  g_assert_cmpstr (got, ==, "resolving,resolved,connecting,connected,complete");
  g_assert_cmpuint (progress->n_null_connectable, ==, 0);
  g_assert_cmpuint (progress->n_connection_missing, ==, 0);
  g_assert_true (progress->complete_before_connected);

  progress_log_free (progress, client);
  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* a connect error names the address tried */
static void
test_connect_error_message (void)
{
  guint16 port;
  GSocket *reserved = tcpc_test_reserve_refused_port (&port);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  ProgressLog *progress = progress_log_new (client);
  g_autofree char *port_str = g_strdup_printf ("%u", port);

  tcpc_client_start (client);
  WAIT_EVENT (rec, refused_event);
  g_test_message ("refused: %s", rec->last_error->message);
  g_assert_nonnull (strstr (rec->last_error->message, "127.0.0.1"));
  g_assert_nonnull (strstr (rec->last_error->message, port_str));
  g_assert_cmpint (progress_index (progress, "connecting"), >=, 0);
  progress_log_free (progress, client);
  tcpc_test_finish_client (client, rec);

  /* via a host name with a single address: still named */
  client = tcpc_client_new ("localhost", port);
  rec = tcpc_test_recorder_new (client, 0);
  tcpc_client_set_family (client, G_SOCKET_FAMILY_IPV4);
  tcpc_client_start (client);
  WAIT_EVENT (rec, refused_event);
  g_test_message ("refused: %s", rec->last_error->message);
  g_assert_nonnull (strstr (rec->last_error->message, port_str));
  g_assert_cmpstr (rec->last_error->message, !=, "");
  tcpc_test_finish_client (client, rec);

  close_socket (reserved);
}

/* ------------------------------------------------------------------------ */
/* A client over an existing stream                                          */
/* ------------------------------------------------------------------------ */

static GIOStream *
loopback_stream (TcpcTestServer *server)
{
  g_autoptr(GSocketClient) sc = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *conn;

  g_socket_client_set_timeout (sc, 5);
  g_socket_client_set_enable_proxy (sc, FALSE);
  conn = g_socket_client_connect (sc, G_SOCKET_CONNECTABLE (server->address),
                                  NULL, &error);
  g_assert_no_error (error);
  return G_IO_STREAM (conn);
}

/* An invalid filter set before the client took its stream: connect-error
 * "filter", and the stream is still there for the next start */
static void
test_stream_invalid_filter (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  GIOStream *stream;
  TcpcClient *client;
  TcpcTestRecorder *rec;
  g_autoptr(TcpcLineFilter) invalid = tcpc_line_filter_new ();
  g_autoptr(TcpcLineFilter) valid = tcpc_line_filter_new ();

  tcpc_test_script_echo (script);
  tcpc_line_filter_set_max_length (invalid, 0);
  stream = loopback_stream (server);
  client = tcpc_client_new_for_stream (stream);
  rec = tcpc_test_recorder_new (client, TCPC_TEST_RECORD_PRE_CONNECT);

  tcpc_client_start (client);
  tcpc_client_set_filter (client, TCPC_FILTER (invalid));
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_assert_events (rec, "started", "connect-error:filter:filter:invalid-settings");

  tcpc_client_set_filter (client, TCPC_FILTER (valid));
  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  g_assert_true (tcpc_client_get_stream (client) == stream);
  tcpc_test_put_string_ok (client, "ping");
  WAIT_EVENT (rec, "input:ping");
  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");

  tcpc_test_finish_client (client, rec);
  g_object_unref (stream);
  tcpc_test_server_free (server);
}

static void
test_stream_loopback (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  GIOStream *stream;
  TcpcClient *client;
  TcpcTestRecorder *rec;

  tcpc_test_script_echo (script);
  stream = loopback_stream (server);
  client = tcpc_client_new_for_stream (stream);
  rec = tcpc_test_recorder_new (client, TCPC_TEST_RECORD_PRE_CONNECT);
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_IDLE);

  tcpc_client_start (client);
  /* started at once, the rest from the main loop */
  tcpc_test_assert_events (rec, "started");
  WAIT_EVENT (rec, "connected");
  tcpc_test_assert_events (rec, "started", "pre-connect", "connected");
  g_assert_true (rec->last_stream == stream);
  g_assert_true (tcpc_client_get_stream (client) == stream);

  tcpc_test_put_string_ok (client, "ping");
  WAIT_EVENT (rec, "input:ping");
  assert_stats (client, 6, 6, 1, 1);

  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_CONN_FINISHED (server, 0);
  tcpc_test_assert_events (rec, "started", "pre-connect", "connected", "flushed",
                           "input:ping", "disconnected");
  g_assert_true (tcpc_test_server_get_conn (server, 0)->eof);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);

  tcpc_test_finish_client (client, rec);
  g_object_unref (stream);
  tcpc_test_server_free (server);
}

/* a socketpair, with a filter of its own */
static GIOStream *
pair_stream (TcpcTestServer *server)
{
  GSocket *mine, *theirs;
  GIOStream *stream;

  tcpc_test_socket_pair (&mine, &theirs);
  tcpc_test_server_adopt_socket (server, theirs);
  stream = G_IO_STREAM (g_socket_connection_factory_create_connection (mine));
  g_object_unref (mine);
  g_object_unref (theirs);
  return stream;
}

static void
test_stream_socketpair (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  GIOStream *stream;
  TcpcClient *client;
  TcpcTestRecorder *rec;
  g_autoptr(TcpcLineFilter) filter = tcpc_line_filter_new_literal ("\n");
  TcpcTestConn *conn;

  tcpc_test_script_write_string (script, "x\ny\n");
  tcpc_test_script_read_to_eof (script);
  stream = pair_stream (server);
  client = tcpc_client_new_for_stream (stream);
  tcpc_client_set_filter (client, TCPC_FILTER (filter));
  rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "input:y");
  tcpc_test_put_string_ok (client, "z");
  tcpc_client_shutdown (client);
  WAIT_EVENT (rec, "disconnected");
  tcpc_test_assert_events (rec, "started", "connected", "input:x", "input:y",
                           "flushed", "disconnected");
  conn = tcpc_test_server_get_conn (server, 0);
  TCPC_TEST_WAIT (tcpc_test_conn_finished (conn), WAIT_MS);
  g_assert_cmpstr (tcpc_test_conn_received_str (conn), ==, "z\n");

  tcpc_test_finish_client (client, rec);
  g_object_unref (stream);
  tcpc_test_server_free (server);
}

/* reconnect and connect_to cannot work: NOT_SUPPORTED, no attempt */
static void
test_stream_reconnect_not_supported (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestServer *other = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  GIOStream *stream;
  TcpcClient *client;
  TcpcTestRecorder *rec;

  tcpc_test_script_read_to_eof (script);
  stream = pair_stream (server);
  client = tcpc_client_new_for_stream (stream);
  g_object_unref (stream);
  rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "connected");
  tcpc_client_reconnect (client);
  WAIT_EVENT (rec, not_supported_event);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  g_assert_cmpstr (rec->last_error->message, !=, "");
  /* the stream was given up: the peer sees its end */
  TCPC_TEST_WAIT (tcpc_test_conn_finished (tcpc_test_server_get_conn (server, 0)),
                  WAIT_MS);

  /* connect_to does not try the new address either */
  tcpc_client_connect_to (client, "127.0.0.1", other->port);
  WAIT_COUNT (rec, not_supported_event, 2);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (100);
  g_assert_cmpuint (tcpc_test_server_n_conns (other), ==, 0);
  g_assert_cmpuint (tcpc_test_recorder_count (rec, "connected"), ==, 1);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (other);
  tcpc_test_server_free (server);
}

/* after disconnected, start() reports NOT_SUPPORTED */
static void
test_stream_restart_not_supported (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  GIOStream *stream;
  TcpcClient *client;
  TcpcTestRecorder *rec;

  tcpc_test_script_write_string (script, "bye\r\n");
  tcpc_test_script_close (script);
  stream = pair_stream (server);
  client = tcpc_client_new_for_stream (stream);
  g_object_unref (stream);
  rec = tcpc_test_recorder_new (client, 0);

  tcpc_client_start (client);
  WAIT_EVENT (rec, "disconnected");
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_assert_events (rec, "started", "connected", "input:bye", "disconnected");

  tcpc_client_start (client);
  WAIT_EVENT (rec, not_supported_event);
  WAIT_STATE (client, TCPC_CLIENT_STATE_CLOSED);
  tcpc_test_spin (50);
  tcpc_test_assert_events (rec, "started", "connected", "input:bye", "disconnected",
                           "started", not_supported_event);

  tcpc_test_finish_client (client, rec);
  tcpc_test_server_free (server);
}

/* ------------------------------------------------------------------------ */
/* Properties                                                                */
/* ------------------------------------------------------------------------ */

static void
assert_read_only (GObjectClass *klass,
                  const char   *name,
                  GType         type)
{
  GParamSpec *pspec = g_object_class_find_property (klass, name);

  g_assert_nonnull (pspec);
  g_assert_true (pspec->flags & G_PARAM_READABLE);
  g_assert_false (pspec->flags & G_PARAM_WRITABLE);
  g_assert_true (g_type_is_a (pspec->value_type, type));
}

static void
assert_read_write (GObjectClass *klass,
                   const char   *name,
                   GType         type)
{
  GParamSpec *pspec = g_object_class_find_property (klass, name);

  g_assert_nonnull (pspec);
  g_assert_true (pspec->flags & G_PARAM_READABLE);
  g_assert_true (pspec->flags & G_PARAM_WRITABLE);
  g_assert_true (g_type_is_a (pspec->value_type, type));
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 GPtrArray  *names)
{
  g_ptr_array_add (names, g_strdup (pspec->name));
}

static gboolean
has_name (GPtrArray  *names,
          const char *name)
{
  guint i;

  for (i = 0; i < names->len; i++)
    if (g_str_equal (g_ptr_array_index (names, i), name))
      return TRUE;
  return FALSE;
}

static void
test_properties (void)
{
  TcpcClient *client = tcpc_client_new ("127.0.0.1", 7);
  GObjectClass *klass = G_OBJECT_GET_CLASS (client);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  gboolean tls = TRUE, enable_proxy = FALSE, auto_reconnect = TRUE;
  gboolean keepalive = FALSE, no_delay = FALSE;
  double delay = 0, multiplier = 0, max_delay = 0, jitter = -1, stable = 0;
  double idle = -1, shutdown_timeout = 0;
  guint max_attempts = 1, attempt = 1, next_retry = 1;
  guint high = 0, low = 0;
  guint64 pending = 1, bs = 1, br = 1, rs = 1, rr = 1;
  gint64 since = 1;
  char *uri = (char *) "x";
  GTlsDatabase *db = (GTlsDatabase *) client;
  GTlsCertificate *cert = (GTlsCertificate *) client;
  GTlsCertificateFlags cert_errors = 1;
  g_autoptr(GTlsDatabase) new_db = NULL;

  assert_read_write (klass, "tls", G_TYPE_BOOLEAN);
  assert_read_write (klass, "tls-database", G_TYPE_TLS_DATABASE);
  assert_read_only (klass, "peer-certificate", G_TYPE_TLS_CERTIFICATE);
  assert_read_only (klass, "peer-certificate-errors", G_TYPE_TLS_CERTIFICATE_FLAGS);
  assert_read_write (klass, "proxy-uri", G_TYPE_STRING);
  assert_read_write (klass, "enable-proxy", G_TYPE_BOOLEAN);
  assert_read_write (klass, "auto-reconnect", G_TYPE_BOOLEAN);
  assert_read_write (klass, "reconnect-delay", G_TYPE_DOUBLE);
  assert_read_write (klass, "reconnect-multiplier", G_TYPE_DOUBLE);
  assert_read_write (klass, "reconnect-max-delay", G_TYPE_DOUBLE);
  assert_read_write (klass, "reconnect-jitter", G_TYPE_DOUBLE);
  assert_read_write (klass, "reconnect-max-attempts", G_TYPE_UINT);
  assert_read_write (klass, "reconnect-stable-time", G_TYPE_DOUBLE);
  assert_read_only (klass, "reconnect-attempt", G_TYPE_UINT);
  assert_read_only (klass, "next-retry", G_TYPE_UINT);
  assert_read_write (klass, "idle-timeout", G_TYPE_DOUBLE);
  assert_read_write (klass, "shutdown-timeout", G_TYPE_DOUBLE);
  assert_read_write (klass, "keepalive", G_TYPE_BOOLEAN);
  assert_read_write (klass, "keepalive-idle", G_TYPE_UINT);
  assert_read_write (klass, "keepalive-interval", G_TYPE_UINT);
  assert_read_write (klass, "keepalive-count", G_TYPE_UINT);
  assert_read_write (klass, "no-delay", G_TYPE_BOOLEAN);
  assert_read_write (klass, "output-high-water-mark", G_TYPE_UINT);
  assert_read_write (klass, "output-low-water-mark", G_TYPE_UINT);
  assert_read_only (klass, "writable", G_TYPE_BOOLEAN);
  assert_read_only (klass, "pending-output-bytes", G_TYPE_UINT64);
  assert_read_only (klass, "bytes-sent", G_TYPE_UINT64);
  assert_read_only (klass, "bytes-received", G_TYPE_UINT64);
  assert_read_only (klass, "records-sent", G_TYPE_UINT64);
  assert_read_only (klass, "records-received", G_TYPE_UINT64);
  assert_read_only (klass, "connected-since", G_TYPE_INT64);

  g_assert_cmpuint (g_signal_lookup ("accept-certificate", TCPC_TYPE_CLIENT), !=, 0);
  g_assert_cmpuint (g_signal_lookup ("connect-progress", TCPC_TYPE_CLIENT), !=, 0);

  g_object_get (client,
                "tls", &tls, "tls-database", &db,
                "peer-certificate", &cert, "peer-certificate-errors", &cert_errors,
                "proxy-uri", &uri, "enable-proxy", &enable_proxy,
                "auto-reconnect", &auto_reconnect,
                "reconnect-delay", &delay, "reconnect-multiplier", &multiplier,
                "reconnect-max-delay", &max_delay, "reconnect-jitter", &jitter,
                "reconnect-max-attempts", &max_attempts,
                "reconnect-stable-time", &stable,
                "reconnect-attempt", &attempt, "next-retry", &next_retry,
                "idle-timeout", &idle, "shutdown-timeout", &shutdown_timeout,
                "keepalive", &keepalive, "no-delay", &no_delay,
                "output-high-water-mark", &high, "output-low-water-mark", &low,
                "pending-output-bytes", &pending,
                "bytes-sent", &bs, "bytes-received", &br,
                "records-sent", &rs, "records-received", &rr,
                "connected-since", &since,
                NULL);
  g_assert_false (tls);
  g_assert_null (db);
  g_assert_null (cert);
  g_assert_cmpuint (cert_errors, ==, 0);
  g_assert_null (uri);
  g_assert_true (enable_proxy);
  g_assert_false (auto_reconnect);
  g_assert_cmpfloat (delay, ==, 1.0);
  g_assert_cmpfloat (multiplier, ==, 2.0);
  g_assert_cmpfloat (max_delay, ==, 60.0);
  g_assert_cmpfloat (jitter, ==, 0.1);
  g_assert_cmpuint (max_attempts, ==, 0);
  g_assert_cmpfloat (stable, ==, 10.0);
  g_assert_cmpuint (attempt, ==, 0);
  g_assert_cmpuint (next_retry, ==, 0);
  g_assert_cmpfloat (idle, ==, 0.0);
  g_assert_cmpfloat (shutdown_timeout, ==, 60.0);
  g_assert_true (keepalive);
  g_assert_true (no_delay);
  g_assert_cmpuint (high, ==, 1048576);
  g_assert_cmpuint (low, ==, 65536);
  g_assert_cmpuint (pending, ==, 0);
  g_assert_cmpuint (bs, ==, 0);
  g_assert_cmpuint (br, ==, 0);
  g_assert_cmpuint (rs, ==, 0);
  g_assert_cmpuint (rr, ==, 0);
  g_assert_cmpint (since, ==, 0);

  /* writable settings notify when changed */
  g_signal_connect (client, "notify", G_CALLBACK (count_notify_cb), names);
  if (tls_files_prepare ())
    new_db = test_ca_database ();
  g_object_set (client,
                "tls-database", new_db,
                "proxy-uri", "socks5://127.0.0.1:1080",
                "enable-proxy", FALSE,
                "auto-reconnect", TRUE,
                "reconnect-delay", 0.5,
                "reconnect-multiplier", 1.5,
                "reconnect-max-delay", 30.0,
                "reconnect-jitter", 0.25,
                "reconnect-max-attempts", 7,
                "reconnect-stable-time", 2.5,
                "idle-timeout", 12.5,
                "shutdown-timeout", 3.0,
                "keepalive", FALSE,
                "keepalive-idle", 20,
                "keepalive-interval", 4,
                "keepalive-count", 2,
                "no-delay", FALSE,
                "output-high-water-mark", 4096,
                "output-low-water-mark", 1024,
                NULL);
  {
    const char *expected[] = {
      "proxy-uri", "enable-proxy", "auto-reconnect", "reconnect-delay",
      "reconnect-multiplier", "reconnect-max-delay", "reconnect-jitter",
      "reconnect-max-attempts", "reconnect-stable-time", "idle-timeout",
      "shutdown-timeout", "keepalive", "keepalive-idle", "keepalive-interval",
      "keepalive-count", "no-delay", "output-high-water-mark",
      "output-low-water-mark",
    };
    guint i;

    for (i = 0; i < G_N_ELEMENTS (expected); i++)
      {
        g_test_message ("notify::%s", expected[i]);
        g_assert_true (has_name (names, expected[i]));
      }
    if (new_db != NULL)
      g_assert_true (has_name (names, "tls-database"));
  }

  g_object_get (client, "proxy-uri", &uri, "reconnect-jitter", &jitter,
                "reconnect-max-attempts", &max_attempts, "idle-timeout", &idle,
                "output-high-water-mark", &high, "output-low-water-mark", &low,
                "tls-database", &db, NULL);
  g_assert_cmpstr (uri, ==, "socks5://127.0.0.1:1080");
  g_free (uri);
  g_assert_cmpfloat (jitter, ==, 0.25);
  g_assert_cmpuint (max_attempts, ==, 7);
  g_assert_cmpfloat (idle, ==, 12.5);
  g_assert_cmpuint (high, ==, 4096);
  g_assert_cmpuint (low, ==, 1024);
  g_assert_true (db == new_db);
  g_clear_object (&db);

  /* the same value again does not notify */
  g_ptr_array_set_size (names, 0);
  g_object_set (client, "idle-timeout", 12.5, "keepalive-count", 2, NULL);
  g_assert_false (has_name (names, "idle-timeout"));
  g_assert_false (has_name (names, "keepalive-count"));

  g_signal_handlers_disconnect_by_func (client, count_notify_cb, names);
  g_assert_finalize_object (client);
}

/* ------------------------------------------------------------------------ */

int
main (int   argc,
      char *argv[])
{
  g_autofree char **args = g_new0 (char *, argc + 2);
  int n_args = argc;
  char **argp = args;
  int ret;

  /* --keep-going: a test reporting a failure with g_test_fail() does not
   * stop the ones after it (fatal assertions still abort) */
  memcpy (args, argv, argc * sizeof (char *));
  args[n_args++] = (char *) "--keep-going";
  g_test_init (&n_args, &argp, NULL);

  g_test_add_func ("/Tcpc/Network/properties", test_properties);

  /* TLS */
  g_test_add_func ("/Tcpc/Network/tls/trusted", test_tls_trusted);
  g_test_add_func ("/Tcpc/Network/tls/untrusted", test_tls_untrusted);
  g_test_add_func ("/Tcpc/Network/tls/accept-certificate", test_tls_accept_certificate);
  g_test_add_func ("/Tcpc/Network/tls/accept-certificate-handlers", test_tls_accept_certificate_handlers);
  g_test_add_func ("/Tcpc/Network/tls/wrong-hostname", test_tls_wrong_hostname);
  g_test_add_func ("/Tcpc/Network/tls/pre-connect-wrap", test_tls_pre_connect_wrap);
  g_test_add_func ("/Tcpc/Network/tls/handshake-timeout", test_tls_handshake_timeout);
  g_test_add_func ("/Tcpc/Network/tls/plain-properties", test_tls_plain_properties);

  /* Proxies */
  g_test_add_func ("/Tcpc/Network/proxy/socks5", test_proxy_socks5);
  g_test_add_func ("/Tcpc/Network/proxy/socks4", test_proxy_socks4);
  g_test_add_func ("/Tcpc/Network/proxy/http", test_proxy_http);
  g_test_add_func ("/Tcpc/Network/proxy/disabled", test_proxy_disabled);
  g_test_add_func ("/Tcpc/Network/proxy/refused", test_proxy_refused);
  g_test_add_func ("/Tcpc/Network/proxy/target-refused", test_proxy_target_refused);
  g_test_add_func ("/Tcpc/Network/proxy/timeout", test_proxy_timeout);
  g_test_add_func ("/Tcpc/Network/proxy/tls", test_proxy_tls);

  /* Reconnect policy */
  g_test_add_func ("/Tcpc/Network/reconnect/backoff", test_reconnect_backoff);
  g_test_add_func ("/Tcpc/Network/reconnect/max-attempts", test_reconnect_max_attempts);
  g_test_add_func ("/Tcpc/Network/reconnect/next-retry", test_reconnect_next_retry);
  g_test_add_func ("/Tcpc/Network/reconnect/retry-now", test_reconnect_retry_now);
  g_test_add_func ("/Tcpc/Network/reconnect/shutdown-cancels", test_reconnect_shutdown_cancels);
  g_test_add_func ("/Tcpc/Network/reconnect/server-appears", test_reconnect_server_appears);
  g_test_add_func ("/Tcpc/Network/reconnect/after-disconnected", test_reconnect_after_disconnected);
  g_test_add_func ("/Tcpc/Network/reconnect/stable-reset", test_reconnect_stable_reset);
  g_test_add_func ("/Tcpc/Network/reconnect/unstable-backoff", test_reconnect_unstable_backoff);
  g_test_add_func ("/Tcpc/Network/reconnect/jitter", test_reconnect_jitter);
  g_test_add_func ("/Tcpc/Network/reconnect/handler-wins", test_reconnect_handler_wins);

  /* Timeouts */
  g_test_add_func ("/Tcpc/Network/timeout/idle", test_idle_timeout);
  g_test_add_func ("/Tcpc/Network/timeout/idle-reset-by-input", test_idle_timeout_reset_by_input);
  g_test_add_func ("/Tcpc/Network/timeout/idle-no-shutdown", test_idle_timeout_no_shutdown);
  g_test_add_func ("/Tcpc/Network/timeout/shutdown", test_shutdown_timeout);
  g_test_add_func ("/Tcpc/Network/timeout/shutdown-progress", test_shutdown_timeout_progress);
  g_test_add_func ("/Tcpc/Network/timeout/shutdown-zero", test_shutdown_timeout_zero);

  /* Socket options */
  g_test_add_func ("/Tcpc/Network/socket/options-default", test_socket_options_default);
  g_test_add_func ("/Tcpc/Network/socket/options-custom", test_socket_options_custom);
  g_test_add_func ("/Tcpc/Network/socket/unix", test_unix_socket_options);
  g_test_add_func ("/Tcpc/Network/socket/ipv6-bind", test_ipv6_bind);
  g_test_add_func ("/Tcpc/Network/socket/family-ipv4", test_family_ipv4);
  g_test_add_func ("/Tcpc/Network/socket/family-ipv6", test_family_ipv6);

  /* Flow control */
  g_test_add_func ("/Tcpc/Network/flow/water-marks", test_flow_water_marks);
  g_test_add_func ("/Tcpc/Network/flow/pending-accounting", test_flow_pending_accounting);
  g_test_add_func ("/Tcpc/Network/flow/pause-input", test_flow_pause_input);
  g_test_add_func ("/Tcpc/Network/flow/pause-in-handler", test_flow_pause_in_handler);
  g_test_add_func ("/Tcpc/Network/flow/pause-eof", test_flow_pause_eof);
  g_test_add_func ("/Tcpc/Network/flow/shutdown-output", test_flow_shutdown_output);

  /* Statistics and diagnostics */
  g_test_add_func ("/Tcpc/Network/statistics", test_statistics);
  g_test_add_func ("/Tcpc/Network/connect-progress", test_connect_progress);
  g_test_add_func ("/Tcpc/Network/connect-error-message", test_connect_error_message);

  /* Existing streams */
  g_test_add_func ("/Tcpc/Network/stream/loopback", test_stream_loopback);
  g_test_add_func ("/Tcpc/Network/stream/invalid-filter", test_stream_invalid_filter);
  g_test_add_func ("/Tcpc/Network/stream/socketpair", test_stream_socketpair);
  g_test_add_func ("/Tcpc/Network/stream/reconnect-not-supported", test_stream_reconnect_not_supported);
  g_test_add_func ("/Tcpc/Network/stream/restart-not-supported", test_stream_restart_not_supported);

  ret = g_test_run ();
  tls_files_cleanup ();
  return ret;
}
