#!/usr/bin/python3
# line_client.py: a line-oriented client in Python, netcat style.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   python3 line_client.py HOST PORT
#
# Connects, sends every line typed on standard input as one record and prints
# every line the server sends back ("< line"). At the end of the input it
# waits until everything typed was written, then half-closes the connection
# (Tcpc.Client.shutdown_output): the server sees the end of the stream, its
# last replies still arrive, and the client exits when the server closes.
# Ctrl+C shuts down at once (after writing what is pending).
#
# Standard input is read asynchronously on the same main loop as the client,
# one line at a time: the next line is read when the previous one has been
# written (Tcpc.Client.flush_async), so a fast producer never queues more
# than a line.
#
# Exit status: 0 after a normal end, 1 when the connection failed, 2 on a
# usage error.

import signal
import sys

import gi

gi.require_version('Tcpc', '1.0')
gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib, Tcpc  # noqa: E402


class LineClient:
    def __init__(self, host, port):
        self.loop = GLib.MainLoop()
        self.status = 0
        self.sent = 0
        self.stdin = Gio.DataInputStream.new(Gio.UnixInputStream.new(sys.stdin.fileno(), False))

        self.client = Tcpc.Client.new(host, port)
        self.client.connect('connected', self.on_connected)
        self.client.connect('server-input', self.on_server_input)
        self.client.connect('connect-error', self.on_error)
        self.client.connect('server-error', self.on_error)
        self.client.connect('disconnected', self.on_disconnected)
        self.client.connect('notify::state', self.on_state)

    def run(self):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, self.on_sigint)
        self.client.start()
        self.loop.run()
        return self.status

    # --- the client's signals

    def on_connected(self, client, stream, address):
        print('connected to %s port %d' % (address.get_address().to_string(),
                                           address.get_port()), flush=True)
        self.read_next_line()

    def on_server_input(self, client, record):
        line = (record.get_data() or b'').decode('utf-8', 'replace')
        print('< %s' % line, flush=True)

    def on_error(self, client, operation, error):
        print('%s error: %s' % (operation, error.message), file=sys.stderr)
        self.status = 1

    def on_disconnected(self, client):
        print('disconnected after sending %d lines' % self.sent, flush=True)

    def on_state(self, client, pspec):
        # CLOSED comes after disconnected or connect-error (and after a
        # Ctrl+C while still connecting): nothing more will happen.
        if client.props.state == Tcpc.ClientState.CLOSED:
            self.loop.quit()

    def on_sigint(self):
        self.client.shutdown()
        return GLib.SOURCE_CONTINUE

    # --- standard input

    def read_next_line(self):
        self.stdin.read_line_async(GLib.PRIORITY_DEFAULT, None, self.on_line_read)

    def on_line_read(self, stdin, result):
        line, _length = stdin.read_line_finish_utf8(result)
        if not self.client.is_connected():
            return
        if line is None:
            # End of input: the server sees the end of the stream once the
            # last line is written, and closes when it has answered.
            self.client.shutdown_output()
            return
        try:
            self.client.put_string(line.rstrip('\r'))
        except GLib.Error as error:
            print('put error: %s' % error.message, file=sys.stderr)
            self.client.shutdown()
            return
        self.sent += 1
        # Read the next line once this one is on the wire.
        self.client.flush_async(None, self.on_flushed)

    def on_flushed(self, client, result):
        try:
            client.flush_finish(result)
        except GLib.Error:
            return  # the connection ended; on_disconnected quits
        self.read_next_line()


def main(argv):
    if len(argv) != 3 or not argv[2].isdigit() or not 0 < int(argv[2]) < 65536:
        print('usage: %s HOST PORT' % argv[0], file=sys.stderr)
        return 2
    return LineClient(argv[1], int(argv[2])).run()


if __name__ == '__main__':
    sys.exit(main(sys.argv))
