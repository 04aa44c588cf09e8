#!/usr/bin/python3
# test-gtk-console.py: runs the GTK 4 console under Xvfb against a loopback
# line server and checks the screenshot it saves: the picture in README.md.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   test-gtk-console.py XVFB_RUN GTK_CONSOLE PNG
#
# The server (127.0.0.1, port chosen by the kernel, in a thread) greets,
# answers every line with "echo: LINE" and closes on "quit". The console is
# started with --auto-connect, --auto-reconnect, three --send lines (the last
# one "quit") and --screenshot=PNG --quit-after-screenshot, so that the
# picture shows a session and the reconnect countdown after the server
# closed. Checks: exit status 0 without warnings, the server got the lines,
# the PNG is a real picture of the window (a PNG of at least 400 x 300
# pixels with many different rows and colours, not an empty frame).
# Needs only Python's standard library. Prints a TAP-like result and
# "N passed, M failed"; exits non-zero on failure.
#
# Run by hand to refresh docs/gtk-console.png:
#   test-gtk-console.py xvfb-run build/examples/gtk-console/tcpc-gtk-console docs/gtk-console.png

import os
import socket
import struct
import subprocess
import sys
import threading
import zlib

TIMEOUT = 60
LINES = ['hello from GTK', 'time', 'quit']


def serve(sock, received):
    conn, _ = sock.accept()
    with conn:
        conn.sendall(b'welcome to the loopback line server\r\n'
                     b'send "quit" to end the session\r\n')
        buffer = b''
        while True:
            data = conn.recv(4096)
            if not data:
                return
            buffer += data
            while b'\n' in buffer:
                line, buffer = buffer.split(b'\n', 1)
                line = line.rstrip(b'\r').decode('utf-8', 'replace')
                received.append(line)
                if line == 'quit':
                    conn.sendall(b'bye\r\n')
                    return
                if line == 'time':
                    conn.sendall(b'it is tea time\r\n')
                else:
                    conn.sendall(('echo: %s\r\n' % line).encode())


def png_info(path):
    """(width, height, distinct rows, distinct pixels sampled) of an 8-bit
    RGB or RGBA PNG, or None if it is not one."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        return None
    pos, idat, header = 8, b'', None
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', chunk)
        elif kind == b'IDAT':
            idat += chunk
        pos += 12 + length
    width, height, depth, colour = header[:4]
    if depth != 8 or colour not in (2, 6):
        return width, height, 0, 0
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous, pixels = set(), bytearray(stride), set()
    for y in range(height):
        filter_type = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):  # undo the PNG filters
            a = line[x - channels] if x >= channels else 0
            b = previous[x]
            c = previous[x - channels] if x >= channels else 0
            if filter_type == 1:
                line[x] = (line[x] + a) & 0xff
            elif filter_type == 2:
                line[x] = (line[x] + b) & 0xff
            elif filter_type == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xff
            elif filter_type == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xff
        rows.add(bytes(line))
        for x in range(0, width, 7):
            pixels.add(bytes(line[x * channels:x * channels + 3]))
        previous = line
    return width, height, len(rows), len(pixels)


def main(argv):
    if len(argv) != 4:
        print('usage: %s XVFB_RUN GTK_CONSOLE PNG' % argv[0], file=sys.stderr)
        return 2
    xvfb_run, console, png = argv[1:]
    results = []

    def check(ok, name):
        results.append(bool(ok))
        print('%s %d - %s' % ('ok' if ok else 'not ok', len(results), name), flush=True)

    if os.path.exists(png):
        os.unlink(png)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    sock.listen(1)
    received = []
    threading.Thread(target=serve, args=(sock, received), daemon=True).start()

    env = dict(os.environ)
    env.update({
        'GDK_BACKEND': 'x11',
        'GTK_A11Y': 'none',          # no accessibility bus under Xvfb
        'NO_AT_BRIDGE': '1',
        'GTK_THEME': 'Adwaita',
        'LC_ALL': 'C.UTF-8',
        # No OpenGL: the same picture with or without a GL driver, and no
        # Mesa driver whose allocations LeakSanitizer cannot attribute.
        'GDK_DEBUG': 'gl-disable',
        'GSK_RENDERER': 'cairo',
    })
    # In sanitizer builds: fontconfig's caches are not leaks of ours.
    supp = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lsan.supp')
    env['LSAN_OPTIONS'] = ':'.join(filter(None, [env.get('LSAN_OPTIONS'),
                                                 'suppressions=' + supp]))
    env.pop('DBUS_SESSION_BUS_ADDRESS', None)
    command = [xvfb_run, '-a', '-s', '-screen 0 1280x800x24', console,
               '--host=127.0.0.1', '--port=%d' % sock.getsockname()[1],
               '--auto-connect', '--auto-reconnect']
    command += ['--send=%s' % line for line in LINES]
    command += ['--screenshot=%s' % png, '--quit-after-screenshot']
    print('# running: %s' % ' '.join(command), flush=True)
    try:
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TIMEOUT)
        status, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as error:
        status, out, err = -1, error.stdout or '', error.stderr or ''
        print('# timed out after %d s' % TIMEOUT)
    sock.close()
    for line in (out if isinstance(out, str) else out.decode()).splitlines():
        print('#   out: %s' % line)
    for line in (err if isinstance(err, str) else err.decode()).splitlines():
        print('#   err: %s' % line)

    err_text = err if isinstance(err, str) else err.decode()
    check(status == 0, 'exit status 0 (got %d)' % status)
    check('-WARNING' not in err_text and '-CRITICAL' not in err_text,
          'no GLib or GTK warnings')
    check(received[:len(LINES)] == LINES, 'the server got the lines put (got %r)' % received)
    check(os.path.exists(png), 'the screenshot exists')
    info = png_info(png) if os.path.exists(png) else None
    print('# png: %r, %d bytes' % (info, os.path.getsize(png) if os.path.exists(png) else 0))
    check(info is not None, 'it is a PNG')
    if info is not None:
        width, height, rows, colours = info
        check(width >= 400 and height >= 300, 'at least 400 x 300 (%d x %d)' % (width, height))
        check(rows >= height // 4, 'not a blank picture: %d different rows of %d' % (rows, height))
        check(colours >= 16, 'text and widgets in several colours (%d sampled)' % colours)

    failed = results.count(False)
    print('1..%d' % len(results))
    print('%d passed, %d failed' % (len(results) - failed, failed))
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
