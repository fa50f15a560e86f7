// Proves the port adapter (device/stream-port.ts) keeps the port interface's
// promises on the mock binding: bytes already received are returned even to
// an aborted read, an abort rejects with its reason, close rejects a pending
// read as cancelled and is safe twice, operations after close are refused as
// closed, one read at a time, and a port that cannot open says open_failed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MockBinding } from '@serialport/binding-mock';
import { mockBackend } from '../../device/sim/harness';
import { PortError } from '../../device/port';
import { StreamPort } from '../../device/stream-port';

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof PortError ? error.code : String(error);
  }
};

test('received bytes are returned to an aborted read; an abort with nothing received rejects with its reason', async () => {
  const link = await mockBackend.link();
  try {
    await link.host.write(Uint8Array.of(1, 2, 3));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const into = new Uint8Array(2);
    assert.is(await link.device.read(into, AbortSignal.abort('stop')), 2);
    assert.equal([...into], [1, 2]);
    assert.is(await link.device.read(into, AbortSignal.abort('stop')), 1, 'the rest stayed for the next read');
    assert.is(await codeOf(link.device.read(into, AbortSignal.abort('stop'))), 'stop');
    const controller = new AbortController();
    const pending = link.device.read(into, controller.signal);
    controller.abort('later');
    assert.is(await codeOf(pending), 'later');
  } finally {
    await link.close();
  }
});

test('close rejects a pending read as cancelled; twice is safe; then everything is refused as closed', async () => {
  const link = await mockBackend.link();
  const pending = link.device.read(new Uint8Array(8));
  await link.device.close();
  await link.device.close();
  assert.is(await codeOf(pending), 'cancelled');
  assert.is(link.device.isOpen, false);
  assert.is(await codeOf(link.device.read(new Uint8Array(1))), 'closed');
  assert.is(await codeOf(link.device.write(Uint8Array.of(1))), 'closed');
  assert.is(await codeOf(link.device.drain()), 'closed');
  await link.close();
});

test('one read in flight: a second is a programmer error', async () => {
  const link = await mockBackend.link();
  try {
    const first = link.device.read(new Uint8Array(1));
    assert.throws(() => link.device.read(new Uint8Array(1)), /one read in flight/);
    await link.host.write(Uint8Array.of(9));
    assert.is(await first, 1);
  } finally {
    await link.close();
  }
});

test('write and drain resolve; a port that cannot open is open_failed', async () => {
  const link = await mockBackend.link();
  try {
    await link.host.write(Uint8Array.of(1));
    await link.host.drain();
  } finally {
    await link.close();
  }
  const missing = new StreamPort({ binding: MockBinding, path: '/dev/never-created', baudRate: 9_600 });
  assert.is(await codeOf(missing.open()), 'open_failed');
  assert.is(await codeOf(missing.read(new Uint8Array(1))), 'open_failed');
  await missing.close();
  assert.throws(() => new StreamPort({ binding: MockBinding, path: '', baudRate: 9_600 }), /path/);
  assert.throws(() => new StreamPort({ binding: MockBinding, path: '/x', baudRate: 0 }), /baudRate/);
});

test.run();
