// The terminal's hub client (issue #7): signed request/response over any byte
// stream, one request in flight. Each attempt's deadline comes from the line
// (issue 19): hubLineFactor x (the request frame's time at the hub line's baud
// + the hub's allowance, a settle's longer), and a reply whose bytes keep
// coming is waited for. Attempts reuse the seq, which is safe because the hub
// answers a repeated (terminal, seq) with its first answer: they go on while
// the patient-facing deadline (hubPatienceAttempts attempts' time) allows,
// and a hub that sends nothing at all is given up after `hubAttemptsMax`. The client signs in when it has no session and again when
// the hub says the session is gone, then repeats the request.
//
// A settle or cancel is journaled before it is sent (intent) and after it is
// answered (done). One left unanswered is reversed: the reversal goes to the
// store-and-forward queue in the journal and is sent, with backoff, until the
// hub takes it; offline settlements (advices) travel the same queue.
// Catalogue and policy-book updates arrive as a manifest and numbered chunks,
// checked against the manifest's digest, and are handed whole to the store's
// atomic update.
//
// Only the hub's verdicts are final. An error reply that says nothing about
// the request (bad signature, malformed, time skew, busy) may even answer a
// forged frame, so it counts as no answer: the client keeps waiting for the
// real one, and a settle that never gets one is reversed, never "refused".
//
// Sequence recovery: `replay_stale` means the hub will not take this seq (the
// terminal's numbers fell behind its window, say after a journal was
// restored). The client then signs in again; a sign-in outside the window is
// answered with no session and the next seq the hub takes, bound to the
// sign-in by its fresh nonce; the counter moves there durably (journal)
// before the next sign-in uses it. A settle or cancel refused so is reversed.
import { createHash, getRandomValues } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type TypedEmitter from 'typed-emitter';
import { createCborEncoder, type CborEncoder } from '../../protocol/cbor-encode';
import { bytesEqual, type Signer, type Verifier } from '../../protocol/crypto';
import { billDigest } from '../../protocol/digests';
import { createOpener, createSealer, isReplyTo, type AnyMessage } from '../../protocol/envelope';
import { FrameDecoder, type FrameEvent } from '../../protocol/framing';
import { frameBytesMax, signInNonceBytes, visitLinesMax } from '../../protocol/limits';
import type { BodyOf, ErrorCode, FeeLine, MessageName } from '../../protocol/messages';
import { SequenceCounter } from '../../protocol/sequence';
import type { TerminalJournal } from '../journal/journal';
import { LogError } from '../journal/log';
import type { Amounts } from '../journal/recon';
import { reconcileWith, type Reconciled } from './reconcile';
import { forwardQueueLengthMax } from '../journal/limits';
import { forwardBackoffMsMax, forwardBackoffMsMin, hubAttemptsMax, hubHeartbeatIntervalMs, hubLineFactor, hubPatienceAttempts, hubReplyGapFactor, hubRequestTimeoutMs, hubSettleTimeoutMs, hubStopGraceMs, lineBitsPerByteMax, syncBlobBytesMax } from './limits';

/** The byte stream to the hub (a device Port satisfies it). */
export interface HubLink {
  read(into: Uint8Array, signal?: AbortSignal): Promise<number>;
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Monotonic time and one-shot timers (device/port.ts's Clock satisfies it). */
export interface Timers {
  nowMs(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Where a sync puts what it fetched (src/catalogue/store.ts's SignedStore satisfies it). */
export interface SyncTarget {
  readonly version: string | null;
  apply(blob: Uint8Array): { readonly ok: true; readonly version: string } | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };
}

/**
 * The client's own failure codes, beside the hub's: timeout (no verdict after
 * every attempt; for a settle or cancel, its reversal is queued), journal_full,
 * queue_full, queue_not_empty (reconcile), sync_invalid (a bill, manifest or
 * chunk that does not add up), sync_corrupt (chunks that are not the digest),
 * and the store's refusals (update_*).
 */
export type ClientErrorCode = ErrorCode | 'timeout' | 'journal_full' | 'queue_full' | 'queue_not_empty' | 'sync_invalid' | 'sync_corrupt' | `update_${string}`;

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: { readonly code: ClientErrorCode; readonly detail: string } };

export interface HubClientOptions {
  readonly terminal: string;
  readonly fixmedinsCode: string;
  readonly firmware: string;
  /** Opens (or, after a failure, reopens) the link to the hub. */
  connect(): Promise<HubLink>;
  readonly signer: Signer;
  /** The hub's keys by kid (pinned in the profile). */
  hubKeys(kid: Uint8Array): Verifier | null;
  readonly journal: TerminalJournal;
  readonly timers: Timers;
  /** Wall-clock seconds since 1970; the hub's time at sign-in corrects it. */
  timeS(): number;
  /** Uniform in [0, 1): jitter of the store-and-forward backoff. */
  random(): number;
  readonly stores?: Partial<Record<'catalogue' | 'policy_book', SyncTarget>>;
  readonly encoder?: CborEncoder;
  /** The hub line's speed, bits per second: each attempt's deadline adds its frame's line time. Absent: no line time (a socket). */
  readonly baud?: number;
  /** Tests shorten these (the line time is added); the defaults are src/hub/limits.ts's. */
  readonly requestTimeoutMs?: number;
  readonly settleTimeoutMs?: number;
  readonly attemptsMax?: number;
  readonly heartbeatIntervalMs?: number;
  /** The operator signed in at a staffed counter terminal (who may cancel another terminal's settlement); null at a kiosk. */
  readonly operator?: string | null;
  /** A sign-in's fresh nonce (tests pass their own); random bytes by default. */
  nonce?(): Uint8Array;
}

/**
 * What the client's background work tells those who watch it (`client.on`).
 * Events rather than callbacks in the options: they report what happened,
 * nobody's answer is awaited, and the terminal's sync, its log and a test
 * may each listen. What the client needs an answer from (`connect`,
 * `hubKeys`, `nonce`, `timeS`, `random`) stays a function in its options.
 */
export type HubClientEvents = {
  /** Each heartbeat's reply (versions to sync, a key rotation pending). */
  heartbeat: (reply: BodyOf<'heartbeat_reply'>) => void;
  /** A queued reversal or advice the hub refused for good (an advice for staff to handle), journaled already, with the code. */
  refused: (item: { readonly id: string; readonly kind: 'reversal' | 'advice' }, code: ClientErrorCode) => void;
};

/** Who a settlement is for, journaled with its intent for a reprint (src/journal/records.ts). */
export type Who = { readonly name: string; readonly id: string; readonly place: string };
type Request = { [N in MessageName]: { type: N; body: BodyOf<N> } }[MessageName];
type Query = 'person_query' | 'bill_query' | 'pre_settle' | 'manifest' | 'chunk' | 'heartbeat' | 'recon_totals' | 'recon_detail' | 'key_rotation' | 'sign_out';
type ReplyBody<N extends MessageName> = `${N}_reply` extends MessageName ? BodyOf<`${N}_reply`> : never;

/** Error codes that say nothing about the request: the real answer may still come. */
const inconclusive = ['internal', 'malformed', 'schema_violation', 'unknown_type', 'bad_signature', 'unknown_kid', 'wrong_direction', 'time_skew', 'busy', 'timeout'];
/** The session is gone, or (replay_stale) the seq is outside the hub's window: sign in again, which re-synchronises. */
const sessionLost = ['session_unknown', 'not_signed_in', 'replay_stale'];
const deadline = Symbol('deadline');

const fail = <T = never>(code: ClientErrorCode, detail = ''): Result<T> => ({ ok: false, error: { code, detail } });
/** Whether a failure is the hub's verdict on the request (not merely no verdict). */
const definitive = (code: string) => !inconclusive.includes(code) && !sessionLost.includes(code);

export class HubClient extends (EventEmitter as new () => TypedEmitter<HubClientEvents>) {
  /** What the last sign-in said: institution, versions, offline floor. */
  signedIn: BodyOf<'sign_in_reply'> | null = null;
  readonly stats = { sent: 0, retries: 0, dropped: 0, signIns: 0 };
  readonly #o: HubClientOptions;
  readonly #seqs: SequenceCounter;
  readonly #journal: TerminalJournal;
  readonly #timers: Timers;
  readonly #encoder: CborEncoder;
  readonly #sealer;
  readonly #opener;
  readonly #decoder = new FrameDecoder();
  readonly #inbox = new Uint8Array(4_096);
  #frames: FrameEvent[] = [];
  #session = 0;
  #offsetS = 0;
  #link: HubLink | null = null;
  #lock: Promise<unknown> = Promise.resolve();
  #timer: unknown = null;
  #running = false;
  /** Closed: no attempt starts, none waits (close()). */
  #halted = false;
  /** A settle or cancel is on the line: a close gives it hubStopGraceMs. */
  #settling = false;
  #backoffMs = forwardBackoffMsMin;
  #lastMs = 0;
  /** Some byte came from the hub during the current attempt. */
  #heard = false;
  readonly #requestMs: number;
  readonly #settleMs: number;
  readonly #attempts: number;
  readonly #beatMs: number;
  readonly #baud: number;

  private constructor(options: HubClientOptions, seqs: SequenceCounter) {
    super();
    this.#o = options;
    this.#seqs = seqs;
    this.#journal = options.journal;
    this.#timers = options.timers;
    this.#encoder = options.encoder ?? createCborEncoder();
    this.#sealer = createSealer(options.signer, 'up', this.#encoder);
    this.#opener = createOpener({ expect: 'down', keyFor: (kid) => options.hubKeys(kid), clock: () => this.#now() });
    this.#requestMs = options.requestTimeoutMs ?? hubRequestTimeoutMs;
    this.#settleMs = options.settleTimeoutMs ?? hubSettleTimeoutMs;
    this.#attempts = options.attemptsMax ?? hubAttemptsMax;
    this.#beatMs = options.heartbeatIntervalMs ?? hubHeartbeatIntervalMs;
    this.#baud = options.baud ?? 0;
  }

  /** The time `bytes` take on the hub line, ms (0 without a baud). */
  lineMs(bytes: number): number {
    return this.#baud ? Math.ceil((bytes * lineBitsPerByteMax * 1_000) / this.#baud) : 0;
  }

  /** The patient-facing deadline of one request whose frame is `bytes` long, ms: hubPatienceAttempts attempts' time. */
  patienceMs(bytes: number, settle = false): number {
    return hubPatienceAttempts * ((settle ? this.#settleMs : this.#requestMs) + hubLineFactor * this.lineMs(bytes));
  }

  static async open(options: HubClientOptions): Promise<HubClient> {
    return new HubClient(options, await SequenceCounter.open(options.journal.seqStore()));
  }

  #now(): number {
    return Math.floor(this.#o.timeS() + this.#offsetS);
  }

  /** The terminal's time, seconds, as corrected by the hub's at the last sign-in. */
  nowS(): number {
    return this.#now();
  }

  /** Runs `task` alone on the line: one request in flight. */
  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(task);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#timers.setTimeout(resolve, Math.max(0, ms)));
  }

  // ---- the exchange -----------------------------------------------------------

  /**
   * Sends a request, attempt after attempt with the same seq, until an answer;
   * an inconclusive error keeps it waiting. Attempts go on while the
   * patient-facing deadline allows; `silentMax` attempts that heard nothing
   * at all from the hub end it sooner.
   */
  async #exchange(request: Request, seq: number, timeoutMs: number, silentMax: number): Promise<Result<AnyMessage>> {
    const message = { ...request, terminal: this.#o.terminal, seq, time: 0 } as AnyMessage & { time: number };
    let last = fail<AnyMessage>('timeout', `${request.type}: the hub did not answer`);
    let patienceUntil = Infinity;
    let silent = 0;
    for (let attempt = 0; attempt < hubPatienceAttempts && silent < silentMax && this.#timers.nowMs() < patienceUntil && !this.#halted; attempt += 1) {
      const startMs = this.#timers.nowMs();
      let until = startMs + timeoutMs;
      if (attempt > 0) this.stats.retries += 1;
      this.#heard = false;
      try {
        const link = (this.#link ??= await this.#o.connect());
        message.time = this.#now();
        const frame = this.#sealer.seal(message, request.type === 'sign_in' ? 0 : this.#session);
        until += hubLineFactor * this.lineMs(frame.length);
        if (attempt === 0) patienceUntil = startMs + hubPatienceAttempts * (until - startMs);
        await link.write(frame);
        this.stats.sent += 1;
        for (let reply = await this.#receive(message, until, timeoutMs, until + hubLineFactor * this.lineMs(frameBytesMax)); reply !== null; reply = await this.#receive(message, until, timeoutMs, until + hubLineFactor * this.lineMs(frameBytesMax))) {
          this.#lastMs = this.#timers.nowMs();
          if (reply.type !== 'error') return { ok: true, value: reply };
          last = fail(reply.body.code, reply.body.detail);
          if (!inconclusive.includes(reply.body.code)) return last;
        }
        if (!this.#heard) last = fail('timeout', `${request.type}: the hub did not answer`);
        else if (last.ok || last.error.detail.endsWith('did not answer')) last = fail('timeout', `${request.type}: no whole answer from the hub`);
      } catch (error) {
        // The link failed: drop it; the next attempt reconnects once this one's time is up.
        void this.#link?.close().catch(() => undefined);
        this.#link = null;
        last = fail('timeout', (error as Error).message);
        if (!this.#halted) await this.#sleep(until - this.#timers.nowMs());
      }
      silent = this.#heard ? 0 : silent + 1;
    }
    return last;
  }

  /** The next frame answering `request` before the deadline (pushed on while a reply's bytes keep coming, up to `capMs`: the longest frame's time), or null; any other frame is dropped. */
  async #receive(request: AnyMessage, untilMs: number, gapMs: number, capMs: number): Promise<AnyMessage | null> {
    for (;;) {
      for (let frame = this.#frames.shift(); frame; frame = this.#frames.shift()) {
        const opened = frame.kind === 'frame' ? this.#opener.open(frame) : null;
        if (opened?.ok && isReplyTo(request, opened.message)) return opened.message;
        this.stats.dropped += 1;
      }
      const leftMs = untilMs - this.#timers.nowMs();
      if (leftMs <= 0) return null;
      const controller = new AbortController();
      const handle = this.#timers.setTimeout(() => controller.abort(deadline), leftMs);
      try {
        const count = await (this.#link as HubLink).read(this.#inbox, controller.signal);
        this.#frames = this.#decoder.push(this.#inbox.subarray(0, count));
        // A frame still arriving: it is given its own line time, and a pause, bounded by the patient-facing deadline.
        if (this.#decoder.bufferedBytes > 0) untilMs = Math.max(untilMs, Math.min(capMs, this.#timers.nowMs() + hubReplyGapFactor * gapMs));
        this.#heard ||= count > 0;
      } catch (error) {
        if (error === deadline) return null;
        throw error;
      } finally {
        this.#timers.clearTimeout(handle);
      }
    }
  }

  /**
   * One request in the session: signs in first when needed, and once more
   * when the hub lost the session or would not take the seq. A request given
   * its seq (journaled with it) keeps it: outside the window it fails
   * `replay_stale` and its caller re-sequences or reverses it.
   */
  async #call(request: Request, seq?: number, timeoutMs?: number, attempts?: number): Promise<Result<AnyMessage>> {
    const fixed = seq !== undefined;
    let out = fail<AnyMessage>('session_unknown');
    for (let round = 0; round < 2 && !out.ok && out.error.code === 'session_unknown'; round += 1) {
      if (!this.#session) {
        const signed = await this.#signIn();
        if (!signed.ok) return signed;
      }
      seq = fixed && seq !== undefined ? seq : await this.#seqs.next();
      out = await this.#exchange(request, seq, timeoutMs ?? this.#requestMs, attempts ?? this.#attempts);
      if (!out.ok && sessionLost.includes(out.error.code)) {
        this.#session = 0;
        if (!(fixed && out.error.code === 'replay_stale')) out = fail('session_unknown', out.error.detail);
      }
    }
    return out;
  }

  async #signIn(): Promise<Result<BodyOf<'sign_in_reply'>>> {
    const stores = this.#o.stores;
    // Twice at most: a sign-in outside the hub's window gets no session but the next seq it takes, and the second goes from there.
    for (let round = 0; round < 2; round += 1) {
      const nonce = this.#o.nonce?.() ?? getRandomValues(new Uint8Array(signInNonceBytes));
      const body = { fixmedins_code: this.#o.fixmedinsCode, firmware: this.#o.firmware, catalogue_version: stores?.catalogue?.version ?? null, policy_version: stores?.policy_book?.version ?? null, nonce, operator: this.#o.operator ?? null };
      const out = await this.#exchange({ type: 'sign_in', body }, await this.#seqs.next(), this.#requestMs, this.#attempts);
      if (!out.ok) return out;
      const reply = out.value.body as BodyOf<'sign_in_reply'>;
      // The nonce binds the answer to this sign-in: an old signed answer replayed cannot move the counter.
      if (!bytesEqual(reply.nonce, nonce)) return fail('sync_invalid', 'a sign-in answer to another sign-in');
      try {
        await this.#seqs.skipTo(reply.next_seq);
      } catch (error) {
        if (error instanceof RangeError) return fail('sync_invalid', error.message);
        throw error;
      }
      if (reply.session === 0) continue;
      this.stats.signIns += 1;
      this.#session = reply.session;
      this.#offsetS = reply.hub_time - this.#o.timeS();
      this.signedIn = reply;
      return { ok: true, value: reply };
    }
    return fail('replay_stale', 'the hub did not take the seq it named');
  }

  /** Signs in (again): a new session, the hub's time, versions and offline floor. */
  signIn(): Promise<Result<BodyOf<'sign_in_reply'>>> {
    return this.#serial(() => this.#signIn());
  }

  /** Any query (person, bill page, pre-settle, manifest, chunk, heartbeat, reconciliation, key rotation, sign-out): its reply's body. */
  request<N extends Query>(type: N, body: BodyOf<N>): Promise<Result<ReplyBody<N>>> {
    return this.#serial(() => this.#query(type, body));
  }

  async #query<N extends MessageName>(type: N, body: BodyOf<N>): Promise<Result<ReplyBody<N>>> {
    const out = await this.#call({ type, body } as Request);
    return out.ok ? { ok: true, value: out.value.body as ReplyBody<N> } : out;
  }

  // ---- settlements ------------------------------------------------------------

  /** The person a credential names. */
  async person(credential: BodyOf<'person_query'>['credential']): Promise<Result<BodyOf<'person_query_reply'>['person']>> {
    const out = await this.request('person_query', { credential });
    return out.ok ? { ok: true, value: out.value.person } : out;
  }

  /** A pending bill (the first one when mdtrtId is null), every page of it, checked against its reference. */
  bill(psnNo: string, mdtrtId: string | null): Promise<Result<Omit<BodyOf<'bill_query_reply'>, 'page'>>> {
    return this.#serial(async () => {
      const lines: FeeLine[] = [];
      let first: BodyOf<'bill_query_reply'> | undefined;
      for (let page = 0; !first || lines.length < first.bill.line_count; page += 1) {
        const out: Result<BodyOf<'bill_query_reply'>> = await this.#query('bill_query', { psn_no: psnNo, mdtrt_id: first?.mdtrt_id ?? mdtrtId, page });
        if (!out.ok) return out;
        const reply: BodyOf<'bill_query_reply'> = out.value;
        first ??= reply;
        if (reply.page !== page || reply.mdtrt_id !== first.mdtrt_id || !reply.lines.length || !bytesEqual(reply.bill.digest, first.bill.digest) || lines.length + reply.lines.length > visitLinesMax) return fail('sync_invalid', `page ${page}`);
        lines.push(...reply.lines);
      }
      const { page: _page, ...bill } = first;
      if (lines.reduce((sum, line) => sum + line.amt, 0) !== bill.bill.medfee_sumamt || !bytesEqual(billDigest(this.#encoder, lines), bill.bill.digest)) return fail('bill_changed');
      return { ok: true, value: { ...bill, lines } };
    });
  }

  /**
   * Settles on the hub: journals the intent, sends, journals the verdict.
   * Without one (code `timeout`), the reversal is queued: nothing is charged.
   */
  settle(body: BodyOf<'settle'>, who?: Who): Promise<Result<{ readonly id: string; readonly setl_id: string; readonly setl_time: number }>> {
    return this.#transact('settle', body, null, who);
  }

  /** Cancels a settlement (2208); `amounts` are the settlement's, for reconciliation. Without a verdict, the cancel is reversed. */
  cancel(body: BodyOf<'cancel'>, amounts: Amounts): Promise<Result<{ readonly id: string; readonly setl_id: string; readonly setl_time: number }>> {
    return this.#transact('cancel', body, amounts);
  }

  #transact(type: 'settle' | 'cancel', body: BodyOf<'settle'> | BodyOf<'cancel'>, amounts: Amounts | null, who?: Who) {
    return this.#serial(async (): Promise<Result<{ readonly id: string; readonly setl_id: string; readonly setl_time: number }>> => {
      if (this.#journal.queueLength >= forwardQueueLengthMax - 1) return fail('queue_full');
      // Signed in first: a hub out of reach leaves nothing to reverse.
      const signed = this.#session ? null : await this.#signIn();
      if (signed && !signed.ok) return signed;
      const seq = await this.#seqs.next();
      const id = `${type === 'settle' ? 'S' : 'C'}${seq}`;
      const time = this.#now();
      const journaled = this.#commit(() =>
        type === 'settle'
          ? this.#journal.commit({ kind: 'settle_intent', id, seq, time, body: body as BodyOf<'settle'>, ...(who && { who }) })
          : this.#journal.commit({ kind: 'cancel_intent', id, seq, time, body: body as BodyOf<'cancel'>, amounts: amountsOf(amounts as Amounts) }),
      );
      if (!journaled.ok) return journaled;
      this.#settling = true;
      const out = await this.#call({ type, body } as Request, seq, type === 'settle' ? this.#settleMs : undefined);
      this.#settling = false;
      const { psn_no, mdtrt_id } = type === 'settle' ? (body as BodyOf<'settle'>).input : (body as BodyOf<'cancel'>);
      if (!out.ok && !definitive(out.error.code)) return this.#reverse(id, seq, type, psn_no, mdtrt_id, out.error.detail);
      if (!out.ok) {
        this.#journal.commit({ kind: 'done', id, setl_id: null, time: null, code: out.error.code });
        return out;
      }
      const reply = out.value.body as BodyOf<'settle_reply'> & BodyOf<'cancel_reply'>;
      const setlId = type === 'settle' ? reply.setl_id : reply.cancel_setl_id;
      const setlTime = type === 'settle' ? reply.setl_time : reply.cancel_time;
      // A confirmation of another result or visit: this one cannot stand, undo it.
      if (type === 'settle' ? !bytesEqual(reply.result_digest, (body as BodyOf<'settle'>).result_digest) || reply.mdtrt_id !== mdtrt_id : reply.setl_id !== (body as BodyOf<'cancel'>).setl_id) {
        return this.#reverse(id, seq, type, psn_no, mdtrt_id, 'confirmed another');
      }
      this.#journal.commit({ kind: 'done', id, setl_id: setlId, time: setlTime, code: null });
      return { ok: true, value: { id, setl_id: setlId, setl_time: setlTime } };
    });
  }

  /**
   * Applies for a filing (issue 16): journals the intent with its seq, sends
   * it under that seq (a retry gets the hub's first answer: one filing),
   * journals the answer. No answer (`timeout`) may still have filed.
   */
  file(body: BodyOf<'filing_apply'>): Promise<Result<BodyOf<'filing_apply_reply'>>> {
    return this.#serial(async () => {
      const seq = await this.#seqs.next();
      const journaled = this.#commit(() => this.#journal.commit({ kind: 'filing_intent', seq, time: this.#now(), body }));
      if (!journaled.ok) return journaled;
      const out = await this.#call({ type: 'filing_apply', body }, seq);
      const reply = out.ok ? (out.value.body as BodyOf<'filing_apply_reply'>) : null;
      this.#journal.commit({ kind: 'filing_done', seq, filing_id: reply?.filing_id ?? null, code: out.ok ? null : out.error.code });
      return reply ? { ok: true, value: reply } : (out as Result<never>);
    });
  }

  #commit(commit: () => void): Result<void> {
    try {
      commit();
      return { ok: true, value: undefined };
    } catch (error) {
      if (error instanceof LogError) return fail('journal_full', error.message);
      throw error;
    }
  }

  async #queueReversal(id: string, omsgid: number, oinfno: 'settle' | 'cancel', psnNo: string, mdtrtId: string): Promise<void> {
    this.#journal.commit({ kind: 'reversal_queued', id, seq: await this.#seqs.next(), body: { psn_no: psnNo, omsgid, oinfno, mdtrt_id: mdtrtId } });
    if (this.#running) this.#schedule(0);
  }

  async #reverse(id: string, seq: number, oinfno: 'settle' | 'cancel', psnNo: string, mdtrtId: string, detail: string): Promise<Result<never>> {
    await this.#queueReversal(id, seq, oinfno, psnNo, mdtrtId);
    return fail('timeout', `${detail}; reversed`);
  }

  /** A new local settlement id for an offline settlement: `A` and a seq, unique for the terminal. */
  async adviceId(): Promise<string> {
    return `A${await this.#seqs.next()}`;
  }

  /** Queues an offline settlement for upload; its local_setl_id (from adviceId) is its id in the journal. */
  advise(body: BodyOf<'advice'>, who?: Who): Promise<Result<{ readonly id: string }>> {
    if (!body.local_setl_id.startsWith('A')) throw new RangeError('local_setl_id must come from adviceId()');
    return this.#serial(async () => {
      if (this.#journal.queueLength >= forwardQueueLengthMax - 1) return fail('queue_full');
      const seq = await this.#seqs.next();
      const journaled = this.#commit(() => this.#journal.commit({ kind: 'advice_queued', id: body.local_setl_id, seq, body, ...(who && { who }) }));
      if (this.#running) this.#schedule(0);
      return journaled.ok ? { ok: true, value: { id: body.local_setl_id } } : journaled;
    });
  }

  /** Queues the reversal of every settle and cancel left in flight (after a crash); resolves to their ids. */
  resolveInFlight(): Promise<string[]> {
    return this.#serial(async () => {
      const ids: string[] = [];
      for (const entry of this.#journal.inFlight()) {
        const { psn_no, mdtrt_id } = entry.kind === 'cancel' ? (entry.request as BodyOf<'cancel'>) : (entry.request as BodyOf<'settle'>).input;
        await this.#queueReversal(entry.id, entry.seq, entry.kind === 'cancel' ? 'cancel' : 'settle', psn_no, mdtrt_id);
        ids.push(entry.id);
      }
      return ids;
    });
  }

  // ---- store and forward ----------------------------------------------------------

  /**
   * Sends the oldest queued reversal or advice; true on progress: the hub's
   * verdict (taken, or refused for good), or a new seq to send it with. The
   * background sends it once (`silentMax` 1) and backs off; a flush gives it
   * every attempt.
   */
  forwardOnce(silentMax = 1): Promise<boolean> {
    return this.#serial(async () => {
      const item = this.#journal.queue()[0];
      if (!item) return false;
      const out = await this.#call({ type: item.kind, body: item.body } as Request, item.seq, undefined, silentMax);
      if (!out.ok && out.error.code === 'replay_stale') {
        // Its seq left the hub's window; the hub knows a reversal or an advice by its content, so a new seq is safe.
        this.#journal.commit({ kind: 'forward_seq', id: item.id, seq: await this.#seqs.next() });
        return true;
      }
      if (!out.ok && !definitive(out.error.code)) return false;
      const reply = out.ok ? (out.value.body as BodyOf<'reversal_reply'> & BodyOf<'advice_reply'>) : null;
      this.#journal.commit({ kind: 'done', id: item.id, setl_id: reply?.setl_id ?? null, time: null, code: out.ok ? null : out.error.code });
      if (!out.ok) this.emit('refused', { id: item.id, kind: item.kind }, out.error.code);
      return true;
    });
  }

  /** Forwards until the queue is empty or the hub stops answering (each item given every attempt); resolves to the queue length left. */
  async flush(): Promise<number> {
    while (this.#journal.queueLength && (await this.forwardOnce(this.#attempts)));
    return this.#journal.queueLength;
  }

  /** Starts the background work: forwarding with backoff, a heartbeat when idle. */
  start(): void {
    this.#running = true;
    this.#schedule(0);
  }

  /** Stops the background work (a request in flight finishes). Safe twice. */
  stop(): void {
    this.#running = false;
    this.#timers.clearTimeout(this.#timer);
  }

  /**
   * Stops and closes the link: no request is sent or tried again, the one in
   * flight is abandoned as if the hub never answered (a queued item stays
   * queued), at once, or for a settle or cancel once its answer has had
   * hubStopGraceMs (then it is reversed). Resolves once that request has
   * ended and the link is closed. Safe twice.
   */
  close(): Promise<void> {
    this.stop();
    this.#halted = true;
    // Closing the link ends a read or a write that waits on it (a line that will not drain).
    const timer = this.#timers.setTimeout(() => void this.#link?.close(), this.#settling ? hubStopGraceMs : 0);
    return this.#serial(async () => {
      this.#timers.clearTimeout(timer);
      await this.#link?.close();
      this.#link = null;
    });
  }

  #schedule(delayMs: number): void {
    this.#timers.clearTimeout(this.#timer);
    this.#timer = this.#timers.setTimeout(() => void this.#tick(), delayMs);
  }

  async #tick(): Promise<void> {
    const beatMs = this.#beatMs;
    let delayMs: number;
    if (this.#journal.queueLength) {
      const progressed = await this.forwardOnce().catch(() => false);
      this.#backoffMs = progressed ? forwardBackoffMsMin : Math.min(forwardBackoffMsMax, this.#backoffMs * 2);
      delayMs = progressed ? 0 : this.#backoffMs * (0.5 + this.#o.random() / 2);
    } else {
      if (this.#timers.nowMs() - this.#lastMs >= beatMs) {
        const beat = await this.request('heartbeat', { state: this.#session ? 'idle' : 'offline', queued: 0 }).catch(() => null);
        if (beat?.ok) this.emit('heartbeat', beat.value);
        this.#lastMs = this.#timers.nowMs();
      }
      delayMs = beatMs - (this.#timers.nowMs() - this.#lastMs);
    }
    if (this.#running) this.#schedule(delayMs);
  }

  // ---- catalogue and policy book ------------------------------------------------------

  /**
   * Brings a store to the hub's current version: manifest, chunks, digest,
   * then the store's atomic update. With `fault` the store found its copy
   * damaged: the manifest says so (the hub records it) and asks for the
   * whole snapshot, never a delta from what the store holds.
   */
  sync(kind: 'catalogue' | 'policy_book', options: { readonly fault?: boolean } = {}): Promise<Result<{ readonly version: string; readonly changed: boolean }>> {
    const fault = options.fault === true;
    return this.#serial(async () => {
      const store = this.#o.stores?.[kind];
      if (!store) return fail('sync_invalid', kind);
      const manifest = await this.#query('manifest', { kind, have_version: store.version, fault });
      if (!manifest.ok) return manifest;
      const m = manifest.value;
      if (!fault && m.kind === kind && m.version === store.version) return { ok: true, value: { version: m.version, changed: false } };
      if (m.kind !== kind || m.size_bytes > syncBlobBytesMax || m.chunk_count !== Math.ceil(m.size_bytes / m.chunk_bytes) || (m.base_version !== null && (fault || m.base_version !== store.version))) {
        return fail('sync_invalid', 'manifest');
      }
      const blob = new Uint8Array(m.size_bytes);
      for (let index = 0; index < m.chunk_count; index += 1) {
        const chunk = await this.#query('chunk', { kind, version: m.version, index });
        if (!chunk.ok) return chunk;
        const c = chunk.value;
        if (c.index !== index || c.version !== m.version || c.data.length !== Math.min(m.chunk_bytes, m.size_bytes - index * m.chunk_bytes)) return fail('sync_invalid', `chunk ${index}`);
        blob.set(c.data, index * m.chunk_bytes);
      }
      if (!bytesEqual(createHash('sha256').update(blob).digest(), m.digest)) return fail('sync_corrupt');
      const applied = store.apply(blob);
      return applied.ok ? { ok: true, value: { version: applied.version, changed: true } } : fail(applied.error.code as ClientErrorCode, applied.error.message);
    });
  }

  // ---- reconciliation --------------------------------------------------------------

  /**
   * Reconciles a period with the hub once the queue is flushed: totals by fund
   * type (3201), then the detail when they differ (3202). On agreement the
   * journal records the days that are over as reconciled and rotates: their
   * entries leave it.
   */
  async reconcile(begin: string, end: string): Promise<Result<Reconciled>> {
    if (await this.flush()) return fail('queue_not_empty');
    return this.#serial(
      () =>
        reconcileWith(
          { query: (type, body) => this.#query(type, body) as never, journal: this.#journal, nowS: () => this.#now(), rotate: () => void this.#commit(() => this.#journal.rotate()) },
          begin,
          end,
        ) as Promise<Result<Reconciled>>,
    );
  }
}

function amountsOf({ medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay }: Amounts): Amounts {
  return { medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay };
}
