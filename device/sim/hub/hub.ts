// The reference hub (issue #7): the far end of the terminal's protocol, over
// any byte stream (a serial port, a pty, a TCP connection: anything that is a
// Port). Its state lives in a directory: a signing key, the published
// catalogue and policy-book snapshots, and one append-only log of events
// (events.ts) from which everything else is rebuilt at start. A reply leaves
// only once the events it depends on are durable (group commit: the events of
// one turn of the event loop share one write and one fdatasync; on the real
// disk that fdatasync runs off the event loop, log-sync.ts, and the events
// that come while it runs make the next group), so killing
// the hub at any moment loses nothing it answered, and a terminal's retry
// (same seq) gets the answer it missed.
//
// Frames are checked in this order: signature and schema (the opener), the
// terminal's enrolment and key, the session, the replay window (a stale seq,
// or one too far ahead, is refused and recorded nowhere; a sign-in outside the
// window is answered with the next seq the hub takes; a duplicate in progress
// is dropped); then the handler (`dispatch`). A network connection is held to
// the connection limits (README): a total, a number not yet vouched for by a
// signed request per address, a deadline for that request, and a budget of
// refused frames. Nothing a peer sends reaches an assertion: a failure inside
// is logged and counted, and the hub goes on.
import assert from 'node:assert';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCborEncoder } from '../../../protocol/cbor-encode';
import { decodeStrict, Tagged } from '../../../protocol/cbor-decode';
import { coseSign1Tag } from '../../../protocol/cose';
import { bytesEqual, bytesToHex, hexToBytes, type CryptoProvider, type Signer, type Verifier } from '../../../protocol/crypto';
import { nodeCryptoProvider } from '../../../protocol/crypto-node';
import { createOpener, createSealer, errorReplyCode, type AnyMessage, type Opener, type ReceivedFrame, type Sealer } from '../../../protocol/envelope';
import { FrameDecoder } from '../../../protocol/framing';
import { frameBytesMax } from '../../../protocol/limits';
import { messageTypeByName, terminalId, type BodyOf, type ErrorCode, type Institution } from '../../../protocol/messages';
import { fromWire } from '../../../protocol/schema';
import { appendBytesMax, AppendLog } from '../../../src/journal/log';
import { nodeJournalStorage, type JournalStorage } from '../../../src/journal/storage';
import type { Port } from '../../port';
import { decodeEvent, encodeEvent, type HubEvent } from './events';
import { errorReply, handle, replyOf, requestDigest, resyncReply, type Handled, type HubContext, type Reply, type StoreFaultReport } from './handlers';
import { HubStateMissing } from './hub-errors';
import { DeferredSyncStorage } from './log-sync';
import { connectionsMax, pendingConnectionsPerAddressMax, populationPersonsMax, readBytes, refusedFramesPerConnectionMax, sessionLifetimeSeconds, signInDeadlineMs, stateLogBytesMax, terminalsMax } from './limits';
import { StateLock } from './lock';
import { catalogueLineOf, policyBookVersion, seedBills, seeds, seedCatalogues, seedInstitutions, seedPersons, seedPolicies, syntheticTerminalId, syntheticTerminalSeed, syntheticInstitution, type HubBill, type HubPerson } from './seed';
import { HubState, type TerminalRecord } from './state';
import { Versions } from './versions';

export { HubStateLocked, HubStateMissing } from './hub-errors';

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
  /** Timers for the connections' sign-in deadlines (tests pass their own); the global ones by default. */
  readonly timers?: HubTimers;
  /** The connection limits (limits.ts by default; `hub serve` flags, tests). */
  readonly connectionLimits?: Partial<ConnectionLimits>;
  /**
   * Opens an existing state directory to read it (`hub show`, `audit`,
   * `clearing`): nothing is created, seeded or cut; a directory that holds
   * no hub is refused (HubStateMissing).
   */
  readonly readOnly?: boolean;
  /**
   * Answers requests instead of the built-in handlers, after the same
   * checks (enrolment, session, replay window) and with the same durability
   * of its event: the gateway to the national interface forwards there and
   * may await the platform (`hub gateway`). Omitted: the hub's own handlers.
   */
  readonly handler?: (ctx: HubContext, terminal: TerminalRecord, request: AnyMessage, digest: Uint8Array) => Promise<Handled>;
}

export interface HubTimers {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ConnectionLimits {
  /** Connections served at once. */
  readonly connectionsMax: number;
  /** Network connections from one address not yet vouched for by a signed request. */
  readonly pendingPerAddressMax: number;
  /** Time a network connection has to carry a signed request, ms. */
  readonly signInDeadlineMs: number;
  /** Refused frames a network connection may carry before a signed request. */
  readonly refusedFramesMax: number;
}

export const defaultConnectionLimits: ConnectionLimits = {
  connectionsMax,
  pendingPerAddressMax: pendingConnectionsPerAddressMax,
  signInDeadlineMs,
  refusedFramesMax: refusedFramesPerConnectionMax,
};

const globalTimers: HubTimers = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** One connection served: its peer's address (null: a serial line, held to no per-peer limit), and what it did. */
interface Connection {
  readonly port: Port;
  readonly address: string | null;
  /** It carried a new request signed by an enrolled terminal (or it is a serial line). */
  authenticated: boolean;
  refused: number;
  deadline: unknown;
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
  /** Connections closed at once by a connection limit. */
  refusedConnections: number;
  /** Network connections closed for carrying no signed request in time. */
  closedUnsigned: number;
  /** Network connections closed for carrying only refused frames. */
  closedRefusing: number;
  /** Sign-ins outside the window, answered with where to continue. */
  resyncs: number;
  /** Failures the hub survived (logged): a bug, never a peer's doing. */
  internalErrors: number;
}



export class ReferenceHub {
  readonly state = new HubState();
  readonly stats: HubStats = { frames: 0, replies: 0, refusedFrames: 0, droppedDuplicates: 0, commits: 0, events: 0, busyNs: 0, refusedConnections: 0, closedUnsigned: 0, closedRefusing: 0, resyncs: 0, internalErrors: 0 };
  readonly publicKey: Uint8Array;
  readonly versions: Versions;
  private readonly ctx: HubContext;
  private readonly sealer: Sealer;
  private readonly opener: Opener;
  private readonly encoder = createCborEncoder();
  private readonly connections = new Map<Port, Connection>();
  /** Network connections not yet vouched for, by address. */
  private readonly pendingByAddress = new Map<string, number>();
  private readonly limits: ConnectionLimits;
  private readonly timers: HubTimers;
  private queue: Uint8Array[] = [];
  private waiting: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private flushScheduled = false;
  /** The fdatasync of the group being committed off the event loop (the real disk only), or null. */
  private inFlight: Promise<void> | null = null;
  private readonly deferred: DeferredSyncStorage | null;
  private crashed = false;
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
    private readonly lock: StateLock,
  ) {
    this.publicKey = signer.publicKey;
    this.deferred = storage instanceof DeferredSyncStorage ? storage : null;
    this.limits = { ...defaultConnectionLimits, ...options.connectionLimits };
    this.timers = options.timers ?? globalTimers;
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
        const hex = Buffer.from(key.buffer, key.byteOffset, key.length).toString('hex');
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

  /** Opens a state directory (creating and seeding it when empty, unless read-only) and rebuilds the state from its log. */
  static open(options: HubOptions): ReferenceHub {
    const readOnly = options.readOnly === true;
    const keyFile = path.join(options.dir, 'hub.key');
    const logFile = path.join(options.dir, 'hub.log');
    // A read-only command never creates state: no directory, key or log is made, nothing seeded or cut.
    if (readOnly && !(existsSync(keyFile) && existsSync(logFile))) throw new HubStateMissing(`${options.dir} holds no hub state (hub.key and hub.log)`);
    const storage = readOnly ? readOnlyStorage(options.storage ?? nodeJournalStorage()) : (options.storage ?? new DeferredSyncStorage(nodeJournalStorage()));
    if (!readOnly) mkdirSync(options.dir, { recursive: true });
    const lock = StateLock.take(options.dir);
    try {
      if (!existsSync(keyFile)) writeFileSync(keyFile, `${bytesToHex((options.randomBytes ?? nodeRandomBytes)(32))}\n`, { mode: 0o600, flag: 'wx' });
      const provider = options.crypto ?? nodeCryptoProvider;
      const signer = provider.signer(hexToBytes(readFileSync(keyFile, 'utf8').trim(), 32, 'hub.key'));
      const opened = AppendLog.open(storage, logFile, stateLogBytesMax);
      const hub = new ReferenceHub(options, opened.log, storage, signer, provider.verifier(signer.publicKey), lock);
      for (const payload of opened.payloads) hub.state.apply(decodeEvent(payload));
      // A new directory is seeded; so is one whose seeding a power cut interrupted (it starts with the first seed catalogue).
      const first = seeds[0] as (typeof seeds)[number];
      const begun = hub.versions.find('catalogue', catalogueLineOf(first.case.institution), first.case.catalogue.version) !== undefined;
      if (!readOnly && options.seed !== false && (opened.payloads.length === 0 || begun)) hub.seedState();
      options.log?.(`hub: ${opened.payloads.length} events replayed${opened.tornBytes > 0 ? `, ${opened.tornBytes} torn bytes ${readOnly ? 'ignored' : 'cut'}` : ''}; ${hub.state.ledger.length} settlements`);
      return hub;
    } catch (error) {
      lock.release();
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

  /** Enrols a terminal: a kiosk, or a staffed counter terminal whose sign-in may name an operator (who may cancel). */
  enroll(id: string, publicKey: Uint8Array, fixmedinsCode: string, role: 'kiosk' | 'counter' = 'kiosk'): void {
    assert(this.state.institutions.has(fixmedinsCode), `institution ${fixmedinsCode} is known`);
    assert(this.state.terminals.size < terminalsMax, 'terminals are bounded');
    assert(this.state.terminalByKid(publicKey.subarray(0, 8)) === undefined, 'key ids are unique');
    this.commitNow([{ kind: 'terminal', id, public_key: publicKey, fixmedins_code: fixmedinsCode, ...(role === 'counter' && { role }) }]);
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

  /**
   * Serves one connection (a serial line, a pty, a socket) until it closes.
   * A network connection names its peer's `address`: it is held to the
   * connection limits (README, connection limits). Never throws: a failure
   * inside is logged and counted, and the connection closes.
   */
  async serve(port: Port, origin: { readonly address: string } | null = null): Promise<void> {
    const connection = this.admit(port, origin?.address ?? null);
    if (connection === null) {
      this.stats.refusedConnections += 1;
      await port.close().catch(() => undefined);
      return;
    }
    // The frame decoder's buffers (two frames' worth) are made when the first bytes come: an idle connection costs little.
    let decoder: FrameDecoder | null = null;
    const buffer = new Uint8Array(readBytes);
    try {
      while (!this.stopped) {
        let count: number;
        try {
          count = await port.read(buffer);
        } catch {
          return;
        }
        decoder ??= new FrameDecoder();
        for (const event of decoder.push(buffer.subarray(0, count))) {
          if (event.kind === 'frame') this.onFrame(event, port, connection).catch((error: unknown) => this.internalError('a frame', error));
        }
      }
    } catch (error) {
      this.internalError('a connection', error);
    } finally {
      this.release(connection);
      await port.close().catch(() => undefined);
    }
  }

  /** Logs and counts a failure the hub survives (a bug, never a peer's doing: those are typed refusals). */
  internalError(where: string, error: unknown): void {
    this.stats.internalErrors += 1;
    this.options.log?.(`hub: internal error on ${where}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }

  /** A connection's place, or null when a limit refuses it. */
  private admit(port: Port, address: string | null): Connection | null {
    if (this.stopped || this.connections.size >= this.limits.connectionsMax) return null;
    const connection: Connection = { port, address, authenticated: address === null, refused: 0, deadline: null };
    if (address !== null) {
      const pending = this.pendingByAddress.get(address) ?? 0;
      if (pending >= this.limits.pendingPerAddressMax) return null;
      this.pendingByAddress.set(address, pending + 1);
      connection.deadline = this.timers.setTimeout(() => {
        connection.deadline = null;
        if (connection.authenticated) return;
        this.stats.closedUnsigned += 1;
        void port.close().catch(() => undefined);
      }, this.limits.signInDeadlineMs);
    }
    this.connections.set(port, connection);
    return connection;
  }

  /** The connection carried a new request signed by an enrolled terminal: the pending limits no longer hold it. */
  private authenticate(connection: Connection): void {
    if (connection.authenticated) return;
    connection.authenticated = true;
    this.settlePending(connection);
  }

  private release(connection: Connection): void {
    if (this.connections.get(connection.port) !== connection) return;
    this.connections.delete(connection.port);
    if (!connection.authenticated) this.settlePending(connection);
  }

  private settlePending(connection: Connection): void {
    if (connection.deadline !== null) this.timers.clearTimeout(connection.deadline);
    connection.deadline = null;
    if (connection.address === null) return;
    const pending = (this.pendingByAddress.get(connection.address) ?? 1) - 1;
    if (pending > 0) this.pendingByAddress.set(connection.address, pending);
    else this.pendingByAddress.delete(connection.address);
  }

  /** A refused frame on a connection nothing signed has vouched for: past the limit, the connection closes. */
  private countRefusal(connection: Connection): void {
    if (connection.authenticated) return;
    connection.refused += 1;
    if (connection.refused !== this.limits.refusedFramesMax) return;
    this.stats.closedRefusing += 1;
    void connection.port.close().catch(() => undefined);
  }

  private async onFrame(frame: ReceivedFrame, port: Port, connection: Connection): Promise<void> {
    if (this.stopped) return;
    const started = process.hrtime.bigint();
    this.stats.frames += 1;
    const opened = this.opener.open(frame);
    if (!opened.ok) {
      this.countRefusal(connection);
      return this.refuseFrame(frame, errorReplyCode(opened.error), opened.error.detail, port, started);
    }
    const answered = await this.dispatch(opened.message, opened.verifier.publicKey, frame.header.session);
    if (answered === null) return;
    if (answered.fresh) this.authenticate(connection);
    else if (answered.reply.type === 'error') this.countRefusal(connection);
    if (this.stopped) return;
    await this.send(port, opened.message, answered.reply, answered.session, started);
  }

  /**
   * Answers a verified message (signed under `key`, in frame session
   * `session`): the terminal's enrolment and key, the session, the replay
   * window, then the handler; the change is durable before this resolves.
   * Resolves to the reply and the session its frame goes in, and whether the
   * message was a new request of an enrolled terminal; null for a duplicate
   * whose first answer is still coming. For the hub's own tools and tests,
   * `onFrame` after the signature check.
   */
  async dispatch(message: AnyMessage, key: Uint8Array, session: number): Promise<{ reply: Reply; session: number; fresh: boolean } | null> {
    const refused = (reply: Reply, inSession = 0) => ({ reply, session: inSession, fresh: false });
    const terminal = this.state.terminals.get(message.terminal);
    if (terminal === undefined || !terminal.keys.some((candidate) => bytesEqual(candidate, key))) return refused(errorReply('unknown_kid', `the key is not ${message.terminal}'s`));
    if (messageTypeByName(message.type).id % 2 === 0) return refused(errorReply('unknown_type', 'a terminal sends requests'), session);
    if (message.type !== 'sign_in' && (terminal.session === 0 || session !== terminal.session || this.options.timeS() > terminal.sessionExpires)) {
      return refused(errorReply('session_unknown', 'sign in again'));
    }
    const verdict = terminal.window.check(message.seq);
    const digest = requestDigest(this.encoder, message);
    if (message.type === 'sign_in' && resynchronises(verdict.kind, terminal.answers.get(message.seq), digest)) {
      // A sign-in outside the window (a terminal whose numbers fell behind, or ran ahead): no session, nothing recorded; the signed answer says where to continue.
      this.stats.resyncs += 1;
      return { reply: resyncReply(this.ctx, terminal, message.body as BodyOf<'sign_in'>), session: 0, fresh: false };
    }
    if (verdict.kind === 'stale') return refused(errorReply('replay_stale', `seq ${message.seq} is older than the window`), session);
    if (verdict.kind === 'ahead') return refused(errorReply('replay_stale', `seq ${message.seq} is more than ${terminal.window.forwardMax} past ${terminal.window.nextSeq - 1}; sign in to continue`), session);
    if (verdict.kind === 'duplicate' && terminal.inProgress.has(message.seq)) {
      this.stats.droppedDuplicates += 1;
      return null;
    }
    if (verdict.kind === 'new') terminal.window.accept(message.seq);
    terminal.inProgress.add(message.seq);
    let reply: Reply;
    try {
      const custom = this.options.handler;
      const handled = custom === undefined ? handle(this.ctx, terminal, message, digest) : await custom(this.ctx, terminal, message, digest);
      reply = handled.reply;
      if (handled.event !== undefined) {
        this.state.apply(handled.event);
        await this.persist(encodeEvent(this.encoder, handled.event));
      } else {
        await this.barrier();
      }
    } catch (error) {
      if (this.stopped || this.failure !== null) return null;
      this.internalError(`${message.type} from ${message.terminal} seq ${message.seq}`, error);
      reply = errorReply('internal', (error as Error).message);
    } finally {
      terminal.inProgress.delete(message.seq);
    }
    // A sign-in's reply goes before the session (its body names it); a
    // sign-out's in the session it ends (the terminal's is 0 by now).
    const replySession = reply.type === 'sign_in_reply' || reply.type === 'error' ? 0 : reply.type === 'sign_out_reply' ? session : terminal.session;
    return { reply, session: replySession, fresh: verdict.kind === 'new' };
  }

  /**
   * Answers a frame that failed its checks with the stable code, when its
   * payload names a terminal we know and a seq (the signature or the headers
   * may be bad: the reply says so and changes nothing). The COSE structure is
   * read here without its header profile, so an unsupported alg or a
   * malformed protected header is answered too. A frame that names none is
   * dropped: there is no one to answer.
   */
  private async refuseFrame(frame: ReceivedFrame, code: ErrorCode, detail: string, port: Port, started: bigint): Promise<void> {
    this.stats.refusedFrames += 1;
    const named = namedIn(frame.cose);
    if (named === null || !this.state.terminals.has(named.terminal)) return;
    await this.send(port, { type: 'error', terminal: named.terminal, seq: named.seq, time: 0, body: { code, detail: '' } }, errorReply(code, detail), 0, started);
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
    if (this.queue.length === 0 && !this.flushScheduled) return this.inFlight ?? Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    // While a group's fdatasync runs, what comes waits for it and then goes as the next group.
    if (this.flushScheduled || this.inFlight !== null) return;
    this.flushScheduled = true;
    setImmediate(() => this.flushTurn());
  }

  /** Commits the queued group: its write now, its fdatasync off the event loop on the real disk (one append at most, so only the last append is ever unsynced). */
  private flushTurn(): void {
    this.flushScheduled = false;
    const deferred = this.deferred;
    if (this.stopped || this.inFlight !== null) return;
    let bytes = 0;
    for (const payload of this.queue) bytes += payload.length + 8;
    if (deferred === null || this.queue.length === 0 || bytes > appendBytesMax) return this.flushNow();
    const payloads = this.queue;
    const waiting = this.waiting;
    this.queue = [];
    this.waiting = [];
    let files: string[];
    try {
      files = deferred.deferring(() => this.appendAll(payloads));
    } catch (error) {
      return this.fail(error, waiting);
    }
    const synced = Promise.all(files.map((file) => deferred.syncAsync(file))).then(
      () => {
        this.inFlight = null;
        if (this.crashed) {
          for (const waiter of waiting) waiter.reject(new Error('crashed'));
          return;
        }
        for (const waiter of waiting) waiter.resolve();
        if (this.stopped) deferred.close();
        else if (this.queue.length > 0 || this.waiting.length > 0) this.scheduleFlush();
      },
      (error: unknown) => {
        this.inFlight = null;
        this.fail(error, waiting);
        throw error;
      },
    );
    this.inFlight = synced;
    // Its waiters are told above; a barrier that joins it sees the outcome itself.
    synced.catch(() => undefined);
  }

  private flushNow(): void {
    this.flushScheduled = false;
    if (this.stopped) return;
    const payloads = this.queue;
    const waiting = this.waiting;
    this.queue = [];
    this.waiting = [];
    try {
      // A group still syncing off the loop is made durable first: never two unsynced appends.
      if (this.inFlight !== null) this.storage.sync(this.log.file);
      this.appendAll(payloads);
      for (const waiter of waiting) waiter.resolve();
    } catch (error) {
      this.fail(error, waiting);
    }
  }

  /** The disk failed: what is in memory may not be on disk, so the hub stops answering. */
  private fail(error: unknown, waiting: readonly { reject: (error: unknown) => void }[]): void {
    for (const waiter of waiting) waiter.reject(error);
    if (this.failure !== null || this.stopped) return;
    this.failure = error;
    this.options.log?.(`hub: the state log failed, stopping: ${(error as Error).message}`);
    void this.close();
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
    this.crashed = true;
    this.queue = [];
    for (const waiter of this.waiting.splice(0)) waiter.reject(new Error('crashed'));
    await this.stop();
  }

  private async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const connection of this.connections.values()) if (connection.deadline !== null) this.timers.clearTimeout(connection.deadline);
    await Promise.all([...this.connections.keys()].map((port) => port.close().catch(() => undefined)));
    // A group's fdatasync still running finishes first (its replies may go; nothing after it does).
    await this.inFlight?.catch(() => undefined);
    this.deferred?.close();
    this.lock.release();
  }
}

/** Whether a sign-in is outside the window: older than it, too far ahead, or a seq this terminal used for another request. */
function resynchronises(verdict: 'new' | 'duplicate' | 'stale' | 'ahead', answered: { readonly digest: Uint8Array } | undefined, digest: Uint8Array): boolean {
  return verdict === 'stale' || verdict === 'ahead' || (verdict === 'duplicate' && answered !== undefined && !bytesEqual(answered.digest, digest));
}

/**
 * The terminal and seq a COSE_Sign1's payload names, read without checking
 * its headers or signature (to address a refusal); null when it names none.
 */
function namedIn(cose: Uint8Array): { terminal: string; seq: number } | null {
  const outer = decodeStrict(cose, { topLevelTags: [coseSign1Tag], stringBytesMax: frameBytesMax });
  const body = outer.ok && outer.value instanceof Tagged ? outer.value.value : null;
  const payload = Array.isArray(body) && body.length === 4 ? body[2] : null;
  if (!(payload instanceof Uint8Array)) return null;
  const decoded = decodeStrict(payload);
  const wire = decoded.ok && Array.isArray(decoded.value) ? decoded.value : [];
  const [, terminal, seq] = wire;
  if (typeof terminal !== 'string' || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return null;
  try {
    return { terminal: fromWire(terminalId, terminal, 'terminal'), seq };
  } catch {
    return null;
  }
}

/** A storage that reads and refuses every write: what a read-only command opens the state log with. */
function readOnlyStorage(storage: JournalStorage): JournalStorage {
  const refuse = (): never => {
    throw new HubStateMissing('the state is opened read-only');
  };
  return { read: (file) => storage.read(file), append: refuse, sync: refuse, truncate: () => undefined, write: refuse, rename: refuse, remove: refuse, syncDir: refuse };
}
