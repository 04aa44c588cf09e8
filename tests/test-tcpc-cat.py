#!/usr/bin/python3
# test-tcpc-cat.py: drives the built tcpc-cat against loopback servers.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   test-tcpc-cat.py PATH-TO-TCPC-CAT [unittest arguments]
#
# Every server runs in a thread of this process on 127.0.0.1 (or ::1), port
# chosen by the kernel; nothing leaves the machine. Every wait is bounded:
# subprocesses run with timeouts and waits for server events give up after
# WAIT seconds. Needs Python's standard library only (and the openssl
# command for the TLS test, which is skipped without it).

import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

TCPC_CAT = None
TIMEOUT = 30       # a whole tcpc-cat run
WAIT = 10          # one server event

# --------------------------------------------------------------------------
# Loopback servers
# --------------------------------------------------------------------------


def wait_for(cond, timeout=WAIT, what='the expected event'):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError('timed out waiting for %s' % what)
        time.sleep(0.01)


class Conn:
    """One accepted connection, as the server's handler sees it."""

    def __init__(self, sock, index):
        self.sock = sock
        self.index = index
        self.received = b''
        self.eof = False
        self.peer = sock.getpeername()
        self.done = threading.Event()   # the handler has returned

    def recv(self, size=65536):
        data = self.sock.recv(size)
        if data:
            self.received += data
        else:
            self.eof = True
        return data

    def read_to_eof(self):
        while self.recv():
            pass
        return self.received

    def recv_exact(self, n):
        """Exactly n more bytes, or None at the end of the stream."""
        data = b''
        while len(data) < n:
            chunk = self.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def send(self, data):
        self.sock.sendall(data)


class Server:
    """A TCP server on the loopback interface that runs handler(conn) in a
    thread for every connection and closes the connection afterwards."""

    def __init__(self, handler, family=socket.AF_INET, wrap=None):
        self.handler = handler
        self.wrap = wrap
        self.conns = []
        self.errors = []
        self.threads = []
        self.accepted = []      # peer addresses, in the order accept() gave them
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('::1' if family == socket.AF_INET6 else '127.0.0.1', 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.closed = False
        self.accept_thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.accept_thread.start()

    def _accept_loop(self):
        while not self.closed:
            try:
                sock, peer = self.listener.accept()
            except OSError:
                return
            self.accepted.append(peer)
            thread = threading.Thread(target=self._run, args=(sock,), daemon=True)
            # Started before close() can see it: joining a thread that has
            # not started raises.
            thread.start()
            self.threads.append(thread)

    def _run(self, sock):
        sock.settimeout(WAIT)
        conn = None
        try:
            if self.wrap is not None:
                sock = self.wrap(sock)
            conn = Conn(sock, len(self.conns))
            self.conns.append(conn)
            self.handler(conn)
        except Exception as exc:    # reported by the test that looks
            self.errors.append(exc)
        finally:
            try:
                sock.close()
            except OSError:
                pass
            if conn is not None:
                conn.done.set()

    def conn(self, index=0):
        wait_for(lambda: len(self.conns) > index, what='connection %d' % index)
        return self.conns[index]

    def finished_conn(self, index=0):
        """The connection once its handler has returned: what it received
        is complete even when the client exited first."""
        conn = self.conn(index)
        if not conn.done.wait(WAIT):
            raise AssertionError('timed out waiting for the handler of connection %d' % index)
        return conn

    def connections_before_probe(self):
        """How many connections the server had accepted before a probe
        connection made now: one that a client made before it exited is
        counted, however late the server's threads run."""
        family = self.listener.family
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.connect(self.listener.getsockname()[:2])
            name = probe.getsockname()
            wait_for(lambda: any(peer[:2] == name[:2] for peer in self.accepted),
                     what='the probe connection')
            return [peer[:2] for peer in self.accepted].index(name[:2])

    def close(self):
        self.closed = True
        # shutdown() wakes the accept() under way, and the listener is
        # closed only once the accepting thread is gone: closed first, its
        # descriptor could be reused by the next test's listener, which
        # the thread would then accept from.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.accept_thread.join(WAIT)
        try:
            self.listener.close()
        except OSError:
            pass
        for thread in list(self.threads):
            thread.join(WAIT)


def closed_port():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def have_ipv6():
    try:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        sock.bind(('::1', 0))
        sock.close()
        return True
    except OSError:
        return False


# Handlers ------------------------------------------------------------------

def echo(conn):
    """Echoes bytes until the client half-closes, then closes."""
    while True:
        data = conn.recv()
        if not data:
            return
        conn.send(data)


def sink(conn):
    conn.read_to_eof()


def silent(conn):
    """Accepts and says nothing until the client goes away."""
    conn.sock.settimeout(TIMEOUT)
    try:
        conn.read_to_eof()
    except OSError:
        pass


def framed_reverse(read_frame, write_frame):
    """Reads frames until EOF and answers each with its payload reversed,
    the answer sent in two segments (the filter's own tests cover every
    split; here the client usually sees two reads)."""
    def handler(conn):
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            payload = read_frame(conn)
            if payload is None:
                return
            wire = write_frame(payload[::-1])
            conn.send(wire[:3])
            conn.send(wire[3:])
    return handler


def read_u32be(conn):
    header = conn.recv_exact(4)
    if header is None:
        return None
    return conn.recv_exact(struct.unpack('!I', header)[0])


def write_u32be(payload):
    return struct.pack('!I', len(payload)) + payload


def read_ascii_block(conn):
    digits = b''
    while True:
        byte = conn.recv_exact(1)
        if byte is None:
            return None
        if byte == b'\0':
            break
        digits += byte
    return conn.recv_exact(int(digits))


def write_ascii_block(payload):
    return b'%d\0' % len(payload) + payload


def read_netstring(conn):
    digits = b''
    while True:
        byte = conn.recv_exact(1)
        if byte is None:
            return None
        if byte == b':':
            break
        digits += byte
    payload = conn.recv_exact(int(digits))
    assert conn.recv_exact(1) == b','
    return payload


def write_netstring(payload):
    return b'%d:%s,' % (len(payload), payload)


# --------------------------------------------------------------------------
# Running tcpc-cat
# --------------------------------------------------------------------------

TRACE = re.compile(r'^tcpc-cat: \d+\.\d{3} (\S+)(?: (.*))?$')


def trace_events(stderr):
    """The (event, rest) pairs of a --verbose trace."""
    events = []
    for line in stderr.splitlines():
        match = TRACE.match(line)
        if match:
            events.append((match.group(1), match.group(2) or ''))
    return events


def log(proc_or_result, stdout, stderr):
    for line in (stdout or b'').decode('utf-8', 'replace').splitlines()[:40]:
        print('#   out: %s' % line)
    for line in (stderr or '').splitlines()[:60]:
        print('#   err: %s' % line)


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


def cat_env(args):
    """The environment tcpc-cat runs in. In the sanitizer build, GCC 12's
    LeakSanitizer crashes at exit ("Tracer caught signal 11") walking the
    thread state GnuTLS leaves behind, so runs that use TLS go without the
    exit-time leak check; the other runs keep it."""
    env = dict(os.environ)
    if any(a == '--tls' or a.startswith('--ca-file') for a in args):
        env['ASAN_OPTIONS'] = (env.get('ASAN_OPTIONS', '') + ':detect_leaks=0').lstrip(':')
    return env


def run_cat(args, stdin=b'', timeout=TIMEOUT):
    """Runs tcpc-cat to its end; stdout as bytes, stderr as text."""
    if isinstance(stdin, bytes):
        proc = subprocess.run([TCPC_CAT] + args, input=stdin, capture_output=True,
                              timeout=timeout, env=cat_env(args))
    else:
        proc = subprocess.run([TCPC_CAT] + args, stdin=stdin, capture_output=True,
                              timeout=timeout, env=cat_env(args))
    stderr = proc.stderr.decode('utf-8', 'replace')
    print('# tcpc-cat %s -> %d' % (' '.join(args), proc.returncode))
    log(proc, proc.stdout, stderr)
    return Result(proc.returncode, proc.stdout, stderr)


class Running:
    """tcpc-cat in the background, its stdin a pipe the test writes."""

    def __init__(self, args, stdin=subprocess.PIPE):
        self.args = args
        self.proc = subprocess.Popen([TCPC_CAT] + args, stdin=stdin, env=cat_env(args),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Both outputs are read as they come, so that a test (or a server
        # handler) can wait for what tcpc-cat has printed so far.
        self.out = b''
        self.err = b''
        self.readers = [threading.Thread(target=self._read_stdout, daemon=True),
                        threading.Thread(target=self._read_stderr, daemon=True)]
        for reader in self.readers:
            reader.start()

    def _read_stdout(self):
        for chunk in iter(lambda: self.proc.stdout.read1(65536), b''):
            self.out += chunk

    def _read_stderr(self):
        for line in iter(self.proc.stderr.readline, b''):
            self.err += line

    def wait_stdout(self, cond, what):
        """Waits until cond(the bytes printed on stdout so far) holds."""
        wait_for(lambda: cond(self.out), what=what)

    def wait_stderr(self, cond, what):
        """Waits until cond(the stderr printed so far) holds."""
        wait_for(lambda: cond(self.err.decode('utf-8', 'replace')), what=what)

    def write(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def close_stdin(self):
        self.proc.stdin.close()

    def finish(self, timeout=TIMEOUT):
        """Waits for the end, stdin left open (its end would half-close)."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=WAIT)
            raise AssertionError('tcpc-cat did not end within %d s' % timeout)
        finally:
            for reader in self.readers:
                reader.join(WAIT)
            if self.proc.stdin is not None and not self.proc.stdin.closed:
                try:
                    self.proc.stdin.close()
                except OSError:
                    pass
        stdout = self.out
        stderr = self.err.decode('utf-8', 'replace')
        print('# tcpc-cat %s -> %d' % (' '.join(self.args), self.proc.returncode))
        log(self.proc, stdout, stderr)
        return Result(self.proc.returncode, stdout, stderr)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=WAIT)
        for stream in [self.proc.stdin, self.proc.stdout, self.proc.stderr]:
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------

class CatTestCase(unittest.TestCase):

    def setUp(self):
        self.servers = []
        self.running = []

    def tearDown(self):
        for running in self.running:
            running.kill()
        for server in self.servers:
            server.close()

    def server(self, handler, **kwargs):
        server = Server(handler, **kwargs)
        self.servers.append(server)
        return server

    def background(self, args, **kwargs):
        running = Running(args, **kwargs)
        self.running.append(running)
        return running

    def target(self, server, host='127.0.0.1'):
        return [host, str(server.port)]

    def assertNoServerErrors(self, server):
        self.assertEqual(server.errors, [])


class TestCommandLine(CatTestCase):

    def test_help(self):
        result = run_cat(['--help'])
        self.assertEqual(result.returncode, 0)
        text = result.stdout.decode()
        self.assertIn('tcpc-cat [OPTION…] HOST PORT', text)
        for option in ['--filter', '--terminator', '--length-codec', '--block-size',
                       '--max-length', '--raw', '--close-on-eof', '--tls', '--ca-file',
                       '--reconnect', '--connect-timeout', '--idle-timeout', '--proxy',
                       '--ipv4', '--ipv6', '--bind', '--verbose', '--version']:
            self.assertIn(option, text)
        self.assertIn('Exit status:', text)
        for status in ['0 ', '1 ', '2 ', '3 ', '4 ', '130']:
            self.assertRegex(text, r'\n  %s' % re.escape(status))
        self.assertIn('half-closed', text)

    def test_version(self):
        result = run_cat(['--version'])
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout.decode(), r'^tcpc-cat \(tcpclient\) \d+\.\d+\.\d+\n$')

    def test_usage_errors(self):
        server = self.server(sink)
        port = str(server.port)
        cases = [
            ['--bogus', '127.0.0.1', port],
            [],
            ['127.0.0.1'],
            ['127.0.0.1', port, 'extra'],
            ['127.0.0.1', '0'],
            ['127.0.0.1', '65536'],
            ['--filter=json', '127.0.0.1', port],
            ['--length-codec=u24', '127.0.0.1', port],
            ['--block-size=-1', '127.0.0.1', port],
            ['--connect-timeout=-1', '127.0.0.1', port],
            ['--idle-timeout=soon', '127.0.0.1', port],
            ['--ipv4', '--ipv6', '127.0.0.1', port],
            ['--bind=[::1', '127.0.0.1', port],
            ['--bind=127.0.0.1:http', '127.0.0.1', port],
            ['--ca-file=/nonexistent/ca.pem', '127.0.0.1', port],
        ]
        for args in cases:
            with self.subTest(args=args):
                result = run_cat(args)
                self.assertEqual(result.returncode, 2)
                self.assertIn('tcpc-cat: ', result.stderr)
                self.assertIn('--help', result.stderr)
        self.assertEqual(server.connections_before_probe(), 0)

    def test_invalid_filter_settings(self):
        server = self.server(sink)
        port = str(server.port)
        cases = [
            (['--terminator='], 'literal must not be empty'),
            (['--max-length=0'], 'max-length'),
            (['--filter=netstring', '--max-length=0'], 'max-length'),
            (['--block-size=0'], 'block-size'),
            (['--block-size=4', '--length-codec=u8'], 'block-size'),
            (['--block-size=4', '--max-length=10'], 'block-size'),
            (['--filter=block', '--terminator=x'], '--terminator'),
            (['--filter=stream', '--max-length=10'], '--max-length'),
            (['--filter=line', '--length-codec=u8'], '--length-codec'),
            (['--terminator=\\q'], 'unknown escape'),
            (['--terminator=a\\0b'], 'NUL'),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                result = run_cat(args + ['127.0.0.1', port], stdin=b'x\n')
                self.assertEqual(result.returncode, 4)
                self.assertIn('invalid filter settings', result.stderr)
                self.assertIn(message, result.stderr)
        # Nothing was sent on the network.
        self.assertEqual(server.connections_before_probe(), 0)


class TestLines(CatTestCase):

    def test_echo_round_trip(self):
        server = self.server(echo)
        result = run_cat(self.target(server), stdin=b'hello\nworld\n\nlast line')
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout, b'hello\nworld\n\nlast line\n')
        self.assertEqual(server.conn().received, b'hello\r\nworld\r\n\r\nlast line\r\n')
        self.assertEqual(result.stderr, '')
        self.assertNoServerErrors(server)

    def test_default_terminators(self):
        # Sent: \r\n after every record, a CR before stdin's LF is dropped.
        # Received: \n, \r\n, \r and \n\r each end a line.
        def handler(conn):
            conn.read_to_eof()
            conn.send(b'a\r\nb\nc\rd\n\re\r\n')
        server = self.server(handler)
        result = run_cat(self.target(server), stdin=b'dos\r\nunix\n')
        self.assertEqual(result.returncode, 0)
        self.assertEqual(server.conn().received, b'dos\r\nunix\r\n')
        self.assertEqual(result.stdout, b'a\nb\nc\nd\ne\n')

    def test_custom_terminator(self):
        def handler(conn):
            conn.read_to_eof()
            conn.send(b'one\ntwo\r\nthree\n')
        server = self.server(handler)
        result = run_cat(['--terminator=\\n'] + self.target(server), stdin=b'x\ny\n')
        self.assertEqual(result.returncode, 0)
        self.assertEqual(server.conn().received, b'x\ny\n')
        # Only \n ends a line now: the \r stays in the record.
        self.assertEqual(result.stdout, b'one\ntwo\r\nthree\n')

    def test_multibyte_and_hex_terminators(self):
        for option, terminator in [('--terminator=||', b'||'),
                                   ('--terminator=\\x1e', b'\x1e'),
                                   ('--terminator=\\r\\n\\r\\n', b'\r\n\r\n')]:
            with self.subTest(option=option):
                def handler(conn, terminator=terminator):
                    conn.read_to_eof()
                    conn.send(b'r1' + terminator + b'r2' + terminator)
                server = self.server(handler)
                result = run_cat([option] + self.target(server), stdin=b'a\nb\n')
                self.assertEqual(result.returncode, 0)
                self.assertEqual(server.conn().received,
                                 b'a' + terminator + b'b' + terminator)
                self.assertEqual(result.stdout, b'r1\nr2\n')

    def test_large_output(self):
        lines = [b'line %06d %s' % (i, b'x' * (i % 97)) for i in range(60000)]

        def handler(conn):
            conn.send(b''.join(line + b'\r\n' for line in lines))
        server = self.server(handler)
        result = run_cat(self.target(server), stdin=subprocess.DEVNULL)
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout, b''.join(line + b'\n' for line in lines))

    def test_large_input(self):
        lines = [b'%06d %s' % (i, b'y' * (i % 89)) for i in range(60000)]
        server = self.server(sink)
        result = run_cat(self.target(server), stdin=b''.join(line + b'\n' for line in lines))
        self.assertEqual(result.returncode, 0)
        self.assertEqual(server.conn().received, b''.join(line + b'\r\n' for line in lines))


class TestFraming(CatTestCase):

    def test_block_u32be(self):
        server = self.server(framed_reverse(read_u32be, write_u32be))
        result = run_cat(['--filter=block', '--length-codec=u32be'] + self.target(server),
                         stdin=b'hello\nworld, again\n')
        self.assertEqual(result.returncode, 0)
        self.assertEqual(server.conn().received,
                         b'\0\0\0\x05hello\0\0\0\x0cworld, again')
        self.assertEqual(result.stdout, b'olleh\nniaga ,dlrow\n')
        self.assertNoServerErrors(server)

    def test_block_length_codec_implies_block(self):
        server = self.server(framed_reverse(read_u32be, write_u32be))
        result = run_cat(['--length-codec=U32BE'] + self.target(server), stdin=b'abc\n')
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout, b'cba\n')

    def test_block_ascii_default(self):
        server = self.server(framed_reverse(read_ascii_block, write_ascii_block))
        result = run_cat(['-f', 'block'] + self.target(server), stdin=b'hello\n')
        self.assertEqual(result.returncode, 0)
        self.assertEqual(server.conn().received, b'5\0hello')
        self.assertEqual(result.stdout, b'olleh\n')

    def test_block_fixed_size(self):
        def handler(conn):
            conn.read_to_eof()
            conn.send(b'abcdefgh')
        server = self.server(handler)
        result = run_cat(['--block-size=4'] + self.target(server), stdin=b'wxyz\n')
        self.assertEqual(result.returncode, 0)
        self.assertEqual(server.conn().received, b'wxyz')
        self.assertEqual(result.stdout, b'abcd\nefgh\n')

    def test_netstring(self):
        server = self.server(framed_reverse(read_netstring, write_netstring))
        result = run_cat(['--filter=netstring'] + self.target(server),
                         stdin=b'hello\n\nworld\n')
        self.assertEqual(result.returncode, 0)
        self.assertEqual(server.conn().received, b'5:hello,0:,5:world,')
        self.assertEqual(result.stdout, b'olleh\n\ndlrow\n')
        self.assertNoServerErrors(server)

    def test_stream_raw(self):
        payload = bytes(range(256)) * 4
        cat = []

        def handler(conn):
            # The second part goes once the first has been printed: two
            # records, each written out as it came.
            conn.read_to_eof()
            conn.send(payload[:100])
            cat[0].wait_stdout(lambda out: len(out) >= 100, what='the first 100 bytes')
            conn.send(payload[100:])
        server = self.server(handler)
        cat.append(self.background(['--filter=stream', '--raw'] + self.target(server)))
        cat[0].write(b'no\nframing\0here')
        cat[0].close_stdin()
        result = cat[0].finish()
        self.assertEqual(result.returncode, 0)
        self.assertEqual(server.conn().received, b'no\nframing\0here')
        self.assertEqual(result.stdout, payload)

    def test_encode_error(self):
        # A u8 length header cannot frame a 300-byte record.
        server = self.server(sink)
        result = run_cat(['--length-codec=u8'] + self.target(server),
                         stdin=b'short\n' + b'z' * 300 + b'\nnot sent\n')
        self.assertEqual(result.returncode, 3)
        self.assertIn('cannot send a record', result.stderr)
        wait_for(lambda: server.conn().eof, what='the end of the stream')
        self.assertEqual(server.conn().received, b'\x05short')

    def test_malformed_input(self):
        def handler(conn):
            conn.send(b'5:hello,x:garbage')
            conn.read_to_eof()
        server = self.server(handler)
        running = self.background(['--filter=netstring'] + self.target(server))
        result = running.finish()
        self.assertEqual(result.returncode, 3)
        self.assertIn('read error', result.stderr)
        self.assertEqual(result.stdout, b'hello\n')

    def test_max_length(self):
        def handler(conn):
            conn.send(b'ok\r\n' + b'z' * 100 + b'\r\n')
            conn.read_to_eof()
        server = self.server(handler)
        running = self.background(['--max-length=10'] + self.target(server))
        result = running.finish()
        self.assertEqual(result.returncode, 3)
        self.assertEqual(result.stdout, b'ok\n')
        self.assertIn('read error', result.stderr)


class TestEndOfInput(CatTestCase):

    def test_half_close(self):
        # At the end of stdin the server sees EOF, and what it sends after
        # that is still printed until it closes.
        cat = []

        def handler(conn):
            conn.read_to_eof()
            conn.send(b'got %d bytes\r\n' % len(conn.received))
            # tcpc-cat has printed the first answer and is still reading
            cat[0].wait_stdout(lambda out: out.endswith(b'\n'), what='the first answer')
            conn.send(b'still here\r\n')
        server = self.server(handler)
        cat.append(self.background(self.target(server)))
        cat[0].write(b'one\ntwo\n')
        cat[0].close_stdin()
        result = cat[0].finish()
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout, b'got 10 bytes\nstill here\n')
        self.assertTrue(server.conn().eof)

    def test_close_on_eof(self):
        exited = threading.Event()
        replied = threading.Event()

        def handler(conn):
            # The answer comes only once tcpc-cat has exited: it must not
            # wait for one.
            conn.read_to_eof()
            exited.wait(TIMEOUT)
            try:
                conn.send(b'too late\r\n')
            except OSError:
                pass
            replied.set()
        server = self.server(handler)
        try:
            result = run_cat(['--close-on-eof'] + self.target(server), stdin=b'one\ntwo\n')
        finally:
            exited.set()
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout, b'')
        # tcpc-cat exits without waiting for the server: its reading thread
        # may not have run yet
        self.assertEqual(server.finished_conn().received, b'one\r\ntwo\r\n')
        self.assertTrue(replied.wait(WAIT))

    def test_server_closes_first(self):
        # The server ends the session while stdin is still open.
        def handler(conn):
            conn.recv_exact(len(b'quit\r\n'))
            conn.send(b'bye\r\n')
        server = self.server(handler)
        running = self.background(self.target(server))
        running.write(b'quit\n')
        result = running.finish()
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout, b'bye\n')

    def test_nothing_on_stdin(self):
        def handler(conn):
            conn.send(b'banner\r\n')
            conn.read_to_eof()
        server = self.server(handler)
        result = run_cat(self.target(server), stdin=subprocess.DEVNULL)
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout, b'banner\n')
        self.assertEqual(server.conn().received, b'')


class TestFailures(CatTestCase):

    def test_refused(self):
        result = run_cat(['127.0.0.1', str(closed_port())], stdin=b'x\n')
        self.assertEqual(result.returncode, 1)
        self.assertIn('connect failed', result.stderr)
        self.assertRegex(result.stderr.lower(), 'refused')
        self.assertEqual(result.stdout, b'')

    def test_unknown_service(self):
        result = run_cat(['127.0.0.1', 'no-such-service-tcpc'], stdin=b'')
        self.assertEqual(result.returncode, 1)
        self.assertIn('resolve failed', result.stderr)

    def test_idle_timeout(self):
        server = self.server(silent)
        running = self.background(['--idle-timeout=0.3'] + self.target(server))
        start = time.monotonic()
        result = running.finish()
        self.assertEqual(result.returncode, 3)
        self.assertGreaterEqual(time.monotonic() - start, 0.3)
        self.assertIn('read error', result.stderr)

    def test_connect_timeout(self):
        # A TLS server that never answers the handshake: the connect timeout
        # covers the handshake too.
        server = self.server(silent)
        start = time.monotonic()
        result = run_cat(['--tls', '--connect-timeout=0.4'] + self.target(server), stdin=b'')
        self.assertEqual(result.returncode, 1)
        self.assertLess(time.monotonic() - start, 10)
        self.assertIn('failed', result.stderr)
        self.assertRegex(result.stderr.lower(), 'time')


class TestVerbose(CatTestCase):

    def test_trace_order(self):
        server = self.server(echo)
        result = run_cat(['--verbose'] + self.target(server), stdin=b'ping\n')
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout, b'ping\n')
        events = trace_events(result.stderr)
        names = [name if name != 'state' else 'state ' + rest for name, rest in events]

        def index(name):
            self.assertIn(name, names)
            return names.index(name)
        order = ['started', 'state connecting', 'connect-progress', 'state connected',
                 'connected', 'flushed', 'end', 'state shutting-down', 'disconnected',
                 'state closed', 'exit']
        positions = [index(name) for name in order]
        self.assertEqual(positions, sorted(positions), names)
        connected = dict(events)['connected']
        self.assertEqual(connected, '127.0.0.1:%d' % server.port)
        progress = [rest.split()[0] for name, rest in events if name == 'connect-progress']
        self.assertIn('connecting', progress)
        self.assertEqual(progress[-1], 'complete')
        self.assertIn('exit 0', result.stderr)

    def test_trace_connect_error(self):
        port = closed_port()
        result = run_cat(['-v', '127.0.0.1', str(port)], stdin=b'')
        self.assertEqual(result.returncode, 1)
        names = [name for name, _ in trace_events(result.stderr)]
        self.assertEqual([n for n in names if n != 'connect-progress'],
                         ['started', 'state', 'connect-error', 'state', 'exit'])
        rest = dict(trace_events(result.stderr))['connect-error']
        self.assertTrue(rest.startswith('connect: '), rest)
        self.assertRegex(rest.lower(), 'refused')

    def test_trace_server_error(self):
        server = self.server(silent)
        running = self.background(['-v', '--idle-timeout=0.2'] + self.target(server))
        result = running.finish()
        self.assertEqual(result.returncode, 3)
        names = [name for name, _ in trace_events(result.stderr)]
        self.assertLess(names.index('server-error'), names.index('disconnected'))
        self.assertIn('server-error read: ', result.stderr)


class TestSignals(CatTestCase):

    def test_sigint_after_records(self):
        server = self.server(sink)
        running = self.background(['-v'] + self.target(server))
        running.write(b'one\ntwo\nthree\n')
        conn = server.conn()
        wait_for(lambda: conn.received == b'one\r\ntwo\r\nthree\r\n', what='three lines')
        running.proc.send_signal(signal.SIGINT)
        result = running.finish()
        self.assertEqual(result.returncode, 130)
        wait_for(lambda: conn.eof, what='a clean end of stream')
        self.assertEqual(conn.received, b'one\r\ntwo\r\nthree\r\n')
        names = [name for name, _ in trace_events(result.stderr)]
        self.assertIn('SIGINT:', names)
        self.assertLess(names.index('SIGINT:'), names.index('disconnected'))

    def test_sigint_flushes_pending_output(self):
        # The server does not read until the signal was sent, so output is
        # still queued in the client when it arrives; it is all written
        # before the client exits.
        go = threading.Event()

        def handler(conn):
            go.wait(TIMEOUT)
            conn.sock.settimeout(TIMEOUT)
            conn.read_to_eof()
        server = self.server(handler)
        with tempfile.TemporaryFile() as stdin:
            line = b'%08d ' + b'q' * 55 + b'\n'
            stdin.write(b''.join(line % i for i in range(256 * 1024)))    # 16 MiB
            stdin.seek(0)
            running = self.background(['-v'] + self.target(server), stdin=stdin)
            conn = server.conn()
            # the server does not read yet: the output waiting in the client
            # reaches its high-water mark
            running.wait_stderr(lambda err: ('writable', 'no') in trace_events(err),
                                what='the client to stop being writable')
            running.proc.send_signal(signal.SIGINT)
            running.wait_stderr(lambda err: any(name == 'SIGINT:' for name, _ in trace_events(err)),
                                what='the SIGINT trace line')
            go.set()
            result = running.finish()
        self.assertEqual(result.returncode, 130)
        wait_for(lambda: conn.eof, what='a clean end of stream')
        received = conn.received
        self.assertGreater(len(received), 0)
        self.assertTrue(received.endswith(b'\r\n'))
        count = received.count(b'\r\n')
        self.assertEqual(received, b''.join((line % i)[:-1] + b'\r\n' for i in range(count)))
        self.assertLess(count, 256 * 1024)
        names = [name for name, _ in trace_events(result.stderr)]
        sigint = names.index('SIGINT:')
        self.assertIn('flushed', names[sigint:])
        self.assertLess(names.index('flushed', sigint), names.index('disconnected'))

    def test_sigint_while_reconnecting(self):
        running = self.background(['--reconnect-delay=0.1', '127.0.0.1', str(closed_port())])
        running.wait_stderr(lambda err: err.count('connect failed') >= 2, what='two failed connects')
        running.proc.send_signal(signal.SIGINT)
        result = running.finish()
        self.assertEqual(result.returncode, 130)
        self.assertGreaterEqual(result.stderr.count('connect failed'), 2)

    def test_sigterm(self):
        server = self.server(sink)
        running = self.background(self.target(server))
        server.conn()
        running.proc.send_signal(signal.SIGTERM)
        result = running.finish()
        self.assertEqual(result.returncode, 143)


class TestConnection(CatTestCase):

    def test_reconnect(self):
        def handler(conn):
            if conn.index == 0:
                conn.send(b'first\r\n')
                return
            echo(conn)
        server = self.server(handler)
        running = self.background(['-v', '--reconnect', '--reconnect-delay=0.1']
                                  + self.target(server))
        server.conn(1)
        running.write(b'second\n')
        running.close_stdin()
        result = running.finish()
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout, b'first\nsecond\n')
        names = [name for name, _ in trace_events(result.stderr)]
        self.assertEqual(names.count('connected'), 2)
        self.assertIn('retrying', names)
        self.assertEqual(len(server.conns), 2)

    def test_reconnect_max_attempts(self):
        result = run_cat(['--reconnect-delay=0.05', '--reconnect-max-attempts=2',
                          '127.0.0.1', str(closed_port())], stdin=b'')
        self.assertEqual(result.returncode, 1)
        self.assertGreaterEqual(result.stderr.count('connect failed'), 2)

    def test_bind(self):
        probe = socket.socket()
        probe.bind(('127.0.0.1', 0))
        local_port = probe.getsockname()[1]
        probe.close()
        server = self.server(echo)
        result = run_cat(['--bind=127.0.0.1:%d' % local_port] + self.target(server),
                         stdin=b'x\n')
        self.assertEqual(result.returncode, 0)
        self.assertEqual(server.conn().peer, ('127.0.0.1', local_port))

    @unittest.skipUnless(have_ipv6(), 'no IPv6 loopback')
    def test_ipv6(self):
        server = self.server(echo, family=socket.AF_INET6)
        result = run_cat(['-6', '--bind=[::1]'] + self.target(server, '::1'), stdin=b'six\n')
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout, b'six\n')
        result = run_cat(['-4'] + self.target(server, '::1'), stdin=b'')
        self.assertEqual(result.returncode, 1)

    def test_socks5_proxy(self):
        targets = []

        def proxy(conn):
            greeting = conn.recv_exact(2)
            conn.recv_exact(greeting[1])
            conn.send(b'\x05\x00')
            _, _, _, atyp = conn.recv_exact(4)
            if atyp == 1:
                host = socket.inet_ntoa(conn.recv_exact(4))
            elif atyp == 3:
                host = conn.recv_exact(conn.recv_exact(1)[0]).decode()
            else:
                host = socket.inet_ntop(socket.AF_INET6, conn.recv_exact(16))
            port = struct.unpack('!H', conn.recv_exact(2))[0]
            targets.append((host, port))
            upstream = socket.create_connection((host, port), timeout=WAIT)
            conn.send(b'\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x00')
            data = b''
            while True:
                chunk = conn.sock.recv(65536)
                if not chunk:
                    break
                data += chunk
            upstream.sendall(data)
            upstream.shutdown(socket.SHUT_WR)
            while True:
                chunk = upstream.recv(65536)
                if not chunk:
                    break
                conn.send(chunk)
            upstream.close()
        server = self.server(echo)
        proxy_server = self.server(proxy)
        result = run_cat(['--proxy=socks5://127.0.0.1:%d' % proxy_server.port]
                         + self.target(server), stdin=b'via proxy\n')
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout, b'via proxy\n')
        self.assertEqual(targets, [('127.0.0.1', server.port)])
        self.assertNoServerErrors(proxy_server)


class TestTls(CatTestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = None
        if shutil.which('openssl') is None:
            raise unittest.SkipTest('openssl is not installed')
        cls.dir = tempfile.mkdtemp(prefix='tcpc-cat-tls-')

        def openssl(*args):
            subprocess.run(['openssl'] + list(args), check=True, timeout=60,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        d = cls.dir
        cls.ca = os.path.join(d, 'ca.pem')
        ca_key = os.path.join(d, 'ca.key')
        openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
                '-nodes', '-keyout', ca_key, '-out', cls.ca, '-days', '2',
                '-subj', '/CN=tcpc-cat test CA',
                '-addext', 'basicConstraints=critical,CA:TRUE',
                '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
        cls.key = os.path.join(d, 'server.key')
        cls.cert = os.path.join(d, 'server.pem')
        csr = os.path.join(d, 'server.csr')
        ext = os.path.join(d, 'server.ext')
        with open(ext, 'w') as f:
            f.write('subjectAltName=DNS:localhost,IP:127.0.0.1\n'
                    'basicConstraints=critical,CA:FALSE\n'
                    'keyUsage=critical,digitalSignature\n'
                    'extendedKeyUsage=serverAuth\n')
        openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
                '-nodes', '-keyout', cls.key, '-out', csr, '-subj', '/CN=localhost')
        openssl('x509', '-req', '-in', csr, '-CA', cls.ca, '-CAkey', ca_key,
                '-set_serial', '2', '-days', '2', '-extfile', ext, '-out', cls.cert)

    @classmethod
    def tearDownClass(cls):
        if cls.dir is not None:
            shutil.rmtree(cls.dir, ignore_errors=True)

    def tls_server(self, handler):
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)

        def wrap(sock):
            return context.wrap_socket(sock, server_side=True)

        def handler_with_close_notify(conn):
            # A TLS peer ends with close_notify; GIO reports an end without
            # it as an error, as it should.
            handler(conn)
            conn.sock.unwrap()
        return self.server(handler_with_close_notify, wrap=wrap)

    def test_tls_echo(self):
        def handler(conn):
            line = b''
            while not line.endswith(b'\r\n'):
                data = conn.recv()
                if not data:
                    return
                line += data
            conn.send(b'secure ' + line)
        server = self.tls_server(handler)
        result = run_cat(['--ca-file=' + self.ca, '-4', 'localhost', str(server.port)],
                         stdin=b'hello\n')
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, b'secure hello\n')

    def test_tls_untrusted(self):
        server = self.tls_server(sink)
        result = run_cat(['--tls', '-4', 'localhost', str(server.port)], stdin=b'x\n')
        self.assertEqual(result.returncode, 1)
        self.assertIn('tls failed', result.stderr)


def main():
    global TCPC_CAT
    if len(sys.argv) < 2:
        print('usage: %s PATH-TO-TCPC-CAT [unittest arguments]' % sys.argv[0],
              file=sys.stderr)
        return 2
    TCPC_CAT = os.path.abspath(sys.argv.pop(1))
    if not os.access(TCPC_CAT, os.X_OK):
        print('%s is not an executable' % TCPC_CAT, file=sys.stderr)
        return 2
    program = unittest.main(exit=False, verbosity=2)
    return 0 if program.result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main())
