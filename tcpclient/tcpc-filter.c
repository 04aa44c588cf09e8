/* tcpc-filter.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "tcpc-filter-private.h"

/**
 * SECTION:tcpc-filter
 * @title: TcpcFilter
 * @short_description: the interface of record framings
 *
 * A #TcpcFilter turns a byte stream into records and records into bytes: it
 * is a pure framing that knows nothing of sockets or clients.
 *
 * Received bytes are appended with tcpc_filter_feed(); each call of
 * tcpc_filter_next_record() then parses at most one record, returning %NULL
 * when more bytes are needed. Parsing one record at a time lets a program
 * change framings in the middle of a stream: tcpc_filter_take_pending()
 * hands over the bytes not parsed yet. tcpc_filter_encode() turns one record
 * into the bytes to send, and tcpc_filter_clone() makes a filter with the
 * same settings and an empty state; a #TcpcClient clones its prototype
 * filter for every connection.
 *
 * Filters may be implemented in C, Python or JavaScript. Errors are
 * #GErrors, most often in the %TCPC_FILTER_ERROR domain.
 *
 * A filter implemented in Python must keep a reference to the object that
 * its `do_clone` method returns until the caller has taken it (PyGObject
 * drops its own reference when the method returns), for example by storing
 * it on the original filter.
 */

/**
 * TcpcFilter:
 *
 * The opaque type of an object that implements the #TcpcFilter interface,
 * such as a #TcpcLineFilter.
 */

/**
 * TcpcFilterInterface::feed:
 * @self: a #TcpcFilter
 * @data: the received bytes
 * @error: return location for a #GError
 *
 * Appends received bytes to the input buffer, see tcpc_filter_feed().
 *
 * Returns: %TRUE on success, %FALSE with @error set otherwise
 */

/**
 * TcpcFilterInterface::next_record:
 * @self: a #TcpcFilter
 * @error: return location for a #GError
 *
 * Parses the next record, see tcpc_filter_next_record().
 *
 * Returns: (transfer full) (nullable): the next record, or %NULL
 */

/**
 * TcpcFilterInterface::encode:
 * @self: a #TcpcFilter
 * @record: the record to send
 * @error: return location for a #GError
 *
 * Encodes a record, see tcpc_filter_encode().
 *
 * Returns: (transfer full) (nullable): the bytes to send, or %NULL
 */

/**
 * TcpcFilterInterface::take_pending:
 * @self: a #TcpcFilter
 *
 * Removes and returns the unparsed input, see tcpc_filter_take_pending().
 *
 * Returns: (transfer full) (nullable): the unparsed bytes, or %NULL
 */

/**
 * TcpcFilterInterface::clone:
 * @self: a #TcpcFilter
 *
 * Creates a filter with the same settings, see tcpc_filter_clone().
 *
 * Returns: (transfer full): a new filter
 */

/**
 * tcpc_filter_error_quark:
 *
 * The error domain of record framing errors; use %TCPC_FILTER_ERROR.
 *
 * Returns: the #GQuark of the domain
 */
G_DEFINE_QUARK (tcpc-filter-error-quark, tcpc_filter_error)

G_DEFINE_INTERFACE (TcpcFilter, tcpc_filter, G_TYPE_OBJECT)

static void
tcpc_filter_default_init (TcpcFilterInterface *iface)
{
}

/* The built-in filters whose encode() only frames records, registered by
 * their class_init() before any instance exists; put() looks its filter
 * up here for every record, so the table is read without a lock. */
static struct
{
  GType         type;
  TcpcFrameFunc func;
} frame_funcs[8];
static guint n_frame_funcs;
static GMutex frame_funcs_lock;

void
_tcpc_filter_type_set_frame_func (GType         type,
                                  TcpcFrameFunc func)
{
  guint n;

  g_assert (G_TYPE_IS_FINAL (type));

  g_mutex_lock (&frame_funcs_lock);
  n = g_atomic_int_get (&n_frame_funcs);
  g_assert (n < G_N_ELEMENTS (frame_funcs));
  frame_funcs[n].type = type;
  frame_funcs[n].func = func;
  /* the entry is complete before it is counted */
  g_atomic_int_set (&n_frame_funcs, n + 1);
  g_mutex_unlock (&frame_funcs_lock);
}

TcpcFrameFunc
_tcpc_filter_get_frame_func (TcpcFilter *filter)
{
  GType type = G_TYPE_FROM_INSTANCE (filter);
  guint n = g_atomic_int_get (&n_frame_funcs);
  guint i;

  /* the exact type only: a registered type is final */
  for (i = 0; i < n; i++)
    if (frame_funcs[i].type == type)
      return frame_funcs[i].func;

  return NULL;
}

GBytes *
_tcpc_filter_encode_framed (TcpcFilter     *filter,
                            TcpcFrameFunc   func,
                            GBytes         *record,
                            GError        **error)
{
  TcpcFrame frame;
  const guint8 *data;
  gsize size;
  guint8 *buf;

  data = g_bytes_get_data (record, &size);
  if (!func (filter, size, &frame, error))
    return NULL;
  if (frame.prefix_len == 0 && frame.suffix_len == 0)
    return g_bytes_ref (record);

  buf = g_malloc (frame.prefix_len + size + frame.suffix_len);
  memcpy (buf, frame.prefix, frame.prefix_len);
  if (size > 0)
    memcpy (buf + frame.prefix_len, data, size);
  if (frame.suffix_len > 0)
    memcpy (buf + frame.prefix_len + size, frame.suffix, frame.suffix_len);

  return g_bytes_new_take (buf, frame.prefix_len + size + frame.suffix_len);
}

/**
 * tcpc_filter_feed:
 * @self: a #TcpcFilter
 * @data: the received bytes
 * @error: return location for a #GError
 *
 * Appends received bytes to the filter's input buffer. Nothing is parsed
 * until tcpc_filter_next_record() is called. Empty @data changes nothing:
 * a #TcpcClient feeds the fresh clone for a connection an empty #GBytes
 * before connecting, so that a filter with invalid settings fails early.
 *
 * A filter whose settings are invalid fails with
 * %TCPC_FILTER_ERROR_INVALID_SETTINGS.
 *
 * Returns: %TRUE on success, %FALSE with @error set otherwise
 */
gboolean
tcpc_filter_feed (TcpcFilter  *self,
                  GBytes      *data,
                  GError     **error)
{
  TcpcFilterInterface *iface;

  g_return_val_if_fail (TCPC_IS_FILTER (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = TCPC_FILTER_GET_IFACE (self);
  g_return_val_if_fail (iface->feed != NULL, FALSE);

  return iface->feed (self, data, error);
}

/**
 * tcpc_filter_next_record:
 * @self: a #TcpcFilter
 * @error: return location for a #GError
 *
 * Parses the next complete record from the buffered input.
 *
 * An error should leave the bad input behind, so that the next call can
 * parse what follows it. A #TcpcClient reports each error as
 * #TcpcClient::server-error; when it stays connected
 * (#TcpcClient:shutdown-on-error is %FALSE) it asks for the next record
 * from a later main-loop iteration. After 64 errors in a row without a
 * record in between, it asks at most every 10 milliseconds, so a filter
 * that keeps failing on the same input does not keep the program busy.
 *
 * Returns: (transfer full) (nullable): the next record, or %NULL when more
 *   input is needed or on error (@error is set then)
 */
GBytes *
tcpc_filter_next_record (TcpcFilter  *self,
                         GError     **error)
{
  TcpcFilterInterface *iface;

  g_return_val_if_fail (TCPC_IS_FILTER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = TCPC_FILTER_GET_IFACE (self);
  g_return_val_if_fail (iface->next_record != NULL, NULL);

  return iface->next_record (self, error);
}

/**
 * tcpc_filter_encode:
 * @self: a #TcpcFilter
 * @record: the record to send
 * @error: return location for a #GError
 *
 * Turns a record into the bytes to write on the wire. A filter may drop a
 * record by returning %NULL without setting @error.
 *
 * Returns: (transfer full) (nullable): the encoded bytes, or %NULL when the
 *   record is dropped or on error (@error is set then)
 */
GBytes *
tcpc_filter_encode (TcpcFilter  *self,
                    GBytes      *record,
                    GError     **error)
{
  TcpcFilterInterface *iface;

  g_return_val_if_fail (TCPC_IS_FILTER (self), NULL);
  g_return_val_if_fail (record != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = TCPC_FILTER_GET_IFACE (self);
  g_return_val_if_fail (iface->encode != NULL, NULL);

  return iface->encode (self, record, error);
}

/**
 * tcpc_filter_take_pending:
 * @self: a #TcpcFilter
 *
 * Removes the buffered input that was not parsed yet and returns it, so that
 * another filter can parse it (POE's `get_pending`). The filter's buffer is
 * empty afterwards.
 *
 * Returns: (transfer full) (nullable): the unparsed bytes, or %NULL when
 *   nothing is buffered
 */
GBytes *
tcpc_filter_take_pending (TcpcFilter *self)
{
  TcpcFilterInterface *iface;

  g_return_val_if_fail (TCPC_IS_FILTER (self), NULL);

  iface = TCPC_FILTER_GET_IFACE (self);
  g_return_val_if_fail (iface->take_pending != NULL, NULL);

  return iface->take_pending (self);
}

/**
 * tcpc_filter_clone:
 * @self: a #TcpcFilter
 *
 * Creates a filter of the same type with the same settings and an empty
 * state: nothing buffered and nothing learnt from earlier input.
 *
 * Returns: (transfer full): a new filter
 */
TcpcFilter *
tcpc_filter_clone (TcpcFilter *self)
{
  TcpcFilterInterface *iface;
  TcpcFilter *clone;

  g_return_val_if_fail (TCPC_IS_FILTER (self), NULL);

  iface = TCPC_FILTER_GET_IFACE (self);
  g_return_val_if_fail (iface->clone != NULL, NULL);

  clone = iface->clone (self);
  g_return_val_if_fail (TCPC_IS_FILTER (clone), NULL);

  return clone;
}
