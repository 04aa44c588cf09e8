/* tcpc-stream-filter.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__TCPCLIENT_INSIDE__) && !defined(TCPC_COMPILATION)
# error "Only <tcpclient/tcpclient.h> can be included directly."
#endif

#include "tcpc-filter.h"

G_BEGIN_DECLS

#define TCPC_TYPE_STREAM_FILTER (tcpc_stream_filter_get_type ())

TCPC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (TcpcStreamFilter, tcpc_stream_filter, TCPC, STREAM_FILTER, GObject)

TCPC_AVAILABLE_IN_ALL
TcpcStreamFilter *tcpc_stream_filter_new (void);

G_END_DECLS
