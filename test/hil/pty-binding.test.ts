// Proves the real serial binding (@serialport/bindings-cpp, loaded from its
// shipped prebuild: npm 11 runs no install scripts) opens pseudo-terminals
// made by socat and moves bytes both ways, and that every socat started is
// ended by pid. A regression in the prebuilds or in socat shows here first.
import * as assert from 'uvu/assert';
import { autoDetect } from '@serialport/bindings-cpp';
import { SerialPortStream } from '@serialport/stream';
import { existsSync } from 'node:fs';
import { hilSuite } from '../helpers/hil';
import { openPtyPair } from '../../device/socat';

const test = hilSuite('pty through the real binding');

function open(path: string): Promise<SerialPortStream> {
  return new Promise((resolve, reject) => {
    const port = new SerialPortStream({ binding: autoDetect(), path, baudRate: 115_200 });
    port.once('open', () => resolve(port));
    port.once('error', reject);
  });
}

function readBytes(port: SerialPortStream, count: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const timer = setTimeout(() => reject(new Error(`read ${length} of ${count} bytes in ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= count) {
        clearTimeout(timer);
        port.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    port.on('data', onData);
  });
}

function close(port: SerialPortStream): Promise<void> {
  return new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
}

test('bytes cross a socat pty pair in both directions, all 256 values', async () => {
  const pair = await openPtyPair();
  const a = await open(pair.pathA);
  const b = await open(pair.pathB);
  try {
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const atB = readBytes(b, every.length, 5_000);
    a.write(every);
    assert.equal([...(await atB)], [...every]);
    const atA = readBytes(a, 3, 5_000);
    b.write(Buffer.from([0x00, 0x0d, 0x0a]));
    assert.equal([...(await atA)], [0x00, 0x0d, 0x0a]);
  } finally {
    await close(a);
    await close(b);
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
