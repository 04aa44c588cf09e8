/* head.c: the POE::Component::Client::TCP synopsis, in C.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Connects to HOST (port 80 unless PORT is given), sends "HEAD / HTTP/1.0"
 * and an empty line, and prints every line the server sends back.
 *
 *   tcpc-head HOST [PORT]
 *
 * Exit status: 0 once the server has closed the connection, 1 when the
 * connection could not be made, 2 on a usage error.
 */

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include <tcpclient.h>

typedef struct
{
  GMainLoop *loop;
  int        status;
} Head;

static void
connected_cb (TcpcClient     *client,
              GIOStream      *stream,
              GSocketAddress *remote_address,
              gpointer        user_data)
{
  g_autoptr(GError) error = NULL;

  if (!tcpc_client_put_string (client, "HEAD / HTTP/1.0", &error) ||
      !tcpc_client_put_string (client, "", &error))
    g_printerr ("put failed: %s\n", error->message);
}

static void
server_input_cb (TcpcClient *client,
                 GBytes     *record,
                 gpointer    user_data)
{
  gsize length = 0;
  const char *data = g_bytes_get_data (record, &length);

  g_print ("from server: %.*s\n", (int) length, data != NULL ? data : "");
}

static void
connect_error_cb (TcpcClient   *client,
                  const char   *operation,
                  const GError *error,
                  gpointer      user_data)
{
  Head *head = user_data;

  g_printerr ("%s error: %s\n", operation, error->message);
  head->status = EXIT_FAILURE;
  g_main_loop_quit (head->loop);
}

static void
disconnected_cb (TcpcClient *client,
                 gpointer    user_data)
{
  Head *head = user_data;

  g_main_loop_quit (head->loop);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(TcpcClient) client = NULL;
  guint64 port = 80;
  Head head = { NULL, EXIT_SUCCESS };

  setlocale (LC_ALL, "");
  if (argc < 2 || argc > 3 ||
      (argc == 3 && (!g_ascii_string_to_unsigned (argv[2], 10, 1, G_MAXUINT16, &port, NULL))))
    {
      g_printerr ("usage: %s HOST [PORT]\n", argv[0]);
      return 2;
    }

  head.loop = g_main_loop_new (NULL, FALSE);
  client = tcpc_client_new (argv[1], (guint16) port);
  g_signal_connect (client, "connected", G_CALLBACK (connected_cb), &head);
  g_signal_connect (client, "server-input", G_CALLBACK (server_input_cb), &head);
  g_signal_connect (client, "connect-error", G_CALLBACK (connect_error_cb), &head);
  g_signal_connect (client, "disconnected", G_CALLBACK (disconnected_cb), &head);

  tcpc_client_start (client);
  g_main_loop_run (head.loop);

  g_main_loop_unref (head.loop);
  return head.status;
}
