/* tcpc-filter-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "tcpc-filter.h"

G_BEGIN_DECLS

/* The longest prefix a frame may have: a decimal 64-bit length and a
 * delimiter fit. */
#define TCPC_FRAME_PREFIX_MAX 24

/* What a filter's encode() puts around a record of a given length, for a
 * filter whose encode() does nothing else. The suffix points into the
 * filter and stays valid until its settings change. */
typedef struct
{
  guint8      prefix[TCPC_FRAME_PREFIX_MAX];
  gsize       prefix_len;
  const void *suffix;
  gsize       suffix_len;
} TcpcFrame;

/* Fills @frame for a record of @length bytes, or fails as encode() would
 * for such a record. */
typedef gboolean (*TcpcFrameFunc) (TcpcFilter  *filter,
                                   gsize        length,
                                   TcpcFrame   *frame,
                                   GError     **error);

/* Declares that encode() of the instances of @type (a final type) only
 * frames records with @func: a client can then queue a record and its
 * frame without making an encoded copy first. */
void          _tcpc_filter_type_set_frame_func (GType           type,
                                                TcpcFrameFunc   func);
/* The frame function of @filter's type, or NULL when its records can
 * only be encoded with tcpc_filter_encode(). */
TcpcFrameFunc _tcpc_filter_get_frame_func      (TcpcFilter     *filter);
/* encode() of a filter with a frame function: @record framed by @func,
 * @record itself when the frame is empty. */
GBytes       *_tcpc_filter_encode_framed       (TcpcFilter     *filter,
                                                TcpcFrameFunc   func,
                                                GBytes         *record,
                                                GError        **error);

G_END_DECLS
