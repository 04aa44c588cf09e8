#!/usr/bin/python3
# tcpc-bench-client.py: the benchmark client, with TcpcClient from Python
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   tcpc-bench-client.py MODE HOST PORT COUNT
#
# The Python twin of tcpc-bench-client (same command-line contract, see
# issue 3 and tcpc-bench-client.c), using the Tcpc-1.0 typelib:
#
#   stream    count "\n"-terminated lines until end of stream
#             -> lines=<n> bytes=<b> seconds=<s>
#   pingpong  a 32-byte line and its echo, COUNT times on one connection
#             -> roundtrips=<n> seconds=<s>
#   connect   COUNT times: connect, read one line, close
#             -> connections=<n> seconds=<s>
#
# and, beyond the contract:
#
#   stream-func  stream, with the records going to a Python function set
#             with Tcpc.Client.set_input_func() instead of server-input
#
# Exit status 0 only when the count matches, 1 on failure, 2 for an
# unsupported mode. TCPC_BENCH_TIMEOUT (seconds, default 600) bounds the run.

import os
import sys
import time

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Tcpc', '1.0')
from gi.repository import GLib, Tcpc  # noqa: E402

PING = b'0123456789abcdef0123456789abcde'  # the filter appends "\n"
MODES = ('stream', 'pingpong', 'connect', 'stream-func')


class Bench:
    def __init__(self, mode, host, port, count):
        self.mode = mode
        self.count = count
        self.lines = 0
        self.bytes = 0
        self.done = 0
        self.failed = False
        self.loop = GLib.MainLoop()
        self.client = Tcpc.Client.new(host, port)
        self.client.set_filter(Tcpc.LineFilter.new_literal('\n'))

        if mode == 'stream':
            self.client.connect('server-input', self.on_stream_input)
        elif mode == 'stream-func':
            self.client.set_input_func(self.on_stream_input)
        elif mode == 'pingpong':
            self.client.connect('server-input', self.on_pingpong_input)
            self.client.connect('connected', self.on_pingpong_connected)
        else:
            self.client.connect('server-input', self.on_connect_input)
        self.client.connect('connect-error', self.on_connect_error)
        self.client.connect('server-error', self.on_server_error)
        self.client.connect('disconnected', self.on_disconnected)

    # The stream handler only counts.
    def on_stream_input(self, client, record):
        self.lines += 1
        self.bytes += record.get_size() + 1

    def put_ping(self):
        try:
            self.client.put_data(PING)
        except GLib.Error as error:
            print(f'tcpc-bench-client.py: put: {error.message}', file=sys.stderr)
            self.failed = True
            self.client.shutdown()

    def on_pingpong_connected(self, client, stream, address):
        if self.count > 0:
            self.put_ping()
        else:
            client.shutdown()

    def on_pingpong_input(self, client, record):
        self.done += 1
        if self.done < self.count:
            self.put_ping()
        else:
            client.shutdown()

    def on_connect_input(self, client, record):
        self.done += 1
        if self.done < self.count:
            client.reconnect()
        else:
            client.shutdown()

    def on_connect_error(self, client, operation, error):
        print(f'tcpc-bench-client.py: {operation}: {error.message}', file=sys.stderr)
        self.failed = True
        self.loop.quit()

    def on_server_error(self, client, operation, error):
        print(f'tcpc-bench-client.py: {operation}: {error.message}', file=sys.stderr)
        self.failed = True

    def on_disconnected(self, client):
        self.loop.quit()

    def on_timeout(self):
        print('tcpc-bench-client.py: timed out', file=sys.stderr)
        self.failed = True
        self.loop.quit()
        return GLib.SOURCE_REMOVE

    def run(self):
        timeout = int(os.environ.get('TCPC_BENCH_TIMEOUT', '0') or 0) or 600
        timeout_id = GLib.timeout_add_seconds(timeout, self.on_timeout)
        start = time.monotonic()
        if self.mode != 'connect' or self.count > 0:
            self.client.start()
            self.loop.run()
        seconds = time.monotonic() - start
        GLib.source_remove(timeout_id)

        if self.mode in ('stream', 'stream-func'):
            print(f'lines={self.lines} bytes={self.bytes} seconds={seconds:.6f}')
            ok = self.lines == self.count
        elif self.mode == 'pingpong':
            print(f'roundtrips={self.done} seconds={seconds:.6f}')
            ok = self.done == self.count
        else:
            print(f'connections={self.done} seconds={seconds:.6f}')
            ok = self.done == self.count
        return 0 if ok and not self.failed else 1


def main(argv):
    if len(argv) != 5:
        print('usage: tcpc-bench-client.py stream|pingpong|connect|stream-func HOST PORT COUNT',
              file=sys.stderr)
        return 2
    mode, host = argv[1], argv[2]
    if mode not in MODES:
        print(f'tcpc-bench-client.py: unsupported mode "{mode}"', file=sys.stderr)
        return 2
    try:
        port, count = int(argv[3]), int(argv[4])
        if not 0 < port < 65536 or count < 0:
            raise ValueError
    except ValueError:
        print('tcpc-bench-client.py: bad PORT or COUNT', file=sys.stderr)
        return 1
    return Bench(mode, host, port, count).run()


if __name__ == '__main__':
    sys.exit(main(sys.argv))
