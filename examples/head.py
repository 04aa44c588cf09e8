#!/usr/bin/python3
# head.py: the POE::Component::Client::TCP synopsis, in Python.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Connects to HOST (port 80 unless PORT is given), sends "HEAD / HTTP/1.0" and
# an empty line, and prints every line the server sends back.
#
#   python3 head.py HOST [PORT]
#
# Exit status: 0 once the server has closed the connection, 1 when the
# connection could not be made, 2 on a usage error.

import sys

import gi

gi.require_version('Tcpc', '1.0')
from gi.repository import GLib, Tcpc  # noqa: E402


def main(argv):
    if len(argv) not in (2, 3) or (len(argv) == 3 and not argv[2].isdigit()):
        print('usage: %s HOST [PORT]' % argv[0], file=sys.stderr)
        return 2
    host = argv[1]
    port = int(argv[2]) if len(argv) == 3 else 80

    loop = GLib.MainLoop()
    status = 0

    def on_connected(client, stream, remote_address):
        client.put_string('HEAD / HTTP/1.0')
        client.put_string('')

    def on_server_input(client, record):
        line = (record.get_data() or b'').decode('utf-8', 'replace')
        print('from server: %s' % line, flush=True)

    def on_connect_error(client, operation, error):
        nonlocal status
        print('%s error: %s' % (operation, error.message), file=sys.stderr)
        status = 1
        loop.quit()

    client = Tcpc.Client.new(host, port)
    client.connect('connected', on_connected)
    client.connect('server-input', on_server_input)
    client.connect('connect-error', on_connect_error)
    client.connect('disconnected', lambda client: loop.quit())
    client.start()
    loop.run()
    return status


if __name__ == '__main__':
    sys.exit(main(sys.argv))
