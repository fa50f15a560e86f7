// A terminal and the reference hub in one process, for the hub suites: a
// state directory seeded with the worked cases' patients, a terminal
// enrolled at one of their institutions, its journal on a memory disk (or
// real files), its catalogue and policy-book stores, and a link between them
// that a test can fault frame by frame (FrameTap) or hand to the line
// simulator. `settleLocally` is what the terminal's session will do: settle
// the bill on the core with the stores' catalogue and policy book.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCborEncoder } from '../../protocol/cbor-encode';
import { bytesEqual, type Signer } from '../../protocol/crypto';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { settleRequest, visitCase } from '../../protocol/settle-request';
import { parseSign1, wireHeaders } from '../../protocol/cose';
import { decodePayload } from '../../protocol/envelope';
import { encodeFrame, FrameDecoder } from '../../protocol/framing';
import type { BodyOf, Institution, Person } from '../../protocol/messages';
import { catalogueKind, catalogueLine, policyBookKind, policyBookLine, SignedStore } from '../../src/catalogue/store';
import type { Catalogue } from '../../src/catalogue/layout';
import type { PolicyBook } from '../../src/catalogue/policy-book';
import { settle } from '../../src/core/settle';
import type { SettleOutput } from '../../src/core/types';
import { validateCaseWith } from '../../src/core/validate';
import { HubClient, type HubClientOptions, type HubLink, type Timers } from '../../src/hub/client';
import { TerminalJournal } from '../../src/journal/journal';
import type { JournalStorage } from '../../src/journal/storage';
import { ReferenceHub, type HubOptions } from '../../device/sim/hub/hub';
import { seedIdentities } from '../../device/sim/hub/seed';
import { createPortPair } from '../../device/sim/memory-port';
import { PortError, type Port } from '../../device/port';
import { MemoryDisk } from './memory-disk';

/** 2026-03-14 10:00 China time: Mr. Zhang's discharge day. */
export const zhangDayS = Date.parse('2026-03-14T02:00:00Z') / 1_000;

export const realTimers: Timers = {
  nowMs: () => performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A settable wall clock, seconds. */
export class WallClock {
  constructor(public nowS: number) {}
  readonly timeS = (): number => this.nowS;
}

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const hubKeySeed = new Uint8Array(32).fill(7);

export function openHub(dir: string, clock: WallClock, options: Partial<HubOptions> = {}): ReferenceHub {
  return ReferenceHub.open({ dir, timeS: clock.timeS, randomBytes: () => hubKeySeed.slice(), ...options });
}

export function terminalSigner(index: number): Signer {
  return nodeCryptoProvider.signer(new Uint8Array(32).fill(40 + index));
}

/** What a test does to each frame crossing the tap: deliver it, drop it, deliver it twice, hold it back. */
export type FrameFate = 'deliver' | 'drop' | 'duplicate' | 'hold';

/**
 * A link that passes whole frames between terminal and hub and lets a test
 * decide each one's fate (per direction, in order), inject bytes, or cut the
 * hub off (a crash); frames held back are released on `release()`.
 */
export class FrameTap {
  readonly terminalEnd: Port;
  private readonly hubSide: Port;
  private hubEnd: Port;
  private readonly tapHubSide: Port;
  readonly log: string[] = [];
  /** The fate of the index-th frame up (terminal to hub), named by its message type. */
  up: (index: number, type: string) => FrameFate = () => 'deliver';
  down: (index: number, type: string) => FrameFate = () => 'deliver';
  /** Every frame that crossed, as bytes, with its direction and message type. */
  readonly frames: { direction: 'up' | 'down'; type: string; seq: number; bytes: Uint8Array }[] = [];
  private upCount = 0;
  private downCount = 0;
  private held: { to: Port; bytes: Uint8Array }[] = [];
  private running = true;

  constructor() {
    const [terminalEnd, tapTerminalSide] = createPortPair('terminal');
    const [tapHubSide, hubEnd] = createPortPair('hub');
    this.terminalEnd = terminalEnd;
    this.hubSide = tapTerminalSide;
    this.tapHubSide = tapHubSide;
    this.hubEnd = hubEnd;
    void this.pump(tapTerminalSide, () => this.tapHubSide, 'up');
    void this.pump(tapHubSide, () => tapTerminalSide, 'down');
  }

  /** The port the hub serves. */
  get hubPort(): Port {
    return this.hubEnd;
  }

  /** Frames seen so far, per direction. */
  get counts(): { up: number; down: number } {
    return { up: this.upCount, down: this.downCount };
  }

  private async pump(from: Port, to: () => Port, direction: 'up' | 'down'): Promise<void> {
    const decoder = new FrameDecoder();
    const buffer = new Uint8Array(65_536);
    while (this.running) {
      let count: number;
      try {
        count = await from.read(buffer);
      } catch (error) {
        if (error instanceof PortError) return;
        throw error;
      }
      for (const event of decoder.push(buffer.subarray(0, count))) {
        if (event.kind !== 'frame') continue;
        const index = direction === 'up' ? this.upCount++ : this.downCount++;
        const { type, seq } = peek(event.cose);
        const fate = direction === 'up' ? this.up(index, type) : this.down(index, type);
        this.log.push(`${direction} ${index} ${type} ${seq} ${fate}`);
        const bytes = reframe(event.headerBytes, event.cose);
        this.frames.push({ direction, type, seq, bytes });
        if (fate === 'drop') continue;
        if (fate === 'hold') {
          this.held.push({ to: to(), bytes });
          continue;
        }
        await to().write(bytes).catch(() => undefined);
        if (fate === 'duplicate') await to().write(bytes).catch(() => undefined);
      }
    }
  }

  /** Delivers the frames held back, in the order they came. */
  async release(): Promise<void> {
    for (const { to, bytes } of this.held.splice(0)) await to.write(bytes).catch(() => undefined);
  }

  /** Writes raw bytes towards the hub (a replayed or forged frame). */
  async inject(bytes: Uint8Array): Promise<void> {
    await this.tapHubSide.write(bytes);
  }

  /** Writes raw bytes towards the terminal (a forged reply). */
  async injectDown(bytes: Uint8Array): Promise<void> {
    await this.hubSide.write(bytes);
  }

  stop(): void {
    this.running = false;
    void this.hubSide.close();
    void this.tapHubSide.close();
  }
}

/** The message type and seq a frame carries, read without verifying it (a tap's view). */
export function peek(cose: Uint8Array): { type: string; seq: number } {
  const parsed = parseSign1(cose, { profile: wireHeaders, requireTag: true });
  const decoded = parsed.ok ? decodePayload(parsed.sign1.payload) : null;
  return decoded?.ok ? { type: decoded.message.type, seq: decoded.message.seq } : { type: '?', seq: -1 };
}

/** Re-encodes a decoded frame as it came (header and COSE bytes unchanged), with the wire's own framing. */
export function reframe(header: Uint8Array, cose: Uint8Array): Uint8Array {
  return encodeFrame(header, cose);
}

export interface TerminalOptions {
  readonly id?: string;
  readonly fixmedinsCode?: string;
  readonly signer?: Signer;
  readonly storage?: JournalStorage;
  readonly storeDir: string;
  readonly link: () => Promise<HubLink>;
  readonly hub: ReferenceHub;
  readonly clock: WallClock;
  readonly timers?: Timers;
  readonly client?: Partial<HubClientOptions>;
}

export interface Terminal {
  readonly id: string;
  readonly client: HubClient;
  readonly journal: TerminalJournal;
  readonly storage: JournalStorage;
  readonly catalogue: SignedStore<Catalogue>;
  readonly policyBook: SignedStore<PolicyBook>;
}

/** Opens a terminal's journal, stores and client (the terminal must be enrolled at the hub). */
export async function openTerminal(options: TerminalOptions): Promise<Terminal> {
  const id = options.id ?? 'T1';
  mkdirSync(options.storeDir, { recursive: true });
  const storage = options.storage ?? new MemoryDisk();
  const journal = TerminalJournal.open({ storage, file: path.join(options.storeDir, 'journal') });
  const hubVerifier = nodeCryptoProvider.verifier(options.hub.publicKey);
  const hubKeys = (kid: Uint8Array | null) => (kid !== null && bytesEqual(kid, hubVerifier.kid) ? hubVerifier : null);
  const catalogue = SignedStore.open(catalogueKind, { dir: options.storeDir, hubKeys, line: catalogueLine(options.fixmedinsCode ?? 'H11010600001') });
  const policyBook = SignedStore.open(policyBookKind, { dir: options.storeDir, hubKeys, line: policyBookLine });
  const client = await HubClient.open({
    terminal: id,
    fixmedinsCode: options.fixmedinsCode ?? 'H11010600001',
    firmware: 'test',
    connect: options.link,
    signer: options.signer ?? terminalSigner(1),
    hubKeys,
    journal,
    timers: options.timers ?? realTimers,
    timeS: options.clock.timeS,
    random: () => 0.5,
    stores: { catalogue, policy_book: policyBook },
    requestTimeoutMs: 300,
    settleTimeoutMs: 400,
    ...options.client,
  });
  return { id, client, journal, storage, catalogue, policyBook };
}

export type TerminalSettle = { ok: true; body: BodyOf<'settle'>; output: SettleOutput } | { ok: false; code: string };

/** The terminal's own settlement of a bill (what the session does before it asks the hub). */
export function settleLocally(
  terminal: Pick<Terminal, 'catalogue' | 'policyBook'>,
  person: Person,
  institution: Institution,
  bill: Omit<BodyOf<'bill_query_reply'>, 'page'>,
  acctUsed: boolean,
): TerminalSettle {
  const catalogue = terminal.catalogue.current?.value;
  const book = terminal.policyBook.current?.value;
  if (catalogue === undefined || book === undefined) return { ok: false, code: 'no_catalogue' };
  const policy = book.lookup(person.insuplc_admdvs);
  if (policy === undefined) return { ok: false, code: 'policy_not_found' };
  const checked = validateCaseWith({ ...visitCase(bill, person, acctUsed, institution, bill.lines), policy: policy.policy }, catalogue);
  if (!checked.ok) return { ok: false, code: 'invalid_input' };
  const output = settle(checked.value);
  if (!output.ok) return { ok: false, code: output.error.code };
  const body = settleRequest(createCborEncoder(), { bill, psnNo: person.psn_no, acctUsed, catalogueVersion: catalogue.version, policyVersion: book.version, settlement: output });
  return { ok: true, output, body };
}

/** A rig: a fresh seeded hub in a temp dir, terminal T1 enrolled at Mr. Zhang's hospital, on a frame tap. */
export async function rig(options: { storage?: JournalStorage; client?: Partial<HubClientOptions>; hub?: Partial<HubOptions>; nowS?: number } = {}) {
  const temp = tempDir('hub-rig-');
  const clock = new WallClock(options.nowS ?? zhangDayS);
  let hub = openHub(path.join(temp.dir, 'hub'), clock, options.hub);
  hub.enroll('T1', terminalSigner(1).publicKey, 'H11010600001');
  let tap = new FrameTap();
  void hub.serve(tap.hubPort);
  const terminal = await openTerminal({ storeDir: path.join(temp.dir, 'terminal'), storage: options.storage, link: async () => tap.terminalEnd, hub, clock, client: options.client });
  return {
    temp,
    clock,
    terminal,
    get hub() {
      return hub;
    },
    get tap() {
      return tap;
    },
    /** Crashes the hub (nothing unwritten survives) and starts it again on the same directory, on a new tap. */
    async restartHub(mode: 'crash' | 'close' = 'crash') {
      if (mode === 'crash') await hub.crash();
      else await hub.close();
      tap.stop();
      hub = openHub(path.join(temp.dir, 'hub'), clock, options.hub);
      tap = new FrameTap();
      void hub.serve(tap.hubPort);
      return hub;
    },
    async close() {
      await terminal.client.close();
      tap.stop();
      await hub.close();
      temp.remove();
    },
  };
}

/** What a terminal's session does before the settle: sign in, sync, find the seed patient, fetch the bill, settle locally. */
export async function prepareSettle(terminal: Terminal, seedIndex = 0, acctUsed = false): Promise<{ body: BodyOf<'settle'>; person: Person; institution: Institution }> {
  const { client } = terminal;
  const signed = client.signedIn ?? (await client.signIn().then((out) => (out.ok ? out.value : null)));
  if (signed === null) throw new Error('sign-in failed');
  if (terminal.catalogue.version === null) await client.sync('catalogue');
  if (terminal.policyBook.version === null) await client.sync('policy_book');
  const identity = seedIdentities()[seedIndex] as ReturnType<typeof seedIdentities>[number];
  const person = await client.person({ kind: 'ss_card', id: identity.cardNumber, card_sn: identity.cardSerial });
  if (!person.ok) throw new Error(`person: ${JSON.stringify(person)}`);
  const bill = await client.bill(person.value.psn_no, null);
  if (!bill.ok) throw new Error(`bill: ${JSON.stringify(bill)}`);
  const local = settleLocally(terminal, person.value, signed.institution, bill.value, acctUsed);
  if (!local.ok) throw new Error(`local: ${local.code}`);
  return { body: local.body, person: person.value, institution: signed.institution };
}
