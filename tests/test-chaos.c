/* test-chaos.c: a randomized, seeded state-machine test of TcpcClient
 *
 * For each of a fixed list of seeds, one run drives a client against a
 * loopback test server (127.0.0.1 only) whose per-connection scripts are
 * drawn at random: echo, write lines then close, reset, half-close,
 * silent, slow reader, a big write; beside it a reserved port refuses every
 * connect. The client's signal handlers (started, pre-connect, connected,
 * connect-progress, server-input, server-error, connect-error, flushed,
 * disconnected, notify::state, notify::writable) and a 2 ms tick perform
 * random commands with some probability: put/put_string/put_data (small
 * and large), shutdown, shutdown_output, start, reconnect,
 * reconnect_after (0 or a few ms), retry_now, connect_to (the good port,
 * the refusing one, or "keep"), set_filter (line, stream, netstring, or
 * invalid settings), pause_input/resume_input, flush_async (some with a
 * cancellable cancelled later), property changes, and at most once the
 * drop of the last reference, which ends the run.
 *
 * Every run is bounded: it stops commanding after a random number of
 * commands or a wall-clock budget, then ends by shutdown (or it already
 * ended by the unref) and waits, iterating the main loop under a deadline,
 * until the client is CLOSED with no flush_async pending, then finalized.
 *
 * An independent model built only from the observed signals, the state
 * notifications and the commands issued checks, as events happen:
 *  - state notifications are changes, along legal transitions only
 *    (except the step after a notify::state handler that ran a command:
 *    GObject's notify is G_SIGNAL_NO_RECURSE, so changes made from such a
 *    handler show up as one later notification of the last state):
 *    IDLE→CONNECTING, IDLE→CLOSED (a shutdown from a started handler),
 *    CONNECTING→CONNECTED/CLOSED, CONNECTED→SHUTTING_DOWN/CONNECTING,
 *    SHUTTING_DOWN→CLOSED/CONNECTING, CLOSED→CONNECTING; never back to
 *    IDLE;
 *  - CLOSED comes only after a connect-error or disconnected emission has
 *    returned (never during it), or after shutdown() stopped an attempt
 *    (which may be from a handler nested in such an emission);
 *    and never while an established connection has had no disconnected;
 *  - leaving an established connection (CONNECTED/SHUTTING_DOWN →
 *    CONNECTING) happens only through its disconnected or a
 *    reconnect/reconnect_after/connect_to command that replaced it;
 *  - is_connected() is TRUE exactly in CONNECTED, and stream is NULL once
 *    CLOSED, at every event;
 *  - connected is emitted in CONNECTED, at most once per connection;
 *    connect-error in CONNECTING with no established connection;
 *  - disconnected exactly once per established connection, never for one
 *    replaced by reconnect/connect_to, during SHUTTING_DOWN with stream
 *    NULL (checked at the event and, for the count, at the end of the run);
 *  - flushed and server-error only for the live connection, never after
 *    its disconnected or its replacement;
 *  - server-input only in CONNECTED, for the live connection, never after
 *    shutdown() was called on it, never while input is paused;
 *  - put* succeeds only if called in CONNECTED (before shutdown_output),
 *    fails with TCPC_CLIENT_ERROR_NOT_CONNECTED otherwise, and with a
 *    filter error at most when connected;
 *  - no shutdown()-cancelled attempt produces connected or connect-error;
 *  - no signal or notification at all once the last reference was dropped
 *    (a flag set before the unref; the one exception is GObject's restart
 *    of a notify::state emission whose handler ran a command and then
 *    dropped the client: that notification was made while the client was
 *    still wanted, GLib only delivers it late), and the client is finalized (a weak
 *    pointer) right after the last unref, or, when that unref happened
 *    inside a handler, once the emission returned;
 *  - every flush_async completes by the end of the run.
 * At the end of each run the test server is freed and the context drained
 * (g_main_context_iteration (NULL, FALSE) until it returns FALSE, bounded),
 * then a 20 ms observation window (a timeout of our own) must dispatch
 * nothing else: no source of the client (retry timer, countdown, idle,
 * socket source) outlives it. LeakSanitizer and valgrind catch a source
 * that would still hold memory.
 *
 * A violation prints the seed and the run's trace (the commands with the
 * handler they ran from, and the events) and fails the test. To replay a
 * seed: TCPC_CHAOS_SEED=<seed> test-chaos (TCPC_CHAOS_TRACE=1 prints the
 * trace of passing runs too); TCPC_CHAOS_SEEDS=<n> and
 * TCPC_CHAOS_FIRST_SEED=<seed> run another range of seeds. Timing on the
 * network varies, so a seed fixes the random choices, not the
 * interleaving; the trace is what reproduces. TCPC_TEST_QUICK=1 (the
 * valgrind stage) runs fewer seeds.
 *
 * What the library documents it cannot do is kept out by excluded()
 * (named there, with the exact combination skipped);
 * TCPC_CHAOS_NO_EXCLUDE=1 lets it happen. Not counted as a violation: a connection that a
 * notify::state (CONNECTED) handler ends before connected is emitted gets
 * a disconnected without a connected (tcpc_client_establish() skips
 * connected on purpose then).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <gio/gio.h>
#include <tcpclient.h>

#include "tcpc-test-server.h"

#define N_SEEDS          60
#define N_SEEDS_QUICK    30
#define FIRST_SEED       20240601u
#define RUN_BUDGET_MS    250     /* commanding phase, wall clock */
#define END_WAIT_MS      8000    /* shutdown to CLOSED */
#define N_SCRIPTS        16      /* connection N runs script MIN (N, 15) */
#define ECHO_PUT_CAP     (48 * 1024)
#define TRACE_TAIL       400

typedef struct
{
  guint    id;
  gboolean connected;        /* connected was emitted */
  gboolean ended;            /* disconnected was emitted */
  gboolean replaced;         /* reconnect/connect_to replaced it */
  gboolean dropped;          /* the last unref happened while it lived */
  gboolean shutdown_called;
  gboolean output_shut;      /* shutdown_output called */
  gboolean paused;
  guint    n_disconnected;
} Conn;

typedef struct
{
  guint32          seed;
  GRand           *rand;
  TcpcTestServer  *server;
  GSocket         *refused_socket;
  guint16          good_port;
  guint16          refused_port;
  gboolean         has_echo;
  guint64          bytes_put;

  TcpcClient      *client;        /* our reference; NULL once dropped */
  TcpcClient      *weak;          /* weak pointer */
  gboolean         dropped;
  gboolean         acting;        /* commands allowed */
  guint            n_commands;
  guint            max_commands;
  guint            tick_id;
  guint            depth;         /* nesting of our handlers */

  /* model */
  TcpcClientState  mstate;
  GPtrArray       *conns;         /* Conn* */
  Conn            *cur;
  guint            in_ending;     /* inside disconnected/connect-error */
  gboolean         coalesced;     /* the state changed inside a notify::state handler */
  gboolean         late_notify_ok; /* such a handler then dropped the client */
  gboolean         close_ok;      /* a CLOSED now is legitimate */
  gboolean         stopped;       /* shutdown() since the last start-like command */
  guint            n_flush_pending;
  GPtrArray       *cancellables;

  GPtrArray       *trace;
  GPtrArray       *violations;
} Chaos;

/* ------------------------------------------------------------------------ */
/* trace and violations                                                      */
/* ------------------------------------------------------------------------ */

static const char *
state_nick (TcpcClientState state)
{
  return tcpc_test_state_name (state);
}

static void G_GNUC_PRINTF (2, 3)
trace (Chaos      *chaos,
       const char *format,
       ...)
{
  va_list args;
  char *line;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (chaos->trace,
                   g_strdup_printf ("%*s%s", (int) chaos->depth * 2, "", line));
  g_free (line);
}

static void G_GNUC_PRINTF (2, 3)
violation (Chaos      *chaos,
           const char *format,
           ...)
{
  va_list args;
  char *line;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  trace (chaos, "!! VIOLATION: %s", line);
  g_ptr_array_add (chaos->violations, line);
}

static gboolean
live (Chaos *chaos)
{
  Conn *c = chaos->cur;

  return c != NULL && !c->ended && !c->replaced && !c->dropped;
}

/* Checks shared by every event: is_connected matches the state, no stream
 * once CLOSED, and nothing after the last unref. */
static gboolean
event_begin (Chaos      *chaos,
             TcpcClient *client,
             const char *what)
{
  TcpcClientState state;

  if (chaos->dropped)
    {
      if (chaos->late_notify_ok && g_str_equal (what, "notify::state"))
        {
          /* GLib's restart of a notify::state emission whose handler
           * changed the state and then dropped the client: the library
           * notified while it was still wanted */
          chaos->late_notify_ok = FALSE;
          trace (chaos, "(restarted notify::state after the unref: GObject's, not counted)");
          return FALSE;
        }
      violation (chaos, "%s emitted after the last reference was dropped", what);
      return FALSE;
    }

  state = tcpc_client_get_state (client);
  if (tcpc_client_is_connected (client) != (state == TCPC_CLIENT_STATE_CONNECTED))
    violation (chaos, "%s: is_connected() is %d in state %s", what,
               tcpc_client_is_connected (client), state_nick (state));
  if (state == TCPC_CLIENT_STATE_CLOSED && tcpc_client_get_stream (client) != NULL)
    violation (chaos, "%s: stream set in state CLOSED", what);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* commands                                                                  */
/* ------------------------------------------------------------------------ */

static void
mark_replaced (Chaos *chaos)
{
  if (live (chaos))
    chaos->cur->replaced = TRUE;
  chaos->stopped = FALSE;
  chaos->close_ok = FALSE;
}

static void
mark_started (Chaos *chaos)
{
  chaos->stopped = FALSE;
  chaos->close_ok = FALSE;
}

static void
flush_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Chaos *chaos = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = tcpc_client_flush_finish (TCPC_CLIENT (object), result, &error);
  chaos->n_flush_pending--;
  trace (chaos, "flush_async done: %s", ok ? "ok" : error->message);
  if (!ok && !g_error_matches (error, TCPC_CLIENT_ERROR, TCPC_CLIENT_ERROR_NOT_CONNECTED) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    violation (chaos, "flush_async failed with an unexpected error: %s", error->message);
}

/* Whether a put may succeed now: CONNECTED, before shutdown_output. */
static gboolean
put_open (Chaos *chaos)
{
  return tcpc_client_get_state (chaos->client) == TCPC_CLIENT_STATE_CONNECTED &&
         !(chaos->cur != NULL && chaos->cur->output_shut && live (chaos));
}

/* @open: put_open() before the call. A put can notify writable, whose
 * handler may shut the client down before the put returns: the state
 * that counts is the one the put was called in. */
static void
check_put (Chaos        *chaos,
           const char   *what,
           gboolean      open,
           gboolean      ok,
           const GError *error)
{
  trace (chaos, "  -> %s", ok ? "TRUE" : error->message);
  if (ok && !open)
    violation (chaos, "%s succeeded while not connected", what);
  else if (!ok && !open &&
           !g_error_matches (error, TCPC_CLIENT_ERROR, TCPC_CLIENT_ERROR_NOT_CONNECTED))
    violation (chaos, "%s while not connected failed with %s, not NOT_CONNECTED", what,
               error->message);
  else if (!ok && open && error->domain != TCPC_FILTER_ERROR)
    violation (chaos, "%s in state CONNECTED failed: %s", what, error->message);
}

static TcpcFilter *
random_filter (Chaos    *chaos,
               gboolean  invalid)
{
  if (invalid)
    {
      switch (g_rand_int_range (chaos->rand, 0, 3))
        {
        case 0:
          return g_object_new (TCPC_TYPE_LINE_FILTER, "max-length", 0, NULL);
        case 1:
          return g_object_new (TCPC_TYPE_LINE_FILTER, "input-regex", "(", NULL);
        default:
          return g_object_new (TCPC_TYPE_LINE_FILTER, "literal", "\n",
                               "input-literal", "\r\n", NULL);
        }
    }

  switch (g_rand_int_range (chaos->rand, 0, 4))
    {
    case 0:
      return TCPC_FILTER (tcpc_line_filter_new ());
    case 1:
      return TCPC_FILTER (tcpc_stream_filter_new ());
    case 2:
      return TCPC_FILTER (tcpc_netstring_filter_new ());
    default:
      return NULL;   /* a new default line filter */
    }
}

typedef enum
{
  CMD_PUT_SMALL,
  CMD_PUT_LARGE,
  CMD_PUT_BYTES,
  CMD_SHUTDOWN,
  CMD_SHUTDOWN_OUTPUT,
  CMD_START,
  CMD_RECONNECT,
  CMD_RECONNECT_AFTER,
  CMD_RETRY_NOW,
  CMD_CONNECT_TO_GOOD,
  CMD_CONNECT_TO_REFUSED,
  CMD_CONNECT_TO_KEEP,
  CMD_SET_FILTER,
  CMD_SET_FILTER_INVALID,
  CMD_PAUSE,
  CMD_RESUME,
  CMD_FLUSH,
  CMD_CANCEL_FLUSH,
  CMD_PROPERTY,
  CMD_UNREF,
  N_CMDS
} Cmd;

/* relative weights */
static const guint cmd_weights[N_CMDS] = {
  [CMD_PUT_SMALL] = 14,
  [CMD_PUT_LARGE] = 3,
  [CMD_PUT_BYTES] = 4,
  [CMD_SHUTDOWN] = 5,
  [CMD_SHUTDOWN_OUTPUT] = 2,
  [CMD_START] = 3,
  [CMD_RECONNECT] = 4,
  [CMD_RECONNECT_AFTER] = 3,
  [CMD_RETRY_NOW] = 1,
  [CMD_CONNECT_TO_GOOD] = 3,
  [CMD_CONNECT_TO_REFUSED] = 2,
  [CMD_CONNECT_TO_KEEP] = 1,
  [CMD_SET_FILTER] = 3,
  [CMD_SET_FILTER_INVALID] = 1,
  [CMD_PAUSE] = 3,
  [CMD_RESUME] = 3,
  [CMD_FLUSH] = 3,
  [CMD_CANCEL_FLUSH] = 2,
  [CMD_PROPERTY] = 4,
  [CMD_UNREF] = 1,
};

static Cmd
pick_command (Chaos *chaos)
{
  guint total = 0, i, r;

  for (i = 0; i < N_CMDS; i++)
    total += cmd_weights[i];
  r = g_rand_int_range (chaos->rand, 0, total);
  for (i = 0; i < N_CMDS; i++)
    {
      if (r < cmd_weights[i])
        return i;
      r -= cmd_weights[i];
    }
  g_assert_not_reached ();
}

static void
do_property (Chaos *chaos)
{
  TcpcClient *client = chaos->client;

  switch (g_rand_int_range (chaos->rand, 0, 8))
    {
    case 0:
      {
        double t = g_rand_boolean (chaos->rand) ? 0 : 0.05 * g_rand_int_range (chaos->rand, 1, 20);
        trace (chaos, "cmd set connect-timeout %g", t);
        tcpc_client_set_connect_timeout (client, t);
      }
      break;
    case 1:
      {
        gboolean v = g_rand_boolean (chaos->rand);
        trace (chaos, "cmd set shutdown-on-error %d", v);
        tcpc_client_set_shutdown_on_error (client, v);
      }
      break;
    case 2:
      trace (chaos, "cmd set name");
      tcpc_client_set_name (client, g_rand_boolean (chaos->rand) ? "chaos" : NULL);
      break;
    case 3:
      {
        guint high = g_rand_boolean (chaos->rand) ? 1024 : 1024 * 1024;
        trace (chaos, "cmd set output water marks %u/%u", high, high / 4);
        g_object_set (client, "output-high-water-mark", high,
                      "output-low-water-mark", high / 4, NULL);
      }
      break;
    case 4:
      {
        double t = 0.05 * g_rand_int_range (chaos->rand, 1, 8);
        trace (chaos, "cmd set shutdown-timeout %g", t);
        g_object_set (client, "shutdown-timeout", t, NULL);
      }
      break;
    case 5:
      {
        double t = g_rand_boolean (chaos->rand) ? 0 : 0.02 * g_rand_int_range (chaos->rand, 1, 10);
        trace (chaos, "cmd set idle-timeout %g", t);
        g_object_set (client, "idle-timeout", t, NULL);
      }
      break;
    case 6:
      {
        guint16 port = g_rand_boolean (chaos->rand) ? chaos->good_port : chaos->refused_port;
        trace (chaos, "cmd set remote-port %s", port == chaos->good_port ? "good" : "refused");
        tcpc_client_set_remote_port (client, port);
      }
      break;
    default:
      {
        gboolean v = g_rand_boolean (chaos->rand);
        trace (chaos, "cmd set no-delay %d", v);
        g_object_set (client, "no-delay", v, NULL);
      }
      break;
    }
}

/* What the library documents it cannot do, kept out of the runs so that
 * the test guards everything else; TCPC_CHAOS_NO_EXCLUDE=1 lets it happen.
 *
 * NESTED-UNREF: the last unref from a handler nested in another emission
 * is not seen as the last one (the "References" section of TcpcClient's
 * documentation). tcpc_client_is_wanted() compares the reference count
 * with the client's own holds, and a g_signal_emit() in progress holds one
 * more reference on the instance, so e.g. shutdown() from server-input,
 * then the unref from notify::state (SHUTTING_DOWN), still gives
 * disconnected and notify::state (CLOSED).
 *
 * Two defects this test found are fixed, and their combinations run: a
 * reconnect, reconnect_after or connect_to from a notify::state handler
 * that sees SHUTTING_DOWN (it was undone), and the last unref from a
 * connect-progress handler (the attempt's next events were still
 * emitted). */
static gboolean
excluded (Chaos      *chaos,
          const char *where,
          Cmd         cmd)
{
  if (g_getenv ("TCPC_CHAOS_NO_EXCLUDE") != NULL)
    return FALSE;

  if (cmd == CMD_UNREF && chaos->depth >= 2)
    {
      trace (chaos, "(excluded: NESTED-UNREF, last unref from a nested emission)");
      return TRUE;
    }

  return FALSE;
}

/* One random command. @where names the handler (or "tick"). */
static void
do_command (Chaos      *chaos,
            const char *where)
{
  TcpcClient *client = chaos->client;
  GError *error = NULL;
  gboolean ok, open;
  Cmd cmd;

  if (client == NULL || chaos->dropped || !chaos->acting ||
      chaos->n_commands >= chaos->max_commands)
    return;

  cmd = pick_command (chaos);
  chaos->n_commands++;
  trace (chaos, "[%s] state=%s", where, state_nick (tcpc_client_get_state (client)));

  if (excluded (chaos, where, cmd))
    return;

  switch (cmd)
    {
    case CMD_PUT_SMALL:
      {
        char record[32];

        g_snprintf (record, sizeof record, "msg-%u", chaos->n_commands);
        trace (chaos, "cmd put_string %s", record);
        open = put_open (chaos);
        ok = tcpc_client_put_string (client, record, &error);
        if (ok)
          chaos->bytes_put += strlen (record) + 2;
        check_put (chaos, "put_string", open, ok, error);
      }
      break;

    case CMD_PUT_LARGE:
      {
        gsize len = chaos->has_echo ? 8 * 1024 : 64 * 1024 * g_rand_int_range (chaos->rand, 1, 9);
        guint8 *data;

        if (chaos->has_echo && chaos->bytes_put + len > ECHO_PUT_CAP)
          len = 16;
        data = g_malloc (len);
        memset (data, 'x', len);
        trace (chaos, "cmd put_data %" G_GSIZE_FORMAT " bytes", len);
        open = put_open (chaos);
        ok = tcpc_client_put_data (client, data, len, &error);
        if (ok)
          chaos->bytes_put += len;
        check_put (chaos, "put_data", open, ok, error);
        g_free (data);
      }
      break;

    case CMD_PUT_BYTES:
      {
        g_autoptr(GBytes) bytes = g_bytes_new_static ("bytes-record", 12);

        trace (chaos, "cmd put (GBytes)");
        open = put_open (chaos);
        ok = tcpc_client_put (client, bytes, &error);
        if (ok)
          chaos->bytes_put += 14;
        check_put (chaos, "put", open, ok, error);
      }
      break;

    case CMD_SHUTDOWN:
      {
        TcpcClientState state = tcpc_client_get_state (client);

        trace (chaos, "cmd shutdown");
        if (live (chaos))
          chaos->cur->shutdown_called = TRUE;
        if (state != TCPC_CLIENT_STATE_CONNECTED &&
            state != TCPC_CLIENT_STATE_SHUTTING_DOWN)
          {
            chaos->stopped = TRUE;
            chaos->close_ok = TRUE;
          }
        tcpc_client_shutdown (client);
      }
      break;

    case CMD_SHUTDOWN_OUTPUT:
      trace (chaos, "cmd shutdown_output");
      if (live (chaos) && tcpc_client_get_state (client) == TCPC_CLIENT_STATE_CONNECTED)
        chaos->cur->output_shut = TRUE;
      tcpc_client_shutdown_output (client);
      break;

    case CMD_START:
      {
        TcpcClientState state = tcpc_client_get_state (client);

        trace (chaos, "cmd start");
        if (state == TCPC_CLIENT_STATE_IDLE || state == TCPC_CLIENT_STATE_CLOSED)
          mark_started (chaos);
        tcpc_client_start (client);
      }
      break;

    case CMD_RECONNECT:
      trace (chaos, "cmd reconnect");
      mark_replaced (chaos);
      tcpc_client_reconnect (client);
      break;

    case CMD_RECONNECT_AFTER:
      {
        double delay = g_rand_boolean (chaos->rand) ? 0 : 0.01 * g_rand_int_range (chaos->rand, 1, 6);

        trace (chaos, "cmd reconnect_after %g", delay);
        mark_replaced (chaos);
        tcpc_client_reconnect_after (client, delay);
      }
      break;

    case CMD_RETRY_NOW:
      trace (chaos, "cmd retry_now");
      tcpc_client_retry_now (client);
      break;

    case CMD_CONNECT_TO_GOOD:
      trace (chaos, "cmd connect_to good");
      mark_replaced (chaos);
      tcpc_client_connect_to (client, "127.0.0.1", chaos->good_port);
      break;

    case CMD_CONNECT_TO_REFUSED:
      trace (chaos, "cmd connect_to refused");
      mark_replaced (chaos);
      tcpc_client_connect_to (client, "127.0.0.1", chaos->refused_port);
      break;

    case CMD_CONNECT_TO_KEEP:
      trace (chaos, "cmd connect_to (NULL, 0)");
      mark_replaced (chaos);
      tcpc_client_connect_to (client, NULL, 0);
      break;

    case CMD_SET_FILTER:
    case CMD_SET_FILTER_INVALID:
      {
        g_autoptr(TcpcFilter) filter = random_filter (chaos, cmd == CMD_SET_FILTER_INVALID);

        trace (chaos, "cmd set_filter %s%s", filter ? G_OBJECT_TYPE_NAME (filter) : "NULL",
               cmd == CMD_SET_FILTER_INVALID ? " (invalid)" : "");
        tcpc_client_set_filter (client, filter);
      }
      break;

    case CMD_PAUSE:
      trace (chaos, "cmd pause_input");
      if (live (chaos) && tcpc_client_get_state (client) == TCPC_CLIENT_STATE_CONNECTED)
        chaos->cur->paused = TRUE;
      tcpc_client_pause_input (client);
      break;

    case CMD_RESUME:
      trace (chaos, "cmd resume_input");
      if (chaos->cur != NULL)
        chaos->cur->paused = FALSE;
      tcpc_client_resume_input (client);
      break;

    case CMD_FLUSH:
      {
        GCancellable *cancellable = NULL;

        if (g_rand_boolean (chaos->rand))
          {
            cancellable = g_cancellable_new ();
            g_ptr_array_add (chaos->cancellables, cancellable);
          }
        trace (chaos, "cmd flush_async%s", cancellable ? " (cancellable)" : "");
        chaos->n_flush_pending++;
        tcpc_client_flush_async (client, cancellable, flush_done_cb, chaos);
      }
      break;

    case CMD_CANCEL_FLUSH:
      if (chaos->cancellables->len > 0)
        {
          guint i = g_rand_int_range (chaos->rand, 0, chaos->cancellables->len);

          trace (chaos, "cmd cancel flush #%u", i);
          g_cancellable_cancel (g_ptr_array_index (chaos->cancellables, i));
        }
      break;

    case CMD_PROPERTY:
      do_property (chaos);
      break;

    case CMD_UNREF:
      /* A pending flush_async holds a reference (documented): the unref
       * would not be the last one. */
      if (chaos->n_flush_pending == 0)
        {
          trace (chaos, "cmd unref (last reference)");
          if (live (chaos))
            chaos->cur->dropped = TRUE;
          chaos->dropped = TRUE;
          chaos->acting = FALSE;
          chaos->client = NULL;
          g_object_unref (client);
        }
      break;

    case N_CMDS:
    default:
      g_assert_not_reached ();
    }

  g_clear_error (&error);
}

/* With some probability, one or two commands from a handler. */
static void
maybe_act (Chaos      *chaos,
           const char *where,
           double      probability)
{
  if (!chaos->acting || chaos->dropped)
    return;
  if (g_rand_double (chaos->rand) < probability)
    do_command (chaos, where);
  if (g_rand_double (chaos->rand) < probability / 4)
    do_command (chaos, where);
}

/* ------------------------------------------------------------------------ */
/* handlers: the model                                                       */
/* ------------------------------------------------------------------------ */

static gboolean
transition_legal (TcpcClientState from,
                  TcpcClientState to)
{
  switch (from)
    {
    case TCPC_CLIENT_STATE_IDLE:
      return to == TCPC_CLIENT_STATE_CONNECTING || to == TCPC_CLIENT_STATE_CLOSED;
    case TCPC_CLIENT_STATE_CONNECTING:
      return to == TCPC_CLIENT_STATE_CONNECTED || to == TCPC_CLIENT_STATE_CLOSED;
    case TCPC_CLIENT_STATE_CONNECTED:
      return to == TCPC_CLIENT_STATE_SHUTTING_DOWN || to == TCPC_CLIENT_STATE_CONNECTING;
    case TCPC_CLIENT_STATE_SHUTTING_DOWN:
      return to == TCPC_CLIENT_STATE_CLOSED || to == TCPC_CLIENT_STATE_CONNECTING;
    case TCPC_CLIENT_STATE_CLOSED:
      return to == TCPC_CLIENT_STATE_CONNECTING;
    default:
      return FALSE;
    }
}

static void
notify_state_cb (GObject    *object,
                 GParamSpec *pspec,
                 Chaos      *chaos)
{
  TcpcClient *client = TCPC_CLIENT (object);
  TcpcClientState from = chaos->mstate, to;
  guint n_commands;

  if (!event_begin (chaos, client, "notify::state"))
    return;
  to = tcpc_client_get_state (client);
  trace (chaos, "ev state %s -> %s", state_nick (from), state_nick (to));
  chaos->mstate = to;

  /* GObject's notify signal is G_SIGNAL_NO_RECURSE: a change made from a
   * notify::state handler is not emitted nested, the emission restarts
   * once the handler returns and shows only the last state. Such a
   * coalesced step cannot be checked as one transition. */
  if (chaos->coalesced)
    {
      chaos->coalesced = FALSE;
      trace (chaos, "   (coalesced notification: transition not checked)");
    }
  else if (from == to)
    violation (chaos, "state notified without a change (%s)", state_nick (to));
  else if (!transition_legal (from, to))
    violation (chaos, "illegal transition %s -> %s", state_nick (from), state_nick (to));

  if (to == TCPC_CLIENT_STATE_CLOSED)
    {
      /* (a shutdown() from a nested handler may close it at once) */
      if (chaos->in_ending > 0 && !chaos->stopped)
        violation (chaos, "CLOSED during a connect-error/disconnected emission");
      else if (!chaos->close_ok)
        violation (chaos, "CLOSED with no connect-error/disconnected before it and no shutdown");
      if (live (chaos))
        violation (chaos, "CLOSED while connection %u had no disconnected", chaos->cur->id);
    }
  if (to == TCPC_CLIENT_STATE_CONNECTING &&
      (from == TCPC_CLIENT_STATE_CONNECTED || from == TCPC_CLIENT_STATE_SHUTTING_DOWN) &&
      live (chaos))
    violation (chaos, "connection %u left (%s -> CONNECTING) without disconnected or a replacing command",
               chaos->cur->id, state_nick (from));
  if (to == TCPC_CLIENT_STATE_CONNECTED)
    {
      Conn *c = g_new0 (Conn, 1);

      if (live (chaos))
        violation (chaos, "new connection while connection %u still lives", chaos->cur->id);
      if (chaos->stopped)
        violation (chaos, "CONNECTED after shutdown() called the attempt off");
      c->id = chaos->conns->len + 1;
      g_ptr_array_add (chaos->conns, c);
      chaos->cur = c;
      trace (chaos, "   (connection %u)", c->id);
    }
  chaos->close_ok = FALSE;

  n_commands = chaos->n_commands;
  chaos->depth++;
  maybe_act (chaos, "notify::state", 0.25);
  chaos->depth--;
  /* a command from here may have changed the state (even back to @to):
   * the restarted emission that follows is a coalesced one */
  if (!chaos->dropped && chaos->n_commands != n_commands)
    chaos->coalesced = TRUE;
  else if (chaos->dropped && chaos->n_commands > n_commands + 1)
    chaos->late_notify_ok = TRUE;
}

static void
notify_writable_cb (GObject    *object,
                    GParamSpec *pspec,
                    Chaos      *chaos)
{
  TcpcClient *client = TCPC_CLIENT (object);

  if (!event_begin (chaos, client, "notify::writable"))
    return;
  trace (chaos, "ev writable=%d", tcpc_client_get_writable (client));
  chaos->depth++;
  maybe_act (chaos, "notify::writable", 0.3);
  chaos->depth--;
}

static void
started_cb (TcpcClient *client,
            Chaos      *chaos)
{
  if (!event_begin (chaos, client, "started"))
    return;
  trace (chaos, "ev started");
  chaos->depth++;
  maybe_act (chaos, "started", 0.2);
  chaos->depth--;
}

static GIOStream *
pre_connect_cb (TcpcClient *client,
                GIOStream  *stream,
                Chaos      *chaos)
{
  if (!event_begin (chaos, client, "pre-connect"))
    return g_object_ref (stream);
  trace (chaos, "ev pre-connect");
  chaos->depth++;
  maybe_act (chaos, "pre-connect", 0.2);
  chaos->depth--;
  if (chaos->acting && g_rand_int_range (chaos->rand, 0, 40) == 0)
    {
      trace (chaos, "   (pre-connect refuses the stream)");
      return NULL;
    }
  return g_object_ref (stream);
}

static void
connect_progress_cb (TcpcClient         *client,
                     GSocketClientEvent  event,
                     GSocketConnectable *connectable,
                     GIOStream          *connection,
                     Chaos              *chaos)
{
  if (!event_begin (chaos, client, "connect-progress"))
    return;
  trace (chaos, "ev connect-progress %d", event);
  chaos->depth++;
  maybe_act (chaos, "connect-progress", 0.05);
  chaos->depth--;
}

static void
connected_cb (TcpcClient     *client,
              GIOStream      *stream,
              GSocketAddress *remote,
              Chaos          *chaos)
{
  if (!event_begin (chaos, client, "connected"))
    return;
  trace (chaos, "ev connected");
  if (tcpc_client_get_state (client) != TCPC_CLIENT_STATE_CONNECTED)
    violation (chaos, "connected in state %s", state_nick (tcpc_client_get_state (client)));
  if (chaos->stopped)
    violation (chaos, "connected after shutdown() called the attempt off");
  if (!live (chaos))
    violation (chaos, "connected with no live connection (after its disconnected or replacement)");
  else if (chaos->cur->connected)
    violation (chaos, "connected twice for connection %u", chaos->cur->id);
  else
    chaos->cur->connected = TRUE;

  chaos->depth++;
  maybe_act (chaos, "connected", 0.4);
  chaos->depth--;
}

static void
connect_error_cb (TcpcClient   *client,
                  const char   *operation,
                  const GError *error,
                  Chaos        *chaos)
{
  if (!event_begin (chaos, client, "connect-error"))
    return;
  trace (chaos, "ev connect-error %s: %s", operation, error->message);
  if (tcpc_client_get_state (client) != TCPC_CLIENT_STATE_CONNECTING)
    violation (chaos, "connect-error in state %s", state_nick (tcpc_client_get_state (client)));
  if (chaos->stopped)
    violation (chaos, "connect-error after shutdown() called the attempt off");
  if (live (chaos))
    violation (chaos, "connect-error while connection %u lives", chaos->cur->id);
  chaos->in_ending++;
  chaos->depth++;
  maybe_act (chaos, "connect-error", 0.4);
  chaos->depth--;
}

static void
ending_after_cb (TcpcClient *client,
                 Chaos      *chaos)
{
  if (chaos->dropped)
    return;
  chaos->in_ending--;
  /* nothing asked for a new attempt during the emission: CLOSED is next */
  chaos->close_ok = TRUE;
}

static void
connect_error_after_cb (TcpcClient   *client,
                        const char   *operation,
                        const GError *error,
                        Chaos        *chaos)
{
  ending_after_cb (client, chaos);
}

static void
server_input_cb (TcpcClient *client,
                 GBytes     *record,
                 Chaos      *chaos)
{
  if (!event_begin (chaos, client, "server-input"))
    return;
  trace (chaos, "ev server-input (%" G_GSIZE_FORMAT " bytes)", g_bytes_get_size (record));
  if (tcpc_client_get_state (client) != TCPC_CLIENT_STATE_CONNECTED)
    violation (chaos, "server-input in state %s", state_nick (tcpc_client_get_state (client)));
  if (!live (chaos))
    violation (chaos, "server-input with no live connection");
  else if (chaos->cur->shutdown_called)
    violation (chaos, "server-input after shutdown() on connection %u", chaos->cur->id);
  else if (chaos->cur->paused)
    violation (chaos, "server-input while input is paused on connection %u", chaos->cur->id);

  chaos->depth++;
  maybe_act (chaos, "server-input", 0.15);
  chaos->depth--;
}

static void
server_error_cb (TcpcClient   *client,
                 const char   *operation,
                 const GError *error,
                 Chaos        *chaos)
{
  TcpcClientState state;

  if (!event_begin (chaos, client, "server-error"))
    return;
  state = tcpc_client_get_state (client);
  trace (chaos, "ev server-error %s: %s", operation, error->message);
  if (state != TCPC_CLIENT_STATE_CONNECTED && state != TCPC_CLIENT_STATE_SHUTTING_DOWN)
    violation (chaos, "server-error in state %s", state_nick (state));
  if (!live (chaos))
    violation (chaos, "server-error with no live connection");
  chaos->depth++;
  maybe_act (chaos, "server-error", 0.4);
  chaos->depth--;
}

static void
flushed_cb (TcpcClient *client,
            Chaos      *chaos)
{
  TcpcClientState state;

  if (!event_begin (chaos, client, "flushed"))
    return;
  state = tcpc_client_get_state (client);
  trace (chaos, "ev flushed");
  if (state != TCPC_CLIENT_STATE_CONNECTED && state != TCPC_CLIENT_STATE_SHUTTING_DOWN)
    violation (chaos, "flushed in state %s", state_nick (state));
  if (!live (chaos))
    violation (chaos, "flushed with no live connection (after its disconnected or replacement)");
  chaos->depth++;
  maybe_act (chaos, "flushed", 0.3);
  chaos->depth--;
}

static void
disconnected_cb (TcpcClient *client,
                 Chaos      *chaos)
{
  TcpcClientState state;

  if (!event_begin (chaos, client, "disconnected"))
    return;
  state = tcpc_client_get_state (client);
  trace (chaos, "ev disconnected");
  if (state != TCPC_CLIENT_STATE_SHUTTING_DOWN)
    violation (chaos, "disconnected in state %s", state_nick (state));
  if (tcpc_client_get_stream (client) != NULL)
    violation (chaos, "disconnected with the stream still set");
  if (chaos->cur == NULL)
    violation (chaos, "disconnected with no connection ever established");
  else if (chaos->cur->ended)
    violation (chaos, "second disconnected for connection %u", chaos->cur->id);
  else if (chaos->cur->replaced)
    violation (chaos, "disconnected for connection %u, which reconnect/connect_to replaced",
               chaos->cur->id);
  if (chaos->cur != NULL)
    {
      chaos->cur->ended = TRUE;
      chaos->cur->n_disconnected++;
    }
  chaos->in_ending++;
  chaos->depth++;
  maybe_act (chaos, "disconnected", 0.4);
  chaos->depth--;
}

static gboolean
tick_cb (gpointer user_data)
{
  Chaos *chaos = user_data;

  maybe_act (chaos, "tick", 0.3);
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------------ */
/* one run                                                                   */
/* ------------------------------------------------------------------------ */

static void
add_random_script (Chaos *chaos)
{
  TcpcTestScript *script = tcpc_test_server_add_script (chaos->server);
  guint n, i;

  switch (g_rand_int_range (chaos->rand, 0, 8))
    {
    case 0: /* echo */
      chaos->has_echo = TRUE;
      tcpc_test_script_echo (script);
      break;
    case 1: /* write lines, then close */
      n = g_rand_int_range (chaos->rand, 0, 20);
      for (i = 0; i < n; i++)
        tcpc_test_script_write_string (script, "line\r\n");
      tcpc_test_script_close (script);
      break;
    case 2: /* reset, maybe after some data */
      if (g_rand_boolean (chaos->rand))
        tcpc_test_script_write_string (script, "before-reset\r\n5:hello,");
      tcpc_test_script_wait (script, g_rand_int_range (chaos->rand, 0, 30));
      tcpc_test_script_reset (script);
      break;
    case 3: /* half-close: write, FIN, read on */
      tcpc_test_script_write_string (script, "half\r\n3:abc,");
      tcpc_test_script_shutdown_write (script);
      tcpc_test_script_read_to_eof (script);
      break;
    case 4: /* silent: reads nothing, closes much later */
      tcpc_test_script_wait (script, 10000);
      tcpc_test_script_close (script);
      break;
    case 5: /* slow reader */
      for (i = 0; i < 5; i++)
        {
          tcpc_test_script_wait (script, 10);
          tcpc_test_script_read_bytes (script, (i + 1) * 4096);
        }
      tcpc_test_script_read_to_eof (script);
      break;
    case 6: /* a big write, then read */
      tcpc_test_script_write_repeat (script, 'y', 100 * 1024);
      tcpc_test_script_write_string (script, "\r\n");
      tcpc_test_script_read_to_eof (script);
      break;
    default: /* lines interleaved with waits, then reads to EOF */
      for (i = 0; i < 4; i++)
        {
          tcpc_test_script_write_string (script, "tick\r\n");
          tcpc_test_script_wait (script, 5);
        }
      tcpc_test_script_read_to_eof (script);
      break;
    }
}

static void
print_trace (Chaos *chaos)
{
  guint i = chaos->trace->len > TRACE_TAIL ? chaos->trace->len - TRACE_TAIL : 0;

  if (i > 0)
    g_test_message ("seed %u: ... (%u earlier trace lines)", chaos->seed, i);
  for (; i < chaos->trace->len; i++)
    g_test_message ("seed %u: %s", chaos->seed, (char *) g_ptr_array_index (chaos->trace, i));
}

static gboolean
window_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

static void
run_seed (gconstpointer data)
{
  guint32 seed = GPOINTER_TO_UINT (data);
  Chaos chaos_data = { 0 }, *chaos = &chaos_data;
  TcpcTestDeadline *deadline;
  TcpcClient *client;
  guint i, n;
  gboolean expired = FALSE;

  g_test_message ("chaos seed %u", seed);
  chaos->seed = seed;
  chaos->rand = g_rand_new_with_seed (seed);
  chaos->conns = g_ptr_array_new_with_free_func (g_free);
  chaos->cancellables = g_ptr_array_new_with_free_func (g_object_unref);
  chaos->trace = g_ptr_array_new_with_free_func (g_free);
  chaos->violations = g_ptr_array_new_with_free_func (g_free);
  chaos->mstate = TCPC_CLIENT_STATE_IDLE;
  chaos->max_commands = g_rand_int_range (chaos->rand, 5, 40);

  chaos->server = tcpc_test_server_new ();
  chaos->good_port = chaos->server->port;
  for (i = 0; i < N_SCRIPTS; i++)
    add_random_script (chaos);
  chaos->refused_socket = tcpc_test_reserve_refused_port (&chaos->refused_port);

  client = tcpc_client_new ("127.0.0.1",
                            g_rand_int_range (chaos->rand, 0, 5) == 0
                              ? chaos->refused_port : chaos->good_port);
  chaos->client = client;
  chaos->weak = client;
  g_object_add_weak_pointer (G_OBJECT (client), (gpointer *) &chaos->weak);
  /* a peer that reads nothing cannot hold the final shutdown for long */
  g_object_set (client, "shutdown-timeout", 0.3, NULL);

  g_signal_connect (client, "notify::state", G_CALLBACK (notify_state_cb), chaos);
  g_signal_connect (client, "notify::writable", G_CALLBACK (notify_writable_cb), chaos);
  g_signal_connect (client, "started", G_CALLBACK (started_cb), chaos);
  g_signal_connect (client, "pre-connect", G_CALLBACK (pre_connect_cb), chaos);
  g_signal_connect (client, "connect-progress", G_CALLBACK (connect_progress_cb), chaos);
  g_signal_connect (client, "connected", G_CALLBACK (connected_cb), chaos);
  g_signal_connect (client, "connect-error", G_CALLBACK (connect_error_cb), chaos);
  g_signal_connect_after (client, "connect-error", G_CALLBACK (connect_error_after_cb), chaos);
  g_signal_connect (client, "server-input", G_CALLBACK (server_input_cb), chaos);
  g_signal_connect (client, "server-error", G_CALLBACK (server_error_cb), chaos);
  g_signal_connect (client, "flushed", G_CALLBACK (flushed_cb), chaos);
  g_signal_connect (client, "disconnected", G_CALLBACK (disconnected_cb), chaos);
  g_signal_connect_after (client, "disconnected", G_CALLBACK (ending_after_cb), chaos);

  /* commanding phase */
  chaos->acting = TRUE;
  chaos->tick_id = g_timeout_add (2, tick_cb, chaos);
  trace (chaos, "cmd start (initial)");
  mark_started (chaos);
  tcpc_client_start (client);

  deadline = tcpc_test_deadline_new (RUN_BUDGET_MS);
  while (!chaos->dropped && chaos->n_commands < chaos->max_commands &&
         !tcpc_test_deadline_expired (deadline))
    tcpc_test_deadline_iterate (deadline);
  tcpc_test_deadline_free (deadline);
  chaos->acting = FALSE;
  g_source_remove (chaos->tick_id);
  trace (chaos, "-- end of commands (%u)", chaos->n_commands);

  /* ending phase */
  if (!chaos->dropped)
    {
      TcpcClientState state = tcpc_client_get_state (client);

      trace (chaos, "cmd shutdown (final)");
      if (live (chaos))
        chaos->cur->shutdown_called = TRUE;
      if (state != TCPC_CLIENT_STATE_CONNECTED && state != TCPC_CLIENT_STATE_SHUTTING_DOWN)
        {
          chaos->stopped = TRUE;
          chaos->close_ok = TRUE;
        }
      tcpc_client_shutdown (client);

      deadline = tcpc_test_deadline_new (END_WAIT_MS);
      while (!(tcpc_client_get_state (client) == TCPC_CLIENT_STATE_CLOSED ||
               tcpc_client_get_state (client) == TCPC_CLIENT_STATE_IDLE) ||
             chaos->n_flush_pending > 0)
        {
          if (tcpc_test_deadline_expired (deadline))
            {
              violation (chaos, "not CLOSED (%s) or %u flush_async pending %d ms after shutdown()",
                         state_nick (tcpc_client_get_state (client)), chaos->n_flush_pending,
                         END_WAIT_MS);
              break;
            }
          tcpc_test_deadline_iterate (deadline);
        }
      tcpc_test_deadline_free (deadline);

      if (tcpc_client_is_connected (client) || tcpc_client_get_stream (client) != NULL)
        violation (chaos, "closed client still connected or with a stream");

      for (i = 0; i < chaos->conns->len; i++)
        {
          Conn *c = g_ptr_array_index (chaos->conns, i);

          if (!c->replaced && c->n_disconnected != 1)
            violation (chaos, "connection %u ended with %u disconnected, not 1",
                       c->id, c->n_disconnected);
        }

      trace (chaos, "cmd unref (final)");
      chaos->dropped = TRUE;
      chaos->client = NULL;
      if (chaos->n_flush_pending == 0)
        {
          g_object_unref (client);
          if (chaos->weak != NULL)
            violation (chaos, "client not finalized by its last unref");
        }
      else
        g_object_unref (client);
    }
  else
    {
      /* dropped by a command: the check on every handler covers "no
       * signal after"; the connections that had ended did so once */
      for (i = 0; i < chaos->conns->len; i++)
        {
          Conn *c = g_ptr_array_index (chaos->conns, i);

          if (!c->replaced && !c->dropped && c->n_disconnected != 1)
            violation (chaos, "connection %u ended with %u disconnected, not 1",
                       c->id, c->n_disconnected);
        }
    }

  /* finalized once the emission that dropped it returned */
  deadline = tcpc_test_deadline_new (2000);
  while (chaos->weak != NULL && !tcpc_test_deadline_expired (deadline))
    tcpc_test_deadline_iterate (deadline);
  tcpc_test_deadline_free (deadline);
  if (chaos->weak != NULL)
    {
      violation (chaos, "client not finalized after its last reference was dropped");
      g_object_remove_weak_pointer (G_OBJECT (chaos->weak), (gpointer *) &chaos->weak);
    }

  for (i = 0; i < chaos->cancellables->len; i++)
    g_cancellable_cancel (g_ptr_array_index (chaos->cancellables, i));
  tcpc_test_server_free (chaos->server);
  g_object_unref (chaos->refused_socket);

  /* No source of the client remains: drain what is ready (bounded), then
   * a short observation window must dispatch nothing but itself. */
  for (n = 0; n < 10000 && g_main_context_iteration (NULL, FALSE); n++)
    ;
  if (n == 10000)
    violation (chaos, "the main context never became idle after the run");
  else
    {
      guint window = g_timeout_add (20, window_cb, &expired);
      guint dispatched = 0;

      while (!expired)
        {
          g_main_context_iteration (NULL, TRUE);
          dispatched++;
        }
      if (dispatched != 1)
        violation (chaos, "%u dispatches besides the observation window after the run",
                   dispatched - 1);
      (void) window;
    }

  if (chaos->violations->len > 0 || g_getenv ("TCPC_CHAOS_TRACE") != NULL)
    print_trace (chaos);
  for (i = 0; i < chaos->violations->len; i++)
    g_test_message ("seed %u: violation: %s", seed,
                    (char *) g_ptr_array_index (chaos->violations, i));
  if (chaos->violations->len > 0)
    g_test_fail_printf ("seed %u: %u contract violation(s), first: %s", seed,
                        chaos->violations->len,
                        (char *) g_ptr_array_index (chaos->violations, 0));

  g_ptr_array_unref (chaos->violations);
  g_ptr_array_unref (chaos->trace);
  g_ptr_array_unref (chaos->cancellables);
  g_ptr_array_unref (chaos->conns);
  g_rand_free (chaos->rand);
}

int
main (int   argc,
      char *argv[])
{
  const char *only = g_getenv ("TCPC_CHAOS_SEED");
  const char *count = g_getenv ("TCPC_CHAOS_SEEDS");
  const char *first = g_getenv ("TCPC_CHAOS_FIRST_SEED");
  guint n_seeds = g_getenv ("TCPC_TEST_QUICK") != NULL ? N_SEEDS_QUICK : N_SEEDS;
  guint32 first_seed = FIRST_SEED;
  guint i;

  /* exploring: TCPC_CHAOS_SEEDS=<n> [TCPC_CHAOS_FIRST_SEED=<seed>] */
  if (count != NULL)
    n_seeds = (guint) g_ascii_strtoull (count, NULL, 10);
  if (first != NULL)
    first_seed = (guint32) g_ascii_strtoull (first, NULL, 10);

  g_test_init (&argc, &argv, NULL);

  if (only != NULL)
    {
      guint32 seed = (guint32) g_ascii_strtoull (only, NULL, 10);
      g_autofree char *path = g_strdup_printf ("/Tcpc/Chaos/seed/%u", seed);

      g_test_add_data_func (path, GUINT_TO_POINTER (seed), run_seed);
    }
  else
    for (i = 0; i < n_seeds; i++)
      {
        guint32 seed = first_seed + i;
        g_autofree char *path = g_strdup_printf ("/Tcpc/Chaos/seed/%u", seed);

        g_test_add_data_func (path, GUINT_TO_POINTER (seed), run_seed);
      }

  return g_test_run ();
}
