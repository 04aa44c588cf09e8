/* fuzz-replay.c: runs a fuzz target without libFuzzer (meson suite
 * fuzz-replay)
 *
 * Every file of the corpus directory given as the first argument (the seed
 * corpus and the crash inputs kept as regression tests), then
 * TCPC_FUZZ_REPLAY_RANDOM (default 2000) random inputs from a fixed seed,
 * each a TAP test, through the same LLVMFuzzerTestOneInput() that
 * libFuzzer drives.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fuzz-common.h"

#include <stdlib.h>
#include <string.h>

static void
replay_file (gconstpointer data)
{
  const char *path = data;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  g_test_message ("%s: %" G_GSIZE_FORMAT " bytes", path, len);
  LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
}

static void
replay_random (void)
{
  const char *env = g_getenv ("TCPC_FUZZ_REPLAY_RANDOM");
  guint n = env != NULL ? (guint) atoi (env) : 2000;
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261125);
  guint i;

  for (i = 0; i < n; i++)
    {
      gsize len = g_rand_int_range (rand, 0, i % 10 == 0 ? 8192 : 256);
      g_autofree guint8 *buf = g_malloc (len + 1);
      /* a small alphabet makes terminators and headers likely */
      static const char alphabet[] = "\r\n\0:,09ab|#;xy\x01\xff";
      gboolean small = g_rand_boolean (rand);
      gsize j;

      for (j = 0; j < len; j++)
        buf[j] = small && j >= 4 ? alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)]
                                 : g_rand_int_range (rand, 0, 256);
      LLVMFuzzerTestOneInput (buf, len);
    }
  g_test_message ("%u random inputs", n);
}

/* g_ptr_array_sort() passes pointers to the elements */
static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  const char *dir_path;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  guint i;

  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    g_error ("usage: %s CORPUS-DIRECTORY", argv[0]);
  dir_path = argv[1];

  dir = g_dir_open (dir_path, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (paths, g_build_filename (dir_path, name, NULL));
  g_ptr_array_sort (paths, compare_paths);

  for (i = 0; i < paths->len; i++)
    {
      g_autofree char *base = g_path_get_basename (paths->pdata[i]);
      g_autofree char *test = g_strdup_printf ("/Tcpc/FuzzReplay/corpus/%s", base);

      g_test_add_data_func (test, paths->pdata[i], replay_file);
    }
  g_test_add_func ("/Tcpc/FuzzReplay/random", replay_random);

  return g_test_run ();
}
