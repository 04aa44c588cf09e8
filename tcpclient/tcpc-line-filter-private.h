/* tcpc-line-filter-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "tcpc-line-filter.h"

G_BEGIN_DECLS

/* What encode() appends to every record, so that the client can queue a
 * record and its terminator without making an encoded copy first. NULL,
 * with @error set, when the settings are invalid (as encode() fails). */
const char *_tcpc_line_filter_get_output_terminator (TcpcLineFilter  *self,
                                                     gsize           *length,
                                                     GError         **error);

G_END_DECLS
