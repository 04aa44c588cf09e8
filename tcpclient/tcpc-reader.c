/* tcpc-reader.c: the input side of a connection
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "tcpc-reader-private.h"

/*
 * Reads go into 64 KiB chunks taken from a small process-wide pool only
 * while a read is being handled: an idle connection holds no buffer. The
 * chunk is wrapped in a GBytes whose free function gives the memory back to
 * the pool, so records may be zero-copy slices of it and a record kept by
 * the application simply keeps its chunk out of the pool.
 */
#define CHUNK_SIZE        (64 * 1024)
#define POOL_MAX          8
#define READS_PER_WAKEUP  8

/*
 * A filter error ends a parse pass. The records behind the bad input, if
 * the filter got past it, are parsed by the next pass, run from the main
 * loop before anything more is read, so they still come first and need no
 * new bytes from the peer. A filter that fails again without getting past
 * its input (one written in Python, say) would make those passes go on
 * forever at full CPU, though the main loop keeps running; so after
 * ERROR_PASSES_MAX passes in a row that ended with an error, without a
 * record or new input in between, the next passes are paced, one every
 * ERROR_PASS_PACE_MS, and reading goes on meanwhile. A long run of bad
 * records that the filter does get past (more than ERROR_PASSES_MAX of
 * them) thus still reaches the good records behind it, only slower; a
 * stuck filter costs a server error every ERROR_PASS_PACE_MS instead of a
 * busy CPU; and the end of the stream is still seen. It is reported once
 * the filter has parsed what it holds, from main-loop iterations again:
 * after a pass without an error, or after as many failed passes as bytes
 * were fed to the filter since it last had nothing but a partial record
 * left (a filter that gets past bad input consumes at least a byte per
 * error), but after EOF_PASSES_MAX failed passes at most, so that a stuck
 * filter holding a lot of input does not keep the CPU busy either.
 */
#define ERROR_PASSES_MAX    64
#define ERROR_PASS_PACE_MS  10
#define EOF_PASSES_MAX      1024

static GMutex   pool_lock;
static gpointer pool[POOL_MAX];
static guint    pool_len;

static gpointer
chunk_alloc (void)
{
  gpointer chunk = NULL;

  g_mutex_lock (&pool_lock);
  if (pool_len > 0)
    chunk = pool[--pool_len];
  g_mutex_unlock (&pool_lock);

  return chunk != NULL ? chunk : g_malloc (CHUNK_SIZE);
}

static void
chunk_release (gpointer chunk)
{
  g_mutex_lock (&pool_lock);
  if (pool_len < POOL_MAX)
    {
      pool[pool_len++] = chunk;
      chunk = NULL;
    }
  g_mutex_unlock (&pool_lock);

  g_free (chunk);
}

struct _TcpcReader
{
  gatomicrefcount            ref_count;

  GInputStream              *stream;
  GPollableInputStream      *pollable;   /* NULL: fall back to read_async */
  GSocket                   *socket;     /* when the stream reads it directly */
  TcpcFilter                *filter;
  GMainContext              *context;
  GCancellable              *cancellable;
  GSource                   *source;
  gpointer                   read_chunk; /* held by an async read in flight */

  const TcpcReaderCallbacks *callbacks;
  gpointer                   owner;

  GSource                   *parse_source;
  gboolean                   parse_paced;  /* parse_source is a paced pass */
  guint64                    fed_since_record;  /* bytes fed since a pass drained the filter */
  gboolean                   eof_pending;  /* seen, reported once parsing is over */
  guint64                    eof_passes_left;
  guint                      dispatching;
  guint                      error_passes; /* in a row, see ERROR_PASSES_MAX */

  guint                      closed : 1;
  guint                      discard : 1;
  guint                      paused : 1;
  guint                      reading : 1;
};

static void tcpc_reader_wait (TcpcReader *self);
static void tcpc_reader_end (TcpcReader *self);

/* A filter (maybe written in Python or JavaScript) that fails without
 * saying why still fails with an error. */
static GError *
filter_failed (GError *error)
{
  if (error != NULL)
    return error;

  return g_error_new_literal (TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_MALFORMED,
                              "The filter failed without an error");
}

static TcpcReader *
tcpc_reader_ref (TcpcReader *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
_tcpc_reader_unref (TcpcReader *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_assert (self->source == NULL);
  g_assert (self->parse_source == NULL);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->filter);
  g_clear_object (&self->socket);
  g_clear_object (&self->stream);
  g_main_context_unref (self->context);
  g_free (self);
}

TcpcReader *
_tcpc_reader_new (GInputStream              *stream,
                  GSocket                   *socket,
                  TcpcFilter                *filter,
                  GMainContext              *context,
                  const TcpcReaderCallbacks *callbacks,
                  gpointer                   owner)
{
  TcpcReader *self = g_new0 (TcpcReader, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->stream = g_object_ref (stream);
  self->socket = socket != NULL ? g_object_ref (socket) : NULL;
  self->filter = g_object_ref (filter);
  self->context = g_main_context_ref (context);
  self->callbacks = callbacks;
  self->owner = owner;

  if (G_IS_POLLABLE_INPUT_STREAM (stream) &&
      g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (stream)))
    self->pollable = G_POLLABLE_INPUT_STREAM (stream);

  return self;
}

TcpcFilter *
_tcpc_reader_get_filter (TcpcReader *self)
{
  return self->filter;
}

static gboolean
tcpc_reader_stopped (TcpcReader *self)
{
  return self->closed || self->discard || self->paused;
}

static void tcpc_reader_parse_later (TcpcReader *self);
static void tcpc_reader_parse_paced (TcpcReader *self);

/* Delivers every record the filter can parse now, up to the first filter
 * error, after which the next pass runs from the main loop (see
 * ERROR_PASSES_MAX). The filter is looked up again after every record: a
 * handler may switch it. */
static void
tcpc_reader_parse (TcpcReader *self)
{
  TcpcFilter *filter = NULL;
  TcpcFilterInterface *iface = NULL;
  gboolean failed = FALSE;

  if (self->closed)
    return;  /* the owner may be gone */

  self->dispatching++;
  self->callbacks->batch (self->owner, TRUE);

  while (!tcpc_reader_stopped (self))
    {
      GError *error = NULL;
      GBytes *record;

      if (filter != self->filter)
        {
          filter = self->filter;
          iface = TCPC_FILTER_GET_IFACE (filter);
        }

      record = iface->next_record (filter, &error);
      if (record != NULL)
        {
          self->error_passes = 0;
          self->callbacks->record (self->owner, record);
          g_bytes_unref (record);
        }
      else if (error != NULL)
        {
          failed = TRUE;
          self->error_passes++;
          self->callbacks->error (self->owner, error, FALSE);
          g_error_free (error);
          break;
        }
      else
        {
          self->fed_since_record = 0;  /* drained: at most a partial record held */
          break;
        }
    }

  if (failed && !tcpc_reader_stopped (self))
    {
      if (self->eof_pending)
        {
          if (self->eof_passes_left > 0)
            {
              self->eof_passes_left--;
              tcpc_reader_parse_later (self);
            }
        }
      else if (self->error_passes < ERROR_PASSES_MAX)
        tcpc_reader_parse_later (self);
      else
        tcpc_reader_parse_paced (self);
    }

  self->dispatching--;
  /* may dispose of the owner, which closes the reader */
  self->callbacks->batch (self->owner, FALSE);
}

/* Feeds one chunk to the filter and delivers every record it yields.
 * Returns FALSE when reading must stop. */
static gboolean
tcpc_reader_handle (TcpcReader *self,
                    GBytes     *chunk)
{
  GError *error = NULL;

  if (self->discard)
    return TRUE;

  if (!tcpc_filter_feed (self->filter, chunk, &error))
    {
      error = filter_failed (error);
      self->callbacks->error (self->owner, error, FALSE);
      g_clear_error (&error);
      return !self->closed;
    }

  self->error_passes = 0;
  self->fed_since_record += g_bytes_get_size (chunk);
  tcpc_reader_parse (self);

  return !self->closed;
}

static gboolean parse_later_cb (gpointer user_data);

static void
tcpc_reader_cancel_parse (TcpcReader *self)
{
  if (self->parse_source != NULL)
    {
      g_source_destroy (self->parse_source);
      g_clear_pointer (&self->parse_source, g_source_unref);
    }
  self->parse_paced = FALSE;
}

/* Whether a pass must run before the next read: all but a paced one. */
static inline gboolean
tcpc_reader_parse_due (TcpcReader *self)
{
  return self->parse_source != NULL && !self->parse_paced;
}

/* Parses from the main loop. Until then no new read starts (see
 * tcpc_reader_wait()), so that the records already buffered come before
 * new input and before the end of the stream. */
static void
tcpc_reader_parse_later (TcpcReader *self)
{
  if (self->parse_source != NULL && !self->parse_paced)
    return;

  tcpc_reader_cancel_parse (self);
  self->parse_source = g_idle_source_new ();
  g_source_set_priority (self->parse_source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (self->parse_source, "[tcpclient] parse");
  g_source_set_callback (self->parse_source, parse_later_cb, self, NULL);
  g_source_attach (self->parse_source, self->context);
}

/* The next pass after ERROR_PASSES_MAX failed ones: a while later, and
 * reading goes on meanwhile. */
static void
tcpc_reader_parse_paced (TcpcReader *self)
{
  if (self->parse_source != NULL)
    return;

  self->parse_source = g_timeout_source_new (ERROR_PASS_PACE_MS);
  self->parse_paced = TRUE;
  g_source_set_static_name (self->parse_source, "[tcpclient] paced parse");
  g_source_set_callback (self->parse_source, parse_later_cb, self, NULL);
  g_source_attach (self->parse_source, self->context);
  tcpc_reader_wait (self);
}

static gboolean
parse_later_cb (gpointer user_data)
{
  TcpcReader *self = tcpc_reader_ref (user_data);

  g_clear_pointer (&self->parse_source, g_source_unref);
  self->parse_paced = FALSE;
  tcpc_reader_parse (self);
  if (self->eof_pending && self->parse_source == NULL && !self->paused)
    tcpc_reader_end (self);
  else
    tcpc_reader_wait (self);
  _tcpc_reader_unref (self);

  return G_SOURCE_REMOVE;
}

/* Switches framings mid-stream: the old filter's unparsed bytes go to the
 * new one, so no byte is lost or parsed twice. Inside a record callback
 * the records of the new filter follow at once; otherwise they are
 * delivered from the main loop. */
void
_tcpc_reader_set_filter (TcpcReader *self,
                         TcpcFilter *filter)
{
  g_autoptr(GBytes) pending = NULL;
  GError *error = NULL;

  if (filter == self->filter)
    return;

  pending = tcpc_filter_take_pending (self->filter);
  g_set_object (&self->filter, filter);
  self->error_passes = 0;

  if (pending == NULL || self->closed)
    return;

  if (!tcpc_filter_feed (self->filter, pending, &error))
    {
      error = filter_failed (error);
      self->callbacks->error (self->owner, error, FALSE);
      g_error_free (error);
      return;
    }

  if (self->dispatching == 0)
    tcpc_reader_parse_later (self);
}

/* Pausing stops reading (the peer's writes then block: TCP flow control)
 * and the delivery of records already received; resuming delivers those
 * from the main loop, then reads again. */
void
_tcpc_reader_set_paused (TcpcReader *self,
                         gboolean    paused)
{
  paused = !!paused;
  if (self->paused == (guint) paused || self->closed)
    return;

  self->paused = paused;
  if (paused)
    {
      if (self->source != NULL)
        {
          g_source_destroy (self->source);
          g_clear_pointer (&self->source, g_source_unref);
        }
    }
  else
    tcpc_reader_parse_later (self);
}

/* Reports the end of the stream, once the filter has parsed what it
 * holds. */
static void
tcpc_reader_end (TcpcReader *self)
{
  if (self->closed)
    return;

  self->closed = TRUE;
  self->callbacks->eof (self->owner);
}

/* Handles the outcome of one read: data, end of stream or an error.
 * Returns TRUE when the reader may read again. */
static gboolean
tcpc_reader_complete (TcpcReader *self,
                      gpointer    chunk,
                      gssize      n_read,
                      GError     *error)
{
  if (n_read > 0)
    {
      GBytes *bytes = g_bytes_new_with_free_func (chunk, n_read, chunk_release, chunk);
      gboolean go_on;

      self->callbacks->data (self->owner, n_read);
      go_on = !self->closed && tcpc_reader_handle (self, bytes);

      g_bytes_unref (bytes);
      return go_on;
    }

  chunk_release (chunk);

  if (self->closed)
    return FALSE;

  if (n_read == 0)
    {
      if (self->parse_source != NULL || self->dispatching > 0)
        {
          /* passes are still to run (paced ones, or one that a handler's
           * nested main loop interrupted): the rest from the main loop,
           * unpaced, before the end is reported (see ERROR_PASSES_MAX) */
          self->eof_pending = TRUE;
          self->eof_passes_left = MIN (self->fed_since_record + 1, EOF_PASSES_MAX);
          tcpc_reader_parse_later (self);
          return FALSE;
        }
      tcpc_reader_end (self);
    }
  else
    {
      self->closed = TRUE;
      self->callbacks->error (self->owner, error, TRUE);
    }

  return FALSE;
}

static gboolean
readable_cb (GObject  *pollable,
             gpointer  user_data)
{
  TcpcReader *self = tcpc_reader_ref (user_data);
  gboolean go_on = TRUE;
  guint i;

  for (i = 0;
       go_on && !self->paused && !tcpc_reader_parse_due (self) && i < READS_PER_WAKEUP;
       i++)
    {
      GError *error = NULL;
      gpointer chunk = chunk_alloc ();
      gssize n_read;

      n_read = g_pollable_input_stream_read_nonblocking (self->pollable, chunk, CHUNK_SIZE,
                                                         NULL, &error);
      if (n_read < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_error_free (error);
          chunk_release (chunk);
          break;
        }

      go_on = tcpc_reader_complete (self, chunk, n_read, error);
      g_clear_error (&error);

      /* A short read means the socket is drained for now. */
      if (n_read >= 0 && n_read < CHUNK_SIZE)
        break;
    }

  if (!self->closed)
    self->callbacks->done (self->owner);

  /* A parse pass is pending: reading resumes after it. */
  if ((self->closed || tcpc_reader_parse_due (self)) && self->source != NULL)
    {
      /* Returning G_SOURCE_REMOVE destroys it; just drop our reference. */
      g_source_unref (self->source);
      self->source = NULL;
      _tcpc_reader_unref (self);
      return G_SOURCE_REMOVE;
    }

  _tcpc_reader_unref (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
socket_readable_cb (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  return readable_cb (NULL, user_data);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  TcpcReader *self = user_data;
  gpointer chunk = self->read_chunk;
  GError *error = NULL;
  gssize n_read;

  self->read_chunk = NULL;
  self->reading = FALSE;
  n_read = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);

  if (self->closed)
    {
      chunk_release (chunk);
      g_clear_error (&error);
    }
  else if (tcpc_reader_complete (self, chunk, n_read, error))
    {
      self->callbacks->done (self->owner);
      if (!self->paused)
        tcpc_reader_wait (self);
    }

  g_clear_error (&error);
  _tcpc_reader_unref (self);
}

static void
tcpc_reader_wait (TcpcReader *self)
{
  /* parse_later_cb() waits once its pass is done */
  if (self->closed || self->paused || self->eof_pending || tcpc_reader_parse_due (self))
    return;

  if (self->pollable != NULL)
    {
      if (self->source != NULL)
        return;
      /* A plain socket is watched directly, which spares the wrapper
       * sources of a pollable stream. The source may recurse: GLib then
       * need not wake the loop up to block and unblock it around every
       * dispatch, and the reader copes with a nested main loop in a
       * handler (records still come out of the one filter in order). */
      if (self->socket != NULL)
        {
          self->source = g_socket_create_source (self->socket, G_IO_IN, NULL);
          g_source_set_callback (self->source, G_SOURCE_FUNC (socket_readable_cb), self, NULL);
        }
      else
        {
          self->source = g_pollable_input_stream_create_source (self->pollable, NULL);
          g_source_set_callback (self->source, (GSourceFunc) readable_cb, self, NULL);
        }
      g_source_set_can_recurse (self->source, TRUE);
      g_source_set_static_name (self->source, "[tcpclient] reader");
      g_source_attach (self->source, self->context);
      return;
    }

  if (self->reading)
    return;

  /* only the asynchronous path (a stream that cannot be polled) needs it */
  if (self->cancellable == NULL)
    self->cancellable = g_cancellable_new ();
  self->reading = TRUE;
  self->read_chunk = chunk_alloc ();
  g_main_context_push_thread_default (self->context);
  g_input_stream_read_async (self->stream, self->read_chunk, CHUNK_SIZE, G_PRIORITY_DEFAULT,
                             self->cancellable, read_cb, tcpc_reader_ref (self));
  g_main_context_pop_thread_default (self->context);
}

void
_tcpc_reader_start (TcpcReader *self)
{
  tcpc_reader_wait (self);
}

void
_tcpc_reader_set_discard (TcpcReader *self,
                          gboolean    discard)
{
  self->discard = !!discard;
}

/* Reads and drops whatever input is already there, so that closing the
 * socket does not answer unread data with a reset. */
void
_tcpc_reader_drain (TcpcReader *self)
{
  guint i;

  if (self->closed || self->pollable == NULL)
    return;

  for (i = 0; i < 64; i++)
    {
      gpointer chunk = chunk_alloc ();
      gssize n_read;

      n_read = g_pollable_input_stream_read_nonblocking (self->pollable, chunk, CHUNK_SIZE,
                                                         NULL, NULL);
      chunk_release (chunk);
      if (n_read <= 0)
        break;
    }
}

void
_tcpc_reader_close (TcpcReader *self)
{
  self->closed = TRUE;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  tcpc_reader_cancel_parse (self);
  if (self->source != NULL)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
}
