/* tcpclient.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#define __TCPCLIENT_INSIDE__

#include "tcpc-version.h"
#include "tcpc-version-macros.h"
#include "tcpc-enum-types.h"
#include "tcpc-filter.h"
#include "tcpc-line-filter.h"
#include "tcpc-stream-filter.h"
#include "tcpc-block-filter.h"
#include "tcpc-netstring-filter.h"
#include "tcpc-stackable-filter.h"
#include "tcpc-map-filter.h"
#include "tcpc-client.h"

#undef __TCPCLIENT_INSIDE__
