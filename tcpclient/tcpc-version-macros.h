/* tcpc-version-macros.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__TCPCLIENT_INSIDE__) && !defined(TCPC_COMPILATION)
# error "Only <tcpclient.h> can be included directly."
#endif

#include <glib.h>

#include "tcpc-version.h"

#ifndef _TCPC_EXTERN
# define _TCPC_EXTERN extern
#endif

/**
 * TCPC_VERSION_0_1:
 *
 * A version token for tcpclient 0.1, for %TCPC_VERSION_MIN_REQUIRED and
 * %TCPC_VERSION_MAX_ALLOWED.
 */
#define TCPC_VERSION_0_1 (G_ENCODE_VERSION (0, 1))

/**
 * TCPC_VERSION_CUR_STABLE:
 *
 * The version token of the tcpclient release a program is compiled
 * against, encoded like %TCPC_VERSION_0_1.
 */
#define TCPC_VERSION_CUR_STABLE (G_ENCODE_VERSION (TCPC_MAJOR_VERSION, TCPC_MINOR_VERSION))

/**
 * TCPC_VERSION_MIN_REQUIRED:
 *
 * The oldest tcpclient release a program wants to stay compatible with, as
 * a version token such as %TCPC_VERSION_0_1, defined before including
 * `tcpclient.h`. It is meant for API that later releases deprecate (0.1
 * deprecates nothing). The default is %TCPC_VERSION_CUR_STABLE. Defining
 * `TCPC_DISABLE_DEPRECATION_WARNINGS` silences every deprecation and
 * availability warning of tcpclient.
 */
#ifndef TCPC_VERSION_MIN_REQUIRED
# define TCPC_VERSION_MIN_REQUIRED (TCPC_VERSION_CUR_STABLE)
#endif

/**
 * TCPC_VERSION_MAX_ALLOWED:
 *
 * The newest tcpclient release whose API a program may use. Define it,
 * before including `tcpclient.h`, to a version token such as
 * %TCPC_VERSION_0_1: using API added after that version then causes a
 * compiler warning. The default is %TCPC_VERSION_CUR_STABLE.
 */
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
