// `settle-terminal run --profile FILE`: the terminal itself (issue 8). Reads
// the profile (src/profile.ts), opens what it names, boots the terminal
// (src/terminal.ts) and serves patients until SIGINT or SIGTERM.
//
// kiosk, handheld  real serial ports; the patient's keys come as lines on
//                  standard input and the frames go to standard output (the
//                  touch screen's or the handheld's UI process sits there);
//                  standard output carries the screen and nothing else, the
//                  log goes to standard error (src/log.ts; `--log json`).
// emulated, hil    the far ends are emulators and the reference hub, which
//                  are not in the firmware: the simulation bundle runs these
//                  profiles (`node dist/sim.js run --profile FILE`, the same
//                  command given device/sim/site.ts's far ends); standard input
//                  also takes the emulators' console commands
//                  (`insert p130125000001`, `scan ECT1:…`, `paper-out`).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { bytesToHex, hexToBytes, keyring } from '../../protocol/crypto';
import { TextDisplay } from '../../device/display';
import { KeyQueue } from '../../device/keypad';
import { systemClock, type Port, type SerialFrame } from '../../device/port';
import { StreamPort } from '../../device/stream-port';
import { cryptoChoices, type CryptoChoice } from '../crypto-choice';
import { parseProfile, profileHelp, ProfileError, type Profile } from '../profile';
import { lineLog, logFormats, type Log, type LogFormat } from '../log';
import { layouts } from '../session/screens';
import type { Display } from '../session/session';
import { bootTerminal, type Terminal } from '../terminal';
import { realBinding } from './binding';
import { providerFor } from './cose-run';
import { cryptoFlag, parseCommandArgs, UsageError, writeOut, type CliIo, type Command, type Syntax } from './command';

function readProfile(file: string): Profile {
  try {
    return parseProfile(readFileSync(file, 'utf8'), (state) => resolve(dirname(file), state));
  } catch (error) {
    if (error instanceof ProfileError) throw new UsageError(`${error.message} (${file})`);
    throw new UsageError(`profile_unreadable: ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The terminal's Ed25519 seed, `terminal.key` in the state directory (0600), made on first boot. */
function terminalSeed(dir: string, log: Log): Uint8Array {
  const file = join(dir, 'terminal.key');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${bytesToHex(randomBytes(32))}\n`, { mode: 0o600, flag: 'wx' });
    log('info', 'terminal key made', { file });
  }
  return hexToBytes(readFileSync(file, 'utf8').trim(), 32, 'terminal.key');
}

async function openSerial(file: string, baud: number, frame?: SerialFrame): Promise<Port> {
  const port = new StreamPort({ binding: realBinding(), path: file, baudRate: baud, frame });
  await port.open();
  return port;
}

/** What a terminal runs against: its devices' ports, its link to the hub and the hub's key. */
export interface RunEnds {
  readonly ports: { readonly card: Port | null; readonly scanner: Port | null; readonly printer: Port };
  connect(): Promise<Port>;
  readonly hubPublicKey: Uint8Array;
  /** A console command for the emulators; false when the words are not one (they are the patient's keys). */
  command(words: readonly string[]): boolean;
  close(): Promise<void>;
}

/** The far ends of a simulated profile (emulated, hil): emulators and the reference hub, which only the simulation bundle has. */
export type SimulatedEnds = (
  profile: Profile,
  parts: { readonly publicKey: Uint8Array; timeS(): number; readonly log: Log; openSerial(path: string, baud: number): Promise<Port> },
) => Promise<RunEnds>;

/** What the kiosk's UI bundle (dist/kiosk-ui.js, src/ui/server.ts) gives the firmware: a display and the page's address. */
export interface KioskUiBundle {
  startKioskUi(options: { readonly port: number; readonly push: (key: string) => void; readonly log: Log }): Promise<{ readonly display: Display; readonly address: string; close(): Promise<void> }>;
}

const runSyntax = {
  synopsis: 'run --profile FILE [--crypto C] [--log text|json] [--check] [--exit-at-ready]',
  flags: {
    profile: { value: 'FILE', help: 'the device profile (JSON, below)' },
    crypto: cryptoFlag,
    log: { value: 'text|json', help: 'the log on stderr as text or JSON lines (default text); the screen is stdout' },
    check: { help: 'read the profile, print it as run takes it (one JSON line) and exit; opens nothing' },
    'exit-at-ready': { help: 'exit 0 once ready (boot check, boot benchmark)' },
  },
  positionalsMax: 0,
} as const satisfies Syntax;

/** `run`, given the far ends of the simulated profiles (the simulation bundle's, with its summary naming them) or none (the firmware's). */
export function runCommandWith(simulated: SimulatedEnds | null, summary = 'run the terminal on the ports of a profile (kiosk, handheld)'): Command {
  return {
    name: 'run',
    summary,
    syntax: [runSyntax],
    more: profileHelp,
    run: (args, io) => run(args, io, simulated),
  };
}

export const runCommand: Command = runCommandWith(null);

async function run(args: readonly string[], io: CliIo, simulated: SimulatedEnds | null): Promise<number> {
    const { values } = parseCommandArgs(args, runSyntax);
    if (values.profile === undefined) throw new UsageError('--profile FILE is required');
    const choice = (values.crypto ?? 'auto') as CryptoChoice;
    if (!cryptoChoices.includes(choice)) throw new UsageError(`--crypto must be one of ${cryptoChoices.join(', ')}`);
    const format = (values.log ?? 'text') as LogFormat;
    if (!logFormats.includes(format)) throw new UsageError(`--log must be one of ${logFormats.join(', ')}`);
    const profile = readProfile(values.profile);
    if (profile.ports === null && simulated === null) {
      throw new UsageError(`profile_simulated: the ${profile.profile} profile runs the device emulators and the reference hub, which are not in the firmware: run it with 'node dist/sim.js run --profile ${values.profile}'`);
    }
    if (values.check) {
      await writeOut(io.stdout, `${JSON.stringify(profile)}\n`);
      return 0;
    }
    // The log on stderr, the screen alone on stdout.
    const log = lineLog(format, (line) => void writeOut(io.stderr, `${line}\n`), Date.now);
    // A provider that cannot load (no crypto-tweetnacl.js beside the firmware where it is needed) is a refused start, exit 2.
    const crypto = providerFor(choice);
    const signer = crypto.signer(terminalSeed(profile.state, log));
    const keypad = new KeyQueue();
    const timeS = () => Math.floor(Date.now() / 1_000);
    let ends: RunEnds;
    try {
      const spec = profile.ports;
      if (spec === null) {
        ends = await (simulated as SimulatedEnds)(profile, { publicKey: signer.publicKey, timeS, log, openSerial });
      } else {
        const open = (port: keyof typeof spec) => spec[port] && openSerial(spec[port].path, spec[port].baud, spec[port].frame);
        ends = {
          ports: { card: await open('card_reader'), scanner: await open('qr_scanner'), printer: (await open('printer')) as Port },
          connect: () => open('hub') as Promise<Port>,
          hubPublicKey: hexToBytes(profile.hub_key as string, 32, 'hub_key'),
          command: () => false,
          close: async () => undefined,
        };
      }
    } catch (error) {
      throw error instanceof UsageError ? error : new UsageError(`port_unavailable: ${(error as Error).message}`);
    }
    // The signal handlers go in before the terminal boots: a supervisor that
    // stops it as soon as it says it is ready (or while it boots) must find
    // them, not the default action that ends the process mid-write.
    const stopping = new AbortController();
    let terminal: Terminal | null = null;
    const stop = () => {
      void terminal?.close();
      stopping.abort();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let lines: ReturnType<typeof createInterface> | undefined;
    // The touch-screen page, its own bundle beside this one (src/ui/server.ts), only when the profile has a port for it: then stdout carries nothing.
    const ui = profile.ui_port > 0 ? await (require('./kiosk-ui.js') as KioskUiBundle).startKioskUi({ port: profile.ui_port, push: (key) => keypad.push(key), log }) : null;
    if (ui) log('info', 'ui', { address: ui.address });
    try {
      terminal = await bootTerminal({
        id: profile.terminal,
        fixmedinsCode: profile.institution,
        institutionName: profile.institution_name,
        dir: profile.state,
        signer,
        hubKeys: keyring([crypto.verifier(ends.hubPublicKey)]),
        connect: ends.connect,
        ports: ends.ports,
        display: ui?.display ?? new TextDisplay((text) => void writeOut(io.stdout, text), layouts[profile.layout].cols),
        keypad,
        timers: systemClock,
        timeS,
        random: Math.random,
        layout: layouts[profile.layout],
        offlineFloorFen: profile.offline_floor_fen,
        receiptCells: profile.receipt_cells,
        hubTimeoutsMs: { request: profile.timeouts_ms.hub_request, settle: profile.timeouts_ms.hub_settle },
        hubBaud: profile.ports?.hub?.baud ?? profile.line?.baud,
        timeoutsMs: { pin: profile.timeouts_ms.patient, review: profile.timeouts_ms.patient, confirm: profile.timeouts_ms.patient },
        log,
        signal: stopping.signal,
      });
      // A boot a stop cut short is not ready: it stops.
      if (!stopping.signal.aborted) log('info', 'ready', { ms: Math.round(performance.now()), terminal: profile.terminal, profile: profile.profile, catalogue: terminal.catalogue.version, policy_book: terminal.policyBook.version, queued: terminal.journal.queueLength });
      if (values['exit-at-ready']) stopping.abort();
      else {
        lines = createInterface({ input: io.stdin, terminal: false });
        lines.on('line', (line) => ends.command(line.trim().split(/\s+/)) || keypad.pushLine(line));
      }
      if (!stopping.signal.aborted) await terminal.run();
      await terminal.close();
    } finally {
      lines?.close();
      await ui?.close();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await ends.close();
    }
    log('info', 'stopped');
    return 0;
}
