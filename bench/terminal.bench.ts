// The terminal's two budgets (issue 8; DESIGN.md, performance):
//
// - terminal-line: an outpatient settlement over a 115,200-baud simulated hub
//   line takes at most 1.3 × the line's physical time for the bytes it moves,
//   plus the hub's compute. One settlement is a synthetic patient's visit on
//   the real session, drivers, hub client and journal (src/terminal.ts), from
//   the e-certificate read (state `person`) to the hub-confirmed settlement
//   (state `print`): person, bill, pre-settlement, settlement. The baseline of
//   each visit is what no terminal can beat: its hub-line bytes (both ways)
//   at 10 bits a byte, plus the time the reference hub spent between each
//   request frame and its sealed reply (ReferenceHub.stats.busyNs). Checked
//   first: a visit ends settled, the hub holds that settlement once, and the
//   line carried bytes both ways.
//
// - boot: `settle-terminal run --profile` on the emulated profile, its stores
//   already holding a 200,000-item catalogue, from spawn to its "run: ready"
//   line, against `node -e 0` spawned in the same run (at most 1.5 ×). Checked
//   first: the terminal is ready on the 200,000-item catalogue, not another.
import assert from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { keyring } from '../protocol/crypto';
import { nodeCryptoProvider } from '../protocol/crypto-node';
import { generateCatalogueRecords } from '../device/hub/catalogue-gen';
import { ReferenceHub } from '../device/hub/hub';
import { catalogueLineOf, seedCatalogues, syntheticCredentials, syntheticInstitution } from '../device/hub/seed';
import { KeyQueue } from '../device/keypad';
import { systemClock, type Port } from '../device/port';
import { Site, type SiteTerminal } from '../device/site';
import { fillStores } from '../device/hub/provision';
import type { State } from '../src/session/machine';
import { layouts } from '../src/session/screens';
import type { Session } from '../src/session/session';
import { bootTerminal, type Terminal } from '../src/terminal';
import type { Benchmark } from './harness';

const root = process.cwd();
const bundle = path.join(root, 'dist', 'terminal.js');
const baud = 115_200;
const nsPerS = 1_000_000_000;
/** The synthetic population's seed, and the institution its visits are at (H31010100003, seed institution 1). */
const populationSeed = 41;
const institutionIndex = 1;
const institutions = 4;
const persons = 4 * 400;

// ---- terminal-line ---------------------------------------------------------

interface Visit {
  /** Wall time from `person` to `print`, ns. */
  readonly wallNs: number;
  /** Bytes the hub line carried in that window, both ways. */
  readonly bytes: number;
  /** The hub's compute in that window, ns. */
  readonly hubNs: number;
  /** The settlement id, or null when the visit did not settle. */
  readonly setlId: string | null;
  readonly states: readonly State[];
  readonly mdtrtId: string | null;
}

class LineRig {
  readonly keys = new KeyQueue();
  #next = 0;
  #onState: ((state: State, session: Session) => void) | null = null;

  private constructor(
    readonly dir: string,
    readonly site: Site,
    readonly far: SiteTerminal,
    public terminal: Terminal | null,
  ) {}

  static async open(): Promise<LineRig> {
    const dir = mkdtempSync(path.join(tmpdir(), 'terminal-bench-'));
    const timeS = () => Math.floor(Date.now() / 1_000);
    const site = new Site({ kind: 'emulated', dir, line: { baud, loss: 0, seed: 11 }, clock: systemClock, timeS, openHub: (hubDir) => ReferenceHub.open({ dir: hubDir, timeS }) });
    const institution = syntheticInstitution(institutionIndex);
    site.hub.generate(populationSeed, persons, 1, new Date().toISOString().slice(0, 10));
    const signer = nodeCryptoProvider.signer(new Uint8Array(createHash('sha256').update('terminal bench').digest()));
    const terminalDir = path.join(dir, 'T-BENCH');
    const far = await site.terminal({ id: 'T-BENCH', fixmedinsCode: institution.fixmedins_code, dir: terminalDir, publicKey: signer.publicKey, provision: fillStores });
    const rig = new LineRig(dir, site, far, null);
    const terminal = await bootTerminal({
      id: 'T-BENCH',
      fixmedinsCode: institution.fixmedins_code,
      institutionName: '基准医院 Bench hospital',
      dir: terminalDir,
      signer,
      hubKeys: keyring([nodeCryptoProvider.verifier(far.hubPublicKey)]),
      connect: far.connect as () => Promise<Port>,
      ports: far.ports as NonNullable<SiteTerminal['ports']>,
      display: { show: () => undefined },
      keypad: { next: (signal) => rig.keys.next(signal) },
      timers: systemClock,
      timeS,
      random: Math.random,
      layout: layouts.kiosk,
      offlineFloorFen: 0,
      receiptCells: 32,
      onState: (state, session) => rig.#onState?.(state, session),
    });
    rig.terminal = terminal;
    void terminal.run();
    for (let waited = 0; terminal.client.signedIn === null; waited += 10) {
      assert(waited < 30_000, 'the terminal signs in to the hub');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return rig;
  }

  /** The hub line's bytes so far, both ways (the first three lines are the card reader's, the scanner's and the printer's). */
  hubBytes(): number {
    return this.far.lines.slice(3).reduce((sum, line) => sum + line.forward.received + line.backward.received, 0);
  }

  /** The next synthetic patient at this terminal's institution shows their e-certificate and goes through as a compliant patient would. */
  async visit(): Promise<Visit> {
    const index = institutionIndex + institutions * this.#next;
    this.#next += 1;
    assert(index < persons, `the bench has ${persons / institutions} synthetic patients at its institution`);
    const token = syntheticCredentials(populationSeed, index).find((credential) => credential.kind === 'ecert')?.id as string;
    const states: State[] = [];
    let startNs = 0n;
    let endNs = 0n;
    let bytes = 0;
    let hubNs = 0;
    let setlId: string | null = null;
    let mdtrtId: string | null = null;
    const ended = new Promise<void>((resolve) => {
      this.#onState = (state, session) => {
        states.push(state);
        if (state === 'person') {
          startNs = process.hrtime.bigint();
          bytes = this.hubBytes();
          hubNs = this.site.hub.stats.busyNs;
        } else if (state === 'print') {
          endNs = process.hrtime.bigint();
          bytes = this.hubBytes() - bytes;
          hubNs = this.site.hub.stats.busyNs - hubNs;
          setlId = session.visit.setl?.id ?? null;
          mdtrtId = session.visit.bill?.mdtrt_id ?? null;
        } else if (state === 'review') {
          this.keys.push('ok');
        } else if (state === 'confirm') {
          this.keys.push('1');
          this.keys.push('ok');
        } else if (state === 'done' || state === 'message') {
          this.keys.push('ok');
        } else if (state === 'idle' && states.length > 1) {
          resolve();
        }
      };
    });
    await this.far.scanner.scan(token);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([ended, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`visit of ${token} did not end: ${states.join(' ')}`)), 30_000)))]);
    clearTimeout(timer);
    this.#onState = null;
    return { wallNs: Number(endNs - startNs), bytes, hubNs, setlId, states, mdtrtId };
  }

  /** The visit's physical floor: its bytes at 10 bits each, plus the hub's compute, ns. */
  static floorNs(visit: Visit): number {
    return (visit.bytes * 10 * nsPerS) / baud + visit.hubNs;
  }

  async close(): Promise<void> {
    await this.terminal?.close();
    await this.site.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

let lineRig: LineRig | null = null;
const lineFigures: Visit[] = [];

async function settledVisit(): Promise<Visit> {
  const visit = await (lineRig as LineRig).visit();
  assert(visit.setlId !== null && visit.states.includes('print'), `the visit settled: ${visit.states.join(' ')}`);
  return visit;
}

const terminalLine: Benchmark = {
  name: 'terminal-line',
  title: `an outpatient settlement over a ${baud}-baud simulated hub line vs its bytes' physical time plus the hub's compute`,
  baseline: {
    name: 'physical + hub compute',
    selfTimed: true,
    run: async () => LineRig.floorNs(await settledVisit()),
  },
  contenders: [
    {
      name: 'settlement (person → print)',
      selfTimed: true,
      run: async () => (await settledVisit()).wallNs,
    },
  ],
  async check() {
    lineRig = await LineRig.open();
    for (let index = 0; index < 3; index += 1) {
      const visit = await settledVisit();
      assert.deepEqual(
        // A state entered again (a second page of the pre-settlement) counts once.
        visit.states.filter((state, at) => state !== 'idle' && state !== visit.states[at - 1]),
        ['person', 'bill', 'review', 'confirm', 'settle', 'print', 'done'],
      );
      const held = lineRig.site.hub.state.ledger.filter((settlement) => settlement.event.input.mdtrt_id === visit.mdtrtId && !settlement.reversed && settlement.cancelled === null);
      assert.equal(held.length, 1, `the hub holds ${visit.mdtrtId} once`);
      assert(visit.bytes > 500 && visit.hubNs > 0 && visit.wallNs > (visit.bytes * 10 * nsPerS) / baud, 'the line carried the visit at its baud rate');
      lineFigures.push(visit);
    }
  },
  figures() {
    const last = lineFigures.at(-1) as Visit;
    return {
      'hub-line bytes per settlement (both ways)': last.bytes,
      'physical time, ms': Math.round((last.bytes * 10 * 1_000 * 10) / baud) / 10,
      'hub compute, ms': Math.round(last.hubNs / 100_000) / 10,
    };
  },
  targets: [{ contender: 'settlement (person → print)', ratioMax: 1.3, note: 'a settlement within 1.3 × its bytes’ physical time plus the hub’s compute' }],
  async teardown() {
    await lineRig?.close();
    lineRig = null;
  },
};

// ---- boot ------------------------------------------------------------------

const bootItems = 200_000;
let bootDir: string | null = null;
let bootProfile = '';
let bootVersion = '';

/** A state directory whose stores hold a 200,000-item catalogue signed by its hub, and a profile naming it. */
export async function prepareBoot(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'terminal-boot-'));
  bootDir = dir;
  const state = path.join(dir, 'state');
  mkdirSync(state, { recursive: true });
  const timeS = () => Math.floor(Date.now() / 1_000);
  const site = new Site({ kind: 'emulated', dir: state, line: { baud: 921_600, loss: 0, seed: 1 }, clock: systemClock, timeS, openHub: (hubDir) => ReferenceHub.open({ dir: hubDir, timeS }) });
  const institution = syntheticInstitution(institutionIndex);
  const line = catalogueLineOf(institution);
  const seeded = seedCatalogues().find((catalogue) => catalogue.line === line);
  assert(seeded !== undefined, `a seed catalogue for line ${line}`);
  bootVersion = `bench-${bootItems}`;
  const records = [...seeded.records, ...generateCatalogueRecords(bootItems - seeded.records.length, 20_261_204)];
  site.hub.publish('catalogue', line, bootVersion, records);
  const seed = createHash('sha256').update('boot bench').digest();
  writeFileSync(path.join(state, 'terminal.key'), `${seed.toString('hex')}\n`, { mode: 0o600 });
  await site.terminal({ id: 'T-BOOT', fixmedinsCode: institution.fixmedins_code, dir: state, publicKey: nodeCryptoProvider.signer(new Uint8Array(seed)).publicKey, provision: fillStores });
  await site.close();
  bootProfile = path.join(dir, 'emulated.json');
  writeFileSync(bootProfile, JSON.stringify({ profile: 'emulated', terminal: 'T-BOOT', institution: institution.fixmedins_code, state: 'state', offline_floor_fen: 50_000, line: { baud: 921_600 } }));
  return bootProfile;
}

/** Spawns the terminal, resolves with the ns until its ready line (and that line), then stops it and waits for its exit. */
function bootOnce(): Promise<{ ns: number; ready: string }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [bundle, 'run', '--profile', bootProfile], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let ready: { ns: number; ready: string } | null = null;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (err += chunk));
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (ready !== null) return;
      const line = out.split('\n').find((candidate) => candidate.startsWith('run: ready'));
      if (line === undefined) return;
      ready = { ns: Number(process.hrtime.bigint() - started), ready: line };
      child.kill('SIGTERM');
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (ready !== null && code === 0) resolve(ready);
      else reject(new Error(`the terminal exited ${code} before being ready or stopping cleanly:\n${out}\n${err}`));
    });
  });
}

function nodeE0(): void {
  const result = spawnSync(process.execPath, ['-e', '0'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
}

const boot: Benchmark = {
  name: 'boot',
  title: `settle-terminal run --profile (emulated, a ${bootItems.toLocaleString('en')}-item catalogue) to its ready line vs node -e 0`,
  baseline: { name: 'node -e 0', run: nodeE0 },
  contenders: [{ name: 'run --profile emulated → ready', selfTimed: true, run: async () => (await bootOnce()).ns }],
  async check() {
    await prepareBoot();
    const { ready } = await bootOnce();
    assert.match(ready, new RegExp(`catalogue ${bootVersion}, `), 'ready on the 200,000-item catalogue');
    nodeE0();
  },
  targets: [{ contender: 'run --profile emulated → ready', ratioMax: 1.5, note: 'boot to ready within 1.5 × node -e 0' }],
  teardown() {
    if (bootDir !== null) rmSync(bootDir, { recursive: true, force: true });
    bootDir = null;
  },
};

export default [terminalLine, boot];
