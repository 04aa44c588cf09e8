/* test-filter-peers.c: the filters against peers written in Python
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every test starts tests/peers/framing_peer.py (Python's asyncio, framing
 * records with its own code) as a subprocess on a loopback port and runs a
 * TcpcClient whose filter speaks the same framing against it: the peer's
 * records must arrive as records, and the records put by the client must
 * come back as the peer echoes them. Every wait is bounded by a timeout.
 */

#include <string.h>

#include <tcpclient/tcpclient.h>

#define WAIT_TIMEOUT_MS 20000

/* The records the peer sends first (see framing_peer.py), the long one cut
 * to @max bytes.
 */
static GPtrArray *
peer_greeting (gsize max)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  char *big = g_strnfill (MIN (max, 70000), 'x');

  g_ptr_array_add (records, g_bytes_new_static ("hello", 5));
  g_ptr_array_add (records, g_bytes_new_static ("", 0));
  g_ptr_array_add (records, g_bytes_new_static ("\0\1\377\r\n", 5));
  g_ptr_array_add (records, g_bytes_new_take (big, strlen (big)));
  g_ptr_array_add (records, g_bytes_new_static ("last", 4));

  return records;
}

/* The records the client sends; the peer echoes them. */
static GPtrArray *
client_records (gboolean uint8)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  char *big = g_strnfill (uint8 ? 200 : 200000, 'z');

  g_ptr_array_add (records, g_bytes_new_static ("one", 3));
  g_ptr_array_add (records, g_bytes_new_static ("", 0));
  g_ptr_array_add (records, g_bytes_new_static ("\0 binary \377", 10));
  g_ptr_array_add (records, g_bytes_new_take (big, strlen (big)));
  g_ptr_array_add (records, g_bytes_new_static ("12:3,\0", 6));

  return records;
}

/* Bounded waits */

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;

  return G_SOURCE_REMOVE;
}

/* Iterates the main context until *@flag is set; fails the test after
 * WAIT_TIMEOUT_MS.
 */
static void
wait_for (gboolean   *flag,
          const char *what)
{
  gboolean timed_out = FALSE;
  GSource *timeout = g_timeout_source_new (WAIT_TIMEOUT_MS);

  g_source_set_callback (timeout, timeout_cb, &timed_out, NULL);
  g_source_attach (timeout, NULL);

  while (!*flag && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  g_source_destroy (timeout);
  g_source_unref (timeout);

  if (!*flag)
    g_error ("timed out after %d ms waiting for %s", WAIT_TIMEOUT_MS, what);
}

/* The peer */

typedef struct
{
  GSubprocess *process;
  guint16 port;
  gboolean exited;
  gboolean line_read;
  char *line;
} Peer;

static void
read_line_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Peer *peer = user_data;

  peer->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                          result, NULL, NULL);
  peer->line_read = TRUE;
}

static void
peer_start (Peer       *peer,
            const char *framing,
            const char *argument)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "peers", "framing_peer.py", NULL);
  g_autofree char *python = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[5];
  guint64 port;

  if (g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    python = g_strdup ("/usr/bin/python3");
  else
    python = g_find_program_in_path ("python3");
  g_assert_nonnull (python);

  argv[0] = python;
  argv[1] = script;
  argv[2] = framing;
  argv[3] = argument;
  argv[4] = NULL;

  memset (peer, 0, sizeof *peer);
  peer->process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);

  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (peer->process));
  g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, NULL, read_line_cb, peer);
  wait_for (&peer->line_read, "the peer's port");
  g_assert_nonnull (peer->line);
  g_assert_true (g_ascii_string_to_unsigned (peer->line, 10, 1, G_MAXUINT16, &port, NULL));
  peer->port = port;
}

static void
wait_check_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Peer *peer = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  peer->exited = TRUE;
}

/* Waits for the peer to end and checks that it was satisfied. */
static void
peer_finish (Peer *peer)
{
  g_subprocess_wait_async (peer->process, NULL, wait_check_cb, peer);
  wait_for (&peer->exited, "the peer to exit");
  g_assert_true (g_subprocess_get_if_exited (peer->process));
  g_assert_cmpint (g_subprocess_get_exit_status (peer->process), ==, 0);

  g_clear_object (&peer->process);
  g_clear_pointer (&peer->line, g_free);
}

/* The client */

typedef struct
{
  GPtrArray *puts;        /* records put once connected, "quit" last */
  GPtrArray *inputs;      /* server-input records */
  GPtrArray *errors;      /* "operation: message" of server-error */
  GError *server_error;   /* the first one */
  char *connect_error;
  gboolean done;
} Session;

static void
session_init (Session *session)
{
  memset (session, 0, sizeof *session);
  session->inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  session->errors = g_ptr_array_new_with_free_func (g_free);
}

static void
session_clear (Session *session)
{
  g_clear_pointer (&session->puts, g_ptr_array_unref);
  g_clear_pointer (&session->inputs, g_ptr_array_unref);
  g_clear_pointer (&session->errors, g_ptr_array_unref);
  g_clear_error (&session->server_error);
  g_clear_pointer (&session->connect_error, g_free);
}

static void
connected_cb (TcpcClient     *client,
              GIOStream      *stream,
              GSocketAddress *address,
              Session        *session)
{
  guint i;

  for (i = 0; session->puts != NULL && i < session->puts->len; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (tcpc_client_put (client, session->puts->pdata[i], &error));
      g_assert_no_error (error);
    }
}

static void
server_input_cb (TcpcClient *client,
                 GBytes     *record,
                 Session    *session)
{
  g_ptr_array_add (session->inputs, g_bytes_ref (record));
}

static void
server_error_cb (TcpcClient   *client,
                 const char   *operation,
                 const GError *error,
                 Session      *session)
{
  g_ptr_array_add (session->errors, g_strdup_printf ("%s: %s", operation, error->message));
  if (session->server_error == NULL)
    session->server_error = g_error_copy (error);
}

static void
connect_error_cb (TcpcClient   *client,
                  const char   *operation,
                  const GError *error,
                  Session      *session)
{
  session->connect_error = g_strdup_printf ("%s: %s", operation, error->message);
  session->done = TRUE;
}

static void
disconnected_cb (TcpcClient *client,
                 Session    *session)
{
  session->done = TRUE;
}

/* Runs one connection with @filter to 127.0.0.1:@port until it ends. */
static void
session_run (Session    *session,
             TcpcFilter *filter,
             guint16     port)
{
  g_autoptr(TcpcClient) client = tcpc_client_new ("127.0.0.1", port);

  g_object_set (client, "filter", filter, NULL);
  g_signal_connect (client, "connected", G_CALLBACK (connected_cb), session);
  g_signal_connect (client, "server-input", G_CALLBACK (server_input_cb), session);
  g_signal_connect (client, "server-error", G_CALLBACK (server_error_cb), session);
  g_signal_connect (client, "connect-error", G_CALLBACK (connect_error_cb), session);
  g_signal_connect (client, "disconnected", G_CALLBACK (disconnected_cb), session);

  tcpc_client_start (client);
  wait_for (&session->done, "the end of the connection");
  g_signal_handlers_disconnect_by_data (client, session);
}

static void
assert_records (GPtrArray *actual,
                GPtrArray *expected)
{
  guint i;

  for (i = 0; i < MIN (actual->len, expected->len); i++)
    {
      if (!g_bytes_equal (actual->pdata[i], expected->pdata[i]))
        g_error ("record %u: %" G_GSIZE_FORMAT " bytes, expected %" G_GSIZE_FORMAT,
                 i, g_bytes_get_size (actual->pdata[i]),
                 g_bytes_get_size (expected->pdata[i]));
    }
  g_assert_cmpuint (actual->len, ==, expected->len);
}

static void
extend (GPtrArray *array,
        GPtrArray *records)
{
  guint i;

  for (i = 0; i < records->len; i++)
    g_ptr_array_add (array, g_bytes_ref (records->pdata[i]));
}

/* Record framings: the peer's greeting, then the echo of every record put,
 * then "bye".
 */

typedef struct
{
  const char *framing;
  TcpcFilter *(*make) (void);
} FramingCase;

static TcpcFilter *
make_ascii (void)
{
  return TCPC_FILTER (tcpc_block_filter_new ());
}

#define MAKE_CODEC(name, codec) \
  static TcpcFilter * \
  make_##name (void) \
  { \
    return TCPC_FILTER (tcpc_block_filter_new_length_prefixed (codec)); \
  }

MAKE_CODEC (uint8, TCPC_LENGTH_CODEC_UINT8)
MAKE_CODEC (uint16_be, TCPC_LENGTH_CODEC_UINT16_BE)
MAKE_CODEC (uint16_le, TCPC_LENGTH_CODEC_UINT16_LE)
MAKE_CODEC (uint32_be, TCPC_LENGTH_CODEC_UINT32_BE)
MAKE_CODEC (uint32_le, TCPC_LENGTH_CODEC_UINT32_LE)
MAKE_CODEC (uint64_be, TCPC_LENGTH_CODEC_UINT64_BE)
MAKE_CODEC (uint64_le, TCPC_LENGTH_CODEC_UINT64_LE)

static TcpcFilter *
make_netstring (void)
{
  return TCPC_FILTER (tcpc_netstring_filter_new ());
}

static const FramingCase framing_cases[] = {
  { "ascii", make_ascii },
  { "uint8", make_uint8 },
  { "uint16-be", make_uint16_be },
  { "uint16-le", make_uint16_le },
  { "uint32-be", make_uint32_be },
  { "uint32-le", make_uint32_le },
  { "uint64-be", make_uint64_be },
  { "uint64-le", make_uint64_le },
  { "netstring", make_netstring },
};

static void
test_framing (gconstpointer data)
{
  const FramingCase *c = data;
  gboolean uint8 = g_str_equal (c->framing, "uint8");
  gboolean uint16 = g_str_has_prefix (c->framing, "uint16");
  g_autoptr(TcpcFilter) filter = c->make ();
  g_autoptr(GPtrArray) greeting = peer_greeting (uint8 ? 255 : uint16 ? 65535 : G_MAXSIZE);
  g_autoptr(GPtrArray) sent = client_records (uint8);
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  Session session;
  Peer peer;

  /* A record longer than 16 bits needs a wider header. */
  if (uint16)
    {
      g_ptr_array_remove_index (sent, 3);
      g_ptr_array_add (sent, g_bytes_new_take (g_strnfill (65535, 'z'), 65535));
    }

  peer_start (&peer, c->framing, NULL);
  session_init (&session);
  session.puts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  extend (session.puts, sent);
  g_ptr_array_add (session.puts, g_bytes_new_static ("quit", 4));

  session_run (&session, filter, peer.port);

  g_assert_null (session.connect_error);
  g_assert_cmpuint (session.errors->len, ==, 0);
  extend (expected, greeting);
  extend (expected, sent);
  g_ptr_array_add (expected, g_bytes_new_static ("bye", 3));
  assert_records (session.inputs, expected);

  peer_finish (&peer);
  session_clear (&session);
}

/* Stream: bytes both ways, any chunking. */

static GBytes *
join (GPtrArray *records)
{
  GByteArray *joined = g_byte_array_new ();
  guint i;

  for (i = 0; i < records->len; i++)
    g_byte_array_append (joined, g_bytes_get_data (records->pdata[i], NULL),
                         g_bytes_get_size (records->pdata[i]));

  return g_byte_array_free_to_bytes (joined);
}

static void
run_stream (TcpcFilter *filter)
{
  g_autoptr(GPtrArray) sent = client_records (FALSE);
  g_autoptr(GBytes) sent_bytes = join (sent);
  g_autoptr(GBytes) received = NULL;
  g_autofree char *size = g_strdup_printf ("%" G_GSIZE_FORMAT, g_bytes_get_size (sent_bytes));
  g_autoptr(GByteArray) expected = g_byte_array_new ();
  guint i;
  Session session;
  Peer peer;

  peer_start (&peer, "stream", size);
  session_init (&session);
  session.puts = g_ptr_array_ref (sent);

  session_run (&session, filter, peer.port);

  g_assert_null (session.connect_error);
  g_assert_cmpuint (session.errors->len, ==, 0);

  /* Every record is a read: none is empty, and together they are what the
   * peer sent.
   */
  for (i = 0; i < session.inputs->len; i++)
    g_assert_cmpuint (g_bytes_get_size (session.inputs->pdata[i]), >, 0);
  received = join (session.inputs);
  g_byte_array_append (expected, (const guint8 *) "hello stream", 12);
  g_byte_array_append (expected, g_bytes_get_data (sent_bytes, NULL), g_bytes_get_size (sent_bytes));
  g_assert_cmpmem (g_bytes_get_data (received, NULL), g_bytes_get_size (received),
                   expected->data, expected->len);

  peer_finish (&peer);
  session_clear (&session);
}

static void
test_stream (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_stream_filter_new ());

  run_stream (filter);
}

/* A map filter alone is a stream with callbacks; the client's settings
 * check must not make up an empty record.
 */
static void
test_map_alone (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_map_filter_new (NULL, NULL, NULL,
                                                                   NULL, NULL, NULL));

  run_stream (filter);
}

/* Too long: poe-spec 57 against a real peer. */

static void
test_too_long (void)
{
  g_autoptr(TcpcFilter) filter = TCPC_FILTER (tcpc_block_filter_new_length_prefixed (TCPC_LENGTH_CODEC_UINT32_BE));
  Session session;
  Peer peer;

  g_test_summary ("poe-spec 5.57: an oversized length header is a server-error "
                  "\"read\" before its body is buffered");

  peer_start (&peer, "uint32-be-too-long", NULL);
  session_init (&session);

  session_run (&session, filter, peer.port);

  g_assert_null (session.connect_error);
  g_assert_cmpuint (session.inputs->len, ==, 1);
  g_assert_true (g_bytes_get_size (session.inputs->pdata[0]) == 2 &&
                 memcmp (g_bytes_get_data (session.inputs->pdata[0], NULL), "ok", 2) == 0);
  g_assert_cmpuint (session.errors->len, ==, 1);
  g_assert_true (g_str_has_prefix (session.errors->pdata[0], "read: "));
  g_assert_error (session.server_error, TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_RECORD_TOO_LONG);

  peer_finish (&peer);
  session_clear (&session);
}

/* A stack with a map filter: records transformed on the way in, dropped on
 * the way out.
 */

static GBytes *
uppercase_cb (GBytes   *record,
              gpointer  user_data)
{
  gsize size;
  const char *data = g_bytes_get_data (record, &size);
  guint8 *upper = g_malloc (size + 1);
  gsize i;

  for (i = 0; i < size; i++)
    upper[i] = g_ascii_toupper (data[i]);

  return g_bytes_new_take (upper, size);
}

static GBytes *
drop_secret_cb (GBytes   *record,
                gpointer  user_data)
{
  g_autoptr(GBytes) secret = g_bytes_new_static ("secret", 6);

  return g_bytes_equal (record, secret) ? NULL : g_bytes_ref (record);
}

static void
test_stack (void)
{
  g_autoptr(GPtrArray) members = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(TcpcFilter) filter = NULL;
  g_autoptr(GPtrArray) greeting = peer_greeting (G_MAXSIZE);
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  Session session;
  Peer peer;
  guint i;

  g_ptr_array_add (members, tcpc_netstring_filter_new ());
  g_ptr_array_add (members, tcpc_map_filter_new (uppercase_cb, NULL, NULL,
                                                 drop_secret_cb, NULL, NULL));
  filter = TCPC_FILTER (tcpc_stackable_filter_new (members));

  peer_start (&peer, "netstring", NULL);
  session_init (&session);
  session.puts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (session.puts, g_bytes_new_static ("abc", 3));
  g_ptr_array_add (session.puts, g_bytes_new_static ("secret", 6));
  g_ptr_array_add (session.puts, g_bytes_new_static ("", 0));
  g_ptr_array_add (session.puts, g_bytes_new_static ("quit", 4));

  session_run (&session, filter, peer.port);

  g_assert_null (session.connect_error);
  g_assert_cmpuint (session.errors->len, ==, 0);
  for (i = 0; i < greeting->len; i++)
    g_ptr_array_add (expected, uppercase_cb (greeting->pdata[i], NULL));
  g_ptr_array_add (expected, g_bytes_new_static ("ABC", 3));
  g_ptr_array_add (expected, g_bytes_new_static ("", 0));
  g_ptr_array_add (expected, g_bytes_new_static ("BYE", 3));
  assert_records (session.inputs, expected);

  peer_finish (&peer);
  session_clear (&session);
}

/* Invalid filters are reported before connecting. */

static void
test_invalid_filter (void)
{
  TcpcFilter *filters[3];
  guint i;

  filters[0] = TCPC_FILTER (tcpc_block_filter_new_fixed (0));
  filters[1] = TCPC_FILTER (tcpc_stackable_filter_new (NULL));
  filters[2] = g_object_new (TCPC_TYPE_NETSTRING_FILTER, "max-length", 0, NULL);

  for (i = 0; i < G_N_ELEMENTS (filters); i++)
    {
      Session session;

      session_init (&session);
      /* Nothing listens there, and nothing connects. */
      session_run (&session, filters[i], 9);
      g_assert_nonnull (session.connect_error);
      g_assert_true (g_str_has_prefix (session.connect_error, "filter: "));
      session_clear (&session);
      g_object_unref (filters[i]);
    }
}

static void
ignore_log_cb (const char     *log_domain,
               GLogLevelFlags  log_level,
               const char     *message,
               gpointer        user_data)
{
}

int
main (int   argc,
      char *argv[])
{
  guint i;

  g_test_init (&argc, &argv, NULL);

  /* GSocketClient narrates every connection. */
  g_log_set_handler ("GLib-GIO", G_LOG_LEVEL_DEBUG, ignore_log_cb, NULL);

  for (i = 0; i < G_N_ELEMENTS (framing_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/Tcpc/FilterPeers/%s", framing_cases[i].framing);

      g_test_add_data_func (path, &framing_cases[i], test_framing);
    }
  g_test_add_func ("/Tcpc/FilterPeers/stream", test_stream);
  g_test_add_func ("/Tcpc/FilterPeers/map-alone", test_map_alone);
  g_test_add_func ("/Tcpc/FilterPeers/too-long", test_too_long);
  g_test_add_func ("/Tcpc/FilterPeers/stack", test_stack);
  g_test_add_func ("/Tcpc/FilterPeers/invalid-filter", test_invalid_filter);

  return g_test_run ();
}
