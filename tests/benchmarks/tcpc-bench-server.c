/* tcpc-bench-server.c: a loopback blast server for the benchmarks
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   tcpc-bench-server MODE [ARGS]
 *
 * Listens on 127.0.0.1 (a port chosen by the kernel, or the one in the
 * environment variable TCPC_BENCH_SERVER_PORT), prints "port=<n>" on a line
 * of its own on stdout, and serves every connection it accepts in MODE:
 *
 *   stream LINES SIZE  write LINES lines of SIZE bytes each (the newline
 *                      included), then close
 *   echo               send back everything received, until end of stream
 *   oneline            write one 32-byte line, then close
 *   hold               keep the connection open and silent
 *   sink               read and discard everything, until end of stream
 *
 * It runs until its standard input reaches end of file (the benchmark
 * driver holds a pipe to it), so a crashed driver never leaves it behind.
 * stream, echo and sink connections get a thread each; oneline and hold are
 * served by the accept loop itself, so that thousands of held connections
 * cost one file descriptor each.
 */

#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1 /* accept4() */
#endif

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

typedef enum
{
  MODE_STREAM,
  MODE_ECHO,
  MODE_ONELINE,
  MODE_HOLD,
  MODE_SINK,
} Mode;

static Mode          mode;
static unsigned long stream_lines;
static size_t        line_size;
static char         *blast;          /* a whole number of lines */
static size_t        blast_lines;

#define BLAST_BYTES  (256 * 1024)
#define IO_BUFFER    (64 * 1024)

static void __attribute__ ((noreturn))
die (const char *what)
{
  fprintf (stderr, "tcpc-bench-server: %s: %s\n", what, strerror (errno));
  exit (1);
}

static int
write_all (int         fd,
           const char *data,
           size_t      size)
{
  while (size > 0)
    {
      ssize_t n = send (fd, data, size, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      data += n;
      size -= (size_t) n;
    }

  return 0;
}

static void
serve_stream (int fd)
{
  unsigned long left = stream_lines;

  while (left > 0)
    {
      size_t n = left < blast_lines ? left : blast_lines;

      if (write_all (fd, blast, n * line_size) < 0)
        return;
      left -= n;
    }
}

static void
serve_echo (int fd)
{
  char *buffer = malloc (IO_BUFFER);
  int one = 1;

  if (buffer == NULL)
    return;

  /* Answer each ping at once; the client decides about its own Nagle. */
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  for (;;)
    {
      ssize_t n = recv (fd, buffer, IO_BUFFER, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || write_all (fd, buffer, (size_t) n) < 0)
        break;
    }

  free (buffer);
}

static void
serve_sink (int fd)
{
  char *buffer = malloc (IO_BUFFER);

  if (buffer == NULL)
    return;

  for (;;)
    {
      ssize_t n = recv (fd, buffer, IO_BUFFER, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
    }

  free (buffer);
}

static void *
connection_thread (void *data)
{
  int fd = (int) (intptr_t) data;

  switch (mode)
    {
    case MODE_STREAM:
      serve_stream (fd);
      break;
    case MODE_ECHO:
      serve_echo (fd);
      break;
    case MODE_SINK:
      serve_sink (fd);
      break;
    case MODE_ONELINE:
    case MODE_HOLD:
    default:
      break;
    }

  close (fd);
  return NULL;
}

/* Exits the whole process when the driver closes our standard input. */
static void *
stdin_thread (void *data)
{
  char buffer[256];

  for (;;)
    {
      ssize_t n = read (STDIN_FILENO, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        _exit (0);
    }

  return NULL;
}

static void
raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

static void __attribute__ ((noreturn))
usage (void)
{
  fprintf (stderr,
           "usage: tcpc-bench-server stream LINES SIZE | echo | oneline | hold | sink\n");
  exit (2);
}

int
main (int   argc,
      char *argv[])
{
  static const char oneline[] = "0123456789abcdef0123456789abcde\n";
  struct sockaddr_in address;
  socklen_t address_len = sizeof address;
  pthread_attr_t attr;
  pthread_t thread;
  const char *port_env;
  int listener;
  int one = 1;

  if (argc < 2)
    usage ();

  if (strcmp (argv[1], "stream") == 0 && argc == 4)
    {
      size_t i;

      mode = MODE_STREAM;
      stream_lines = strtoul (argv[2], NULL, 10);
      line_size = strtoul (argv[3], NULL, 10);
      if (line_size < 1 || line_size > BLAST_BYTES)
        usage ();
      blast_lines = BLAST_BYTES / line_size;
      blast = malloc (blast_lines * line_size);
      if (blast == NULL)
        die ("malloc");
      for (i = 0; i < blast_lines * line_size; i++)
        blast[i] = (i + 1) % line_size == 0 ? '\n' : 'a' + (char) (i % line_size % 26);
    }
  else if (strcmp (argv[1], "echo") == 0 && argc == 2)
    mode = MODE_ECHO;
  else if (strcmp (argv[1], "oneline") == 0 && argc == 2)
    mode = MODE_ONELINE;
  else if (strcmp (argv[1], "hold") == 0 && argc == 2)
    mode = MODE_HOLD;
  else if (strcmp (argv[1], "sink") == 0 && argc == 2)
    mode = MODE_SINK;
  else
    usage ();

  signal (SIGPIPE, SIG_IGN);
  raise_fd_limit ();

  listener = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0)
    die ("socket");
  setsockopt (listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);

  memset (&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  port_env = getenv ("TCPC_BENCH_SERVER_PORT");
  address.sin_port = htons (port_env != NULL ? (uint16_t) atoi (port_env) : 0);
  if (bind (listener, (struct sockaddr *) &address, sizeof address) < 0)
    die ("bind");
  if (listen (listener, 4096) < 0)
    die ("listen");
  if (getsockname (listener, (struct sockaddr *) &address, &address_len) < 0)
    die ("getsockname");

  pthread_attr_init (&attr);
  pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize (&attr, 256 * 1024);
  if (pthread_create (&thread, &attr, stdin_thread, NULL) != 0)
    die ("pthread_create");

  printf ("port=%u\n", (unsigned) ntohs (address.sin_port));
  fflush (stdout);

  for (;;)
    {
      int fd = accept4 (listener, NULL, NULL, SOCK_CLOEXEC);

      if (fd < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED)
            continue;
          if (errno == EMFILE || errno == ENFILE)
            {
              fprintf (stderr, "tcpc-bench-server: out of file descriptors\n");
              exit (1);
            }
          die ("accept");
        }

      switch (mode)
        {
        case MODE_HOLD:
          break;  /* kept open until the process exits */

        case MODE_ONELINE:
          write_all (fd, oneline, sizeof oneline - 1);
          close (fd);
          break;

        case MODE_STREAM:
        case MODE_ECHO:
        case MODE_SINK:
        default:
          if (pthread_create (&thread, &attr, connection_thread, (void *) (intptr_t) fd) != 0)
            close (fd);
          break;
        }
    }

  return 0;
}
