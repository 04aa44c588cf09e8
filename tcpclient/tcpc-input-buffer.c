/* tcpc-input-buffer.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "tcpc-input-buffer-private.h"

#include <string.h>

/* A carry buffer larger than this is freed rather than emptied when the
 * input is dropped.
 */
#define LARGE_CARRY 65536

static inline gsize
carry_avail (const TcpcInputBuffer *self)
{
  return self->carry->len - self->carry_pos;
}

static inline gsize
chunk_avail (const TcpcInputBuffer *self)
{
  return self->chunk != NULL ? self->chunk_len - self->pos : 0;
}

static void
carry_clear (TcpcInputBuffer *self)
{
  /* Do not keep a large carry buffer allocated for nothing. */
  if (self->carry->len > LARGE_CARRY)
    {
      g_byte_array_unref (self->carry);
      self->carry = g_byte_array_new ();
    }
  else
    g_byte_array_set_size (self->carry, 0);

  self->carry_pos = 0;
}

/* Drops the consumed head of the carry buffer. */
static void
carry_compact (TcpcInputBuffer *self)
{
  if (self->carry_pos == 0)
    return;

  if (self->carry_pos == self->carry->len)
    carry_clear (self);
  else
    {
      g_byte_array_remove_range (self->carry, 0, self->carry_pos);
      self->carry_pos = 0;
    }
}

static void
drop_chunk (TcpcInputBuffer *self)
{
  g_clear_pointer (&self->chunk, g_bytes_unref);
  self->chunk_data = NULL;
  self->chunk_len = 0;
  self->pos = 0;
}

void
_tcpc_input_buffer_init (TcpcInputBuffer *self)
{
  memset (self, 0, sizeof *self);
  self->carry = g_byte_array_new ();
}

/* Frees everything; the buffer must be initialised again before use. */
void
_tcpc_input_buffer_clear (TcpcInputBuffer *self)
{
  drop_chunk (self);
  g_clear_pointer (&self->carry, g_byte_array_unref);
}

/* Drops the unparsed input. */
void
_tcpc_input_buffer_reset (TcpcInputBuffer *self)
{
  drop_chunk (self);
  carry_clear (self);
}

/* Moves the unparsed rest of the chunk to the carry buffer and releases
 * the chunk.
 */
void
_tcpc_input_buffer_release (TcpcInputBuffer *self)
{
  carry_compact (self);

  if (chunk_avail (self) > 0)
    g_byte_array_append (self->carry, self->chunk_data + self->pos,
                         chunk_avail (self));

  drop_chunk (self);
}

/* Appends @chunk to the unparsed input. */
void
_tcpc_input_buffer_feed (TcpcInputBuffer *self,
                         GBytes          *chunk)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (chunk, &size);

  if (size == 0)
    return;

  /* Input left over because the filter was not asked for records until it
   * needed more: keep it before the new chunk.
   */
  if (self->chunk != NULL)
    _tcpc_input_buffer_release (self);

  self->chunk = g_bytes_ref (chunk);
  self->chunk_data = data;
  self->chunk_len = size;
  self->pos = 0;
}

/* Copies @n unparsed bytes from @offset to @dest. */
void
_tcpc_input_buffer_peek (const TcpcInputBuffer *self,
                         gsize                  offset,
                         guint8                *dest,
                         gsize                  n)
{
  gsize cavail = carry_avail (self);

  g_assert (offset + n <= _tcpc_input_buffer_get_size (self));

  if (offset < cavail)
    {
      gsize from_carry = MIN (n, cavail - offset);

      memcpy (dest, self->carry->data + self->carry_pos + offset, from_carry);
      dest += from_carry;
      n -= from_carry;
      offset = 0;
    }
  else
    offset -= cavail;

  if (n > 0)
    memcpy (dest, self->chunk_data + self->pos + offset, n);
}

/* Consumes @n unparsed bytes. */
void
_tcpc_input_buffer_skip (TcpcInputBuffer *self,
                         gsize            n)
{
  gsize cavail = carry_avail (self);

  g_assert (n <= _tcpc_input_buffer_get_size (self));

  if (n >= cavail && cavail > 0)
    {
      n -= cavail;
      carry_clear (self);
    }
  else if (n < cavail)
    {
      self->carry_pos += n;
      n = 0;
    }

  self->pos += n;
}

/* Consumes @n unparsed bytes and returns them: a slice of the chunk when
 * they lie within it, a copy otherwise.
 */
GBytes *
_tcpc_input_buffer_take (TcpcInputBuffer *self,
                         gsize            n)
{
  gsize cavail = carry_avail (self);
  GBytes *bytes;
  guint8 *buf;

  g_assert (n <= _tcpc_input_buffer_get_size (self));

  if (n == 0)
    return g_bytes_new (NULL, 0);

  if (cavail == 0)
    {
      bytes = _tcpc_bytes_slice (self->chunk, self->chunk_data + self->pos, n);
      self->pos += n;
      return bytes;
    }

  if (n <= cavail)
    {
      bytes = g_bytes_new (self->carry->data + self->carry_pos, n);
      self->carry_pos += n;
      if (self->carry_pos == self->carry->len)
        carry_clear (self);
      return bytes;
    }

  buf = g_malloc (n);
  memcpy (buf, self->carry->data + self->carry_pos, cavail);
  memcpy (buf + cavail, self->chunk_data + self->pos, n - cavail);
  self->pos += n - cavail;
  carry_clear (self);

  return g_bytes_new_take (buf, n);
}

/* Consumes all unparsed bytes and returns them, or %NULL when there are
 * none. A whole chunk is returned as it is. The chunk is released.
 */
GBytes *
_tcpc_input_buffer_take_all (TcpcInputBuffer *self)
{
  gsize size = _tcpc_input_buffer_get_size (self);
  GBytes *bytes;

  if (size == 0)
    bytes = NULL;
  else if (carry_avail (self) == 0 && self->pos == 0)
    bytes = g_bytes_ref (self->chunk);
  else
    bytes = _tcpc_input_buffer_take (self, size);

  _tcpc_input_buffer_reset (self);

  return bytes;
}
