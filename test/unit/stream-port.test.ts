// Proves the port adapter (device/stream-port.ts, SerialPortStream over a
// binding) keeps the port interface's promises on the mock binding: bytes
// already received are returned even to an aborted read, an abort rejects
// with its reason, close rejects a pending read as cancelled and is safe
// twice, operations after close are refused as closed, one read at a time,
// and a port that cannot open says open_failed. And what the stream adds:
// the profile's frame (data bits, parity, stop bits, flow control) reaches the
// binding's open options, 8N1 without flow control when none is given; a slow
// reader leaves what it has not taken with the binding (the stream holds
// about two receive buffers, not everything sent); a drain waits for every
// write asked before it; a write the binding holds (flow control) and a drain
// behind it end as cancelled at close, where the stream alone would wait for
// an `open` that never comes; a device that goes away (the binding's read or
// write fails) fails the pending read and every operation after as io_error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MockBinding, type MockPortBinding } from '@serialport/binding-mock';
import type { BindingInterface, OpenOptions } from '@serialport/bindings-cpp';
import { mockBackend } from '../../device/sim/harness';
import { PortError, type SerialFrame } from '../../device/port';
import { StreamPort } from '../../device/stream-port';

/** The mock binding, recording what it is asked, with faults to inject. */
function recordingBinding() {
  const opened: OpenOptions[] = [];
  const calls: string[] = [];
  const ports: MockPortBinding[] = [];
  let unplug: (error: Error) => void = () => {};
  const unplugged = new Promise<never>((_, reject) => (unplug = reject));
  unplugged.catch(() => {});
  const faults = { holdWrites: false, writeDelayMs: 0, failWrites: false };
  const binding: BindingInterface = {
    list: () => MockBinding.list(),
    async open(options: OpenOptions) {
      opened.push(options);
      const port = (await MockBinding.open(options)) as MockPortBinding;
      ports.push(port);
      const read = port.read.bind(port);
      const write = port.write.bind(port);
      const drain = port.drain.bind(port);
      port.read = (buffer, offset, length) => Promise.race([read(buffer, offset, length), unplugged]);
      port.write = async (buffer) => {
        calls.push(`write ${buffer.length}`);
        if (faults.holdWrites) return new Promise<void>(() => {});
        if (faults.failWrites) throw new Error('EIO: the adapter is gone');
        if (faults.writeDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.writeDelayMs));
        return write(buffer);
      };
      port.drain = () => {
        calls.push('drain');
        return drain();
      };
      return port;
    },
  };
  return { binding, opened, calls, ports, faults, unplug: () => unplug(new Error('ENXIO: the device went away')) };
}

let mockPaths = 0;
function mockPath(): string {
  const path = `/dev/mock-stream-${(mockPaths += 1)}`;
  MockBinding.createPort(path, { echo: false, record: false });
  return path;
}

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

test('the frame reaches the binding: 8N1 without flow control by default, else what the profile says', async () => {
  const frames: [SerialFrame | undefined, Partial<OpenOptions>][] = [
    [undefined, { dataBits: 8, parity: 'none', stopBits: 1, rtscts: false, xon: false, xoff: false, xany: false }],
    [{ dataBits: 7, parity: 'even', stopBits: 1, flow: 'none' }, { dataBits: 7, parity: 'even', stopBits: 1, rtscts: false, xon: false, xoff: false }],
    [{ dataBits: 8, parity: 'odd', stopBits: 1, flow: 'rts_cts' }, { dataBits: 8, parity: 'odd', stopBits: 1, rtscts: true, xon: false, xoff: false }],
    [{ dataBits: 8, parity: 'none', stopBits: 2, flow: 'xon_xoff' }, { dataBits: 8, parity: 'none', stopBits: 2, rtscts: false, xon: true, xoff: true, xany: false }],
  ];
  for (const [frame, expected] of frames) {
    const rec = recordingBinding();
    const port = new StreamPort({ binding: rec.binding, path: mockPath(), baudRate: 9_600, frame });
    await port.open();
    const asked = rec.opened[0] as OpenOptions;
    for (const [key, value] of Object.entries(expected)) assert.is(asked[key as keyof OpenOptions], value, `${JSON.stringify(frame)}: ${key}`);
    assert.is(asked.baudRate, 9_600);
    assert.is((rec.ports[0] as MockPortBinding).openOptions.parity, expected.parity, 'the binding port was opened so');
    await port.close();
  }
});

test('a slow reader leaves what it has not taken with the binding; everything arrives, in order, when it reads', async () => {
  const rec = recordingBinding();
  const port = new StreamPort({ binding: rec.binding, path: mockPath(), baudRate: 115_200, bufferBytes: 64 });
  await port.open();
  try {
    const sent = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) & 0xff);
    (rec.ports[0] as MockPortBinding).emitData(Buffer.from(sent));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const left = (rec.ports[0] as MockPortBinding).port.data.length;
    assert.ok(left >= sent.length - 2 * 64, `the stream took ${sent.length - left} bytes with nobody reading`);
    const got: number[] = [];
    const into = new Uint8Array(100);
    while (got.length < sent.length) got.push(...into.subarray(0, await port.read(into)));
    assert.equal(Buffer.from(got).equals(Buffer.from(sent)), true);
  } finally {
    await port.close();
  }
});

test('a drain waits for every write asked before it', async () => {
  const rec = recordingBinding();
  rec.faults.writeDelayMs = 20;
  const port = new StreamPort({ binding: rec.binding, path: mockPath(), baudRate: 115_200 });
  await port.open();
  try {
    const writes = [port.write(Uint8Array.of(1, 2)), port.write(Uint8Array.of(3, 4, 5))];
    await port.drain();
    assert.equal(rec.calls, ['write 2', 'write 3', 'drain']);
    await Promise.all(writes);
  } finally {
    await port.close();
  }
});

test('a write the binding holds and a drain behind it end as cancelled at close', async () => {
  const rec = recordingBinding();
  const port = new StreamPort({ binding: rec.binding, path: mockPath(), baudRate: 115_200 });
  await port.open();
  rec.faults.holdWrites = true;
  const held = port.write(Uint8Array.of(0x11));
  const queued = port.write(Uint8Array.of(0x12));
  const drained = port.drain();
  await new Promise((resolve) => setTimeout(resolve, 10));
  await port.close();
  assert.equal([await codeOf(held), await codeOf(queued), await codeOf(drained)], ['cancelled', 'cancelled', 'cancelled']);
});

test('a device that goes away fails the pending read and every operation after as io_error', async () => {
  const rec = recordingBinding();
  const port = new StreamPort({ binding: rec.binding, path: mockPath(), baudRate: 115_200 });
  await port.open();
  const pending = port.read(new Uint8Array(8));
  rec.unplug();
  assert.is(await codeOf(pending), 'io_error');
  assert.is(port.isOpen, false);
  assert.is(await codeOf(port.read(new Uint8Array(1))), 'io_error');
  assert.is(await codeOf(port.write(Uint8Array.of(1))), 'io_error');
  await port.close();

  const writer = recordingBinding();
  const other = new StreamPort({ binding: writer.binding, path: mockPath(), baudRate: 115_200 });
  await other.open();
  writer.faults.failWrites = true;
  assert.is(await codeOf(other.write(Uint8Array.of(1))), 'io_error');
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.is(await codeOf(other.drain()), 'io_error', 'the port stays failed');
  await other.close();
});

test.run();
