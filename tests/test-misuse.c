/* test-misuse.c: programmer errors and runtime errors (issue 7)
 *
 * Programmer errors (a NULL or wrong-type instance, a NULL record, a
 * negative delay, put_data() with NULL data and a length, an out-of-range
 * port, a GError already set) hit g_return_if_fail() checks: a critical in
 * the Tcpc log domain and no effect, tested with g_test_expect_message()
 * and, for the fatal default, g_test_trap_subprocess(). Runtime failures
 * (not connected, a record the filter cannot encode, invalid filter
 * settings, a refused connection, no address) are GErrors, never
 * criticals: in a GTest program any unexpected critical would abort.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <math.h>
#include <string.h>

#include <gio/gio.h>
#include <tcpclient.h>

#include "tcpc-test-server.h"

#define WAIT_MS 10000

/* The instance a client call gets wrong: NULL (each method checks it
 * before it touches anything, which the sanitizer build verifies). */
#define BAD_CLIENT ((TcpcClient *) NULL)

#define EXPECT_CRITICAL(pattern, stmt)                                       \
  G_STMT_START {                                                             \
    g_test_expect_message ("Tcpc", G_LOG_LEVEL_CRITICAL, pattern);           \
    stmt;                                                                    \
    g_test_assert_expected_messages ();                                      \
  } G_STMT_END

/* An object of the wrong type where a client or a filter is expected. */
static gpointer
not_a_client (void)
{
  static GObject *object;

  if (object == NULL)
    object = g_object_new (G_TYPE_OBJECT, NULL);
  return object;
}

/* ------------------------------------------------------------------------ */
/* TcpcClient: programmer errors                                            */
/* ------------------------------------------------------------------------ */

static void
test_client_commands (void)
{
  g_autoptr(TcpcClient) client = tcpc_client_new ("127.0.0.1", 1);
  TcpcClient *wrong = not_a_client ();

  if (!g_test_undefined ())
    return;

  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", tcpc_client_start (BAD_CLIENT));
  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", tcpc_client_start ((TcpcClient *) not_a_client ()));
  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", tcpc_client_start (wrong));
  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", tcpc_client_connect_to (BAD_CLIENT, "x", 1));
  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", tcpc_client_reconnect (BAD_CLIENT));
  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", tcpc_client_reconnect_after (BAD_CLIENT, 1.0));
  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", tcpc_client_shutdown (BAD_CLIENT));
  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", tcpc_client_shutdown_output (BAD_CLIENT));
  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", tcpc_client_retry_now (BAD_CLIENT));
  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", tcpc_client_pause_input (BAD_CLIENT));
  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", tcpc_client_resume_input (BAD_CLIENT));

  /* a negative or not-a-number delay: nothing scheduled */
  EXPECT_CRITICAL ("*seconds >= 0*", tcpc_client_reconnect_after (client, -1.0));
  EXPECT_CRITICAL ("*seconds >= 0*", tcpc_client_reconnect_after (client, NAN));
  g_assert_cmpint (tcpc_client_get_state (client), ==, TCPC_CLIENT_STATE_IDLE);

  EXPECT_CRITICAL ("*G_IS_IO_STREAM*", g_assert_null (tcpc_client_new_for_stream (NULL)));
}

static void
test_client_put (void)
{
  g_autoptr(TcpcClient) client = tcpc_client_new ("127.0.0.1", 1);
  g_autoptr(GBytes) record = g_bytes_new_static ("x", 1);
  g_autoptr(GError) preset = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "already set");
  GError *error = NULL;

  if (!g_test_undefined ())
    return;

  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", g_assert_false (tcpc_client_put (BAD_CLIENT, record, NULL)));
  EXPECT_CRITICAL ("*record != NULL*", g_assert_false (tcpc_client_put (client, NULL, &error)));
  g_assert_no_error (error);
  EXPECT_CRITICAL ("*error == NULL || *error == NULL*",
                   g_assert_false (tcpc_client_put (client, record, &preset)));
  g_assert_cmpstr (preset->message, ==, "already set");

  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*",
                   g_assert_false (tcpc_client_put_data (BAD_CLIENT, (const guint8 *) "x", 1, NULL)));
  /* NULL data with a length */
  EXPECT_CRITICAL ("*data != NULL || length == 0*",
                   g_assert_false (tcpc_client_put_data (client, NULL, 5, &error)));
  g_assert_no_error (error);

  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", g_assert_false (tcpc_client_put_string (BAD_CLIENT, "x", NULL)));
  EXPECT_CRITICAL ("*record != NULL*", g_assert_false (tcpc_client_put_string (client, NULL, &error)));
  g_assert_no_error (error);
}

static void
test_client_properties (void)
{
  g_autoptr(TcpcClient) client = tcpc_client_new ("127.0.0.1", 7);
  GObject *wrong = not_a_client ();

  if (!g_test_undefined ())
    return;

  /* getters return a neutral value */
  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*",
                   g_assert_cmpint (tcpc_client_get_state (BAD_CLIENT), ==, TCPC_CLIENT_STATE_IDLE));
  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", g_assert_false (tcpc_client_is_connected (BAD_CLIENT)));
  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", g_assert_null (tcpc_client_get_stream (BAD_CLIENT)));
  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", g_assert_null (tcpc_client_get_filter (BAD_CLIENT)));
  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", g_assert_cmpuint (tcpc_client_get_bytes_sent (BAD_CLIENT), ==, 0));
  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", g_assert_null (tcpc_client_get_remote_address (BAD_CLIENT)));

  /* setters change nothing */
  EXPECT_CRITICAL ("*remote_port <= G_MAXUINT16*", tcpc_client_set_remote_port (client, 70000));
  g_assert_cmpuint (tcpc_client_get_remote_port (client), ==, 7);
  EXPECT_CRITICAL ("*bind_port <= G_MAXUINT16*", tcpc_client_set_bind_port (client, 65536));
  g_assert_cmpuint (tcpc_client_get_bind_port (client), ==, 0);
  EXPECT_CRITICAL ("*seconds >= 0*", tcpc_client_set_connect_timeout (client, -0.5));
  g_assert_cmpfloat (tcpc_client_get_connect_timeout (client), ==, 0.0);
  EXPECT_CRITICAL ("*TCPC_IS_FILTER*", tcpc_client_set_filter (client, (TcpcFilter *) wrong));
  g_assert_true (TCPC_IS_LINE_FILTER (tcpc_client_get_filter (client)));
  EXPECT_CRITICAL ("*G_IS_SOCKET_CONNECTABLE*",
                   tcpc_client_set_connectable (client, (GSocketConnectable *) wrong));
  g_assert_null (tcpc_client_get_connectable (client));
  EXPECT_CRITICAL ("*TCPC_IS_CLIENT*", tcpc_client_set_name (BAD_CLIENT, "x"));
}

/* Without g_test_expect_message() a programmer error is fatal in a test
 * program: the subprocess aborts with the critical on stderr. */
static void
test_client_fatal (void)
{
  if (!g_test_undefined ())
    return;

  if (g_test_subprocess ())
    {
      g_autoptr(TcpcClient) client = tcpc_client_new ("127.0.0.1", 1);

      tcpc_client_put_data (client, NULL, 5, NULL);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*tcpc_client_put_data*data != NULL || length == 0*");
}

static void
test_client_fatal_negative_delay (void)
{
  if (!g_test_undefined ())
    return;

  if (g_test_subprocess ())
    {
      g_autoptr(TcpcClient) client = tcpc_client_new ("127.0.0.1", 1);

      tcpc_client_reconnect_after (client, -3.0);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*tcpc_client_reconnect_after*seconds >= 0*");
}

/* ------------------------------------------------------------------------ */
/* Filters: programmer errors                                               */
/* ------------------------------------------------------------------------ */

static void
test_filter_calls (void)
{
  g_autoptr(TcpcFilter) line = TCPC_FILTER (tcpc_line_filter_new ());
  g_autoptr(GBytes) chunk = g_bytes_new_static ("a\n", 2);
  g_autoptr(GError) preset = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "already set");
  GObject *wrong = not_a_client ();

  if (!g_test_undefined ())
    return;

  EXPECT_CRITICAL ("*TCPC_IS_FILTER*", g_assert_false (tcpc_filter_feed (NULL, chunk, NULL)));
  EXPECT_CRITICAL ("*TCPC_IS_FILTER*",
                   g_assert_false (tcpc_filter_feed ((TcpcFilter *) wrong, chunk, NULL)));
  EXPECT_CRITICAL ("*data != NULL*", g_assert_false (tcpc_filter_feed (line, NULL, NULL)));
  EXPECT_CRITICAL ("*error == NULL || *error == NULL*",
                   g_assert_false (tcpc_filter_feed (line, chunk, &preset)));
  EXPECT_CRITICAL ("*TCPC_IS_FILTER*", g_assert_null (tcpc_filter_next_record (NULL, NULL)));
  EXPECT_CRITICAL ("*record != NULL*", g_assert_null (tcpc_filter_encode (line, NULL, NULL)));
  EXPECT_CRITICAL ("*TCPC_IS_FILTER*", g_assert_null (tcpc_filter_take_pending (NULL)));
  EXPECT_CRITICAL ("*TCPC_IS_FILTER*", g_assert_null (tcpc_filter_clone (NULL)));

  /* nothing was fed by the failed calls */
  g_assert_null (tcpc_filter_take_pending (line));
}

static void
test_filter_settings (void)
{
  g_autoptr(TcpcLineFilter) line = tcpc_line_filter_new ();
  g_autoptr(TcpcBlockFilter) block = tcpc_block_filter_new ();
  g_autoptr(TcpcStackableFilter) stack = tcpc_stackable_filter_new (NULL);
  TcpcBlockFilter *bad_codec;

  if (!g_test_undefined ())
    return;

  EXPECT_CRITICAL ("*TCPC_IS_LINE_FILTER*", tcpc_line_filter_set_max_length (NULL, 5));
  EXPECT_CRITICAL ("*TCPC_IS_LINE_FILTER*", tcpc_line_filter_set_literal (NULL, "\n"));
  EXPECT_CRITICAL ("*TCPC_IS_LINE_FILTER*",
                   g_assert_false (tcpc_line_filter_check_settings (NULL, NULL)));
  EXPECT_CRITICAL ("*TCPC_IS_BLOCK_FILTER*", tcpc_block_filter_set_block_size (NULL, 4));
  EXPECT_CRITICAL ("*length_codec <= TCPC_LENGTH_CODEC_UINT64_LE*",
                   tcpc_block_filter_set_length_codec (block, (TcpcLengthCodec) 42));
  g_assert_cmpint (tcpc_block_filter_get_length_codec (block), ==, TCPC_LENGTH_CODEC_ASCII);
  EXPECT_CRITICAL ("*TCPC_IS_NETSTRING_FILTER*", tcpc_netstring_filter_set_max_length (NULL, 4));
  EXPECT_CRITICAL ("*TCPC_IS_STACKABLE_FILTER*", tcpc_stackable_filter_push (NULL, TCPC_FILTER (line)));
  EXPECT_CRITICAL ("*TCPC_IS_FILTER*", tcpc_stackable_filter_push (stack, NULL));
  EXPECT_CRITICAL ("*TCPC_IS_FILTER*", tcpc_stackable_filter_unshift (stack, NULL));
  EXPECT_CRITICAL ("*filter != (gpointer) self*",
                   tcpc_stackable_filter_unshift (stack, TCPC_FILTER (stack)));
  g_assert_cmpuint (tcpc_stackable_filter_get_n_filters (stack), ==, 0);
  EXPECT_CRITICAL ("*TCPC_IS_MAP_FILTER*",
                   tcpc_map_filter_set_input_func (NULL, NULL, NULL, NULL));

  /* an index past the end is not a programmer error: NULL */
  g_assert_null (tcpc_stackable_filter_get_filter (stack, 5));
  g_assert_null (tcpc_stackable_filter_pop (stack));

  /* an out-of-range codec given to the constructor: GObject's own
   * property check warns, and the filter keeps the default codec */
  g_test_expect_message ("GLib-GObject", G_LOG_LEVEL_WARNING, "*length-codec*");
  bad_codec = tcpc_block_filter_new_length_prefixed ((TcpcLengthCodec) 42);
  g_test_assert_expected_messages ();
  g_assert_cmpint (tcpc_block_filter_get_length_codec (bad_codec), ==, TCPC_LENGTH_CODEC_ASCII);
  g_object_unref (bad_codec);
}

/* ------------------------------------------------------------------------ */
/* Runtime errors: GErrors, no critical                                     */
/* ------------------------------------------------------------------------ */

static void
test_runtime_put (void)
{
  g_autoptr(TcpcClient) client = tcpc_client_new ("127.0.0.1", 1);
  g_autoptr(GError) error = NULL;

  /* not connected: a GError, and NULL for error is allowed */
  g_assert_false (tcpc_client_put_string (client, "x", &error));
  g_assert_error (error, TCPC_CLIENT_ERROR, TCPC_CLIENT_ERROR_NOT_CONNECTED);
  g_clear_error (&error);
  g_assert_false (tcpc_client_put_string (client, "x", NULL));
  /* NULL data of length 0 is a valid empty record */
  g_assert_false (tcpc_client_put_data (client, NULL, 0, &error));
  g_assert_error (error, TCPC_CLIENT_ERROR, TCPC_CLIENT_ERROR_NOT_CONNECTED);
  g_assert_cmpstr (error->message, !=, "");
}

static void
test_runtime_connected (void)
{
  TcpcTestServer *server = tcpc_test_server_new ();
  TcpcTestScript *script = tcpc_test_server_add_script (server);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", server->port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  g_autoptr(TcpcBlockFilter) filter = tcpc_block_filter_new_length_prefixed (TCPC_LENGTH_CODEC_UINT8);
  g_autofree guint8 *big = g_malloc0 (300);
  g_autoptr(GError) error = NULL;

  tcpc_test_script_read_to_eof (script);
  tcpc_client_set_filter (client, TCPC_FILTER (filter));
  tcpc_client_start (client);
  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "connected"), WAIT_MS);

  /* a record the filter cannot encode: a filter GError, still connected */
  g_assert_false (tcpc_client_put_data (client, big, 300, &error));
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_RECORD_TOO_LONG);
  g_clear_error (&error);
  g_assert_true (tcpc_client_is_connected (client));
  g_assert_true (tcpc_client_put_data (client, big, 255, &error));
  g_assert_no_error (error);

  /* shutting down: NOT_CONNECTED */
  tcpc_client_shutdown (client);
  g_assert_false (tcpc_client_put_data (client, big, 1, &error));
  g_assert_error (error, TCPC_CLIENT_ERROR, TCPC_CLIENT_ERROR_NOT_CONNECTED);
  TCPC_TEST_WAIT (tcpc_test_recorder_has (rec, "disconnected"), WAIT_MS);
  tcpc_test_assert_events (rec, "started", "connected", "flushed", "disconnected");

  tcpc_test_recorder_free (rec);
  g_assert_finalize_object (client);
  tcpc_test_server_free (server);
}

static void
test_runtime_connect_errors (void)
{
  guint16 port;
  GSocket *refused = tcpc_test_reserve_refused_port (&port);
  TcpcClient *client = tcpc_client_new ("127.0.0.1", port);
  TcpcClient *nowhere = tcpc_client_new (NULL, 0);
  TcpcClient *invalid = tcpc_client_new ("127.0.0.1", port);
  TcpcTestRecorder *rec = tcpc_test_recorder_new (client, 0);
  TcpcTestRecorder *rec_nowhere = tcpc_test_recorder_new (nowhere, 0);
  TcpcTestRecorder *rec_invalid = tcpc_test_recorder_new (invalid, 0);
  g_autoptr(TcpcBlockFilter) bad = tcpc_block_filter_new_fixed (4);

  /* invalid settings: a block size together with a max-length */
  tcpc_block_filter_set_max_length (bad, 10);
  tcpc_client_set_filter (invalid, TCPC_FILTER (bad));

  tcpc_client_start (client);
  tcpc_client_start (nowhere);
  tcpc_client_start (invalid);
  TCPC_TEST_WAIT (tcpc_client_get_state (client) == TCPC_CLIENT_STATE_CLOSED &&
                  tcpc_client_get_state (nowhere) == TCPC_CLIENT_STATE_CLOSED &&
                  tcpc_client_get_state (invalid) == TCPC_CLIENT_STATE_CLOSED, WAIT_MS);

  tcpc_test_assert_events (rec, "started", "connect-error:connect:io:connection-refused");
  tcpc_test_assert_events (rec_nowhere, "started", "connect-error:connect:io:invalid-argument");
  tcpc_test_assert_events (rec_invalid, "started",
                           "connect-error:filter:filter:invalid-settings");

  tcpc_test_recorder_free (rec);
  tcpc_test_recorder_free (rec_nowhere);
  tcpc_test_recorder_free (rec_invalid);
  g_assert_finalize_object (client);
  g_assert_finalize_object (nowhere);
  g_assert_finalize_object (invalid);
  g_socket_close (refused, NULL);
  g_object_unref (refused);
}

static void
test_runtime_filters (void)
{
  g_autoptr(TcpcLineFilter) line = tcpc_line_filter_new_literal ("\n");
  g_autoptr(TcpcNetstringFilter) netstring = tcpc_netstring_filter_new ();
  g_autoptr(GBytes) chunk = g_bytes_new_static ("x:", 2);
  g_autoptr(GBytes) record = NULL;
  g_autoptr(GError) error = NULL;

  /* incompatible settings: INVALID_SETTINGS from every call */
  tcpc_line_filter_set_input_regex (line, "\\n");
  g_assert_false (tcpc_line_filter_check_settings (line, &error));
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
  g_clear_error (&error);
  g_assert_false (tcpc_filter_feed (TCPC_FILTER (line), chunk, &error));
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
  g_clear_error (&error);
  g_assert_null (tcpc_filter_encode (TCPC_FILTER (line), chunk, &error));
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_INVALID_SETTINGS);
  g_clear_error (&error);

  /* malformed input: MALFORMED from next_record, no critical */
  g_assert_true (tcpc_filter_feed (TCPC_FILTER (netstring), chunk, &error));
  g_assert_no_error (error);
  record = tcpc_filter_next_record (TCPC_FILTER (netstring), &error);
  g_assert_null (record);
  g_assert_error (error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_MALFORMED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Tcpc/Misuse/client/commands", test_client_commands);
  g_test_add_func ("/Tcpc/Misuse/client/put", test_client_put);
  g_test_add_func ("/Tcpc/Misuse/client/properties", test_client_properties);
  g_test_add_func ("/Tcpc/Misuse/client/fatal-put-data", test_client_fatal);
  g_test_add_func ("/Tcpc/Misuse/client/fatal-negative-delay", test_client_fatal_negative_delay);
  g_test_add_func ("/Tcpc/Misuse/filter/calls", test_filter_calls);
  g_test_add_func ("/Tcpc/Misuse/filter/settings", test_filter_settings);
  g_test_add_func ("/Tcpc/Runtime/put", test_runtime_put);
  g_test_add_func ("/Tcpc/Runtime/connected", test_runtime_connected);
  g_test_add_func ("/Tcpc/Runtime/connect-errors", test_runtime_connect_errors);
  g_test_add_func ("/Tcpc/Runtime/filters", test_runtime_filters);

  return g_test_run ();
}
