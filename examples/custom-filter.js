// custom-filter.js: a filter written in JavaScript (GJS), used by a client.
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
//   gjs -m custom-filter.js HOST PORT
//
// JsonLinesFilter implements the Tcpc.Filter interface for JSON Lines
// (https://jsonlines.org): one JSON value per line, ended by "\n". A record
// is the UTF-8 text of one value; a line that is not JSON is reported as a
// Tcpc.FilterError.MALFORMED error, which the client hands to its
// server-error signal (operation "read") without losing the lines after it.
// The client sends three requests ({"id", "method", "params"}) to a
// JSON-RPC style server, prints the answers, and shuts down when all have
// arrived.
//
// Exit status: 0 after all answers, 1 when the connection failed or ended
// early, 2 on a usage error.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Tcpc from 'gi://Tcpc?version=1.0';
import System from 'system';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NEWLINE = 10, CR = 13;

function filterError(code, message) {
    return new GLib.Error(Tcpc.filter_error_quark(), code, message);
}

// JSON Lines framing. Every method of Tcpc.Filter is a vfunc_*; the
// setting is a GObject property, which vfunc_clone copies.
const JsonLinesFilter = GObject.registerClass({
    GTypeName: 'ExampleJsJsonLinesFilter',
    Implements: [Tcpc.Filter],
    Properties: {
        'max-length': GObject.ParamSpec.uint('max-length', 'Maximum length',
            'The longest line accepted, in bytes', GObject.ParamFlags.READWRITE,
            1, GLib.MAXUINT32, 1024 * 1024),
    },
}, class JsonLinesFilter extends GObject.Object {
    _init(properties = {}) {
        super._init(properties);
        this._buffer = new Uint8Array(0);
    }

    get max_length() {
        return this._maxLength ?? 1024 * 1024;
    }

    set max_length(value) {
        this._maxLength = value;
        this.notify('max-length');
    }

    vfunc_feed(data) {
        const bytes = data.toArray();
        const joined = new Uint8Array(this._buffer.length + bytes.length);
        joined.set(this._buffer);
        joined.set(bytes, this._buffer.length);
        this._buffer = joined;
        if (!this._buffer.includes(NEWLINE) && this._buffer.length > this.max_length) {
            throw filterError(Tcpc.FilterError.RECORD_TOO_LONG,
                `a line longer than ${this.max_length} bytes`);
        }
        return true;
    }

    vfunc_next_record() {
        let line;
        do {
            const end = this._buffer.indexOf(NEWLINE);
            if (end < 0)
                return null;  // needs more bytes
            line = this._buffer.subarray(0, end > 0 && this._buffer[end - 1] === CR ? end - 1 : end);
            this._buffer = this._buffer.slice(end + 1);
        } while (decoder.decode(line).trim() === '');  // JSON Lines allows blank lines

        const text = decoder.decode(line);
        try {
            JSON.parse(text);
        } catch (e) {
            // The line is gone from the buffer: the next one parses fine.
            throw filterError(Tcpc.FilterError.MALFORMED,
                `not JSON (${e.message}): ${JSON.stringify(text.slice(0, 40))}`);
        }
        return new GLib.Bytes(line);
    }

    vfunc_encode(record) {
        let value;
        try {
            value = JSON.parse(decoder.decode(record.toArray()));
        } catch (e) {
            throw filterError(Tcpc.FilterError.MALFORMED, `not JSON: ${e.message}`);
        }
        // One line per value, whatever whitespace the record had.
        return new GLib.Bytes(encoder.encode(`${JSON.stringify(value)}\n`));
    }

    vfunc_take_pending() {
        const pending = this._buffer;
        this._buffer = new Uint8Array(0);
        return pending.length > 0 ? new GLib.Bytes(pending) : null;
    }

    vfunc_clone() {
        // Unlike PyGObject, GJS hands the caller its own reference: no
        // need to keep the clone.
        return new JsonLinesFilter({max_length: this.max_length});
    }
});

function putJson(client, value) {
    client.put(new GLib.Bytes(encoder.encode(JSON.stringify(value))));
}

const [host, port] = System.programArgs;
if (System.programArgs.length !== 2 || !/^[0-9]+$/.test(port) || !(port > 0 && port < 65536)) {
    printerr('usage: gjs -m custom-filter.js HOST PORT');
    System.exit(2);
}

const loop = new GLib.MainLoop(null, false);
const requests = new Map([
    [1, ['add', [1, 2, 3]]],
    [2, ['upper', 'json lines']],
    [3, ['noisy', null]],
]);
const waiting = new Set(requests.keys());

const client = new Tcpc.Client({
    remote_address: host,
    remote_port: Number(port),
    filter: new JsonLinesFilter({max_length: 64 * 1024}),
    shutdown_on_error: false,  // a line that is not JSON is reported, not fatal
});
client.connect('connected', () => {
    for (const [id, [method, params]] of requests)
        putJson(client, {id, method, params});
});
client.connect('server-input', (c, record) => {
    const answer = JSON.parse(decoder.decode(record.toArray()));
    const [method, params] = requests.get(answer.id);
    const args = Array.isArray(params) ? params.map(p => JSON.stringify(p)).join(', ')
        : params !== null ? JSON.stringify(params) : '';
    print(`${method}(${args}) = ${JSON.stringify(answer.result ?? answer.error)}`);
    waiting.delete(answer.id);
    if (waiting.size === 0)
        client.shutdown();
});
for (const signal of ['server-error', 'connect-error']) {
    client.connect(signal, (c, operation, error) => {
        print(`${operation} error: ${error.message}`);
    });
}
client.connect('disconnected', () => print('disconnected'));
client.connect('notify::state', () => {
    if (client.state === Tcpc.ClientState.CLOSED)
        loop.quit();
});

client.start();
loop.run();
System.exit(waiting.size === 0 ? 0 : 1);
