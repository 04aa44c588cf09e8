/* tcpc-bench-util.h: small helpers shared by the benchmark programs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib.h>

/* The resident set size of this process, from /proc/self/statm. */
static inline gsize
tcpc_bench_rss_bytes (void)
{
  unsigned long size = 0, resident = 0;
  FILE *file = fopen ("/proc/self/statm", "r");

  if (file == NULL)
    return 0;
  if (fscanf (file, "%lu %lu", &size, &resident) != 2)
    resident = 0;
  fclose (file);

  return (gsize) resident * (gsize) sysconf (_SC_PAGESIZE);
}

/* Raises the soft limit of open files to the hard limit; returns the new
 * soft limit. */
static inline guint64
tcpc_bench_raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return 0;
  if (limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        getrlimit (RLIMIT_NOFILE, &limit);
    }

  return limit.rlim_cur;
}

/* Parses "MODE HOST PORT COUNT". Returns FALSE (after a message) on bad
 * numbers. */
static inline gboolean
tcpc_bench_parse_args (const char *program,
                       char       *argv[],
                       guint16    *port,
                       guint64    *count)
{
  guint64 value = 0;

  if (!g_ascii_string_to_unsigned (argv[3], 10, 1, G_MAXUINT16, &value, NULL) ||
      !g_ascii_string_to_unsigned (argv[4], 10, 0, G_MAXUINT64, count, NULL))
    {
      g_printerr ("%s: bad PORT or COUNT\n", program);
      return FALSE;
    }
  *port = (guint16) value;

  return TRUE;
}

/* The bound on a whole run, in seconds: TCPC_BENCH_TIMEOUT or 600. */
static inline guint
tcpc_bench_timeout (void)
{
  const char *env = g_getenv ("TCPC_BENCH_TIMEOUT");
  int seconds = env != NULL ? atoi (env) : 0;

  return seconds > 0 ? (guint) seconds : 600;
}
