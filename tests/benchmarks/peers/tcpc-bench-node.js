#!/usr/bin/env node
// tcpc-bench-node.js: the Node.js peer of the benchmark client
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
//   node tcpc-bench-node.js MODE HOST PORT COUNT
//
// The command-line contract of tcpc-bench-client (issue 3, see
// ../README.md), written the way a Node programmer reads lines when speed
// matters: net.connect() with setEncoding('utf8'), a 'data' handler that
// split()s the text at "\n" and keeps the unfinished remainder, and one
// emitter.emit('line', line) per line to an EventEmitter whose 'line'
// listener does the work (the benchmark's lines are ASCII, so a line's
// length is its size in bytes):
//
//   stream    count "\n"-terminated lines until end of stream
//             -> lines=<n> bytes=<b> seconds=<s>  (bytes include the newlines)
//   pingpong  a 32-byte line and its echo, COUNT times on one connection
//             -> roundtrips=<n> seconds=<s>
//   connect   COUNT times: connect, read one line, close (destroy)
//             -> connections=<n> seconds=<s>
//
// Seconds are measured from before the first connect. The exit status is 0
// only when the count matches, 1 on any failure, 2 for an unsupported mode.
// TCPC_BENCH_TIMEOUT (seconds, default 60) bounds the whole run. Only Node's
// standard library is used (Node 18 or later).

'use strict';

const net = require('net');
const { EventEmitter } = require('events');
const { performance } = require('perf_hooks');

const NAME = 'tcpc-bench-node.js';
const PING = Buffer.from('0123456789abcdef0123456789abcde\n'); // 31 bytes + "\n"
const MODES = ['stream', 'pingpong', 'connect'];

// Returns a 'data' handler (for a socket with setEncoding('utf8')) that
// emits 'line' on `lines` for every complete line of the text it is given,
// without its "\n": the text after the last "\n" waits for the next chunk.
// String split() is V8's fastest way to cut text into lines; an indexOf()
// and subarray() loop over Buffers took 1.7 times as long here.
function lineSplitter(lines) {
  let rest = '';

  return function onData(text) {
    const parts = (rest.length > 0 ? rest + text : text).split('\n');

    rest = parts.pop();
    for (let i = 0; i < parts.length; i++)
      lines.emit('line', parts[i]);
  };
}

class Bench {
  constructor(mode, host, port, count) {
    this.mode = mode;
    this.host = host;
    this.port = port;
    this.count = count;
    this.lines = 0;
    this.bytes = 0;
    this.done = 0; // round trips or connections
    this.failed = false;
    this.finished = false;
    this.socket = null;
    this.timer = null;
    this.start = 0;
  }

  fail(what) {
    if (this.finished)
      return;
    process.stderr.write(`${NAME}: ${what}\n`);
    this.failed = true;
    this.finish();
  }

  finish() {
    if (this.finished)
      return;
    this.finished = true;
    const seconds = ((performance.now() - this.start) / 1000).toFixed(6);
    clearTimeout(this.timer);
    if (this.socket !== null)
      this.socket.destroy();

    let ok;
    if (this.mode === 'stream') {
      process.stdout.write(`lines=${this.lines} bytes=${this.bytes} seconds=${seconds}\n`);
      ok = this.lines === this.count;
    } else if (this.mode === 'pingpong') {
      process.stdout.write(`roundtrips=${this.done} seconds=${seconds}\n`);
      ok = this.done === this.count;
    } else {
      process.stdout.write(`connections=${this.done} seconds=${seconds}\n`);
      ok = this.done === this.count;
    }
    process.exitCode = ok && !this.failed ? 0 : 1;
  }

  run(timeoutSeconds) {
    this.timer = setTimeout(() => this.fail('timed out'), timeoutSeconds * 1000);
    this.start = performance.now();
    if (this.mode === 'stream')
      this.runStream();
    else if (this.mode === 'pingpong')
      this.runPingpong();
    else
      this.connectNext();
  }

  // Connects and reports the socket's errors; `onLine` gets every line.
  open(onLine) {
    const lines = new EventEmitter();
    const socket = net.connect({ host: this.host, port: this.port });

    lines.on('line', onLine);
    socket.setEncoding('utf8');
    socket.on('data', lineSplitter(lines));
    socket.on('error', (error) => this.fail(`${error.syscall || 'socket'}: ${error.message}`));
    this.socket = socket;
    return socket;
  }

  runStream() {
    const socket = this.open((line) => {
      this.lines++;
      this.bytes += line.length + 1;
    });
    // The server closes after the last line.
    socket.on('close', () => this.finish());
  }

  runPingpong() {
    const socket = this.open(() => {
      this.done++;
      if (this.done < this.count)
        socket.write(PING);
      else
        socket.end();
    });
    socket.setNoDelay(true);
    socket.on('connect', () => {
      if (this.count > 0)
        socket.write(PING);
      else
        socket.end();
    });
    socket.on('close', () => this.finish());
  }

  connectNext() {
    if (this.done >= this.count) {
      this.finish();
      return;
    }
    let answered = false;
    const socket = this.open(() => {
      if (answered)
        return;
      answered = true;
      this.done++;
      socket.destroy();
      this.connectNext();
    });
    socket.on('close', () => {
      if (!answered)
        this.fail('connection closed before its line arrived');
    });
  }
}

function main(argv) {
  if (argv.length !== 4) {
    process.stderr.write(`usage: ${NAME} stream|pingpong|connect HOST PORT COUNT\n`);
    return 2;
  }
  const [mode, host, portArg, countArg] = argv;
  if (!MODES.includes(mode)) {
    process.stderr.write(`${NAME}: unsupported mode "${mode}"\n`);
    return 2;
  }
  const port = Number(portArg);
  const count = Number(countArg);
  if (!/^[0-9]+$/.test(portArg) || !/^[0-9]+$/.test(countArg) ||
      port < 1 || port > 65535 || !Number.isSafeInteger(count)) {
    process.stderr.write(`${NAME}: bad PORT or COUNT\n`);
    return 1;
  }
  const timeout = parseInt(process.env.TCPC_BENCH_TIMEOUT || '', 10) || 60;

  new Bench(mode, host, port, count).run(timeout);
  return null; // the exit status is set when the run ends
}

const status = main(process.argv.slice(2));
if (status !== null)
  process.exitCode = status;
