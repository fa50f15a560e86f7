// Proves `settle-sim emulate …` works on the built bundle against a pty
// that another program opens: socat makes a pty pair, the simulation bundle's
// emulate command (dist/sim.js) serves one end, and this
// test opens the other end with the real serial binding and the drivers. The
// emulator is driven on stdin as an integrator would drive it, and the
// firmware's own `probe` command checks each device through the same ptys,
// and opens its port with the serial frame its flags give (what of it a pty
// keeps: two stop bits, odd parity, RTS/CTS).
import * as assert from 'uvu/assert';
import { autoDetect, type BindingInterface } from '@serialport/bindings-cpp';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CardReader } from '../../device/card-reader';
import { systemClock } from '../../device/port';
import { ReceiptPrinter } from '../../device/printer';
import { QrScanner } from '../../device/qr-scanner';
import { openPtyPair, type PtyPair } from '../../device/sim/socat';
import { StreamPort } from '../../device/stream-port';
import { runSim, runTerminal, startSim, terminalBundle, type RunningTerminal } from '../helpers/cli';
import { hilSuite } from '../helpers/hil';
import { sampleReceipt } from '../suites/printer.suite';

const test = hilSuite('settle-sim emulate on a pty another program opens');

/** Runs `emulate KIND` on one end of a fresh pty pair and gives `body` the other end's path. */
async function withEmulator(kind: string, extra: string[], body: (emulator: RunningTerminal, hostPath: string) => Promise<void>): Promise<void> {
  const pair: PtyPair = await openPtyPair();
  const emulator = startSim(['emulate', kind, '--port', pair.pathB, ...extra]);
  try {
    await emulator.waitFor(/emulator on .* baud/);
    await body(emulator, pair.pathA);
    assert.is(await emulator.stop('SIGTERM'), 0, 'SIGTERM stops the emulator cleanly');
    await emulator.waitFor(/emulator stopped/);
  } finally {
    await emulator.stop('SIGKILL');
    await pair.close();
  }
}

async function openHost(hostPath: string): Promise<StreamPort> {
  const port = new StreamPort({ binding: autoDetect() as BindingInterface, path: hostPath, baudRate: 115_200 });
  await port.open();
  return port;
}

test('card-reader: the driver reads the default valid card; stdin swaps cards (pulled mid-read, wrong PIN)', () =>
  withEmulator('card-reader', [], async (emulator, hostPath) => {
    const reader = new CardReader(await openHost(hostPath), { clock: systemClock });
    try {
      const valid = await reader.readCredential('123456');
      assert.ok(valid.ok && valid.value.name === '陈䶮' && valid.value.idNumber === '11010519491231002X', JSON.stringify(valid));
      emulator.send('insert pulled');
      await emulator.waitFor(/card inserted: pulled/);
      const pulled = await reader.readCredential('123456');
      assert.ok(!pulled.ok && pulled.error.code === 'card_removed');
      emulator.send('insert wrong-pin');
      await emulator.waitFor(/card inserted: wrong-pin/);
      const wrong = await reader.readCredential('123456');
      assert.ok(!wrong.ok && wrong.error.code === 'pin_wrong' && wrong.error.retriesLeft === 2);
      assert.ok(emulator.lines.some((line) => line === 'APDU 0020000003123456 -> 63c2'), 'the emulator logs the APDUs');
    } finally {
      await reader.close();
    }
  }));

test('card-reader --cards FILE: the integrator\'s own cards are served', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cards-'));
  const file = path.join(dir, 'cards.json');
  writeFileSync(file, JSON.stringify({ cards: [{ id: 'mine', cardNumber: 'Z98765432', idNumber: '110101199001017778', name: '欧阳娜娜', areaCode: '440300', pin: '2468' }] }));
  try {
    await withEmulator('card-reader', ['--cards', file], async (_emulator, hostPath) => {
      const reader = new CardReader(await openHost(hostPath), { clock: systemClock });
      try {
        const result = await reader.readCredential('2468');
        assert.ok(result.ok && result.value.name === '欧阳娜娜' && result.value.areaCode === '440300', JSON.stringify(result));
      } finally {
        await reader.close();
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('qr-scanner: `scan TOKEN` and `raw` noise on stdin reach the driver as a token; `scan` refuses what is not a token; the host\'s writes are drained', () =>
  withEmulator('qr-scanner', [], async (emulator, hostPath) => {
    const host = await openHost(hostPath);
    const scanner = new QrScanner(host, { clock: systemClock });
    try {
      // Text without the e-certificate prefix, or with it but a body the format refuses: refused, nothing typed.
      emulator.send('scan HELLO-WORLD-0123456789');
      await emulator.waitForLog(/^emulate: not an e-certificate token: scan takes ECT1: and 16 to 400 base64url characters/);
      emulator.send('scan ECT1:short');
      await emulator.waitForLog(/^emulate: not an e-certificate token: .*\n?$/);
      // 32 KB written to the scanner: the emulator reads it off the line, so the write completes.
      let timer: NodeJS.Timeout | undefined;
      const written = host.write(new Uint8Array(32_768).fill(0x16)).then(() => host.drain()).then(() => 'written');
      assert.is(await Promise.race([written, new Promise((resolve) => (timer = setTimeout(() => resolve('blocked'), 10_000)))]), 'written');
      clearTimeout(timer);
      const next = scanner.next(5_000);
      emulator.send('raw noise-without-end');
      emulator.send('scan ECT1:TypedByTheEmulator_0001');
      assert.equal(await next, { ok: true, value: { kind: 'ecert_token', token: 'ECT1:TypedByTheEmulator_0001' } });
      const sample = scanner.next(5_000);
      emulator.send('scan');
      const token = await sample;
      assert.ok(token.ok && /^ECT1:[A-Za-z0-9_-]{32}$/.test(token.value.token));
    } finally {
      await scanner.close();
    }
  }));

test('printer: the receipt shows on the emulator\'s output; `paper-out` on stdin makes the next print paper_out', () =>
  withEmulator('printer', [], async (emulator, hostPath) => {
    const printer = new ReceiptPrinter(await openHost(hostPath), { clock: systemClock });
    try {
      assert.ok((await printer.print(sampleReceipt())).ok);
      await emulator.waitFor(/^--- cut \(partial\) ---$/);
      assert.ok(emulator.lines.includes('| 异地就医结算单    (center, bold, 2x2)'), emulator.lines.join('\n'));
      assert.ok(emulator.lines.includes('| 统筹基金支付: ¥1,234.56    (right)'));
      assert.ok(emulator.lines.includes('[QR M 6] ECT1:SETTLEMENT-2207-000123456789'));
      emulator.send('paper-out');
      await emulator.waitFor(/paper out/);
      const out = await printer.print(sampleReceipt());
      assert.ok(!out.ok && out.error.code === 'paper_out');
    } finally {
      await printer.close();
    }
  }));

test('probe (firmware drivers) against emulate (simulation), both bundles, over a pty pair', async () => {
  await withEmulator('card-reader', [], async (_emulator, hostPath) => {
    const result = runTerminal(['probe', 'card-reader', '--port', hostPath, '--pin', '123456'], { timeoutMs: 10_000 });
    assert.is(result.code, 0, result.stderr);
    assert.match(result.stdout, /^card: present\nname: 陈䶮\n/);
    assert.match(result.stdout, /id number: 110105\*{8}002X/);
    const wrong = runTerminal(['probe', 'card-reader', '--port', hostPath, '--pin', '0000'], { timeoutMs: 10_000 });
    assert.is(wrong.code, 1);
    assert.match(wrong.stderr, /^settle-terminal probe: pin_wrong: /);
  });
  await withEmulator('printer', [], async (emulator, hostPath) => {
    const result = runTerminal(['probe', 'printer', '--port', hostPath, '--test-print'], { timeoutMs: 10_000 });
    assert.is(result.code, 0, result.stderr);
    assert.match(result.stdout, /printer: cover closed, paper ok\ntest receipt printed/);
    await emulator.waitFor(/^\| 打印测试 {4}\(center, bold, 2x2\)$/);
  });
});

test('probe opens its port with the frame its flags give: the pty keeps two stop bits, odd parity and RTS/CTS while probe waits on it', async () => {
  const pair = await openPtyPair();
  const termios = () => new Set(execFileSync('stty', ['-F', pair.pathA, '-a'], { encoding: 'utf8' }).split(/\s+/));
  try {
    const frame = ['cstopb', 'parodd', 'crtscts'];
    assert.ok(frame.every((flag) => !termios().has(flag)), 'not set before probe opens the pty');
    const probe = spawn(process.execPath, [terminalBundle, 'probe', 'qr-scanner', '--port', pair.pathA, '--wait-ms', '4000', '--stop-bits', '2', '--parity', 'odd', '--flow', 'rts_cts'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => probe.once('exit', resolve));
    let seen = false;
    for (let waited = 0; !seen && waited < 3_500 && probe.exitCode === null; waited += 100) {
      seen = frame.every((flag) => termios().has(flag));
      if (!seen) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(seen, `the pty's termios while probe holds it: ${[...termios()].join(' ')}`);
    assert.is(await exited, 1, 'no token came: timeout, exit 1');
  } finally {
    await pair.close();
  }
});

test('emulate on a path that is no port: port_unavailable, exit 2', () => {
  const result = runSim(['emulate', 'printer', '--port', '/nonexistent/tty'], { timeoutMs: 10_000 });
  assert.is(result.code, 2);
  assert.match(result.stderr, /port_unavailable/);
});

test.run();
