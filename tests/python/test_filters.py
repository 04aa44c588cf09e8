#!/usr/bin/python3
# test_filters.py: the filters of Tcpc-1.0 used from Python (PyGObject), and
# filters written in Python.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Run by meson as `python3 tests/python/test_filters.py` with GI_TYPELIB_PATH
# and LD_LIBRARY_PATH pointing at build/tcpclient. The client tests talk to
# the loopback line server of test_client.py (CR LF lines, "echo: " replies,
# "quit" answered with "bye"); every loop is bounded by a GLib timeout.

import sys
import unittest

import gi

gi.require_version('Tcpc', '1.0')
gi.require_version('GLib', '2.0')
gi.require_version('GObject', '2.0')
from gi.repository import GLib, GObject, Tcpc  # noqa: E402

import test_client as common  # noqa: E402
from test_client import as_bytes  # noqa: E402


def gbytes(data):
    return GLib.Bytes.new(data)


def filter_error(code, message):
    """A GLib.Error in the TCPC_FILTER_ERROR domain, to raise from a vfunc."""
    return GLib.Error.new_literal(Tcpc.filter_error_quark(), message, code)


class CrlfFilter(GObject.Object, Tcpc.Filter):
    """CR LF lines, written in Python.

    mode selects a misbehaviour: 'raise' (do_next_record raises a GLib.Error
    once input is buffered), 'raise-plain' (raises a ValueError), 'wrong-type'
    (returns a str), 'clone-none' (do_clone returns None), 'feed-false'
    (do_feed returns False without raising)."""

    def __init__(self, mode=None):
        super().__init__()
        self.mode = mode
        self.buffer = b''
        self.fed = []
        # PyGObject drops its own reference to what do_clone returns: keep
        # one until the caller has taken it (see API.md).
        self.clones = []

    def do_feed(self, data):
        self.fed.append(as_bytes(data))
        if self.mode == 'feed-false' and data.get_size() > 0:
            return False
        self.buffer += as_bytes(data)
        return True

    def do_next_record(self):
        if self.mode == 'raise' and self.buffer:
            raise filter_error(Tcpc.FilterError.MALFORMED, 'no lines today')
        if self.mode == 'raise-plain' and self.buffer:
            self.buffer = b''
            raise ValueError('a plain Python exception')
        if self.mode == 'wrong-type' and self.buffer:
            self.buffer = b''
            return 'not a GLib.Bytes'
        index = self.buffer.find(b'\r\n')
        if index < 0:
            return None
        record, self.buffer = self.buffer[:index], self.buffer[index + 2:]
        return gbytes(record)

    def do_encode(self, record):
        return gbytes(as_bytes(record) + b'\r\n')

    def do_take_pending(self):
        pending, self.buffer = self.buffer, b''
        return gbytes(pending) if pending else None

    def do_clone(self):
        if self.mode == 'clone-none':
            return None
        clone = CrlfFilter(self.mode)
        self.clones.append(clone)
        return clone


class UpperFilter(GObject.Object, Tcpc.Filter):
    """A record filter in Python: every chunk fed is a record, uppercased on
    the way in and tagged on the way out."""

    def __init__(self):
        super().__init__()
        self.queue = []
        self.clones = []

    def do_feed(self, data):
        self.queue.append(as_bytes(data))
        return True

    def do_next_record(self):
        if not self.queue:
            return None
        return gbytes(self.queue.pop(0).upper())

    def do_encode(self, record):
        return gbytes(b'py:' + as_bytes(record))

    def do_take_pending(self):
        pending, self.queue = b''.join(self.queue), []
        return gbytes(pending) if pending else None

    def do_clone(self):
        clone = UpperFilter()
        self.clones.append(clone)
        return clone


def parse_all(tcpc_filter, *chunks):
    records = []
    for chunk in chunks:
        assert tcpc_filter.feed(gbytes(chunk))
        while True:
            record = tcpc_filter.next_record()
            if record is None:
                break
            records.append(as_bytes(record))
    return records


class TestPythonFilter(common.LoopTestCase):

    def session(self, tcpc_filter, puts, greeting=b'hello\r\n'):
        """Runs one connection with tcpc_filter; returns the events."""
        server = self.server(greeting=greeting, on_line=common.echo_line)
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        client.props.filter = tcpc_filter
        events = []
        self.record_signals(client, events)

        def on_connected(c, stream, address):
            for record in puts:
                self.assertTrue(c.put(gbytes(record)))

        client.connect('connected', self.guard(on_connected))
        client.connect('disconnected', self.guard(lambda c: self.loop.quit()))
        client.connect('connect-error', self.guard(lambda c, op, err: self.loop.quit()))
        client.start()
        self.run_loop(what='the end of the session')
        return events, server

    def test_standalone(self):
        f = CrlfFilter()
        self.assertIsInstance(f, Tcpc.Filter)
        self.assertEqual(parse_all(f, b'a\r\nb', b'c\r\n', b'rest'), [b'a', b'bc'])
        self.assertEqual(as_bytes(f.encode(gbytes(b'x'))), b'x\r\n')
        self.assertEqual(as_bytes(f.take_pending()), b'rest')
        self.assertIsNone(f.take_pending())
        clone = f.clone()
        self.assertIsInstance(clone, CrlfFilter)
        self.assertIsNot(clone, f)

    def test_client_filter(self):
        proto = CrlfFilter()
        events, server = self.session(proto, [b'ping', b'quit'],
                                      greeting=b'hello\r\nworld\r\n')
        self.assertEqual(self.inputs(events), [b'hello', b'world', b'echo: ping', b'bye'])
        self.assertNotIn('server-error', self.names(events))
        self.assertEqual(server.lines, [b'ping', b'quit'])
        # The connection worked with one fresh clone, checked first by
        # feeding it nothing; the prototype itself was never used.
        self.assertEqual(len(proto.clones), 1)
        self.assertEqual(proto.buffer, b'')
        self.assertEqual(proto.clones[0].fed[0], b'')

    def test_wire_side_of_a_stack(self):
        upper = Tcpc.MapFilter()
        upper.set_input_func(lambda record: gbytes(as_bytes(record).upper()))
        upper.set_output_func(lambda record: gbytes(as_bytes(record) + b'!'))
        stack = Tcpc.StackableFilter.new([CrlfFilter(), upper])
        events, server = self.session_until_inputs(stack, [b'ping'], 2)
        self.assertEqual(self.inputs(events), [b'HELLO', b'ECHO: PING!'])
        self.assertNotIn('server-error', self.names(events))
        self.assertEqual(server.lines, [b'ping!'])

    def test_record_side_of_a_stack(self):
        stack = Tcpc.StackableFilter.new([Tcpc.LineFilter.new(), UpperFilter()])
        self.assertEqual(stack.get_n_filters(), 2)
        events, server = self.session_until_inputs(stack, [b'ping'], 2)
        self.assertEqual(self.inputs(events), [b'HELLO', b'ECHO: PY:PING'])
        self.assertNotIn('server-error', self.names(events))
        self.assertEqual(server.lines, [b'py:ping'])

    def session_until_inputs(self, tcpc_filter, puts, count):
        """Like session(), but shuts down after count records."""
        server = self.server(greeting=b'hello\r\n', on_line=common.echo_line)
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        client.props.filter = tcpc_filter
        events = []
        self.record_signals(client, events)

        def on_connected(c, stream, address):
            for record in puts:
                self.assertTrue(c.put(gbytes(record)))

        def on_input(c, record):
            if len(self.inputs(events)) == count:
                c.shutdown()

        client.connect('connected', self.guard(on_connected))
        client.connect_after('server-input', self.guard(on_input))
        client.connect('disconnected', self.guard(lambda c: self.loop.quit()))
        client.start()
        self.run_loop(what='%d records' % count)
        return events, server

    def test_error_reaches_server_error(self):
        events, _ = self.session(CrlfFilter('raise'), [])
        errors = [e for e in events if e[0] == 'server-error']
        self.assertEqual(len(errors), 1)
        self.assertEqual(errors[0][1], 'read')
        self.assertTrue(errors[0][2].matches(Tcpc.filter_error_quark(),
                                             Tcpc.FilterError.MALFORMED))
        self.assertEqual(errors[0][2].message, 'no lines today')
        self.assertEqual(self.names(events)[-1], 'disconnected')

    def test_error_in_a_stack_reaches_server_error(self):
        stack = Tcpc.StackableFilter.new([Tcpc.LineFilter.new(), CrlfFilter('raise')])
        events, _ = self.session(stack, [])
        errors = [e for e in events if e[0] == 'server-error']
        self.assertEqual([e[1] for e in errors], ['read'])
        self.assertEqual(errors[0][2].message, 'no lines today')

    def test_plain_exception_is_not_a_crash(self):
        # PyGObject prints an exception that is not a GLib.Error and returns
        # None: the input is lost, but the connection goes on.
        events, server = self.session(CrlfFilter('raise-plain'), [b'quit'])
        self.assertEqual(self.inputs(events), [])
        self.assertEqual(self.names(events)[-1], 'disconnected')
        self.assertEqual(server.lines, [b'quit'])

        # A record of the wrong type is dropped the same way.
        f = CrlfFilter('wrong-type')
        f.feed(gbytes(b'x\r\n'))
        self.assertIsNone(f.next_record())

    def test_clone_returning_none(self):
        # As a client's filter: reported before connecting.
        events, _ = self.session(CrlfFilter('clone-none'), [])
        self.assertEqual(self.names(events), ['started', 'connect-error'])
        error = [e for e in events if e[0] == 'connect-error'][0]
        self.assertEqual(error[1], 'filter')
        self.assertTrue(error[2].matches(Tcpc.filter_error_quark(),
                                         Tcpc.FilterError.INVALID_SETTINGS))

        # Inside a stack: the clone of the stack is invalid.
        stack = Tcpc.StackableFilter.new([Tcpc.LineFilter.new(), CrlfFilter('clone-none')])
        clone = stack.clone()
        with self.assertRaises(GLib.Error) as caught:
            clone.feed(gbytes(b''))
        self.assertTrue(caught.exception.matches(Tcpc.filter_error_quark(),
                                                 Tcpc.FilterError.INVALID_SETTINGS))
        self.assertIn('CrlfFilter', caught.exception.message)
        events, _ = self.session(stack, [])
        self.assertEqual(self.names(events), ['started', 'connect-error'])

    def test_feed_failing_without_error_in_a_stack(self):
        stack = Tcpc.StackableFilter.new([Tcpc.LineFilter.new(), CrlfFilter('feed-false')])
        stack.feed(gbytes(b'x\r\n'))
        with self.assertRaises(GLib.Error) as caught:
            stack.next_record()
        self.assertTrue(caught.exception.matches(Tcpc.filter_error_quark(),
                                                 Tcpc.FilterError.MALFORMED))

    def test_feed_failing_without_error_as_client_filter(self):
        # A feed that fails without setting a GError is still reported to
        # server-error, with a MALFORMED error the client makes up.
        events, _ = self.session(CrlfFilter('feed-false'), [])
        errors = [e for e in events if e[0] == 'server-error']
        self.assertEqual(len(errors), 1)
        self.assertIsNotNone(errors[0][2])


class TestBuiltinFilters(unittest.TestCase):

    def test_stream(self):
        f = Tcpc.StreamFilter.new()
        self.assertEqual(parse_all(f, b'ab'), [b'ab'])
        f.feed(gbytes(b'ab'))
        f.feed(gbytes(b'cd'))
        self.assertEqual(as_bytes(f.next_record()), b'abcd')
        self.assertEqual(as_bytes(f.encode(gbytes(b'x\0y'))), b'x\0y')
        self.assertIsNone(f.take_pending())
        self.assertIsInstance(f.clone(), Tcpc.StreamFilter)

    def test_block(self):
        f = Tcpc.BlockFilter.new()
        self.assertEqual(f.props.length_codec, Tcpc.LengthCodec.ASCII)
        self.assertEqual(f.props.max_length, 1024 * 1024)
        self.assertEqual(f.props.block_size, 0)
        self.assertEqual(as_bytes(f.encode(gbytes(b'hello'))), b'5\0hello')
        self.assertEqual(parse_all(f, b'xyz3\0abc', b'0\0'), [b'abc', b''])

        fixed = Tcpc.BlockFilter.new_fixed(3)
        self.assertEqual(parse_all(fixed, b'abcdefg'), [b'abc', b'def'])
        self.assertEqual(as_bytes(fixed.take_pending()), b'g')

        u32 = Tcpc.BlockFilter.new_length_prefixed(Tcpc.LengthCodec.UINT32_BE)
        self.assertEqual(as_bytes(u32.encode(gbytes(b'hi'))), b'\0\0\0\2hi')
        u8 = Tcpc.BlockFilter(length_codec=Tcpc.LengthCodec.UINT8, max_length=10)
        with self.assertRaises(GLib.Error) as caught:
            u8.encode(gbytes(b'x' * 300))
        self.assertTrue(caught.exception.matches(Tcpc.filter_error_quark(),
                                                 Tcpc.FilterError.RECORD_TOO_LONG))
        u8.feed(gbytes(b'\x0b'))
        with self.assertRaises(GLib.Error) as caught:
            u8.next_record()
        self.assertTrue(caught.exception.matches(Tcpc.filter_error_quark(),
                                                 Tcpc.FilterError.RECORD_TOO_LONG))

        bad = Tcpc.BlockFilter(block_size=4, max_length=100)
        with self.assertRaises(GLib.Error) as caught:
            bad.check_settings()
        self.assertTrue(caught.exception.matches(Tcpc.filter_error_quark(),
                                                 Tcpc.FilterError.INVALID_SETTINGS))
        with self.assertRaises(GLib.Error):
            Tcpc.BlockFilter.new_fixed(0).feed(gbytes(b''))

    def test_netstring(self):
        f = Tcpc.NetstringFilter.new()
        self.assertEqual(as_bytes(f.encode(gbytes(b'hello'))), b'5:hello,')
        self.assertEqual(parse_all(f, b'5:hello,0:,3:a'), [b'hello', b''])
        self.assertEqual(as_bytes(f.take_pending()), b'3:a')
        f.feed(gbytes(b'05:hello,'))
        with self.assertRaises(GLib.Error) as caught:
            f.next_record()
        self.assertTrue(caught.exception.matches(Tcpc.filter_error_quark(),
                                                 Tcpc.FilterError.MALFORMED))

    def test_map(self):
        # The setters take plain one-argument callables.
        grep = Tcpc.MapFilter()
        grep.set_input_func(lambda record: record if b'x' in as_bytes(record) else None)
        self.assertEqual(parse_all(grep, b'ax', b'b', b'xc'), [b'ax', b'xc'])
        self.assertEqual(as_bytes(grep.encode(gbytes(b'y'))), b'y')
        grep.set_output_func(lambda record: None)
        self.assertIsNone(grep.encode(gbytes(b'y')))

        # With new(), PyGObject passes the input function's user data as an
        # extra argument (None when not given): accept it with *data.
        seen = []

        def upper(record, *data):
            seen.append(data)
            return gbytes(as_bytes(record).upper())

        m = Tcpc.MapFilter.new(input=upper, output=lambda record: gbytes(as_bytes(record) * 2))
        self.assertEqual(parse_all(m, b'ab'), [b'AB'])
        self.assertEqual(as_bytes(m.encode(gbytes(b'x'))), b'xx')
        self.assertEqual(seen, [(None,)])
        # User data for the input function goes in a tuple; the output
        # function's follows it as it is.
        m = Tcpc.MapFilter.new(upper, ('data',), lambda record, data: gbytes(data), b'out')
        self.assertEqual(parse_all(m, b'cd'), [b'CD'])
        self.assertEqual(seen[-1], ('data',))
        self.assertEqual(as_bytes(m.encode(gbytes(b'x'))), b'out')
        clone = m.clone()
        self.assertEqual(parse_all(clone, b'ef'), [b'EF'])

    def test_stackable(self):
        stack = Tcpc.StackableFilter.new(None)
        with self.assertRaises(GLib.Error) as caught:
            stack.feed(gbytes(b'x'))
        self.assertTrue(caught.exception.matches(Tcpc.filter_error_quark(),
                                                 Tcpc.FilterError.INVALID_SETTINGS))
        self.assertIsNone(stack.pop())
        stack.push(Tcpc.LineFilter.new_literal('\n'))
        upper = Tcpc.MapFilter()
        upper.set_input_func(lambda record: gbytes(as_bytes(record).upper()))
        upper.set_output_func(lambda record: gbytes(as_bytes(record).upper()))
        stack.push(upper)
        self.assertEqual(parse_all(stack, b'ab\ncd\n'), [b'AB', b'CD'])
        self.assertEqual(as_bytes(stack.encode(gbytes(b'x'))), b'X\n')
        stack.feed(gbytes(b'partial'))
        self.assertIsNone(stack.next_record())
        self.assertEqual(as_bytes(stack.take_pending()), b'partial')

        stack.unshift(Tcpc.NetstringFilter.new())
        filters = stack.get_filters()
        self.assertEqual([type(f) for f in filters],
                         [Tcpc.NetstringFilter, Tcpc.LineFilter, Tcpc.MapFilter])
        self.assertIs(stack.get_filter(0), filters[0])
        self.assertIsNone(stack.get_filter(3))
        self.assertIsInstance(stack.shift(), Tcpc.NetstringFilter)
        self.assertIs(stack.pop(), upper)
        self.assertEqual(stack.get_n_filters(), 1)

        clone = stack.clone()
        self.assertIsInstance(clone, Tcpc.StackableFilter)
        self.assertIsNot(clone.get_filter(0), stack.get_filter(0))

        # Python filters inside, and the stack's clone clones them.
        mixed = Tcpc.StackableFilter.new([CrlfFilter(), UpperFilter()])
        self.assertEqual(parse_all(mixed, b'ab\r\ncd', b'\r\n'), [b'AB', b'CD'])
        self.assertEqual(as_bytes(mixed.encode(gbytes(b'x'))), b'py:x\r\n')
        copy = mixed.clone()
        self.assertIsInstance(copy.get_filter(0), CrlfFilter)
        self.assertIsInstance(copy.get_filter(1), UpperFilter)
        self.assertEqual(parse_all(copy, b'e\r\n'), [b'E'])


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
    if result.expectedFailures:
        line += ', %d expected failures' % len(result.expectedFailures)
    print(line, flush=True)
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main())
