#!/usr/bin/python3
# test_network.py: TLS, proxies, the reconnect policy and flow control of
# Tcpc.Client, used from Python (PyGObject) through the Tcpc-1.0 typelib.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Run by meson as `python3 tests/python/test_network.py` with GI_TYPELIB_PATH
# and LD_LIBRARY_PATH pointing at build/tcpclient. The peers are real
# loopback servers on kernel-chosen ports, run in threads: a line server, a
# TLS server (Python's ssl module, with a CA and server certificates made by
# the openssl command at run time), SOCKS5 and HTTP CONNECT proxies. Server
# threads wake the GLib main context whenever their state changes, and every
# wait on the main loop is bounded by a GLib timeout that fails the test.

import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import gi

gi.require_version('Tcpc', '1.0')
gi.require_version('Gio', '2.0')
gi.require_version('GLib', '2.0')
gi.require_version('GObject', '2.0')
from gi.repository import GLib, GObject, Gio, Tcpc  # noqa: E402

WAIT = 10        # seconds: the bound of an ordinary wait
WAIT_LONG = 30   # seconds: bulk transfers


def as_bytes(record):
    if record is None:
        return None
    data = record.get_data()
    return bytes(data) if data is not None else b''


def wake():
    """Wake the main context from a server thread."""
    GLib.MainContext.default().wakeup()


def refused_port():
    """A bound, non-listening socket: connects to its port are refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    return sock, sock.getsockname()[1]


# --------------------------------------------------------------------------
# Threaded loopback servers
# --------------------------------------------------------------------------

class Conn:
    """One accepted connection of a ThreadServer, as seen by its handler."""

    def __init__(self, sock, index):
        self.sock = sock
        self.index = index
        self.received = bytearray()
        self.n_received = 0
        self.n_sent = 0
        self.eof = False
        self.finished = False
        self.error = None
        self.go = threading.Event()   # set by a test to release a handler

    def recv(self, size=65536):
        data = self.sock.recv(size)
        if not data:
            self.eof = True
        else:
            self.n_received += len(data)
            if len(self.received) < (1 << 20):
                self.received += data
        wake()
        return data

    def send(self, data):
        view = memoryview(data)
        while view:
            n = self.sock.send(view)
            self.n_sent += n
            view = view[n:]
            wake()

    def read_to_eof(self):
        while self.recv():
            pass

    def lines(self):
        """Yields the CR LF or LF terminated lines received, until EOF."""
        buf = b''
        while True:
            data = self.recv()
            if not data:
                return
            buf += data
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                yield line.rstrip(b'\r')

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class ThreadServer:
    """A TCP server on 127.0.0.1 whose connections each run handler(conn)
    in a thread of their own."""

    def __init__(self, handler, wrap=None):
        self.handler = handler
        self.wrap = wrap
        self.conns = []
        self.threads = []
        self.stopping = False
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self._start(self._accept_loop)

    def _start(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def _accept_loop(self):
        while not self.stopping:
            try:
                sock, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            sock.settimeout(None)
            conn = Conn(sock, len(self.conns))
            self.conns.append(conn)
            wake()
            self._start(self._run, conn)

    def _run(self, conn):
        try:
            if self.wrap is not None:
                conn.sock = self.wrap(conn.sock)
            self.handler(conn)
        except (OSError, ValueError) as exc:
            conn.error = exc
        finally:
            conn.close()
            conn.finished = True
            wake()

    def stop(self):
        self.stopping = True
        for conn in self.conns:
            conn.go.set()
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        self.listener.close()
        for thread in self.threads:
            thread.join(5)


def echo(conn):
    for line in conn.lines():
        conn.send(line + b'\r\n')


def reverse(conn):
    """openssl s_server -rev: each line comes back reversed, LF terminated."""
    for line in conn.lines():
        conn.send(line[::-1] + b'\n')


def read_to_eof(conn):
    conn.read_to_eof()


# --------------------------------------------------------------------------
# TLS: certificates made by the openssl command, a server from the ssl module
# --------------------------------------------------------------------------

class Certificates:
    dir = None
    error = None

    @classmethod
    def get(cls):
        if cls.dir is None and cls.error is None:
            try:
                cls._make()
            except (OSError, subprocess.SubprocessError) as exc:
                cls.error = str(exc)
        return cls

    @classmethod
    def _make(cls):
        if shutil.which('openssl') is None:
            raise OSError('openssl is not installed')
        cls.dir = tempfile.mkdtemp(prefix='tcpc-pytls-')
        d = cls.dir

        def run(*args):
            subprocess.run(['openssl'] + list(args), check=True, timeout=60,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)

        cls.ca = os.path.join(d, 'ca.pem')
        ca_key = os.path.join(d, 'ca.key')
        run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
            '-nodes', '-keyout', ca_key, '-out', cls.ca, '-days', '2',
            '-subj', '/CN=Tcpc Python Test CA',
            '-addext', 'basicConstraints=critical,CA:TRUE',
            '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
        cls.certs = {}
        for serial, (name, san) in enumerate(
                [('localhost', 'DNS:localhost,IP:127.0.0.1'),
                 ('example.invalid', 'DNS:example.invalid')], start=2):
            key = os.path.join(d, name + '.key')
            csr = os.path.join(d, name + '.csr')
            pem = os.path.join(d, name + '.pem')
            ext = os.path.join(d, name + '.ext')
            with open(ext, 'w') as f:
                f.write('subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\n'
                        'keyUsage=critical,digitalSignature\n'
                        'extendedKeyUsage=serverAuth\n' % san)
            run('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
                '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=' + name)
            run('x509', '-req', '-in', csr, '-CA', cls.ca, '-CAkey', ca_key,
                '-set_serial', str(serial), '-days', '2', '-extfile', ext,
                '-out', pem)
            cls.certs[name] = (pem, key)

    @classmethod
    def cleanup(cls):
        if cls.dir is not None:
            shutil.rmtree(cls.dir, ignore_errors=True)


def tls_wrapper(name):
    pem, key = Certificates.certs[name]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem, key)

    def wrap(sock):
        sock.settimeout(10)
        wrapped = context.wrap_socket(sock, server_side=True)
        wrapped.settimeout(None)
        return wrapped
    return wrap


# --------------------------------------------------------------------------
# Proxies: SOCKS5 and HTTP CONNECT
# --------------------------------------------------------------------------

def recv_exact(sock, n):
    data = b''
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise OSError('proxy: client went away')
        data += chunk
    return data


def relay(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class ThreadProxy(ThreadServer):
    """kind: 'socks5' or 'http'. targets: (host, port) as requested."""

    def __init__(self, kind):
        self.kind = kind
        self.targets = []
        self.established = 0
        super().__init__(self._serve)

    def _serve(self, conn):
        sock = conn.sock
        if self.kind == 'socks5':
            greeting = recv_exact(sock, 2)
            recv_exact(sock, greeting[1])
            sock.sendall(b'\x05\x00')
            ver, cmd, _, atyp = recv_exact(sock, 4)
            if atyp == 1:
                host = socket.inet_ntoa(recv_exact(sock, 4))
            elif atyp == 3:
                host = recv_exact(sock, recv_exact(sock, 1)[0]).decode()
            else:
                host = socket.inet_ntop(socket.AF_INET6, recv_exact(sock, 16))
            port = struct.unpack('!H', recv_exact(sock, 2))[0]
        else:
            head = b''
            while b'\r\n\r\n' not in head:
                head += recv_exact(sock, 1)
            request = head.split(b'\r\n')[0].decode().split(' ')
            assert request[0] == 'CONNECT', request
            host, port = request[1].rsplit(':', 1)
            host = host.strip('[]')
            port = int(port)
        self.targets.append((host, port))
        wake()
        try:
            upstream = socket.create_connection((host, port), timeout=5)
        except OSError:
            if self.kind == 'socks5':
                sock.sendall(b'\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00')
            else:
                sock.sendall(b'HTTP/1.0 502 Bad Gateway\r\n\r\n')
            return
        upstream.settimeout(None)
        if self.kind == 'socks5':
            sock.sendall(b'\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x00')
        else:
            sock.sendall(b'HTTP/1.0 200 Connection established\r\n\r\n')
        self.established += 1
        wake()
        back = threading.Thread(target=relay, args=(upstream, sock), daemon=True)
        back.start()
        relay(sock, upstream)
        back.join(10)
        upstream.close()


# --------------------------------------------------------------------------
# Test case base
# --------------------------------------------------------------------------

class LoopTestCase(unittest.TestCase):

    def setUp(self):
        self.handler_errors = []
        self.servers = []
        self.clients = []
        self.sockets = []

    def tearDown(self):
        for client in self.clients:
            client.shutdown()
        self.clients = []
        self.spin(0.05)
        for server in self.servers:
            server.stop()
        for sock in self.sockets:
            sock.close()

    def server(self, server):
        self.servers.append(server)
        return server

    def client(self, client):
        self.clients.append(client)
        return client

    def guard(self, func):
        def wrapper(*args):
            try:
                return func(*args)
            except Exception as exc:  # noqa: BLE001 - re-raised by wait()
                self.handler_errors.append(exc)
                return None
        return wrapper

    def wait(self, cond, timeout=WAIT, what='the expected events'):
        """Iterates the main context until cond() is true (bounded)."""
        expired = []

        def on_timeout():
            expired.append(True)
            return GLib.SOURCE_REMOVE

        context = GLib.MainContext.default()
        source = GLib.timeout_add(int(timeout * 1000), on_timeout)
        try:
            while not cond():
                if self.handler_errors:
                    raise self.handler_errors[0]
                if expired:
                    self.fail('timed out after %s s waiting for %s' % (timeout, what))
                context.iteration(True)
        finally:
            if not expired:
                GLib.source_remove(source)
        if self.handler_errors:
            raise self.handler_errors[0]

    def spin(self, seconds):
        """Runs the main loop for a while (observation only)."""
        done = []
        GLib.timeout_add(int(seconds * 1000), lambda: done.append(True) or False)
        context = GLib.MainContext.default()
        while not done:
            context.iteration(True)
        if self.handler_errors:
            raise self.handler_errors[0]

    def record(self, client):
        """A list of (signal, args...) tuples appended to as the client emits."""
        events = []
        client.connect('started', self.guard(lambda c: events.append(('started',))))
        client.connect('connected', self.guard(
            lambda c, stream, address: events.append(('connected',))))
        client.connect('connect-error', self.guard(
            lambda c, op, err: events.append(('connect-error', op, err))))
        client.connect('server-input', self.guard(
            lambda c, record: events.append(('input', as_bytes(record)))))
        client.connect('server-error', self.guard(
            lambda c, op, err: events.append(('server-error', op, err))))
        client.connect('flushed', self.guard(lambda c: events.append(('flushed',))))
        client.connect('disconnected', self.guard(
            lambda c: events.append(('disconnected',))))
        return events

    @staticmethod
    def names(events):
        return [e[0] for e in events]

    @staticmethod
    def inputs(events):
        return [e[1] for e in events if e[0] == 'input']

    @staticmethod
    def errors(events, name='connect-error'):
        return [e for e in events if e[0] == name]

    def refused(self):
        sock, port = refused_port()
        self.sockets.append(sock)
        return port


def is_io_error(err, code):
    return err.matches(Gio.io_error_quark(), code)


# --------------------------------------------------------------------------
# TLS
# --------------------------------------------------------------------------

class TestTLS(LoopTestCase):

    def setUp(self):
        super().setUp()
        certs = Certificates.get()
        if certs.error is not None:
            self.skipTest(certs.error)
        if not Gio.TlsBackend.get_default().supports_tls():
            self.skipTest('no GIO TLS backend')

    def tls_server(self, name='localhost'):
        return self.server(ThreadServer(reverse, wrap=tls_wrapper(name)))

    def database(self):
        return Gio.TlsFileDatabase.new(Certificates.ca)

    def connect_and_wait(self, client, events):
        client.start()
        self.wait(lambda: 'connected' in self.names(events) or self.errors(events),
                  what='connected or connect-error')

    def test_trusted(self):
        server = self.tls_server()
        for host in ('localhost', '127.0.0.1'):
            client = self.client(Tcpc.Client.new(host, server.port))
            database = self.database()
            client.props.tls = True
            client.props.tls_database = database
            self.assertIs(client.props.tls_database, database)
            events = self.record(client)
            progress = []
            client.connect('connect-progress', self.guard(
                lambda c, event, connectable, connection: progress.append(event)))
            self.connect_and_wait(client, events)
            self.assertEqual(self.names(events), ['started', 'connected'],
                             self.errors(events) and self.errors(events)[0][2].message)

            stream = client.props.stream
            if isinstance(stream, Gio.TcpWrapperConnection):
                stream = stream.get_base_io_stream()
            self.assertIsInstance(stream, Gio.TlsConnection)
            cert = client.props.peer_certificate
            self.assertIsInstance(cert, Gio.TlsCertificate)
            expected = Gio.TlsCertificate.new_from_file(
                Certificates.certs['localhost'][0])
            self.assertTrue(cert.is_same(expected))
            self.assertEqual(int(client.props.peer_certificate_errors), 0)
            self.assertIn(Gio.SocketClientEvent.TLS_HANDSHAKING, progress)
            self.assertIn(Gio.SocketClientEvent.TLS_HANDSHAKED, progress)
            self.assertEqual(progress[-1], Gio.SocketClientEvent.COMPLETE)

            client.put_string('hello')
            client.put_string('python')
            self.wait(lambda: len(self.inputs(events)) >= 2, what='two lines')
            self.assertEqual(self.inputs(events), [b'olleh', b'nohtyp'])
            client.shutdown()
            self.wait(lambda: 'disconnected' in self.names(events))
            self.assertEqual(client.get_state(), Tcpc.ClientState.CLOSED)

    def test_untrusted_refused(self):
        server = self.tls_server()
        client = self.client(Tcpc.Client.new('localhost', server.port))
        client.props.tls = True
        events = self.record(client)
        self.connect_and_wait(client, events)
        self.wait(lambda: client.get_state() == Tcpc.ClientState.CLOSED)
        self.assertEqual(self.names(events), ['started', 'connect-error'])
        _, operation, err = events[1]
        self.assertEqual(operation, 'tls')
        self.assertTrue(err.matches(Gio.tls_error_quark(),
                                    Gio.TlsError.BAD_CERTIFICATE), err)
        self.assertTrue(err.message)
        self.assertIsNone(client.props.peer_certificate)

    def test_accept_certificate(self):
        server = self.tls_server()
        client = self.client(Tcpc.Client.new('localhost', server.port))
        client.props.tls = True
        events = self.record(client)
        seen = []

        def on_accept(c, cert, errors):
            seen.append((cert, errors))
            return True

        client.connect('accept-certificate', self.guard(on_accept))
        self.connect_and_wait(client, events)
        self.assertEqual(self.names(events), ['started', 'connected'])
        self.assertEqual(len(seen), 1)
        self.assertIsInstance(seen[0][0], Gio.TlsCertificate)
        self.assertTrue(seen[0][1] & Gio.TlsCertificateFlags.UNKNOWN_CA)
        self.assertTrue(client.props.peer_certificate_errors &
                        Gio.TlsCertificateFlags.UNKNOWN_CA)
        client.put_string('pinned')
        self.wait(lambda: self.inputs(events) == [b'dennip'], what='the reversed line')

    def test_accept_certificate_false_refuses(self):
        server = self.tls_server()
        client = self.client(Tcpc.Client.new('localhost', server.port))
        client.props.tls = True
        events = self.record(client)
        client.connect('accept-certificate', lambda c, cert, errors: False)
        self.connect_and_wait(client, events)
        self.assertEqual(self.names(events), ['started', 'connect-error'])
        self.assertEqual(events[1][1], 'tls')

    def test_wrong_hostname(self):
        server = self.tls_server('example.invalid')
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        database = self.database()
        client.props.tls = True
        client.props.tls_database = database
        events = self.record(client)
        self.connect_and_wait(client, events)
        self.assertEqual(self.names(events), ['started', 'connect-error'])
        _, operation, err = events[1]
        self.assertEqual(operation, 'tls')
        self.assertTrue(err.matches(Gio.tls_error_quark(),
                                    Gio.TlsError.BAD_CERTIFICATE), err)

    def test_pre_connect_wraps_itself(self):
        server = self.tls_server()
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        events = self.record(client)
        database = self.database()
        wrapped = []

        def on_pre_connect(c, stream):
            identity = Gio.NetworkAddress.new('localhost', server.port)
            tls = Gio.TlsClientConnection.new(stream, identity)
            tls.set_database(database)
            wrapped.append(tls)
            return tls

        client.connect('pre-connect', self.guard(on_pre_connect))
        self.connect_and_wait(client, events)
        self.assertEqual(self.names(events), ['started', 'connected'])
        self.assertIs(client.props.stream, wrapped[0])
        client.put_string('self')
        self.wait(lambda: self.inputs(events) == [b'fles'], what='the reversed line')


# --------------------------------------------------------------------------
# Proxies
# --------------------------------------------------------------------------

class TestProxy(LoopTestCase):

    def through(self, kind, scheme):
        target = self.server(ThreadServer(echo))
        proxy = self.server(ThreadProxy(kind))
        client = self.client(Tcpc.Client.new('127.0.0.1', target.port))
        client.props.proxy_uri = '%s://127.0.0.1:%d' % (scheme, proxy.port)
        self.assertEqual(client.props.proxy_uri, '%s://127.0.0.1:%d' % (scheme, proxy.port))
        events = self.record(client)
        client.start()
        self.wait(lambda: 'connected' in self.names(events) or self.errors(events),
                  what='connected through the proxy')
        self.assertEqual(self.names(events), ['started', 'connected'],
                         self.errors(events) and self.errors(events)[0][2].message)
        client.put_string('via %s' % scheme)
        self.wait(lambda: self.inputs(events), what='the echo')
        self.assertEqual(self.inputs(events), [('via %s' % scheme).encode()])
        self.assertEqual(proxy.targets, [('127.0.0.1', target.port)])
        self.assertEqual(proxy.established, 1)
        self.assertEqual(len(target.conns), 1)

    def test_socks5(self):
        self.through('socks5', 'socks5')

    def test_http_connect(self):
        self.through('http', 'http')

    def test_proxy_refused(self):
        target = self.server(ThreadServer(echo))
        client = self.client(Tcpc.Client.new('127.0.0.1', target.port))
        client.props.proxy_uri = 'socks5://127.0.0.1:%d' % self.refused()
        events = self.record(client)
        client.start()
        self.wait(lambda: self.errors(events), what='connect-error')
        _, operation, err = self.errors(events)[0]
        self.assertIn(operation, ('connect', 'proxy'))
        self.assertTrue(err.message)
        self.assertNotIn('connected', self.names(events))
        self.assertEqual(target.conns, [])

    def test_enable_proxy_false(self):
        target = self.server(ThreadServer(echo))
        proxy = self.server(ThreadProxy('socks5'))
        client = self.client(Tcpc.Client.new('127.0.0.1', target.port))
        self.assertTrue(client.props.enable_proxy)
        client.props.proxy_uri = 'socks5://127.0.0.1:%d' % proxy.port
        client.props.enable_proxy = False
        events = self.record(client)
        client.start()
        self.wait(lambda: 'connected' in self.names(events), what='a direct connection')
        self.wait(lambda: target.conns, what='the server accepting')
        self.assertEqual(proxy.targets, [])


# --------------------------------------------------------------------------
# Reconnect policy
# --------------------------------------------------------------------------

class TestReconnect(LoopTestCase):

    def policy(self, client, delay, multiplier=2.0, max_delay=60.0, jitter=0.0):
        client.props.auto_reconnect = True
        client.props.reconnect_delay = delay
        client.props.reconnect_multiplier = multiplier
        client.props.reconnect_max_delay = max_delay
        client.props.reconnect_jitter = jitter

    def error_times(self, client, events):
        times = []
        client.connect_after('connect-error', lambda c, op, err: times.append(time.monotonic()))
        return times

    def test_backoff_grows_then_caps(self):
        client = self.client(Tcpc.Client.new('127.0.0.1', self.refused()))
        self.policy(client, 0.1, 2.0, 0.3)
        events = self.record(client)
        times = self.error_times(client, events)
        client.start()
        self.wait(lambda: len(times) >= 5, timeout=WAIT_LONG, what='five attempts')
        gaps = [b - a for a, b in zip(times, times[1:])]
        for gap, low, high in zip(gaps, (0.1, 0.2, 0.3, 0.3), (0.19, 0.35, 0.65, 0.65)):
            self.assertGreaterEqual(gap, low - 0.005, gaps)
            self.assertLess(gap, high, gaps)
        self.assertEqual(client.get_state(), Tcpc.ClientState.CONNECTING)
        self.assertEqual(self.names(events).count('started'), 1)
        for e in self.errors(events):
            self.assertEqual(e[1], 'connect')
            self.assertTrue(is_io_error(e[2], Gio.IOErrorEnum.CONNECTION_REFUSED))

    def test_max_attempts(self):
        client = self.client(Tcpc.Client.new('127.0.0.1', self.refused()))
        self.policy(client, 0.05, 1.0)
        client.props.reconnect_max_attempts = 2
        events = self.record(client)
        client.start()
        self.wait(lambda: client.get_state() == Tcpc.ClientState.CLOSED,
                  what='CLOSED after the attempts')
        self.spin(0.3)
        self.assertEqual(self.names(events), ['started', 'connect-error', 'connect-error'])
        self.assertEqual(client.props.reconnect_attempt, 2)
        self.assertEqual(client.props.next_retry, 0)

    def test_next_retry_notified(self):
        client = self.client(Tcpc.Client.new('127.0.0.1', self.refused()))
        self.policy(client, 1.5)
        events = self.record(client)
        values = []
        client.connect('notify::next-retry', self.guard(
            lambda c, pspec: values.append(c.props.next_retry)))
        client.start()
        self.wait(lambda: len(self.errors(events)) >= 1)
        self.assertEqual(client.props.next_retry, 2)
        self.assertEqual(client.props.reconnect_attempt, 1)
        self.wait(lambda: len(self.errors(events)) >= 2, what='the second attempt')
        countdown = [v for i, v in enumerate(values) if i == 0 or values[i - 1] != v]
        self.assertEqual(countdown[:2], [2, 1], values)
        self.assertEqual(client.props.next_retry, 3)   # 3.0 s
        client.shutdown()
        self.wait(lambda: client.get_state() == Tcpc.ClientState.CLOSED)
        self.assertEqual(client.props.next_retry, 0)

    def test_retry_now_and_shutdown_cancels(self):
        client = self.client(Tcpc.Client.new('127.0.0.1', self.refused()))
        self.policy(client, 30.0)
        events = self.record(client)
        client.start()
        self.wait(lambda: self.errors(events))
        self.assertEqual(client.props.next_retry, 30)
        started = time.monotonic()
        client.retry_now()
        self.wait(lambda: len(self.errors(events)) >= 2, what='the retry')
        self.assertLess(time.monotonic() - started, 2.0)
        self.assertEqual(client.get_state(), Tcpc.ClientState.CONNECTING)
        client.shutdown()
        self.wait(lambda: client.get_state() == Tcpc.ClientState.CLOSED)
        self.spin(0.2)
        self.assertEqual(len(self.errors(events)), 2)
        self.assertEqual(client.props.next_retry, 0)

    def test_reconnects_after_server_close(self):
        served = []

        def greet_and_close(conn):
            served.append(conn.index)
            conn.send(b'conn %d\r\n' % conn.index)
            if conn.index == 0:
                return
            conn.read_to_eof()

        server = self.server(ThreadServer(greet_and_close))
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        self.policy(client, 0.05)
        events = self.record(client)
        states = []
        client.connect('notify::state', lambda c, p: states.append(c.props.state))
        client.start()
        self.wait(lambda: b'conn 1' in self.inputs(events), what='the second connection')
        self.assertEqual(self.names(events), ['started', 'connected', 'input',
                                              'disconnected', 'connected', 'input'])
        self.assertNotIn(Tcpc.ClientState.CLOSED, states)
        client.shutdown()
        self.wait(lambda: client.get_state() == Tcpc.ClientState.CLOSED)
        self.spin(0.3)
        self.assertEqual(len(server.conns), 2)


# --------------------------------------------------------------------------
# Flow control
# --------------------------------------------------------------------------

class TestFlowControl(LoopTestCase):

    def test_writable_water_marks(self):
        def hold_then_read(conn):
            conn.go.wait(10)
            conn.read_to_eof()

        server = self.server(ThreadServer(hold_then_read))
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        client.props.output_high_water_mark = 100000
        client.props.output_low_water_mark = 10000
        events = self.record(client)
        client.start()
        self.wait(lambda: 'connected' in self.names(events))
        self.assertTrue(client.props.writable)
        changes = []
        client.connect('notify::writable', self.guard(
            lambda c, p: changes.append((c.props.writable, c.props.pending_output_bytes))))

        record = b'w' * 99998
        for _ in range(200):   # 20 MB: far more than the socket buffers
            self.assertTrue(client.put(GLib.Bytes.new(record)))
        self.assertFalse(client.props.writable)
        self.assertGreaterEqual(client.props.pending_output_bytes, 100000)
        self.wait(lambda: changes, what='notify::writable')
        self.assertEqual(changes[0][0], False)

        self.wait(lambda: server.conns)
        server.conns[0].go.set()
        self.wait(lambda: len(changes) >= 2, timeout=WAIT_LONG, what='writable again')
        self.assertEqual(changes[1][0], True)
        self.assertLessEqual(changes[1][1], 10000)
        self.wait(lambda: 'flushed' in self.names(events), timeout=WAIT_LONG)
        self.assertEqual(client.props.pending_output_bytes, 0)
        self.assertEqual([c[0] for c in changes], [False, True])

    def test_pause_and_resume_input(self):
        count = 50000
        record_len = 1000
        payload = b''.join(b'%08d' % i + b'p' * (record_len - 10) + b'\r\n'
                           for i in range(count))

        def flood(conn):
            conn.send(payload)
            conn.read_to_eof()

        server = self.server(ThreadServer(flood))
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        received = []
        state = {'connected': False, 'bad': 0}

        def on_connected(c, stream, address):
            state['connected'] = True
            c.pause_input()

        def on_input(c, record):
            data = as_bytes(record)
            if len(data) != record_len - 2 or int(data[:8]) != len(received):
                state['bad'] += 1
            received.append(len(data))

        client.connect('connected', self.guard(on_connected))
        client.connect('server-input', self.guard(on_input))
        client.start()
        self.wait(lambda: state['connected'] and server.conns)
        self.spin(0.5)
        before = client.props.bytes_received
        self.spin(0.3)
        conn = server.conns[0]
        self.assertEqual(received, [])
        self.assertEqual(client.props.bytes_received, before)
        self.assertLess(conn.n_sent, len(payload))

        client.resume_input()
        self.wait(lambda: len(received) >= count, timeout=60, what='every record')
        self.assertEqual(len(received), count)
        self.assertEqual(state['bad'], 0)
        self.assertEqual(client.props.bytes_received, len(payload))

    def test_pause_inside_handler(self):
        def four_lines(conn):
            conn.send(b'a\r\nb\r\nc\r\nd\r\n')
            conn.read_to_eof()

        server = self.server(ThreadServer(four_lines))
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        events = self.record(client)

        def on_input(c, record):
            if as_bytes(record) == b'b':
                c.pause_input()

        client.connect('server-input', self.guard(on_input))
        client.start()
        self.wait(lambda: b'b' in self.inputs(events))
        self.spin(0.3)
        self.assertEqual(self.inputs(events), [b'a', b'b'])
        client.resume_input()
        self.wait(lambda: len(self.inputs(events)) >= 4)
        self.assertEqual(self.inputs(events), [b'a', b'b', b'c', b'd'])

    def test_shutdown_output(self):
        def answer_after_eof(conn):
            conn.read_to_eof()
            conn.send(b'got %d bytes\r\n' % conn.n_received)
            conn.send(b'bye\r\n')

        server = self.server(ThreadServer(answer_after_eof))
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        events = self.record(client)
        client.start()
        self.wait(lambda: 'connected' in self.names(events))
        client.put_string('one')
        client.put_string('two')
        client.shutdown_output()
        self.wait(lambda: 'disconnected' in self.names(events), what='disconnected')
        self.assertEqual(self.inputs(events), [b'got 10 bytes', b'bye'])
        self.assertEqual(bytes(server.conns[0].received), b'one\r\ntwo\r\n')
        self.assertNotIn('server-error', self.names(events))
        self.assertEqual(self.names(events)[-1], 'disconnected')


# --------------------------------------------------------------------------
# Timeouts, statistics, diagnostics, existing streams, properties
# --------------------------------------------------------------------------

class TestMisc(LoopTestCase):

    def test_idle_timeout(self):
        def greet_and_wait(conn):
            conn.send(b'hi\r\n')
            conn.read_to_eof()

        server = self.server(ThreadServer(greet_and_wait))
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        client.props.idle_timeout = 0.3
        events = self.record(client)
        client.start()
        self.wait(lambda: 'disconnected' in self.names(events))
        self.assertEqual(self.names(events), ['started', 'connected', 'input',
                                              'server-error', 'disconnected'])
        _, operation, err = self.errors(events, 'server-error')[0]
        self.assertEqual(operation, 'read')
        self.assertTrue(is_io_error(err, Gio.IOErrorEnum.TIMED_OUT))

    def test_statistics(self):
        def exchange(conn):
            conn.send(b'a\r\nbb\r\n')
            while conn.n_received < 14 and conn.recv():
                pass

        server = self.server(ThreadServer(exchange))
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        self.assertEqual(client.props.connected_since, 0)
        events = self.record(client)
        before = GLib.get_real_time()
        client.start()
        self.wait(lambda: len(self.inputs(events)) >= 2)
        client.put_string('hello')
        client.put_string('world')
        self.wait(lambda: 'disconnected' in self.names(events))
        self.assertEqual(client.props.bytes_sent, 14)
        self.assertEqual(client.props.bytes_received, 7)
        self.assertEqual(client.props.records_sent, 2)
        self.assertEqual(client.props.records_received, 2)
        self.assertGreaterEqual(client.props.connected_since, before)
        self.assertLessEqual(client.props.connected_since, GLib.get_real_time())

    def test_connect_progress_and_error_message(self):
        server = self.server(ThreadServer(read_to_eof))
        client = self.client(Tcpc.Client.new('127.0.0.1', server.port))
        progress = []
        client.connect('connect-progress', self.guard(
            lambda c, event, connectable, connection: progress.append(event)))
        events = self.record(client)
        client.start()
        self.wait(lambda: 'connected' in self.names(events))
        E = Gio.SocketClientEvent
        self.assertEqual(progress, [E.RESOLVING, E.RESOLVED, E.CONNECTING,
                                    E.CONNECTED, E.COMPLETE])

        port = self.refused()
        client = self.client(Tcpc.Client.new('127.0.0.1', port))
        events = self.record(client)
        client.start()
        self.wait(lambda: self.errors(events))
        message = self.errors(events)[0][2].message
        self.assertIn('127.0.0.1', message)
        self.assertIn(str(port), message)

    def test_new_for_stream(self):
        mine, theirs = socket.socketpair()
        peer = {'lines': []}

        def serve():
            theirs.sendall(b'from the pair\r\n')
            buf = b''
            while b'\r\n' not in buf:
                data = theirs.recv(4096)
                if not data:
                    break
                buf += data
            peer['lines'].append(buf)
            theirs.close()
            wake()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        gsocket = Gio.Socket.new_from_fd(mine.detach())
        stream = gsocket.connection_factory_create_connection()
        client = self.client(Tcpc.Client.new_for_stream(stream))
        events = self.record(client)
        client.start()
        self.assertEqual(self.names(events), ['started'])
        self.wait(lambda: self.inputs(events), what='the line from the pair')
        self.assertIs(client.props.stream, stream)
        client.put_string('to the pair')
        self.wait(lambda: 'disconnected' in self.names(events), what='the pair closing')
        thread.join(5)
        self.assertEqual(peer['lines'], [b'to the pair\r\n'])

        client.start()
        self.wait(lambda: self.errors(events), what='connect-error')
        _, operation, err = self.errors(events)[0]
        self.assertEqual(operation, 'connect')
        self.assertTrue(is_io_error(err, Gio.IOErrorEnum.NOT_SUPPORTED))
        self.wait(lambda: client.get_state() == Tcpc.ClientState.CLOSED)

    def test_property_defaults(self):
        client = Tcpc.Client.new('127.0.0.1', 7)
        p = client.props
        self.assertFalse(p.tls)
        self.assertIsNone(p.tls_database)
        self.assertIsNone(p.peer_certificate)
        self.assertEqual(int(p.peer_certificate_errors), 0)
        self.assertIsNone(p.proxy_uri)
        self.assertTrue(p.enable_proxy)
        self.assertFalse(p.auto_reconnect)
        self.assertEqual(p.reconnect_delay, 1.0)
        self.assertEqual(p.reconnect_multiplier, 2.0)
        self.assertEqual(p.reconnect_max_delay, 60.0)
        self.assertAlmostEqual(p.reconnect_jitter, 0.1)
        self.assertEqual(p.reconnect_max_attempts, 0)
        self.assertEqual(p.reconnect_stable_time, 10.0)
        self.assertEqual(p.reconnect_attempt, 0)
        self.assertEqual(p.next_retry, 0)
        self.assertEqual(p.idle_timeout, 0.0)
        self.assertEqual(p.shutdown_timeout, 60.0)
        self.assertTrue(p.keepalive)
        self.assertEqual(p.keepalive_idle, 60)
        self.assertEqual(p.keepalive_interval, 10)
        self.assertEqual(p.keepalive_count, 6)
        self.assertTrue(p.no_delay)
        self.assertEqual(p.output_high_water_mark, 1024 * 1024)
        self.assertEqual(p.output_low_water_mark, 64 * 1024)
        self.assertEqual(p.pending_output_bytes, 0)
        for name in ('bytes_sent', 'bytes_received', 'records_sent',
                     'records_received', 'connected_since'):
            self.assertEqual(getattr(p, name), 0, name)
        for name in ('peer-certificate', 'peer-certificate-errors', 'reconnect-attempt',
                     'next-retry', 'writable', 'pending-output-bytes', 'bytes-sent',
                     'bytes-received', 'records-sent', 'records-received',
                     'connected-since'):
            pspec = Tcpc.Client.find_property(name)
            self.assertIsNotNone(pspec, name)
            self.assertFalse(pspec.flags & GObject.ParamFlags.WRITABLE, name)
        for name in ('retry_now', 'pause_input', 'resume_input', 'shutdown_output'):
            self.assertTrue(callable(getattr(client, name)), name)


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2)
    try:
        result = runner.run(suite)
    finally:
        Certificates.cleanup()
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
