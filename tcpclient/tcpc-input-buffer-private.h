/* tcpc-input-buffer-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The unparsed input of a filter: carry->data[carry_pos..] followed by
 * chunk_data[pos..chunk_len].
 *
 * The chunk is the last GBytes fed, kept referenced so that records lying in
 * it can be returned as zero-copy slices. The carry buffer holds what is left
 * of earlier chunks. A filter calls _tcpc_input_buffer_release() whenever it
 * is about to report that it needs more input: the rest of the chunk then
 * moves to the carry buffer and the chunk is released, so that an idle
 * filter does not pin a large read buffer.
 */
typedef struct
{
  GBytes       *chunk;
  const guint8 *chunk_data;
  gsize         chunk_len;
  gsize         pos;

  GByteArray   *carry;
  gsize         carry_pos;
} TcpcInputBuffer;

/* @length bytes at @data, which lie within @chunk, as a record that keeps
 * @chunk alive: g_bytes_new_from_bytes() without its argument checks, on
 * the path that every record takes. */
static inline GBytes *
_tcpc_bytes_slice (GBytes       *chunk,
                   const guint8 *data,
                   gsize         length)
{
  return g_bytes_new_with_free_func (data, length, (GDestroyNotify) g_bytes_unref,
                                     g_bytes_ref (chunk));
}

void    _tcpc_input_buffer_init      (TcpcInputBuffer *self);
void    _tcpc_input_buffer_clear     (TcpcInputBuffer *self);
void    _tcpc_input_buffer_reset     (TcpcInputBuffer *self);
void    _tcpc_input_buffer_feed      (TcpcInputBuffer *self,
                                      GBytes          *chunk);
void    _tcpc_input_buffer_release   (TcpcInputBuffer *self);
void    _tcpc_input_buffer_peek      (const TcpcInputBuffer *self,
                                      gsize            offset,
                                      guint8          *dest,
                                      gsize            n);
GBytes *_tcpc_input_buffer_take      (TcpcInputBuffer *self,
                                      gsize            n);
GBytes *_tcpc_input_buffer_take_all  (TcpcInputBuffer *self);
void    _tcpc_input_buffer_skip      (TcpcInputBuffer *self,
                                      gsize            n);

/* The number of unparsed bytes. */
static inline gsize
_tcpc_input_buffer_get_size (const TcpcInputBuffer *self)
{
  return (self->carry->len - self->carry_pos) +
         (self->chunk != NULL ? self->chunk_len - self->pos : 0);
}

/* The unparsed byte at @offset, which must be below the size. */
static inline guint8
_tcpc_input_buffer_peek_byte (const TcpcInputBuffer *self,
                              gsize                  offset)
{
  gsize carry_avail = self->carry->len - self->carry_pos;

  if (offset < carry_avail)
    return self->carry->data[self->carry_pos + offset];

  return self->chunk_data[self->pos + (offset - carry_avail)];
}

G_END_DECLS
