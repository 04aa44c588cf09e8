// test-filters.js: the filters of Tcpc-1.0 used from JavaScript (GJS), and
// filters written in JavaScript.
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Run by meson as `gjs -m tests/gjs/test-filters.js` with GI_TYPELIB_PATH and
// LD_LIBRARY_PATH pointing at build/tcpclient. The client tests talk to a
// loopback line server (Gio.SocketService on 127.0.0.1, CR LF lines, "echo: "
// replies, "quit" answered with "bye") on the same main loop; every loop is
// bounded by a GLib timeout that fails the test.

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

function concat(a, b) {
    const joined = new Uint8Array(a.length + b.length);
    joined.set(a);
    joined.set(b, a.length);
    return joined;
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

function assertThrowsFilterError(func, code, message) {
    let error = null;
    try {
        func();
    } catch (e) {
        error = e;
    }
    assert(error instanceof GLib.Error, `${message}: not a GLib.Error: ${error}`);
    assert(error.matches(Tcpc.filter_error_quark(), code), `${message}: wrong error ${error}`);
    return error;
}

function parseAll(filter, ...chunks) {
    const records = [];
    for (const chunk of chunks) {
        assert(filter.feed(toBytes(chunk)), 'feed');
        let record;
        while ((record = filter.next_record()) !== null)
            records.push(fromBytes(record));
    }
    return records;
}

// CR LF lines, written in JavaScript. `mode` selects a misbehaviour:
// 'throw' (vfunc_next_record throws an Error once input is buffered),
// 'throw-glib' (throws a GLib.Error), 'clone-null' (vfunc_clone returns
// null), 'feed-false' (vfunc_feed returns false without throwing).
const JsCrlfFilter = GObject.registerClass({
    GTypeName: 'GjsTestCrlfFilter',
    Implements: [Tcpc.Filter],
}, class JsCrlfFilter extends GObject.Object {
    _init(mode = null) {
        super._init();
        this.mode = mode;
        this.buffer = new Uint8Array(0);
        this.clones = [];
    }

    vfunc_feed(data) {
        if (this.mode === 'feed-false' && data.get_size() > 0)
            return false;
        this.buffer = concat(this.buffer, data.toArray());
        return true;
    }

    vfunc_next_record() {
        if (this.mode === 'throw' && this.buffer.length > 0)
            throw new Error('no lines today');
        if (this.mode === 'throw-glib' && this.buffer.length > 0) {
            throw new GLib.Error(Tcpc.filter_error_quark(), Tcpc.FilterError.MALFORMED,
                'no lines today');
        }
        for (let i = 0; i + 1 < this.buffer.length; i++) {
            if (this.buffer[i] === 13 && this.buffer[i + 1] === 10) {
                const record = this.buffer.slice(0, i);
                this.buffer = this.buffer.slice(i + 2);
                return new GLib.Bytes(record);
            }
        }
        return null;
    }

    vfunc_encode(record) {
        return new GLib.Bytes(concat(record.toArray(), encoder.encode('\r\n')));
    }

    vfunc_take_pending() {
        const pending = this.buffer;
        this.buffer = new Uint8Array(0);
        return pending.length > 0 ? new GLib.Bytes(pending) : null;
    }

    vfunc_clone() {
        if (this.mode === 'clone-null')
            return null;
        const clone = new JsCrlfFilter(this.mode);
        this.clones.push(clone);
        return clone;
    }
});

// A record filter: every chunk fed is a record, uppercased on the way in
// and tagged on the way out.
const JsUpperFilter = GObject.registerClass({
    GTypeName: 'GjsTestUpperFilter',
    Implements: [Tcpc.Filter],
}, class JsUpperFilter extends GObject.Object {
    _init() {
        super._init();
        this.queue = [];
    }

    vfunc_feed(data) {
        this.queue.push(fromBytes(data));
        return true;
    }

    vfunc_next_record() {
        return this.queue.length > 0 ? toBytes(this.queue.shift().toUpperCase()) : null;
    }

    vfunc_encode(record) {
        return toBytes(`js:${fromBytes(record)}`);
    }

    vfunc_take_pending() {
        const pending = this.queue.join('');
        this.queue = [];
        return pending.length > 0 ? toBytes(pending) : null;
    }

    vfunc_clone() {
        return new JsUpperFilter();
    }
});

// A line server on 127.0.0.1 and a kernel-chosen port: sends `greeting`,
// answers every CR LF line with "echo: <line>", and "quit" with "bye" and
// a close.
class LineServer {
    constructor(greeting) {
        this.greeting = greeting;
        this.lines = [];
        this.connections = [];
        this.service = new Gio.SocketService();
        const [ok, effective] = this.service.add_address(
            Gio.InetSocketAddress.new_from_string('127.0.0.1', 0),
            Gio.SocketType.STREAM, Gio.SocketProtocol.TCP, null);
        assert(ok, 'add_address');
        this.port = effective.get_port();
        this.service.connect('incoming', (service, connection) => {
            this.serve(connection);
            return true;
        });
        this.service.start();
    }

    serve(connection) {
        const state = {connection, buffer: '', cancellable: new Gio.Cancellable(), closing: false};
        this.connections.push(state);
        const output = connection.get_output_stream();
        const queue = [];
        let writing = false;
        const writeNext = () => {
            if (writing)
                return;
            if (queue.length === 0) {
                if (state.closing)
                    this.close(state);
                return;
            }
            writing = true;
            output.write_all_async(encoder.encode(queue.shift()), GLib.PRIORITY_DEFAULT,
                state.cancellable, (stream, result) => {
                    writing = false;
                    try {
                        stream.write_all_finish(result);
                    } catch (e) {
                        this.close(state);
                        return;
                    }
                    writeNext();
                });
        };
        const send = str => {
            queue.push(str);
            writeNext();
        };
        const read = () => {
            connection.get_input_stream().read_bytes_async(65536, GLib.PRIORITY_DEFAULT,
                state.cancellable, (stream, result) => {
                    let bytes;
                    try {
                        bytes = stream.read_bytes_finish(result);
                    } catch (e) {
                        this.close(state);
                        return;
                    }
                    if (bytes.get_size() === 0) {
                        state.closing = true;
                        writeNext();
                        return;
                    }
                    state.buffer += fromBytes(bytes);
                    let index;
                    while ((index = state.buffer.indexOf('\r\n')) >= 0) {
                        const line = state.buffer.slice(0, index);
                        state.buffer = state.buffer.slice(index + 2);
                        this.lines.push(line);
                        if (line === 'quit') {
                            send('bye\r\n');
                            state.closing = true;
                            writeNext();
                            return;
                        }
                        send(`echo: ${line}\r\n`);
                    }
                    read();
                });
        };
        send(this.greeting);
        read();
    }

    close(state) {
        state.cancellable.cancel();
        try {
            state.connection.close(null);
        } catch (e) {
            // already closed
        }
    }

    stop() {
        this.service.stop();
        this.service.close();
        for (const state of this.connections)
            this.close(state);
    }
}

// Runs one connection with `filter`; puts `puts` once connected; shuts
// down after `count` records when given. Returns the events.
function session(filter, {puts = [], greeting = 'hello\r\n', count = null} = {}) {
    const server = new LineServer(greeting);
    const client = Tcpc.Client.new('127.0.0.1', server.port);
    client.filter = filter;
    const events = [];
    const loop = new GLib.MainLoop(null, false);
    let failure = null;
    const guard = fn => (...args) => {
        try {
            return fn(...args);
        } catch (e) {
            failure ??= e;
            loop.quit();
            return undefined;
        }
    };
    client.connect('connected', guard(c => {
        events.push(['connected']);
        for (const record of puts)
            assert(c.put(toBytes(record)), 'put');
    }));
    client.connect('server-input', guard((c, record) => {
        events.push(['input', fromBytes(record)]);
        if (count !== null && events.filter(e => e[0] === 'input').length === count)
            c.shutdown();
    }));
    client.connect('server-error', guard((c, op, err) => events.push(['server-error', op, err])));
    client.connect('connect-error', guard((c, op, err) => {
        events.push(['connect-error', op, err]);
        loop.quit();
    }));
    client.connect('disconnected', guard(() => {
        events.push(['disconnected']);
        loop.quit();
    }));
    const timeout = GLib.timeout_add(GLib.PRIORITY_DEFAULT, LOOP_TIMEOUT_MS, () => {
        failure ??= new Error(`timed out after ${LOOP_TIMEOUT_MS} ms`);
        loop.quit();
        return GLib.SOURCE_REMOVE;
    });
    client.start();
    loop.run();
    if (failure === null || !failure.message.startsWith('timed out'))
        GLib.source_remove(timeout);
    client.shutdown();
    server.stop();
    settle();
    if (failure !== null)
        throw failure;
    return {events, server};
}

function settle() {
    const context = GLib.MainContext.default();
    const deadline = GLib.get_monotonic_time() + 200000;
    while (context.pending() && GLib.get_monotonic_time() < deadline)
        context.iteration(false);
}

const inputs = events => events.filter(e => e[0] === 'input').map(e => e[1]);
const names = events => events.map(e => e[0]);

const tests = [];
function test(name, fn) {
    tests.push({name, fn});
}

test('a JavaScript filter standalone', () => {
    const filter = new JsCrlfFilter();
    assert(filter instanceof Tcpc.Filter, 'implements Tcpc.Filter');
    assertEqual(parseAll(filter, 'a\r\nb', 'c\r\n', 'rest'), ['a', 'bc'], 'records');
    assertEqual(fromBytes(filter.encode(toBytes('x'))), 'x\r\n', 'encode');
    assertEqual(fromBytes(filter.take_pending()), 'rest', 'take_pending');
    assertEqual(filter.take_pending(), null, 'nothing pending');
    assert(filter.clone() instanceof JsCrlfFilter, 'clone');
});

test('a JavaScript filter as the client filter', () => {
    const proto = new JsCrlfFilter();
    const {events, server} = session(proto, {puts: ['ping', 'quit'], greeting: 'hello\r\nworld\r\n'});
    assertEqual(inputs(events), ['hello', 'world', 'echo: ping', 'bye'], 'records');
    assert(!names(events).includes('server-error'), 'no server-error');
    assertEqual(server.lines, ['ping', 'quit'], 'lines at the server');
    // one fresh clone, checked by feeding it nothing, serves the connection
    assertEqual(proto.clones.length, 1, 'the connection used a clone');
});

test('a JavaScript filter on the wire side of a stack', () => {
    const upper = Tcpc.MapFilter.new(r => toBytes(fromBytes(r).toUpperCase()),
        r => toBytes(`${fromBytes(r)}!`));
    const stack = Tcpc.StackableFilter.new([new JsCrlfFilter(), upper]);
    const {events, server} = session(stack, {puts: ['ping'], count: 2});
    assertEqual(inputs(events), ['HELLO', 'ECHO: PING!'], 'records');
    assertEqual(server.lines, ['ping!'], 'lines at the server');
});

test('a JavaScript filter on the record side of a stack', () => {
    const stack = Tcpc.StackableFilter.new([Tcpc.LineFilter.new(), new JsUpperFilter()]);
    const {events, server} = session(stack, {puts: ['ping'], count: 2});
    assertEqual(inputs(events), ['HELLO', 'ECHO: JS:PING'], 'records');
    assertEqual(server.lines, ['js:ping'], 'lines at the server');
});

test('an exception in vfunc_next_record reaches server-error', () => {
    for (const mode of ['throw', 'throw-glib']) {
        for (const stacked of [false, true]) {
            const filter = stacked
                ? Tcpc.StackableFilter.new([Tcpc.LineFilter.new(), new JsCrlfFilter(mode)])
                : new JsCrlfFilter(mode);
            const {events} = session(filter);
            const errors = events.filter(e => e[0] === 'server-error');
            assertEqual(errors.length, 1, `${mode} ${stacked}: one server-error`);
            assertEqual(errors[0][1], 'read', `${mode} ${stacked}: operation`);
            // GJS turns a thrown Error into a GError and back again.
            assert(errors[0][2] instanceof Error || errors[0][2] instanceof GLib.Error,
                `${mode} ${stacked}: an error object: ${errors[0][2]}`);
            assert(errors[0][2].message.includes('no lines today'),
                `${mode} ${stacked}: message ${errors[0][2].message}`);
            if (mode === 'throw-glib') {
                assert(errors[0][2].matches(Tcpc.filter_error_quark(), Tcpc.FilterError.MALFORMED),
                    `${mode} ${stacked}: the GLib.Error thrown`);
            }
            assertEqual(names(events).at(-1), 'disconnected', `${mode} ${stacked}: disconnected`);
        }
    }
});

test('a clone returning null is reported, not a crash', () => {
    let {events} = session(new JsCrlfFilter('clone-null'));
    assertEqual(names(events), ['connect-error'], 'client filter');
    assertEqual(events[0][1], 'filter', 'operation');
    assert(events[0][2].matches(Tcpc.filter_error_quark(), Tcpc.FilterError.INVALID_SETTINGS),
        `error ${events[0][2]}`);

    const stack = Tcpc.StackableFilter.new([Tcpc.LineFilter.new(), new JsCrlfFilter('clone-null')]);
    const error = assertThrowsFilterError(() => stack.clone().feed(toBytes('')),
        Tcpc.FilterError.INVALID_SETTINGS, 'stack clone');
    assert(error.message.includes('GjsTestCrlfFilter'), `message ${error.message}`);
    ({events} = session(stack));
    assertEqual(names(events), ['connect-error'], 'stack filter');
});

test('a feed failing without an error inside a stack', () => {
    const stack = Tcpc.StackableFilter.new([Tcpc.LineFilter.new(), new JsCrlfFilter('feed-false')]);
    stack.feed(toBytes('x\r\n'));
    assertThrowsFilterError(() => stack.next_record(), Tcpc.FilterError.MALFORMED, 'next_record');
});

test('built-in filters', () => {
    const stream = Tcpc.StreamFilter.new();
    stream.feed(toBytes('ab'));
    stream.feed(toBytes('cd'));
    assertEqual(fromBytes(stream.next_record()), 'abcd', 'stream');

    const block = Tcpc.BlockFilter.new();
    assertEqual(block.length_codec, Tcpc.LengthCodec.ASCII, 'default codec');
    assertEqual(block.max_length, 1024 * 1024, 'default max-length');
    assertEqual(Array.from(block.encode(toBytes('hi')).toArray()), [50, 0, 104, 105], 'ascii');
    const u16 = Tcpc.BlockFilter.new_length_prefixed(Tcpc.LengthCodec.UINT16_LE);
    assertEqual(Array.from(u16.encode(toBytes('hi')).toArray()), [2, 0, 104, 105], 'uint16-le');
    const fixed = new Tcpc.BlockFilter({block_size: 2});
    assertEqual(parseAll(fixed, 'abcde'), ['ab', 'cd'], 'fixed');
    assertThrowsFilterError(() => new Tcpc.BlockFilter({block_size: 2, max_length: 5}).check_settings(),
        Tcpc.FilterError.INVALID_SETTINGS, 'block-size with max-length');
    const u8 = Tcpc.BlockFilter.new_length_prefixed(Tcpc.LengthCodec.UINT8);
    assertThrowsFilterError(() => u8.encode(toBytes('x'.repeat(300))),
        Tcpc.FilterError.RECORD_TOO_LONG, 'uint8 encode');

    const netstring = Tcpc.NetstringFilter.new();
    assertEqual(fromBytes(netstring.encode(toBytes('hello'))), '5:hello,', 'netstring encode');
    assertEqual(parseAll(netstring, '5:hel', 'lo,0:,'), ['hello', ''], 'netstring');
    netstring.feed(toBytes('5:hello;'));
    assertThrowsFilterError(() => netstring.next_record(), Tcpc.FilterError.MALFORMED,
        'missing comma');

    const grep = Tcpc.MapFilter.new(r => fromBytes(r).includes('x') ? r : null, null);
    assertEqual(parseAll(grep, 'ax', 'b', 'xc'), ['ax', 'xc'], 'grep');
    const drop = Tcpc.MapFilter.new(null, () => null);
    assertEqual(drop.encode(toBytes('y')), null, 'output dropped');

    const stack = Tcpc.StackableFilter.new(null);
    assertThrowsFilterError(() => stack.feed(toBytes('x')), Tcpc.FilterError.INVALID_SETTINGS,
        'empty stack');
    stack.push(Tcpc.LineFilter.new_literal('\n'));
    stack.push(Tcpc.MapFilter.new(r => toBytes(fromBytes(r).toUpperCase()),
        r => toBytes(fromBytes(r).toUpperCase())));
    assertEqual(parseAll(stack, 'ab\ncd\n'), ['AB', 'CD'], 'stack records');
    assertEqual(fromBytes(stack.encode(toBytes('x'))), 'X\n', 'stack encode');
    stack.unshift(new JsCrlfFilter());
    const filters = stack.get_filters();
    assertEqual(filters.length, 3, 'get_filters');
    assert(filters[0] instanceof JsCrlfFilter, 'JavaScript filter first');
    assert(stack.get_filter(1) instanceof Tcpc.LineFilter, 'get_filter');
    assertEqual(parseAll(stack, 'a\n\r\nb', '\n\r\n'), ['A', 'B'], 'three filters');
    assert(stack.shift() instanceof JsCrlfFilter, 'shift');
    assert(stack.pop() instanceof Tcpc.MapFilter, 'pop');
    assertEqual(stack.get_n_filters(), 1, 'one left');
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
