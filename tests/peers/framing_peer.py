#!/usr/bin/python3
# framing_peer.py: a loopback peer speaking one record framing, for the
# interoperability tests of the filters (tests/test-filter-peers.c).
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: framing_peer.py FRAMING [STREAM-BYTES]
#
# Listens on 127.0.0.1, port 0, prints the port on stdout, and serves one
# connection with asyncio, framing records independently of tcpclient's own
# code:
#
#   ascii      POE::Filter::Block's "<decimal length>\0" header
#   uint8, uint16-be, uint16-le, uint32-be, uint32-le, uint64-be, uint64-le
#              unsigned binary length headers (Twisted's IntNStringReceiver,
#              Netty's LengthFieldBasedFrameDecoder)
#   netstring  "<decimal length>:<bytes>," (Twisted's NetstringReceiver:
#              no leading zeros, a comma after every string)
#   stream     no framing
#   uint32-be-too-long
#              uint32-be that sends "ok", then a 2 MiB record
#
# With a framing, it first sends its own records (GREETING, the long one cut
# to what the header can express), then echoes
# every record it receives; on the record "quit" it sends "bye" and closes.
# With "stream" it sends b"hello stream", echoes bytes, and closes after
# STREAM-BYTES bytes. Input that breaks the framing makes it exit with
# status 2; a finished session exits with 0. It gives up after 20 seconds.

import asyncio
import struct
import sys

GREETING = [b'hello', b'', b'\x00\x01\xff\r\n', b'x' * 70000, b'last']
BINARY = {
    'uint8': '>B', 'uint16-be': '>H', 'uint16-le': '<H',
    'uint32-be': '>I', 'uint32-le': '<I', 'uint64-be': '>Q', 'uint64-le': '<Q',
}
MAX_DIGITS = 20


class FramingError(Exception):
    pass


def encode(framing, record):
    if framing == 'ascii':
        return str(len(record)).encode() + b'\0' + record
    if framing == 'netstring':
        return str(len(record)).encode() + b':' + record + b','
    fmt = BINARY[framing]
    return struct.pack(fmt, len(record)) + record


async def read_record(framing, reader):
    """The next record, or None at a clean end of stream."""
    if framing in ('ascii', 'netstring'):
        end = b'\0' if framing == 'ascii' else b':'
        digits = b''
        while True:
            c = await reader.read(1)
            if not c:
                if digits:
                    raise FramingError('end of stream in a header')
                return None
            if c == end:
                break
            if not c.isdigit() or len(digits) >= MAX_DIGITS:
                raise FramingError('bad header byte %r after %r' % (c, digits))
            digits += c
        if not digits:
            raise FramingError('empty length')
        if framing == 'netstring' and len(digits) > 1 and digits[0:1] == b'0':
            raise FramingError('leading zero')
        record = await reader.readexactly(int(digits))
        if framing == 'netstring' and await reader.readexactly(1) != b',':
            raise FramingError('missing comma')
        return record
    fmt = BINARY[framing]
    size = struct.calcsize(fmt)
    try:
        header = await reader.readexactly(size)
    except asyncio.IncompleteReadError as e:
        if e.partial:
            raise FramingError('end of stream in a header')
        return None
    (length,) = struct.unpack(fmt, header)
    return await reader.readexactly(length)


async def serve(framing, stream_bytes, reader, writer, done):
    try:
        if framing == 'stream':
            writer.write(b'hello stream')
            received = 0
            while received < stream_bytes:
                data = await reader.read(65536)
                if not data:
                    raise FramingError('end of stream after %d bytes' % received)
                received += len(data)
                writer.write(data)
            await writer.drain()
        elif framing == 'uint32-be-too-long':
            writer.write(encode('uint32-be', b'ok'))
            writer.write(encode('uint32-be', b'y' * (2 * 1024 * 1024)))
            # The client refuses the record and closes, maybe before it
            # has all of it.
            try:
                await writer.drain()
                await reader.read()
            except ConnectionError:
                pass
        else:
            limit = {'uint8': 255, 'uint16-be': 65535, 'uint16-le': 65535}.get(framing)
            greeting = [r[:limit] for r in GREETING]
            for record in greeting:
                writer.write(encode(framing, record))
            while True:
                record = await read_record(framing, reader)
                if record is None:
                    raise FramingError('end of stream before "quit"')
                if record == b'quit':
                    writer.write(encode(framing, b'bye'))
                    break
                writer.write(encode(framing, record))
            await writer.drain()
        writer.close()
        try:
            await writer.wait_closed()
        except ConnectionError:
            pass
        result = 0
    except Exception as e:  # noqa: BLE001 - reported by the exit status
        print('framing_peer: %s: %s' % (framing, e), file=sys.stderr, flush=True)
        writer.close()
        result = 2
    if not done.done():
        done.set_result(result)


async def main():
    framing = sys.argv[1]
    stream_bytes = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    if framing not in BINARY and framing not in ('ascii', 'netstring', 'stream',
                                                 'uint32-be-too-long'):
        print('unknown framing %s' % framing, file=sys.stderr)
        return 1
    done = asyncio.get_running_loop().create_future()
    server = await asyncio.start_server(
        lambda r, w: serve(framing, stream_bytes, r, w, done), '127.0.0.1', 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    try:
        return await asyncio.wait_for(done, 20)
    except asyncio.TimeoutError:
        print('framing_peer: %s: timed out' % framing, file=sys.stderr, flush=True)
        return 3
    finally:
        server.close()


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))
