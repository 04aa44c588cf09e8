// reconnecting.js: a client that stays connected, in JavaScript (GJS).
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
//   gjs -m reconnecting.js HOST PORT [RECORDS]
//
// Keeps a connection to a line server: whenever the connection cannot be
// made or is lost, the client tries again by itself (the auto_reconnect
// property), waiting 1, 2, 4, 8, then 10 seconds between attempts (with a
// little random jitter), and shows the countdown of the next_retry property
// as it changes. On every connection it says "hello" and prints what the
// server sends. It stops after RECORDS records (default: never; Ctrl+C
// stops it) or after 20 failed attempts in a row.
//
// Exit status: 0 when stopped, 1 when it gave up, 2 on a usage error.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Tcpc from 'gi://Tcpc?version=1.0';
import System from 'system';

const decoder = new TextDecoder();

// The state's nick ("connecting", "shutting-down", ...) for printing.
function stateName(state) {
    return GObject.enum_to_string(Tcpc.ClientState.$gtype, state)
        .replace(/^TCPC_CLIENT_STATE_/, '').toLowerCase().replace(/_/g, '-');
}

// A Tcpc.Client subclass: the vfunc_* class handlers are its signal
// handlers; the reconnect policy is set with properties.
const ReconnectingClient = GObject.registerClass(
class ReconnectingClient extends Tcpc.Client {
    _init(host, port, records = 0) {
        super._init({
            remote_address: host,
            remote_port: port,
            auto_reconnect: true,
            reconnect_delay: 1.0,       // first wait, in seconds
            reconnect_multiplier: 2.0,  // then 2, 4, 8 ...
            reconnect_max_delay: 10.0,  // ... but never more than 10
            reconnect_max_attempts: 20,
        });
        this.recordsLeft = records;
        this.connect('notify::state', () => print(`state: ${stateName(this.state)}`));
        this.connect('notify::next-retry', () => {
            // Counts down in whole seconds while a retry is scheduled; 0
            // when the attempt starts (or the retry was cancelled).
            if (this.next_retry > 0)
                print(`retry ${this.reconnect_attempt} in ${this.next_retry} s`);
        });
    }

    vfunc_connected(stream, address) {
        print(`connected to ${address.address.to_string()} port ${address.port}`);
        this.put_string('hello');
    }

    vfunc_connect_error(operation, error) {
        print(`connect error (${operation}): ${error.message}`);
    }

    vfunc_server_input(record) {
        print(`from server: ${decoder.decode(record.toArray())}`);
        if (this.recordsLeft > 0 && --this.recordsLeft === 0)
            this.shutdown();
    }

    vfunc_disconnected() {
        print('disconnected');
    }
});

const [host, port, records = '0'] = System.programArgs;
if (System.programArgs.length < 2 || System.programArgs.length > 3 ||
    !/^[0-9]+$/.test(port) || !(port > 0 && port < 65536) || !/^[0-9]+$/.test(records)) {
    printerr('usage: gjs -m reconnecting.js HOST PORT [RECORDS]');
    System.exit(2);
}

const loop = new GLib.MainLoop(null, false);
const client = new ReconnectingClient(host, Number(port), Number(records));
// The client is closed when it was shut down or gave up retrying.
client.connect('notify::state', () => {
    if (client.state === Tcpc.ClientState.CLOSED)
        loop.quit();
});
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 2 /* SIGINT */, () => {
    client.shutdown();  // also cancels a scheduled retry
    return GLib.SOURCE_CONTINUE;
});

client.start();
loop.run();
// Gave up: the retries ran out. Stopped: RECORDS arrived or Ctrl+C.
System.exit(client.reconnect_attempt >= client.reconnect_max_attempts ? 1 : 0);
