#!/usr/bin/python3
# tcpc-bench.py: runs the tcpclient benchmarks of issue 3 and prints the table
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   tcpc-bench.py --build-root DIR [--python PY] [--runs N] [--quick]
#                 [--markdown FILE] [--only GROUP,...] [--verbose]
#
# Starts loopback blast servers (tcpc-bench-server), then runs every
# measurement --runs times, interleaved (run 1 of everything, then run 2 …),
# so that a baseline and the figure compared to it see the same machine
# state: our programs, the raw C and GIO baselines, and the peers of issue 3
# (peers/: Node.js net, Python asyncio, Perl POE). Each figure is the median
# of its runs, printed with its ratio to the baseline measured in the same
# invocation and the goal of issue 3.
#
# Environment:
#   TCPC_BENCH_QUICK=1    tiny counts and one run: checks that every program
#                         works (the smoke test); asserts nothing about speed
#   TCPC_BENCH_RUNS       runs per measurement (default 5; quick: 1)
#   TCPC_BENCH_CLIENTS    idle clients for the memory figure (default 10000)
#   TCPC_BENCH_SCALE      multiplies every count (default 1.0)
#
# The peers are found at run time: node (or nodejs) on PATH, the --python
# interpreter or /usr/bin/python3 for asyncio, and perl with POE (perl -MPOE).
# A measurement whose program is missing is shown as skipped, with the reason.
#
# The exit status is 0 when every program ran and reported the expected
# count (a measurement the library cannot do yet, exit 77, is skipped), and
# 1 otherwise. Speed never fails the run.
#
# Only 127.0.0.1 is used. Every wait is bounded: each program gets a
# timeout, and the servers exit when this script closes their stdin.

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HOST = '127.0.0.1'
SKIP = 77


def env_flag(name):
    return os.environ.get(name, '') not in ('', '0', 'no', 'false')


# ---------------------------------------------------------------------------
# Measurements


class Measurement:
    """One program run, repeated; its figure is the median of the runs.

    prog:     key of the program (see Runner.programs); when the program is
              missing (Runner.missing), the measurement is skipped
    mode:     the MODE argument
    server:   server arguments (tuple), or a callable(count) giving them
    count:    (full count, quick count)
    metric:   'lines', 'mb', 'roundtrips', 'connections', 'records',
              'bytes_per_client'
    env:      extra environment (None value: unset the variable)
    pin:      run the program (and its server) on CPU 0
    fresh_server: a new server for every run (hold servers keep their
              connections until they exit)
    """

    def __init__(self, key, group, label, prog, mode, server, count, metric,
                 env=None, pin=False, fresh_server=False):
        self.key = key
        self.group = group
        self.label = label
        self.prog = prog
        self.mode = mode
        self.server = server
        self.count = count
        self.metric = metric
        self.env = env or {}
        self.pin = pin
        self.fresh_server = fresh_server
        self.values = []
        self.extra = []
        self.failures = []
        self.skipped = None


class Comparison:
    """A row of the table: a measurement, its baseline and the goal.

    baseline is the key of a measurement, or of BEST_OF (the best median of
    several measurements, e.g. the fastest peer), or None for a baseline row.
    """

    def __init__(self, key, baseline=None, goal='', want=None, lower_is_better=False):
        self.key = key
        self.baseline = baseline
        self.goal = goal
        self.want = want            # the ratio the goal asks for, or None
        self.lower_is_better = lower_is_better


GROUPS = [
    ('lines64', '64-byte lines to a handler', 'lines/s'),
    ('lines4k', '4 KiB lines, throughput', 'MB/s'),
    ('pingpong', 'ping-pong, 32-byte line, client and server on CPU 0', 'round trips/s'),
    ('connect', 'connect, read one line, close', 'connections/s'),
    ('python', 'Python handler, 64-byte lines', 'lines/s'),
    ('memory', 'memory per idle connected client', 'bytes'),
    ('output', '64-byte records written', 'records/s'),
]

NO_PROXY = {'GIO_USE_PROXY_RESOLVER': 'dummy'}


def stream_server(size):
    return lambda count: ('stream', str(count), str(size))


MEASUREMENTS = [
    # 64-byte lines
    Measurement('raw64', 'lines64', 'raw C: blocking recv + memchr (floor)',
                'baseline', 'raw-stream', stream_server(64), (20_000_000, 2000), 'lines'),
    Measurement('gdata64', 'lines64', 'GIO GDataInputStream read_line_async',
                'baseline', 'gdata-stream', stream_server(64), (2_000_000, 2000), 'lines'),
    Measurement('tcpc64', 'lines64', 'TcpcClient + TcpcLineFilter, C handler',
                'client', 'stream', stream_server(64), (10_000_000, 2000), 'lines'),
    Measurement('tcpcfunc64', 'lines64', 'TcpcClient + TcpcLineFilter, C input function',
                'extra', 'stream-func', stream_server(64), (10_000_000, 2000), 'lines'),
    # no I/O: the server is started but not used
    Measurement('emitfloor', 'lines64', 'server-input emission + GBytes record alone, no I/O',
                'extra', 'emit-floor', ('hold',), (10_000_000, 2000), 'lines'),
    Measurement('node64', 'lines64', 'peer: Node.js net, split + emit per line',
                'node', 'stream', stream_server(64), (10_000_000, 2000), 'lines'),
    Measurement('asyncio64', 'lines64', 'peer: Python asyncio readline',
                'asyncio', 'stream', stream_server(64), (1_500_000, 2000), 'lines'),
    Measurement('poe64', 'lines64', 'peer: Perl POE Client::TCP + Filter::Line',
                'poe', 'stream', stream_server(64), (500_000, 2000), 'lines'),
    # 4 KiB lines: 4 GB for the fast readers, about a second each, so that
    # a moment of other work on the machine weighs less in a run
    Measurement('raw4k', 'lines4k', 'raw C: blocking recv + memchr (floor)',
                'baseline', 'raw-stream', stream_server(4096), (1_000_000, 200), 'mb'),
    Measurement('gdata4k', 'lines4k', 'GIO GDataInputStream read_line_async',
                'baseline', 'gdata-stream', stream_server(4096), (100_000, 200), 'mb'),
    Measurement('tcpc4k', 'lines4k', 'TcpcClient + TcpcLineFilter, C handler',
                'client', 'stream', stream_server(4096), (1_000_000, 200), 'mb'),
    Measurement('tcpcstream4k', 'lines4k', 'TcpcClient + TcpcStreamFilter, C handler',
                'extra', 'stream-filter', stream_server(4096), (1_000_000, 200), 'mb'),
    Measurement('node4k', 'lines4k', 'peer: Node.js net, split + emit per line',
                'node', 'stream', stream_server(4096), (500_000, 200), 'mb'),
    Measurement('asyncio4k', 'lines4k', 'peer: Python asyncio readline',
                'asyncio', 'stream', stream_server(4096), (200_000, 200), 'mb'),
    Measurement('poe4k', 'lines4k', 'peer: Perl POE Client::TCP + Filter::Line',
                'poe', 'stream', stream_server(4096), (200_000, 200), 'mb'),
    # ping-pong, one CPU
    Measurement('rawpp', 'pingpong', 'raw C: blocking send + recv (floor)',
                'baseline', 'raw-pingpong', ('echo',), (50_000, 100), 'roundtrips', pin=True),
    Measurement('tcpcpp', 'pingpong', 'TcpcClient, C handler',
                'client', 'pingpong', ('echo',), (50_000, 100), 'roundtrips', pin=True),
    Measurement('pytcpcpp', 'pingpong', 'TcpcClient, Python handler',
                'pyclient', 'pingpong', ('echo',), (20_000, 100), 'roundtrips', pin=True),
    Measurement('nodepp', 'pingpong', 'peer: Node.js net',
                'node', 'pingpong', ('echo',), (50_000, 100), 'roundtrips', pin=True),
    Measurement('asynciopp', 'pingpong', 'peer: Python asyncio (write, drain, readline)',
                'asyncio', 'pingpong', ('echo',), (30_000, 100), 'roundtrips', pin=True),
    Measurement('poepp', 'pingpong', 'peer: Perl POE Client::TCP',
                'poe', 'pingpong', ('echo',), (20_000, 100), 'roundtrips', pin=True),
    # connection rate: about 19 000 connections a run, so that the
    # connections in TIME_WAIT (60 s) stay below the 28 000 local ports
    Measurement('rawconn', 'connect', 'raw C: socket + connect + recv + close (floor)',
                'baseline', 'raw-connect', ('oneline',), (3000, 20), 'connections'),
    Measurement('gioconn', 'connect', 'GIO GSocketClient + read_line_async, default',
                'baseline', 'gio-connect', ('oneline',), (2000, 20), 'connections',
                env={'GIO_USE_PROXY_RESOLVER': None}),
    Measurement('gioconn0', 'connect', 'GIO GSocketClient, GIO_USE_PROXY_RESOLVER=dummy',
                'baseline', 'gio-connect', ('oneline',), (2000, 20), 'connections',
                env=NO_PROXY),
    Measurement('tcpcconn', 'connect', 'TcpcClient, default settings',
                'client', 'connect', ('oneline',), (2000, 20), 'connections',
                env={'GIO_USE_PROXY_RESOLVER': None}),
    Measurement('tcpcconn0', 'connect', 'TcpcClient, GIO_USE_PROXY_RESOLVER=dummy',
                'client', 'connect', ('oneline',), (2000, 20), 'connections', env=NO_PROXY),
    Measurement('tcpcconnnp', 'connect', 'TcpcClient, enable-proxy FALSE',
                'extra', 'connect-noproxy', ('oneline',), (2000, 20), 'connections',
                env={'GIO_USE_PROXY_RESOLVER': None}),
    Measurement('nodeconn', 'connect', 'peer: Node.js net.connect, destroy',
                'node', 'connect', ('oneline',), (2000, 20), 'connections'),
    Measurement('asyncioconn', 'connect', 'peer: Python asyncio open_connection',
                'asyncio', 'connect', ('oneline',), (2000, 20), 'connections'),
    Measurement('poeconn', 'connect', 'peer: Perl POE Client::TCP, reconnect',
                'poe', 'connect', ('oneline',), (3000, 20), 'connections'),
    # Python
    Measurement('pygio64', 'python', 'PyGObject + Gio read_line_async',
                'pygio', 'stream', stream_server(64), (200_000, 500), 'lines'),
    Measurement('pytcpc64', 'python', 'PyGObject + TcpcClient, Python handler',
                'pyclient', 'stream', stream_server(64), (1_000_000, 500), 'lines'),
    Measurement('pyfunc64', 'python', 'PyGObject + TcpcClient, Python input function',
                'pyclient', 'stream-func', stream_server(64), (1_000_000, 500), 'lines'),
    # memory
    Measurement('gioidle', 'memory', 'GSocketConnection + GDataInputStream, read pending',
                'baseline', 'gio-idle', ('hold',), None, 'bytes_per_client',
                fresh_server=True),
    Measurement('tcpcidle', 'memory', 'TcpcClient, connected and idle',
                'extra', 'idle', ('hold',), None, 'bytes_per_client', fresh_server=True),
    Measurement('tcpcidleput', 'memory', 'TcpcClient, idle after sending one request',
                'extra', 'idle-put', ('hold',), None, 'bytes_per_client', fresh_server=True),
    # output
    Measurement('rawwrite', 'output', 'raw C: one write() per record',
                'baseline', 'raw-write', ('sink',), (1_000_000, 1000), 'records'),
    Measurement('tcpcput', 'output', 'TcpcClient: put_data() per record, until flushed',
                'extra', 'put', ('sink',), (1_000_000, 1000), 'records'),
]

COMPARISONS = [
    Comparison('raw64', None, 'floor (issue: 89 M)'),
    Comparison('gdata64', 'raw64', 'baseline (issue: 0.75 M)'),
    Comparison('node64', 'raw64', 'peer (issue: 12.8 M)'),
    Comparison('asyncio64', 'raw64', 'peer'),
    Comparison('poe64', 'raw64', 'peer'),
    Comparison('tcpc64', 'gdata64', 'goal ≥ 10× GDataInputStream', want=10.0),
    Comparison('tcpc64', 'node64', 'goal ≥ 1.0× Node.js', want=1.0),
    Comparison('tcpc64', 'poe64', 'goal ≥ 25× POE', want=25.0),
    Comparison('emitfloor', 'node64', '(information: the ceiling of a server-input handler)'),
    Comparison('tcpcfunc64', 'tcpc64', '(information: no signal emission)'),
    Comparison('tcpcfunc64', 'node64', 'goal ≥ 1.0× Node.js', want=1.0),
    Comparison('tcpcfunc64', 'poe64', 'goal ≥ 25× POE', want=25.0),
    Comparison('raw4k', None, 'floor (issue: 4,800 MB/s)'),
    Comparison('gdata4k', 'raw4k', 'baseline (issue: 620 MB/s)'),
    Comparison('node4k', 'raw4k', 'peer'),
    Comparison('asyncio4k', 'raw4k', 'peer'),
    Comparison('poe4k', 'raw4k', 'peer'),
    Comparison('tcpc4k', 'raw4k', 'goal ≥ 0.8× floor', want=0.8),
    Comparison('tcpcstream4k', 'raw4k', 'goal ≥ 0.8× floor', want=0.8),
    Comparison('rawpp', None, 'floor (issue: 84 k)'),
    Comparison('nodepp', 'rawpp', 'peer'),
    Comparison('asynciopp', 'rawpp', 'peer'),
    Comparison('poepp', 'rawpp', 'peer'),
    Comparison('tcpcpp', 'rawpp', 'goal ≥ 0.8× floor', want=0.8),
    Comparison('pytcpcpp', 'rawpp', '(information)'),
    Comparison('rawconn', None, 'floor (issue: 17 k)'),
    Comparison('gioconn', 'rawconn', 'baseline (issue: 6.2 k)'),
    Comparison('gioconn0', 'rawconn', 'baseline (issue: 15 k)'),
    Comparison('nodeconn', 'rawconn', 'peer'),
    Comparison('asyncioconn', 'rawconn', 'peer'),
    Comparison('poeconn', 'rawconn', 'peer'),
    Comparison('tcpcconn', 'gioconn', '(information)'),
    Comparison('tcpcconn', 'best-peer-connect', 'goal ≥ 1.2× best peer (issue: 8.7 k)',
               want=1.2),
    Comparison('tcpcconn0', 'gioconn0', 'goal close to GIO without proxy resolver', want=0.9),
    Comparison('tcpcconnnp', 'gioconn', '(information: no proxy lookup)'),
    Comparison('pygio64', None, 'baseline (issue: 0.23 M)'),
    Comparison('pytcpc64', 'pygio64', 'goal ≥ 3× read_line_async', want=3.0),
    Comparison('pyfunc64', 'pygio64', 'goal ≥ 3× read_line_async', want=3.0),
    Comparison('gioidle', None, 'baseline'),
    Comparison('tcpcidle', 'gioidle', 'goal ≤ 8 KiB per client', lower_is_better=True),
    Comparison('tcpcidleput', 'gioidle', 'goal ≤ 8 KiB per client', lower_is_better=True),
    Comparison('rawwrite', None, 'baseline'),
    Comparison('tcpcput', 'rawwrite', 'goal ≥ 0.5× raw write()', want=0.5),
]

# Baselines that are the best (highest) median of several measurements.
BEST_OF = {
    'best-peer-connect': ('nodeconn', 'asyncioconn', 'poeconn'),
}

# Absolute goals, checked on the median value itself.
ABSOLUTE_GOALS = {
    ('tcpcidle', 'gioidle'): lambda v: v <= 8192,
    ('tcpcidleput', 'gioidle'): lambda v: v <= 8192,
}

# ---------------------------------------------------------------------------
# Running


def parse_output(text):
    values = {}
    for key, value in re.findall(r'(\w+)=([0-9.]+)', text):
        values[key] = float(value)
    return values


def metric_value(metric, out):
    seconds = out.get('seconds', 0.0)
    if metric == 'bytes_per_client':
        return out['bytes_per_client']
    if seconds <= 0:
        raise ValueError('no time measured')
    if metric == 'mb':
        return out['bytes'] / seconds / 1e6
    return out[metric] / seconds


class Server:
    def __init__(self, path, args, env, pin):
        self.args = args
        self.proc = subprocess.Popen([path] + list(args), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env,
                                     preexec_fn=pin_to_cpu0 if pin else None)
        line = self.proc.stdout.readline().decode()
        match = re.match(r'port=(\d+)', line)
        if not match:
            self.stop()
            raise RuntimeError(f'tcpc-bench-server {" ".join(args)} did not start')
        self.port = int(match.group(1))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


def pin_to_cpu0():
    try:
        os.sched_setaffinity(0, {0})
    except (AttributeError, OSError):
        pass


class Runner:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        bench_dir = os.path.join(args.build_root, 'tests', 'benchmarks')
        src_dir = os.path.dirname(os.path.abspath(__file__))
        self.server_path = os.path.join(bench_dir, 'tcpc-bench-server')
        self.programs = {
            'client': [os.path.join(bench_dir, 'tcpc-bench-client')],
            'baseline': [os.path.join(bench_dir, 'tcpc-bench-baseline')],
            'extra': [os.path.join(bench_dir, 'tcpc-bench-extra')],
        }
        self.missing = {}   # program key -> why it is not there
        if args.python:
            self.programs['pyclient'] = [args.python,
                                         os.path.join(src_dir, 'tcpc-bench-client.py')]
            self.programs['pygio'] = [args.python, os.path.join(src_dir, 'tcpc-bench-gio.py')]
        else:
            self.missing['pyclient'] = self.missing['pygio'] = 'no python3 with PyGObject'
        self.timeout = 60 if self.quick else 900
        self.find_peers(os.path.join(src_dir, 'peers'))
        self.env = self.base_env()
        self.servers = {}

    def find_peers(self, peers_dir):
        """The peers of issue 3, each where it is installed."""
        node = shutil.which('node') or shutil.which('nodejs')
        if node:
            self.programs['node'] = [node, os.path.join(peers_dir, 'tcpc-bench-node.js')]
        else:
            self.missing['node'] = 'no node or nodejs on PATH (apt-get install nodejs)'

        python = self.args.python or '/usr/bin/python3'
        if os.access(python, os.X_OK):
            self.programs['asyncio'] = [python,
                                        os.path.join(peers_dir, 'tcpc-bench-asyncio.py')]
        else:
            self.missing['asyncio'] = 'no --python and no /usr/bin/python3'

        perl = shutil.which('perl')
        if perl is None:
            self.missing['poe'] = 'no perl on PATH'
        else:
            try:
                has_poe = subprocess.run([perl, '-MPOE', '-e1'], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, timeout=60).returncode == 0
            except subprocess.TimeoutExpired:
                has_poe = False
            if has_poe:
                self.programs['poe'] = [perl, os.path.join(peers_dir, 'tcpc-bench-poe.pl')]
            else:
                self.missing['poe'] = 'no POE for perl (apt-get install libpoe-perl)'

    def base_env(self):
        env = dict(os.environ)
        lib_dir = os.path.join(self.args.build_root, 'tcpclient')
        for var in ('LD_LIBRARY_PATH', 'GI_TYPELIB_PATH'):
            env[var] = lib_dir + (os.pathsep + env[var] if env.get(var) else '')
        # The test environment's debugging aids are not what users run with.
        env.pop('G_DEBUG', None)
        env.pop('G_SLICE', None)
        env.pop('MALLOC_PERTURB_', None)
        env.pop('GIO_USE_PROXY_RESOLVER', None)
        env['TCPC_BENCH_TIMEOUT'] = str(self.timeout)
        return env

    def count_of(self, m):
        if m.metric == 'bytes_per_client':
            default = 20 if self.quick else 10000
            return int(os.environ.get('TCPC_BENCH_CLIENTS', '0') or 0) or default
        count = m.count[1] if self.quick else m.count[0]
        scale = float(os.environ.get('TCPC_BENCH_SCALE', '1') or 1)
        return max(1, int(count * scale))

    def server_for(self, m, count):
        args = m.server(count) if callable(m.server) else m.server
        key = (args, m.pin)
        if m.fresh_server:
            return Server(self.server_path, args, self.env, m.pin), True
        if key not in self.servers:
            self.servers[key] = Server(self.server_path, args, self.env, m.pin)
        return self.servers[key], False

    def stop_servers(self):
        for server in self.servers.values():
            server.stop()
        self.servers.clear()

    def run_once(self, m):
        count = self.count_of(m)
        server, fresh = self.server_for(m, count)
        env = dict(self.env)
        for var, value in m.env.items():
            if value is None:
                env.pop(var, None)
            else:
                env[var] = value
        cmd = self.programs[m.prog] + [m.mode, HOST, str(server.port), str(count)]
        try:
            proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=self.timeout,
                                  preexec_fn=pin_to_cpu0 if m.pin else None)
        except subprocess.TimeoutExpired:
            m.failures.append(f'timed out after {self.timeout} s')
            return
        finally:
            if fresh:
                server.stop()

        out_text = proc.stdout.decode(errors='replace')
        err_text = proc.stderr.decode(errors='replace').strip()
        if self.args.verbose:
            print(f'  [{m.key}] {" ".join(cmd[-4:])} -> {proc.returncode}: '
                  f'{out_text.strip()} {err_text}', flush=True)
        if proc.returncode == SKIP:
            m.skipped = out_text.strip() or 'skipped'
            return
        if proc.returncode != 0:
            m.failures.append(f'exit {proc.returncode}: {out_text.strip()} {err_text}'.strip())
            return
        try:
            out = parse_output(out_text)
            m.values.append(metric_value(m.metric, out))
            m.extra.append(out)
        except (KeyError, ValueError) as error:
            m.failures.append(f'unparsable output {out_text!r}: {error}')

    def contract_checks(self):
        """The exit status 2 of the contract, for our clients and the peers."""
        failures = []
        for prog in ('client', 'pyclient', 'node', 'asyncio', 'poe'):
            if prog not in self.programs:
                continue
            cmd = self.programs[prog] + ['no-such-mode', HOST, '1', '1']
            try:
                proc = subprocess.run(cmd, env=self.env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, timeout=self.timeout)
            except subprocess.TimeoutExpired:
                failures.append(f'{" ".join(cmd)}: timed out after {self.timeout} s')
                continue
            if proc.returncode != 2:
                failures.append(f'{" ".join(cmd)}: exit {proc.returncode}, expected 2')
        return failures


# ---------------------------------------------------------------------------
# Reporting


def si(value, unit):
    if unit == 'bytes':
        return f'{value:,.0f} B'
    if unit == 'MB/s':
        return f'{value:,.0f} MB/s'
    for factor, suffix in ((1e6, ' M'), (1e3, ' k')):
        if value >= factor:
            return f'{value / factor:.3g}{suffix}/s'
    return f'{value:.3g}/s'


def verdict(comparison, value, ratio):
    checks = []
    if comparison.want is not None and ratio is not None:
        checks.append(ratio >= comparison.want)
    absolute = ABSOLUTE_GOALS.get((comparison.key, comparison.baseline))
    if absolute is not None:
        checks.append(absolute(value))
    if not checks:
        return ''
    return 'met' if all(checks) else 'not met'


def baseline_of(c, by_key):
    """(median, short name) of a comparison's baseline, or None when it has
    no figure. A BEST_OF baseline is the highest median of its members."""
    if c.baseline is None:
        return None
    members = BEST_OF.get(c.baseline, (c.baseline,))
    best = None
    for key in members:
        m = by_key.get(key)
        if m is None or not m.values:
            continue
        value = statistics.median(m.values)
        if best is None or value > best[0]:
            best = (value, short_name(m))
    if best is not None and c.baseline in BEST_OF:
        best = (best[0], f'best peer ({best[1]})')
    return best


def build_rows(by_key, selected_keys, quick):
    rows = []
    for group, title, unit in GROUPS:
        group_rows = []
        for c in COMPARISONS:
            m = by_key[c.key]
            if m.group != group or m.key not in selected_keys:
                continue
            if m.skipped and not m.values:
                group_rows.append((m.label, 'skipped', '', c.goal, m.skipped))
                continue
            if not m.values:
                why = 'failed' if m.failures else 'not run'
                group_rows.append((m.label, why, '', c.goal, ''))
                continue
            value = statistics.median(m.values)
            ratio = None
            ratio_str = ''
            base = baseline_of(c, by_key)
            if base is not None:
                if base[0] > 0:
                    ratio = value / base[0]
                    ratio_str = f'{ratio:.2f}× {base[1]}'
            elif c.baseline is None:
                ratio_str = '1.00× (baseline)'
            spread = ''
            if len(m.values) > 1:
                spread = f' ±{(max(m.values) - min(m.values)) / 2 / value * 100:.0f}%'
            group_rows.append((m.label, si(value, unit) + spread, ratio_str, c.goal,
                               '' if quick else verdict(c, value, ratio)))
        if group_rows:
            rows.append((title, unit, group_rows))
    return rows


def short_name(m):
    return {
        'raw64': 'floor', 'raw4k': 'floor', 'rawpp': 'floor', 'rawconn': 'floor',
        'gdata64': 'GDataInputStream', 'gdata4k': 'GDataInputStream',
        'gioconn': 'GIO default', 'gioconn0': 'GIO no proxy',
        'pygio64': 'read_line_async', 'gioidle': 'GIO', 'rawwrite': 'write()',
        'node64': 'Node.js', 'asyncio64': 'asyncio', 'poe64': 'POE',
        'nodeconn': 'Node.js', 'asyncioconn': 'asyncio', 'poeconn': 'POE',
    }.get(m.key, m.key)


def print_text(rows, header):
    if header:
        print(header)
    widths = [0, 0, 0, 0]
    for _, _, group_rows in rows:
        for row in group_rows:
            widths = [max(w, len(cell) + 2) for w, cell in zip(widths, row)]
    for title, unit, group_rows in rows:
        print(f'\n{title} ({unit}, median)')
        for label, value, ratio, goal, mark in group_rows:
            cells = [label, value, ratio, goal]
            line = '  ' + ''.join(cell.ljust(w) for cell, w in zip(cells, widths))
            print((line + mark).rstrip())


def write_markdown(rows, header, path):
    lines = [f'<!-- {header} -->', '',
             '| measurement | median | ratio | goal (issue 3) | |',
             '| --- | ---: | --- | --- | --- |']
    for title, unit, group_rows in rows:
        lines.append(f'| **{title}** ({unit}) | | | | |')
        for label, value, ratio, goal, mark in group_rows:
            lines.append(f'| {label} | {value} | {ratio} | {goal} | {mark} |')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def main():
    parser = argparse.ArgumentParser(description='Runs the tcpclient benchmarks of issue 3.')
    parser.add_argument('--build-root', required=True,
                        help='the meson build directory of the project')
    parser.add_argument('--python', default=None,
                        help='a python3 with PyGObject, for the Python measurements')
    parser.add_argument('--runs', type=int, default=None)
    parser.add_argument('--quick', action='store_true', default=env_flag('TCPC_BENCH_QUICK'))
    parser.add_argument('--markdown', default=None, help='also write the table as markdown')
    parser.add_argument('--only', default=None,
                        help='comma-separated groups: ' + ','.join(g for g, _, _ in GROUPS))
    parser.add_argument('--verbose', '-v', action='store_true')
    args = parser.parse_args()

    runs = args.runs or int(os.environ.get('TCPC_BENCH_RUNS', '0') or 0) or \
        (1 if args.quick else 5)
    runner = Runner(args)

    selected = [m for m in MEASUREMENTS
                if (args.only is None or m.group in args.only.split(','))]
    for m in selected:
        if m.prog not in runner.programs:
            m.skipped = runner.missing.get(m.prog, f'no program {m.prog}')

    header = (f'tcpclient benchmarks: {runs} run(s) per figure, median; '
              f'{os.cpu_count()} CPUs; loopback {HOST}'
              + ('; QUICK (tiny counts, figures meaningless)' if args.quick else ''))
    print(header, flush=True)

    failures = runner.contract_checks() if args.quick else []
    started = time.monotonic()
    try:
        for run in range(runs):
            if args.verbose or not args.quick:
                print(f'run {run + 1}/{runs} ({time.monotonic() - started:.0f} s)', flush=True)
            for m in selected:
                if m.skipped:
                    continue
                runner.run_once(m)
    finally:
        runner.stop_servers()

    by_key = {m.key: m for m in MEASUREMENTS}
    rows = build_rows(by_key, {m.key for m in selected}, args.quick)
    print_text(rows, '')
    if args.markdown:
        write_markdown(rows, header, args.markdown)

    for m in selected:
        for failure in m.failures:
            failures.append(f'{m.key}: {failure}')
    if failures:
        print('\nFAILURES:')
        for failure in failures:
            print('  ' + failure)
        return 1
    print(f'\nall programs ran ({time.monotonic() - started:.0f} s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
