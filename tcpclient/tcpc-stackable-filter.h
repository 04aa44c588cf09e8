/* tcpc-stackable-filter.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__TCPCLIENT_INSIDE__) && !defined(TCPC_COMPILATION)
# error "Only <tcpclient/tcpclient.h> can be included directly."
#endif

#include "tcpc-filter.h"

G_BEGIN_DECLS

#define TCPC_TYPE_STACKABLE_FILTER (tcpc_stackable_filter_get_type ())

TCPC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (TcpcStackableFilter, tcpc_stackable_filter, TCPC, STACKABLE_FILTER, GObject)

TCPC_AVAILABLE_IN_ALL
TcpcStackableFilter *tcpc_stackable_filter_new           (GPtrArray           *filters);
TCPC_AVAILABLE_IN_ALL
void                 tcpc_stackable_filter_push          (TcpcStackableFilter *self,
                                                          TcpcFilter          *filter);
TCPC_AVAILABLE_IN_ALL
void                 tcpc_stackable_filter_unshift       (TcpcStackableFilter *self,
                                                          TcpcFilter          *filter);
TCPC_AVAILABLE_IN_ALL
TcpcFilter          *tcpc_stackable_filter_pop           (TcpcStackableFilter *self);
TCPC_AVAILABLE_IN_ALL
TcpcFilter          *tcpc_stackable_filter_shift         (TcpcStackableFilter *self);
TCPC_AVAILABLE_IN_ALL
GPtrArray           *tcpc_stackable_filter_get_filters   (TcpcStackableFilter *self);
TCPC_AVAILABLE_IN_ALL
guint                tcpc_stackable_filter_get_n_filters (TcpcStackableFilter *self);
TCPC_AVAILABLE_IN_ALL
TcpcFilter          *tcpc_stackable_filter_get_filter    (TcpcStackableFilter *self,
                                                          guint                position);

G_END_DECLS
