/* tcpc-map-filter-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "tcpc-map-filter.h"

G_BEGIN_DECLS

void _tcpc_map_filter_push (TcpcMapFilter *self,
                            GBytes        *record);

G_END_DECLS
