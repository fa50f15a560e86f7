// Proves the firmware's `probe` says what happened when a device fails it
// (issue 19, unclear errors), over a socat pty pair whose far end this test
// plays: a silent card reader is "no answer to PRESENCE (0x31)" (the command
// by name, not a decimal) after the time it really waited, and a reader that
// NAKs every frame uses up its tries early and says so with the time that
// really passed (never a timeout it did not wait); a QR scanner that sends
// lines without a token and an over-long line "answered with garbage",
// distinct from one that sent nothing ("did not answer"); a printer that
// answers its status query with bytes that are no status bytes "answered
// with garbage", distinct from a silent one. The reported times are checked
// against the wall clock around the probe (it cannot report more than passed).
import * as assert from 'uvu/assert';
import { autoDetect, type BindingInterface } from '@serialport/bindings-cpp';
import { spawn } from 'node:child_process';
import { CardCommand, findFrame, sealFrame } from '../../device/card-frame';
import { deviceExchangeTimeoutMs } from '../../device/limits';
import { openPtyPair } from '../../device/sim/socat';
import { StreamPort } from '../../device/stream-port';
import { terminalBundle } from '../helpers/cli';
import { hilSuite } from '../helpers/hil';

const test = hilSuite('probe names what happened: the command, the real time, garbage apart from silence');

interface Probed {
  readonly code: number | null;
  readonly stderr: string;
  readonly wallMs: number;
}

/** Runs `probe ARGS --port A` while `far` plays the device on the pty's other end (null: nothing answers). */
async function probeAgainst(args: string[], far: ((port: StreamPort, bytes: Uint8Array) => Promise<void>) | null): Promise<Probed> {
  const pair = await openPtyPair();
  const device = new StreamPort({ binding: autoDetect() as BindingInterface, path: pair.pathB, baudRate: 115_200 });
  await device.open();
  let reading = true;
  const loop = (async () => {
    const into = new Uint8Array(4_096);
    while (reading) {
      try {
        const got = await device.read(into, AbortSignal.timeout(100));
        if (far !== null) await far(device, into.slice(0, got));
      } catch {
        // a read the 100 ms poll cut short, or the port closing
      }
    }
  })();
  try {
    const started = Date.now();
    const child = spawn(process.execPath, [terminalBundle, 'probe', ...args, '--port', pair.pathA], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { code, stderr, wallMs: Date.now() - started };
  } finally {
    reading = false;
    await loop;
    await device.close();
    await pair.close();
  }
}

test('card-reader, silent: the command by name and hex, the time it really waited (the exchange timeout)', async () => {
  const probed = await probeAgainst(['card-reader'], null);
  assert.is(probed.code, 1, probed.stderr);
  const said = /^settle-terminal probe: timeout: no answer to PRESENCE \(0x31\) in ([0-9]+) ms, ([0-9]) tries\n$/.exec(probed.stderr);
  assert.ok(said !== null, probed.stderr);
  const ms = Number(said[1]);
  assert.ok(ms >= deviceExchangeTimeoutMs - 1 && ms <= probed.wallMs, `${ms} ms reported, ${probed.wallMs} ms passed`);
});

test('card-reader, every frame NAKed: its tries used up early, and the time that really passed, not the timeout', async () => {
  const nak = new Uint8Array(16);
  const length = sealFrame(nak, CardCommand.nak, 1);
  const probed = await probeAgainst(['card-reader'], async (port, bytes) => {
    if (findFrame(bytes, bytes.length) !== null) await port.write(nak.subarray(0, length));
  });
  assert.is(probed.code, 1, probed.stderr);
  const said = /^settle-terminal probe: timeout: no answer to PRESENCE \(0x31\) in ([0-9]+) ms, 6 tries\n$/.exec(probed.stderr);
  assert.ok(said !== null, probed.stderr);
  const ms = Number(said[1]);
  assert.ok(ms < deviceExchangeTimeoutMs && ms <= probed.wallMs, `${ms} ms reported, ${probed.wallMs} ms passed`);
});

test('qr-scanner: lines without a token and an over-long line are garbage; nothing at all is a timeout', async () => {
  const silent = await probeAgainst(['qr-scanner', '--wait-ms', '1500'], null);
  assert.is(silent.code, 1);
  assert.is(silent.stderr, 'settle-terminal probe: timeout: the device did not answer in time\n');
  // A scanner that types: the far end writes as soon as the probe has opened its end (it reads nothing from it).
  const typed = await (async () => {
    const pair = await openPtyPair();
    const device = new StreamPort({ binding: autoDetect() as BindingInterface, path: pair.pathB, baudRate: 115_200 });
    await device.open();
    try {
      const child = spawn(process.execPath, [terminalBundle, 'probe', 'qr-scanner', '--wait-ms', '1500', '--port', pair.pathA], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      // Typed again and again until the probe gives up: whenever it opened its end, some of it arrives whole.
      let typing = true;
      void exited.then(() => (typing = false));
      while (typing) {
        await device.write(Buffer.from(`HELLO WORLD\r${'A'.repeat(2_000)}\rECT1:\r`));
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return { code: await exited, stderr };
    } finally {
      await device.close();
      await pair.close();
    }
  })();
  assert.is(typed.code, 1, typed.stderr);
  const said = /^settle-terminal probe: protocol_error: answered with garbage \(([0-9]+) lines, ([0-9]+) over-long\)\n$/.exec(typed.stderr);
  assert.ok(said !== null && Number(said[1]) > 0 && Number(said[2]) > 0, typed.stderr);
});

test('printer: bytes that are no status bytes are garbage; silence is a timeout', async () => {
  const silent = await probeAgainst(['printer'], null);
  assert.is(silent.code, 1);
  assert.is(silent.stderr, 'settle-terminal probe: timeout: the device did not answer in time\n');
  // 0xff has the bits a status byte must have clear set: never a status byte.
  const noisy = await probeAgainst(['printer'], async (port, bytes) => {
    if (bytes.includes(0x04)) await port.write(new Uint8Array([0xff, 0xff, 0xff]));
  });
  assert.is(noisy.code, 1, noisy.stderr);
  assert.match(noisy.stderr, /^settle-terminal probe: protocol_error: answered with garbage \([0-9]+ bytes\)\n$/);
});

test.run();
