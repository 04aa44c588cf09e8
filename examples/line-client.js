// line-client.js: a line-oriented client in JavaScript (GJS), netcat style.
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
//   gjs -m line-client.js HOST PORT
//
// Connects, sends every line typed on standard input as one record and
// prints every line the server sends back ("< line"). At the end of the
// input it half-closes the connection (shutdown_output): the server sees
// the end of the stream, its last replies still arrive, and the client
// exits when the server closes. Ctrl+C shuts down at once (after writing
// what is pending).
//
// Gio._promisify turns the asynchronous pairs into promises: the loop below
// awaits each line from standard input and then awaits flush_async, so the
// next line is read once the previous one is on the wire.
//
// Exit status: 0 after a normal end, 1 when the connection failed, 2 on a
// usage error.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Tcpc from 'gi://Tcpc?version=1.0';
import System from 'system';

Gio._promisify(Tcpc.Client.prototype, 'flush_async', 'flush_finish');
Gio._promisify(Gio.DataInputStream.prototype, 'read_line_async', 'read_line_finish_utf8');

const [host, port] = System.programArgs;
if (System.programArgs.length !== 2 || !/^[0-9]+$/.test(port) || !(port > 0 && port < 65536)) {
    printerr('usage: gjs -m line-client.js HOST PORT');
    System.exit(2);
}

const loop = new GLib.MainLoop(null, false);
const decoder = new TextDecoder();
const stdin = new Gio.DataInputStream({
    base_stream: new Gio.UnixInputStream({fd: 0, close_fd: false}),
});
let status = 0;
let sent = 0;

async function sendStandardInput(client) {
    for (;;) {
        // eslint-disable-next-line no-await-in-loop
        const [line] = await stdin.read_line_async(GLib.PRIORITY_DEFAULT, null);
        if (!client.is_connected())
            return;
        if (line === null) {
            // End of input: the server sees the end of the stream once the
            // last line is written, and closes when it has answered.
            client.shutdown_output();
            return;
        }
        client.put_string(line.replace(/\r$/, ''));
        sent++;
        // eslint-disable-next-line no-await-in-loop
        await client.flush_async(null);
    }
}

const client = new Tcpc.Client({remote_address: host, remote_port: Number(port)});
client.connect('connected', (c, stream, address) => {
    print(`connected to ${address.address.to_string()} port ${address.port}`);
    sendStandardInput(client).catch(error => {
        // flush_async fails when the connection ends first; put_string
        // when it is no longer connected.
        if (client.is_connected()) {
            printerr(`put error: ${error.message}`);
            client.shutdown();
        }
    });
});
client.connect('server-input', (c, record) => {
    print(`< ${decoder.decode(record.toArray())}`);
});
for (const signal of ['connect-error', 'server-error']) {
    client.connect(signal, (c, operation, error) => {
        printerr(`${operation} error: ${error.message}`);
        status = 1;
    });
}
client.connect('disconnected', () => print(`disconnected after sending ${sent} lines`));
// CLOSED comes after disconnected or connect-error (and after a Ctrl+C
// while still connecting): nothing more will happen.
client.connect('notify::state', () => {
    if (client.state === Tcpc.ClientState.CLOSED)
        loop.quit();
});
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 2 /* SIGINT */, () => {
    client.shutdown();
    return GLib.SOURCE_CONTINUE;
});

client.start();
loop.run();
System.exit(status);
