/* tcpc-map-filter.h
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
 * TcpcMapFunc:
 * @record: a record
 * @user_data: (closure): the data given with the function
 *
 * A function that transforms a record of a #TcpcMapFilter, or drops it.
 * It may return @record itself, with a new reference.
 *
 * Returns: (transfer full) (nullable): the record to pass on, or %NULL to
 *   drop @record
 *
 * Since: 0.1
 */
typedef GBytes *(*TcpcMapFunc) (GBytes   *record,
                                gpointer  user_data);

#define TCPC_TYPE_MAP_FILTER (tcpc_map_filter_get_type ())

TCPC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (TcpcMapFilter, tcpc_map_filter, TCPC, MAP_FILTER, GObject)

TCPC_AVAILABLE_IN_ALL
TcpcMapFilter *tcpc_map_filter_new             (TcpcMapFunc     input,
                                                gpointer        input_data,
                                                GDestroyNotify  input_destroy,
                                                TcpcMapFunc     output,
                                                gpointer        output_data,
                                                GDestroyNotify  output_destroy);
TCPC_AVAILABLE_IN_ALL
void           tcpc_map_filter_set_input_func  (TcpcMapFilter  *self,
                                                TcpcMapFunc     input,
                                                gpointer        input_data,
                                                GDestroyNotify  input_destroy);
TCPC_AVAILABLE_IN_ALL
void           tcpc_map_filter_set_output_func (TcpcMapFilter  *self,
                                                TcpcMapFunc     output,
                                                gpointer        output_data,
                                                GDestroyNotify  output_destroy);

G_END_DECLS
