/* tcpc-fault-util.h: a fault-injecting loopback proxy, a closing echo
 *                    server, a hostile-input feeder and process figures
 *                    (fds, RSS, GSources) for the fault and hostile-input
 *                    tests (issue 7)
 *
 * Everything runs on the thread-default main context, non-blocking, in
 * the test's own process.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* ------------------------------------------------------------------------ */
/* Process figures                                                           */
/* ------------------------------------------------------------------------ */

/* Open file descriptors (entries of /proc/self/fd). */
guint    tcpc_fault_count_fds      (void);
/* Resident set size in bytes (/proc/self/statm). */
guint64  tcpc_fault_rss           (void);
/* Live (attached, not destroyed) GSources on @context: every id from 1 to
 * the newest is looked up with g_main_context_find_source_by_id(). */
guint    tcpc_fault_count_sources  (GMainContext *context);
/* Iterates @context without blocking until nothing is pending (at most
 * @max_ms), then returns g_main_context_pending(). */
gboolean tcpc_fault_settle         (GMainContext *context,
                                    guint         max_ms);
/* Raises RLIMIT_NOFILE's soft limit to at least @want (up to the hard
 * limit); returns the new soft limit. */
guint    tcpc_fault_raise_nofile   (guint         want);
/* TRUE when TCPC_TEST_QUICK is set (valgrind, sanitizers, --repeat): the
 * heavy scenarios scale down. */
gboolean tcpc_fault_quick          (void);
/* @full, or @quick when tcpc_fault_quick(); TCPC_TEST_SCALE=<n> overrides
 * both when set. */
guint64  tcpc_fault_scale          (guint64       full,
                                    guint64       quick);

/* ------------------------------------------------------------------------ */
/* Fault proxy                                                               */
/* ------------------------------------------------------------------------ */

typedef enum
{
  TCPC_FAULT_PASS,          /* forward as it comes                           */
  TCPC_FAULT_SPLIT,         /* forward one byte per write and main-loop turn,
                               both ways                                     */
  TCPC_FAULT_DELAY,         /* forward every chunk @delay_ms after it arrived */
  TCPC_FAULT_STALL_READS,   /* read the client @read_chunk bytes at a time,
                               pausing @read_pause_ms in between (a slow
                               reader), after an initial @delay_ms stall     */
  TCPC_FAULT_RESET_AFTER,   /* after @limit bytes server->client: RST to the
                               client (SO_LINGER 0 + close)                  */
  TCPC_FAULT_CLOSE_AFTER,   /* after @limit bytes server->client: close both
                               ways (FIN)                                    */
  TCPC_FAULT_BLACKHOLE,     /* accept and never read, never connect upstream */
} TcpcFaultMode;

typedef struct _TcpcFaultProxy TcpcFaultProxy;

struct _TcpcFaultProxy
{
  GSocketService *service;
  guint16         port;
  GSocketAddress *upstream;      /* where sessions connect */
  TcpcFaultMode   mode;
  guint           delay_ms;
  gsize           limit;
  gsize           read_chunk;
  guint           read_pause_ms;

  GPtrArray      *sessions;      /* TcpcFaultSession*, owned */
  guint           n_accepted;
  /* totals over all sessions */
  guint64         up_bytes;      /* client -> server, forwarded */
  guint64         down_bytes;    /* server -> client, forwarded */
  GChecksum      *up_checksum;   /* SHA-256 of every byte read from clients */
};

TcpcFaultProxy *tcpc_fault_proxy_new      (GSocketAddress *upstream,
                                           TcpcFaultMode   mode);
void            tcpc_fault_proxy_free     (TcpcFaultProxy *proxy);
/* TRUE when every session ended (both directions closed). */
gboolean        tcpc_fault_proxy_idle     (TcpcFaultProxy *proxy);
/* The hex SHA-256 of everything read from clients so far. */
const char     *tcpc_fault_proxy_up_sum   (TcpcFaultProxy *proxy);

/* ------------------------------------------------------------------------ */
/* Echo server that closes on EOF                                            */
/* ------------------------------------------------------------------------ */

typedef struct _TcpcFaultEcho TcpcFaultEcho;

struct _TcpcFaultEcho
{
  GSocket        *listener;
  GSocketAddress *address;
  guint16         port;
  GSource        *accept_source;
  GList          *conns;         /* live connections */
  guint           n_live;
  guint           n_accepted;
  guint64         n_bytes;
  const char     *greeting;      /* written to every new connection, or NULL */
};

TcpcFaultEcho *tcpc_fault_echo_new  (guint          backlog);
void           tcpc_fault_echo_free (TcpcFaultEcho *echo);

/* ------------------------------------------------------------------------ */
/* Hostile-input feeder                                                      */
/* ------------------------------------------------------------------------ */

/* Fills @buf (of @max bytes) with the stream's bytes from @offset on;
 * returns how many (0: the end). */
typedef gsize (*TcpcFaultGenFunc) (guint8   *buf,
                                   gsize     max,
                                   guint64   offset,
                                   gpointer  user_data);

typedef struct _TcpcFaultFeeder TcpcFaultFeeder;

struct _TcpcFaultFeeder
{
  GSocket         *listener;
  GSocketAddress  *address;
  guint16          port;
  GSource         *source;
  GSocket         *conn;
  TcpcFaultGenFunc gen;
  gpointer         gen_data;
  guint8          *buf;
  gsize            buf_len;
  gsize            buf_off;
  guint64          offset;       /* bytes generated */
  guint64          sent;         /* bytes written */
  gboolean         finished;     /* all written and closed */
  gboolean         peer_gone;    /* a write failed: the client closed */
  gboolean         peer_eof;     /* read 0 from the client after the end */
};

TcpcFaultFeeder *tcpc_fault_feeder_new  (TcpcFaultGenFunc gen,
                                         gpointer         gen_data);
void             tcpc_fault_feeder_free (TcpcFaultFeeder *feeder);

G_END_DECLS
