// Proves the firmware is field-complete: dist/terminal.js copied alone into
// an empty folder runs everything an installer or a service engineer needs
// on the device. With nothing beside it: version and --version, settle and
// settle --explain on a case of examples/, catalogue apply (a signed
// snapshot, then a signed delta), inspect and lookup, frame decode of a line
// capture, cose sign and verify. With only the native serial binding beside
// it (node_modules/@serialport/bindings-cpp and the packages it requires at
// run time, copied from this checkout: what a device gets): probe of the
// card reader, the QR scanner and the printer, and run on the kiosk profile,
// whose ports are socat ptys held at their far ends by this test (the
// emulators and the reference hub), up to a settled patient. Every command
// runs under `node --disallow-code-generation-from-strings`: nothing of the
// firmware (cbor-x included: protocol/cbor-encode.ts) needs code built from
// strings. Skipped without socat.
import * as assert from 'uvu/assert';
import { autoDetect } from '@serialport/bindings-cpp';
import type { BindingInterface } from '@serialport/bindings-interface';
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bytesToHex } from '../../protocol/crypto';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { createSealer } from '../../protocol/envelope';
import { Catalogue } from '../../src/catalogue/layout';
import { Gb18030Encoder } from '../../device/gb18030';
import { StreamPort } from '../../device/stream-port';
import { CardReaderEmulator } from '../../device/sim/card-reader-emulator';
import { ReferenceHub } from '../../device/sim/hub/hub';
import { PrinterEmulator } from '../../device/sim/printer-emulator';
import { QrScannerEmulator } from '../../device/sim/qr-scanner-emulator';
import { seedCards } from '../../device/sim/site';
import { openPtyPair } from '../../device/sim/socat';
import { projectRoot, runSim, terminalBundle, type CliResult } from '../helpers/cli';
import { hilSuite, ptyFarEnds } from '../helpers/hil';
import { sampleMessage } from '../helpers/messages';
import { zhang } from '../helpers/terminal-rig';

const test = hilSuite('the firmware alone in an empty folder runs every field command');

/** The empty folder the firmware is copied into, like a device's install directory. */
const device = mkdtempSync(path.join(tmpdir(), 'field-'));
const firmware = path.join(device, 'terminal.js');
/** The engineer's files (catalogue updates, a capture, a case) live in a folder of their own. */
const work = mkdtempSync(path.join(tmpdir(), 'field-work-'));
process.on('exit', () => {
  rmSync(device, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

/** Runs the copied firmware from its own folder; the event loop keeps running (the far ends are in this process). */
function field(args: readonly string[], input?: string | Buffer, timeoutMs = 30_000): Promise<CliResult & { bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disallow-code-generation-from-strings', firmware, ...args], { cwd: device, env: { PATH: process.env.PATH ?? '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const bytes = Buffer.concat(out);
      resolve({ code, stdout: bytes.toString('utf8'), stderr, bytes });
    });
    child.stdin.end(input);
  });
}

/** The packages a module requires at run time: it and its dependencies, as npm installed them here. */
function runtimeClosure(name: string, found = new Set<string>()): Set<string> {
  if (found.has(name)) return found;
  found.add(name);
  const manifest = JSON.parse(readFileSync(path.join(projectRoot, 'node_modules', name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  for (const dependency of Object.keys(manifest.dependencies ?? {})) runtimeClosure(dependency, found);
  return found;
}

test('the folder holds the firmware and nothing else', () => {
  copyFileSync(terminalBundle, firmware);
  assert.equal(readdirSync(device), ['terminal.js']);
});

test('version and --version', async () => {
  const version = await field(['version']);
  assert.is(version.code, 0, version.stderr);
  assert.match(version.stdout, /^settle-terminal \d+\.\d+\.\d+ \(node /);
  assert.is((await field(['--version'])).stdout, version.stdout);
});

test('settle and settle --explain on a case of examples/', async () => {
  const name = '01-zhang-referral-inpatient-three-layers.json';
  copyFileSync(path.join(projectRoot, 'examples', name), path.join(work, name));
  const expected = JSON.parse(readFileSync(path.join(projectRoot, 'test', 'fixtures', 'cases', name), 'utf8')).expected;
  const settled = await field(['settle', path.join(work, name)]);
  assert.is(settled.code, 0, settled.stderr);
  assert.equal(JSON.parse(settled.stdout), expected);
  const explained = await field(['settle', '--explain', path.join(work, name)]);
  assert.is(explained.code, 0, explained.stderr);
  assert.match(explained.stdout, /Medical assistance \(extreme_poverty\).*pays 7939\.70/);
  const jsonl = await field(['settle', '--jsonl'], `${readFileSync(path.join(work, name), 'utf8').replace(/\n/g, '')}\n`);
  assert.equal(JSON.parse(jsonl.stdout), expected);
});

test('catalogue apply (a signed snapshot, then a signed delta), inspect and lookup', async () => {
  const hubSeed = 'ab'.repeat(32);
  const hubPub = bytesToHex(nodeCryptoProvider.signer(new Uint8Array(32).fill(0xab)).publicKey);
  const file = (name: string) => path.join(work, name);
  // The hub's side makes the updates (the simulation bundle): v1 as a snapshot, v1 -> v2 as a delta.
  for (const args of [
    ['catalogue', 'generate', '--items', '200', '--seed', '7', '--version', 'field-v1', '--out', file('v1.cat')],
    ['catalogue', 'generate', '--items', '220', '--seed', '8', '--version', 'field-v2', '--out', file('v2.cat')],
    ['catalogue', 'generate', '--items', '200', '--seed', '7', '--version', 'field-v1', '--out', file('v1.snapshot'), '--sign-seed', hubSeed, '--serial', '1', '--line', '11'],
    ['catalogue', 'delta', file('v1.cat'), file('v2.cat'), '--out', file('v2.delta'), '--sign-seed', hubSeed, '--serial', '2', '--line', '11'],
  ]) {
    const made = runSim(args);
    assert.is(made.code, 0, made.stderr);
  }
  const store = path.join(device, 'state');
  mkdirSync(store);
  const stored = path.join(store, 'catalogue.bin');
  const snapshot = await field(['catalogue', 'apply', stored, file('v1.snapshot'), '--hub-pub', hubPub, '--line', '11']);
  assert.is(snapshot.code, 0, snapshot.stderr);
  assert.match(snapshot.stdout, /-> field-v1 \(serial 1\)/);
  const delta = await field(['catalogue', 'apply', stored, file('v2.delta'), '--hub-pub', hubPub, '--line', '11']);
  assert.is(delta.code, 0, delta.stderr);
  assert.match(delta.stdout, /field-v1 -> field-v2 \(serial 2\)/);
  const inspected = await field(['catalogue', 'inspect', stored, '--hub-pub', hubPub, '--json']);
  assert.is(inspected.code, 0, inspected.stderr);
  assert.is(JSON.parse(inspected.stdout).version, 'field-v2');
  const v2 = new Catalogue(new Uint8Array(readFileSync(file('v2.cat'))));
  const code = v2.codeAt(5);
  const found = await field(['catalogue', 'lookup', stored, code]);
  assert.is(found.code, 0, found.stderr);
  assert.equal(JSON.parse(found.stdout), JSON.parse(JSON.stringify(v2.record(code))));
  const wrongKey = await field(['catalogue', 'apply', stored, file('v1.snapshot'), '--hub-pub', 'cd'.repeat(32), '--line', '11']);
  assert.is(wrongKey.code, 1, 'an update under another key is refused');
});

test('frame decode of a line capture, and cose sign and verify', async () => {
  const terminal = nodeCryptoProvider.signer(new Uint8Array(32).fill(1));
  const capture = path.join(work, 'line.bin');
  writeFileSync(capture, Buffer.concat([createSealer(terminal, 'up').seal(sampleMessage('sign_in', 1), 0), createSealer(terminal, 'up').seal(sampleMessage('settle', 2), 7)]));
  const decoded = await field(['frame', 'decode', '--pub', bytesToHex(terminal.publicKey), capture]);
  assert.is(decoded.code, 0, decoded.stderr);
  assert.equal(
    decoded.stdout.trimEnd().split('\n').map((line) => JSON.parse(line).type),
    ['sign_in', 'settle'],
  );
  const payload = Buffer.from('a payload to sign');
  const signed = await field(['cose', 'sign', '--seed', '01'.repeat(32)], payload);
  assert.is(signed.code, 0, signed.stderr);
  const verified = await field(['cose', 'verify', '--pub', bytesToHex(terminal.publicKey)], signed.bytes);
  assert.is(verified.code, 0, verified.stderr);
  assert.equal(verified.bytes, payload);
});

test('with the native binding beside it: probe the card reader, the QR scanner and the printer', async () => {
  for (const name of runtimeClosure('@serialport/bindings-cpp')) cpSync(path.join(projectRoot, 'node_modules', name), path.join(device, 'node_modules', name), { recursive: true });
  assert.ok(existsSync(path.join(device, 'node_modules', '@serialport', 'bindings-cpp', 'package.json')));
  await withFarEnd(async (hostPath, port) => {
    const reader = new CardReaderEmulator(port, { encoder: new Gb18030Encoder(), cards: seedCards(), inserted: null });
    reader.start();
    reader.insert(zhang.psn_no.toLowerCase());
    const probed = await field(['probe', 'card-reader', '--port', hostPath, '--pin', '123456']);
    assert.is(probed.code, 0, probed.stderr);
    assert.match(probed.stdout, /card: present[\s\S]*name: 张/);
    await reader.close();
  });
  await withFarEnd(async (hostPath, port) => {
    const scanner = new QrScannerEmulator(port);
    const probing = field(['probe', 'qr-scanner', '--port', hostPath, '--wait-ms', '20000']);
    let done = false;
    void probing.then(() => (done = true));
    // Scan until the probe has its token (it opens its port some time after it starts).
    while (!done) {
      await scanner.scan('ECT1:FIELD-TEST-TOKEN-0001');
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const probed = await probing;
    assert.is(probed.code, 0, probed.stderr);
    assert.match(probed.stdout, /^token: ECT1:FIELD-TEST-TOKEN-0001$/m);
    await scanner.close();
  });
  await withFarEnd(async (hostPath, port) => {
    const printer = new PrinterEmulator(port);
    printer.start();
    const probed = await field(['probe', 'printer', '--port', hostPath, '--test-print']);
    assert.is(probed.code, 0, probed.stderr);
    assert.match(probed.stdout, /printer: cover closed, paper ok\ntest receipt printed/);
    await printer.close();
  });
});

test('with the native binding beside it: run on the kiosk profile settles a patient and stops on SIGTERM', async () => {
  const ends = ptyFarEnds();
  const timeS = () => Math.floor(Date.now() / 1_000);
  const hub = ReferenceHub.open({ dir: path.join(work, 'hub'), timeS });
  const far = ends.far;
  try {
    const [card, scanner, printer, line] = [await far(), await far(), await far(), await far()];
    const reader = new CardReaderEmulator(card.port, { encoder: new Gb18030Encoder(), cards: seedCards(), inserted: null });
    reader.start();
    new QrScannerEmulator(scanner.port).start();
    const paper = new PrinterEmulator(printer.port);
    paper.start();
    void hub.serve(line.port);
    const state = path.join(device, 'kiosk-state');
    mkdirSync(state, { recursive: true });
    const seed = new Uint8Array(32).fill(11);
    writeFileSync(path.join(state, 'terminal.key'), `${bytesToHex(seed)}\n`, { mode: 0o600 });
    hub.enroll('BJ-K11', nodeCryptoProvider.signer(seed).publicKey, zhang.fixmedins_code);
    const profile = path.join(device, 'kiosk.json');
    const spec = (port: { path: string }) => ({ path: port.path, baud: 115_200 });
    writeFileSync(profile, JSON.stringify({ profile: 'kiosk', terminal: 'BJ-K11', institution: zhang.fixmedins_code, state: 'kiosk-state', hub_key: bytesToHex(hub.publicKey), ports: { card_reader: spec(card), qr_scanner: spec(scanner), printer: spec(printer), hub: spec(line) } }));
    const child = spawn(process.execPath, [firmware, 'run', '--profile', profile], { cwd: device, env: { PATH: process.env.PATH ?? '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const waitFor = async (pattern: RegExp, timeoutMs: number, where = () => stdout) => {
      for (const started = Date.now(); !pattern.test(where()); await new Promise((resolve) => setTimeout(resolve, 50))) {
        if (Date.now() - started > timeoutMs || child.exitCode !== null) throw new Error(`no ${pattern} in:\n${stdout}\n${stderr}`);
      }
    };
    try {
      await waitFor(/ info ready ms=\d+ terminal=BJ-K11 profile=kiosk catalogue=beijing-2026\.03 /, 30_000, () => stderr);
      reader.insert(zhang.psn_no.toLowerCase());
      await waitFor(/请输入社保卡密码/, 10_000);
      child.stdin.write('123456\n');
      await waitFor(/费用明细 Bill/, 15_000);
      child.stdin.write('ok\nok\n');
      await waitFor(/确认结算 Confirm/, 10_000);
      child.stdin.write('ok\n');
      await waitFor(/结算完成 Settled/, 15_000);
      const settled = hub.state.ledger.find((settlement) => settlement.event.input.mdtrt_id === zhang.mdtrt_id);
      assert.ok(settled !== undefined && !settled.reversed && settled.cancelled === null, 'in force at the hub');
      child.kill('SIGTERM');
      assert.is(await exited, 0, stderr);
      assert.match(stderr, / info stopped$/m);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  } finally {
    await ends.close();
    await hub.close();
  }
  // What the device folder holds at the end: the firmware, the binding, and what the commands wrote.
  assert.equal(readdirSync(device).sort(), ['kiosk-state', 'kiosk.json', 'node_modules', 'state', 'terminal.js']);
});

/** A socat pty pair: the far end opened here with the real binding, the host path for the firmware. */
async function withFarEnd(body: (hostPath: string, port: StreamPort) => Promise<void>): Promise<void> {
  const pair = await openPtyPair();
  const port = new StreamPort({ binding: autoDetect() as BindingInterface, path: pair.pathB, baudRate: 115_200 });
  await port.open();
  try {
    await body(pair.pathA, port);
  } finally {
    await port.close();
    await pair.close();
  }
}

test.run();
