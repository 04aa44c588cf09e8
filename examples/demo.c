/* demo.c: a tcpclient session against an in-process loopback server.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Needs nothing outside itself: it starts a line server on 127.0.0.1 (port
 * chosen by the kernel) in the same main loop, then runs one TcpcClient
 * through a whole life cycle and prints every signal and state change:
 *
 *   1. a session: connect, put three lines, read the echoes, flushed;
 *   2. a reconnect: the last line ("quit") makes the server close the
 *      connection, and the disconnected handler calls
 *      tcpc_client_reconnect_after (client, 0.2) once;
 *   3. a shutdown: on the second connection the client puts one line and
 *      shuts down when its echo arrives.
 *
 * Exit status 0 when all of that happened, 1 otherwise (or after 10 s).
 */

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tcpclient.h>

#define DEMO_TIMEOUT_SECONDS 10

/* ---- the server: greets, echoes each line, says "bye" and closes on "quit" */

typedef struct
{
  GSocketConnection *connection;
  GDataInputStream  *input;
  char              *reply;
  gboolean           close_after_reply;
} ServerConn;

static void server_read_next (ServerConn *sc);

static void
server_conn_close (ServerConn *sc)
{
  g_io_stream_close (G_IO_STREAM (sc->connection), NULL, NULL);
  g_clear_object (&sc->input);
  g_clear_object (&sc->connection);
  g_free (sc->reply);
  g_free (sc);
}

static void
server_written_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ServerConn *sc = user_data;
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&sc->reply, g_free);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      g_print ("        server: write failed: %s\n", error->message);
      server_conn_close (sc);
    }
  else if (sc->close_after_reply)
    {
      g_print ("        server: closing the connection\n");
      server_conn_close (sc);
    }
  else
    server_read_next (sc);
}

static void
server_send (ServerConn *sc,
             const char *line,
             gboolean    close_after_reply)
{
  GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (sc->connection));

  sc->reply = g_strconcat (line, "\r\n", NULL);
  sc->close_after_reply = close_after_reply;
  g_output_stream_write_all_async (output, sc->reply, strlen (sc->reply),
                                   G_PRIORITY_DEFAULT, NULL, server_written_cb, sc);
}

static void
server_line_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ServerConn *sc = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *reply = NULL;

  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result,
                                               NULL, &error);
  if (line == NULL)
    {
      if (error != NULL)
        g_print ("        server: read failed: %s\n", error->message);
      else
        g_print ("        server: end of stream from the client\n");
      server_conn_close (sc);
      return;
    }

  g_print ("        server: got \"%s\"\n", line);
  if (strcmp (line, "quit") == 0)
    server_send (sc, "bye", TRUE);
  else
    {
      reply = g_strconcat ("echo: ", line, NULL);
      server_send (sc, reply, FALSE);
    }
}

static void
server_read_next (ServerConn *sc)
{
  g_data_input_stream_read_line_async (sc->input, G_PRIORITY_DEFAULT, NULL,
                                       server_line_cb, sc);
}

static gboolean
server_incoming_cb (GSocketService    *service,
                    GSocketConnection *connection,
                    GObject           *source_object,
                    gpointer           user_data)
{
  ServerConn *sc = g_new0 (ServerConn, 1);
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (connection));

  g_print ("        server: accepted a connection\n");
  sc->connection = g_object_ref (connection);
  sc->input = g_data_input_stream_new (input);
  g_data_input_stream_set_newline_type (sc->input, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  server_send (sc, "welcome", FALSE);
  return TRUE;
}

static GSocketService *
server_new (guint16 *port)
{
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                      NULL, &effective, &error))
    {
      g_printerr ("demo: cannot listen on the loopback interface: %s\n", error->message);
      return NULL;
    }
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (service, "incoming", G_CALLBACK (server_incoming_cb), NULL);
  g_socket_service_start (service);
  return g_steal_pointer (&service);
}

/* ---- the client */

typedef struct
{
  GMainLoop *loop;
  guint      n_connected;
  guint      n_disconnected;
  guint      n_errors;
  gboolean   reconnect_asked;
  gboolean   timed_out;
} Demo;

static const char *
state_name (TcpcClient *client)
{
  GEnumClass *klass = g_type_class_peek (TCPC_TYPE_CLIENT_STATE);
  GEnumValue *value = g_enum_get_value (klass, tcpc_client_get_state (client));

  return value != NULL ? value->value_nick : "?";
}

static void
put_line (TcpcClient *client,
          const char *line)
{
  g_autoptr(GError) error = NULL;

  g_print ("client: put \"%s\"\n", line);
  if (!tcpc_client_put_string (client, line, &error))
    g_print ("client: put failed: %s\n", error->message);
}

static void
state_changed_cb (TcpcClient *client,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  g_print ("    state -> %s\n", state_name (client));
}

static void
started_cb (TcpcClient *client,
            gpointer    user_data)
{
  g_print ("client: started [%s]\n", state_name (client));
}

static void
connected_cb (TcpcClient     *client,
              GIOStream      *stream,
              GSocketAddress *remote_address,
              gpointer        user_data)
{
  Demo *demo = user_data;
  g_autofree char *peer = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (remote_address));

  demo->n_connected++;
  g_print ("client: connected to %s [%s]\n", peer, state_name (client));
  if (demo->n_connected == 1)
    {
      put_line (client, "hello");
      put_line (client, "world");
      put_line (client, "quit");
    }
  else
    put_line (client, "again");
}

static void
connect_error_cb (TcpcClient   *client,
                  const char   *operation,
                  const GError *error,
                  gpointer      user_data)
{
  Demo *demo = user_data;

  demo->n_errors++;
  g_print ("client: connect-error (%s): %s [%s]\n", operation, error->message,
           state_name (client));
  g_main_loop_quit (demo->loop);
}

static void
server_input_cb (TcpcClient *client,
                 GBytes     *record,
                 gpointer    user_data)
{
  gsize length = 0;
  const char *data = g_bytes_get_data (record, &length);

  g_print ("client: server-input \"%.*s\" [%s]\n", (int) length, data, state_name (client));
  if (length == strlen ("echo: again") && memcmp (data, "echo: again", length) == 0)
    {
      g_print ("client: shutdown\n");
      tcpc_client_shutdown (client);
    }
}

static void
server_error_cb (TcpcClient   *client,
                 const char   *operation,
                 const GError *error,
                 gpointer      user_data)
{
  Demo *demo = user_data;

  demo->n_errors++;
  g_print ("client: server-error (%s): %s [%s]\n", operation, error->message,
           state_name (client));
}

static void
flushed_cb (TcpcClient *client,
            gpointer    user_data)
{
  g_print ("client: flushed [%s]\n", state_name (client));
}

static void
disconnected_cb (TcpcClient *client,
                 gpointer    user_data)
{
  Demo *demo = user_data;

  demo->n_disconnected++;
  g_print ("client: disconnected [%s]\n", state_name (client));
  if (!demo->reconnect_asked)
    {
      demo->reconnect_asked = TRUE;
      g_print ("client: reconnect_after (0.2)\n");
      tcpc_client_reconnect_after (client, 0.2);
    }
  else
    g_main_loop_quit (demo->loop);
}

static gboolean
timeout_cb (gpointer user_data)
{
  Demo *demo = user_data;

  g_printerr ("demo: timed out after %d s\n", DEMO_TIMEOUT_SECONDS);
  demo->timed_out = TRUE;
  g_main_loop_quit (demo->loop);
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GSocketService) service = NULL;
  g_autoptr(TcpcClient) client = NULL;
  Demo demo = { 0 };
  guint16 port = 0;
  guint timeout_id;
  gboolean ok;

  setlocale (LC_ALL, "");
  service = server_new (&port);
  if (service == NULL)
    return EXIT_FAILURE;
  g_print ("demo: server listening on 127.0.0.1:%u\n", port);

  demo.loop = g_main_loop_new (NULL, FALSE);
  client = tcpc_client_new ("127.0.0.1", port);
  g_type_class_ref (TCPC_TYPE_CLIENT_STATE);
  g_signal_connect (client, "notify::state", G_CALLBACK (state_changed_cb), &demo);
  g_signal_connect (client, "started", G_CALLBACK (started_cb), &demo);
  g_signal_connect (client, "connected", G_CALLBACK (connected_cb), &demo);
  g_signal_connect (client, "connect-error", G_CALLBACK (connect_error_cb), &demo);
  g_signal_connect (client, "server-input", G_CALLBACK (server_input_cb), &demo);
  g_signal_connect (client, "server-error", G_CALLBACK (server_error_cb), &demo);
  g_signal_connect (client, "flushed", G_CALLBACK (flushed_cb), &demo);
  g_signal_connect (client, "disconnected", G_CALLBACK (disconnected_cb), &demo);

  timeout_id = g_timeout_add_seconds (DEMO_TIMEOUT_SECONDS, timeout_cb, &demo);
  tcpc_client_start (client);
  g_main_loop_run (demo.loop);
  if (!demo.timed_out)
    g_source_remove (timeout_id);

  ok = !demo.timed_out && demo.n_connected == 2 && demo.n_disconnected == 2 && demo.n_errors == 0 &&
       tcpc_client_get_state (client) == TCPC_CLIENT_STATE_CLOSED;
  g_print ("demo: %u connections, %u disconnects, %u errors, final state %s: %s\n",
           demo.n_connected, demo.n_disconnected, demo.n_errors, state_name (client),
           ok ? "ok" : "FAILED");

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_main_loop_unref (demo.loop);
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
