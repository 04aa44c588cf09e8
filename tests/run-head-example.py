#!/usr/bin/python3
# run-head-example.py: runs a "head" example against a loopback HTTP server.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   run-head-example.py COMMAND [ARGS...]
#
# Starts an HTTP/1.0 server on 127.0.0.1 (port chosen by the kernel) in a
# thread, runs COMMAND ARGS... 127.0.0.1 PORT, and checks that the example
# sent a HEAD request, printed the response as "from server: ..." lines and
# exited with status 0. Then runs it once more against a port where nothing
# listens and checks for status 1 and a connect error. Prints a TAP-like
# result and "N passed, M failed"; exits non-zero on failure.

import http.server
import socket
import subprocess
import sys
import threading

TIMEOUT = 30


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'
    server_version = 'tcpc-test/1.0'
    requests = []

    def do_HEAD(self):
        Handler.requests.append((self.command, self.path, self.request_version))
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', '0')
        self.send_header('X-Tcpc-Test', 'yes')
        self.end_headers()

    def log_message(self, fmt, *args):
        pass


def closed_port():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def run(command, port):
    print('# running: %s' % ' '.join(command + ['127.0.0.1', str(port)]), flush=True)
    proc = subprocess.run(command + ['127.0.0.1', str(port)], capture_output=True,
                          text=True, timeout=TIMEOUT)
    for line in proc.stdout.splitlines():
        print('#   out: %s' % line)
    for line in proc.stderr.splitlines():
        print('#   err: %s' % line)
    return proc


def main(argv):
    if len(argv) < 2:
        print('usage: %s COMMAND [ARGS...]' % argv[0], file=sys.stderr)
        return 2
    command = argv[1:]
    results = []

    def check(ok, name):
        results.append(ok)
        print('%s %d - %s' % ('ok' if ok else 'not ok', len(results), name), flush=True)

    server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        proc = run(command, server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()

    lines = proc.stdout.splitlines()
    check(proc.returncode == 0, 'exit status 0 (got %d)' % proc.returncode)
    check(Handler.requests == [('HEAD', '/', 'HTTP/1.0')],
          'the server got one "HEAD / HTTP/1.0" (got %r)' % Handler.requests)
    check(len(lines) > 0 and lines[0].startswith('from server: HTTP/1.0 200'),
          'first line is the status line')
    check('from server: X-Tcpc-Test: yes' in lines, 'a header line, without CR LF')
    check(len(lines) > 0 and lines[-1] == 'from server: ',
          'the empty line that ends the headers')

    proc = run(command, closed_port())
    check(proc.returncode == 1, 'exit status 1 on a refused port (got %d)' % proc.returncode)
    check('connect' in proc.stderr.lower(), 'a connect error is printed')

    failed = results.count(False)
    print('1..%d' % len(results))
    print('%d passed, %d failed' % (len(results) - failed, failed))
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
