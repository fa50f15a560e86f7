// Proves the real serial binding (@serialport/bindings-cpp, loaded from its
// shipped prebuild: npm 11 runs no install scripts) opens pseudo-terminals
// made by socat and moves bytes both ways through the firmware's port
// adapter (device/stream-port.ts, the binding's port used directly), and that
// every socat started is ended by pid. A regression in the prebuilds or in
// socat shows here first.
import * as assert from 'uvu/assert';
import { autoDetect } from '@serialport/bindings-cpp';
import { existsSync } from 'node:fs';
import { hilSuite } from '../helpers/hil';
import { openPtyPair } from '../../device/sim/socat';
import { readBefore, systemClock } from '../../device/port';
import { StreamPort } from '../../device/stream-port';

const test = hilSuite('pty through the real binding');

async function open(path: string): Promise<StreamPort> {
  const port = new StreamPort({ binding: autoDetect(), path, baudRate: 115_200, bufferBytes: 64 });
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

test.run();
