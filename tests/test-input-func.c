/* test-input-func.c: tcpc_client_set_input_func(), the direct record path
 *
 * While an input function is set, every record goes to it instead of being
 * emitted as server-input; everything else about record delivery (order,
 * nothing after shutdown, pause, dropping the last reference from inside)
 * is the same as for a server-input handler.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <gio/gio.h>
#include <tcpclient.h>

#include "tcpc-test-server.h"

#define WAIT_MS         5000
#define WAIT_LONG_MS   20000

typedef enum
{
  ACTION_NONE,
  ACTION_UNSET,        /* tcpc_client_set_input_func (NULL) */
  ACTION_SHUTDOWN,     /* tcpc_client_shutdown () */
  ACTION_UNREF,        /* drop the last reference */
  ACTION_PAUSE,        /* tcpc_client_pause_input () */
  ACTION_REPLACE,      /* set another input func (Sink.next) */
} Action;

typedef struct _Sink Sink;

struct _Sink
{
  const char *name;
  TcpcClient *client;      /* the client the func was installed on */
  GPtrArray  *records;     /* strings, in arrival order */
  guint       n_wrong;     /* calls with another client or outside its context */
  guint       n_destroyed;
  const char *act_on;      /* the record that triggers the action */
  Action      action;
  Sink       *next;        /* for ACTION_REPLACE */
  GMainContext *context;   /* where the calls must run (NULL: the default) */
};

static void
sink_init (Sink       *sink,
           const char *name)
{
  memset (sink, 0, sizeof *sink);
  sink->name = name;
  sink->records = g_ptr_array_new_with_free_func (g_free);
}

static void
sink_clear (Sink *sink)
{
  g_ptr_array_unref (sink->records);
}

static void
sink_destroy (gpointer data)
{
  Sink *sink = data;

  sink->n_destroyed++;
}

static char *
record_string (GBytes *record)
{
  gsize size;
  const char *data = g_bytes_get_data (record, &size);

  return g_strndup (data, size);
}

static void input_cb (TcpcClient *client, GBytes *record, gpointer user_data);

static void
sink_install (Sink       *sink,
              TcpcClient *client)
{
  sink->client = client;
  tcpc_client_set_input_func (client, input_cb, sink, sink_destroy);
}

static void
input_cb (TcpcClient *client,
          GBytes     *record,
          gpointer    user_data)
{
  Sink *sink = user_data;
  char *str = record_string (record);
  gboolean act;

  if (client != sink->client ||
      !g_main_context_is_owner (sink->context != NULL ? sink->context : g_main_context_default ()) ||
      g_main_context_get_thread_default () != sink->context)
    sink->n_wrong++;

  act = sink->act_on != NULL && strcmp (str, sink->act_on) == 0;
  g_ptr_array_add (sink->records, str);
  if (!act)
    return;

  switch (sink->action)
    {
    case ACTION_NONE:
      break;
    case ACTION_UNSET:
      tcpc_client_set_input_func (client, NULL, NULL, NULL);
      /* the destroy notify waits until this call returns */
      g_assert_cmpuint (sink->n_destroyed, ==, 0);
      break;
    case ACTION_SHUTDOWN:
      tcpc_client_shutdown (client);
      break;
    case ACTION_UNREF:
      g_object_unref (client);
      break;
    case ACTION_PAUSE:
      tcpc_client_pause_input (client);
      break;
    case ACTION_REPLACE:
      sink_install (sink->next, client);
      g_assert_cmpuint (sink->n_destroyed, ==, 0);
      break;
    default:
      g_assert_not_reached ();
    }
}

#define assert_records(sink, ...) \
  tcpc_test_assert_strv_impl ((sink)->records, (sink)->name, __FILE__, __LINE__, \
                              G_STRFUNC, __VA_ARGS__, NULL)

/* A loopback server that writes some lines in one write and reads to EOF,
 * a client for it with a recorder, and a sink for the client's records. */
typedef struct
{
  TcpcTestServer   *server;
  TcpcClient       *client;  /* weak: NULL once finalized */
  TcpcTestRecorder *rec;
  Sink              sink;
} Fixture;

static void
fixture_init (Fixture    *f,
              const char *lines)
{
  TcpcTestScript *script;

  f->server = tcpc_test_server_new ();
  script = tcpc_test_server_add_script (f->server);
  tcpc_test_script_write_string (script, lines);
  tcpc_test_script_read_to_eof (script);
  f->client = tcpc_test_client_for (f->server);
  g_object_add_weak_pointer (G_OBJECT (f->client), (gpointer *) &f->client);
  f->rec = tcpc_test_recorder_new (f->client, 0);
  sink_init (&f->sink, "func");
  f->sink.context = g_main_context_get_thread_default ();
}

/* Installs the sink (set its action first) and starts the client. */
static void
fixture_start (Fixture *f)
{
  sink_install (&f->sink, f->client);
  tcpc_client_start (f->client);
}

static void
fixture_finish (Fixture *f)
{
  if (f->client != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (f->client), (gpointer *) &f->client);
      tcpc_test_finish_client (f->client, f->rec);
    }
  else
    tcpc_test_recorder_free (f->rec);
  sink_clear (&f->sink);
  tcpc_test_server_free (f->server);
}

/* Records go to the function, in order, and server-input is not emitted. */
static void
test_records (void)
{
  Fixture f;

  fixture_init (&f, "a\nb\nc\n");
  fixture_start (&f);
  TCPC_TEST_WAIT (f.sink.records->len >= 3, WAIT_MS);
  tcpc_test_spin (50);

  assert_records (&f.sink, "a", "b", "c");
  g_assert_cmpuint (f.sink.n_wrong, ==, 0);
  g_assert_cmpuint (tcpc_test_count_prefix (f.rec->events, "input:"), ==, 0);
  g_assert_cmpuint (tcpc_client_get_records_received (f.client), ==, 3);
  g_assert_cmpuint (f.sink.n_destroyed, ==, 0);

  fixture_finish (&f);
  g_assert_cmpuint (f.sink.n_destroyed, ==, 1);
}

/* Unsetting the function from inside it: the next record of the same read
 * is emitted as server-input, and the destroy notify runs once. */
static void
test_unset_inside (void)
{
  Fixture f;

  fixture_init (&f, "a\nb\nc\nd\n");
  f.sink.act_on = "b";
  f.sink.action = ACTION_UNSET;
  fixture_start (&f);
  WAIT_EVENT (f.rec, "input:d");

  assert_records (&f.sink, "a", "b");
  g_assert_cmpuint (f.sink.n_destroyed, ==, 1);
  tcpc_test_assert_events (f.rec, "started", "connected", "input:c", "input:d");

  fixture_finish (&f);
  g_assert_cmpuint (f.sink.n_destroyed, ==, 1);
}

/* Replacing the function from inside it: the rest of the read goes to the
 * new one. */
static void
test_replace_inside (void)
{
  Fixture f;
  Sink second;

  fixture_init (&f, "a\nb\nc\nd\n");
  sink_init (&second, "second");
  f.sink.act_on = "a";
  f.sink.action = ACTION_REPLACE;
  f.sink.next = &second;
  fixture_start (&f);
  TCPC_TEST_WAIT (second.records->len >= 3, WAIT_MS);

  assert_records (&f.sink, "a");
  assert_records (&second, "b", "c", "d");
  g_assert_cmpuint (f.sink.n_destroyed, ==, 1);
  g_assert_cmpuint (second.n_destroyed, ==, 0);
  g_assert_cmpuint (tcpc_test_count_prefix (f.rec->events, "input:"), ==, 0);

  fixture_finish (&f);
  g_assert_cmpuint (f.sink.n_destroyed, ==, 1);
  g_assert_cmpuint (second.n_destroyed, ==, 1);
  sink_clear (&second);
}

/* Setting a function again, or NULL, destroys the old data once; a client
 * that never connects still destroys it when it goes away. */
static void
test_destroy_notify (void)
{
  TcpcClient *client = tcpc_client_new ("127.0.0.1", 9);
  Sink first, second;
  gpointer weak = client;

  sink_init (&first, "first");
  sink_init (&second, "second");
  g_object_add_weak_pointer (G_OBJECT (client), &weak);

  sink_install (&first, client);
  sink_install (&second, client);
  g_assert_cmpuint (first.n_destroyed, ==, 1);
  g_assert_cmpuint (second.n_destroyed, ==, 0);

  tcpc_client_set_input_func (client, NULL, NULL, NULL);
  g_assert_cmpuint (second.n_destroyed, ==, 1);

  /* a NULL function with data: the data is destroyed at once */
  tcpc_client_set_input_func (client, NULL, &first, sink_destroy);
  g_assert_cmpuint (first.n_destroyed, ==, 2);

  sink_install (&first, client);
  g_object_unref (client);
  g_assert_null (weak);
  g_assert_cmpuint (first.n_destroyed, ==, 3);
  g_assert_cmpuint (second.n_destroyed, ==, 1);
  g_assert_cmpuint (first.records->len, ==, 0);

  sink_clear (&first);
  sink_clear (&second);
}

/* Nothing reaches the function after shutdown, not even records from the
 * same read. */
static void
test_shutdown_inside (void)
{
  Fixture f;

  fixture_init (&f, "a\nb\nc\n");
  f.sink.act_on = "a";
  f.sink.action = ACTION_SHUTDOWN;
  fixture_start (&f);
  WAIT_EVENT (f.rec, "disconnected");
  tcpc_test_spin (50);

  assert_records (&f.sink, "a");
  tcpc_test_assert_events (f.rec, "started", "connected", "disconnected");
  fixture_finish (&f);
}

/* Dropping the last reference from inside the function: no further call,
 * the client goes away and the connection is closed. */
static void
test_unref_inside (void)
{
  Fixture f;

  fixture_init (&f, "a\nb\nc\n");
  f.sink.act_on = "a";
  f.sink.action = ACTION_UNREF;
  fixture_start (&f);
  TCPC_TEST_WAIT (f.client == NULL, WAIT_MS);
  WAIT_CONN_FINISHED (f.server, 0);
  tcpc_test_spin (50);

  assert_records (&f.sink, "a");
  g_assert_cmpuint (f.sink.n_destroyed, ==, 1);
  tcpc_test_assert_events (f.rec, "started", "connected");
  fixture_finish (&f);
}

/* Dropping the last reference from a server-input handler, with many
 * records in the same read: the records after it are not delivered. */
static void
unref_on_input_cb (TcpcClient *client,
                   GBytes     *record,
                   gpointer    user_data)
{
  guint *n_calls = user_data;

  if ((*n_calls)++ == 0)
    g_object_unref (client);
}

static void
test_unref_in_signal_handler (void)
{
  Fixture f;
  guint n_calls = 0;

  fixture_init (&f, "a\nb\nc\nd\ne\nf\n");
  g_signal_connect (f.client, "server-input", G_CALLBACK (unref_on_input_cb), &n_calls);
  tcpc_client_start (f.client);
  TCPC_TEST_WAIT (f.client == NULL, WAIT_MS);
  WAIT_CONN_FINISHED (f.server, 0);
  tcpc_test_spin (50);

  g_assert_cmpuint (n_calls, ==, 1);
  tcpc_test_assert_events (f.rec, "started", "connected", "input:a");
  fixture_finish (&f);
}

/* Pausing from inside the function holds the rest back until resume. */
static void
test_pause_inside (void)
{
  Fixture f;

  fixture_init (&f, "a\nb\nc\n");
  f.sink.act_on = "a";
  f.sink.action = ACTION_PAUSE;
  fixture_start (&f);
  TCPC_TEST_WAIT (f.sink.records->len >= 1, WAIT_MS);
  tcpc_test_spin (100);
  assert_records (&f.sink, "a");

  tcpc_client_resume_input (f.client);
  TCPC_TEST_WAIT (f.sink.records->len >= 3, WAIT_MS);
  assert_records (&f.sink, "a", "b", "c");
  g_assert_cmpuint (tcpc_test_count_prefix (f.rec->events, "input:"), ==, 0);
  fixture_finish (&f);
}

/* Many records over several reads, with a partial record at every read
 * boundary: the function sees exactly what the signal would. */
static void
test_bulk (void)
{
  GString *all = g_string_new (NULL);
  const guint n = 50000;
  guint i;
  Fixture f;

  for (i = 0; i < n; i++)
    g_string_append_printf (all, "record-%u\r\n", i);
  fixture_init (&f, all->str);
  fixture_start (&f);
  TCPC_TEST_WAIT (f.sink.records->len >= n, WAIT_LONG_MS);

  g_assert_cmpuint (f.sink.records->len, ==, n);
  for (i = 0; i < n; i++)
    {
      char expected[32];

      g_snprintf (expected, sizeof expected, "record-%u", i);
      g_assert_cmpstr (g_ptr_array_index (f.sink.records, i), ==, expected);
    }
  g_assert_cmpuint (tcpc_test_count_prefix (f.rec->events, "input:"), ==, 0);

  fixture_finish (&f);
  g_string_free (all, TRUE);
}

/* A client made under another thread-default context calls the function
 * there. */
static void
test_other_context (void)
{
  GMainContext *context = g_main_context_new ();
  Fixture f;

  g_main_context_push_thread_default (context);
  fixture_init (&f, "a\nb\n");
  fixture_start (&f);
  TCPC_TEST_WAIT (f.sink.records->len >= 2, WAIT_MS);

  assert_records (&f.sink, "a", "b");
  g_assert_cmpuint (f.sink.n_wrong, ==, 0);

  fixture_finish (&f);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Tcpc/InputFunc/records", test_records);
  g_test_add_func ("/Tcpc/InputFunc/unset-inside", test_unset_inside);
  g_test_add_func ("/Tcpc/InputFunc/replace-inside", test_replace_inside);
  g_test_add_func ("/Tcpc/InputFunc/destroy-notify", test_destroy_notify);
  g_test_add_func ("/Tcpc/InputFunc/shutdown-inside", test_shutdown_inside);
  g_test_add_func ("/Tcpc/InputFunc/unref-inside", test_unref_inside);
  g_test_add_func ("/Tcpc/InputFunc/unref-in-signal-handler", test_unref_in_signal_handler);
  g_test_add_func ("/Tcpc/InputFunc/pause-inside", test_pause_inside);
  g_test_add_func ("/Tcpc/InputFunc/bulk", test_bulk);
  g_test_add_func ("/Tcpc/InputFunc/other-context", test_other_context);

  return g_test_run ();
}
