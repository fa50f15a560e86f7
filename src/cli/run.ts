// `settle-terminal run --profile FILE`: the terminal itself (issue 8). Reads
// the profile (src/profile.ts), opens what it names, boots the terminal
// (src/terminal.ts) and serves patients until SIGINT or SIGTERM.
//
// kiosk, handheld  real serial ports; the patient's keys come as lines on
//                  standard input and the frames go to standard output (the
//                  touch screen's or the handheld's UI process sits there).
// emulated, hil    the far ends come from the site bundle (device/site.ts);
//                  standard input also takes the emulators' console
//                  commands (`insert p130125000001`, `scan ECT1:…`, `paper-out`).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { bytesToHex, hexToBytes, keyring } from '../../protocol/crypto';
import { TextDisplay } from '../../device/display';
import { KeyQueue } from '../../device/keypad';
import { systemClock, type Port, type SerialFrame } from '../../device/port';
import { StreamPort } from '../../device/stream-port';
import { chooseCryptoProvider, cryptoChoices, type CryptoChoice } from '../crypto-choice';
import { readAhead } from '../catalogue/files';
import { catalogueKind } from '../catalogue/store';
import { parseProfile, ProfileError, type Profile } from '../profile';
import { layouts } from '../session/screens';
import { bootTerminal, type Terminal } from '../terminal';
import { realBinding } from './binding';
import { parseCommandArgs, UsageError, writeOut, type CliIo, type Command } from './command';
import { loadSite, loadTools } from './tools';

function readProfile(file: string): Profile {
  try {
    return parseProfile(readFileSync(file, 'utf8'), (state) => resolve(dirname(file), state));
  } catch (error) {
    if (error instanceof ProfileError) throw new UsageError(`${error.message} (${file})`);
    throw new UsageError(`profile_unreadable: ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The terminal's Ed25519 seed, `terminal.key` in the state directory (0600), made on first boot. */
function terminalSeed(dir: string, say: (line: string) => void): Uint8Array {
  const file = join(dir, 'terminal.key');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${bytesToHex(randomBytes(32))}\n`, { mode: 0o600, flag: 'wx' });
    say(`run: a new terminal key in ${file}`);
  }
  return hexToBytes(readFileSync(file, 'utf8').trim(), 32, 'terminal.key');
}

async function openSerial(file: string, baud: number, frame?: SerialFrame): Promise<Port> {
  const port = new StreamPort({ binding: realBinding(), path: file, baudRate: baud, frame });
  await port.open();
  return port;
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run the terminal on the ports of a profile (emulated, hil, kiosk, handheld)',
  usage: 'settle-terminal run --profile FILE [--crypto auto|node|tweetnacl]',
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const { values } = parseCommandArgs(args, { profile: { type: 'string' }, crypto: { type: 'string' } }, 0);
    if (values.profile === undefined) throw new UsageError('--profile FILE is required');
    const choice = (values.crypto ?? 'auto') as CryptoChoice;
    if (!cryptoChoices.includes(choice)) throw new UsageError(`--crypto must be one of ${cryptoChoices.join(', ')}`);
    const profile = readProfile(values.profile);
    // The stored catalogue (10 MB at 200,000 items) is read on the thread pool while the rest of boot goes on.
    const storeFs = readAhead(join(profile.state, catalogueKind.fileName));
    const say = (line: string) => void writeOut(io.stdout, `${line}\n`);
    const crypto = chooseCryptoProvider(choice);
    const signer = crypto.signer(terminalSeed(profile.state, say));
    const keypad = new KeyQueue();
    const timeS = () => Math.floor(Date.now() / 1_000);
    let ends;
    try {
      const spec = profile.ports;
      if (spec === null) {
        ends = await loadSite().simulatedEnds({ kind: profile.profile as 'emulated', dir: profile.state, line: profile.line, clock: systemClock, timeS, binding: realBinding, log: say, openSerial, loadTools, terminal: { id: profile.terminal, fixmedinsCode: profile.institution, dir: profile.state, publicKey: signer.publicKey } });
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
    let stopping = false;
    let terminal: Terminal | null = null;
    const stop = () => {
      stopping = true;
      void terminal?.close();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let lines: ReturnType<typeof createInterface> | undefined;
    try {
      terminal = await bootTerminal({
        storeFs: await storeFs,
        id: profile.terminal,
        fixmedinsCode: profile.institution,
        institutionName: profile.institution_name,
        dir: profile.state,
        signer,
        hubKeys: keyring([crypto.verifier(ends.hubPublicKey)]),
        connect: ends.connect,
        ports: ends.ports,
        display: new TextDisplay((text) => void writeOut(io.stdout, text), layouts[profile.layout].cols),
        keypad,
        timers: systemClock,
        timeS,
        random: Math.random,
        layout: layouts[profile.layout],
        offlineFloorFen: profile.offline_floor_fen,
        receiptCells: profile.receipt_cells,
        hubTimeoutsMs: { request: profile.timeouts_ms.hub_request, settle: profile.timeouts_ms.hub_settle },
        timeoutsMs: { pin: profile.timeouts_ms.patient, review: profile.timeouts_ms.patient, confirm: profile.timeouts_ms.patient },
        log: say,
      });
      say(`run: ready in ${Math.round(performance.now())} ms: terminal ${profile.terminal} (${profile.profile}), catalogue ${terminal.catalogue.version}, policy book ${terminal.policyBook.version}, ${terminal.journal.queueLength} queued`);
      lines = createInterface({ input: io.stdin, terminal: false });
      lines.on('line', (line) => ends.command(line.trim().split(/\s+/)) || keypad.pushLine(line));
      if (!stopping) await terminal.run();
      await terminal.close();
    } finally {
      lines?.close();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await ends.close();
    }
    say('run: stopped');
    return 0;
  },
};
