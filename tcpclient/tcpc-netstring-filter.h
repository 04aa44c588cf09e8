/* tcpc-netstring-filter.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__TCPCLIENT_INSIDE__) && !defined(TCPC_COMPILATION)
# error "Only <tcpclient/tcpclient.h> can be included directly."
#endif

#include "tcpc-filter.h"

G_BEGIN_DECLS

/**
 * TCPC_NETSTRING_FILTER_DEFAULT_MAX_LENGTH:
 *
 * The default #TcpcNetstringFilter:max-length: 1 MiB.
 *
 * Since: 0.1
 */
#define TCPC_NETSTRING_FILTER_DEFAULT_MAX_LENGTH (1024 * 1024)

#define TCPC_TYPE_NETSTRING_FILTER (tcpc_netstring_filter_get_type ())

TCPC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (TcpcNetstringFilter, tcpc_netstring_filter, TCPC, NETSTRING_FILTER, GObject)

TCPC_AVAILABLE_IN_ALL
TcpcNetstringFilter *tcpc_netstring_filter_new            (void);
TCPC_AVAILABLE_IN_ALL
gboolean             tcpc_netstring_filter_check_settings (TcpcNetstringFilter  *self,
                                                           GError              **error);
TCPC_AVAILABLE_IN_ALL
guint                tcpc_netstring_filter_get_max_length (TcpcNetstringFilter  *self);
TCPC_AVAILABLE_IN_ALL
void                 tcpc_netstring_filter_set_max_length (TcpcNetstringFilter  *self,
                                                           guint                 max_length);

G_END_DECLS
