// test-client.js: the Tcpc-1.0 typelib used from JavaScript (GJS).
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Run by meson as `gjs -m tests/gjs/test-client.js` with GI_TYPELIB_PATH and
// LD_LIBRARY_PATH pointing at build/tcpclient. Every test talks to a real
// loopback server (Gio.SocketService on 127.0.0.1, port chosen by the kernel)
// on the same main loop as the client; every loop is bounded by a GLib
// timeout that fails the test.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Tcpc from 'gi://Tcpc?version=1.0';
import System from 'system';

const LOOP_TIMEOUT_MS = 10000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toBytes(str) {
    return new GLib.Bytes(encoder.encode(str));
}

function fromBytes(bytes) {
    return bytes === null ? null : decoder.decode(bytes.toArray());
}

function assert(condition, message) {
    if (!condition)
        throw new Error(`assertion failed: ${message}`);
}

function assertEqual(actual, expected, message) {
    const a = JSON.stringify(actual), e = JSON.stringify(expected);
    if (a !== e)
        throw new Error(`${message}: expected ${e}, got ${a}`);
}

function assertThrowsNotConnected(func, message) {
    let error = null;
    try {
        func();
    } catch (e) {
        error = e;
    }
    assert(error !== null, `${message}: no exception`);
    assert(error instanceof GLib.Error, `${message}: not a GLib.Error: ${error}`);
    assert(error.matches(Tcpc.client_error_quark(), Tcpc.ClientError.NOT_CONNECTED),
        `${message}: wrong error ${error}`);
}

// A line server on 127.0.0.1 and a kernel-chosen port. `greeting` is sent to
// every new connection; `onLine(conn, line)` is called for every CR LF
// terminated line; a line "quit" makes the default handler say "bye" and close.
class LoopbackServer {
    constructor({greeting = null, onLine = null} = {}) {
        this.greeting = greeting;
        this.onLine = onLine ?? ((conn, line) => {
            if (line === 'quit') {
                conn.send('bye\r\n');
                conn.closeAfterWrites();
            } else {
                conn.send(`echo: ${line}\r\n`);
            }
        });
        this.lines = [];
        this.eofCount = 0;
        this.connections = [];
        this.service = new Gio.SocketService();
        const address = Gio.InetSocketAddress.new_from_string('127.0.0.1', 0);
        const [ok, effective] = this.service.add_address(address,
            Gio.SocketType.STREAM, Gio.SocketProtocol.TCP, null);
        assert(ok, 'add_address');
        this.port = effective.get_port();
        this.service.connect('incoming', (service, connection) => {
            const conn = new ServerConnection(this, connection);
            this.connections.push(conn);
            conn.start();
            return true;
        });
        this.service.start();
    }

    stop() {
        this.service.stop();
        this.service.close();
        for (const conn of this.connections)
            conn.close();
    }
}

class ServerConnection {
    constructor(server, connection) {
        this.server = server;
        this.connection = connection;
        this.input = connection.get_input_stream();
        this.output = connection.get_output_stream();
        this.cancellable = new Gio.Cancellable();
        this.buffer = '';
        this.queue = [];
        this.writing = false;
        this.closeWhenWritten = false;
        this.closed = false;
    }

    start() {
        if (this.server.greeting !== null)
            this.send(this.server.greeting);
        this.read();
    }

    read() {
        this.input.read_bytes_async(65536, GLib.PRIORITY_DEFAULT, this.cancellable,
            (stream, result) => {
                let bytes;
                try {
                    bytes = stream.read_bytes_finish(result);
                } catch (e) {
                    this.close();
                    return;
                }
                if (bytes.get_size() === 0) {
                    this.server.eofCount++;
                    this.closeAfterWrites();
                    return;
                }
                this.buffer += fromBytes(bytes);
                let index;
                while ((index = this.buffer.indexOf('\r\n')) >= 0) {
                    const line = this.buffer.slice(0, index);
                    this.buffer = this.buffer.slice(index + 2);
                    this.server.lines.push(line);
                    this.server.onLine(this, line);
                    if (this.closed || this.closeWhenWritten)
                        return;
                }
                this.read();
            });
    }

    send(str) {
        if (this.closed)
            return;
        this.queue.push(encoder.encode(str));
        this.writeNext();
    }

    writeNext() {
        if (this.writing || this.closed)
            return;
        if (this.queue.length === 0) {
            if (this.closeWhenWritten)
                this.close();
            return;
        }
        this.writing = true;
        this.output.write_bytes_async(new GLib.Bytes(this.queue[0]),
            GLib.PRIORITY_DEFAULT, this.cancellable, (stream, result) => {
                this.writing = false;
                let written;
                try {
                    written = stream.write_bytes_finish(result);
                } catch (e) {
                    this.close();
                    return;
                }
                if (written < this.queue[0].length)
                    this.queue[0] = this.queue[0].slice(written);
                else
                    this.queue.shift();
                this.writeNext();
            });
    }

    closeAfterWrites() {
        this.closeWhenWritten = true;
        this.writeNext();
    }

    close() {
        if (this.closed)
            return;
        this.closed = true;
        this.cancellable.cancel();
        try {
            this.connection.close(null);
        } catch (e) {
            // already closed
        }
    }
}

// Runs a main loop until `done` is called or the timeout expires. `body`
// receives {loop, done, fail, guard}; guard(fn) wraps a signal handler so
// that an exception in it fails the test instead of only being logged.
function runLoop(what, body) {
    const loop = new GLib.MainLoop(null, false);
    let failure = null;
    let finished = false;
    const done = () => {
        finished = true;
        loop.quit();
    };
    const fail = e => {
        if (failure === null)
            failure = e;
        loop.quit();
    };
    const guard = fn => (...args) => {
        try {
            return fn(...args);
        } catch (e) {
            fail(e);
            return undefined;
        }
    };
    const timeout = GLib.timeout_add(GLib.PRIORITY_DEFAULT, LOOP_TIMEOUT_MS, () => {
        fail(new Error(`timed out after ${LOOP_TIMEOUT_MS} ms waiting for ${what}`));
        return GLib.SOURCE_REMOVE;
    });
    try {
        body({loop, done, fail, guard});
    } catch (e) {
        fail(e);
    }
    if (failure === null && !finished)
        loop.run();
    if (failure === null || !failure.message.startsWith('timed out'))
        GLib.source_remove(timeout);
    if (failure !== null)
        throw failure;
}

// Drains pending events (closes, cancellations) between tests.
function settle() {
    const context = GLib.MainContext.default();
    const deadline = GLib.get_monotonic_time() + 200000;
    while (context.pending() && GLib.get_monotonic_time() < deadline)
        context.iteration(false);
}

function recordSignals(client, events, guard) {
    client.connect('started', guard(() => events.push('started')));
    client.connect('connected', guard(() => events.push('connected')));
    client.connect('connect-error', guard((c, op, err) =>
        events.push(`connect-error ${op} ${err.message}`)));
    client.connect('server-input', guard((c, record) =>
        events.push(`input ${fromBytes(record)}`)));
    client.connect('server-error', guard((c, op, err) =>
        events.push(`server-error ${op} ${err.message}`)));
    client.connect('flushed', guard(() => events.push('flushed')));
    client.connect('disconnected', guard(() => events.push('disconnected')));
}

const tests = [];
function test(name, fn) {
    tests.push({name, fn});
}

test('session: connect, put, records, flushed, shutdown', () => {
    const server = new LoopbackServer({greeting: 'hello\r\n'});
    const client = Tcpc.Client.new('127.0.0.1', server.port);
    const events = [];
    const states = [];
    try {
        runLoop('records and disconnected', ({done, guard}) => {
            recordSignals(client, events, guard);
            client.connect('notify::state', guard(() => states.push(client.state)));
            client.connect('connected', guard((c, stream, address) => {
                assert(stream instanceof Gio.IOStream, 'stream is a GIOStream');
                assertEqual(address.get_port(), server.port, 'remote port');
                assert(c.is_connected(), 'is_connected in connected');
                assert(c.put_string('one'), 'put_string');
                assert(c.put(toBytes('two')), 'put');
            }));
            client.connect_after('server-input', guard(c => {
                if (events.filter(e => e.startsWith('input')).length === 3) {
                    c.shutdown();
                    assert(!c.is_connected(), 'not connected while shutting down');
                    assertThrowsNotConnected(() => c.put_string('late'),
                        'put while shutting down');
                }
            }));
            client.connect('disconnected', guard(c => {
                assert(!c.is_connected(), 'not connected in disconnected');
                done();
            }));
            assertEqual(client.get_state(), Tcpc.ClientState.IDLE, 'initial state');
            client.start();
        });
        assertEqual(events.filter(e => e.startsWith('input')),
            ['input hello', 'input echo: one', 'input echo: two'], 'records');
        assertEqual(events[0], 'started', 'first signal');
        assertEqual(events[events.length - 1], 'disconnected', 'last signal');
        assert(events.includes('flushed'), 'flushed emitted');
        assert(events.indexOf('connected') < events.indexOf('flushed'),
            'flushed after connected');
        assertEqual(events.filter(e => e === 'disconnected').length, 1,
            'one disconnected');
        assert(!events.some(e => e.startsWith('server-error') ||
            e.startsWith('connect-error')), `no errors: ${events}`);
        assertEqual(server.lines, ['one', 'two'], 'lines at the server');
        assertEqual(states.slice(0, 2),
            [Tcpc.ClientState.CONNECTING, Tcpc.ClientState.CONNECTED], 'states');
        assertEqual(states[states.length - 1], Tcpc.ClientState.CLOSED, 'last state');
        assertEqual(client.state, Tcpc.ClientState.CLOSED, 'state property');
        assertEqual(client.get_state(), Tcpc.ClientState.CLOSED, 'get_state');
        assertEqual(client.stream, null, 'stream once closed');
    } finally {
        server.stop();
        settle();
    }
});

test('peer close ends the connection with disconnected, not server-error', () => {
    const server = new LoopbackServer({greeting: 'bye-now\r\n'});
    server.onLine = () => {};
    const client = Tcpc.Client.new('127.0.0.1', server.port);
    const events = [];
    try {
        runLoop('disconnected', ({done, guard}) => {
            recordSignals(client, events, guard);
            client.connect('server-input', guard(() => {
                server.connections[0].closeAfterWrites();
            }));
            client.connect('disconnected', guard(done));
            client.start();
        });
        assertEqual(events, ['started', 'connected', 'input bye-now', 'disconnected'],
            'signals');
        assertEqual(client.get_state(), Tcpc.ClientState.CLOSED, 'state');
    } finally {
        server.stop();
        settle();
    }
});

test('set_input_func: records go to the function, then back to server-input', () => {
    const server = new LoopbackServer({greeting: 'a\r\nb\r\nc\r\n'});
    server.onLine = () => {};
    const client = Tcpc.Client.new('127.0.0.1', server.port);
    const events = [];
    const received = [];
    try {
        runLoop('three records', ({done, guard}) => {
            recordSignals(client, events, guard);
            client.set_input_func(guard((c, record) => {
                assertEqual(c, client, 'the client');
                received.push(fromBytes(record));
                if (received.length === 2)
                    c.set_input_func(null);
            }));
            client.connect('server-input', guard(() => {
                server.connections[0].closeAfterWrites();
            }));
            client.connect('disconnected', guard(done));
            client.start();
        });
        assertEqual(received, ['a', 'b'], 'records to the function');
        assertEqual(events.filter(e => e.startsWith('input')), ['input c'],
            'records emitted once the function is unset');
        assertEqual(client.get_records_received(), 3, 'records received');
    } finally {
        server.stop();
        settle();
    }
});

test('put while not connected throws a GLib.Error', () => {
    const client = Tcpc.Client.new('127.0.0.1', 9);
    assertThrowsNotConnected(() => client.put_string('x'), 'put_string');
    assertThrowsNotConnected(() => client.put(toBytes('x')), 'put');
    let error = null;
    try {
        client.put_string('x');
    } catch (e) {
        error = e;
    }
    assertEqual(error.domain, Tcpc.client_error_quark(), 'domain');
    assertEqual(error.code, Tcpc.ClientError.NOT_CONNECTED, 'code');
    assertEqual(client.get_state(), Tcpc.ClientState.IDLE, 'state');
});

test('connect-error on a refused port', () => {
    // Find a port nothing listens on: listen, note the port, close.
    const probe = new Gio.SocketService();
    const [, effective] = probe.add_address(
        Gio.InetSocketAddress.new_from_string('127.0.0.1', 0),
        Gio.SocketType.STREAM, Gio.SocketProtocol.TCP, null);
    const port = effective.get_port();
    probe.stop();
    probe.close();

    const client = Tcpc.Client.new('127.0.0.1', port);
    let operation = null, error = null;
    runLoop('connect-error', ({done, guard}) => {
        client.connect('connect-error', guard((c, op, err) => {
            operation = op;
            error = err;
            done();
        }));
        client.connect('connected', guard(() => {
            throw new Error('connected to a closed port');
        }));
        client.start();
    });
    assertEqual(operation, 'connect', 'operation');
    assert(error instanceof GLib.Error, 'error is a GLib.Error');
    assert(error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CONNECTION_REFUSED),
        `refused: ${error}`);
    assertEqual(client.get_state(), Tcpc.ClientState.CLOSED, 'state');
});

const EchoClient = GObject.registerClass({
    GTypeName: 'GjsTestEchoClient',
}, class EchoClient extends Tcpc.Client {
    _init(params) {
        super._init(params);
        this.records = [];
        this.calls = [];
        this.onDone = null;
    }

    vfunc_connected(stream, remoteAddress) {
        this.calls.push('connected');
        this.put_string('ping');
        this.put_string('quit');
    }

    vfunc_server_input(record) {
        this.calls.push('server-input');
        this.records.push(fromBytes(record));
    }

    vfunc_connect_error(operation, error) {
        this.calls.push(`connect-error ${operation}`);
        this.onDone?.();
    }

    vfunc_disconnected() {
        this.calls.push('disconnected');
        this.onDone?.();
    }
});

test('subclass overriding vfunc_server_input', () => {
    const server = new LoopbackServer({greeting: 'welcome\r\n'});
    const client = new EchoClient({remote_address: '127.0.0.1', remote_port: server.port});
    try {
        assert(client instanceof Tcpc.Client, 'instanceof Tcpc.Client');
        assert(client.filter instanceof Tcpc.LineFilter, 'default filter');
        runLoop('the subclass session', ({done}) => {
            client.onDone = done;
            client.start();
        });
        assertEqual(client.records, ['welcome', 'echo: ping', 'bye'], 'records');
        assertEqual(client.calls[0], 'connected', 'first call');
        assertEqual(client.calls[client.calls.length - 1], 'disconnected', 'last call');
        assertEqual(server.lines, ['ping', 'quit'], 'lines at the server');
        assertEqual(client.get_state(), Tcpc.ClientState.CLOSED, 'state');
    } finally {
        server.stop();
        settle();
    }
});

test('line filter standalone', () => {
    const filter = Tcpc.LineFilter.new();
    assert(filter.feed(toBytes('a\r\nb\nrest')), 'feed');
    assertEqual(fromBytes(filter.next_record()), 'a', 'first record');
    assertEqual(fromBytes(filter.next_record()), 'b', 'second record');
    assertEqual(filter.next_record(), null, 'no third record');
    assertEqual(fromBytes(filter.encode(toBytes('x'))), 'x\r\n', 'encode');
    assertEqual(fromBytes(filter.take_pending()), 'rest', 'take_pending');
    const copy = filter.clone();
    assert(copy instanceof Tcpc.LineFilter, 'clone type');

    const bad = Tcpc.LineFilter.new();
    bad.max_length = 0;
    let error = null;
    try {
        bad.feed(toBytes('a\n'));
    } catch (e) {
        error = e;
    }
    assert(error instanceof GLib.Error &&
        error.matches(Tcpc.filter_error_quark(), Tcpc.FilterError.INVALID_SETTINGS),
    `invalid settings: ${error}`);
});

test('flush_async as a promise (Gio._promisify)', () => {
    Gio._promisify(Tcpc.Client.prototype, 'flush_async', 'flush_finish');
    const server = new LoopbackServer();
    server.onLine = () => {};
    const client = Tcpc.Client.new('127.0.0.1', server.port);
    let flushed = null;
    try {
        runLoop('the flush', ({done, fail, guard}) => {
            client.connect('connected', guard(c => {
                assert(c.put_string('one'), 'put_string');
                c.flush_async(null).then(ok => {
                    flushed = ok;
                    done();
                }).catch(fail);
            }));
            client.start();
        });
        assertEqual(flushed, true, 'the promise resolved to true');
        assertEqual(client.pending_output_bytes, 0, 'nothing pending');
        assertEqual(client.bytes_sent, 5, 'bytes sent');
        client.shutdown();
    } finally {
        server.stop();
        settle();
    }
});

test('properties', () => {
    const client = Tcpc.Client.new('127.0.0.1', 7);
    assertEqual(client.remote_address, '127.0.0.1', 'remote-address');
    assertEqual(client.remote_port, 7, 'remote-port');
    client.remote_port = 8;
    client.connect_timeout = 0.25;
    assertEqual(client.remote_port, 8, 'remote-port set');
    assertEqual(client.connect_timeout, 0.25, 'connect-timeout set');
    assertEqual(client.state, Tcpc.ClientState.IDLE, 'state');
    assertEqual(client.shutdown_on_error, true, 'shutdown-on-error');
});

let passed = 0, failed = 0;
for (const {name, fn} of tests) {
    try {
        fn();
        passed++;
        print(`ok - ${name}`);
    } catch (e) {
        failed++;
        print(`not ok - ${name}`);
        printerr(`  ${e}`);
        if (e.stack)
            printerr(e.stack.replace(/^/gm, '    '));
    }
}
print(`${passed} passed, ${failed} failed`);
System.exit(failed === 0 ? 0 : 1);
