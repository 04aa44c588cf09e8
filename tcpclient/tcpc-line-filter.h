/* tcpc-line-filter.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__TCPCLIENT_INSIDE__) && !defined(TCPC_COMPILATION)
# error "Only <tcpclient.h> can be included directly."
#endif

#include "tcpc-filter.h"

G_BEGIN_DECLS

/**
 * TCPC_LINE_FILTER_DEFAULT_MAX_LENGTH:
 *
 * The default #TcpcLineFilter:max-length: 1 MiB.
 */
#define TCPC_LINE_FILTER_DEFAULT_MAX_LENGTH (1024 * 1024)

#define TCPC_TYPE_LINE_FILTER (tcpc_line_filter_get_type ())

TCPC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (TcpcLineFilter, tcpc_line_filter, TCPC, LINE_FILTER, GObject)

TCPC_AVAILABLE_IN_ALL
TcpcLineFilter *tcpc_line_filter_new               (void);
TCPC_AVAILABLE_IN_ALL
TcpcLineFilter *tcpc_line_filter_new_literal       (const char     *literal);
TCPC_AVAILABLE_IN_ALL
gboolean        tcpc_line_filter_check_settings    (TcpcLineFilter *self,
                                                    GError        **error);
TCPC_AVAILABLE_IN_ALL
const char     *tcpc_line_filter_get_literal       (TcpcLineFilter *self);
TCPC_AVAILABLE_IN_ALL
void            tcpc_line_filter_set_literal       (TcpcLineFilter *self,
                                                    const char     *literal);
TCPC_AVAILABLE_IN_ALL
const char     *tcpc_line_filter_get_input_literal (TcpcLineFilter *self);
TCPC_AVAILABLE_IN_ALL
void            tcpc_line_filter_set_input_literal (TcpcLineFilter *self,
                                                    const char     *input_literal);
TCPC_AVAILABLE_IN_ALL
const char     *tcpc_line_filter_get_output_literal (TcpcLineFilter *self);
TCPC_AVAILABLE_IN_ALL
void            tcpc_line_filter_set_output_literal (TcpcLineFilter *self,
                                                     const char     *output_literal);
TCPC_AVAILABLE_IN_ALL
const char     *tcpc_line_filter_get_input_regex   (TcpcLineFilter *self);
TCPC_AVAILABLE_IN_ALL
void            tcpc_line_filter_set_input_regex   (TcpcLineFilter *self,
                                                    const char     *input_regex);
TCPC_AVAILABLE_IN_ALL
gboolean        tcpc_line_filter_get_autodetect    (TcpcLineFilter *self);
TCPC_AVAILABLE_IN_ALL
void            tcpc_line_filter_set_autodetect    (TcpcLineFilter *self,
                                                    gboolean        autodetect);
TCPC_AVAILABLE_IN_ALL
guint           tcpc_line_filter_get_max_length    (TcpcLineFilter *self);
TCPC_AVAILABLE_IN_ALL
void            tcpc_line_filter_set_max_length    (TcpcLineFilter *self,
                                                    guint           max_length);

G_END_DECLS
