/* tcpc-stream-filter.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "tcpc-stream-filter.h"

#include "tcpc-filter-private.h"
#include "tcpc-input-buffer-private.h"

/**
 * SECTION:tcpc-stream-filter
 * @title: TcpcStreamFilter
 * @short_description: a filter that passes bytes through, like
 *   POE::Filter::Stream
 *
 * #TcpcStreamFilter does no framing at all: tcpc_filter_next_record()
 * returns everything fed since the last record as one record, and
 * tcpc_filter_encode() returns the record unchanged. Used by a #TcpcClient,
 * every read from the socket (up to 64 KiB) becomes one record, so record
 * boundaries depend on how the network delivers the data; use it for raw
 * byte streams, or as the first member of a #TcpcStackableFilter whose
 * next filter does the framing.
 *
 * When exactly one chunk was fed since the last record, the record is that
 * chunk itself, without a copy. Zero-length chunks add nothing, and
 * tcpc_filter_next_record() returns %NULL while nothing is buffered.
 *
 * The filter has no settings and no limit of its own: as long as
 * tcpc_filter_next_record() is called after every tcpc_filter_feed(), it
 * holds at most the last chunk fed.
 *
 * Since: 0.1
 */

/**
 * TcpcStreamFilter:
 *
 * A #TcpcFilter whose records are the received chunks. Its fields are
 * private.
 *
 * Since: 0.1
 */

struct _TcpcStreamFilter
{
  GObject parent_instance;

  TcpcInputBuffer input;
};

static void tcpc_stream_filter_filter_iface_init (TcpcFilterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TcpcStreamFilter, tcpc_stream_filter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TCPC_TYPE_FILTER,
                                                      tcpc_stream_filter_filter_iface_init))

/* TcpcFilter */

static gboolean
tcpc_stream_filter_feed (TcpcFilter  *filter,
                         GBytes      *data,
                         GError     **error)
{
  TcpcStreamFilter *self = (TcpcStreamFilter *) filter;

  _tcpc_input_buffer_feed (&self->input, data);

  return TRUE;
}

static GBytes *
tcpc_stream_filter_next_record (TcpcFilter  *filter,
                                GError     **error)
{
  TcpcStreamFilter *self = (TcpcStreamFilter *) filter;

  return _tcpc_input_buffer_take_all (&self->input);
}

/* records go as they are */
static gboolean
tcpc_stream_filter_frame (TcpcFilter  *filter,
                          gsize        length,
                          TcpcFrame   *frame,
                          GError     **error)
{
  frame->prefix_len = 0;
  frame->suffix = NULL;
  frame->suffix_len = 0;
  return TRUE;
}

static GBytes *
tcpc_stream_filter_encode (TcpcFilter  *filter,
                           GBytes      *record,
                           GError     **error)
{
  return g_bytes_ref (record);
}

static GBytes *
tcpc_stream_filter_take_pending (TcpcFilter *filter)
{
  TcpcStreamFilter *self = (TcpcStreamFilter *) filter;

  return _tcpc_input_buffer_take_all (&self->input);
}

static TcpcFilter *
tcpc_stream_filter_clone (TcpcFilter *filter)
{
  return TCPC_FILTER (tcpc_stream_filter_new ());
}

static void
tcpc_stream_filter_filter_iface_init (TcpcFilterInterface *iface)
{
  iface->feed = tcpc_stream_filter_feed;
  iface->next_record = tcpc_stream_filter_next_record;
  iface->encode = tcpc_stream_filter_encode;
  iface->take_pending = tcpc_stream_filter_take_pending;
  iface->clone = tcpc_stream_filter_clone;
}

/* GObject */

static void
tcpc_stream_filter_finalize (GObject *object)
{
  TcpcStreamFilter *self = (TcpcStreamFilter *) object;

  _tcpc_input_buffer_clear (&self->input);

  G_OBJECT_CLASS (tcpc_stream_filter_parent_class)->finalize (object);
}

static void
tcpc_stream_filter_class_init (TcpcStreamFilterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  _tcpc_filter_type_set_frame_func (G_TYPE_FROM_CLASS (klass), tcpc_stream_filter_frame);

  object_class->finalize = tcpc_stream_filter_finalize;
}

static void
tcpc_stream_filter_init (TcpcStreamFilter *self)
{
  _tcpc_input_buffer_init (&self->input);
}

/* Public API */

/**
 * tcpc_stream_filter_new:
 *
 * Creates a stream filter.
 *
 * Returns: (transfer full): a new #TcpcStreamFilter
 *
 * Since: 0.1
 */
TcpcStreamFilter *
tcpc_stream_filter_new (void)
{
  return g_object_new (TCPC_TYPE_STREAM_FILTER, NULL);
}
