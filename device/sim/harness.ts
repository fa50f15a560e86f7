// The hardware-in-loop harness: backends that give a driver a port and an
// emulator the far end of the same line (docs/conventions.md habit 8). Each driver suite
// is written once against `Backend` and run twice: on the mock binding (unit
// tier) and on the real binding over socat ptys (hil tier), optionally through
// the line simulator.
//
// Test-only: the mock backend imports `@serialport/binding-mock`, a
// devDependency. Neither bundle (terminal.js, sim.js) imports this file.
import { MockBinding, type MockPortBinding } from '@serialport/binding-mock';
import { autoDetect, type BindingInterface, type OpenOptions } from '@serialport/bindings-cpp';
import { LineSimulator, type LineOptions } from './line';
import { systemClock, type Clock, type Port, type SerialFrame } from '../port';
import { openPtyPair, type PtyPair } from './socat';
import { StreamPort } from '../stream-port';

/** Both ends of one line, opened. */
export interface Link {
  /** Where the driver sits (the terminal's side). */
  readonly host: Port;
  /** Where the emulator sits (the device's side). */
  readonly device: Port;
  /** The simulator between them, when one was asked for. */
  readonly line: LineSimulator | null;
  /** Closes both ports, the simulator and any socat started; safe twice. */
  close(): Promise<void>;
}

export interface LinkOptions {
  readonly baudRate?: number;
  /** Every port's frame, and the simulator's (8N1 when absent). */
  readonly frame?: SerialFrame;
  /** Puts a line simulator between host and device. */
  readonly line?: LineOptions;
  readonly clock?: Clock;
}

export interface Backend {
  readonly name: 'mock' | 'pty';
  link(options?: LinkOptions): Promise<Link>;
}

// The mock binding keeps one table of ports per process; this one links them
// in pairs: bytes written on one end are received on the other.
const peers = new Map<string, string>();
const openMocks = new Map<string, MockPortBinding>();
let mockPairs = 0;

const linkedMockBinding: BindingInterface = {
  list: () => MockBinding.list(),
  async open(options: OpenOptions) {
    const port = (await MockBinding.open(options)) as MockPortBinding;
    const path = options.path;
    openMocks.set(path, port);
    const write = port.write.bind(port);
    port.write = async (buffer: Buffer) => {
      await write(buffer);
      const peer = openMocks.get(peers.get(path) as string);
      // A line with nothing at the far end loses what is sent, as a real one does.
      if (peer?.isOpen) peer.emitData(Buffer.from(buffer));
    };
    const close = port.close.bind(port);
    port.close = async () => {
      openMocks.delete(path);
      await close();
    };
    return port;
  },
};

function mockPaths(): { pathA: string; pathB: string } {
  mockPairs += 1;
  const pathA = `/dev/mock-${mockPairs}-a`;
  const pathB = `/dev/mock-${mockPairs}-b`;
  MockBinding.createPort(pathA, { echo: false, record: false });
  MockBinding.createPort(pathB, { echo: false, record: false });
  peers.set(pathA, pathB);
  peers.set(pathB, pathA);
  return { pathA, pathB };
}

async function openPort(binding: BindingInterface, path: string, baudRate: number, frame?: SerialFrame): Promise<StreamPort> {
  const port = new StreamPort({ binding, path, baudRate, frame });
  await port.open();
  return port;
}

/** Opens host and device ends over `pairs()` wires: one wire direct, two with a simulator between. */
async function linkOver(
  binding: BindingInterface,
  pair: () => Promise<{ pathA: string; pathB: string; close(): Promise<void> }>,
  options: LinkOptions,
): Promise<Link> {
  const baudRate = options.baudRate ?? 115_200;
  const wires: { close(): Promise<void> }[] = [];
  const ports: StreamPort[] = [];
  let line: LineSimulator | null = null;
  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= (async () => {
      line?.stop();
      for (const port of ports) await port.close();
      for (const wire of wires) await wire.close();
    })();
    return closed;
  };
  try {
    const first = await pair();
    wires.push(first);
    const host = await openPort(binding, first.pathA, baudRate, options.frame);
    ports.push(host);
    let device: StreamPort;
    if (options.line === undefined) {
      device = await openPort(binding, first.pathB, baudRate, options.frame);
      ports.push(device);
    } else {
      const second = await pair();
      wires.push(second);
      const lineHost = await openPort(binding, first.pathB, baudRate, options.frame);
      ports.push(lineHost);
      const lineDevice = await openPort(binding, second.pathA, baudRate, options.frame);
      ports.push(lineDevice);
      device = await openPort(binding, second.pathB, baudRate, options.frame);
      ports.push(device);
      line = new LineSimulator(lineHost, lineDevice, { frame: options.frame, ...options.line }, options.clock ?? systemClock);
      line.start();
    }
    return { host, device, line, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Unit tier: the mock binding, linked in pairs in this process. */
export const mockBackend: Backend = Object.freeze({
  name: 'mock' as const,
  link(options: LinkOptions = {}) {
    return linkOver(linkedMockBinding, async () => ({ ...mockPaths(), close: async () => {} }), options);
  },
});

/** HIL tier: the real binding on both ends of socat pty pairs, each socat ended by pid. */
export const ptyBackend: Backend = Object.freeze({
  name: 'pty' as const,
  link(options: LinkOptions = {}) {
    return linkOver(autoDetect() as BindingInterface, (): Promise<PtyPair> => openPtyPair(), options);
  },
});
