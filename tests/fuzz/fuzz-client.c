/* fuzz-client.c: libFuzzer target for the client's input path
 *
 * A TcpcClient over one end of a socketpair (tcpc_client_new_for_stream()
 * with g_socket_connection_factory_create_connection()); the payload is
 * written to the other end cut at the input's cuts, the main loop iterated
 * until the client consumed each chunk; then the peer closes (EOF) or the
 * client shuts down, and the client is dropped.
 *
 * mode % 7 chooses the filter: line (default terminators), line "\n",
 * block ASCII, block UINT32_BE, netstring, stream, stack [line, map].
 * The max-length selector sets a small limit. Flags: bit 0 shutdown-on-error,
 * bit 1 the peer closes (else tcpc_client_shutdown()), bit 2 a record is put
 * before the end.
 *
 * Checks: no crash or leak; the records delivered are those of the same
 * filter fed the payload whole (up to the first error with
 * shutdown-on-error), the stream filter's records are the payload; a
 * filter error is a server-error with operation "read" in
 * TCPC_FILTER_ERROR; exactly one disconnected, nothing after it, and the
 * client is finalized when dropped.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fuzz-common.h"
#include "fuzz-map-funcs.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <gio/gio.h>

typedef struct
{
  GPtrArray *records;
  guint      filter_errors;
  guint      io_errors;
  guint      disconnected;
  guint      connected;
  guint      after_end;      /* signals after disconnected */
} Run;

static void
on_connected (TcpcClient *client, GIOStream *stream, GSocketAddress *remote, Run *run)
{
  run->connected++;
}

static void
on_input (TcpcClient *client, GBytes *record, Run *run)
{
  if (run->disconnected > 0)
    run->after_end++;
  FUZZ_CHECK (tcpc_client_get_state (client) == TCPC_CLIENT_STATE_CONNECTED);
  g_ptr_array_add (run->records, g_bytes_ref (record));
}

static void
on_server_error (TcpcClient *client, const char *operation, const GError *error, Run *run)
{
  if (run->disconnected > 0)
    run->after_end++;
  FUZZ_CHECK (error != NULL);
  if (error->domain == TCPC_FILTER_ERROR)
    {
      FUZZ_CHECK_MSG (g_str_equal (operation, "read"),
                      "filter error with operation %s", operation);
      run->filter_errors++;
    }
  else
    run->io_errors++;
}

static void
on_disconnected (TcpcClient *client, Run *run)
{
  FUZZ_CHECK (!tcpc_client_is_connected (client));
  run->disconnected++;
}

static void
on_other (TcpcClient *client, Run *run)
{
  if (run->disconnected > 0)
    run->after_end++;
}

G_GNUC_NORETURN static void
on_connect_error (TcpcClient *client, const char *operation, const GError *error, Run *run)
{
  fuzz_fail (__FILE__, __LINE__, "connect-error %s on a socketpair: %s", operation,
             error != NULL ? error->message : "?");
}

static TcpcFilter *
make_filter (guint mode,
             guint max_length)
{
  switch (mode % 7)
    {
    case 0:
      {
        TcpcLineFilter *f = tcpc_line_filter_new ();

        tcpc_line_filter_set_max_length (f, max_length);
        return TCPC_FILTER (f);
      }
    case 1:
      {
        TcpcLineFilter *f = tcpc_line_filter_new_literal ("\n");

        tcpc_line_filter_set_max_length (f, max_length);
        return TCPC_FILTER (f);
      }
    case 2:
    case 3:
      {
        TcpcBlockFilter *f = tcpc_block_filter_new_length_prefixed (
            mode % 7 == 2 ? TCPC_LENGTH_CODEC_ASCII : TCPC_LENGTH_CODEC_UINT32_BE);

        tcpc_block_filter_set_max_length (f, max_length);
        return TCPC_FILTER (f);
      }
    case 4:
      {
        TcpcNetstringFilter *f = tcpc_netstring_filter_new ();

        tcpc_netstring_filter_set_max_length (f, max_length);
        return TCPC_FILTER (f);
      }
    case 5:
      return TCPC_FILTER (tcpc_stream_filter_new ());
    default:
      {
        TcpcStackableFilter *stack = tcpc_stackable_filter_new (NULL);
        TcpcLineFilter *line = tcpc_line_filter_new ();
        TcpcMapFilter *map = tcpc_map_filter_new (fuzz_map_input, NULL, NULL,
                                                  fuzz_map_output, NULL, NULL);

        tcpc_line_filter_set_max_length (line, max_length);
        tcpc_stackable_filter_push (stack, TCPC_FILTER (line));
        tcpc_stackable_filter_push (stack, TCPC_FILTER (map));
        g_object_unref (line);
        g_object_unref (map);
        return TCPC_FILTER (stack);
      }
    }
}

static gsize
unread_bytes (GSocket *socket)
{
  int n = 0;

  if (g_socket_is_closed (socket) ||
      ioctl (g_socket_get_fd (socket), FIONREAD, &n) < 0)
    return 0;
  return n;
}

static gboolean
client_ended (TcpcClient *client)
{
  TcpcClientState state = tcpc_client_get_state (client);

  return state == TCPC_CLIENT_STATE_CLOSED || state == TCPC_CLIENT_STATE_IDLE;
}

/* Iterates until the client read everything written to it (or ended). */
static void
settle (GMainContext *context,
        TcpcClient   *client,
        GSocket      *mine)
{
  guint i;

  for (i = 0; i < 200000; i++)
    {
      if (client_ended (client) || unread_bytes (mine) == 0)
        break;
      g_main_context_iteration (context, FALSE);
    }
  /* and whatever the read started */
  for (i = 0; i < 1000 && g_main_context_iteration (context, FALSE); i++)
    ;
}

static void
write_all (GMainContext *context,
           TcpcClient   *client,
           GSocket      *peer,
           GSocket      *mine,
           const guint8 *data,
           gsize         len)
{
  guint spins = 0;

  while (len > 0 && !client_ended (client))
    {
      GError *error = NULL;
      gssize n = g_socket_send (peer, (const char *) data, len, NULL, &error);

      if (n < 0)
        {
          gboolean would_block = g_error_matches (error, G_IO_ERROR,
                                                  G_IO_ERROR_WOULD_BLOCK);

          g_error_free (error);
          if (!would_block)
            return;   /* the client closed its end (shutdown on error) */
          FUZZ_CHECK_MSG (++spins < 100000, "the client stopped reading");
          settle (context, client, mine);
          continue;
        }
      data += n;
      len -= n;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  GMainContext *context = g_main_context_default ();
  FuzzInput in;
  int fds[2];
  GSocket *mine, *peer;
  GSocketConnection *connection;
  TcpcClient *client;
  TcpcFilter *filter, *reference;
  gboolean shutdown_on_error, peer_closes, put_record;
  guint max_length, i;
  gsize start = 0;
  Run run = { 0 };
  FuzzParse expected;
  guint expected_errors = 0, expected_records = 0;
  gboolean stream_filter;
  gboolean expected_malformed = FALSE;

  fuzz_input_parse (&in, data, size);
  max_length = fuzz_max_length (in.max_sel, 1024 * 1024);
  shutdown_on_error = (in.flags & 1) != 0;
  peer_closes = (in.flags & 2) != 0;
  put_record = (in.flags & 4) != 0;
  stream_filter = in.mode % 7 == 5;

  FUZZ_CHECK (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  mine = g_socket_new_from_fd (fds[0], NULL);
  peer = g_socket_new_from_fd (fds[1], NULL);
  FUZZ_CHECK (mine != NULL && peer != NULL);
  g_socket_set_blocking (peer, FALSE);

  connection = g_socket_connection_factory_create_connection (mine);
  client = tcpc_client_new_for_stream (G_IO_STREAM (connection));
  g_object_unref (connection);   /* the client keeps it */

  filter = make_filter (in.mode, max_length);
  tcpc_client_set_filter (client, filter);
  tcpc_client_set_shutdown_on_error (client, shutdown_on_error);

  run.records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_signal_connect (client, "connected", G_CALLBACK (on_connected), &run);
  g_signal_connect (client, "server-input", G_CALLBACK (on_input), &run);
  g_signal_connect (client, "server-error", G_CALLBACK (on_server_error), &run);
  g_signal_connect (client, "disconnected", G_CALLBACK (on_disconnected), &run);
  g_signal_connect (client, "flushed", G_CALLBACK (on_other), &run);
  g_signal_connect (client, "connect-error", G_CALLBACK (on_connect_error), &run);

  tcpc_client_start (client);
  for (i = 0; i < 10000 && run.connected == 0 && !client_ended (client); i++)
    g_main_context_iteration (context, FALSE);
  FUZZ_CHECK_MSG (run.connected == 1, "the client did not connect");

  for (i = 0; i <= in.n_cuts; i++)
    {
      gsize end = i < in.n_cuts ? in.cuts[i] : in.len;

      write_all (context, client, peer, mine, FUZZ_AT (in.payload, start), end - start);
      start = end;
      settle (context, client, mine);
    }

  if (put_record && tcpc_client_is_connected (client))
    {
      GError *error = NULL;
      gboolean ok = tcpc_client_put_data (client, in.payload, MIN (in.len, 16), &error);

      FUZZ_CHECK_MSG (ok && error == NULL, "put failed: %s",
                      error != NULL ? error->message : "?");
    }

  if (peer_closes)
    g_socket_shutdown (peer, FALSE, TRUE, NULL);
  else
    tcpc_client_shutdown (client);

  for (i = 0; i < 200000 && !client_ended (client); i++)
    {
      char sink[4096];

      /* drain what the client writes, so that its flush completes */
      while (g_socket_receive (peer, sink, sizeof sink, NULL, NULL) > 0)
        ;
      g_main_context_iteration (context, FALSE);
    }
  FUZZ_CHECK_MSG (client_ended (client), "the client did not close");
  FUZZ_CHECK (run.disconnected == 1);
  FUZZ_CHECK (run.after_end == 0);
  FUZZ_CHECK (tcpc_client_get_stream (client) == NULL);

  /* the records: those of the same filter fed the whole payload */
  reference = tcpc_filter_clone (filter);
  fuzz_parse (reference, in.payload, in.len, NULL, 0, FALSE, 0, &expected);
  g_object_unref (reference);

  if (stream_filter)
    {
      GByteArray *joined = g_byte_array_new ();

      for (i = 0; i < run.records->len; i++)
        g_byte_array_append (joined, g_bytes_get_data (run.records->pdata[i], NULL),
                             g_bytes_get_size (run.records->pdata[i]));
      FUZZ_CHECK (joined->len == in.len);
      FUZZ_CHECK (in.len == 0 || memcmp (joined->data, in.payload, in.len) == 0);
      g_byte_array_unref (joined);
    }
  else
    {
      for (i = 0; i < expected.outcomes->len; i++)
        {
          FuzzOutcome *o = &g_array_index (expected.outcomes, FuzzOutcome, i);

          if (o->record == NULL)
            {
              expected_errors++;
              if (o->code == TCPC_FILTER_ERROR_MALFORMED)
                expected_malformed = TRUE;
              if (shutdown_on_error)
                break;
              continue;
            }
          FUZZ_CHECK_MSG (expected_records < run.records->len,
                          "record %u of the reference parse was not delivered",
                          expected_records);
          FUZZ_CHECK_MSG (g_bytes_equal (o->record, run.records->pdata[expected_records]),
                          "record %u differs from the reference parse",
                          expected_records);
          expected_records++;
        }
      FUZZ_CHECK_MSG (expected_records == run.records->len,
                      "%u records delivered, %u expected", run.records->len,
                      expected_records);
      FUZZ_CHECK ((expected_errors > 0) == (run.filter_errors > 0));
      if (shutdown_on_error)
        FUZZ_CHECK (run.filter_errors <= 1);
      else if (expected_malformed)
        /* after a malformed frame every later read is refused as well */
        FUZZ_CHECK (run.filter_errors >= expected_errors);
      else
        FUZZ_CHECK_MSG (run.filter_errors == expected_errors,
                        "%u filter errors reported, %u expected",
                        run.filter_errors, expected_errors);
    }
  FUZZ_CHECK_MSG (run.io_errors == 0, "an I/O error on a socketpair");
  fuzz_parse_clear (&expected);

  g_object_add_weak_pointer (G_OBJECT (client), (gpointer *) &client);
  g_object_unref (client);
  FUZZ_CHECK_MSG (client == NULL, "the client outlived its last reference");
  while (g_main_context_iteration (context, FALSE))
    ;

  g_object_unref (filter);
  g_socket_close (peer, NULL);
  g_object_unref (peer);
  g_object_unref (mine);
  g_ptr_array_unref (run.records);
  return 0;
}
