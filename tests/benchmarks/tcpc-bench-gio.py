#!/usr/bin/python3
# tcpc-bench-gio.py: the PyGObject baseline, GDataInputStream.read_line_async
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   tcpc-bench-gio.py stream HOST PORT COUNT
#
# Connects with Gio.SocketClient and reads "\n"-terminated lines with one
# read_line_async per line until end of stream, the way a PyGObject program
# does it without tcpclient. Prints "lines=<n> bytes=<b> seconds=<s>"; exit
# status 0 only when COUNT lines arrived, 2 for an unsupported mode.

import os
import sys
import time

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
from gi.repository import GLib, Gio  # noqa: E402


class Bench:
    def __init__(self, host, port, count):
        self.host = host
        self.port = port
        self.count = count
        self.lines = 0
        self.bytes = 0
        self.failed = False
        self.loop = GLib.MainLoop()
        self.client = Gio.SocketClient.new()
        self.connection = None
        self.data = None

    def fail(self, what, error):
        print(f'tcpc-bench-gio.py: {what}: {error.message}', file=sys.stderr)
        self.failed = True
        self.loop.quit()

    def on_connected(self, client, result):
        try:
            self.connection = client.connect_finish(result)
        except GLib.Error as error:
            self.fail('connect', error)
            return
        self.data = Gio.DataInputStream.new(self.connection.get_input_stream())
        self.data.set_newline_type(Gio.DataStreamNewlineType.LF)
        self.data.read_line_async(GLib.PRIORITY_DEFAULT, None, self.on_line)

    def on_line(self, data, result):
        try:
            line, length = data.read_line_finish(result)
        except GLib.Error as error:
            self.fail('read', error)
            return
        # PyGObject gives b'' both for end of stream (NULL) and for an empty
        # line; the benchmark server never sends empty lines.
        if not line:
            self.loop.quit()
            return
        self.lines += 1
        self.bytes += length + 1
        data.read_line_async(GLib.PRIORITY_DEFAULT, None, self.on_line)

    def on_timeout(self):
        print('tcpc-bench-gio.py: timed out', file=sys.stderr)
        self.failed = True
        self.loop.quit()
        return GLib.SOURCE_REMOVE

    def run(self):
        timeout = int(os.environ.get('TCPC_BENCH_TIMEOUT', '0') or 0) or 600
        timeout_id = GLib.timeout_add_seconds(timeout, self.on_timeout)
        start = time.monotonic()
        address = Gio.NetworkAddress.new(self.host, self.port)
        self.client.connect_async(address, None, self.on_connected)
        self.loop.run()
        seconds = time.monotonic() - start
        GLib.source_remove(timeout_id)
        print(f'lines={self.lines} bytes={self.bytes} seconds={seconds:.6f}')
        return 0 if self.lines == self.count and not self.failed else 1


def main(argv):
    if len(argv) != 5:
        print('usage: tcpc-bench-gio.py stream HOST PORT COUNT', file=sys.stderr)
        return 2
    if argv[1] != 'stream':
        print(f'tcpc-bench-gio.py: unsupported mode "{argv[1]}"', file=sys.stderr)
        return 2
    try:
        port, count = int(argv[3]), int(argv[4])
        if not 0 < port < 65536 or count < 0:
            raise ValueError
    except ValueError:
        print('tcpc-bench-gio.py: bad PORT or COUNT', file=sys.stderr)
        return 1
    return Bench(argv[2], port, count).run()


if __name__ == '__main__':
    sys.exit(main(sys.argv))
