// Proves that `settle-terminal run` (the firmware, kiosk profile, on socat pty
// ports) stops promptly and cleanly on SIGTERM while its hub line is silent:
// during boot's first sync, idle with its sign-in being retried, mid-visit
// (a person query unanswered) and with a settle in flight whose answer never
// comes back; each time it exits 0 with `stopped` in its log within a
// generous liveness bound (a supervisor's stop, TimeoutStopSec, is 30 s), not
// after the hub client's every attempt. What is stored survives the stop: a
// settle whose answer does not come within the stop's grace is reversed
// (queued, then sent at the next boot, when the hub answers again), one whose
// answer comes within it stands and its receipt prints at the next boot:
// never lost and never doubled; a stop while the queue is being sent leaves
// it queued. The hub
// line's far end is a tap between the pty and the reference hub that drops
// the frames a test says (a silent hub hears them and never answers). And the
// hub client's close ends a request whose write waits on a pty nobody reads
// (a line that will not drain) and closes that port.
import * as assert from 'uvu/assert';
import { autoDetect } from '@serialport/bindings-cpp';
import type { BindingInterface } from '@serialport/bindings-interface';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bytesToHex } from '../../protocol/crypto';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { CardReaderEmulator } from '../../device/sim/card-reader-emulator';
import { Gb18030Encoder } from '../../device/gb18030';
import { ReferenceHub } from '../../device/sim/hub/hub';
import { PrinterEmulator } from '../../device/sim/printer-emulator';
import { QrScannerEmulator } from '../../device/sim/qr-scanner-emulator';
import { seedCards } from '../../device/sim/site';
import { openPtyPair } from '../../device/sim/socat';
import { StreamPort } from '../../device/stream-port';
import { PortError, type Port } from '../../device/port';
import { startTerminal, type RunningTerminal } from '../helpers/cli';
import { hilSuite, ptyFarEnds } from '../helpers/hil';
import { FrameTap, openHub, openTerminal, tempDir, WallClock, zhangDayS } from '../helpers/hub-rig';
import { wang } from '../helpers/terminal-rig';

const test = hilSuite('run stops on SIGTERM with a silent hub');

/** How long a stop may take: generous (a loaded machine), far under the client's attempts on a silent hub (8 × 3 s per request). */
const stopBoundMs = 10_000;

/** Copies bytes from one port to another until either closes. */
async function pump(from: Port, to: Port): Promise<void> {
  const buffer = new Uint8Array(4_096);
  for (;;) {
    let count: number;
    try {
      count = await from.read(buffer);
      await to.write(buffer.slice(0, count));
    } catch (error) {
      if (error instanceof PortError) return;
      throw error;
    }
  }
}

interface Kiosk {
  readonly profile: string;
  readonly hub: ReferenceHub;
  readonly tap: FrameTap;
  readonly qr: QrScannerEmulator;
  /** Frame types the hub never hears (up) or whose answers never come back (down) or are held back (hold, until tap.release()). */
  readonly mute: { up: Set<string>; down: Set<string>; hold: Set<string>; all: boolean };
  close(): Promise<void>;
}

/** The kiosk profile on four pty pairs; emulators on the device ends, the reference hub behind a tap on the hub line. */
async function kiosk(dir: string): Promise<Kiosk> {
  const ends = ptyFarEnds();
  const timeS = () => Math.floor(Date.now() / 1_000);
  const hub = ReferenceHub.open({ dir: path.join(dir, 'hub'), timeS });
  const far = ends.far;
  const [card, scanner, printer, line] = [await far(), await far(), await far(), await far()];
  const reader = new CardReaderEmulator(card.port, { encoder: new Gb18030Encoder(), cards: seedCards(), inserted: null });
  reader.start();
  const qr = new QrScannerEmulator(scanner.port);
  qr.start();
  new PrinterEmulator(printer.port).start();
  const mute = { up: new Set<string>(), down: new Set<string>(), hold: new Set<string>(), all: false };
  const tap = new FrameTap();
  tap.up = (_index, type) => (mute.all || mute.up.has(type) ? 'drop' : 'deliver');
  tap.down = (_index, type) => (mute.all || mute.down.has(type) ? 'drop' : mute.hold.has(type) ? 'hold' : 'deliver');
  void pump(line.port, tap.terminalEnd);
  void pump(tap.terminalEnd, line.port);
  void hub.serve(tap.hubPort);
  const state = path.join(dir, 'state');
  mkdirSync(state, { recursive: true });
  const seed = new Uint8Array(32).fill(11);
  writeFileSync(path.join(state, 'terminal.key'), `${bytesToHex(seed)}\n`, { mode: 0o600 });
  hub.enroll('SH-K10', nodeCryptoProvider.signer(seed).publicKey, wang.fixmedins_code);
  const profile = path.join(dir, 'kiosk.json');
  const spec = (port: { path: string }) => ({ path: port.path, baud: 115_200 });
  const frames = { card_reader: spec(card), qr_scanner: spec(scanner), printer: spec(printer), hub: spec(line) };
  writeFileSync(profile, JSON.stringify({ profile: 'kiosk', terminal: 'SH-K10', institution: wang.fixmedins_code, state, hub_key: bytesToHex(hub.publicKey), ports: frames }));
  return {
    profile,
    hub,
    tap,
    qr,
    mute,
    async close() {
      tap.stop();
      await ends.close();
      await hub.close();
    },
  };
}

/** Resolves once the tap has seen `count` frames of `type` going up. */
async function heard(site: Kiosk, type: string, count = 1, timeoutMs = 20_000): Promise<void> {
  for (let waited = 0; site.tap.frames.filter((frame) => frame.direction === 'up' && frame.type === type).length < count; waited += 50) {
    if (waited > timeoutMs) throw new Error(`no ${count} ${type} frame(s) in ${timeoutMs} ms:\n${site.tap.log.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sends SIGTERM and asserts a clean stop: exit 0 and `stopped` logged within the bound (SIGKILL after it, so a hang fails rather than waits). */
async function stopsCleanly(terminal: RunningTerminal, what: string): Promise<void> {
  process.kill(terminal.pid, 'SIGTERM');
  const force = setTimeout(() => {
    try {
      process.kill(terminal.pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }, stopBoundMs);
  const code = await terminal.exited();
  clearTimeout(force);
  assert.is(code, 0, `${what}: exit 0 within ${stopBoundMs} ms of SIGTERM\n${terminal.stderr()}`);
  assert.ok(terminal.logs.some((line) => / info stopped$/.test(line)), `${what}: stopped logged\n${terminal.stderr()}`);
}

/** Boots once with the hub answering, so the state has its catalogue and policy book, and exits at ready. */
async function synced(site: Kiosk): Promise<void> {
  const first = startTerminal(['run', '--profile', site.profile, '--exit-at-ready']);
  await first.waitForLog(/ info ready /, 60_000);
  assert.is(await first.exited(), 0, first.stderr());
}

/** Mr. Wang's visit up to his settle request, heard by the hub: signed in, his e-certificate scanned, the bill paged through, confirmed. */
async function settleWang(site: Kiosk, terminal: RunningTerminal): Promise<void> {
  await terminal.waitForLog(/ info hub sign-in session=\d+$/, 30_000);
  await site.qr.scan(wang.ecert);
  await terminal.waitFor(/费用明细 Bill/, 15_000);
  terminal.send('ok');
  terminal.send('ok');
  await terminal.waitFor(/确认结算 Confirm/, 10_000);
  terminal.send('1');
  terminal.send('ok');
  await heard(site, 'settle');
}

test("SIGTERM during boot's first sync, the hub silent: stops", async () => {
  const temp = tempDir('run-stop-boot-');
  const site = await kiosk(temp.dir);
  try {
    site.mute.all = true;
    const terminal = startTerminal(['run', '--profile', site.profile]);
    try {
      await heard(site, 'sign_in');
      await stopsCleanly(terminal, 'during the first sync');
      assert.not.ok(terminal.logs.some((line) => / info ready /.test(line)), 'it never got ready');
    } finally {
      await terminal.stop('SIGKILL');
    }
  } finally {
    await site.close();
    temp.remove();
  }
});

test('SIGTERM while idle with the sign-in being retried on a silent hub: stops', async () => {
  const temp = tempDir('run-stop-idle-');
  const site = await kiosk(temp.dir);
  try {
    await synced(site);
    site.mute.all = true;
    const before = site.tap.frames.filter((frame) => frame.type === 'sign_in').length;
    const terminal = startTerminal(['run', '--profile', site.profile]);
    try {
      await terminal.waitForLog(/ info ready /, 30_000);
      await heard(site, 'sign_in', before + 2);
      await stopsCleanly(terminal, 'idle, signing in');
    } finally {
      await terminal.stop('SIGKILL');
    }
  } finally {
    await site.close();
    temp.remove();
  }
});

test('SIGTERM mid-visit, a person query unanswered: stops', async () => {
  const temp = tempDir('run-stop-visit-');
  const site = await kiosk(temp.dir);
  try {
    await synced(site);
    site.mute.up.add('person_query');
    const terminal = startTerminal(['run', '--profile', site.profile]);
    try {
      await terminal.waitForLog(/ info hub sign-in session=\d+$/, 30_000);
      await site.qr.scan(wang.ecert);
      await heard(site, 'person_query');
      await stopsCleanly(terminal, 'mid-visit');
    } finally {
      await terminal.stop('SIGKILL');
    }
  } finally {
    await site.close();
    temp.remove();
  }
});

test('SIGTERM with a settle in flight whose answer never comes: stops; the settlement is reversed at the next boot, never doubled', async () => {
  const temp = tempDir('run-stop-settle-');
  const site = await kiosk(temp.dir);
  try {
    await synced(site);
    // The hub settles, its answer is lost, and the line goes silent for the retries.
    site.mute.down.add('settle_reply');
    const terminal = startTerminal(['run', '--profile', site.profile]);
    try {
      await settleWang(site, terminal);
      site.mute.all = true;
      await stopsCleanly(terminal, 'a settle in flight');
    } finally {
      await terminal.stop('SIGKILL');
    }
    const settled = () => site.hub.state.ledger.filter((settlement) => settlement.event.input.mdtrt_id === wang.mdtrt_id);
    assert.is(settled().length, 1, 'the hub settled once');
    // A boot on a hub that signs it in but never hears the reversal: it is being sent when the stop comes; it stays queued.
    site.mute.all = false;
    site.mute.down.clear();
    site.mute.up.add('reversal');
    const silent = startTerminal(['run', '--profile', site.profile]);
    try {
      await silent.waitForLog(/ info ready .* queued=1$/, 30_000);
      await heard(site, 'reversal');
      await stopsCleanly(silent, 'forwarding the queue');
    } finally {
      await silent.stop('SIGKILL');
    }
    assert.not.ok(settled()[0]?.reversed, 'the hub never heard the reversal');
    // The next boot, the hub answering again: the settlement left without a verdict is reversed (still queued, now sent).
    site.mute.up.clear();
    const again = startTerminal(['run', '--profile', site.profile]);
    try {
      await again.waitForLog(/ info ready .* queued=1$/, 30_000);
      await again.waitForLog(/ info hub sign-in session=\d+$/, 30_000);
      for (let waited = 0; waited < 15_000 && !settled()[0]?.reversed; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(settled()[0]?.reversed, `reversed at the hub:\n${site.tap.log.join('\n')}`);
      await stopsCleanly(again, 'after the reversal');
    } finally {
      await again.stop('SIGKILL');
    }
    assert.equal(settled().map((settlement) => settlement.reversed), [true], 'settled once, reversed: nothing in force, never doubled');
  } finally {
    await site.close();
    temp.remove();
  }
});

test('SIGTERM with a settle in flight whose answer comes within the grace: stops; the settlement stands and its receipt prints at the next boot', async () => {
  const temp = tempDir('run-stop-settled-');
  const site = await kiosk(temp.dir);
  try {
    await synced(site);
    site.mute.hold.add('settle_reply');
    const terminal = startTerminal(['run', '--profile', site.profile]);
    try {
      await settleWang(site, terminal);
      for (let waited = 0; waited < 10_000 && site.hub.state.ledger.length === 0; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      // The stop asked while the answer is on its way: it arrives a moment later, within the grace.
      setTimeout(() => void site.tap.release(), 500);
      await stopsCleanly(terminal, 'a settle answered during the stop');
    } finally {
      await terminal.stop('SIGKILL');
    }
    const settled = () => site.hub.state.ledger.filter((settlement) => settlement.event.input.mdtrt_id === wang.mdtrt_id);
    assert.equal(settled().map((settlement) => settlement.reversed), [false], 'settled once and standing');
    const again = startTerminal(['run', '--profile', site.profile]);
    try {
      // Its receipt never printed (the stop came first): the journal's confirmed settlement prints again at boot.
      await again.waitForLog(/ warn recovered .*reprinted=S\d+$/, 30_000);
      await again.waitForLog(/ info ready .* queued=0$/, 30_000);
      await stopsCleanly(again, 'after the reprint');
    } finally {
      await again.stop('SIGKILL');
    }
    assert.equal(settled().map((settlement) => settlement.reversed), [false], 'still standing: nothing reversed it');
  } finally {
    await site.close();
    temp.remove();
  }
});

test("the client's close on a hub line that will not drain (a pty nobody reads): the request waiting on its write ends, the port closes", async () => {
  const temp = tempDir('run-stop-drain-');
  const pair = await openPtyPair();
  const port = new StreamPort({ binding: autoDetect() as BindingInterface, path: pair.pathA, baudRate: 115_200 });
  const hub = openHub(path.join(temp.dir, 'hub'), new WallClock(zhangDayS));
  try {
    await port.open();
    // A megabyte nobody reads fills the pty: every write after it waits.
    const stuck = port.write(new Uint8Array(1 << 20)).then(
      () => 'written',
      (error: PortError) => error.code,
    );
    // Attempts far longer than the bound: only the close can end this sign-in in time.
    const terminal = await openTerminal({ storeDir: path.join(temp.dir, 'terminal'), link: async () => port, hub, clock: new WallClock(zhangDayS), client: { requestTimeoutMs: 30_000, attemptsMax: 1 } });
    const signing = terminal.client.signIn();
    await new Promise((resolve) => setTimeout(resolve, 200));
    let bound: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (bound = setTimeout(() => resolve('late'), stopBoundMs)));
    assert.is(await Promise.race([terminal.client.close().then(() => 'closed'), late]), 'closed', 'close() within the bound');
    const out = await Promise.race([signing, late]);
    clearTimeout(bound);
    assert.ok(out !== 'late' && !out.ok && out.error.code === 'timeout', `the sign-in ended as unanswered: ${JSON.stringify(out)}`);
    assert.is(await stuck, 'cancelled', 'the write nobody read was cancelled by the close');
    assert.not.ok(port.isOpen, 'the port is closed');
  } finally {
    await port.close();
    await pair.close();
    await hub.close();
    temp.remove();
  }
});

test.run();
