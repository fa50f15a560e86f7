// Proves the real serial binding (@serialport/bindings-cpp, loaded from its
// shipped prebuild: npm 11 runs no install scripts) opens pseudo-terminals
// made by socat and moves bytes both ways through the firmware's port
// adapter (device/stream-port.ts, SerialPortStream over the binding), and
// that every socat started is ended by pid. A regression in the prebuilds or
// in socat shows here first.
//
// The frame a profile sets reaches the kernel: read back from the pty's
// termios with `stty -F`, odd parity, two stop bits, RTS/CTS and XON/XOFF are
// set as asked, and XON/XOFF takes effect (the pty takes 0x11 and 0x13 out of
// what the host reads: why a binary device's profile refuses it). What a pty
// cannot show: Linux's pty forces 8 data bits and no parity (it has no bits on
// a wire: pty_set_termios clears CSIZE and PARENB), and no modem line moves
// for RTS/CTS; data bits and parity are proved to reach the binding's open
// options by test/unit/stream-port.test.ts, on the mock binding.
import * as assert from 'uvu/assert';
import { autoDetect } from '@serialport/bindings-cpp';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hilSuite } from '../helpers/hil';
import { openPtyPair } from '../../device/sim/socat';
import { readBefore, systemClock, type SerialFrame } from '../../device/port';
import { StreamPort } from '../../device/stream-port';

const test = hilSuite('pty through the real binding');

async function open(path: string, frame?: SerialFrame): Promise<StreamPort> {
  const port = new StreamPort({ binding: autoDetect(), path, baudRate: 115_200, bufferBytes: 64, frame });
  await port.open();
  return port;
}

async function readBytes(port: StreamPort, count: number, timeoutMs: number): Promise<number[]> {
  const got: number[] = [];
  const into = new Uint8Array(64);
  const deadlineMs = systemClock.nowMs() + timeoutMs;
  while (got.length < count) got.push(...into.subarray(0, await readBefore(port, into, systemClock, deadlineMs)));
  return got;
}

test('bytes cross a socat pty pair in both directions, all 256 values, through a receive buffer smaller than they are', async () => {
  const pair = await openPtyPair();
  const a = await open(pair.pathA);
  const b = await open(pair.pathB);
  try {
    const every = Uint8Array.from({ length: 256 }, (_, i) => i);
    const atB = readBytes(b, every.length, 5_000);
    await a.write(every);
    await a.drain();
    assert.equal(await atB, [...every]);
    const atA = readBytes(a, 3, 5_000);
    await b.write(Uint8Array.of(0x00, 0x0d, 0x0a));
    assert.equal(await atA, [0x00, 0x0d, 0x0a]);
  } finally {
    await a.close();
    await b.close();
    await pair.close();
  }
});

test('close() ends socat by pid and removes the links; twice is safe', async () => {
  const pair = await openPtyPair();
  assert.ok(existsSync(pair.pathA) && existsSync(pair.pathB));
  await pair.close();
  await pair.close();
  assert.not.ok(existsSync(pair.pathA));
  assert.throws(() => process.kill(pair.pid, 0), 'socat must be gone');
});

/** The termios flags of a tty, as `stty -a` names them (`cstopb` set, `-cstopb` clear). */
function ttyFlags(path: string): Set<string> {
  return new Set(execFileSync('stty', ['-F', path, '-a'], { encoding: 'utf8' }).split(/\s+/));
}

test('the frame reaches the pty: parity odd, stop bits, RTS/CTS and XON/XOFF as asked; 8N1 without flow control by default', async () => {
  const table: [SerialFrame | undefined, string[]][] = [
    [undefined, ['-parodd', '-cstopb', '-crtscts', '-ixon', '-ixoff']],
    [{ dataBits: 8, parity: 'odd', stopBits: 2, flow: 'rts_cts' }, ['parodd', 'cstopb', 'crtscts', '-ixon', '-ixoff']],
    [{ dataBits: 8, parity: 'none', stopBits: 1, flow: 'xon_xoff' }, ['-cstopb', '-crtscts', 'ixon', 'ixoff', '-ixany']],
  ];
  for (const [frame, flags] of table) {
    const pair = await openPtyPair();
    const port = await open(pair.pathA, frame);
    try {
      const set = ttyFlags(pair.pathA);
      for (const flag of flags) assert.ok(set.has(flag), `${JSON.stringify(frame)}: ${flag}`);
    } finally {
      await port.close();
      await pair.close();
    }
  }
});

test('XON/XOFF set on a pty takes 0x11 and 0x13 out of what the host reads', async () => {
  const pair = await openPtyPair();
  const host = await open(pair.pathA, { dataBits: 8, parity: 'none', stopBits: 1, flow: 'xon_xoff' });
  const device = await open(pair.pathB);
  try {
    const atHost = readBytes(host, 3, 5_000);
    await device.write(Uint8Array.of(0x41, 0x13, 0x42, 0x11, 0x43));
    assert.equal(await atHost, [0x41, 0x42, 0x43]);
  } finally {
    await host.close();
    await device.close();
    await pair.close();
  }
});

test.run();
