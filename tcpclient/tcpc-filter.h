/* tcpc-filter.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__TCPCLIENT_INSIDE__) && !defined(TCPC_COMPILATION)
# error "Only <tcpclient.h> can be included directly."
#endif

#include <gio/gio.h>

#include "tcpc-version-macros.h"

G_BEGIN_DECLS

/**
 * TCPC_FILTER_ERROR:
 *
 * The error domain of record framing errors: see #TcpcFilterError.
 */
#define TCPC_FILTER_ERROR (tcpc_filter_error_quark ())

/**
 * TcpcFilterError:
 * @TCPC_FILTER_ERROR_RECORD_TOO_LONG: a record, or a length header, exceeds the
 *   filter's maximum record length
 * @TCPC_FILTER_ERROR_MALFORMED: the input breaks the framing
 * @TCPC_FILTER_ERROR_INVALID_SETTINGS: the filter's settings are invalid or
 *   incompatible with each other
 *
 * Error codes of the %TCPC_FILTER_ERROR domain.
 */
typedef enum
{
  TCPC_FILTER_ERROR_RECORD_TOO_LONG,
  TCPC_FILTER_ERROR_MALFORMED,
  TCPC_FILTER_ERROR_INVALID_SETTINGS,
} TcpcFilterError;

#define TCPC_TYPE_FILTER (tcpc_filter_get_type ())

TCPC_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (TcpcFilter, tcpc_filter, TCPC, FILTER, GObject)

/**
 * TcpcFilterInterface:
 * @g_iface: the parent interface
 * @feed: appends received bytes to the filter's input buffer
 * @next_record: parses and returns the next complete record, if any
 * @encode: turns a record into the bytes to send
 * @take_pending: removes and returns the buffered, unparsed input
 * @clone: returns a new filter with the same settings and an empty state
 *
 * The virtual methods of a #TcpcFilter. Every method must be implemented.
 */
struct _TcpcFilterInterface
{
  GTypeInterface g_iface;

  gboolean     (*feed)         (TcpcFilter  *self,
                                GBytes      *data,
                                GError     **error);
  GBytes     * (*next_record)  (TcpcFilter  *self,
                                GError     **error);
  GBytes     * (*encode)       (TcpcFilter  *self,
                                GBytes      *record,
                                GError     **error);
  GBytes     * (*take_pending) (TcpcFilter  *self);
  TcpcFilter * (*clone)        (TcpcFilter  *self);

  /*< private >*/
  gpointer _reserved[8];
};

TCPC_AVAILABLE_IN_ALL
GQuark      tcpc_filter_error_quark  (void);
TCPC_AVAILABLE_IN_ALL
gboolean    tcpc_filter_feed         (TcpcFilter  *self,
                                      GBytes      *data,
                                      GError     **error);
TCPC_AVAILABLE_IN_ALL
GBytes     *tcpc_filter_next_record  (TcpcFilter  *self,
                                      GError     **error);
TCPC_AVAILABLE_IN_ALL
GBytes     *tcpc_filter_encode       (TcpcFilter  *self,
                                      GBytes      *record,
                                      GError     **error);
TCPC_AVAILABLE_IN_ALL
GBytes     *tcpc_filter_take_pending (TcpcFilter  *self);
TCPC_AVAILABLE_IN_ALL
TcpcFilter *tcpc_filter_clone        (TcpcFilter  *self);

G_END_DECLS
