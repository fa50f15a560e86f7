// `npm start` (`settle-sim demo`): the kiosks of three hospitals and a
// pharmacy's handheld, on the emulated profile, against the reference hub, in
// one process (issue 8). The firmware's own terminal (session, drivers, hub
// client, journal: `bootTerminal` of src/terminal.ts) runs on the ports of device/sim/site.ts;
// this module plays the patients at the far ends (cards inserted, PINs typed,
// e-certificates scanned, keys pressed), prints what the screens show and what
// the printer emulator printed, and ends with the day's reconciliation and an
// audit of the hub against the terminals' journals.
//
// Patients: Mr. Zhang's referral inpatient bill in Beijing (card and PIN),
// Aunt Wang's monthly medicines in Shanghai (e-certificate, personal
// account), a Hegang retiree's hypertension visit in Shenyang (card), a
// Jiaxing employee's medicines at a Shanghai pharmacy's handheld (card; its
// 20×4 screens shown whole, labelled as the handheld's), and a
// Hebei resident who never filed, refused in Beijing for want of a filing,
// offered a temporary filing at the kiosk (its cut shown), who files and
// settles (issue 16); then `--patients N`
// synthetic ones (e-certificates), each at the terminal of its institution.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { keyring } from '../../protocol/crypto';
import type { BodyOf, Person } from '../../protocol/messages';
import { applyAccDelta } from '../../src/core/accumulators';
import { parseOptions, UsageError, type CliIo } from '../../src/cli/command';
import { decodeRecord } from '../../src/journal/records';
import { nodeJournalStorage, type JournalStorage } from '../../src/journal/storage';
import type { TerminalJournal } from '../../src/journal/journal';
import type { State } from '../../src/session/machine';
import { layouts } from '../../src/session/screens';
import type { Session } from '../../src/session/session';
import { lineLog, textFields, type Log } from '../../src/log';
import type { KioskUiBundle } from '../../src/cli/run';
import { bootTerminal, type Terminal } from '../../src/terminal';
import { TextDisplay } from '../display';
import { KeyQueue } from '../keypad';
import { ReferenceHub } from './hub/hub';
import { seedIdentities, seedPersons, syntheticCredentials, syntheticInstitution, syntheticPerson, syntheticPsnNo } from './hub/seed';
import { lineBaudMin, lineLossBpMax } from '../limits';
import { systemClock, type Clock, type Port } from '../port';
import { seededRandom } from './prng';
import { Site, type SiteTerminal } from './site';
import { fillStores } from './hub/provision';
import { VirtualClock } from './virtual-clock';
import { compareLedgers, startDemoGateway, type DemoGateway } from './demo-gateway';
import { demoSyntax } from './usage';


export interface DemoOptions {
  readonly seed: number;
  readonly baud: number;
  /** The chance a frame on a hub line is spoiled (a byte lost, flipped or doubled). */
  readonly loss: number;
  readonly patients: number;
  readonly state: string | null;
  readonly json: boolean;
  /** With the kiosk's touch-screen page (`--ui`): on this port of 127.0.0.1 (0: a free one). */
  readonly ui: boolean;
  readonly uiPort: number;
  /** Whose time the run keeps: the process's (`real`) or a VirtualClock's that jumps from timer to timer (`virtual`). */
  readonly clock: 'real' | 'virtual';
  /** Fails the run when nothing progresses for this many seconds of the run's clock; null: no watchdog. */
  readonly watchdogS: number | null;
  /** The terminals meet the gateway, which calls the national simulator (`--gateway`), instead of the reference hub. */
  readonly gateway: boolean;
}

/** The kiosk whose page `--ui` serves: its patients (Mr. Zhang, the unfiled one) are driven from the page. */
export const demoUiTerminal = 'BJ-K01';

/** Reads the demo's flags strictly: a stable code and exit 2 for anything wrong. */
export function parseDemoArgs(args: readonly string[]): DemoOptions {
  let values: Record<string, string | boolean | undefined>;
  // A value that looks negative (`--loss -0.1`) is the flag's value, refused below by its own rule, not a flag.
  const joined = args.flatMap((arg, index) => (/^-[0-9.]/.test(arg) && /^--[a-z-]+$/.test(args[index - 1] ?? '') ? [] : /^--[a-z-]+$/.test(arg) && /^-[0-9.]/.test(args[index + 1] ?? '') ? [`${arg}=${args[index + 1]}`] : [arg]));
  try {
    const parsed = parseArgs({ args: joined, strict: true, allowPositionals: false, options: parseOptions(demoSyntax.flags) });
    values = parsed.values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new UsageError(`bad_flag: ${(error as Error).message.split('\n')[0]} (usage: settle-sim ${demoSyntax.synopsis})`);
  }
  const whole = (name: string, min: number, max: number, fallback: number): number => {
    const text = values[name] as string | undefined;
    if (text === undefined) return fallback;
    if (!/^[0-9]{1,10}$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`invalid_${name.replace('-', '_')}: --${name} must be a whole number from ${min} to ${max}, got '${text}'`);
    return Number(text);
  };
  const lossText = values.loss as string | undefined;
  const lossMax = lineLossBpMax / 10_000;
  if (lossText !== undefined && (!/^(0|0?\.[0-9]{1,6})$/.test(lossText) || Number(lossText) * 10_000 > lineLossBpMax)) {
    throw new UsageError(`invalid_loss: --loss must be a fraction from 0 to ${lossMax} (a frame fault rate, e.g. 0.02; above ${lossMax} a line is not taken), got '${lossText}'`);
  }
  const clock = (values.clock as string | undefined) ?? 'real';
  if (clock !== 'real' && clock !== 'virtual') throw new UsageError(`invalid_clock: --clock must be 'real' or 'virtual', got '${clock}'`);
  const watchdog = values['watchdog-s'] as string | undefined;
  if (watchdog !== undefined && (!/^[0-9]{1,5}$/.test(watchdog) || Number(watchdog) < 1 || Number(watchdog) > 86_400)) {
    throw new UsageError(`invalid_watchdog: --watchdog-s must be a whole number of seconds from 1 to 86400, got '${watchdog}'`);
  }
  const state = values.state as string | undefined;
  if (state !== undefined && (state === '' || state.includes('\0'))) throw new UsageError('invalid_state: --state must name a directory');
  const ui = values.ui === true;
  if (values['ui-port'] !== undefined && !ui) throw new UsageError('bad_flag: --ui-port goes with --ui');
  if (ui && values.json === true) throw new UsageError('bad_flag: --json does not go with --ui (with the page on, stdout carries only its address)');
  // The gateway's calls to the platform are real sockets, which go on in wall time while a virtual clock would jump.
  if (values.gateway === true && clock === 'virtual') throw new UsageError("bad_flag: --gateway runs on the real clock (its HTTP calls take wall time), not with --clock virtual");
  return {
    seed: whole('seed', 0, 0xffff_ffff, 1),
    baud: whole('baud', lineBaudMin, 4_000_000, 115_200),
    loss: lossText === undefined ? 0 : Number(lossText),
    patients: whole('patients', 0, 10_000, 0),
    state: state === undefined ? null : path.resolve(state),
    json: values.json === true,
    ui,
    uiPort: whole('ui-port', 0, 65_535, 0),
    clock,
    watchdogS: watchdog === undefined ? null : Number(watchdog),
    gateway: values.gateway === true,
  };
}

/** The demo's terminals: three hospitals' kiosks and a pharmacy's handheld (the seed institutions). */
const sites = [
  { id: 'BJ-K01', fixmedins: 'H11010600001', name: '北京市示范三甲医院', layout: 'kiosk' },
  { id: 'SH-K01', fixmedins: 'H31010100003', name: '上海市示范三甲医院', layout: 'kiosk' },
  { id: 'SY-K01', fixmedins: 'H21010200013', name: '沈阳市慢特病试点示范医院', layout: 'kiosk' },
  { id: 'SH-P01', fixmedins: 'P31010400021', name: '上海市示范联网药店', layout: 'handheld' },
] as const;

/** The demo's day: 2026-06-30, from 09:00 China time, as the hub and the terminals see it. */
const dayStartS = Date.parse('2026-06-30T01:00:00Z') / 1_000;
const demoDay = '2026-06-30';

interface Plan {
  readonly label: string;
  readonly site: (typeof sites)[number];
  readonly psnNo: string;
  /** A card in the reader (its id) with its PIN, or an e-certificate token scanned. */
  readonly card: string | null;
  readonly token: string | null;
  readonly account: boolean;
  readonly cancel: boolean;
  /** Screens and receipt shown (the seed patients), else one line. */
  readonly verbose: boolean;
}

export interface Outcome {
  readonly terminal: string;
  readonly patient: string;
  readonly outcome: 'settled' | 'offline' | 'refused' | 'cancelled';
  readonly code: string | null;
  readonly setl_id: string | null;
  readonly medfee_sumamt: number;
  readonly fund_pay_sumamt: number;
  readonly acct_pay: number;
  readonly psn_cash_pay: number;
}

function plans(options: DemoOptions): Plan[] {
  const identities = seedIdentities();
  const at = (code: string) => sites.find((site) => site.fixmedins === code) as (typeof sites)[number];
  const seed = (index: number, label: string, byCard: boolean, account: boolean): Plan => {
    const identity = identities[index] as (typeof identities)[number];
    return { label, site: at(identity.fixmedins_code), psnNo: identity.psn_no, card: byCard ? identity.psn_no.toLowerCase() : null, token: byCard ? null : identity.ecert, account, cancel: false, verbose: true };
  };
  const list = [
    seed(0, "Mr. Zhang of Xingtang, Hebei: referral inpatient bill, three layers settled in one step", true, false),
    seed(1, "Aunt Wang, retired in Jiaxing, living in Shanghai: her monthly medicines, from her personal account", false, true),
    seed(2, 'A Hegang retiree relocated to Shenyang: hypertension care at a pilot hospital', true, false),
    seed(5, 'An employee from Jiaxing on a temporary filing buys medicines at a Shanghai pharmacy, on its handheld terminal', true, false),
    seed(4, 'A Hebei resident who never filed: offered a temporary filing at the kiosk, files, settles', false, false),
  ];
  const random = seededRandom(options.seed);
  for (let index = 0; index < options.patients; index += 1) {
    const token = syntheticCredentials(options.seed, index).find((credential) => credential.kind === 'ecert')?.id as string;
    list.push({ label: `synthetic patient ${syntheticPsnNo(options.seed, index)}`, site: at(syntheticInstitution(index).fixmedins_code), psnNo: syntheticPsnNo(options.seed, index), card: null, token, account: random.below(2) === 0, cancel: random.below(10) === 0, verbose: false });
  }
  return list;
}

/** A journal storage that SIGKILLs the process at a chosen commit (the power-cut test's seeded kill points). */
function killingStorage(spec: string | undefined, say: (line: string) => void): JournalStorage {
  const storage = nodeJournalStorage();
  const match = /^(append|intent|done|printed|filing|filed):([0-9]{1,6})$/.exec(spec ?? '');
  if (match === null) return storage;
  let left = Number(match[2]);
  // filing, filed: before a filing application's intent, and before its answer (the hub has filed; the patient has not settled).
  const kinds: Record<string, string> = { intent: 'settle_intent', done: 'done', printed: 'printed', filing: 'filing_intent', filed: 'filing_done' };
  return {
    ...storage,
    append(file, bytes) {
      // One record per commit: its kind is in the payload after the 8-byte record head.
      const kind = match[1] === 'append' ? 'append' : decodeRecord(bytes.subarray(8))?.kind;
      if ((kind === 'append' || kind === kinds[match[1] as string]) && --left <= 0) {
        // Said synchronously: the cut comes before anything else this process would do.
        writeSync(1, `demo: power cut before the ${kind} commit\n`);
        process.kill(process.pid, 'SIGKILL');
      }
      storage.append(file, bytes);
    },
  };
}

/** The printer's port, killing the process once `bytes` of receipts have gone to it (a power cut mid-receipt). */
function killingPrinter(port: Port, spec: string | undefined): Port {
  const match = /^print:([0-9]{1,6})$/.exec(spec ?? '');
  if (match === null) return port;
  let left = Number(match[1]);
  return {
    get path() {
      return port.path;
    },
    get isOpen() {
      return port.isOpen;
    },
    open: () => port.open(),
    read: (into, signal) => port.read(into, signal),
    async write(bytes) {
      // Status queries are six bytes; a receipt is written in larger chunks.
      if (bytes.length > 6 && (left -= bytes.length) <= 0) {
        await port.write(bytes.subarray(0, bytes.length + left));
        writeSync(1, 'demo: power cut in the middle of a receipt\n');
        process.kill(process.pid, 'SIGKILL');
      }
      return port.write(bytes);
    },
    drain: () => port.drain(),
    close: () => port.close(),
  };
}

interface Kiosk {
  readonly site: (typeof sites)[number];
  readonly far: SiteTerminal;
  readonly keys: KeyQueue;
  readonly terminal: Terminal;
  /** Its patients act on its touch-screen page (`--ui`), not by the demo's hand. */
  readonly byPage: boolean;
  /** The patient being served, and what happened. */
  patient: { plan: Plan; outcome: Outcome | null; done: () => void } | null;
  printed: number;
}

/** Runs the demo; resolves to the exit code. */
export async function runDemo(args: readonly string[], io: CliIo): Promise<number> {
  const options = parseDemoArgs(args);
  const out = (text: string) => void io.stdout.write(text);
  // With the page on, stdout carries its address alone: the story goes to stderr as log entries, with time and level.
  const log: Log | null = options.ui ? lineLog('text', (line) => void io.stderr.write(`${line}\n`), Date.now) : null;
  const say = log === null ? (line: string) => out(`${line}\n`) : (text: string) => { for (const line of text.split('\n')) if (line.trim() !== '') log('info', line.trim()); };
  const root = options.state ?? mkdtempSync(path.join(tmpdir(), 'settle-demo-'));
  mkdirSync(root, { recursive: true });
  // Every timed party of the run (lines, terminals, hub) keeps the one clock: the process's, or a virtual one.
  const virtual = options.clock === 'virtual' ? new VirtualClock() : null;
  const clock: Clock = virtual ?? systemClock;
  const wallStartMs = performance.now();
  const startMs = clock.nowMs();
  const timeS = () => dayStartS + Math.floor((clock.nowMs() - startMs) / 1_000);
  const kill = io.env.SETTLE_DEMO_KILL;
  const watchdog = new Watchdog(clock, options.watchdogS, virtual !== null);
  // --gateway: the terminals' hub is the gateway (a reference hub whose handler calls the national simulator).
  const national = options.gateway ? await startDemoGateway(root, sites, timeS, clock) : null;
  const site = new Site({ kind: 'emulated', dir: root, hubDir: path.join(root, 'hub'), line: { baud: options.baud, loss: options.loss, seed: options.seed }, clock, timeS, openHub: (dir) => ReferenceHub.open({ dir, timeS, timers: clock, ...(national === null ? {} : { handler: national.handler }) }) });
  if (national !== null) say(`demo: terminal -> gateway -> national simulator at ${national.url} (the gateway's journal in ${path.join(root, 'gateway-db')})`);
  if (options.patients > 0 && national !== null && national.nationalHub.state.population(options.seed)?.persons !== options.patients) national.nationalHub.generate(options.seed, options.patients, 1, demoDay);
  if (options.patients > 0 && site.hub.state.population(options.seed)?.persons !== options.patients) site.hub.generate(options.seed, options.patients, 1, demoDay);
  // A state directory used before: the patients whose bill an earlier run settled are not played again.
  const all = plans(options);
  const list = all.filter((plan) => site.hub.state.pendingBills(plan.psnNo, plan.site.fixmedins, 1).length > 0);
  say(`demo: ${list.length} patients${all.length > list.length ? ` (${all.length - list.length} settled in an earlier run)` : ''}, ${options.baud} baud, frame fault rate ${options.loss} on the hub lines, seed ${options.seed}${virtual === null ? '' : ', virtual clock'}${options.watchdogS === null ? '' : `, watchdog ${options.watchdogS} s`}; state in ${root}`);
  const kiosks = new Map<string, Kiosk>();
  const storage = killingStorage(kill, say);
  let ui: Awaited<ReturnType<KioskUiBundle['startKioskUi']>> | null = null;
  try {
    for (const spec of sites) {
      if (!list.some((plan) => plan.site === spec)) continue;
      const dir = path.join(root, spec.id);
      const signer = nodeCryptoProvider.signer(new Uint8Array(createHash('sha256').update(`demo terminal ${spec.id}`).digest()));
      const far = await site.terminal({ id: spec.id, fixmedinsCode: spec.fixmedins, dir, publicKey: signer.publicKey, provision: fillStores });
      const keys = new KeyQueue();
      const display = new TextDisplay(out, layouts[spec.layout].cols);
      const byPage = log !== null && spec.id === demoUiTerminal;
      // The page's server, as `run` loads it for a profile with a ui_port: its own bundle beside this one.
      if (byPage) ui = await (require('./kiosk-ui.js') as KioskUiBundle).startKioskUi({ port: options.uiPort, push: (key) => keys.push(key), log: (level, msg, fields) => (log as Log)(level, msg, { terminal: spec.id, ...fields }) });
      // The kiosk's record is complete once its terminal has booted; the patients act on it only after that.
      const kiosk = { site: spec, far, keys, byPage, patient: null, printed: 0 } as Omit<Kiosk, 'terminal'> as Kiosk;
      const ports = far.ports as NonNullable<SiteTerminal['ports']>;
      (kiosk as { terminal: Terminal }).terminal = await bootTerminal({
        id: spec.id,
        fixmedinsCode: spec.fixmedins,
        institutionName: spec.name,
        dir,
        storage,
        signer,
        hubKeys: keyring([nodeCryptoProvider.verifier(far.hubPublicKey)]),
        connect: far.connect as () => Promise<Port>,
        ports: { card: ports.card, scanner: ports.scanner, printer: killingPrinter(ports.printer, kill) },
        // The demo's console shows each frame after the state it belongs to: a kiosk's without its empty rows
        // at the bottom, the handheld's whole (its display is 20×4, every row drawn).
        display: ui !== null && byPage ? ui.display : {
          show(frame) {
            if (log !== null || !kiosk.patient?.plan.verbose) return;
            let rows = frame.length;
            while (spec.layout === 'kiosk' && rows > 1 && (frame[rows - 1] as string).trim() === '') rows -= 1;
            say(`[${spec.id} ${spec.layout === 'handheld' ? `handheld ${layouts.handheld.cols}×${layouts.handheld.rows} ` : ''}${kiosk.terminal?.session.state ?? 'idle'}]`);
            display.show(frame.slice(0, rows));
          },
        },
        keypad: keys,
        timers: clock,
        timeS,
        random: seededRandom(options.seed).next,
        layout: layouts[spec.layout],
        offlineFloorFen: 50_000,
        receiptCells: spec.layout === 'handheld' ? 32 : 48,
        hubBaud: options.baud,
        // The demo's console is a story, not a log: each entry as its kiosk's line, without the time (with --ui, the log on stderr).
        log: log !== null ? (level, msg, fields) => log(level, msg, { terminal: spec.id, ...fields }) : (level, msg, fields) => say(`${spec.id}: ${level === 'info' ? '' : `${level} `}${msg}${textFields(fields ?? {})}`),
      });
      kiosk.terminal.session.on('state', (state) => {
        watchdog.progress(`${spec.id} ${state}`);
        act(kiosk, state, kiosk.terminal.session, say);
      });
      kiosks.set(spec.id, kiosk);
    }
    if (ui !== null) {
      out(`${ui.address}\n`);
      (log as Log)('info', 'ui', { address: ui.address, terminal: demoUiTerminal, patients: list.filter((plan) => plan.site.id === demoUiTerminal).length });
    }
    const running = [...kiosks.values()].map((kiosk) => kiosk.terminal.run());
    const day = async () => {
      const outcomes: Outcome[] = [];
      for (const plan of list) {
        outcomes.push(await play(kiosks.get(plan.site.id) as Kiosk, plan, say));
        watchdog.progress(`${plan.psnNo} ${outcomes.at(-1)?.outcome}`);
      }
      return endOfDay([...kiosks.values()], outcomes, options, site.hub, say, watchdog);
    };
    const dayRun = day();
    // Past a tripped watchdog the day is abandoned: what it then meets (ports closed under it) is no failure of its own.
    dayRun.catch(() => undefined);
    const settled = await Promise.race([dayRun, watchdog.tripped]);
    if (settled === 'tripped') {
      const message = watchdog.message([...kiosks.values()].map((kiosk) => `${kiosk.site.id} ${kiosk.terminal.session.state}${kiosk.patient === null ? '' : ` (${kiosk.patient.plan.psnNo})`}`));
      say(`demo: watchdog: ${message}`);
      io.stderr.write(`settle-sim demo: watchdog: ${message}\n`);
      watchdog.lastResort();
      return 3;
    }
    const gatewaySummary = national === null ? null : gatewayReport(national, site.hub, say);
    const summary = { ...settled, ...(gatewaySummary === null ? {} : { gateway: gatewaySummary }), time: { clock: options.clock, run_ms: Math.round(clock.nowMs() - startMs), quiet_max_ms: Math.round(watchdog.quietMaxMs), wall_ms: Math.round(performance.now() - wallStartMs) } };
    watchdog.stop();
    for (const kiosk of kiosks.values()) await kiosk.terminal.close();
    await Promise.all(running);
    say(`time: ${(summary.time.run_ms / 1_000).toFixed(1)} s on the ${options.clock} clock, ${(summary.time.wall_ms / 1_000).toFixed(1)} s of wall time`);
    if (options.json) say(JSON.stringify(summary));
    return summary.reconciliation.agree && summary.audit.ok && (gatewaySummary?.ledgers.equal ?? true) ? 0 : 1;
  } finally {
    watchdog.stop();
    for (const kiosk of kiosks.values()) await kiosk.terminal.close().catch(() => undefined);
    await (ui as { close(): Promise<void> } | null)?.close();
    await site.close();
    await national?.close();
    virtual?.stop();
    watchdog.closed();
    if (options.state === null) rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Fails a run that makes no progress (issue 19): no kiosk entered a state, no
 * patient finished and no reconciliation ended for `seconds` of the run's
 * clock. Armed on that clock, so with the virtual clock a run stuck in
 * retries, or one waiting on nothing at all, reaches it in virtual time (its
 * timer is always pending, so the clock moves to it). Once tripped, the run
 * closes its terminals and lines; when closing itself does not end within
 * closeWallMs of wall time, the process exits 3 anyway: never a hang.
 */
class Watchdog {
  readonly tripped: Promise<'tripped'>;
  #trip: () => void = () => undefined;
  #lastMs: number;
  readonly #startMs: number;
  #last = 'the start';
  #handle: unknown = null;
  #force: ReturnType<typeof setTimeout> | null = null;
  static readonly closeWallMs = 10_000;
  /** The longest time without progress so far, ms of the run's clock (what a watchdog must allow). */
  quietMaxMs = 0;

  constructor(
    private readonly clock: Clock,
    private readonly seconds: number | null,
    private readonly virtual: boolean,
  ) {
    this.#lastMs = clock.nowMs();
    this.#startMs = this.#lastMs;
    this.tripped = new Promise((resolve) => (this.#trip = () => resolve('tripped')));
    this.#arm();
  }

  /** Something moved: the run is alive. */
  progress(what: string): void {
    this.quietMaxMs = Math.max(this.quietMaxMs, this.clock.nowMs() - this.#lastMs);
    this.#lastMs = this.clock.nowMs();
    this.#last = what;
  }

  #arm(): void {
    if (this.seconds === null) return;
    this.#handle = this.clock.setTimeout(() => {
      this.#handle = null;
      if (this.clock.nowMs() - this.#lastMs >= this.seconds! * 1_000) this.#trip();
      else this.#arm();
    }, this.#lastMs + this.seconds * 1_000 - this.clock.nowMs());
  }

  message(where: readonly string[]): string {
    return `no progress for ${this.seconds} s on the ${this.virtual ? 'virtual' : 'real'} clock (last: ${this.#last} at ${((this.#lastMs - this.#startMs) / 1_000).toFixed(1)} s into the run)${where.length > 0 ? `; the kiosks: ${where.join(', ')}` : ''}; the run fails`;
  }

  /** Past the watchdog: the process exits 3 if closing the run does not end in time. */
  lastResort(): void {
    this.#force = setTimeout(() => {
      process.stderr.write(`settle-sim demo: watchdog: closing the run did not end in ${Watchdog.closeWallMs} ms; exiting\n`);
      process.exit(3);
    }, Watchdog.closeWallMs);
  }

  stop(): void {
    if (this.#handle !== null) this.clock.clearTimeout(this.#handle);
    this.#handle = null;
  }

  closed(): void {
    if (this.#force !== null) clearTimeout(this.#force);
  }
}

/** Presents one patient at their kiosk and waits until the kiosk is idle again. */
async function play(kiosk: Kiosk, plan: Plan, say: (line: string) => void): Promise<Outcome> {
  const handheld = kiosk.site.layout === 'handheld' ? `, its ${layouts.handheld.cols}×${layouts.handheld.rows} screens` : '';
  if (plan.verbose) say(`\n=== ${kiosk.site.id} (${kiosk.site.name}, ${kiosk.site.layout}${handheld}): ${plan.label} ===`);
  const finished = new Promise<void>((resolve) => (kiosk.patient = { plan, outcome: null, done: resolve }));
  if (plan.card !== null) kiosk.far.card.insert(plan.card);
  else await kiosk.far.scanner.scan(plan.token as string);
  await finished;
  const outcome = kiosk.patient?.outcome as Outcome;
  kiosk.patient = null;
  const money = `total ${yuanOf(outcome.medfee_sumamt)}, funds ${yuanOf(outcome.fund_pay_sumamt)}, account ${yuanOf(outcome.acct_pay)}, cash ${yuanOf(outcome.psn_cash_pay)}`;
  say(`${plan.verbose ? '>>> ' : ''}${kiosk.site.id} ${plan.psnNo}: ${outcome.outcome}${outcome.setl_id ? ` ${outcome.setl_id}` : ''}${outcome.code ? ` (${outcome.code})` : ''}${outcome.outcome === 'settled' || outcome.outcome === 'offline' ? `: ${money}` : ''}`);
  return outcome;
}

function yuanOf(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

/** The patient at a kiosk acts on what the screen asks. */
function act(kiosk: Kiosk, state: State, session: Session, say: (line: string) => void): void {
  const patient = kiosk.patient;
  if (patient === null) return;
  const { plan } = patient;
  // At the page's kiosk the patient touches the page; the demo only notes the outcome and takes the card back.
  if (kiosk.byPage && state !== 'done' && state !== 'message' && state !== 'idle') return;
  switch (state) {
    case 'pin':
      kiosk.keys.push('123456');
      return;
    case 'review':
      kiosk.keys.push('ok');
      return;
    case 'filing':
      // The patient keys a contact phone, then files (the offer's screen shows the cut first).
      kiosk.keys.push('13900000000');
      kiosk.keys.push('ok');
      return;
    case 'confirm':
      if (plan.cancel) kiosk.keys.push('cancel');
      else {
        kiosk.keys.push(plan.account ? '1' : '2');
        kiosk.keys.push('ok');
      }
      return;
    case 'done':
    case 'message': {
      patient.outcome = outcomeOf(kiosk, session, state);
      const printed = kiosk.far.printer.transcript();
      if (plan.verbose && printed.length > kiosk.printed) say(['--- receipt (printer emulator) ---', ...printed.slice(kiosk.printed)].join('\n'));
      kiosk.printed = printed.length;
      kiosk.far.card.remove();
      if (!kiosk.byPage) kiosk.keys.push('ok');
      return;
    }
    case 'idle':
      if (patient.outcome !== null) patient.done();
      return;
    default:
  }
}

function outcomeOf(kiosk: Kiosk, session: Session, state: 'done' | 'message'): Outcome {
  const visit = session.visit;
  const local = visit.useAccount ? visit.account : visit.cash;
  const info = state === 'done' && local !== null ? local.output.setlinfo : null;
  const code = visit.code;
  return {
    terminal: kiosk.site.id,
    patient: visit.person?.psn_no ?? (kiosk.patient as NonNullable<Kiosk['patient']>).plan.psnNo,
    outcome: state === 'done' ? (visit.setl?.offline ? 'offline' : 'settled') : code === 'patient_cancelled' || code === 'session_timeout' ? 'cancelled' : 'refused',
    code: state === 'done' ? null : code,
    setl_id: state === 'done' ? (visit.setl?.id ?? null) : null,
    medfee_sumamt: info?.medfee_sumamt ?? 0,
    fund_pay_sumamt: info?.fund_pay_sumamt ?? 0,
    acct_pay: info?.acct_pay ?? 0,
    psn_cash_pay: info?.psn_cash_pay ?? 0,
  };
}

/** The end of the day: each terminal reconciles with the hub (3201/3202), then the hub is audited against the journals. */
async function endOfDay(kiosks: readonly Kiosk[], outcomes: readonly Outcome[], options: DemoOptions, hub: ReferenceHub, say: (line: string) => void, watchdog: Watchdog) {
  say('\n=== end of day: reconciliation with the hub (3201, 3202 when totals differ) ===');
  const terminals = [];
  for (const kiosk of kiosks) {
    const day = new Date((kiosk.terminal.client.nowS() + 8 * 3_600) * 1_000).toISOString().slice(0, 10);
    const recon = await kiosk.terminal.client.reconcile(day, day);
    watchdog.progress(`${kiosk.site.id} reconciliation`);
    const totals = recon.ok ? recon.value.hub : null;
    const row = { terminal: kiosk.site.id, day, agree: recon.ok && recon.value.agree, code: recon.ok ? null : recon.error.code, mismatches: recon.ok ? recon.value.mismatches.length : 0, totals };
    terminals.push(row);
    const figures = totals === null ? '' : `: ${totals.setl_cnt} settlements, ${totals.cancel_cnt} cancellations, total ${yuanOf(totals.medfee_sumamt)}, funds ${yuanOf(totals.fund_pay_sumamt)}, accounts ${yuanOf(totals.acct_pay)}, cash ${yuanOf(totals.psn_cash_pay)}`;
    // DIFFERS only when the hub's totals differ; an exchange that did not finish reconciled nothing.
    say(`${kiosk.site.id} ${day}: ${row.agree ? 'agrees' : recon.ok ? `DIFFERS (${row.mismatches} mismatches)` : `NOT RECONCILED (${row.code}: the exchange with the hub did not finish)`}${figures}`);
  }
  const audit = auditHub(hub, kiosks.map((kiosk) => ({ id: kiosk.site.id, journal: kiosk.terminal.journal })));
  say(`hub audit: ${audit.ok ? 'every settlement the terminals hold confirmed is in force at the hub exactly once, and nothing else; every patient\'s accumulators and account equal the start plus the confirmed deltas' : audit.problems.join('; ')}`);
  const refusals: Record<string, number> = {};
  for (const outcome of outcomes) if (outcome.outcome === 'refused') refusals[outcome.code as string] = (refusals[outcome.code as string] ?? 0) + 1;
  const line = kiosks.flatMap((kiosk) => kiosk.far.lines).reduce((sum, simulated) => ({ frames_spoiled: sum.frames_spoiled + simulated.forward.framesSpoiled + simulated.backward.framesSpoiled }), { frames_spoiled: 0 });
  const retries = kiosks.reduce((sum, kiosk) => sum + kiosk.terminal.client.stats.retries, 0);
  say(`line: ${line.frames_spoiled} frames spoiled, ${retries} requests sent again`);
  const count = (kind: Outcome['outcome']) => outcomes.filter((outcome) => outcome.outcome === kind).length;
  return {
    seed: options.seed,
    baud: options.baud,
    loss: options.loss,
    patients: outcomes.length,
    settled: count('settled'),
    offline: count('offline'),
    refused: count('refused'),
    cancelled: count('cancelled'),
    refusals,
    settlements: outcomes,
    reconciliation: { agree: terminals.every((row) => row.agree), terminals },
    audit,
    line: { ...line, retries },
  };
}

/**
 * The hub against the terminals' journals: the settlements in force at the
 * hub for these terminals are exactly those the journals hold confirmed and
 * not cancelled, no bill is in force twice, and every patient's accumulators
 * and personal account are the start plus the confirmed deltas.
 */
export function auditHub(hub: ReferenceHub, terminals: readonly { readonly id: string; readonly journal: TerminalJournal }[]): { ok: boolean; problems: string[]; in_force: number } {
  const problems: string[] = [];
  const ids = new Set(terminals.map((terminal) => terminal.id));
  const inForce = hub.state.ledger.filter((settlement) => ids.has(settlement.event.terminal) && !settlement.reversed && settlement.cancelled === null);
  const confirmed = terminals.flatMap((terminal) =>
    terminal.journal.entries().filter((entry) => entry.kind !== 'cancel' && entry.outcome === 'confirmed' && entry.cancelledBy === null),
  );
  const hubIds = inForce.map((settlement) => settlement.event.setl_id).sort();
  const heldIds = confirmed.map((entry) => entry.setlId as string).sort();
  if (JSON.stringify(hubIds) !== JSON.stringify(heldIds)) problems.push(`in force at the hub ${hubIds.join(' ') || '-'}, confirmed at the terminals ${heldIds.join(' ') || '-'}`);
  const bills = new Set<string>();
  for (const settlement of inForce) {
    if (bills.has(settlement.event.input.mdtrt_id)) problems.push(`bill ${settlement.event.input.mdtrt_id} is in force twice`);
    bills.add(settlement.event.input.mdtrt_id);
  }
  const starts = new Map(seedPersons().map((held) => [held.person.psn_no, held.person] as const));
  const expected = new Map<string, Person>();
  for (const entry of confirmed) {
    const body = entry.request as BodyOf<'settle'>;
    const psnNo = body.input.psn_no;
    const start = expected.get(psnNo) ?? starts.get(psnNo) ?? syntheticStart(hub, psnNo);
    if (start === undefined) continue;
    const applied = applyAccDelta(start.ytd, body.input.date, body.result.acc_delta, 1);
    if (!applied.ok) problems.push(`${psnNo}: the confirmed deltas leave the accumulators' range`);
    else expected.set(psnNo, { ...start, ytd: applied.ytd, acct_balance: Math.max(0, start.acct_balance - body.result.setlinfo.acct_pay) });
  }
  // Key order is not part of the figures: compare them sorted.
  const figures = (ytd: Person['ytd'] | undefined) => JSON.stringify(ytd === undefined ? null : [ytd.year, Object.entries(ytd.acc).sort(([a], [b]) => (a < b ? -1 : 1))]);
  for (const [psnNo, person] of expected) {
    const held = hub.state.person(psnNo)?.person;
    if (figures(held?.ytd) !== figures(person.ytd)) problems.push(`${psnNo}: accumulators at the hub ${JSON.stringify(held?.ytd.acc)}, from the confirmed deltas ${JSON.stringify(person.ytd.acc)}`);
    if (held?.acct_balance !== person.acct_balance) problems.push(`${psnNo}: account at the hub ${held?.acct_balance}, from the confirmed payments ${person.acct_balance}`);
  }
  return { ok: problems.length === 0, problems, in_force: inForce.length };
}

/** A synthetic person as generated (before any settlement). */
function syntheticStart(hub: ReferenceHub, psnNo: string): Person | undefined {
  const match = /^G([0-9]+)P([0-9]+)$/.exec(psnNo);
  const population = match === null ? undefined : hub.state.population(Number(match[1]));
  return population === undefined ? undefined : syntheticPerson(population, Number((match as RegExpExecArray)[2])).person;
}

/** `--gateway`: the gateway's calls and national JSON bytes, the simulator's, and the platform's ledger against the gateway's. */
function gatewayReport(national: DemoGateway, gatewayHub: ReferenceHub, say: (line: string) => void) {
  const figures = national.gateway.figures;
  const byInfno = Object.entries(figures.byInfno).sort(([a], [b]) => (a < b ? -1 : 1));
  const settlements = figures.byInfno['2207'] ?? 0;
  const ledgers = compareLedgers(gatewayHub, national.nationalHub);
  say('\n=== the gateway to the national interface ===');
  say(`gateway: ${figures.calls} national calls (${byInfno.map(([infno, count]) => `${infno} x${count}`).join(', ')}), ${figures.noAnswers} unanswered, ${figures.adopted} adopted, ${figures.fenced} fenced`);
  say(`gateway: national JSON ${figures.sentBytes} bytes sent, ${figures.receivedBytes} bytes received${settlements > 0 ? `; ${Math.round((figures.sentBytes + figures.receivedBytes) / settlements)} bytes per settlement (every call of the day over the 2207s)` : ''}`);
  say(`national simulator: ${national.national.stats.calls} calls answered, ${national.national.stats.refused} refused`);
  say(`national ledger: ${ledgers.equal ? `${ledgers.in_force} settlements in force, each equal to the gateway's to the fen, and no other` : ledgers.problems.join('; ')}`);
  return { calls: figures.calls, by_infno: figures.byInfno, sent_bytes: figures.sentBytes, received_bytes: figures.receivedBytes, no_answers: figures.noAnswers, adopted: figures.adopted, fenced: figures.fenced, national: { ...national.national.stats }, ledgers };
}
