/* test-output.c: when what put() queues goes out
 *
 * put() never writes from inside the call: the write starts from the
 * client's main context, once the code that called put() has returned, so
 * that every record put meanwhile goes out together. These tests pin down
 * what that promises: answers put by a server-input handler are written
 * even when a nested main loop runs inside the handler, or when the server
 * ends its stream in the same read; a client dropped right after put()
 * sends nothing and does not disturb the others; clients on other contexts
 * and threads write on their own.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>
#include <tcpclient.h>

#include "tcpc-test-server.h"

#define WAIT_MS         5000
#define WAIT_LONG_MS   20000

/* the server's connection ran its script to the end */
#define WAIT_SCRIPT_DONE(server)                                             \
  G_STMT_START {                                                             \
    WAIT_CONNS ((server), 1);                                                \
    TCPC_TEST_WAIT (tcpc_test_server_get_conn ((server), 0)->done, WAIT_MS); \
  } G_STMT_END

/* A loopback server with one script, to fill in, and a client for it
 * with a recorder. */
typedef struct
{
  TcpcTestServer   *server;
  TcpcTestScript   *script;
  TcpcClient       *client;
  TcpcTestRecorder *rec;
} Fixture;

static void
fixture_init (Fixture *f)
{
  f->server = tcpc_test_server_new ();
  f->script = tcpc_test_server_add_script (f->server);
  f->client = tcpc_test_client_for (f->server);
  f->rec = tcpc_test_recorder_new (f->client, 0);
}

static void
fixture_finish (Fixture *f)
{
  tcpc_test_finish_client (f->client, f->rec);
  tcpc_test_server_free (f->server);
}

static char *
record_string (GBytes *record)
{
  gsize size;
  const char *data = g_bytes_get_data (record, &size);

  return g_strndup (data, size);
}

/* What a handler does with a question: "qN" is answered with "aN". */
typedef struct
{
  TcpcTestServer *server;   /* for the nested loop's condition */
  guint           n_answered;
  gboolean        nested;   /* wait inside the handler until the server has it */
  gboolean        unref;    /* drop the client right after put() */
  gboolean        waited;   /* the nested wait saw the answer arrive */
  guint64         expected; /* bytes the server must have (nested) */
} Answerer;

static gboolean
server_has_bytes (gpointer user_data)
{
  Answerer *a = user_data;

  return tcpc_test_server_n_conns (a->server) > 0 &&
         tcpc_test_server_get_conn (a->server, 0)->n_received >= a->expected;
}

static void
answer_cb (TcpcClient *client,
           GBytes     *record,
           Answerer   *a)
{
  g_autofree char *str = record_string (record);
  g_autofree char *answer = NULL;

  if (str[0] != 'q')
    return;

  answer = g_strdup_printf ("a%s", str + 1);
  tcpc_test_put_string_ok (client, answer);
  a->n_answered++;

  if (a->nested)
    {
      /* "aN\r\n" must reach the server while this handler still runs */
      a->expected += strlen (answer) + 2;
      tcpc_test_wait_until (server_has_bytes, a, WAIT_MS);
      a->waited = TRUE;
    }
  if (a->unref)
    g_object_unref (client);
}

/* Runs the fixture's client, answering with @a, until the server's script
 * is done; returns the server's side of the connection. */
static TcpcTestConn *
run_answerer (Fixture  *f,
              Answerer *a)
{
  a->server = f->server;
  g_signal_connect (f->client, "server-input", G_CALLBACK (answer_cb), a);
  tcpc_client_start (f->client);
  WAIT_EVENT (f->rec, "disconnected");
  WAIT_SCRIPT_DONE (f->server);

  return tcpc_test_server_get_conn (f->server, 0);
}

/* Answers to records of one read, put by the handler, all arrive. */
static void
test_answers (void)
{
  Fixture f;
  Answerer a = { 0 };
  TcpcTestConn *conn;

  fixture_init (&f);
  tcpc_test_script_write_string (f.script, "q1\r\nq2\r\nq3\r\n");
  tcpc_test_script_read_bytes (f.script, 12);
  tcpc_test_script_close (f.script);
  conn = run_answerer (&f, &a);

  g_assert_cmpstr (tcpc_test_conn_received_str (conn), ==, "a1\r\na2\r\na3\r\n");
  g_assert_cmpuint (a.n_answered, ==, 3);
  g_assert_cmpuint (tcpc_client_get_records_sent (f.client), ==, 3);

  fixture_finish (&f);
}

/* A handler that puts an answer and then waits for it in a nested main
 * loop: the answer goes out from the nested loop. */
static void
test_nested_loop (void)
{
  Fixture f;
  Answerer a = { 0 };
  TcpcTestConn *conn;

  fixture_init (&f);
  a.nested = TRUE;
  tcpc_test_script_write_string (f.script, "q1\r\n");
  tcpc_test_script_read_bytes (f.script, 4);
  tcpc_test_script_write_string (f.script, "q2\r\n");
  tcpc_test_script_read_bytes (f.script, 8);
  tcpc_test_script_close (f.script);
  conn = run_answerer (&f, &a);

  g_assert_true (a.waited);
  g_assert_cmpuint (a.n_answered, ==, 2);
  g_assert_cmpstr (tcpc_test_conn_received_str (conn), ==, "a1\r\na2\r\n");

  fixture_finish (&f);
}

static gboolean
conn_past_shutdown (gpointer user_data)
{
  TcpcTestServer *server = user_data;

  /* steps: 0 write, 1 shut down writing, 2 read */
  return tcpc_test_server_n_conns (server) > 0 &&
         tcpc_test_server_get_conn (server, 0)->step >= 2;
}

static void
pause_cb (TcpcClient *client,
          GIOStream  *stream,
          GSocketAddress *address,
          gpointer    user_data)
{
  tcpc_client_pause_input (client);
}

/* The server asks its last question and ends its stream: the question and
 * the end come in one read of a full chunk, and the answer is still
 * written before the client disconnects. */
static void
test_answer_before_eof (void)
{
  Fixture f;
  Answerer a = { 0 };
  GString *lines = g_string_new (NULL);
  TcpcTestConn *conn;

  fixture_init (&f);
  a.server = f.server;
  /* exactly 64 KiB, the client's read size: 63 lines of 1 KiB, one of
   * 1020 bytes, and the question */
  while (lines->len < 63 * 1024)
    {
      g_string_append (lines, "x");
      while (lines->len % 1024 != 1022)
        g_string_append_c (lines, 'x');
      g_string_append (lines, "\r\n");
    }
  while (lines->len < 65536 - 4 - 2)
    g_string_append_c (lines, 'y');
  g_string_append (lines, "\r\nq9\r\n");
  g_assert_cmpuint (lines->len, ==, 65536);

  tcpc_test_script_write (f.script, lines->str, lines->len);
  tcpc_test_script_shutdown_write (f.script);
  tcpc_test_script_read_bytes (f.script, 4);
  g_signal_connect (f.client, "connected", G_CALLBACK (pause_cb), NULL);
  g_signal_connect (f.client, "server-input", G_CALLBACK (answer_cb), &a);

  tcpc_client_start (f.client);
  WAIT_EVENT (f.rec, "connected");
  /* everything, the end of the stream too, waits in the client's socket */
  tcpc_test_wait_until (conn_past_shutdown, f.server, WAIT_MS);
  tcpc_client_resume_input (f.client);
  WAIT_EVENT (f.rec, "disconnected");

  conn = tcpc_test_server_get_conn (f.server, 0);
  TCPC_TEST_WAIT (conn->n_received >= 4, WAIT_MS);
  g_assert_cmpstr (tcpc_test_conn_received_str (conn), ==, "a9\r\n");
  g_assert_cmpuint (a.n_answered, ==, 1);
  g_assert_cmpuint (tcpc_test_count_prefix (f.rec->events, "input:"), ==, 65);

  g_string_free (lines, TRUE);
  fixture_finish (&f);
}

/* Three clients on one context answer in the same loop iteration; the
 * second drops its last reference right after put(), which discards its
 * answer, and the others still write theirs. */
static void
test_several_clients (void)
{
  TcpcTestServer *servers[3];
  TcpcClient *clients[3];
  TcpcTestRecorder *recs[3];
  Answerer answerers[3];
  guint i;

  for (i = 0; i < 3; i++)
    {
      TcpcTestScript *script;

      servers[i] = tcpc_test_server_new ();
      script = tcpc_test_server_add_script (servers[i]);
      tcpc_test_script_write_string (script, "q1\r\n");
      tcpc_test_script_read_to_eof (script);
      clients[i] = tcpc_test_client_for (servers[i]);
      recs[i] = tcpc_test_recorder_new (clients[i], 0);
      memset (&answerers[i], 0, sizeof answerers[i]);
      answerers[i].server = servers[i];
      answerers[i].unref = i == 1;
      g_signal_connect (clients[i], "server-input", G_CALLBACK (answer_cb), &answerers[i]);
    }

  /* the unref in the handler takes the reference the test holds */
  g_object_add_weak_pointer (G_OBJECT (clients[1]), (gpointer *) &clients[1]);
  for (i = 0; i < 3; i++)
    tcpc_client_start (clients[i]);

  TCPC_TEST_WAIT (clients[1] == NULL, WAIT_MS);
  WAIT_CONN_FINISHED (servers[1], 0);
  for (i = 0; i < 3; i += 2)
    {
      TcpcTestConn *conn;

      WAIT_CONNS (servers[i], 1);
      conn = tcpc_test_server_get_conn (servers[i], 0);
      TCPC_TEST_WAIT (conn->n_received >= 4, WAIT_MS);
      g_assert_cmpstr (tcpc_test_conn_received_str (conn), ==, "a1\r\n");
      tcpc_client_shutdown (clients[i]);
      WAIT_EVENT (recs[i], "disconnected");
    }

  g_assert_cmpuint (answerers[1].n_answered, ==, 1);
  g_assert_cmpuint (tcpc_test_server_get_conn (servers[1], 0)->n_received, ==, 0);

  for (i = 0; i < 3; i++)
    {
      if (clients[i] != NULL)
        tcpc_test_finish_client (clients[i], recs[i]);
      else
        tcpc_test_recorder_free (recs[i]);
      tcpc_test_server_free (servers[i]);
    }
}

/* Put before the loop runs, outside any dispatch, then by a timer: each
 * goes out once the context is iterated. */
static gboolean
put_later_cb (gpointer user_data)
{
  tcpc_test_put_string_ok (TCPC_CLIENT (user_data), "later");
  return G_SOURCE_REMOVE;
}

static void
test_put_outside_dispatch (void)
{
  Fixture f;
  TcpcTestConn *conn;

  fixture_init (&f);
  tcpc_test_script_read_bytes (f.script, 14);
  tcpc_test_script_close (f.script);

  tcpc_client_start (f.client);
  WAIT_EVENT (f.rec, "connected");
  tcpc_test_put_string_ok (f.client, "first");
  g_timeout_add (10, put_later_cb, f.client);
  WAIT_EVENT (f.rec, "disconnected");
  WAIT_SCRIPT_DONE (f.server);

  conn = tcpc_test_server_get_conn (f.server, 0);
  g_assert_cmpstr (tcpc_test_conn_received_str (conn), ==, "first\r\nlater\r\n");

  fixture_finish (&f);
}

/* Ping-pong on two threads at once, each with its own context, server
 * and client: each context writes its own clients' output. */
#define ROUNDS 200

typedef struct
{
  guint    n_pongs;
  gboolean wrong_context;
} PingPong;

static void
pong_cb (TcpcClient *client,
         GBytes     *record,
         PingPong   *p)
{
  if (!g_main_context_is_owner (g_main_context_get_thread_default ()))
    p->wrong_context = TRUE;
  if (++p->n_pongs < ROUNDS)
    tcpc_test_put_string_ok (client, "ping");
  else
    tcpc_client_shutdown (client);
}

static void
ping_connected_cb (TcpcClient     *client,
                   GIOStream      *stream,
                   GSocketAddress *address,
                   gpointer        user_data)
{
  tcpc_test_put_string_ok (client, "ping");
}

static gpointer
pingpong_thread (gpointer user_data)
{
  GMainContext *context = g_main_context_new ();
  PingPong p = { 0 };
  Fixture f;

  /* the fixture's server and client belong to this thread's context */
  g_main_context_push_thread_default (context);
  fixture_init (&f);
  tcpc_test_script_echo (f.script);
  g_signal_connect (f.client, "connected", G_CALLBACK (ping_connected_cb), NULL);
  g_signal_connect (f.client, "server-input", G_CALLBACK (pong_cb), &p);

  tcpc_client_start (f.client);
  TCPC_TEST_WAIT (tcpc_test_recorder_has (f.rec, "disconnected"), WAIT_LONG_MS);

  g_assert_cmpuint (p.n_pongs, ==, ROUNDS);
  g_assert_false (p.wrong_context);
  g_assert_cmpuint (tcpc_client_get_records_sent (f.client), ==, ROUNDS);

  fixture_finish (&f);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);

  return GUINT_TO_POINTER (TRUE);
}

static void
test_threads (void)
{
  GThread *threads[2];
  guint i;

  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("pingpong", pingpong_thread, NULL);
  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    g_assert_true (GPOINTER_TO_UINT (g_thread_join (threads[i])));
}

/* What put(), put_data() and put_string() queue: for every filter, the
 * bytes tcpc_filter_encode() gives for each record, in order. Small
 * records, empty ones and large ones (which are not copied into the
 * shared buffer). */
static void
check_framed_output (TcpcFilter *filter)
{
  Fixture f;
  g_autofree char *medium = g_strnfill (3000, 'x');
  g_autofree char *large = g_strnfill (70000, 'y');
  g_autoptr(GBytes) a = g_bytes_new_static ("a", 1);
  g_autoptr(GBytes) large_bytes = g_bytes_new_static (large, 70000);
  g_autoptr(GByteArray) expected = g_byte_array_new ();
  TcpcTestConn *conn;
  GError *error = NULL;
  const char *parts[] = { "a", "", "b", medium, "c", large, "d" };
  guint i;

  fixture_init (&f);
  for (i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      g_autoptr(GBytes) record = g_bytes_new_static (parts[i], strlen (parts[i]));
      g_autoptr(GBytes) encoded = tcpc_filter_encode (filter, record, &error);

      g_assert_no_error (error);
      g_byte_array_append (expected, g_bytes_get_data (encoded, NULL),
                           g_bytes_get_size (encoded));
    }
  tcpc_test_script_read_bytes (f.script, expected->len);
  tcpc_test_script_close (f.script);
  tcpc_client_set_filter (f.client, filter);

  tcpc_client_start (f.client);
  WAIT_EVENT (f.rec, "connected");
  g_assert_true (tcpc_client_put (f.client, a, &error));
  g_assert_true (tcpc_client_put_data (f.client, NULL, 0, &error));
  g_assert_true (tcpc_client_put_string (f.client, "b", &error));
  g_assert_true (tcpc_client_put_data (f.client, (const guint8 *) medium, 3000, &error));
  g_assert_true (tcpc_client_put_string (f.client, "c", &error));
  g_assert_true (tcpc_client_put (f.client, large_bytes, &error));
  g_assert_true (tcpc_client_put_data (f.client, (const guint8 *) "d", 1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (tcpc_client_get_records_sent (f.client), ==, 7);
  g_assert_cmpuint (tcpc_client_get_pending_output_bytes (f.client), ==, expected->len);
  WAIT_EVENT (f.rec, "disconnected");
  WAIT_SCRIPT_DONE (f.server);

  conn = tcpc_test_server_get_conn (f.server, 0);
  g_assert_cmpuint (conn->n_received, ==, expected->len);
  g_assert_cmpmem (conn->received->data, conn->received->len,
                   expected->data, expected->len);

  fixture_finish (&f);
  g_object_unref (filter);
}

static void
test_framed_output (void)
{
  g_autoptr(GPtrArray) members = g_ptr_array_new_with_free_func (g_object_unref);

  check_framed_output (TCPC_FILTER (tcpc_line_filter_new ()));
  check_framed_output (TCPC_FILTER (tcpc_line_filter_new_literal ("\n")));
  check_framed_output (g_object_new (TCPC_TYPE_LINE_FILTER, "input-regex", "\\r?\\n",
                                     "output-literal", "|", NULL));
  check_framed_output (TCPC_FILTER (tcpc_block_filter_new ()));
  check_framed_output (g_object_new (TCPC_TYPE_BLOCK_FILTER,
                                     "length-codec", TCPC_LENGTH_CODEC_UINT32_LE, NULL));
  check_framed_output (g_object_new (TCPC_TYPE_BLOCK_FILTER,
                                     "length-codec", TCPC_LENGTH_CODEC_UINT64_BE, NULL));
  check_framed_output (g_object_new (TCPC_TYPE_BLOCK_FILTER, "block-size", 7, NULL));
  check_framed_output (TCPC_FILTER (tcpc_netstring_filter_new ()));
  check_framed_output (TCPC_FILTER (tcpc_stream_filter_new ()));
  g_ptr_array_add (members, tcpc_netstring_filter_new ());
  g_ptr_array_add (members, tcpc_line_filter_new_literal ("\n"));
  check_framed_output (TCPC_FILTER (tcpc_stackable_filter_new (members)));
}

/* A record the filter cannot frame is refused with the filter's error:
 * nothing of it is queued or counted, and the records around it go out. */
static void
test_unframable_record (void)
{
  Fixture f;
  g_autofree char *long_record = g_strnfill (300, 'z');
  g_autoptr(TcpcFilter) filter = g_object_new (TCPC_TYPE_BLOCK_FILTER, "length-codec",
                                               TCPC_LENGTH_CODEC_UINT8, NULL);
  TcpcTestConn *conn;
  GError *error = NULL;

  fixture_init (&f);
  tcpc_test_script_read_bytes (f.script, 4);
  tcpc_test_script_close (f.script);
  tcpc_client_set_filter (f.client, filter);

  tcpc_client_start (f.client);
  WAIT_EVENT (f.rec, "connected");
  tcpc_test_put_string_ok (f.client, "a");
  g_assert_false (tcpc_client_put_string (f.client, long_record, &error));
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  g_clear_error (&error);
  g_assert_cmpuint (tcpc_client_get_records_sent (f.client), ==, 1);
  g_assert_cmpuint (tcpc_client_get_pending_output_bytes (f.client), ==, 2);
  tcpc_test_put_string_ok (f.client, "b");
  WAIT_EVENT (f.rec, "disconnected");
  WAIT_SCRIPT_DONE (f.server);

  conn = tcpc_test_server_get_conn (f.server, 0);
  g_assert_cmpmem (conn->received->data, conn->received->len, "\001a\001b", 4);

  fixture_finish (&f);
}

/* Small records put a few at a time while the server does not read, and
 * only while less than 32 KiB wait: the socket fills up, writes of the
 * coalescing buffer are partial, and every byte still arrives once, in
 * order. */
#define SLOW_RECORDS     7000
#define SLOW_RECORD_LEN    98   /* 100 bytes with "\r\n" */

typedef struct
{
  TcpcClient *client;
  guint       n_put;
  guint       n_blocked;  /* puts made while output was not writable */
} SlowPutter;

static gboolean
slow_put_cb (gpointer user_data)
{
  SlowPutter *sp = user_data;
  guint i;

  /* like a program that minds its output queue: the records wait in the
   * client's buffer, not in a queue of buffers, when the socket is full */
  if (tcpc_client_get_pending_output_bytes (sp->client) >= 32768)
    return G_SOURCE_CONTINUE;

  for (i = 0; i < 10 && sp->n_put < SLOW_RECORDS; i++)
    {
      char record[SLOW_RECORD_LEN + 1];

      g_snprintf (record, sizeof record, "%07u%0*d", sp->n_put, SLOW_RECORD_LEN - 7, 0);
      if (!tcpc_client_get_writable (sp->client))
        sp->n_blocked++;
      tcpc_test_put_string_ok (sp->client, record);
      sp->n_put++;
    }

  return sp->n_put < SLOW_RECORDS ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
small_sndbuf_cb (TcpcClient     *client,
                 GIOStream      *stream,
                 GSocketAddress *address,
                 gpointer        user_data)
{
  GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));

  g_assert_true (g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, 4096, NULL));
}

static void
test_slow_reader (void)
{
  Fixture f;
  SlowPutter sp = { 0 };
  g_autoptr(GString) expected = g_string_new (NULL);
  guint i;

  fixture_init (&f);
  sp.client = f.client;
  for (i = 0; i < SLOW_RECORDS; i++)
    g_string_append_printf (expected, "%07u%0*d\r\n", i, SLOW_RECORD_LEN - 7, 0);
  tcpc_test_script_wait (f.script, 300);
  tcpc_test_script_read_bytes (f.script, expected->len);
  tcpc_test_script_close (f.script);
  /* writable shows when the socket stopped taking the records */
  g_object_set (f.client, "output-high-water-mark", 8192, NULL);
  g_signal_connect (f.client, "connected", G_CALLBACK (small_sndbuf_cb), NULL);

  tcpc_client_start (f.client);
  WAIT_EVENT (f.rec, "connected");
  g_idle_add (slow_put_cb, &sp);
  WAIT_EVENT (f.rec, "disconnected");
  WAIT_SCRIPT_DONE (f.server);

  g_assert_cmpuint (sp.n_put, ==, SLOW_RECORDS);
  g_assert_cmpuint (sp.n_blocked, >, 0);
  g_assert_cmpuint (tcpc_test_server_get_conn (f.server, 0)->n_received, ==, expected->len);
  g_assert_cmpstr (tcpc_test_conn_received_str (tcpc_test_server_get_conn (f.server, 0)),
                   ==, expected->str);

  fixture_finish (&f);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Tcpc/Output/answers", test_answers);
  g_test_add_func ("/Tcpc/Output/nested-loop", test_nested_loop);
  g_test_add_func ("/Tcpc/Output/answer-before-eof", test_answer_before_eof);
  g_test_add_func ("/Tcpc/Output/several-clients", test_several_clients);
  g_test_add_func ("/Tcpc/Output/put-outside-dispatch", test_put_outside_dispatch);
  g_test_add_func ("/Tcpc/Output/threads", test_threads);
  g_test_add_func ("/Tcpc/Output/framed-output", test_framed_output);
  g_test_add_func ("/Tcpc/Output/unframable-record", test_unframable_record);
  g_test_add_func ("/Tcpc/Output/slow-reader", test_slow_reader);

  return g_test_run ();
}
