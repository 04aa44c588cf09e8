#!/usr/bin/python3
# tcpc-bench-asyncio.py: the Python asyncio peer of the benchmark client
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   tcpc-bench-asyncio.py MODE HOST PORT COUNT
#
# The command-line contract of tcpc-bench-client (issue 3, see ../README.md),
# written the way Python programs read lines with asyncio streams:
# asyncio.open_connection() and one `await reader.readline()` per line, with
# the streams' default buffer limit. Only the standard library is used.
#
#   stream    count "\n"-terminated lines until end of stream
#             -> lines=<n> bytes=<b> seconds=<s>  (bytes include the newlines)
#   pingpong  a 32-byte line and its echo, COUNT times on one connection
#             (write, drain, readline) -> roundtrips=<n> seconds=<s>
#   connect   COUNT times: connect, read one line, close
#             -> connections=<n> seconds=<s>
#
# Seconds are measured from before the first connect. The exit status is 0
# only when the count matches, 1 on any failure, 2 for an unsupported mode.
# TCPC_BENCH_TIMEOUT (seconds, default 60) bounds the whole run.

import asyncio
import os
import sys
import time

NAME = 'tcpc-bench-asyncio.py'
PING = b'0123456789abcdef0123456789abcde\n'  # 31 bytes + "\n"
MODES = ('stream', 'pingpong', 'connect')


class Bench:
    def __init__(self, mode, host, port, count):
        self.mode = mode
        self.host = host
        self.port = port
        self.count = count
        self.lines = 0
        self.bytes = 0
        self.done = 0  # round trips or connections

    async def stream(self):
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            while True:
                line = await reader.readline()
                if not line.endswith(b'\n'):
                    break  # end of stream (a partial last line is no line)
                self.lines += 1
                self.bytes += len(line)
        finally:
            writer.close()
            await writer.wait_closed()

    async def pingpong(self):
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            while self.done < self.count:
                writer.write(PING)
                await writer.drain()
                line = await reader.readline()
                if not line.endswith(b'\n'):
                    raise ConnectionError('the echo server closed the connection')
                self.done += 1
        finally:
            writer.close()
            await writer.wait_closed()

    async def connect(self):
        while self.done < self.count:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            try:
                line = await reader.readline()
                if not line.endswith(b'\n'):
                    raise ConnectionError('connection closed before its line arrived')
                self.done += 1
            finally:
                writer.close()
                await writer.wait_closed()

    def run(self, timeout):
        failed = False
        start = time.monotonic()
        try:
            asyncio.run(asyncio.wait_for(getattr(self, self.mode)(), timeout))
        except asyncio.TimeoutError:
            print(f'{NAME}: timed out', file=sys.stderr)
            failed = True
        except (OSError, EOFError, ValueError) as error:
            # OSError includes the ConnectionErrors; ValueError is a line
            # longer than the stream's limit.
            print(f'{NAME}: {error}', file=sys.stderr)
            failed = True
        seconds = time.monotonic() - start

        if self.mode == 'stream':
            print(f'lines={self.lines} bytes={self.bytes} seconds={seconds:.6f}')
            ok = self.lines == self.count
        elif self.mode == 'pingpong':
            print(f'roundtrips={self.done} seconds={seconds:.6f}')
            ok = self.done == self.count
        else:
            print(f'connections={self.done} seconds={seconds:.6f}')
            ok = self.done == self.count
        return 0 if ok and not failed else 1


def main(argv):
    if len(argv) != 5:
        print(f'usage: {NAME} stream|pingpong|connect HOST PORT COUNT', file=sys.stderr)
        return 2
    mode, host = argv[1], argv[2]
    if mode not in MODES:
        print(f'{NAME}: unsupported mode "{mode}"', file=sys.stderr)
        return 2
    try:
        port, count = int(argv[3]), int(argv[4])
        if not 0 < port < 65536 or count < 0:
            raise ValueError
    except ValueError:
        print(f'{NAME}: bad PORT or COUNT', file=sys.stderr)
        return 1
    timeout = int(os.environ.get('TCPC_BENCH_TIMEOUT', '0') or 0) or 60
    return Bench(mode, host, port, count).run(timeout)


if __name__ == '__main__':
    sys.exit(main(sys.argv))
