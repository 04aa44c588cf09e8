#!/usr/bin/python3
# test_client.py: the Tcpc-1.0 typelib used from Python (PyGObject).
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Run by meson as `python3 tests/python/test_client.py` with GI_TYPELIB_PATH and
# LD_LIBRARY_PATH pointing at build/tcpclient. Every test talks to a real
# loopback server (Gio.SocketService on 127.0.0.1, port chosen by the kernel)
# that runs on the same main loop as the client; every loop is bounded by a
# GLib timeout that fails the test.

import socket
import sys
import unittest

import gi

gi.require_version('Tcpc', '1.0')
gi.require_version('Gio', '2.0')
gi.require_version('GLib', '2.0')
gi.require_version('GObject', '2.0')
from gi.repository import GLib, GObject, Gio, Tcpc  # noqa: E402

LOOP_TIMEOUT = 10  # seconds; no test needs more than a fraction of this


def as_bytes(record):
    """The contents of a GLib.Bytes (or None) as Python bytes (or None)."""
    if record is None:
        return None
    data = record.get_data()
    return bytes(data) if data is not None else b''


def closed_port():
    """A loopback port that nothing listens on (bound once, then released)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


class ServerConnection:
    """One accepted connection of a LoopbackServer.

    Reads asynchronously, splits the input at CR LF and hands each line to the
    server's on_line callback; writes are queued and written in order."""

    def __init__(self, server, connection):
        self.server = server
        self.connection = connection
        self.input = connection.get_input_stream()
        self.output = connection.get_output_stream()
        self.cancellable = Gio.Cancellable()
        self.buffer = b''
        self.lines = []
        self.received = 0
        self.eof = False
        self.closed = False
        self.write_queue = []
        self.writing = False
        self.close_when_written = False

    def start(self):
        if self.server.greeting is not None:
            self.send(self.server.greeting)
        if self.server.close_at_once:
            self.close_after_writes()
            return
        self._read()

    def _read(self):
        self.input.read_bytes_async(65536, GLib.PRIORITY_DEFAULT,
                                    self.cancellable, self._on_read)

    def _on_read(self, stream, result):
        try:
            data = stream.read_bytes_finish(result)
        except GLib.Error:
            # Cancelled by close(), or the client reset the connection.
            self.close()
            return
        chunk = as_bytes(data)
        if not chunk:
            self.eof = True
            self.server.eof_count += 1
            self.close_after_writes()
            if self.server.on_eof is not None:
                self.server.on_eof()
            return
        self.received += len(chunk)
        self.buffer += chunk
        while b'\r\n' in self.buffer:
            line, self.buffer = self.buffer.split(b'\r\n', 1)
            self.lines.append(line)
            self.server.lines.append(line)
            if self.server.on_line is not None:
                self.server.on_line(self, line)
            if self.closed or self.close_when_written:
                return
        self._read()

    def send(self, data):
        if self.closed:
            return
        self.write_queue.append(GLib.Bytes.new(data))
        self._write_next()

    def _write_next(self):
        if self.writing or self.closed:
            return
        if not self.write_queue:
            if self.close_when_written:
                self.close()
            return
        self.writing = True
        self.output.write_bytes_async(self.write_queue[0], GLib.PRIORITY_DEFAULT,
                                      self.cancellable, self._on_written)

    def _on_written(self, stream, result):
        self.writing = False
        try:
            written = stream.write_bytes_finish(result)
        except GLib.Error:
            self.close()
            return
        head = self.write_queue[0]
        if written < head.get_size():
            self.write_queue[0] = GLib.Bytes.new(as_bytes(head)[written:])
        else:
            self.write_queue.pop(0)
        self._write_next()

    def close_after_writes(self):
        self.close_when_written = True
        self._write_next()

    def close(self):
        if self.closed:
            return
        self.closed = True
        self.cancellable.cancel()
        try:
            self.connection.close(None)
        except GLib.Error:
            pass
        self.server.closed_count += 1


class LoopbackServer:
    """A line server on 127.0.0.1 and a kernel-chosen port.

    greeting: bytes sent to every new connection; on_line(conn, line): called
    for every CR LF terminated line received; close_at_once: close every
    connection right after the greeting."""

    def __init__(self, greeting=None, on_line=None, close_at_once=False):
        self.greeting = greeting
        self.on_line = on_line
        self.close_at_once = close_at_once
        self.on_eof = None
        self.connections = []
        self.lines = []
        self.eof_count = 0
        self.closed_count = 0
        self.service = Gio.SocketService.new()
        address = Gio.InetSocketAddress.new_from_string('127.0.0.1', 0)
        ok, effective = self.service.add_address(
            address, Gio.SocketType.STREAM, Gio.SocketProtocol.TCP, None)
        assert ok
        self.port = effective.get_port()
        self.service.connect('incoming', self._on_incoming)
        self.service.start()

    def _on_incoming(self, service, connection, source_object):
        conn = ServerConnection(self, connection)
        self.connections.append(conn)
        conn.start()
        return True

    def stop(self):
        self.service.stop()
        self.service.close()
        for conn in self.connections:
            conn.close()


def echo_line(conn, line):
    """on_line for an echo server: 'quit' makes it say 'bye' and close."""
    if line == b'quit':
        conn.send(b'bye\r\n')
        conn.close_after_writes()
    else:
        conn.send(b'echo: ' + line + b'\r\n')


class LoopTestCase(unittest.TestCase):
    """A test case with a bounded main loop and exception capture for handlers."""

    def setUp(self):
        self.loop = GLib.MainLoop.new(None, False)
        self.handler_errors = []
        self.servers = []
        self.clients = []

    def tearDown(self):
        for client in self.clients:
            client.shutdown()
        for server in self.servers:
            server.stop()
        self.clients = []
        self.servers = []
        # Let the closes and cancellations run before the next test.
        context = GLib.MainContext.default()
        deadline = GLib.get_monotonic_time() + 200 * 1000
        while context.pending() and GLib.get_monotonic_time() < deadline:
            context.iteration(False)

    def server(self, **kwargs):
        server = LoopbackServer(**kwargs)
        self.servers.append(server)
        return server

    def client(self, client):
        self.clients.append(client)
        return client

    def guard(self, func):
        """Wrap a signal handler: an exception in it is kept (and re-raised
        by run_loop) and quits the loop instead of being only printed."""
        def wrapper(*args):
            try:
                return func(*args)
            except Exception as exc:  # noqa: BLE001 - re-raised in run_loop
                self.handler_errors.append(exc)
                self.loop.quit()
                return None
        return wrapper

    def run_loop(self, timeout=LOOP_TIMEOUT, what='the expected events'):
        timed_out = []

        def on_timeout():
            timed_out.append(True)
            self.loop.quit()
            return GLib.SOURCE_REMOVE

        source = GLib.timeout_add(int(timeout * 1000), on_timeout)
        self.loop.run()
        if not timed_out:
            GLib.source_remove(source)
        if self.handler_errors:
            raise self.handler_errors[0]
        if timed_out:
            self.fail('timed out after %s s waiting for %s' % (timeout, what))

    def record_signals(self, client, events):
        """Append (signal, args...) tuples to events for every client signal."""
        client.connect('started', self.guard(lambda c: events.append(('started',))))
        client.connect('connected', self.guard(
            lambda c, stream, address: events.append(('connected',))))
        client.connect('connect-error', self.guard(
            lambda c, op, err: events.append(('connect-error', op, err))))
        client.connect('server-input', self.guard(
            lambda c, record: events.append(('server-input', as_bytes(record)))))
        client.connect('server-error', self.guard(
            lambda c, op, err: events.append(('server-error', op, err))))
        client.connect('flushed', self.guard(lambda c: events.append(('flushed',))))
        client.connect('disconnected', self.guard(
            lambda c: events.append(('disconnected',))))
        client.connect('notify::state', self.guard(
            lambda c, pspec: events.append(('state', c.props.state))))

    @staticmethod
    def names(events):
        """The names of the signals in events, without the state notifications."""
        return [e[0] for e in events if e[0] != 'state']

    @staticmethod
    def states(events):
        return [e[1] for e in events if e[0] == 'state']

    @staticmethod
    def inputs(events):
        return [e[1] for e in events if e[0] == 'server-input']


class TestSession(LoopTestCase):

    def test_session_put_input_flushed_shutdown(self):
        expected = [b'hello', b'echo: one', b'echo: two']

        def on_line(conn, line):
            conn.send(b'echo: ' + line + b'\r\n')

        server = self.server(greeting=b'hello\r\n', on_line=on_line)
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        events = []
        self.record_signals(client, events)
        seen = {}

        def on_connected(c, stream, address):
            self.assertIsInstance(stream, Gio.IOStream)
            self.assertIsInstance(address, Gio.InetSocketAddress)
            self.assertEqual(address.get_port(), server.port)
            self.assertEqual(address.get_address().to_string(), '127.0.0.1')
            self.assertTrue(c.is_connected())
            self.assertEqual(c.get_state(), Tcpc.ClientState.CONNECTED)
            self.assertIsNotNone(c.props.stream)
            self.assertTrue(c.put_string('one'))
            self.assertTrue(c.put(GLib.Bytes.new(b'two')))

        def on_input(c, record):
            self.assertIsInstance(record, GLib.Bytes)
            if len(self.inputs(events)) == len(expected):
                c.shutdown()
                # Shutting down: no more puts, not connected.
                self.assertFalse(c.is_connected())
                with self.assertRaises(GLib.Error):
                    c.put_string('too late')

        def on_disconnected(c):
            seen['connected-during-disconnected'] = c.is_connected()
            self.loop.quit()

        client.connect('connected', self.guard(on_connected))
        client.connect_after('server-input', self.guard(on_input))
        client.connect('disconnected', self.guard(on_disconnected))

        self.assertEqual(client.get_state(), Tcpc.ClientState.IDLE)
        client.start()
        self.run_loop(what='records and disconnected')

        names = self.names(events)
        self.assertEqual(self.inputs(events), expected)
        self.assertEqual(names[0], 'started')
        self.assertEqual(names.count('started'), 1)
        self.assertEqual(names.count('connected'), 1)
        self.assertEqual(names.count('disconnected'), 1)
        self.assertNotIn('connect-error', names)
        self.assertNotIn('server-error', names)
        self.assertIn('flushed', names)
        self.assertLess(names.index('connected'), names.index('flushed'))
        self.assertLess(names.index('flushed'), names.index('disconnected'))
        self.assertEqual(names[-1], 'disconnected')
        self.assertFalse(seen['connected-during-disconnected'])

        # The server got both records, with the line filter's CR LF.
        self.assertEqual(server.lines, [b'one', b'two'])

        states = self.states(events)
        self.assertEqual(states[:2], [Tcpc.ClientState.CONNECTING,
                                      Tcpc.ClientState.CONNECTED])
        self.assertEqual(client.get_state(), Tcpc.ClientState.CLOSED)
        self.assertEqual(client.props.state, Tcpc.ClientState.CLOSED)
        self.assertEqual(states[-1], Tcpc.ClientState.CLOSED)
        self.assertIsNone(client.props.stream)
        self.assertFalse(client.is_connected())

        # The server sees the client's clean close.
        if server.eof_count == 0:
            server.on_eof = self.loop.quit
            self.run_loop(what='the end of stream at the server')
        self.assertEqual(server.eof_count, 1)

    def test_shutdown_flushes_all_pending_output(self):
        count = 2000
        line = 'x' * 200
        server = self.server()
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        events = []
        self.record_signals(client, events)

        def on_connected(c, stream, address):
            for i in range(count):
                c.put_string('%d %s' % (i, line))
            c.shutdown()
            self.assertEqual(c.get_state(), Tcpc.ClientState.SHUTTING_DOWN)
            c.shutdown()  # idempotent
            self.assertEqual(c.get_state(), Tcpc.ClientState.SHUTTING_DOWN)

        def check_done():
            if server.eof_count and ('disconnected',) in events:
                self.loop.quit()

        client.connect('connected', self.guard(on_connected))
        client.connect_after('disconnected', self.guard(lambda c: check_done()))
        server.on_eof = check_done
        client.start()
        self.run_loop(what='the flush, disconnected and the server EOF')

        self.assertEqual(len(server.lines), count)
        self.assertEqual(server.lines[0], b'0 ' + line.encode())
        self.assertEqual(server.lines[-1], ('%d %s' % (count - 1, line)).encode())
        names = self.names(events)
        self.assertEqual(names.count('flushed'), 1)
        self.assertEqual(names.count('disconnected'), 1)
        self.assertLess(names.index('flushed'), names.index('disconnected'))
        self.assertIn(Tcpc.ClientState.SHUTTING_DOWN, self.states(events))
        self.assertEqual(client.get_state(), Tcpc.ClientState.CLOSED)

    def test_peer_close_is_disconnected_not_server_error(self):
        # The server sends two lines and a partial one, then closes cleanly.
        server = self.server(greeting=b'first\r\nsecond\r\npartial',
                             close_at_once=True)
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        events = []
        self.record_signals(client, events)
        client.connect('disconnected', self.guard(lambda c: self.loop.quit()))
        client.start()
        self.run_loop(what='disconnected after the peer closed')

        names = self.names(events)
        self.assertNotIn('server-error', names)
        self.assertEqual(names.count('disconnected'), 1)
        # The partial record left in the filter is not delivered.
        self.assertEqual(self.inputs(events), [b'first', b'second'])
        self.assertEqual(client.get_state(), Tcpc.ClientState.CLOSED)

    def test_reconnect_after_from_disconnected(self):
        server = self.server(greeting=b'hi\r\n', on_line=echo_line)
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        events = []
        self.record_signals(client, events)
        connections = []

        def on_connected(c, stream, address):
            connections.append(stream)
            c.put_string('quit' if len(connections) == 1 else 'again')

        def on_input(c, record):
            if as_bytes(record) == b'echo: again':
                c.shutdown()

        def on_disconnected(c):
            if len(connections) == 1:
                c.reconnect_after(0.1)
            else:
                self.loop.quit()

        client.connect('connected', self.guard(on_connected))
        client.connect('server-input', self.guard(on_input))
        client.connect('disconnected', self.guard(on_disconnected))
        client.start()
        self.run_loop(what='a reconnect and a shutdown')

        names = self.names(events)
        self.assertEqual(names.count('started'), 1)
        self.assertEqual(names.count('connected'), 2)
        self.assertEqual(names.count('disconnected'), 2)
        self.assertNotIn('server-error', names)
        self.assertEqual(self.inputs(events),
                         [b'hi', b'bye', b'hi', b'echo: again'])
        self.assertEqual(server.lines, [b'quit', b'again'])
        # No CLOSED between the two connections: the reconnect stuck.
        states = self.states(events)
        first_closed = states.index(Tcpc.ClientState.CLOSED)
        self.assertEqual(first_closed, len(states) - 1)
        self.assertEqual(client.get_state(), Tcpc.ClientState.CLOSED)


class EchoClient(Tcpc.Client):
    """A subclass that handles its signals by overriding the class handlers."""

    __gtype_name__ = 'PyTestEchoClient'

    def __init__(self, loop, **kwargs):
        super().__init__(**kwargs)
        self.loop = loop
        self.records = []
        self.calls = []

    def do_started(self):
        self.calls.append('started')

    def do_connected(self, stream, remote_address):
        self.calls.append('connected')
        self.put_string('ping')
        self.put_string('quit')

    def do_server_input(self, record):
        self.calls.append('server-input')
        self.records.append(as_bytes(record))

    def do_connect_error(self, operation, error):
        self.calls.append('connect-error')
        self.loop.quit()

    def do_disconnected(self):
        self.calls.append('disconnected')
        self.loop.quit()


class TestFlushAsync(LoopTestCase):

    def test_flush_async_completes(self):
        server = self.server(on_line=lambda conn, line: None)
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        results = []

        def on_flushed(c, result):
            results.append(c.flush_finish(result))
            self.loop.quit()

        def on_connected(c, stream, address):
            self.assertTrue(c.put_string('one'))
            c.flush_async(None, self.guard(on_flushed))

        client.connect('connected', self.guard(on_connected))
        client.start()
        self.run_loop(what='the flush')
        self.assertEqual(results, [True])
        self.assertEqual(client.props.pending_output_bytes, 0)
        self.assertEqual(client.props.bytes_sent, len(b'one\r\n'))

    def test_flush_async_cancelled(self):
        # A peer that never reads: the kernel completes the connection in
        # the listen backlog, and nobody accepts it.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(('127.0.0.1', 0))
        listener.listen(1)
        client = Tcpc.Client.new('127.0.0.1', listener.getsockname()[1])
        cancellable = Gio.Cancellable()
        errors = []

        def on_flushed(c, result):
            try:
                c.flush_finish(result)
            except GLib.Error as error:
                errors.append(error)
            self.loop.quit()

        def on_connected(c, stream, address):
            record = GLib.Bytes.new(b'x' * 1000000)
            for _ in range(20):
                self.assertTrue(c.put(record))
            c.flush_async(cancellable, self.guard(on_flushed))
            GLib.idle_add(lambda: cancellable.cancel() and False)

        client.connect('connected', self.guard(on_connected))
        try:
            client.start()
            self.run_loop(what='the cancelled flush')
            self.assertEqual(len(errors), 1)
            self.assertTrue(errors[0].matches(Gio.io_error_quark(),
                                              Gio.IOErrorEnum.CANCELLED), errors[0])
            # the output stays queued
            self.assertGreater(client.props.pending_output_bytes, 0)
            self.assertEqual(client.props.state, Tcpc.ClientState.CONNECTED)
        finally:
            listener.close()


class TestSubclass(LoopTestCase):

    def test_do_server_input_without_handlers(self):
        server = self.server(greeting=b'welcome\r\n', on_line=echo_line)
        client = self.client(EchoClient(self.loop, remote_address='127.0.0.1',
                                        remote_port=server.port))
        self.assertIsInstance(client, Tcpc.Client)
        self.assertIsInstance(client.props.filter, Tcpc.LineFilter)
        # No handler is connected to any signal: the class handlers do it all.
        for name in ('started', 'connected', 'server-input', 'disconnected'):
            signal_id = GObject.signal_lookup(name, Tcpc.Client)
            self.assertNotEqual(signal_id, 0, name)
            self.assertFalse(GObject.signal_has_handler_pending(
                client, signal_id, 0, False), name)
        client.start()
        self.run_loop(what='the subclass session')

        self.assertEqual(client.records, [b'welcome', b'echo: ping', b'bye'])
        self.assertEqual(client.calls[:2], ['started', 'connected'])
        self.assertEqual(client.calls[-1], 'disconnected')
        self.assertNotIn('connect-error', client.calls)
        self.assertEqual(client.get_state(), Tcpc.ClientState.CLOSED)
        self.assertEqual(server.lines, [b'ping', b'quit'])


class TestInputFunc(LoopTestCase):
    """Tcpc.Client.set_input_func: records go to a Python callable instead
    of server-input."""

    def test_records_go_to_the_function(self):
        server = self.server(greeting=b'one\r\ntwo\r\nthree\r\n', close_at_once=True)
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        events = []
        self.record_signals(client, events)
        received = []

        def on_record(c, record):
            self.assertIs(c, client)
            received.append(as_bytes(record))

        client.set_input_func(self.guard(on_record))
        client.connect('disconnected', self.guard(lambda c: self.loop.quit()))
        client.start()
        self.run_loop(what='three records and disconnected')

        self.assertEqual(received, [b'one', b'two', b'three'])
        self.assertEqual(self.inputs(events), [])
        self.assertEqual(client.get_records_received(), 3)
        self.assertEqual(self.names(events).count('disconnected'), 1)

    def test_unset_inside_goes_back_to_the_signal(self):
        server = self.server(greeting=b'a\r\nb\r\nc\r\n', close_at_once=True)
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        events = []
        self.record_signals(client, events)
        received = []

        def on_record(c, record):
            received.append(as_bytes(record))
            c.set_input_func(None)

        client.set_input_func(self.guard(on_record))
        client.connect('disconnected', self.guard(lambda c: self.loop.quit()))
        client.start()
        self.run_loop(what='records and disconnected')

        self.assertEqual(received, [b'a'])
        self.assertEqual(self.inputs(events), [b'b', b'c'])

    def test_record_kept_after_the_call(self):
        # A record the function keeps stays valid after later reads.
        server = self.server(greeting=b'keep\r\n' + b'x' * 100000 + b'\r\n',
                             close_at_once=True)
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        kept = []
        client.set_input_func(self.guard(lambda c, record: kept.append(record)))
        client.connect('disconnected', self.guard(lambda c: self.loop.quit()))
        client.start()
        self.run_loop(what='two records and disconnected')

        self.assertEqual([as_bytes(r) for r in kept], [b'keep', b'x' * 100000])


class TestErrors(LoopTestCase):

    def check_not_connected(self, func, *args):
        with self.assertRaises(GLib.Error) as cm:
            func(*args)
        error = cm.exception
        self.assertTrue(error.matches(Tcpc.client_error_quark(),
                                      Tcpc.ClientError.NOT_CONNECTED), error)
        self.assertEqual(error.domain, 'tcpc-client-error-quark')
        self.assertEqual(error.code, int(Tcpc.ClientError.NOT_CONNECTED))

    def test_put_while_not_connected(self):
        client = self.client(Tcpc.Client.new('127.0.0.1', closed_port()))
        self.check_not_connected(client.put_string, 'hello')
        self.check_not_connected(client.put, GLib.Bytes.new(b'hello'))
        self.check_not_connected(client.put_data, b'hello')
        self.assertEqual(client.get_state(), Tcpc.ClientState.IDLE)

    def test_put_after_closed(self):
        server = self.server(close_at_once=True)
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        client.connect('disconnected', self.guard(lambda c: self.loop.quit()))
        client.start()
        self.run_loop(what='disconnected')
        self.assertEqual(client.get_state(), Tcpc.ClientState.CLOSED)
        self.check_not_connected(client.put_string, 'hello')

    def test_connect_refused(self):
        client = self.client(Tcpc.Client.new('127.0.0.1', closed_port()))
        events = []
        self.record_signals(client, events)
        seen = {}

        def on_connect_error(c, operation, error):
            seen['connected'] = c.is_connected()
            self.loop.quit()

        client.connect('connect-error', self.guard(on_connect_error))
        client.start()
        self.run_loop(what='connect-error')

        errors = [e for e in events if e[0] == 'connect-error']
        self.assertEqual(len(errors), 1)
        _, operation, error = errors[0]
        self.assertEqual(operation, 'connect')
        self.assertIsInstance(error, GLib.Error)
        self.assertTrue(error.matches(Gio.io_error_quark(),
                                      Gio.IOErrorEnum.CONNECTION_REFUSED), error)
        self.assertFalse(seen['connected'])
        names = self.names(events)
        self.assertEqual(names.count('started'), 1)
        self.assertNotIn('connected', names)
        self.assertNotIn('disconnected', names)
        self.assertEqual(client.get_state(), Tcpc.ClientState.CLOSED)
        self.assertEqual(self.states(events)[-1], Tcpc.ClientState.CLOSED)

    def test_connect_error_without_address(self):
        client = self.client(Tcpc.Client())
        errors = []

        def on_connect_error(c, operation, error):
            errors.append((operation, error))
            self.loop.quit()

        client.connect('connect-error', self.guard(on_connect_error))
        client.start()
        self.run_loop(what='connect-error')
        self.assertEqual(len(errors), 1)
        self.assertEqual(errors[0][0], 'connect')
        self.assertTrue(errors[0][1].matches(Gio.io_error_quark(),
                                             Gio.IOErrorEnum.INVALID_ARGUMENT))
        self.assertEqual(client.get_state(), Tcpc.ClientState.CLOSED)

    def test_invalid_filter_is_connect_error(self):
        server = self.server()
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        bad = Tcpc.LineFilter.new()
        bad.props.max_length = 0
        client.props.filter = bad
        errors = []

        def on_connect_error(c, operation, error):
            errors.append((operation, error))
            self.loop.quit()

        client.connect('connect-error', self.guard(on_connect_error))
        client.connect('connected', self.guard(lambda *a: errors.append('connected')))
        client.start()
        self.run_loop(what='connect-error')
        self.assertEqual(len(errors), 1, errors)
        self.assertEqual(errors[0][0], 'filter')
        self.assertTrue(errors[0][1].matches(Tcpc.filter_error_quark(),
                                             Tcpc.FilterError.INVALID_SETTINGS))
        self.assertEqual(client.get_state(), Tcpc.ClientState.CLOSED)


class TestLineFilter(unittest.TestCase):

    def feed(self, flt, data):
        self.assertTrue(flt.feed(GLib.Bytes.new(data)))

    def records(self, flt):
        out = []
        while True:
            record = flt.next_record()
            if record is None:
                return out
            self.assertIsInstance(record, GLib.Bytes)
            out.append(as_bytes(record))

    def assert_filter_error(self, code, func, *args):
        with self.assertRaises(GLib.Error) as cm:
            func(*args)
        self.assertTrue(cm.exception.matches(Tcpc.filter_error_quark(), code),
                        cm.exception)
        self.assertEqual(cm.exception.domain, 'tcpc-filter-error-quark')

    def test_default_terminators(self):
        flt = Tcpc.LineFilter.new()
        self.assertIsInstance(flt, Tcpc.Filter)
        self.feed(flt, b'a\r\nb\nc\rd\n\re')
        self.assertEqual(self.records(flt), [b'a', b'b', b'c', b'd'])
        self.assertEqual(as_bytes(flt.take_pending()), b'e')
        pending = flt.take_pending()
        self.assertTrue(pending is None or pending.get_size() == 0)
        self.assertEqual(self.records(flt), [])

    def test_split_crlf_gives_no_empty_record(self):
        flt = Tcpc.LineFilter.new()
        self.feed(flt, b'a\r')
        self.assertEqual(self.records(flt), [b'a'])
        self.feed(flt, b'\nb\r\n')
        self.assertEqual(self.records(flt), [b'b'])

    def test_encode(self):
        flt = Tcpc.LineFilter.new()
        self.assertEqual(flt.props.output_literal, '\r\n')
        self.assertEqual(as_bytes(flt.encode(GLib.Bytes.new(b'HEAD /'))),
                         b'HEAD /\r\n')
        self.assertEqual(as_bytes(flt.encode(GLib.Bytes.new(b''))), b'\r\n')

    def test_literal_and_clone(self):
        flt = Tcpc.LineFilter.new_literal('|')
        self.assertEqual(flt.props.literal, '|')
        self.feed(flt, b'x|y|partial')
        self.assertEqual(self.records(flt), [b'x', b'y'])
        self.assertEqual(as_bytes(flt.encode(GLib.Bytes.new(b'z'))), b'z|')

        copy = flt.clone()
        self.assertIsInstance(copy, Tcpc.LineFilter)
        self.assertIsNot(copy, flt)
        self.assertEqual(copy.props.literal, '|')
        # Same settings, fresh state: the partial record stays in the original.
        pending = copy.take_pending()
        self.assertTrue(pending is None or pending.get_size() == 0)
        self.assertEqual(as_bytes(copy.encode(GLib.Bytes.new(b'z'))), b'z|')
        self.feed(copy, b'1|2|')
        self.assertEqual(self.records(copy), [b'1', b'2'])
        self.assertEqual(as_bytes(flt.take_pending()), b'partial')

    def test_invalid_settings(self):
        for setup in (
            lambda f: setattr(f.props, 'max_length', 0),
            lambda f: setattr(f.props, 'input_regex', '('),
            lambda f: (setattr(f.props, 'literal', '\n'),
                       setattr(f.props, 'input_regex', '\\r?\\n')),
        ):
            flt = Tcpc.LineFilter.new()
            setup(flt)
            self.assert_filter_error(Tcpc.FilterError.INVALID_SETTINGS,
                                     flt.check_settings)
            self.assert_filter_error(Tcpc.FilterError.INVALID_SETTINGS,
                                     flt.feed, GLib.Bytes.new(b'a\n'))
            self.assert_filter_error(Tcpc.FilterError.INVALID_SETTINGS,
                                     flt.encode, GLib.Bytes.new(b'a'))
        self.assertTrue(Tcpc.LineFilter.new().check_settings())

    def test_record_too_long(self):
        flt = Tcpc.LineFilter.new()
        flt.props.max_length = 8
        self.assertEqual(flt.props.max_length, 8)

        def feed_and_parse():
            self.feed(flt, b'0123456789abcdef\n')
            self.records(flt)

        self.assert_filter_error(Tcpc.FilterError.RECORD_TOO_LONG, feed_and_parse)
        self.assertEqual(Tcpc.LineFilter.new().props.max_length,
                         Tcpc.LINE_FILTER_DEFAULT_MAX_LENGTH)


class TestProperties(unittest.TestCase):

    def test_defaults(self):
        client = Tcpc.Client()
        self.assertIsNone(client.props.remote_address)
        self.assertEqual(client.props.remote_port, 0)
        self.assertIsNone(client.props.remote_service)
        self.assertIsNone(client.props.connectable)
        self.assertIsNone(client.props.bind_address)
        self.assertEqual(client.props.bind_port, 0)
        self.assertEqual(client.props.family, Gio.SocketFamily.INVALID)
        self.assertEqual(client.props.connect_timeout, 0.0)
        self.assertIsInstance(client.props.filter, Tcpc.LineFilter)
        self.assertFalse(client.props.tls)
        self.assertTrue(client.props.shutdown_on_error)
        self.assertIsNone(client.props.name)
        self.assertEqual(client.props.state, Tcpc.ClientState.IDLE)
        self.assertIsNone(client.props.stream)
        self.assertFalse(client.is_connected())

    def test_new_and_set(self):
        client = Tcpc.Client.new('127.0.0.1', 7)
        self.assertEqual(client.props.remote_address, '127.0.0.1')
        self.assertEqual(client.get_remote_address(), '127.0.0.1')
        self.assertEqual(client.props.remote_port, 7)
        self.assertEqual(client.get_remote_port(), 7)

        notified = []
        client.connect('notify', lambda obj, pspec: notified.append(pspec.name))
        client.props.remote_address = '::1'
        client.props.remote_port = 65535
        client.props.connect_timeout = 1.5
        client.props.name = 'py-client'
        client.props.shutdown_on_error = False
        client.set_remote_service('echo')
        self.assertEqual(client.props.remote_address, '::1')
        self.assertEqual(client.props.remote_port, 65535)
        self.assertEqual(client.props.connect_timeout, 1.5)
        self.assertEqual(client.get_connect_timeout(), 1.5)
        self.assertEqual(client.props.name, 'py-client')
        self.assertFalse(client.props.shutdown_on_error)
        self.assertEqual(client.props.remote_service, 'echo')
        for name in ('remote-address', 'remote-port', 'connect-timeout', 'name',
                     'shutdown-on-error', 'remote-service'):
            self.assertIn(name, notified)

        # Setting a property to its current value does not notify.
        notified.clear()
        client.props.remote_port = 65535
        self.assertNotIn('remote-port', notified)

        line = Tcpc.LineFilter.new_literal('\n')
        client.props.filter = line
        self.assertIs(client.props.filter, line)

        connectable = Gio.NetworkAddress.new('localhost', 80)
        client.props.connectable = connectable
        self.assertIs(client.props.connectable, connectable)

    def test_state_enum_is_read_only(self):
        client = Tcpc.Client.new('127.0.0.1', 7)
        self.assertIsInstance(client.props.state, Tcpc.ClientState)
        self.assertEqual(client.get_state(), Tcpc.ClientState.IDLE)
        names = [Tcpc.ClientState.IDLE, Tcpc.ClientState.CONNECTING,
                 Tcpc.ClientState.CONNECTED, Tcpc.ClientState.SHUTTING_DOWN,
                 Tcpc.ClientState.CLOSED]
        self.assertEqual([int(s) for s in names], [0, 1, 2, 3, 4])
        pspec = Tcpc.Client.find_property('state')
        self.assertFalse(pspec.flags & GObject.ParamFlags.WRITABLE)
        with self.assertRaises(TypeError):
            client.props.state = Tcpc.ClientState.CONNECTED

    def test_no_shadowing_method_names(self):
        # connect/disconnect/emit/notify must stay GObject's own.
        for name in ('connect', 'disconnect', 'emit', 'notify'):
            self.assertIs(getattr(Tcpc.Client, name), getattr(GObject.Object, name))


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2)
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped - len(result.expectedFailures)
    line = '%d passed, %d failed' % (passed, failed)
    if skipped:
        line += ', %d skipped' % skipped
    print(line, flush=True)
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main())
