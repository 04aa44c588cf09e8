#!/usr/bin/python3
# run-example.py: runs a Python or GJS example of examples/ against the
# loopback server it is written for, and checks what it printed.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   run-example.py SCENARIO COMMAND [ARGS...]
#
# Starts a server on 127.0.0.1 (port chosen by the kernel) in a thread, runs
# COMMAND ARGS... 127.0.0.1 PORT [SCENARIO ARGS...] and checks its output
# and exit status. Needs nothing but Python's standard library (Meson's own
# Python runs it). Scenarios:
#
#   line       examples/line_client.py, examples/line-client.js: a line
#              server that greets, answers every line with "echo: LINE" and
#              closes when the client half-closes. Three lines are written
#              to the example's standard input, each once the answer to the
#              one before (or the greeting) has been printed. Then the example
#              is run against a port where nothing listens.
#   reconnect  examples/reconnecting.py, examples/reconnecting.js: the port
#              refuses two connection attempts, then a server listens; it
#              closes the first connection after one exchange and keeps the
#              second one. The example must show its retry countdown,
#              reconnect after the close, and stop after 4 records.
#   json       examples/custom_filter.py, examples/custom-filter.js: a
#              JSON-lines server answering {"id", "method", "params"}
#              requests; one answer is preceded by a line that is not JSON.
#
# Prints a TAP-like result and "N passed, M failed"; exits non-zero on
# failure.

import json
import re
import socket
import subprocess
import sys
import threading
import time

TIMEOUT = 40


class Results:
    def __init__(self):
        self.results = []

    def check(self, ok, name):
        self.results.append(bool(ok))
        print('%s %d - %s' % ('ok' if ok else 'not ok', len(self.results), name), flush=True)

    def finish(self):
        failed = self.results.count(False)
        print('1..%d' % len(self.results))
        print('%d passed, %d failed' % (len(self.results) - failed, failed))
        return 0 if failed == 0 else 1


def closed_port():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def run(command, port, args=(), stdin_lines=None, after=None, on_line=None):
    """Runs command 127.0.0.1 port args..., writing stdin_lines to its
    standard input, then closing it. With `after`, stdin_lines[i] is written
    only once the command has printed the line after[i], as a person would
    type the next line once the answer to the last one is shown.
    on_line(line) is called for every line it prints as it prints it."""
    argv = command + ['127.0.0.1', str(port)] + list(args)
    print('# running: %s' % ' '.join(argv), flush=True)
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    printed = []
    printed_cond = threading.Condition()
    out_done = []

    def feed():
        try:
            for index, line in enumerate(stdin_lines or []):
                if after is not None:
                    with printed_cond:
                        if not printed_cond.wait_for(
                                lambda: after[index] in printed or out_done, TIMEOUT):
                            print('# timed out waiting for %r' % after[index])
                proc.stdin.write(line + '\n')
                proc.stdin.flush()
            proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass

    # communicate() would close stdin at once: read the output in threads.
    output = {}

    def collect(name, stream):
        lines = []
        for line in stream:
            lines.append(line)
            if name == 'out':
                if on_line is not None:
                    on_line(line.rstrip('\n'))
                with printed_cond:
                    printed.append(line.rstrip('\n'))
                    printed_cond.notify_all()
        output[name] = ''.join(lines)
        if name == 'out':
            with printed_cond:
                out_done.append(True)
                printed_cond.notify_all()

    threads = [threading.Thread(target=feed, daemon=True),
               threading.Thread(target=collect, args=('out', proc.stdout), daemon=True),
               threading.Thread(target=collect, args=('err', proc.stderr), daemon=True)]
    for thread in threads:
        thread.start()
    try:
        proc.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        print('# timed out after %d s' % TIMEOUT)
    for thread in threads:
        thread.join(5)
    out, err = output.get('out', ''), output.get('err', '')
    for line in out.splitlines():
        print('#   out: %s' % line)
    for line in err.splitlines():
        print('#   err: %s' % line)
    proc.stdout_lines = out.splitlines()
    proc.stderr_text = err
    return proc


def listening_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', 0))
    return sock


def read_lines(conn, buffer=b''):
    """Yields the lines (without CR LF) read from conn until it closes."""
    while True:
        while b'\n' in buffer:
            line, buffer = buffer.split(b'\n', 1)
            yield line.rstrip(b'\r').decode('utf-8', 'replace')
        try:
            data = conn.recv(4096)
        except OSError:
            return
        if not data:
            return
        buffer += data


def serve_in_thread(sock, handler, connections=1):
    """Accepts `connections` connections on sock, one after the other, and
    runs handler(conn, number) for each, in a thread."""
    def serve():
        for number in range(1, connections + 1):
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            with conn:
                handler(conn, number)
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


# ---- line

def scenario_line(command, results):
    sock = listening_socket()
    sock.listen(5)
    received = []
    half_closed = []

    def handler(conn, number):
        conn.sendall(b'welcome\r\n')
        for line in read_lines(conn):
            received.append(line)
            conn.sendall(('echo: %s\r\n' % line).encode())
        half_closed.append(True)
        conn.sendall(b'that was all\r\n')

    serve_in_thread(sock, handler)
    lines = ['hello', 'how are you?', 'goodbye']
    proc = run(command, sock.getsockname()[1], stdin_lines=lines,
               after=['< welcome'] + ['< echo: %s' % line for line in lines[:-1]])
    sock.close()
    out = proc.stdout_lines

    results.check(proc.returncode == 0, 'exit status 0 (got %d)' % proc.returncode)
    results.check(received == lines, 'the server got the three lines (got %r)' % received)
    results.check(half_closed == [True], 'the client half-closed after the last line')
    results.check(len(out) > 0 and out[0].startswith('connected to 127.0.0.1 port '),
                  'first line: "connected to 127.0.0.1 port ..."')
    expected = ['< welcome'] + ['< echo: %s' % line for line in lines] + ['< that was all']
    replies = [line for line in out if line.startswith('< ')]
    results.check(replies == expected, 'every reply printed, in order, up to the last one '
                  'sent after the half-close')
    results.check(len(out) > 0 and out[-1] == 'disconnected after sending 3 lines',
                  'last line: "disconnected after sending 3 lines"')

    proc = run(command, closed_port(), stdin_lines=['unsent'])
    results.check(proc.returncode == 1, 'exit status 1 on a refused port (got %d)'
                  % proc.returncode)
    results.check('connect error' in proc.stderr_text, 'a connect error is printed')


# ---- reconnect

def scenario_reconnect(command, results):
    # Bound but not listening: connections are refused, and the port stays ours.
    sock = listening_socket()
    port = sock.getsockname()[1]
    hellos = []

    def handler(conn, number):
        conn.sendall(('welcome %d\r\n' % number).encode())
        lines = read_lines(conn)
        for line in lines:
            hellos.append(line)
            conn.sendall(('tick %d\r\n' % number).encode())
            break
        if number == 1:
            return  # closes the first connection
        for line in lines:
            pass  # keeps the second one until the client closes it

    # The server listens once the client has scheduled its second retry, so
    # that two attempts are refused however slowly the client starts.
    listening = threading.Event()

    def on_line(line):
        if line.startswith('retry 2 in ') and not listening.is_set():
            listening.set()
            sock.listen(5)
            serve_in_thread(sock, handler, connections=2)

    start = time.monotonic()
    proc = run(command, port, args=['4'], on_line=on_line)
    elapsed = time.monotonic() - start
    sock.close()
    out = proc.stdout_lines
    print('# took %.1f s' % elapsed)

    results.check(proc.returncode == 0, 'exit status 0 (got %d)' % proc.returncode)
    refused = [line for line in out if line.startswith('connect error')]
    results.check(len(refused) == 2, 'two refused attempts reported (%d)' % len(refused))

    # Every wait counts down: "retry 2 in 2 s", "retry 2 in 1 s", ...
    countdowns = []
    for line in out:
        match = re.match(r'retry (\d+) in (\d+) s$', line)
        if match:
            attempt, seconds = int(match.group(1)), int(match.group(2))
            if countdowns and countdowns[-1][0] == attempt:
                countdowns[-1][1].append(seconds)
            else:
                countdowns.append((attempt, [seconds]))
    print('# countdowns: %r' % countdowns)
    results.check(len(countdowns) >= 2, 'at least two retry countdowns')
    results.check(all(seconds == sorted(seconds, reverse=True) and seconds[-1] == 1
                      for _, seconds in countdowns),
                  'each countdown goes down to 1 s')
    results.check(any(len(seconds) >= 2 for _, seconds in countdowns),
                  'a countdown shows more than one value')

    connected = [i for i, line in enumerate(out) if line.startswith('connected to ')]
    disconnected = [i for i, line in enumerate(out) if line == 'disconnected']
    results.check(len(connected) == 2, 'connected twice (%d)' % len(connected))
    results.check(len(disconnected) == 2 and len(connected) == 2 and
                  connected[0] < disconnected[0] < connected[1] < disconnected[1],
                  'connected, disconnected, connected again, disconnected at the end')
    records = [line for line in out if line.startswith('from server: ')]
    results.check(records == ['from server: welcome 1', 'from server: tick 1',
                              'from server: welcome 2', 'from server: tick 2'],
                  'the four records of both connections (got %r)' % records)
    results.check(hellos == ['hello', 'hello'], 'said hello on both connections')
    results.check(len(out) > 0 and out[-1] == 'state: closed', 'ends in state closed')


# ---- json

def scenario_json(command, results):
    sock = listening_socket()
    sock.listen(5)
    requests = []

    def handler(conn, number):
        for line in read_lines(conn):
            try:
                request = json.loads(line)
            except ValueError:
                requests.append(('not json', line))
                continue
            requests.append(request)
            method, params = request.get('method'), request.get('params')
            if method == 'add':
                reply = {'id': request['id'], 'result': sum(params)}
            elif method == 'upper':
                reply = {'id': request['id'], 'result': params.upper()}
            elif method == 'noisy':
                conn.sendall(b'# this line is not JSON\n')
                reply = {'id': request['id'], 'result': 'still here'}
            else:
                reply = {'id': request['id'], 'error': 'no method %r' % method}
            conn.sendall(json.dumps(reply).encode() + b'\n')

    serve_in_thread(sock, handler)
    proc = run(command, sock.getsockname()[1])
    sock.close()
    out = proc.stdout_lines

    results.check(proc.returncode == 0, 'exit status 0 (got %d)' % proc.returncode)
    results.check(all(isinstance(r, dict) for r in requests) and
                  [r.get('method') for r in requests] == ['add', 'upper', 'noisy'],
                  'the server got three JSON requests (got %r)' % requests)
    results.check('add(1, 2, 3) = 6' in out, 'the result of add')
    results.check('upper("json lines") = "JSON LINES"' in out, 'the result of upper')
    results.check('noisy() = "still here"' in out, 'the result of noisy')
    results.check(any(line.startswith('read error: ') and 'not JSON' in line for line in out),
                  'the line that is not JSON is a read error from the filter')
    results.check(len(out) > 0 and out[-1] == 'disconnected', 'last line: "disconnected"')


SCENARIOS = {
    'line': scenario_line,
    'reconnect': scenario_reconnect,
    'json': scenario_json,
}


def main(argv):
    if len(argv) < 3 or argv[1] not in SCENARIOS:
        print('usage: %s {%s} COMMAND [ARGS...]' % (argv[0], '|'.join(SCENARIOS)),
              file=sys.stderr)
        return 2
    results = Results()
    SCENARIOS[argv[1]](argv[2:], results)
    return results.finish()


if __name__ == '__main__':
    sys.exit(main(sys.argv))
