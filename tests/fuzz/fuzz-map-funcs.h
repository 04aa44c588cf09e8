/* fuzz-map-funcs.h: the map functions of the map and stackable targets
 *
 * Input: the record reversed, dropped when the result starts with '#'.
 * Output: the record reversed, dropped when the record starts with '!'.
 * Reversing keeps the set of bytes, so a record without a line terminator
 * still has none once mapped.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

static inline GBytes *
fuzz_reverse (GBytes *record)
{
  gsize len, i;
  const guint8 *data = g_bytes_get_data (record, &len);
  guint8 *out = g_malloc (len + 1);

  for (i = 0; i < len; i++)
    out[i] = data[len - 1 - i];
  return g_bytes_new_take (out, len);
}

static inline GBytes *
fuzz_map_input (GBytes  *record,
                gpointer user_data)
{
  GBytes *reversed = fuzz_reverse (record);

  if (g_bytes_get_size (reversed) > 0 &&
      ((const guint8 *) g_bytes_get_data (reversed, NULL))[0] == '#')
    {
      g_bytes_unref (reversed);
      return NULL;
    }
  return reversed;
}

static inline GBytes *
fuzz_map_output (GBytes  *record,
                 gpointer user_data)
{
  if (g_bytes_get_size (record) > 0 &&
      ((const guint8 *) g_bytes_get_data (record, NULL))[0] == '!')
    return NULL;
  return fuzz_reverse (record);
}
