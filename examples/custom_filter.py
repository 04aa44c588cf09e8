#!/usr/bin/python3
# custom_filter.py: a filter written in Python, used by a client.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   python3 custom_filter.py HOST PORT
#
# JsonLinesFilter implements the Tcpc.Filter interface for JSON Lines
# (https://jsonlines.org): one JSON value per line, ended by "\n". A record
# is the UTF-8 text of one value; a line that is not JSON is reported as a
# Tcpc.FilterError.MALFORMED error, which the client hands to its
# server-error signal (operation "read") without losing the lines after it.
# The client sends three requests ({"id", "method", "params"}) to a JSON-RPC
# style server, prints the answers, and shuts down when all have arrived.
#
# Exit status: 0 after all answers, 1 when the connection failed or ended
# early, 2 on a usage error.

import json
import sys

import gi

gi.require_version('Tcpc', '1.0')
gi.require_version('GObject', '2.0')
from gi.repository import GLib, GObject, Tcpc  # noqa: E402


def filter_error(code, message):
    """A GLib.Error in the Tcpc.FilterError domain, to raise from a vfunc."""
    return GLib.Error.new_literal(Tcpc.filter_error_quark(), message, code)


class JsonLinesFilter(GObject.Object, Tcpc.Filter):
    """JSON Lines framing. Every method of Tcpc.Filter is a do_* vfunc."""

    __gtype_name__ = 'ExampleJsonLinesFilter'

    # A setting, as a GObject property; do_clone copies it.
    max_length = GObject.Property(type=int, default=1024 * 1024, minimum=1,
                                  nick='Maximum length',
                                  blurb='The longest line accepted, in bytes')

    def __init__(self, **properties):
        super().__init__(**properties)
        self.buffer = bytearray()
        self.last_clone = None

    def do_feed(self, data):
        self.buffer += data.get_data() or b''
        if b'\n' not in self.buffer and len(self.buffer) > self.max_length:
            raise filter_error(Tcpc.FilterError.RECORD_TOO_LONG,
                               'a line longer than %d bytes' % self.max_length)
        return True

    def do_next_record(self):
        while True:
            end = self.buffer.find(b'\n')
            if end < 0:
                return None  # needs more bytes
            line = bytes(self.buffer[:end]).rstrip(b'\r')
            del self.buffer[:end + 1]
            if line.strip():
                break  # JSON Lines allows blank lines: skip them
        try:
            json.loads(line)
        except ValueError as error:
            # The line is gone from the buffer: the next one parses fine.
            raise filter_error(Tcpc.FilterError.MALFORMED,
                               'not JSON (%s): %r' % (error, line[:40]))
        return GLib.Bytes.new(line)

    def do_encode(self, record):
        text = record.get_data() or b''
        try:
            value = json.loads(text)
        except ValueError as error:
            raise filter_error(Tcpc.FilterError.MALFORMED, 'not JSON: %s' % error)
        # One line per value, whatever whitespace the record had.
        return GLib.Bytes.new(json.dumps(value, separators=(',', ':')).encode() + b'\n')

    def do_take_pending(self):
        pending, self.buffer = bytes(self.buffer), bytearray()
        return GLib.Bytes.new(pending) if pending else None

    def do_clone(self):
        clone = JsonLinesFilter(max_length=self.max_length)
        # PyGObject drops its own reference to the object do_clone returns
        # before the caller has taken one: keep the clone alive until the
        # next call (only the last one, so that reconnects do not pile up).
        self.last_clone = clone
        return clone


def put_json(client, value):
    client.put(GLib.Bytes.new(json.dumps(value).encode()))


def main(argv):
    if len(argv) != 3 or not argv[2].isdigit() or not 0 < int(argv[2]) < 65536:
        print('usage: %s HOST PORT' % argv[0], file=sys.stderr)
        return 2

    loop = GLib.MainLoop()
    requests = {1: ('add', [1, 2, 3]), 2: ('upper', 'json lines'), 3: ('noisy', None)}
    waiting = set(requests)

    client = Tcpc.Client(remote_address=argv[1], remote_port=int(argv[2]),
                         filter=JsonLinesFilter(max_length=64 * 1024),
                         # A line that is not JSON is reported, not fatal.
                         shutdown_on_error=False)

    def on_connected(client, stream, address):
        for request_id, (method, params) in requests.items():
            put_json(client, {'id': request_id, 'method': method, 'params': params})

    def on_server_input(client, record):
        answer = json.loads(record.get_data())
        method, params = requests[answer['id']]
        if isinstance(params, list):
            call = '%s(%s)' % (method, ', '.join(json.dumps(p) for p in params))
        else:
            call = '%s(%s)' % (method, json.dumps(params) if params is not None else '')
        print('%s = %s' % (call, json.dumps(answer.get('result', answer.get('error')))),
              flush=True)
        waiting.discard(answer['id'])
        if not waiting:
            client.shutdown()

    def on_error(client, operation, error):
        print('%s error: %s' % (operation, error.message), flush=True)

    client.connect('connected', on_connected)
    client.connect('server-input', on_server_input)
    client.connect('server-error', on_error)
    client.connect('connect-error', on_error)
    client.connect('disconnected', lambda client: print('disconnected', flush=True))
    client.connect('notify::state',
                   lambda c, pspec: c.props.state == Tcpc.ClientState.CLOSED and loop.quit())
    client.start()
    loop.run()
    return 0 if not waiting else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
