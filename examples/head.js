// head.js: the POE::Component::Client::TCP synopsis, in JavaScript (GJS).
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Connects to HOST (port 80 unless PORT is given), sends "HEAD / HTTP/1.0"
// and an empty line, and prints every line the server sends back.
//
//   gjs -m head.js HOST [PORT]
//
// Exit status: 0 once the server has closed the connection, 1 when the
// connection could not be made, 2 on a usage error.

import GLib from 'gi://GLib';
import Tcpc from 'gi://Tcpc?version=1.0';
import System from 'system';

const [host, portArg = '80'] = System.programArgs;
if (!host || System.programArgs.length > 2 || !/^[0-9]+$/.test(portArg)) {
    printerr('usage: gjs -m head.js HOST [PORT]');
    System.exit(2);
}

const loop = new GLib.MainLoop(null, false);
const decoder = new TextDecoder();
let status = 0;

const client = Tcpc.Client.new(host, Number(portArg));
client.connect('connected', () => {
    client.put_string('HEAD / HTTP/1.0');
    client.put_string('');
});
client.connect('server-input', (c, record) => {
    print(`from server: ${decoder.decode(record.toArray())}`);
});
client.connect('connect-error', (c, operation, error) => {
    printerr(`${operation} error: ${error.message}`);
    status = 1;
    loop.quit();
});
client.connect('disconnected', () => loop.quit());
client.start();
loop.run();
System.exit(status);
