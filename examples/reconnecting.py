#!/usr/bin/python3
# reconnecting.py: a client that stays connected, in Python.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   python3 reconnecting.py HOST PORT [RECORDS]
#
# Keeps a connection to a line server: whenever the connection cannot be
# made or is lost, the client tries again by itself (the auto-reconnect
# property), waiting 1, 2, 4, 8, then 10 seconds between attempts (with a
# little random jitter), and shows the countdown of the next-retry property
# as it changes. On every connection it says "hello" and prints what the
# server sends. It stops after RECORDS records (default: never; Ctrl+C
# stops it) or after 20 failed attempts in a row.
#
# Exit status: 0 when stopped, 1 when it gave up, 2 on a usage error.

import signal
import sys

import gi

gi.require_version('Tcpc', '1.0')
from gi.repository import GLib, Tcpc  # noqa: E402


class ReconnectingClient(Tcpc.Client):
    """A Tcpc.Client subclass: the class handlers (do_*) are its signal
    handlers; the reconnect policy is set with properties."""

    def __init__(self, host, port, records=0):
        super().__init__(remote_address=host, remote_port=port,
                         auto_reconnect=True,
                         reconnect_delay=1.0,       # first wait, in seconds
                         reconnect_multiplier=2.0,  # then 2, 4, 8 ...
                         reconnect_max_delay=10.0,  # ... but never more than 10
                         reconnect_max_attempts=20)
        self.records_left = records
        self.connect('notify::state', self.on_state)
        self.connect('notify::next-retry', self.on_next_retry)

    # Class handlers of the client's signals.

    def do_connected(self, stream, address):
        print('connected to %s port %d' % (address.get_address().to_string(),
                                           address.get_port()), flush=True)
        self.put_string('hello')

    def do_connect_error(self, operation, error):
        print('connect error (%s): %s' % (operation, error.message), flush=True)

    def do_server_input(self, record):
        print('from server: %s' % (record.get_data() or b'').decode('utf-8', 'replace'),
              flush=True)
        if self.records_left > 0:
            self.records_left -= 1
            if self.records_left == 0:
                self.shutdown()

    def do_disconnected(self):
        print('disconnected', flush=True)

    # Property notifications.

    def on_state(self, client, pspec):
        print('state: %s' % self.props.state.value_nick, flush=True)

    def on_next_retry(self, client, pspec):
        # Counts down in whole seconds while a retry is scheduled; 0 when
        # the attempt starts (or the retry was cancelled).
        if self.props.next_retry > 0:
            print('retry %d in %d s' % (self.props.reconnect_attempt, self.props.next_retry),
                  flush=True)


def main(argv):
    if (len(argv) not in (3, 4) or not argv[2].isdigit() or not 0 < int(argv[2]) < 65536 or
            (len(argv) == 4 and not argv[3].isdigit())):
        print('usage: %s HOST PORT [RECORDS]' % argv[0], file=sys.stderr)
        return 2

    loop = GLib.MainLoop()
    client = ReconnectingClient(argv[1], int(argv[2]), int(argv[3]) if len(argv) == 4 else 0)
    # The client is closed when it was shut down or gave up retrying.
    client.connect('notify::state',
                   lambda c, pspec: c.props.state == Tcpc.ClientState.CLOSED and loop.quit())

    def on_sigint():
        client.shutdown()  # also cancels a scheduled retry
        return GLib.SOURCE_CONTINUE
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, on_sigint)

    client.start()
    loop.run()
    # Gave up: the retries ran out. Stopped: RECORDS arrived or Ctrl+C.
    return 1 if client.props.reconnect_attempt >= client.props.reconnect_max_attempts else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
