/* tcpc-version-macros.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__TCPCLIENT_INSIDE__) && !defined(TCPC_COMPILATION)
# error "Only <tcpclient/tcpclient.h> can be included directly."
#endif

#include <glib.h>

#include "tcpc-version.h"

#ifndef _TCPC_EXTERN
# define _TCPC_EXTERN extern
#endif

#define TCPC_VERSION_0_1 (G_ENCODE_VERSION (0, 1))

#define TCPC_VERSION_CUR_STABLE (G_ENCODE_VERSION (TCPC_MAJOR_VERSION, TCPC_MINOR_VERSION))

#ifndef TCPC_VERSION_MIN_REQUIRED
# define TCPC_VERSION_MIN_REQUIRED (TCPC_VERSION_CUR_STABLE)
#endif

#ifndef TCPC_VERSION_MAX_ALLOWED
# define TCPC_VERSION_MAX_ALLOWED (TCPC_VERSION_CUR_STABLE)
#endif

#ifdef TCPC_DISABLE_DEPRECATION_WARNINGS
# define TCPC_DEPRECATED _TCPC_EXTERN
# define TCPC_DEPRECATED_FOR(f) _TCPC_EXTERN
# define TCPC_UNAVAILABLE(maj,min) _TCPC_EXTERN
#else
# define TCPC_DEPRECATED G_DEPRECATED _TCPC_EXTERN
# define TCPC_DEPRECATED_FOR(f) G_DEPRECATED_FOR(f) _TCPC_EXTERN
# define TCPC_UNAVAILABLE(maj,min) G_UNAVAILABLE(maj,min) _TCPC_EXTERN
#endif

#define TCPC_AVAILABLE_IN_ALL _TCPC_EXTERN

#if TCPC_VERSION_MAX_ALLOWED < TCPC_VERSION_0_1
# define TCPC_AVAILABLE_IN_0_1 TCPC_UNAVAILABLE(0, 1)
#else
# define TCPC_AVAILABLE_IN_0_1 _TCPC_EXTERN
#endif
