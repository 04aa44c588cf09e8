/* tcpc-map-filter.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "tcpc-map-filter.h"
#include "tcpc-map-filter-private.h"

#include <string.h>

/**
 * SECTION:tcpc-map-filter
 * @title: TcpcMapFilter
 * @short_description: records transformed or dropped by callbacks, like
 *   POE::Filter::Map and POE::Filter::Grep
 *
 * #TcpcMapFilter runs every record through a #TcpcMapFunc: the input
 * function on the way in (tcpc_filter_next_record()), the output function
 * on the way out (tcpc_filter_encode()). A function returns the record to
 * pass on, a new one or the same with a new reference, or %NULL to drop
 * it, so the filter does what POE::Filter::Map and POE::Filter::Grep do. A
 * %NULL function passes records through unchanged.
 *
 * The filter does no framing of its own. It is meant to be stacked behind
 * a framing filter in a #TcpcStackableFilter, where every record of the
 * filter before it is one record for it. On its own every chunk fed is one
 * record; a chunk of zero bytes is no record (a #TcpcClient feeds one to
 * check its filter before connecting), while in a stack an empty record
 * of the filter before is passed on as an empty record.
 *
 * Records the input function drops are skipped within the same
 * tcpc_filter_next_record() call: fed `"a"`, `"skip"` and `"b"`, with
 * `"skip"` dropped, the filter returns `"a"` and `"b"` from consecutive
 * calls, without waiting for more input. When the output function drops a
 * record, tcpc_filter_encode() returns %NULL without an error, and
 * tcpc_client_put() sends nothing and succeeds.
 *
 * tcpc_filter_clone() shares the functions: their destroy notifiers run
 * once, when the last filter using them is finalized or changes them.
 * tcpc_filter_take_pending() returns the records not parsed yet, joined
 * into one #GBytes.
 *
 * From Python and JavaScript the functions are plain callables:
 * `Tcpc.MapFilter.new(lambda r: GLib.Bytes.new(r.get_data().upper()), None)`.
 *
 * Since: 0.1
 */

/**
 * TcpcMapFilter:
 *
 * A #TcpcFilter that transforms or drops records with callbacks. Its
 * fields are private.
 *
 * Since: 0.1
 */

/* A function with its data, shared by a filter and its clones. */
typedef struct
{
  gatomicrefcount ref_count;
  TcpcMapFunc func;
  gpointer data;
  GDestroyNotify destroy;
} MapFunc;

struct _TcpcMapFilter
{
  GObject parent_instance;

  MapFunc *input;    /* nullable */
  MapFunc *output;   /* nullable */

  /* Records fed and not parsed yet. */
  GQueue queue;
};

static void tcpc_map_filter_filter_iface_init (TcpcFilterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TcpcMapFilter, tcpc_map_filter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TCPC_TYPE_FILTER,
                                                      tcpc_map_filter_filter_iface_init))

/* MapFunc */

static MapFunc *
map_func_new (TcpcMapFunc    func,
              gpointer       data,
              GDestroyNotify destroy)
{
  MapFunc *self;

  if (func == NULL)
    {
      if (destroy != NULL)
        destroy (data);
      return NULL;
    }

  self = g_new0 (MapFunc, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->func = func;
  self->data = data;
  self->destroy = destroy;

  return self;
}

static MapFunc *
map_func_ref (MapFunc *self)
{
  if (self != NULL)
    g_atomic_ref_count_inc (&self->ref_count);

  return self;
}

static void
map_func_unref (MapFunc *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;

  if (self->destroy != NULL)
    self->destroy (self->data);
  g_free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MapFunc, map_func_unref)

/* Calls @func on @record. */
static GBytes *
map_func_call (MapFunc *func,
               GBytes  *record)
{
  /* The function may replace itself while it runs. */
  g_autoptr(MapFunc) hold = map_func_ref (func);

  return hold->func (record, hold->data);
}

/* TcpcFilter */

void
_tcpc_map_filter_push (TcpcMapFilter *self,
                       GBytes        *record)
{
  g_queue_push_tail (&self->queue, g_bytes_ref (record));
}

static gboolean
tcpc_map_filter_feed (TcpcFilter  *filter,
                      GBytes      *data,
                      GError     **error)
{
  TcpcMapFilter *self = (TcpcMapFilter *) filter;

  if (g_bytes_get_size (data) > 0)
    _tcpc_map_filter_push (self, data);

  return TRUE;
}

static GBytes *
tcpc_map_filter_next_record (TcpcFilter  *filter,
                             GError     **error)
{
  TcpcMapFilter *self = (TcpcMapFilter *) filter;
  GBytes *record;

  while ((record = g_queue_pop_head (&self->queue)) != NULL)
    {
      GBytes *mapped;

      if (self->input == NULL)
        return record;

      mapped = map_func_call (self->input, record);
      g_bytes_unref (record);

      if (mapped != NULL)
        return mapped;
    }

  return NULL;
}

static GBytes *
tcpc_map_filter_encode (TcpcFilter  *filter,
                        GBytes      *record,
                        GError     **error)
{
  TcpcMapFilter *self = (TcpcMapFilter *) filter;

  if (self->output == NULL)
    return g_bytes_ref (record);

  return map_func_call (self->output, record);
}

static GBytes *
tcpc_map_filter_take_pending (TcpcFilter *filter)
{
  TcpcMapFilter *self = (TcpcMapFilter *) filter;
  GByteArray *joined;
  GBytes *record;
  GList *l;
  gsize total = 0;

  for (l = self->queue.head; l != NULL; l = l->next)
    total += g_bytes_get_size (l->data);

  if (total == 0)
    {
      g_queue_clear_full (&self->queue, (GDestroyNotify) g_bytes_unref);
      return NULL;
    }

  if (self->queue.length == 1)
    return g_queue_pop_head (&self->queue);

  joined = g_byte_array_sized_new (total);
  while ((record = g_queue_pop_head (&self->queue)) != NULL)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (record, &size);

      g_byte_array_append (joined, data, size);
      g_bytes_unref (record);
    }

  return g_byte_array_free_to_bytes (joined);
}

static TcpcFilter *
tcpc_map_filter_clone (TcpcFilter *filter)
{
  TcpcMapFilter *self = (TcpcMapFilter *) filter;
  TcpcMapFilter *clone = g_object_new (TCPC_TYPE_MAP_FILTER, NULL);

  clone->input = map_func_ref (self->input);
  clone->output = map_func_ref (self->output);

  return TCPC_FILTER (clone);
}

static void
tcpc_map_filter_filter_iface_init (TcpcFilterInterface *iface)
{
  iface->feed = tcpc_map_filter_feed;
  iface->next_record = tcpc_map_filter_next_record;
  iface->encode = tcpc_map_filter_encode;
  iface->take_pending = tcpc_map_filter_take_pending;
  iface->clone = tcpc_map_filter_clone;
}

/* GObject */

static void
tcpc_map_filter_dispose (GObject *object)
{
  TcpcMapFilter *self = (TcpcMapFilter *) object;

  /* The functions may hold references to the filter (a closure of a
   * binding): drop them in dispose to break such cycles.
   */
  g_clear_pointer (&self->input, map_func_unref);
  g_clear_pointer (&self->output, map_func_unref);

  G_OBJECT_CLASS (tcpc_map_filter_parent_class)->dispose (object);
}

static void
tcpc_map_filter_finalize (GObject *object)
{
  TcpcMapFilter *self = (TcpcMapFilter *) object;

  g_queue_clear_full (&self->queue, (GDestroyNotify) g_bytes_unref);

  G_OBJECT_CLASS (tcpc_map_filter_parent_class)->finalize (object);
}

static void
tcpc_map_filter_class_init (TcpcMapFilterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tcpc_map_filter_dispose;
  object_class->finalize = tcpc_map_filter_finalize;
}

static void
tcpc_map_filter_init (TcpcMapFilter *self)
{
  g_queue_init (&self->queue);
}

/* Public API */

/**
 * tcpc_map_filter_new:
 * @input: (scope notified) (closure input_data) (destroy input_destroy) (nullable):
 *   the function applied to every received record, or %NULL to pass
 *   records through
 * @input_data: the data passed to @input
 * @input_destroy: (nullable): called with @input_data when @input is no
 *   longer used
 * @output: (scope notified) (closure output_data) (destroy output_destroy) (nullable):
 *   the function applied to every record to send, or %NULL to pass records
 *   through
 * @output_data: the data passed to @output
 * @output_destroy: (nullable): called with @output_data when @output is no
 *   longer used
 *
 * Creates a map filter (POE's `Get` and `Put`; for POE's `Code`, pass the
 * same function twice).
 *
 * Returns: (transfer full): a new #TcpcMapFilter
 *
 * Since: 0.1
 */
TcpcMapFilter *
tcpc_map_filter_new (TcpcMapFunc    input,
                     gpointer       input_data,
                     GDestroyNotify input_destroy,
                     TcpcMapFunc    output,
                     gpointer       output_data,
                     GDestroyNotify output_destroy)
{
  TcpcMapFilter *self = g_object_new (TCPC_TYPE_MAP_FILTER, NULL);

  self->input = map_func_new (input, input_data, input_destroy);
  self->output = map_func_new (output, output_data, output_destroy);

  return self;
}

/**
 * tcpc_map_filter_set_input_func:
 * @self: a #TcpcMapFilter
 * @input: (scope notified) (closure input_data) (destroy input_destroy) (nullable):
 *   the function applied to every received record, or %NULL to pass
 *   records through
 * @input_data: the data passed to @input
 * @input_destroy: (nullable): called with @input_data when @input is no
 *   longer used
 *
 * Replaces the input function (POE's `modify (Get => ...)`). Clones made
 * before keep the function they had.
 *
 * Since: 0.1
 */
void
tcpc_map_filter_set_input_func (TcpcMapFilter  *self,
                                TcpcMapFunc     input,
                                gpointer        input_data,
                                GDestroyNotify  input_destroy)
{
  MapFunc *old;

  g_return_if_fail (TCPC_IS_MAP_FILTER (self));

  old = g_steal_pointer (&self->input);
  self->input = map_func_new (input, input_data, input_destroy);
  map_func_unref (old);
}

/**
 * tcpc_map_filter_set_output_func:
 * @self: a #TcpcMapFilter
 * @output: (scope notified) (closure output_data) (destroy output_destroy) (nullable):
 *   the function applied to every record to send, or %NULL to pass records
 *   through
 * @output_data: the data passed to @output
 * @output_destroy: (nullable): called with @output_data when @output is no
 *   longer used
 *
 * Replaces the output function (POE's `modify (Put => ...)`). Clones made
 * before keep the function they had.
 *
 * Since: 0.1
 */
void
tcpc_map_filter_set_output_func (TcpcMapFilter  *self,
                                 TcpcMapFunc     output,
                                 gpointer        output_data,
                                 GDestroyNotify  output_destroy)
{
  MapFunc *old;

  g_return_if_fail (TCPC_IS_MAP_FILTER (self));

  old = g_steal_pointer (&self->output);
  self->output = map_func_new (output, output_data, output_destroy);
  map_func_unref (old);
}
