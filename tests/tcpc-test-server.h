/* tcpc-test-server.h: loopback servers, loop helpers and a signal recorder
 *                     shared by the C tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <tcpclient.h>

G_BEGIN_DECLS

/* ------------------------------------------------------------------------ */
/* Main-loop helpers                                                         */
/* ------------------------------------------------------------------------ */

typedef gboolean (*TcpcTestCondFunc) (gpointer user_data);

/* Iterates the thread-default main context until @cond returns %TRUE.
 * Fails the test (an assertion) when @timeout_ms passes first. */
void      tcpc_test_wait_until_impl (TcpcTestCondFunc  cond,
                                     gpointer          user_data,
                                     guint             timeout_ms,
                                     const char       *what,
                                     const char       *file,
                                     int               line,
                                     const char       *func);
#define tcpc_test_wait_until(cond, data, timeout_ms) \
  tcpc_test_wait_until_impl ((cond), (data), (timeout_ms), #cond, \
                             __FILE__, __LINE__, G_STRFUNC)

/* A bounded wait on an arbitrary expression. */
typedef struct _TcpcTestDeadline TcpcTestDeadline;

TcpcTestDeadline *tcpc_test_deadline_new     (guint             timeout_ms);
gboolean          tcpc_test_deadline_expired (TcpcTestDeadline *deadline);
void              tcpc_test_deadline_iterate (TcpcTestDeadline *deadline);
void              tcpc_test_deadline_free    (TcpcTestDeadline *deadline);

#define TCPC_TEST_WAIT(expr, timeout_ms)                                     \
  G_STMT_START {                                                             \
    TcpcTestDeadline *_tcpc_dl = tcpc_test_deadline_new (timeout_ms);        \
    while (!(expr))                                                          \
      {                                                                      \
        if (tcpc_test_deadline_expired (_tcpc_dl))                           \
          {                                                                  \
            tcpc_test_deadline_free (_tcpc_dl);                              \
            g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, \
                                 "timed out (" #timeout_ms " ms) waiting for: " \
                                 #expr);                                     \
          }                                                                  \
        tcpc_test_deadline_iterate (_tcpc_dl);                               \
      }                                                                      \
    tcpc_test_deadline_free (_tcpc_dl);                                      \
  } G_STMT_END

/* Runs the thread-default main context for @ms milliseconds (observation
 * only: "nothing else happens in the next N ms"). */
void      tcpc_test_spin      (guint ms);

/* Seconds elapsed since @start_us (a g_get_monotonic_time() value). */
double    tcpc_test_elapsed   (gint64 start_us);

/* ------------------------------------------------------------------------ */
/* Scripted loopback server                                                  */
/* ------------------------------------------------------------------------ */

typedef enum
{
  TCPC_TEST_STEP_WRITE,          /* write bytes (all of them)                 */
  TCPC_TEST_STEP_WAIT,           /* wait N ms, reading nothing                */
  TCPC_TEST_STEP_CLOSE,          /* drain what is readable, close (FIN)       */
  TCPC_TEST_STEP_SHUTDOWN_WRITE, /* half-close (FIN), keep the socket         */
  TCPC_TEST_STEP_RESET,          /* SO_LINGER 0 + close: RST                  */
  TCPC_TEST_STEP_READ_TO_EOF,    /* read and count until EOF or error         */
  TCPC_TEST_STEP_READ_BYTES,     /* read until N bytes in total were received */
  TCPC_TEST_STEP_ECHO,           /* echo everything until EOF                 */
} TcpcTestStepKind;

typedef struct _TcpcTestScript TcpcTestScript;
typedef struct _TcpcTestServer TcpcTestServer;
typedef struct _TcpcTestConn   TcpcTestConn;

struct _TcpcTestConn
{
  TcpcTestServer *server;
  guint           index;         /* 0 for the first accepted connection */
  GSocket        *socket;        /* NULL once closed */
  GSocketAddress *peer;          /* the client's address */
  TcpcTestScript *script;
  guint           step;
  gsize           write_offset;
  GSource        *source;

  GByteArray     *received;      /* the first 1 MiB received */
  char           *received_str;
  guint64         n_received;    /* every byte received */
  guint64         n_sent;
  gboolean        eof;           /* the client closed (clean EOF seen) */
  gboolean        reset;         /* a read or write failed (RST, EPIPE) */
  gboolean        closed;        /* our side closed */
  gboolean        done;          /* the script ran to its end */
  GError         *error;
};

struct _TcpcTestServer
{
  GMainContext   *context;
  GSocket        *listener;
  GSocketAddress *address;       /* the effective address */
  guint16         port;          /* 0 for a Unix socket */
  GSource        *accept_source;
  GPtrArray      *scripts;       /* TcpcTestScript* */
  GPtrArray      *conns;         /* TcpcTestConn* */
  char           *unix_path;
};

/* 127.0.0.1:0 */
TcpcTestServer *tcpc_test_server_new             (void);
/* [::1]:0, or %NULL (and @error set) if IPv6 loopback cannot be bound */
TcpcTestServer *tcpc_test_server_new_ipv6        (GError        **error);
TcpcTestServer *tcpc_test_server_new_for_address (GSocketAddress *address,
                                                  GError        **error);
void            tcpc_test_server_free            (TcpcTestServer *server);

/* Appends a script: connection N runs script N (or the last one when there
 * are fewer scripts; with no script at all each connection reads to EOF).
 * The returned script is owned by the server; fill it before the client
 * connects. */
TcpcTestScript *tcpc_test_server_add_script      (TcpcTestServer *server);

void tcpc_test_script_write        (TcpcTestScript *script,
                                    const void     *data,
                                    gsize           len);
void tcpc_test_script_write_string (TcpcTestScript *script,
                                    const char     *str);
void tcpc_test_script_write_repeat (TcpcTestScript *script,
                                    char            byte,
                                    gsize           count);
void tcpc_test_script_wait         (TcpcTestScript *script,
                                    guint           ms);
void tcpc_test_script_close        (TcpcTestScript *script);
void tcpc_test_script_shutdown_write (TcpcTestScript *script);
void tcpc_test_script_reset        (TcpcTestScript *script);
void tcpc_test_script_read_to_eof  (TcpcTestScript *script);
void tcpc_test_script_read_bytes   (TcpcTestScript *script,
                                    guint64         n);
void tcpc_test_script_echo         (TcpcTestScript *script);

guint         tcpc_test_server_n_conns     (TcpcTestServer *server);
TcpcTestConn *tcpc_test_server_get_conn    (TcpcTestServer *server,
                                            guint           index);
/* TRUE when the connection's peer is gone (EOF seen or an error) */
gboolean      tcpc_test_conn_finished      (TcpcTestConn   *conn);
/* the received bytes as a NUL-terminated string (owned by the conn) */
const char   *tcpc_test_conn_received_str  (TcpcTestConn   *conn);

/* Runs the server's next script on @socket (a connected stream socket made
 * elsewhere, e.g. one end of tcpc_test_socket_pair()) as if it had been
 * accepted: it becomes the next connection.  The server takes a reference. */
TcpcTestConn *tcpc_test_server_adopt_socket (TcpcTestServer *server,
                                             GSocket        *socket);
/* A connected pair of AF_UNIX stream sockets (socketpair()). */
void          tcpc_test_socket_pair         (GSocket       **a,
                                             GSocket       **b);

/* ------------------------------------------------------------------------ */
/* Ports that refuse or stall                                                */
/* ------------------------------------------------------------------------ */

/* A socket bound to 127.0.0.1:0 that does not listen: a connect to its
 * port is refused, and nobody else can take the port while it lives. */
GSocket *tcpc_test_reserve_refused_port (guint16 *port);

/* A port that was free a moment ago (bound and closed at once). */
guint16  tcpc_test_get_free_port        (void);

/* A listener with backlog 1 that never accepts and whose queue is full:
 * SYNs to it are dropped, so a connect stalls. */
typedef struct
{
  GSocket   *listener;
  guint16    port;
  GPtrArray *fillers;   /* GSocket* */
} TcpcTestStalled;

TcpcTestStalled *tcpc_test_stalled_new  (void);
void             tcpc_test_stalled_free (TcpcTestStalled *stalled);

/* ------------------------------------------------------------------------ */
/* Signal recorder                                                           */
/* ------------------------------------------------------------------------ */

typedef enum
{
  TCPC_TEST_RECORD_DEFAULT          = 0,
  TCPC_TEST_RECORD_PRE_CONNECT      = 1 << 0, /* connect a pass-through pre-connect */
  TCPC_TEST_RECORD_NO_SERVER_ERROR  = 1 << 1, /* leave server-error unconnected */
  TCPC_TEST_RECORD_NO_CONNECT_ERROR = 1 << 2, /* leave connect-error unconnected */
} TcpcTestRecordFlags;

/* Event strings:
 *   "started", "pre-connect", "connected", "input:<record>", "flushed",
 *   "disconnected", "connect-error:<op>:<domain>:<code>",
 *   "server-error:<op>:<domain>:<code>", "state:<STATE>"
 * where <domain> is io, resolver, client, filter (or the quark string) and
 * <code> the enum nick ("connection-refused", "timed-out", …).
 * events holds the signals only, states the state notifications only, and
 * all both, interleaved, with a monotonic time stamp each in times. */
typedef struct
{
  TcpcClient   *client;         /* weak: NULL once finalized */
  TcpcTestRecordFlags flags;
  GPtrArray    *events;
  GPtrArray    *states;
  GPtrArray    *all;
  GArray       *times;          /* gint64, parallel to all */
  GPtrArray    *violations;     /* contract violations seen inside handlers */
  gulong        handlers[10];
  guint         n_handlers;

  GIOStream      *last_stream;  /* from the last connected */
  GSocketAddress *last_remote;  /* from the last connected */
  GError         *last_error;   /* from the last connect-error/server-error */
  char           *last_operation;
} TcpcTestRecorder;

TcpcTestRecorder *tcpc_test_recorder_new   (TcpcClient          *client,
                                            TcpcTestRecordFlags  flags);
/* Asserts that no contract violation was recorded, then frees. */
void              tcpc_test_recorder_free  (TcpcTestRecorder    *rec);

/* Appends a custom event (e.g. from a test's own handler). */
void      tcpc_test_recorder_add       (TcpcTestRecorder *rec,
                                        const char       *event);
guint     tcpc_test_recorder_count     (TcpcTestRecorder *rec,
                                        const char       *event);
gboolean  tcpc_test_recorder_has       (TcpcTestRecorder *rec,
                                        const char       *event);
/* index in rec->all of the first event equal to @event, or -1 */
int       tcpc_test_recorder_index_of  (TcpcTestRecorder *rec,
                                        const char       *event);
/* time stamp of the @nth (0-based) occurrence of @event in rec->all, or 0 */
gint64    tcpc_test_recorder_time_of   (TcpcTestRecorder *rec,
                                        const char       *event,
                                        guint             nth);
/* rec->events joined with ", " (free it) */
char     *tcpc_test_recorder_dump      (TcpcTestRecorder *rec);

char     *tcpc_test_format_error       (const char       *prefix,
                                        const char       *operation,
                                        const GError     *error);
const char *tcpc_test_state_name       (TcpcClientState   state);

/* Asserts that @array (of strings) equals the NULL-terminated list. */
void      tcpc_test_assert_strv_impl   (GPtrArray        *array,
                                        const char       *what,
                                        const char       *file,
                                        int               line,
                                        const char       *func,
                                        ...) G_GNUC_NULL_TERMINATED;
#define tcpc_test_assert_events(rec, ...) \
  tcpc_test_assert_strv_impl ((rec)->events, "events", __FILE__, __LINE__, \
                              G_STRFUNC, __VA_ARGS__, NULL)
#define tcpc_test_assert_states(rec, ...) \
  tcpc_test_assert_strv_impl ((rec)->states, "states", __FILE__, __LINE__, \
                              G_STRFUNC, __VA_ARGS__, NULL)
#define tcpc_test_assert_all(rec, ...) \
  tcpc_test_assert_strv_impl ((rec)->all, "all", __FILE__, __LINE__, \
                              G_STRFUNC, __VA_ARGS__, NULL)

/* Puts @n_records records of @record_len bytes 'a' with put_data; each is
 * asserted to succeed.  With the default line filter every record costs
 * record_len + 2 bytes on the wire. */
/* tcpc_client_put_string() that must succeed */
void      tcpc_test_put_string_ok      (TcpcClient       *client,
                                        const char       *record);
void      tcpc_test_put_bulk           (TcpcClient       *client,
                                        guint             n_records,
                                        gsize             record_len);


/* Waits of the client test programs, bounded by the WAIT_MS and
 * WAIT_LONG_MS that each program defines. */
#define WAIT_EVENT(rec, ev) \
  TCPC_TEST_WAIT (tcpc_test_recorder_has ((rec), (ev)), WAIT_MS)
#define WAIT_COUNT(rec, ev, n) \
  TCPC_TEST_WAIT (tcpc_test_recorder_count ((rec), (ev)) >= (guint) (n), WAIT_MS)
#define WAIT_STATE(client, st) \
  TCPC_TEST_WAIT (tcpc_client_get_state (client) == (st), WAIT_MS)
#define WAIT_CONNS(server, n) \
  TCPC_TEST_WAIT (tcpc_test_server_n_conns (server) >= (guint) (n), WAIT_MS)
#define WAIT_CONN_FINISHED(server, i)                                        \
  G_STMT_START {                                                             \
    WAIT_CONNS ((server), (i) + 1);                                          \
    TCPC_TEST_WAIT (tcpc_test_conn_finished (                                \
                      tcpc_test_server_get_conn ((server), (i))), WAIT_LONG_MS); \
  } G_STMT_END

/* A client for a loopback test server. */
TcpcClient *tcpc_test_client_for    (TcpcTestServer   *server);
/* Frees the recorder (asserting its in-handler checks) and drops the last
 * reference, asserting that the client really goes away. */
void        tcpc_test_finish_client (TcpcClient       *client,
                                     TcpcTestRecorder *rec);

/* How many strings of @array start with @prefix. */
guint       tcpc_test_count_prefix  (GPtrArray        *array,
                                     const char       *prefix);
/* The port and host of an inet socket address (asserted to be one). */
guint16     tcpc_test_address_port  (GSocketAddress   *address);
char       *tcpc_test_address_host  (GSocketAddress   *address);

G_END_DECLS
