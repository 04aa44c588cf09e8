/* tcpc-test-filter.h: assertions shared by the filter test programs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <string.h>

#include <tcpclient.h>

#define STRV(...) ((const char *const[]) { __VA_ARGS__, NULL })

static inline GBytes *
bytes_from_string (const char *s)
{
  return g_bytes_new (s, strlen (s));
}

static inline void
assert_bytes_len (GBytes     *bytes,
                  const void *expected,
                  gsize       expected_len)
{
  gsize size;
  const guint8 *data;

  g_assert_nonnull (bytes);
  data = g_bytes_get_data (bytes, &size);
  g_assert_cmpmem (data, size, expected, expected_len);
}

static inline void
assert_bytes (GBytes     *bytes,
              const char *expected)
{
  assert_bytes_len (bytes, expected, strlen (expected));
}

static inline void
feed_len (TcpcFilter *filter,
          const void *data,
          gsize       len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);

  g_assert_true (tcpc_filter_feed (filter, bytes, &error));
  g_assert_no_error (error);
}

static inline void
feed (TcpcFilter *filter,
      const char *s)
{
  feed_len (filter, s, strlen (s));
}

/* Asserts that the next record is @expected, or that there is none when
 * @expected is %NULL.
 */
static inline void
assert_next (TcpcFilter *filter,
             const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) record = tcpc_filter_next_record (filter, &error);

  g_assert_no_error (error);
  if (expected == NULL)
    g_assert_null (record);
  else
    assert_bytes (record, expected);
}

static inline void
assert_next_error (TcpcFilter *filter,
                   gint        code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) record = tcpc_filter_next_record (filter, &error);

  g_assert_error (error, TCPC_FILTER_ERROR, code);
  g_assert_null (record);
}

/* Feeds every chunk of the %NULL-terminated @chunks, draining the records
 * after each, and asserts that they are the %NULL-terminated @expected.
 */
static inline void
assert_parse (TcpcFilter        *filter,
              const char *const *chunks,
              const char *const *expected)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint i;

  for (i = 0; chunks[i] != NULL; i++)
    {
      GBytes *record;
      g_autoptr(GError) error = NULL;

      feed (filter, chunks[i]);
      while ((record = tcpc_filter_next_record (filter, &error)) != NULL)
        g_ptr_array_add (records, record);
      g_assert_no_error (error);
    }

  for (i = 0; expected[i] != NULL; i++)
    {
      g_assert_cmpuint (i, <, records->len);
      assert_bytes (records->pdata[i], expected[i]);
    }
  g_assert_cmpuint (records->len, ==, i);
}

static inline void
assert_pending (TcpcFilter *filter,
                const char *expected)
{
  g_autoptr(GBytes) pending = tcpc_filter_take_pending (filter);

  if (expected == NULL)
    g_assert_null (pending);
  else
    assert_bytes (pending, expected);
}
