/* tcpc-writer.c: the output side of a connection
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "tcpc-writer-private.h"

#include <string.h>

/* Records smaller than this are copied into a shared buffer rather than
 * queued one by one, so a burst of small puts becomes a few large writes. */
#define COALESCE_MAX     2048
#define COALESCE_BUFFER  (64 * 1024)
#define MAX_VECTORS      64
#define MAX_WRITE_BYTES  (4 * 1024 * 1024)
/* The first size of a coalescing buffer. One that never outgrew it is
 * kept for the next records once written, so that a conversation of small
 * records allocates nothing per write; a larger one is freed, so that a
 * client that has written keeps at most this while idle. */
#define TAIL_KEEP        256

typedef struct _TcpcKick TcpcKick;

struct _TcpcWriter
{
  gatomicrefcount            ref_count;

  GOutputStream             *stream;
  GMainContext              *context;
  GCancellable              *cancellable;
  TcpcKick                  *kick;       /* starts the next write from the main loop */
  GList                      kick_link;  /* in kick->due while scheduled */
  GPollableOutputStream     *pollable;   /* NULL: write with writev_async */
  GSource                   *ready;      /* waits until the socket takes more */

  GQueue                     queue;      /* of GBytes, waiting */
  /* small records being coalesced: tail_len bytes in a buffer of
   * tail_size, or no buffer */
  guint8                    *tail;
  gsize                      tail_len;
  gsize                      tail_size;
  GPtrArray                 *in_flight;  /* GBytes given to the current write */
  GOutputVector              vectors[MAX_VECTORS];
  gsize                      pending;    /* bytes queued, coalesced or in flight */

  const TcpcWriterCallbacks *callbacks;
  gpointer                   owner;

  guint                      writing : 1;  /* an async write, or a flush, is running */
  guint                      closed : 1;
  guint                      failed : 1;
  guint                      scheduled : 1;  /* in kick->due */
};

/* Writes that put() asks for start from the main loop, never from inside
 * put(): every record put by the same code goes out in one writev, and a
 * reconnect or dispose right after put() sends nothing. One source per
 * GMainContext, shared by the writers on it, starts them: a writer with
 * output to start joins its queue, which allocates nothing per put, and a
 * writer whose owner starts the write itself at the end of a read
 * (_tcpc_writer_flush_now) leaves the queue before the source runs. The
 * source is an ordinary one, so a nested main loop runs it too. */
struct _TcpcKick
{
  GSource       source;
  GMainContext *context;
  GQueue        due;    /* of TcpcWriter, linked through kick_link */
  guint         users;  /* writers holding it; changed under kicks_lock */
};

static GMutex      kicks_lock;
static GHashTable *kicks;  /* GMainContext * -> TcpcKick * */

static void tcpc_writer_write (TcpcWriter *self);
static TcpcWriter *tcpc_writer_ref (TcpcWriter *self);

static gboolean
kick_prepare (GSource *source,
              gint    *timeout)
{
  *timeout = -1;
  return !g_queue_is_empty (&((TcpcKick *) source)->due);
}

static gboolean
kick_check (GSource *source)
{
  return !g_queue_is_empty (&((TcpcKick *) source)->due);
}

static gboolean
kick_dispatch (GSource     *source,
               GSourceFunc  callback,
               gpointer     user_data)
{
  TcpcKick *kick = (TcpcKick *) source;
  guint n = kick->due.length;  /* writers that join meanwhile wait for the next round */
  GList *link;

  while (n-- > 0 && (link = g_queue_pop_head_link (&kick->due)) != NULL)
    {
      TcpcWriter *writer = tcpc_writer_ref (link->data);

      writer->scheduled = FALSE;
      if (!writer->writing && !writer->closed)
        tcpc_writer_write (writer);
      _tcpc_writer_unref (writer);
    }

  return G_SOURCE_CONTINUE;
}

static GSourceFuncs kick_funcs = {
  kick_prepare,
  kick_check,
  kick_dispatch,
  NULL, NULL, NULL,
};

static TcpcKick *
tcpc_kick_acquire (GMainContext *context)
{
  TcpcKick *kick;

  g_mutex_lock (&kicks_lock);
  if (kicks == NULL)
    kicks = g_hash_table_new (NULL, NULL);
  kick = g_hash_table_lookup (kicks, context);
  if (kick == NULL)
    {
      kick = (TcpcKick *) g_source_new (&kick_funcs, sizeof (TcpcKick));
      kick->context = context;
      g_queue_init (&kick->due);
      g_source_set_priority (&kick->source, G_PRIORITY_DEFAULT);
      g_source_set_can_recurse (&kick->source, TRUE);
      g_source_set_static_name (&kick->source, "[tcpclient] writer");
      g_source_attach (&kick->source, context);
      g_hash_table_insert (kicks, context, kick);
    }
  kick->users++;
  g_mutex_unlock (&kicks_lock);

  return kick;
}

static void
tcpc_kick_release (TcpcKick *kick)
{
  gboolean last;

  g_mutex_lock (&kicks_lock);
  last = --kick->users == 0;
  if (last)
    g_hash_table_remove (kicks, kick->context);
  g_mutex_unlock (&kicks_lock);

  if (last)
    {
      g_assert (g_queue_is_empty (&kick->due));
      g_source_destroy (&kick->source);
      g_source_unref (&kick->source);
    }
}

/* The write starts from the main loop (kick_dispatch), or earlier from
 * _tcpc_writer_flush_now. */
static void
tcpc_writer_schedule (TcpcWriter *self)
{
  if (self->kick == NULL)
    self->kick = tcpc_kick_acquire (self->context);

  self->kick_link.data = self;
  g_queue_push_tail_link (&self->kick->due, &self->kick_link);
  self->scheduled = TRUE;

  /* A context that another thread is polling must notice; one that is
   * ours, or nobody's, runs the source in its next iteration anyway. */
  if (self->kick->due.length == 1)
    {
      if (g_main_context_acquire (self->context))
        g_main_context_release (self->context);
      else
        g_main_context_wakeup (self->context);
    }
}

static void
tcpc_writer_unschedule (TcpcWriter *self)
{
  if (!self->scheduled)
    return;

  g_queue_unlink (&self->kick->due, &self->kick_link);
  self->scheduled = FALSE;
}

static TcpcWriter *
tcpc_writer_ref (TcpcWriter *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
_tcpc_writer_unref (TcpcWriter *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_assert (self->kick == NULL && !self->scheduled);
  g_assert (self->ready == NULL);
  g_queue_clear_full (&self->queue, (GDestroyNotify) g_bytes_unref);
  g_free (self->tail);
  g_clear_pointer (&self->in_flight, g_ptr_array_unref);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->stream);
  g_main_context_unref (self->context);
  g_free (self);
}

TcpcWriter *
_tcpc_writer_new (GOutputStream             *stream,
                  GMainContext              *context,
                  const TcpcWriterCallbacks *callbacks,
                  gpointer                   owner)
{
  TcpcWriter *self = g_new0 (TcpcWriter, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->stream = g_object_ref (stream);
  self->context = g_main_context_ref (context);
  self->in_flight = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  self->callbacks = callbacks;
  self->owner = owner;
  g_queue_init (&self->queue);

  if (G_IS_POLLABLE_OUTPUT_STREAM (stream) &&
      g_pollable_output_stream_can_poll (G_POLLABLE_OUTPUT_STREAM (stream)))
    self->pollable = G_POLLABLE_OUTPUT_STREAM (stream);

  return self;
}

static void
tcpc_writer_drop_tail (TcpcWriter *self)
{
  g_clear_pointer (&self->tail, g_free);
  self->tail_len = 0;
  self->tail_size = 0;
}

/* Queues the coalescing buffer behind what is queued already. */
static void
tcpc_writer_seal_tail (TcpcWriter *self)
{
  if (self->tail_len > 0)
    {
      g_queue_push_tail (&self->queue, g_bytes_new_take (g_steal_pointer (&self->tail),
                                                         self->tail_len));
      self->tail_len = 0;
      self->tail_size = 0;
    }
}

/* Room for @size more bytes in the coalescing buffer. */
static inline guint8 *
tcpc_writer_grow_tail (TcpcWriter *self,
                       gsize       size)
{
  gsize needed = self->tail_len + size;

  if (G_UNLIKELY (needed > self->tail_size))
    {
      gsize new_size = MAX (self->tail_size * 2, TAIL_KEEP);

      while (new_size < needed)
        new_size *= 2;
      self->tail = g_realloc (self->tail, new_size);
      self->tail_size = new_size;
    }

  return self->tail + self->tail_len;
}

static void tcpc_writer_consume (TcpcWriter *self,
                                 gsize       written);

static gboolean
tcpc_writer_has_data (TcpcWriter *self)
{
  return !g_queue_is_empty (&self->queue) || self->tail_len > 0;
}

/* Moves queued buffers into the vectors of the next write. */
static guint
tcpc_writer_fill (TcpcWriter *self)
{
  gsize total = 0;
  guint n = 0;

  tcpc_writer_seal_tail (self);

  while (n < MAX_VECTORS && total < MAX_WRITE_BYTES && !g_queue_is_empty (&self->queue))
    {
      GBytes *bytes = g_queue_pop_head (&self->queue);
      gsize size;

      self->vectors[n].buffer = g_bytes_get_data (bytes, &size);
      self->vectors[n].size = size;
      total += size;
      n++;
      g_ptr_array_add (self->in_flight, bytes);
    }

  return n;
}

static void
tcpc_writer_fail (TcpcWriter   *self,
                  const GError *error)
{
  self->failed = TRUE;
  self->closed = TRUE;
  self->callbacks->error (self->owner, error);
}

static gboolean ready_cb (GObject *stream, gpointer user_data);

/* The common case, small records only: the coalescing buffer is written
 * as it is, with no GBytes made of it, and kept for the next records when
 * it stayed small. */
static GPollableReturn
tcpc_writer_write_tail (TcpcWriter  *self,
                        gsize       *written,
                        GError     **error)
{
  GOutputVector vector = { self->tail, self->tail_len };
  GPollableReturn ret;

  ret = g_pollable_output_stream_writev_nonblocking (self->pollable, &vector, 1,
                                                     written, NULL, error);
  if (ret != G_POLLABLE_RETURN_OK)
    *written = 0;
  else if (*written < self->tail_len)
    {
      /* the buffer keeps its size: below, it is kept only if it never
       * outgrew TAIL_KEEP */
      memmove (self->tail, self->tail + *written, self->tail_len - *written);
      self->tail_len -= *written;
    }
  else if (self->tail_size <= TAIL_KEEP)
    self->tail_len = 0;
  else
    tcpc_writer_drop_tail (self);

  return ret;
}

/* Writes without blocking for as long as the socket takes it, from a
 * main-loop dispatch (never from inside put()). What does not fit waits
 * for the socket to become writable. */
static void
tcpc_writer_flush (TcpcWriter *self)
{
  gboolean wrote = FALSE;

  g_assert (self->pollable != NULL && !self->writing && self->ready == NULL);

  tcpc_writer_ref (self);
  self->writing = TRUE;

  while (!self->closed && tcpc_writer_has_data (self))
    {
      GError *error = NULL;
      gsize written = 0;
      GPollableReturn ret;

      if (g_queue_is_empty (&self->queue))
        ret = tcpc_writer_write_tail (self, &written, &error);
      else
        {
          guint n = tcpc_writer_fill (self);

          ret = g_pollable_output_stream_writev_nonblocking (self->pollable, self->vectors, n,
                                                             &written, NULL, &error);
          tcpc_writer_consume (self, ret == G_POLLABLE_RETURN_OK ? written : 0);
        }

      if (ret == G_POLLABLE_RETURN_WOULD_BLOCK)
        {
          self->ready = g_pollable_output_stream_create_source (self->pollable, NULL);
          g_source_set_static_name (self->ready, "[tcpclient] writer");
          g_source_set_callback (self->ready, (GSourceFunc) ready_cb, self, NULL);
          g_source_attach (self->ready, self->context);
          break;
        }
      if (ret != G_POLLABLE_RETURN_OK)
        {
          tcpc_writer_fail (self, error);
          g_clear_error (&error);
          break;
        }

      wrote = TRUE;
      self->pending -= written;
      self->callbacks->written (self->owner, written);
    }

  self->writing = FALSE;
  if (wrote && !self->closed && self->ready == NULL && !tcpc_writer_has_data (self))
    self->callbacks->flushed (self->owner);

  _tcpc_writer_unref (self);
}

static gboolean
ready_cb (GObject  *stream,
          gpointer  user_data)
{
  TcpcWriter *self = user_data;

  g_clear_pointer (&self->ready, g_source_unref);
  tcpc_writer_flush (self);

  return G_SOURCE_REMOVE;
}

/* Drops what a write took from the buffers in flight; a buffer written in
 * part goes back to the head of the queue with what is left of it. Each
 * write reports what it wrote, so the counts follow the socket's pace. */
static void
tcpc_writer_consume (TcpcWriter *self,
                     gsize       written)
{
  guint i;

  for (i = self->in_flight->len; i > 0; i--)
    {
      GBytes *bytes = g_ptr_array_index (self->in_flight, i - 1);
      gsize start = 0, size = g_bytes_get_size (bytes);
      guint j;

      for (j = 0; j < i - 1; j++)
        start += g_bytes_get_size (g_ptr_array_index (self->in_flight, j));

      if (start + size <= written)
        break;
      if (start >= written)
        g_queue_push_head (&self->queue, g_bytes_ref (bytes));
      else
        g_queue_push_head (&self->queue,
                           g_bytes_new_from_bytes (bytes, written - start,
                                                   size - (written - start)));
    }

  g_ptr_array_set_size (self->in_flight, 0);
}

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  TcpcWriter *self = user_data;
  GError *error = NULL;
  gsize written = 0;

  g_output_stream_writev_finish (G_OUTPUT_STREAM (object), result, &written, &error);
  self->writing = FALSE;
  tcpc_writer_consume (self, written);

  if (self->closed)
    {
      g_clear_error (&error);
      _tcpc_writer_unref (self);
      return;
    }

  if (error != NULL)
    {
      tcpc_writer_fail (self, error);
      g_error_free (error);
      _tcpc_writer_unref (self);
      return;
    }

  self->pending -= written;
  self->callbacks->written (self->owner, written);

  if (self->closed)
    ;
  else if (tcpc_writer_has_data (self))
    {
      if (!self->writing)
        tcpc_writer_write (self);
    }
  else
    self->callbacks->flushed (self->owner);

  _tcpc_writer_unref (self);
}

static void
tcpc_writer_write (TcpcWriter *self)
{
  guint n;

  g_assert (!self->writing);

  if (self->pollable != NULL)
    {
      if (self->ready == NULL)
        tcpc_writer_flush (self);
      return;
    }

  n = tcpc_writer_fill (self);
  if (n == 0)
    return;

  /* only the asynchronous path (a stream that cannot be polled) needs it */
  if (self->cancellable == NULL)
    self->cancellable = g_cancellable_new ();
  self->writing = TRUE;
  g_main_context_push_thread_default (self->context);
  g_output_stream_writev_async (self->stream, self->vectors, n, G_PRIORITY_DEFAULT,
                                self->cancellable, written_cb, tcpc_writer_ref (self));
  g_main_context_pop_thread_default (self->context);
}

/* Starts the write that put() scheduled now: called by the owner at the
 * end of a dispatch of its own (after a read), which spares a main-loop
 * iteration per request and answer. */
void
_tcpc_writer_flush_now (TcpcWriter *self)
{
  if (!self->scheduled)
    return;

  tcpc_writer_unschedule (self);
  if (!self->writing && !self->closed)
    tcpc_writer_write (self);
}

/* Queues an encoded record given in three parts: @prefix_len bytes at
 * @prefix, @size bytes at @data (the data of @record, when there is one:
 * a large record is then queued without a copy) and @suffix_len bytes at
 * @suffix. */
void
_tcpc_writer_push_parts (TcpcWriter *self,
                         const void *prefix,
                         gsize       prefix_len,
                         GBytes     *record,
                         const void *data,
                         gsize       size,
                         const void *suffix,
                         gsize       suffix_len)
{
  gsize total = prefix_len + size + suffix_len;

  if (self->closed || total == 0)
    return;

  self->pending += total;

  if (total <= COALESCE_MAX)
    {
      guint8 *dest;

      if (self->tail_len + total > COALESCE_BUFFER)
        tcpc_writer_seal_tail (self);
      dest = tcpc_writer_grow_tail (self, total);
      if (prefix_len > 0)
        memcpy (dest, prefix, prefix_len);
      if (size > 0)
        memcpy (dest + prefix_len, data, size);
      if (suffix_len > 0)
        memcpy (dest + prefix_len + size, suffix, suffix_len);
      self->tail_len += total;
    }
  else
    {
      tcpc_writer_seal_tail (self);
      if (record != NULL)
        {
          /* a large record is queued as it is, between copies of its
           * frame */
          if (prefix_len > 0)
            g_queue_push_tail (&self->queue, g_bytes_new (prefix, prefix_len));
          if (size > 0)
            g_queue_push_tail (&self->queue, g_bytes_ref (record));
          if (suffix_len > 0)
            g_queue_push_tail (&self->queue, g_bytes_new (suffix, suffix_len));
        }
      else
        {
          guint8 *buf = g_malloc (total);

          if (prefix_len > 0)
            memcpy (buf, prefix, prefix_len);
          if (size > 0)
            memcpy (buf + prefix_len, data, size);
          if (suffix_len > 0)
            memcpy (buf + prefix_len + size, suffix, suffix_len);
          g_queue_push_tail (&self->queue, g_bytes_new_take (buf, total));
        }
    }

  if (!self->writing && !self->scheduled && self->ready == NULL)
    tcpc_writer_schedule (self);
}

void
_tcpc_writer_push (TcpcWriter *self,
                   GBytes     *bytes)
{
  gsize size;
  gconstpointer data = g_bytes_get_data (bytes, &size);

  _tcpc_writer_push_parts (self, NULL, 0, bytes, data, size, NULL, 0);
}

gsize
_tcpc_writer_get_pending (TcpcWriter *self)
{
  return self->pending;
}

gboolean
_tcpc_writer_has_failed (TcpcWriter *self)
{
  return self->failed;
}

void
_tcpc_writer_close (TcpcWriter *self)
{
  self->closed = TRUE;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  tcpc_writer_unschedule (self);
  if (self->kick != NULL)
    tcpc_kick_release (g_steal_pointer (&self->kick));
  if (self->ready != NULL)
    {
      g_source_destroy (self->ready);
      g_clear_pointer (&self->ready, g_source_unref);
    }
}
