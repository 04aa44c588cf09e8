/* tcpc-block-filter.h
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
 * TCPC_BLOCK_FILTER_DEFAULT_MAX_LENGTH:
 *
 * The default #TcpcBlockFilter:max-length: 1 MiB.
 *
 * Since: 0.1
 */
#define TCPC_BLOCK_FILTER_DEFAULT_MAX_LENGTH (1024 * 1024)

/**
 * TcpcLengthCodec:
 * @TCPC_LENGTH_CODEC_ASCII: the length in decimal ASCII digits followed by a
 *   NUL byte, POE::Filter::Block's default: `"5\0hello"`
 * @TCPC_LENGTH_CODEC_UINT8: an unsigned 8-bit length
 * @TCPC_LENGTH_CODEC_UINT16_BE: an unsigned 16-bit big-endian length
 * @TCPC_LENGTH_CODEC_UINT16_LE: an unsigned 16-bit little-endian length
 * @TCPC_LENGTH_CODEC_UINT32_BE: an unsigned 32-bit big-endian length
 * @TCPC_LENGTH_CODEC_UINT32_LE: an unsigned 32-bit little-endian length
 * @TCPC_LENGTH_CODEC_UINT64_BE: an unsigned 64-bit big-endian length
 * @TCPC_LENGTH_CODEC_UINT64_LE: an unsigned 64-bit little-endian length
 *
 * The length header in front of every record of a length-prefixed
 * #TcpcBlockFilter. The length counts the record's bytes only, not the
 * header. The binary headers are what Netty's LengthFieldBasedFrameDecoder
 * (with a length adjustment of 0 and the header stripped) and Twisted's
 * Int8StringReceiver, Int16StringReceiver and Int32StringReceiver speak.
 *
 * Since: 0.1
 */
typedef enum
{
  TCPC_LENGTH_CODEC_ASCII,
  TCPC_LENGTH_CODEC_UINT8,
  TCPC_LENGTH_CODEC_UINT16_BE,
  TCPC_LENGTH_CODEC_UINT16_LE,
  TCPC_LENGTH_CODEC_UINT32_BE,
  TCPC_LENGTH_CODEC_UINT32_LE,
  TCPC_LENGTH_CODEC_UINT64_BE,
  TCPC_LENGTH_CODEC_UINT64_LE,
} TcpcLengthCodec;

#define TCPC_TYPE_BLOCK_FILTER (tcpc_block_filter_get_type ())

TCPC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (TcpcBlockFilter, tcpc_block_filter, TCPC, BLOCK_FILTER, GObject)

TCPC_AVAILABLE_IN_ALL
TcpcBlockFilter *tcpc_block_filter_new                  (void);
TCPC_AVAILABLE_IN_ALL
TcpcBlockFilter *tcpc_block_filter_new_fixed            (guint             block_size);
TCPC_AVAILABLE_IN_ALL
TcpcBlockFilter *tcpc_block_filter_new_length_prefixed  (TcpcLengthCodec   length_codec);
TCPC_AVAILABLE_IN_ALL
gboolean         tcpc_block_filter_check_settings       (TcpcBlockFilter  *self,
                                                         GError          **error);
TCPC_AVAILABLE_IN_ALL
guint            tcpc_block_filter_get_block_size       (TcpcBlockFilter  *self);
TCPC_AVAILABLE_IN_ALL
void             tcpc_block_filter_set_block_size       (TcpcBlockFilter  *self,
                                                         guint             block_size);
TCPC_AVAILABLE_IN_ALL
TcpcLengthCodec  tcpc_block_filter_get_length_codec     (TcpcBlockFilter  *self);
TCPC_AVAILABLE_IN_ALL
void             tcpc_block_filter_set_length_codec     (TcpcBlockFilter  *self,
                                                         TcpcLengthCodec   length_codec);
TCPC_AVAILABLE_IN_ALL
guint            tcpc_block_filter_get_max_length       (TcpcBlockFilter  *self);
TCPC_AVAILABLE_IN_ALL
void             tcpc_block_filter_set_max_length       (TcpcBlockFilter  *self,
                                                         guint             max_length);

G_END_DECLS
