/* tcpc-stackable-filter.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "tcpc-stackable-filter.h"

#include "tcpc-map-filter-private.h"

/**
 * SECTION:tcpc-stackable-filter
 * @title: TcpcStackableFilter
 * @short_description: filters in a row, like POE::Filter::Stackable
 *
 * #TcpcStackableFilter chains filters. The first filter is on the wire
 * side: received bytes are fed to it, every record it parses is fed to the
 * second filter as one chunk, and so on; the records of the last filter are
 * the records of the stack. Records to send go the other way, from the last
 * filter's tcpc_filter_encode() to the first's. A stack of
 * [#TcpcLineFilter, #TcpcMapFilter] thus uppercases every line received,
 * for example, and the bytes of a #TcpcBlockFilter record can be split into
 * lines by stacking [#TcpcBlockFilter, #TcpcLineFilter].
 *
 * tcpc_filter_next_record() pulls: it asks the last filter for a record;
 * when that needs more input, it asks the filter before it for one record
 * and feeds it, and so on down to the first filter, until a record comes
 * out or no filter can parse anything more. Records therefore come out in
 * order and one at a time, and each member is fed only once it has parsed
 * all it could, which keeps the members' own memory bounds. A record the
 * encode of a member drops (%NULL without an error) is dropped by the stack.
 *
 * The list is changed with tcpc_stackable_filter_push() (append, on the
 * record side), tcpc_stackable_filter_unshift() (prepend, on the wire
 * side), tcpc_stackable_filter_pop() and tcpc_stackable_filter_shift(), and
 * read with tcpc_stackable_filter_get_filters(). Unparsed wire bytes stay
 * on the wire side when the first filter changes: tcpc_stackable_filter_shift()
 * feeds the unparsed bytes of the removed filter to the new first filter,
 * and tcpc_stackable_filter_unshift() feeds those of the former first filter
 * to the new one. tcpc_stackable_filter_pop() leaves the unparsed bytes of
 * the removed filter in it, for tcpc_filter_take_pending(). (POE loses the
 * bytes in both cases.)
 *
 * tcpc_filter_take_pending() on the stack returns the unparsed bytes of
 * the first filter, the only bytes still in their wire form. What the later
 * filters hold (records of the first filter not parsed by the second yet,
 * and so on) stays in them: the stack's next records still come from it,
 * and tcpc_stackable_filter_get_filters() reaches it.
 *
 * tcpc_filter_clone() clones every member. A stack without filters, and a
 * clone of a stack whose member could not be cloned (a filter written in
 * another language whose clone returned nothing), are invalid:
 * tcpc_filter_feed(), tcpc_filter_next_record() and tcpc_filter_encode()
 * fail with %TCPC_FILTER_ERROR_INVALID_SETTINGS, and a #TcpcClient reports
 * it before it connects. An empty chunk given to tcpc_filter_feed() (a
 * client's check before it connects) is also given to a clone of every
 * later member, so a member with invalid settings anywhere in the stack is
 * reported before the client connects. A member that fails without setting
 * an error is
 * reported as %TCPC_FILTER_ERROR_MALFORMED. A stack must not contain
 * itself.
 *
 * Since: 0.1
 */

/**
 * TcpcStackableFilter:
 *
 * A #TcpcFilter made of other filters. Its fields are private.
 *
 * Since: 0.1
 */

struct _TcpcStackableFilter
{
  GObject parent_instance;

  /* The members, first = wire side. */
  GPtrArray *filters;
  /* Set on a clone when a member could not be cloned. */
  GError *clone_error;
};

static void tcpc_stackable_filter_filter_iface_init (TcpcFilterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TcpcStackableFilter, tcpc_stackable_filter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TCPC_TYPE_FILTER,
                                                      tcpc_stackable_filter_filter_iface_init))

static gboolean
check_usable (TcpcStackableFilter  *self,
              GError              **error)
{
  if (self->clone_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->clone_error));
      return FALSE;
    }

  if (self->filters->len == 0)
    {
      g_set_error_literal (error, TCPC_FILTER_ERROR,
                           TCPC_FILTER_ERROR_INVALID_SETTINGS,
                           "TcpcStackableFilter has no filters");
      return FALSE;
    }

  return TRUE;
}

static inline TcpcFilter *
member (TcpcStackableFilter *self,
        guint                i)
{
  return g_ptr_array_index (self->filters, i);
}

/* Not tcpc_filter_clone(): a filter written in another language may
 * return nothing (or something else), which is not a critical here but
 * NULL. */
static TcpcFilter *
clone_member (TcpcFilter *original)
{
  gpointer copy = TCPC_FILTER_GET_IFACE (original)->clone (original);

  if (copy != NULL && TCPC_IS_FILTER (copy))
    return copy;

  if (copy != NULL && G_IS_OBJECT (copy))
    g_object_unref (copy);
  return NULL;
}

static gboolean feed_filter (TcpcFilter  *filter,
                             guint        i,
                             GBytes      *data,
                             GError     **error);

/* Feeds @data to the member at @i. Records for a later member are fed even
 * when empty: an empty record is a record there.
 */
static gboolean
member_feed (TcpcStackableFilter  *self,
             guint                 i,
             GBytes               *data,
             GError              **error)
{
  g_autoptr(TcpcFilter) filter = g_object_ref (member (self, i));

  if (i > 0 && TCPC_IS_MAP_FILTER (filter))
    {
      _tcpc_map_filter_push (TCPC_MAP_FILTER (filter), data);
      return TRUE;
    }

  return feed_filter (filter, i, data, error);
}

/* tcpc_filter_feed() on @filter, the member at @i */
static gboolean
feed_filter (TcpcFilter  *filter,
             guint        i,
             GBytes      *data,
             GError     **error)
{
  GError *local_error = NULL;

  if (tcpc_filter_feed (filter, data, &local_error))
    {
      g_clear_error (&local_error);
      return TRUE;
    }

  if (local_error == NULL)
    local_error = g_error_new (TCPC_FILTER_ERROR, TCPC_FILTER_ERROR_MALFORMED,
                               "Filter %u (%s) of a TcpcStackableFilter failed "
                               "to take input without saying why",
                               i, G_OBJECT_TYPE_NAME (filter));
  g_propagate_error (error, local_error);

  return FALSE;
}

/* The next record of the member at @i, fed with the records of the members
 * before it as needed.
 */
static GBytes *
pull (TcpcStackableFilter  *self,
      guint                 i,
      GError              **error)
{
  for (;;)
    {
      g_autoptr(TcpcFilter) filter = NULL;
      GError *local_error = NULL;
      GBytes *record;
      gboolean fed;

      /* A callback may have changed the list. */
      if (i >= self->filters->len)
        return NULL;

      filter = g_object_ref (member (self, i));
      record = tcpc_filter_next_record (filter, &local_error);
      if (record != NULL)
        {
          g_clear_error (&local_error);
          return record;
        }

      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return NULL;
        }

      if (i == 0)
        return NULL;

      record = pull (self, i - 1, error);
      if (record == NULL)
        return NULL;

      fed = i < self->filters->len && member_feed (self, i, record, error);
      g_bytes_unref (record);
      if (!fed)
        return NULL;
    }
}

/* Feeds @pending back to @filter, where it came from. */
static void
give_back (TcpcFilter *filter,
           GBytes     *pending)
{
  g_autoptr(GError) error = NULL;

  if (!tcpc_filter_feed (filter, pending, &error))
    g_debug ("TcpcStackableFilter: %" G_GSIZE_FORMAT " unparsed bytes lost: %s",
             g_bytes_get_size (pending),
             error != NULL ? error->message : "no reason given");
}

/* Moves the unparsed bytes of @from to the first member. */
static void
hand_over_pending (TcpcStackableFilter *self,
                   TcpcFilter          *from)
{
  g_autoptr(GBytes) pending = tcpc_filter_take_pending (from);
  g_autoptr(GError) error = NULL;

  if (pending == NULL)
    return;

  if (!member_feed (self, 0, pending, &error))
    {
      g_debug ("TcpcStackableFilter: the new first filter refused the "
               "unparsed bytes (%s); they stay in the former first filter",
               error->message);
      give_back (from, pending);
    }
}

/* TcpcFilter */

static gboolean
tcpc_stackable_filter_feed (TcpcFilter  *filter,
                            GBytes      *data,
                            GError     **error)
{
  TcpcStackableFilter *self = (TcpcStackableFilter *) filter;

  if (!check_usable (self, error))
    return FALSE;

  /* An empty chunk changes nothing in a filter: it is how a client checks
   * a filter's settings before it connects. For the later members an
   * empty feed is an empty record, so a clone of each takes the check, and
   * an invalid member anywhere in the stack fails it. */
  if (g_bytes_get_size (data) == 0)
    {
      g_autoptr(GPtrArray) filters = tcpc_stackable_filter_get_filters (self);
      guint i;

      for (i = 1; i < filters->len; i++)
        {
          TcpcFilter *later = g_ptr_array_index (filters, i);
          g_autoptr(TcpcFilter) clone = NULL;

          if (TCPC_IS_MAP_FILTER (later))
            continue;
          /* one that cannot be cloned cannot be checked; a clone of the
           * whole stack, as a client makes, reports it */
          clone = clone_member (later);
          if (clone != NULL && !feed_filter (clone, i, data, error))
            return FALSE;
        }
    }

  return member_feed (self, 0, data, error);
}

static GBytes *
tcpc_stackable_filter_next_record (TcpcFilter  *filter,
                                   GError     **error)
{
  TcpcStackableFilter *self = (TcpcStackableFilter *) filter;

  if (!check_usable (self, error))
    return NULL;

  return pull (self, self->filters->len - 1, error);
}

static GBytes *
tcpc_stackable_filter_encode (TcpcFilter  *filter,
                              GBytes      *record,
                              GError     **error)
{
  TcpcStackableFilter *self = (TcpcStackableFilter *) filter;
  g_autoptr(GPtrArray) filters = NULL;
  GBytes *data;
  guint i;

  if (!check_usable (self, error))
    return NULL;

  /* A callback may change the list. */
  filters = tcpc_stackable_filter_get_filters (self);

  data = g_bytes_ref (record);
  for (i = filters->len; i > 0; i--)
    {
      GError *local_error = NULL;
      GBytes *encoded = tcpc_filter_encode (g_ptr_array_index (filters, i - 1),
                                            data, &local_error);

      g_bytes_unref (data);
      data = encoded;

      if (data == NULL)
        {
          /* An error, or the record is dropped. */
          if (local_error != NULL)
            g_propagate_error (error, local_error);
          return NULL;
        }
      g_clear_error (&local_error);
    }

  return data;
}

static GBytes *
tcpc_stackable_filter_take_pending (TcpcFilter *filter)
{
  TcpcStackableFilter *self = (TcpcStackableFilter *) filter;

  if (self->filters->len == 0)
    return NULL;

  return tcpc_filter_take_pending (member (self, 0));
}

static TcpcFilter *
tcpc_stackable_filter_clone (TcpcFilter *filter)
{
  TcpcStackableFilter *self = (TcpcStackableFilter *) filter;
  TcpcStackableFilter *clone = g_object_new (TCPC_TYPE_STACKABLE_FILTER, NULL);
  guint i;

  if (self->clone_error != NULL)
    clone->clone_error = g_error_copy (self->clone_error);

  for (i = 0; i < self->filters->len; i++)
    {
      TcpcFilter *original = member (self, i);
      gpointer copy;

      copy = clone_member (original);
      if (copy != NULL)
        {
          g_ptr_array_add (clone->filters, copy);
          continue;
        }

      if (clone->clone_error == NULL)
        clone->clone_error = g_error_new (TCPC_FILTER_ERROR,
                                          TCPC_FILTER_ERROR_INVALID_SETTINGS,
                                          "Filter %u (%s) of a "
                                          "TcpcStackableFilter could not be "
                                          "cloned",
                                          i, G_OBJECT_TYPE_NAME (original));
    }

  return TCPC_FILTER (clone);
}

static void
tcpc_stackable_filter_filter_iface_init (TcpcFilterInterface *iface)
{
  iface->feed = tcpc_stackable_filter_feed;
  iface->next_record = tcpc_stackable_filter_next_record;
  iface->encode = tcpc_stackable_filter_encode;
  iface->take_pending = tcpc_stackable_filter_take_pending;
  iface->clone = tcpc_stackable_filter_clone;
}

/* GObject */

static void
tcpc_stackable_filter_dispose (GObject *object)
{
  TcpcStackableFilter *self = (TcpcStackableFilter *) object;

  g_ptr_array_set_size (self->filters, 0);

  G_OBJECT_CLASS (tcpc_stackable_filter_parent_class)->dispose (object);
}

static void
tcpc_stackable_filter_finalize (GObject *object)
{
  TcpcStackableFilter *self = (TcpcStackableFilter *) object;

  g_clear_pointer (&self->filters, g_ptr_array_unref);
  g_clear_error (&self->clone_error);

  G_OBJECT_CLASS (tcpc_stackable_filter_parent_class)->finalize (object);
}

static void
tcpc_stackable_filter_class_init (TcpcStackableFilterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tcpc_stackable_filter_dispose;
  object_class->finalize = tcpc_stackable_filter_finalize;
}

static void
tcpc_stackable_filter_init (TcpcStackableFilter *self)
{
  self->filters = g_ptr_array_new_with_free_func (g_object_unref);
}

/* Public API */

/**
 * tcpc_stackable_filter_new:
 * @filters: (nullable) (element-type TcpcFilter) (transfer none): the
 *   filters, the wire side first, or %NULL for an empty stack
 *
 * Creates a stack of @filters (POE's `Filters`). The stack takes a
 * reference to every filter; @filters itself is not kept. A stack must
 * have at least one filter before it is used.
 *
 * Returns: (transfer full): a new #TcpcStackableFilter
 *
 * Since: 0.1
 */
TcpcStackableFilter *
tcpc_stackable_filter_new (GPtrArray *filters)
{
  TcpcStackableFilter *self;
  guint i;

  if (filters != NULL)
    {
      for (i = 0; i < filters->len; i++)
        g_return_val_if_fail (TCPC_IS_FILTER (g_ptr_array_index (filters, i)), NULL);
    }

  self = g_object_new (TCPC_TYPE_STACKABLE_FILTER, NULL);

  if (filters != NULL)
    {
      for (i = 0; i < filters->len; i++)
        g_ptr_array_add (self->filters, g_object_ref (g_ptr_array_index (filters, i)));
    }

  return self;
}

/**
 * tcpc_stackable_filter_push:
 * @self: a #TcpcStackableFilter
 * @filter: the filter to append
 *
 * Appends @filter to the record side of the stack: it parses the records
 * of the former last filter, and encodes records first.
 *
 * Since: 0.1
 */
void
tcpc_stackable_filter_push (TcpcStackableFilter *self,
                            TcpcFilter          *filter)
{
  g_return_if_fail (TCPC_IS_STACKABLE_FILTER (self));
  g_return_if_fail (TCPC_IS_FILTER (filter));
  g_return_if_fail ((gpointer) filter != (gpointer) self);

  g_ptr_array_add (self->filters, g_object_ref (filter));
}

/**
 * tcpc_stackable_filter_unshift:
 * @self: a #TcpcStackableFilter
 * @filter: the filter to prepend
 *
 * Prepends @filter to the wire side of the stack: received bytes go to it
 * first. The unparsed bytes of the former first filter are fed to @filter
 * (unless it refuses them; then they stay where they were).
 *
 * Since: 0.1
 */
void
tcpc_stackable_filter_unshift (TcpcStackableFilter *self,
                               TcpcFilter          *filter)
{
  g_autoptr(TcpcFilter) former = NULL;

  g_return_if_fail (TCPC_IS_STACKABLE_FILTER (self));
  g_return_if_fail (TCPC_IS_FILTER (filter));
  g_return_if_fail ((gpointer) filter != (gpointer) self);

  if (self->filters->len > 0)
    former = g_object_ref (member (self, 0));

  g_ptr_array_insert (self->filters, 0, g_object_ref (filter));

  if (former != NULL)
    hand_over_pending (self, former);
}

/**
 * tcpc_stackable_filter_pop:
 * @self: a #TcpcStackableFilter
 *
 * Removes the last filter, on the record side, and returns it. Its
 * unparsed input stays in it.
 *
 * Returns: (transfer full) (nullable): the removed filter, or %NULL when
 *   the stack is empty
 *
 * Since: 0.1
 */
TcpcFilter *
tcpc_stackable_filter_pop (TcpcStackableFilter *self)
{
  g_return_val_if_fail (TCPC_IS_STACKABLE_FILTER (self), NULL);

  if (self->filters->len == 0)
    return NULL;

  return g_ptr_array_steal_index (self->filters, self->filters->len - 1);
}

/**
 * tcpc_stackable_filter_shift:
 * @self: a #TcpcStackableFilter
 *
 * Removes the first filter, on the wire side, and returns it. Its unparsed
 * bytes are fed to the new first filter, so that no received byte is lost
 * (unless the new first filter refuses them, or none is left: then they
 * stay in the removed filter).
 *
 * Returns: (transfer full) (nullable): the removed filter, or %NULL when
 *   the stack is empty
 *
 * Since: 0.1
 */
TcpcFilter *
tcpc_stackable_filter_shift (TcpcStackableFilter *self)
{
  TcpcFilter *removed;

  g_return_val_if_fail (TCPC_IS_STACKABLE_FILTER (self), NULL);

  if (self->filters->len == 0)
    return NULL;

  removed = g_ptr_array_steal_index (self->filters, 0);

  if (self->filters->len > 0)
    hand_over_pending (self, removed);

  return removed;
}

/**
 * tcpc_stackable_filter_get_filters:
 * @self: a #TcpcStackableFilter
 *
 * Gets the filters of the stack, the wire side first. The array is a new
 * one, holding its own references: changing it does not change the stack.
 * Free it with g_ptr_array_unref().
 *
 * Returns: (transfer container) (element-type TcpcFilter): the filters
 *
 * Since: 0.1
 */
GPtrArray *
tcpc_stackable_filter_get_filters (TcpcStackableFilter *self)
{
  GPtrArray *filters;
  guint i;

  g_return_val_if_fail (TCPC_IS_STACKABLE_FILTER (self), NULL);

  filters = g_ptr_array_new_full (self->filters->len, g_object_unref);
  for (i = 0; i < self->filters->len; i++)
    g_ptr_array_add (filters, g_object_ref (member (self, i)));

  return filters;
}

/**
 * tcpc_stackable_filter_get_n_filters:
 * @self: a #TcpcStackableFilter
 *
 * Gets the number of filters in the stack.
 *
 * Returns: the number of filters
 *
 * Since: 0.1
 */
guint
tcpc_stackable_filter_get_n_filters (TcpcStackableFilter *self)
{
  g_return_val_if_fail (TCPC_IS_STACKABLE_FILTER (self), 0);

  return self->filters->len;
}

/**
 * tcpc_stackable_filter_get_filter:
 * @self: a #TcpcStackableFilter
 * @position: the position of the filter, 0 for the wire side
 *
 * Gets the filter at @position.
 *
 * Returns: (transfer none) (nullable): the filter, or %NULL when @position
 *   is past the last filter
 *
 * Since: 0.1
 */
TcpcFilter *
tcpc_stackable_filter_get_filter (TcpcStackableFilter *self,
                                  guint                position)
{
  g_return_val_if_fail (TCPC_IS_STACKABLE_FILTER (self), NULL);

  if (position >= self->filters->len)
    return NULL;

  return member (self, position);
}
