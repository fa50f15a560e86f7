// The far ends of an emulated or hardware-in-loop terminal (issue 8): a
// hospital's devices and the reference hub. The simulation's `run` (for the
// `emulated` and `hil` profiles, device/sim/run-ends.ts) and the demo boot the
// firmware's own session, drivers and hub client against the ports they are
// given here.
//
// emulated  each device is an emulator at the far end of a memory port pair,
//           through the line simulator (baud; the hub line also with a frame
//           fault rate): everything in one process.
// hil       each device is an emulator on one end of a socat pty pair; the
//           terminal opens the other end with the real serial binding. The
//           hub is served on a pty too.
//
// The reference hub's state is in STATE/hub; it is opened when the terminal
// first dials it (as a real hub is already running), unless provisioning a
// new terminal needs it first: enrolling its key, and, when the caller passes
// `provision` (device/sim/hub/provision.ts), placing the hub's current catalogue
// and policy book in its store.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BindingInterface } from '@serialport/bindings-cpp';
import { hexToBytes } from '../../protocol/crypto';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { CardReaderEmulator, type VirtualCard } from './card-reader-emulator';
import { Gb18030Encoder } from '../gb18030';
import { seedIdentities } from './hub/seed';
import type { ReferenceHub } from './hub/hub';
import { LineSimulator } from './line';
import { createPortPair } from './memory-port';
import type { Clock, Port } from '../port';
import { PrinterEmulator } from './printer-emulator';
import { QrScannerEmulator } from './qr-scanner-emulator';
import { ecertTokenPattern } from '../qr-scanner';
import { openPtyPair, type PtyPair } from './socat';
import { StreamPort } from '../stream-port';

export interface SiteOptions {
  readonly kind: 'emulated' | 'hil';
  /** The terminal's state directory; the reference hub's is `hub` inside it (or `hubDir`). */
  readonly dir: string;
  readonly hubDir?: string;
  readonly line: { readonly baud: number; readonly loss: number; readonly seed: number };
  readonly clock: Clock;
  /** Wall-clock seconds, the hub's time. */
  readonly timeS: () => number;
  /** The real serial binding (hil). */
  readonly binding?: () => BindingInterface;
  /** Opens the reference hub (ReferenceHub.open, or a test's). */
  readonly openHub: (dir: string) => ReferenceHub;
  readonly log?: (line: string) => void;
}

export interface SiteTerminalSpec {
  readonly id: string;
  readonly fixmedinsCode: string;
  /** Where the terminal keeps its catalogue and policy book. */
  readonly dir: string;
  readonly publicKey: Uint8Array;
  /**
   * Fills empty stores with the hub's current versions (`fillStores` of
   * device/sim/hub/provision.ts); without it the terminal syncs them over its line.
   */
  readonly provision?: (spec: SiteTerminalSpec, hubKey: Uint8Array, hub: () => ReferenceHub) => void;
  /** Told each line the printer emulator prints. */
  readonly printerLog?: (line: string) => void;
}

/** The far ends of one terminal's lines. */
export interface SiteTerminal {
  /** emulated: the ports the terminal's drivers are given. */
  readonly ports: { readonly card: Port; readonly scanner: Port; readonly printer: Port } | null;
  /** hil: the pty paths the terminal opens with the real binding. */
  readonly paths: { readonly card: string; readonly scanner: string; readonly printer: string; readonly hub: string } | null;
  /** emulated: a new link to the hub (the client dials again after a failure). */
  readonly connect: (() => Promise<Port>) | null;
  readonly hubPublicKey: Uint8Array;
  readonly card: CardReaderEmulator;
  readonly scanner: QrScannerEmulator;
  readonly printer: PrinterEmulator;
  /** The simulated lines (hub links included, as they are dialled). */
  readonly lines: LineSimulator[];
  /** A console command for the emulators (`insert ID`, `remove`, `scan TOKEN`, `paper-out`, `paper-in`, `cover-open`, `cover-close`): true when it was one. */
  command(words: readonly string[]): boolean;
}

/** The seed patients' cards, by the patient's insurance number in lower case (`insert p130125000001`). */
export function seedCards(): VirtualCard[] {
  return seedIdentities().map((identity) =>
    Object.freeze({
      id: identity.psn_no.toLowerCase(),
      cardNumber: identity.cardNumber,
      idNumber: identity.idNumber,
      name: identity.name,
      areaCode: identity.areaCode,
      cardSerial: identity.cardSerial,
      pin: '123456',
      pinTriesLeft: 3,
      fault: 'none',
      pullAfterBytes: 64,
    } as const),
  );
}

export class Site {
  #hub: ReferenceHub | null = null;
  readonly #o: SiteOptions;
  readonly #hubDir: string;
  readonly #closers: (() => Promise<unknown> | unknown)[] = [];
  readonly #encoder = new Gb18030Encoder();
  #lineSeed: number;

  constructor(options: SiteOptions) {
    this.#o = options;
    this.#hubDir = options.hubDir ?? path.join(options.dir, 'hub');
    this.#lineSeed = options.line.seed;
  }

  /** The reference hub, opened (and seeded when new) on first use. */
  get hub(): ReferenceHub {
    if (this.#hub === null) {
      this.#hub = this.#o.openHub(this.#hubDir);
      this.#o.log?.(`hub: reference hub at ${this.#hubDir}, key ${Buffer.from(this.#hub.publicKey).toString('hex')}`);
    }
    return this.#hub;
  }

  /** Whether the hub has been opened. */
  get hubOpen(): boolean {
    return this.#hub !== null;
  }

  /** The hub's public key, from its key file when it is not open (the hub is not started to learn it). */
  hubPublicKey(): Uint8Array {
    const file = path.join(this.#hubDir, 'hub.key');
    if (this.#hub === null && existsSync(file)) return nodeCryptoProvider.signer(hexToBytes(readFileSync(file, 'utf8').trim(), 32, 'hub.key')).publicKey;
    return this.hub.publicKey;
  }

  #nextSeed(): number {
    this.#lineSeed = (this.#lineSeed + 0x9e3779b9) >>> 0;
    return this.#lineSeed;
  }

  /** Two memory ports joined through the line simulator: [the terminal's end, the far end]. */
  #line(lines: LineSimulator[], name: string, loss: number): [Port, Port] {
    const [near, nearLine] = createPortPair(`${name}-terminal`);
    const [farLine, far] = createPortPair(`${name}-device`);
    const line = new LineSimulator(nearLine, farLine, { baud: this.#o.line.baud, frameFaultRate: loss, seed: this.#nextSeed() }, this.#o.clock);
    line.start();
    lines.push(line);
    this.#closers.push(() => line.stop(), () => near.close(), () => far.close());
    return [near, far];
  }

  /** Provisions a terminal when new (enrolment, catalogue, policy book) and sets up its far ends. */
  async terminal(spec: SiteTerminalSpec): Promise<SiteTerminal> {
    this.#provision(spec);
    const lines: LineSimulator[] = [];
    const hil = this.#o.kind === 'hil';
    const ptys: PtyPair[] = [];
    const end = async (name: string): Promise<[Port | string, Port]> => {
      if (!hil) return this.#line(lines, name, 0);
      const pair = await openPtyPair();
      ptys.push(pair);
      this.#closers.push(() => pair.close());
      const far = new StreamPort({ binding: (this.#o.binding as () => BindingInterface)(), path: pair.pathB, baudRate: this.#o.line.baud });
      await far.open();
      this.#closers.push(() => far.close());
      return [pair.pathA, far];
    };
    const [card, cardFar] = await end('card');
    const [scanner, scannerFar] = await end('scanner');
    const [printer, printerFar] = await end('printer');
    const cardEmulator = new CardReaderEmulator(cardFar, { encoder: this.#encoder, cards: seedCards(), inserted: null });
    cardEmulator.start();
    const scannerEmulator = new QrScannerEmulator(scannerFar);
    scannerEmulator.start();
    const printerEmulator = new PrinterEmulator(printerFar, { log: spec.printerLog });
    printerEmulator.start();
    let hubPath: string | null = null;
    if (hil) {
      const [host, far] = await end('hub');
      hubPath = host as string;
      void this.hub.serve(far);
    }
    const connect = async (): Promise<Port> => {
      const [near, far] = this.#line(lines, 'hub', this.#o.line.loss);
      void this.hub.serve(far);
      return near;
    };
    return {
      ports: hil ? null : { card: card as Port, scanner: scanner as Port, printer: printer as Port },
      paths: hil ? { card: card as string, scanner: scanner as string, printer: printer as string, hub: hubPath as string } : null,
      connect: hil ? null : connect,
      hubPublicKey: this.hubPublicKey(),
      card: cardEmulator,
      scanner: scannerEmulator,
      printer: printerEmulator,
      lines,
      command: (words) => consoleCommand(words, cardEmulator, scannerEmulator, printerEmulator),
    };
  }

  /** Enrols the terminal's key at the hub (once: `enrolled` in its directory says so) and, when asked, fills its empty stores. */
  #provision(spec: SiteTerminalSpec): void {
    const enrolledFile = path.join(spec.dir, 'enrolled');
    // Known already: the hub need not be opened for it (a terminal's boot does not wait for its hub).
    const enrolledBefore = existsSync(enrolledFile);
    if (!enrolledBefore) {
      const hub = this.hub;
      if (!hub.state.institutions.has(spec.fixmedinsCode)) throw new Error(`the reference hub knows no institution ${spec.fixmedinsCode} (seed institutions: ${[...hub.state.institutions.keys()].join(', ')})`);
      const enrolled = hub.state.terminals.get(spec.id);
      if (enrolled === undefined) hub.enroll(spec.id, spec.publicKey, spec.fixmedinsCode);
      else if (!enrolled.keys.some((key) => Buffer.from(key).equals(Buffer.from(spec.publicKey)))) throw new Error(`terminal ${spec.id} is enrolled at the hub under another key`);
    }
    mkdirSync(spec.dir, { recursive: true });
    spec.provision?.(spec, this.hubPublicKey(), () => this.hub);
    if (!enrolledBefore) writeFileSync(enrolledFile, `${spec.id} ${spec.fixmedinsCode}\n`);
  }

  /** Stops every line and emulator and closes the hub (if it was opened). Safe twice. */
  async close(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) await Promise.resolve(close()).catch(() => undefined);
    await this.#hub?.close();
  }
}

/** Runs an emulator console command; false when the words are not one (they may be the patient's keys). */
function consoleCommand(words: readonly string[], card: CardReaderEmulator, scanner: QrScannerEmulator, printer: PrinterEmulator): boolean {
  const [verb, argument] = words;
  if (verb === 'insert' && argument !== undefined && card.cardIds.includes(argument)) card.insert(argument);
  else if (verb === 'remove') card.remove();
  else if (verb === 'scan' && argument !== undefined && ecertTokenPattern.test(argument)) void scanner.scan(argument);
  else if (verb === 'paper-out' || verb === 'paper-in') printer.paperOut = verb === 'paper-out';
  else if (verb === 'cover-open' || verb === 'cover-close') printer.coverOpen = verb === 'cover-open';
  else return false;
  return true;
}
