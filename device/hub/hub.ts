// The reference hub (issue #7): the far end of the terminal's protocol, over
// any byte stream (a serial port, a pty, a TCP connection: anything that is a
// Port). Its state lives in a directory: a signing key, the published
// catalogue and policy-book snapshots, and one append-only log of events
// (events.ts) from which everything else is rebuilt at start. A reply leaves
// only once the events it depends on are durable (group commit: the events of
// one turn of the event loop share one write and one fdatasync), so killing
// the hub at any moment loses nothing it answered, and a terminal's retry
// (same seq) gets the answer it missed.
//
// Frames are checked in this order: signature and schema (the opener), the
// terminal's enrolment and key, the session, the replay window (a stale seq
// is refused, a duplicate in progress dropped); then the handler.
import assert from 'node:assert';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { createCborXEncoder } from '../../protocol/cbor-oracle';
import { decodeStrict } from '../../protocol/cbor-decode';
import { parseSign1, wireHeaders } from '../../protocol/cose';
import { bytesEqual, bytesToHex, hexToBytes, type CryptoProvider, type Signer, type Verifier } from '../../protocol/crypto';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { createOpener, createSealer, errorReplyCode, type AnyMessage, type Opener, type ReceivedFrame, type Sealer } from '../../protocol/envelope';
import { FrameDecoder } from '../../protocol/framing';
import { messageTypeByName, type ErrorCode, type Institution } from '../../protocol/messages';
import { appendBytesMax, AppendLog } from '../../src/journal/log';
import { nodeJournalStorage, type JournalStorage } from '../../src/journal/storage';
import type { Port } from '../port';
import { decodeEvent, encodeEvent, type HubEvent } from './events';
import { errorReply, handle, replyOf, requestDigest, type HubContext, type Reply, type StoreFaultReport } from './handlers';
import { connectionsMax, populationPersonsMax, readBytes, sessionLifetimeSeconds, stateLogBytesMax, terminalsMax } from './limits';
import { catalogueLineOf, policyBookVersion, seedBills, seeds, seedCatalogues, seedInstitutions, seedPersons, seedPolicies, syntheticTerminalId, syntheticTerminalSeed, syntheticInstitution, type HubBill, type HubPerson } from './seed';
import { HubState } from './state';
import { Versions } from './versions';

export interface HubOptions {
  /** The state directory (created and seeded when empty). */
  readonly dir: string;
  /** Wall-clock time, integer seconds since 1970. */
  readonly timeS: () => number;
  readonly storage?: JournalStorage;
  readonly crypto?: CryptoProvider;
  /** Where a new hub's signing key comes from (tests pass a fixed one). */
  readonly randomBytes?: (count: number) => Uint8Array;
  /** Seed a new state directory with the worked cases' patients (default true). */
  readonly seed?: boolean;
  readonly sessionLifetimeSeconds?: number;
  /** The offline floor limit the hub announces and holds advices to, fen. */
  readonly offlineFloorFen?: number;
  readonly log?: (line: string) => void;
}

export const defaultOfflineFloorFen = 50_000;

export interface HubStats {
  frames: number;
  replies: number;
  refusedFrames: number;
  droppedDuplicates: number;
  commits: number;
  events: number;
  /** Time from a request frame's arrival to its sealed reply (opening, handling, persisting, sealing), summed, ns: the hub's compute. */
  busyNs: number;
}



export class ReferenceHub {
  readonly state = new HubState();
  readonly stats: HubStats = { frames: 0, replies: 0, refusedFrames: 0, droppedDuplicates: 0, commits: 0, events: 0, busyNs: 0 };
  readonly publicKey: Uint8Array;
  readonly versions: Versions;
  private readonly ctx: HubContext;
  private readonly sealer: Sealer;
  private readonly opener: Opener;
  private readonly encoder = createCborXEncoder();
  private readonly connections = new Set<Port>();
  private queue: Uint8Array[] = [];
  private waiting: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private flushScheduled = false;
  private stopped = false;
  private failure: unknown = null;

  /** Terminals' reports of a damaged catalogue or policy book (kept while the hub runs), by terminal and kind. */
  get storeFaults(): ReadonlyMap<string, StoreFaultReport> {
    return this.ctx.storeFaults;
  }

  private constructor(
    private readonly options: HubOptions,
    private readonly log: AppendLog,
    private readonly storage: JournalStorage,
    signer: Signer,
    verifier: Verifier,
    private readonly lockFile: string,
  ) {
    this.publicKey = signer.publicKey;
    this.versions = new Versions(this.state, storage, options.dir, signer, verifier);
    this.sealer = createSealer(signer, 'down', this.encoder);
    const provider = options.crypto ?? nodeCryptoProvider;
    const verifiers = new Map<string, Verifier>();
    this.opener = createOpener({
      expect: 'up',
      clock: options.timeS,
      keyFor: (kid) => {
        const terminal = this.state.terminalByKid(kid);
        const key = terminal?.keys.find((candidate) => bytesEqual(candidate.subarray(0, kid.length), kid));
        if (key === undefined) return null;
        const hex = bytesToHex(key);
        let found = verifiers.get(hex);
        if (found === undefined) verifiers.set(hex, (found = provider.verifier(key)));
        return found;
      },
    });
    this.ctx = {
      state: this.state,
      versions: this.versions,
      encoder: this.encoder,
      hubPublicKey: signer.publicKey,
      sessionLifetimeSeconds: options.sessionLifetimeSeconds ?? sessionLifetimeSeconds,
      offlineFloorFen: options.offlineFloorFen ?? defaultOfflineFloorFen,
      timeS: options.timeS,
      transfers: new Map(),
      storeFaults: new Map(),
      reconPages: new Map(),
    };
  }

  /** Opens a state directory (creating and seeding it when empty) and rebuilds the state from its log. */
  static open(options: HubOptions): ReferenceHub {
    const storage = options.storage ?? nodeJournalStorage();
    mkdirSync(options.dir, { recursive: true });
    const lockFile = path.join(options.dir, 'hub.lock');
    takeLock(lockFile);
    try {
      const keyFile = path.join(options.dir, 'hub.key');
      if (!existsSync(keyFile)) writeFileSync(keyFile, `${bytesToHex((options.randomBytes ?? nodeRandomBytes)(32))}\n`, { mode: 0o600, flag: 'wx' });
      const provider = options.crypto ?? nodeCryptoProvider;
      const signer = provider.signer(hexToBytes(readFileSync(keyFile, 'utf8').trim(), 32, 'hub.key'));
      const opened = AppendLog.open(storage, path.join(options.dir, 'hub.log'), stateLogBytesMax);
      const hub = new ReferenceHub(options, opened.log, storage, signer, provider.verifier(signer.publicKey), lockFile);
      for (const payload of opened.payloads) hub.state.apply(decodeEvent(payload));
      // A new directory is seeded; so is one whose seeding a power cut interrupted (it starts with the first seed catalogue).
      const first = seeds[0] as (typeof seeds)[number];
      const begun = hub.versions.find('catalogue', catalogueLineOf(first.case.institution), first.case.catalogue.version) !== undefined;
      if (options.seed !== false && (opened.payloads.length === 0 || begun)) hub.seedState();
      options.log?.(`hub: ${opened.payloads.length} events replayed${opened.tornBytes > 0 ? `, ${opened.tornBytes} torn bytes cut` : ''}; ${hub.state.ledger.length} settlements`);
      return hub;
    } catch (error) {
      releaseLock(lockFile);
      throw error;
    }
  }

  /** Seeds whatever of the worked cases is missing: all of it in a new directory, the rest of an interrupted seeding. */
  private seedState(): void {
    const events: HubEvent[] = [];
    const published = (kind: 'catalogue' | 'policy_book', line: string, version: string) => this.versions.find(kind, line, version) !== undefined;
    // Ordered as they were appended: a torn append leaves a prefix, and an interrupted seeding resumes from any prefix.
    for (const catalogue of seedCatalogues()) if (!published('catalogue', catalogue.line, catalogue.version)) events.push(this.versions.publish('catalogue', catalogue.line, catalogue.version, catalogue.records));
    if (!published('policy_book', '', policyBookVersion)) events.push(this.versions.publish('policy_book', '', policyBookVersion, seedPolicies()));
    for (const institution of seedInstitutions()) if (!this.state.institutions.has(institution.fixmedins_code)) events.push({ kind: 'institution', institution });
    for (const person of seedPersons()) if (this.state.person(person.person.psn_no) === undefined) events.push({ kind: 'person', person: person.person, credentials: [...person.credentials] });
    for (const bill of seedBills()) if (this.state.bill(bill.mdtrt_id) === undefined) events.push({ kind: 'bill', ...bill, lines: [...bill.lines] });
    if (events.length > 0) this.commitNow(events);
  }

  // ---- administration (tests, the CLI) ---------------------------------------

  /** Appends and applies events at once, after anything already queued. */
  commitNow(events: readonly HubEvent[]): void {
    this.flushNow();
    const payloads = events.map((event) => encodeEvent(this.encoder, event));
    for (const event of events) this.state.apply(event);
    this.appendAll(payloads);
  }

  enroll(id: string, publicKey: Uint8Array, fixmedinsCode: string): void {
    assert(this.state.institutions.has(fixmedinsCode), `institution ${fixmedinsCode} is known`);
    assert(this.state.terminals.size < terminalsMax, 'terminals are bounded');
    assert(this.state.terminalByKid(publicKey.subarray(0, 8)) === undefined, 'key ids are unique');
    this.commitNow([{ kind: 'terminal', id, public_key: publicKey, fixmedins_code: fixmedinsCode }]);
  }

  /** Adds a synthetic population and, optionally, terminals at its institutions (their keys from the seed). */
  generate(seed: number, persons: number, billsPerPerson: number, date: string, terminals = 0, crypto: CryptoProvider = nodeCryptoProvider): string[] {
    assert(persons >= 1 && persons <= populationPersonsMax, 'population size is bounded');
    const events: HubEvent[] = [{ kind: 'population', seed, persons, bills_per_person: billsPerPerson, date }];
    const ids: string[] = [];
    for (let index = 0; index < terminals; index += 1) {
      const id = syntheticTerminalId(seed, index);
      if (this.state.terminals.has(id)) continue;
      ids.push(id);
      events.push({ kind: 'terminal', id, public_key: crypto.signer(syntheticTerminalSeed(seed, index)).publicKey, fixmedins_code: syntheticInstitution(index).fixmedins_code });
    }
    this.commitNow(events);
    return ids;
  }

  putPerson(person: HubPerson): void {
    this.commitNow([{ kind: 'person', person: person.person, credentials: [...person.credentials] }]);
  }

  putBill(bill: HubBill): void {
    this.commitNow([{ kind: 'bill', ...bill, lines: [...bill.lines] }]);
  }

  putInstitution(institution: Institution): void {
    this.commitNow([{ kind: 'institution', institution }]);
  }

  publish(...args: Parameters<Versions['publish']>): void {
    this.commitNow([this.versions.publish(...args)]);
  }

  // ---- serving ----------------------------------------------------------------

  /** Serves one connection (a serial line, a pty, a socket) until it closes. */
  async serve(port: Port): Promise<void> {
    assert(this.connections.size < connectionsMax, 'connections are bounded');
    this.connections.add(port);
    const decoder = new FrameDecoder();
    const buffer = new Uint8Array(readBytes);
    try {
      while (!this.stopped) {
        let count: number;
        try {
          count = await port.read(buffer);
        } catch {
          return;
        }
        for (const event of decoder.push(buffer.subarray(0, count))) if (event.kind === 'frame') void this.onFrame(event, port);
      }
    } finally {
      this.connections.delete(port);
    }
  }

  private async onFrame(frame: ReceivedFrame, port: Port): Promise<void> {
    if (this.stopped) return;
    const started = process.hrtime.bigint();
    this.stats.frames += 1;
    const opened = this.opener.open(frame);
    if (!opened.ok) return this.refuseFrame(frame, errorReplyCode(opened.error), opened.error.detail, port, started);
    const message = opened.message;
    const terminal = this.state.terminals.get(message.terminal);
    if (terminal === undefined || !terminal.keys.some((key) => bytesEqual(key, opened.verifier.publicKey))) {
      return this.send(port, message, errorReply('unknown_kid', `the key is not ${message.terminal}'s`), 0, started);
    }
    if (messageTypeByName(message.type).id % 2 === 0) return this.send(port, message, errorReply('unknown_type', 'a terminal sends requests'), frame.header.session, started);
    if (message.type !== 'sign_in' && (terminal.session === 0 || frame.header.session !== terminal.session || this.options.timeS() > terminal.sessionExpires)) {
      return this.send(port, message, errorReply('session_unknown', 'sign in again'), 0, started);
    }
    const verdict = terminal.window.check(message.seq);
    if (verdict.kind === 'stale') return this.send(port, message, errorReply('replay_stale', `seq ${message.seq} is older than the window`), frame.header.session, started);
    if (verdict.kind === 'duplicate' && terminal.inProgress.has(message.seq)) {
      this.stats.droppedDuplicates += 1;
      return;
    }
    if (verdict.kind === 'new') terminal.window.accept(message.seq);
    terminal.inProgress.add(message.seq);
    let reply: Reply;
    try {
      const handled = handle(this.ctx, terminal, message, requestDigest(this.encoder, message));
      reply = handled.reply;
      if (handled.event !== undefined) {
        this.state.apply(handled.event);
        await this.persist(encodeEvent(this.encoder, handled.event));
      } else {
        await this.barrier();
      }
    } catch (error) {
      if (this.stopped || this.failure !== null) return;
      this.options.log?.(`hub: internal error on ${message.type} from ${message.terminal} seq ${message.seq}: ${(error as Error).stack ?? String(error)}`);
      reply = errorReply('internal', (error as Error).message);
    } finally {
      terminal.inProgress.delete(message.seq);
    }
    if (this.stopped) return;
    // A sign-in's reply goes before the session (its body names it); a
    // sign-out's in the session it ends (the terminal's is 0 by now).
    const session = reply.type === 'sign_in_reply' || reply.type === 'error' ? 0 : reply.type === 'sign_out_reply' ? frame.header.session : terminal.session;
    await this.send(port, message, reply, session, started);
  }

  /**
   * Answers a frame that failed its checks with the stable code, when its
   * payload names a terminal we know and a seq (the signature may be bad: the
   * reply says so and changes nothing). A frame that names none is dropped.
   */
  private async refuseFrame(frame: ReceivedFrame, code: ErrorCode, detail: string, port: Port, started: bigint): Promise<void> {
    this.stats.refusedFrames += 1;
    const parsed = parseSign1(frame.cose, { profile: wireHeaders, requireTag: true });
    const decoded = parsed.ok ? decodeStrict(parsed.sign1.payload) : null;
    const wire = decoded?.ok && Array.isArray(decoded.value) ? decoded.value : [];
    const [, terminal, seq] = wire;
    if (typeof terminal !== 'string' || !this.state.terminals.has(terminal) || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return;
    await this.send(port, { type: 'error', terminal, seq, time: 0, body: { code, detail: '' } }, errorReply(code, detail), 0, started);
  }

  private async send(port: Port, request: AnyMessage, reply: Reply, session: number, started: bigint): Promise<void> {
    const message = { type: reply.type, terminal: request.terminal, seq: request.seq, time: this.options.timeS(), body: reply.body } as AnyMessage;
    try {
      const sealed = this.sealer.seal(message, session);
      this.stats.busyNs += Number(process.hrtime.bigint() - started);
      await port.write(sealed);
      this.stats.replies += 1;
    } catch {
      // The connection went away; the terminal retries with the same seq and gets the same answer.
    }
  }

  /** What the hub holds, in a few figures (for `hub show`). */
  summary(): Record<string, unknown> {
    const versions = [...this.state.versions.values()].map((list) => list.at(-1)).map((version) => version && { kind: version.kind, line: version.line, version: version.version, serial: version.serial });
    const inForce = this.state.ledger.filter((settlement) => !settlement.reversed && settlement.cancelled === null).length;
    return {
      hub_key: bytesToHex(this.publicKey),
      versions,
      institutions: [...this.state.institutions.keys()],
      terminals: this.state.terminals.size,
      settlements: this.state.ledger.length,
      in_force: inForce,
      cancellations: this.state.cancellations.size,
      audits: this.state.refusals.length,
      log_bytes: this.log.size,
    };
  }

  /** The reply a request (already answered) stands for; for tests and tools. */
  answerOf(terminal: string, seq: number): Reply | undefined {
    const event = this.state.terminals.get(terminal)?.answers.get(seq);
    return event === undefined ? undefined : replyOf(this.ctx, event);
  }

  // ---- durability ---------------------------------------------------------------

  private persist(payload: Uint8Array): Promise<void> {
    this.queue.push(payload);
    return this.barrier();
  }

  /** Resolves once every event applied so far is durable. */
  private barrier(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.queue.length === 0 && !this.flushScheduled) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flushNow());
      }
    });
  }

  private flushNow(): void {
    this.flushScheduled = false;
    if (this.stopped) return;
    const payloads = this.queue;
    const waiting = this.waiting;
    this.queue = [];
    this.waiting = [];
    try {
      this.appendAll(payloads);
      for (const waiter of waiting) waiter.resolve();
    } catch (error) {
      // The disk failed: what is in memory may not be on disk, so the hub stops answering.
      this.failure = error;
      this.options.log?.(`hub: the state log failed, stopping: ${(error as Error).message}`);
      for (const waiter of waiting) waiter.reject(error);
      void this.close();
    }
  }

  private appendAll(payloads: readonly Uint8Array[]): void {
    let batch: Uint8Array[] = [];
    let bytes = 0;
    for (const payload of payloads) {
      if (batch.length > 0 && bytes + payload.length + 8 > appendBytesMax) {
        this.log.append(batch);
        this.stats.commits += 1;
        batch = [];
        bytes = 0;
      }
      batch.push(payload);
      bytes += payload.length + 8;
    }
    if (batch.length > 0) {
      this.log.append(batch);
      this.stats.commits += 1;
    }
    this.stats.events += payloads.length;
  }

  /** Stops serving after making everything applied durable; closes every connection. Safe twice. */
  async close(): Promise<void> {
    if (!this.stopped && this.failure === null) this.flushNow();
    await this.stop();
  }

  /** Stops as a power cut would: whatever is not yet written is lost. For tests. */
  async crash(): Promise<void> {
    this.queue = [];
    for (const waiter of this.waiting.splice(0)) waiter.reject(new Error('crashed'));
    await this.stop();
  }

  private async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all([...this.connections].map((port) => port.close()));
    releaseLock(this.lockFile);
  }
}

/** Takes the state directory's lock, refusing while another live process holds it. */
function takeLock(file: string): void {
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    let alive = false;
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch {
        alive = false;
      }
    }
    if (alive) throw new HubStateLocked(`${path.dirname(file)} is served by process ${pid}`);
    unlinkSync(file);
  }
  writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
}

function releaseLock(file: string): void {
  try {
    if (existsSync(file) && Number(readFileSync(file, 'utf8').trim()) === process.pid) unlinkSync(file);
  } catch {
    // Best effort: a stale lock of a dead process is taken over at the next start.
  }
}

export class HubStateLocked extends Error {
  override readonly name = 'HubStateLocked';
  readonly code = 'state_locked';
}
