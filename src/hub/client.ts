// The terminal's hub client (issue #7): signed request/response over any byte
// stream, one request in flight. Each request has a timeout per attempt (a
// settle's is longer) and at most `hubAttemptsMax` attempts that reuse its
// seq, which is safe because the hub answers a repeated (terminal, seq) with
// its first answer. The client signs in when it has no session and again when
// the hub says the session is gone, then repeats the request.
//
// A settle or cancel is journaled before it is sent (intent) and after it is
// answered (done). One left unanswered is reversed: the reversal goes to the
// store-and-forward queue in the journal, and is sent, with backoff, until the
// hub acknowledges it; offline settlements (advices) travel the same queue.
// Catalogue and policy-book updates arrive as a manifest and numbered chunks,
// checked against the manifest's digest, and are handed whole to the store's
// atomic update.
//
// Only the hub's verdicts are final. An error reply that says nothing about
// the request (bad signature, malformed, time skew, busy) may even be a forged
// frame's answer, so it counts as no answer: the client keeps waiting for the
// real one, and a settle that never gets one is reversed, never "refused".
import { createHash } from 'node:crypto';
import { createCborEncoder, type CborEncoder } from '../../protocol/cbor-encode';
import type { Signer, Verifier } from '../../protocol/crypto';
import { bytesEqual } from '../../protocol/crypto';
import { billDigest } from '../../protocol/digests';
import { createOpener, createSealer, isReplyTo, type AnyMessage, type Opener, type Sealer } from '../../protocol/envelope';
import { FrameDecoder, type FrameEvent } from '../../protocol/framing';
import { reconEntriesPerMessageMax, visitLinesMax } from '../../protocol/limits';
import type { BodyOf, ErrorCode, FeeLine, MessageName, ReconTotals } from '../../protocol/messages';
import { SequenceCounter } from '../../protocol/sequence';
import type { TerminalJournal } from '../journal/journal';
import { LogError } from '../journal/log';
import { periodEntries, periodTotals, type Amounts } from '../journal/recon';
import {
  forwardBackoffMsMax,
  forwardBackoffMsMin,
  forwardQueueLengthMax,
  hubAttemptsMax,
  hubHeartbeatIntervalMs,
  hubRequestTimeoutMs,
  hubSettleTimeoutMs,
  syncBlobBytesMax,
} from '../limits';

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

/** Where a sync puts what it fetched: the catalogue store (src/catalogue/store.ts's SignedStore satisfies it). */
export interface SyncTarget {
  readonly version: string | null;
  apply(blob: Uint8Array): { readonly ok: true; readonly version: string } | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };
}

/**
 * Codes of the client's own failures, beside the hub's (ErrorCode):
 * timeout (no answer after every attempt), journal_full, queue_full,
 * sync_invalid (a manifest or chunk that does not add up), sync_corrupt (the
 * blob is not its digest), and the store's refusals (update_*).
 */
export type ClientErrorCode = ErrorCode | 'timeout' | 'journal_full' | 'queue_full' | 'queue_not_empty' | 'sync_invalid' | 'sync_corrupt' | `update_${string}`;

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: { readonly code: ClientErrorCode; readonly detail: string } };

export interface HubClientOptions {
  readonly terminal: string;
  readonly fixmedinsCode: string;
  readonly firmware: string;
  /** Opens (or reopens, after a failure) the link to the hub. */
  connect(): Promise<HubLink>;
  readonly signer: Signer;
  /** The hub's keys by kid (pinned in the profile). */
  hubKeys(kid: Uint8Array): Verifier | null;
  readonly journal: TerminalJournal;
  readonly timers: Timers;
  /** Wall-clock seconds since 1970; corrected by the hub's time at sign-in. */
  timeS(): number;
  /** Uniform in [0, 1): jitter of the store-and-forward backoff. */
  random(): number;
  readonly stores?: Partial<Record<'catalogue' | 'policy_book', SyncTarget>>;
  readonly encoder?: CborEncoder;
  /** Tests shorten these; the defaults are src/limits.ts's. */
  readonly requestTimeoutMs?: number;
  readonly settleTimeoutMs?: number;
  readonly attemptsMax?: number;
  readonly heartbeatIntervalMs?: number;
  /** Told each heartbeat's reply (versions to sync, a key rotation). */
  onHeartbeat?(reply: BodyOf<'heartbeat_reply'>): void;
}

type Request = { [N in MessageName]: { type: N; body: BodyOf<N> } }[MessageName];
type Exchanged = { kind: 'reply'; message: AnyMessage } | { kind: 'session' } | { kind: 'none'; code: ClientErrorCode; detail: string };

/** Error codes that say nothing about the request: the real answer may still come. */
const inconclusive = new Set<string>(['internal', 'malformed', 'schema_violation', 'unknown_type', 'bad_signature', 'unknown_kid', 'wrong_direction', 'time_skew', 'busy', 'replay_stale']);
const noTimer = Symbol('deadline');

const fail = <T>(code: ClientErrorCode, detail = ''): Result<T> => ({ ok: false, error: { code, detail } });

export class HubClient {
  /** What the last sign-in said (institution, versions, offline floor). */
  signedIn: BodyOf<'sign_in_reply'> | null = null;
  readonly stats = { sent: 0, retries: 0, dropped: 0, signIns: 0 };
  private session = 0;
  private offsetS = 0;
  private link: HubLink | null = null;
  private readonly decoder = new FrameDecoder();
  private readonly inbox = new Uint8Array(4_096);
  private frames: FrameEvent[] = [];
  private readonly sealer: Sealer;
  private readonly opener: Opener;
  private readonly encoder: CborEncoder;
  private lock: Promise<unknown> = Promise.resolve();
  private timer: unknown = null;
  private running = false;
  private backoffMs = forwardBackoffMsMin;
  private lastExchangeMs = 0;

  private constructor(
    private readonly options: HubClientOptions,
    private readonly seqs: SequenceCounter,
  ) {
    this.encoder = options.encoder ?? createCborEncoder();
    this.sealer = createSealer(options.signer, 'up', this.encoder);
    this.opener = createOpener({ expect: 'down', keyFor: (kid) => options.hubKeys(kid), clock: () => this.now() });
  }

  static async open(options: HubClientOptions): Promise<HubClient> {
    return new HubClient(options, await SequenceCounter.open(options.journal.seqStore()));
  }

  private now(): number {
    return Math.floor(this.options.timeS() + this.offsetS);
  }

  /** Runs `task` alone on the line (one request in flight). */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.lock.then(task);
    this.lock = run.catch(() => undefined);
    return run;
  }

  // ---- the exchange -----------------------------------------------------------

  /** Sends a request and waits for its answer, attempt after attempt (same seq). */
  private async exchange(request: Request, seq: number, timeoutMs: number, attempts: number): Promise<Exchanged> {
    const message = { ...request, terminal: this.options.terminal, seq, time: 0 } as AnyMessage;
    let last: Exchanged = { kind: 'none', code: 'timeout', detail: `no answer to ${request.type} in ${attempts} attempts` };
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      const deadline = this.options.timers.nowMs() + timeoutMs;
      if (attempt > 0) this.stats.retries += 1;
      try {
        const link = (this.link ??= await this.options.connect());
        (message as { time: number }).time = this.now();
        await link.write(this.sealer.seal(message, request.type === 'sign_in' ? 0 : this.session));
        this.stats.sent += 1;
        for (;;) {
          const reply = await this.receive(message, deadline);
          if (reply === null) break;
          this.lastExchangeMs = this.options.timers.nowMs();
          if (reply.type !== 'error') return { kind: 'reply', message: reply };
          const { code, detail } = reply.body;
          if (code === 'session_unknown' || code === 'not_signed_in') return { kind: 'session' };
          if (!inconclusive.has(code)) return { kind: 'reply', message: reply };
          last = { kind: 'none', code, detail };
        }
      } catch (error) {
        // The link failed: drop it, and let the next attempt reconnect once this one's time is up.
        const link = this.link;
        this.link = null;
        void link?.close().catch(() => undefined);
        last = { kind: 'none', code: 'timeout', detail: `link: ${(error as Error).message}` };
        await this.sleep(deadline - this.options.timers.nowMs());
      }
    }
    return last;
  }

  /** The next frame answering `request` before the deadline, or null; other frames are dropped. */
  private async receive(request: AnyMessage, deadlineMs: number): Promise<AnyMessage | null> {
    for (;;) {
      for (let frame = this.frames.shift(); frame !== undefined; frame = this.frames.shift()) {
        if (frame.kind !== 'frame') continue;
        const opened = this.opener.open(frame);
        if (opened.ok && isReplyTo(request, opened.message)) return opened.message;
        this.stats.dropped += 1;
      }
      const leftMs = deadlineMs - this.options.timers.nowMs();
      if (leftMs <= 0) return null;
      const controller = new AbortController();
      const handle = this.options.timers.setTimeout(() => controller.abort(noTimer), leftMs);
      let count: number;
      try {
        count = await (this.link as HubLink).read(this.inbox, controller.signal);
      } catch (error) {
        if (error === noTimer) return null;
        throw error;
      } finally {
        this.options.timers.clearTimeout(handle);
      }
      this.frames = this.decoder.push(this.inbox.subarray(0, count));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.options.timers.setTimeout(resolve, Math.max(0, ms)));
  }

  /** One request under the session: signs in first when needed, and again once if the hub lost the session. */
  private async call(request: Request, options: { seq?: number; timeoutMs?: number; attempts?: number } = {}): Promise<Result<AnyMessage>> {
    const seq = options.seq ?? (await this.seqs.next());
    for (let round = 0; round < 2; round += 1) {
      if (this.session === 0) {
        const signed = await this.signInLocked();
        if (!signed.ok) return signed;
      }
      const out = await this.exchange(request, seq, options.timeoutMs ?? this.options.requestTimeoutMs ?? hubRequestTimeoutMs, options.attempts ?? this.options.attemptsMax ?? hubAttemptsMax);
      if (out.kind === 'reply') return replyResult(out.message);
      if (out.kind === 'none') return fail(out.code, out.detail);
      this.session = 0;
    }
    return fail('session_unknown', 'the hub refused two sessions in a row');
  }

  private async signInLocked(): Promise<Result<BodyOf<'sign_in_reply'>>> {
    const stores = this.options.stores;
    const body = { fixmedins_code: this.options.fixmedinsCode, firmware: this.options.firmware, catalogue_version: stores?.catalogue?.version ?? null, policy_version: stores?.policy_book?.version ?? null };
    const out = await this.exchange({ type: 'sign_in', body }, await this.seqs.next(), this.options.requestTimeoutMs ?? hubRequestTimeoutMs, this.options.attemptsMax ?? hubAttemptsMax);
    if (out.kind !== 'reply') return fail(out.kind === 'none' ? out.code : 'session_unknown', out.kind === 'none' ? out.detail : '');
    const reply = replyResult(out.message);
    if (!reply.ok) return reply;
    const signedIn = reply.value.body as BodyOf<'sign_in_reply'>;
    this.stats.signIns += 1;
    this.session = signedIn.session;
    this.offsetS = signedIn.hub_time - this.options.timeS();
    this.signedIn = signedIn;
    return { ok: true, value: signedIn };
  }

  /** Signs in (again): a new session, the hub's time, versions and offline floor. */
  signIn(): Promise<Result<BodyOf<'sign_in_reply'>>> {
    return this.serial(() => this.signInLocked());
  }

  /** Any query (person, bill page, pre-settle, manifest, chunk, heartbeat, reconciliation, key rotation, sign-out): its reply body. */
  request<N extends 'person_query' | 'bill_query' | 'pre_settle' | 'manifest' | 'chunk' | 'heartbeat' | 'recon_totals' | 'recon_detail' | 'key_rotation' | 'sign_out'>(
    type: N,
    body: BodyOf<N>,
  ): Promise<Result<ReplyBody<N>>> {
    return this.serial(() => this.query(type, body));
  }

  private async query<N extends MessageName>(type: N, body: BodyOf<N>): Promise<Result<ReplyBody<N>>> {
    const out = await this.call({ type, body } as Request);
    return out.ok ? { ok: true, value: out.value.body as ReplyBody<N> } : out;
  }

  // ---- settlements ------------------------------------------------------------

  /** The person a credential names. */
  async person(credential: BodyOf<'person_query'>['credential']): Promise<Result<BodyOf<'person_query_reply'>['person']>> {
    const out = await this.request('person_query', { credential });
    return out.ok ? { ok: true, value: out.value.person } : out;
  }

  /** A pending bill, every page of it, checked against its reference (count, total, digest). */
  bill(psnNo: string, mdtrtId: string | null): Promise<Result<Omit<BodyOf<'bill_query_reply'>, 'page'>>> {
    return this.serial(async () => {
      const lines: FeeLine[] = [];
      const firstOut: Result<BodyOf<'bill_query_reply'>> = await this.query('bill_query', { psn_no: psnNo, mdtrt_id: mdtrtId, page: 0 });
      if (!firstOut.ok) return firstOut;
      const first = firstOut.value;
      lines.push(...first.lines);
      for (let page = 1; lines.length < first.bill.line_count; page += 1) {
        const out: Result<BodyOf<'bill_query_reply'>> = await this.query('bill_query', { psn_no: psnNo, mdtrt_id: first.mdtrt_id, page });
        if (!out.ok) return out;
        const reply = out.value;
        if (reply.page !== page || reply.mdtrt_id !== first.mdtrt_id || reply.lines.length === 0 || !bytesEqual(reply.bill.digest, first.bill.digest) || lines.length + reply.lines.length > visitLinesMax) {
          return fail('sync_invalid', `bill page ${page} does not continue the bill`);
        }
        lines.push(...reply.lines);
      }
      const ref = first.bill;
      const total = lines.reduce((sum, line) => sum + line.amt, 0);
      if (lines.length !== ref.line_count || total !== ref.medfee_sumamt || !bytesEqual(billDigest(this.encoder, lines), ref.digest)) return fail('bill_changed', 'the pages do not make the bill referenced');
      const { page: _page, ...rest } = first;
      return { ok: true, value: { ...rest, lines } };
    });
  }

  /**
   * Settles on the hub: journals the intent, sends, journals the answer. No
   * answer at all queues a reversal (code `timeout`): nothing is charged.
   */
  settle(body: BodyOf<'settle'>): Promise<Result<{ readonly id: string; readonly setl_id: string; readonly setl_time: number }>> {
    return this.serial(async () => {
      const started = await this.begin();
      if (!started.ok) return started;
      const seq = await this.seqs.next();
      const id = `S${seq}`;
      const committed = this.journal(() => this.options.journal.commit({ kind: 'settle_intent', id, seq, time: this.now(), body }));
      if (!committed.ok) return committed;
      const out = await this.call({ type: 'settle', body }, { seq, timeoutMs: this.options.settleTimeoutMs ?? hubSettleTimeoutMs });
      const { psn_no, mdtrt_id } = body.input;
      if (!out.ok) {
        if (!definitiveOf(out.error.code)) return this.reverse(id, seq, 'settle', psn_no, mdtrt_id, out.error.detail);
        this.options.journal.commit({ kind: 'settle_done', id, setl_id: null, setl_time: null, code: out.error.code });
        return out;
      }
      const reply = out.value.body as BodyOf<'settle_reply'>;
      // A confirmation of another result: the hub cannot be trusted with this one, undo it.
      if (!bytesEqual(reply.result_digest, body.result_digest) || reply.mdtrt_id !== mdtrt_id) return this.reverse(id, seq, 'settle', psn_no, mdtrt_id, 'the hub confirmed another result');
      this.options.journal.commit({ kind: 'settle_done', id, setl_id: reply.setl_id, setl_time: reply.setl_time, code: null });
      return { ok: true, value: { id, setl_id: reply.setl_id, setl_time: reply.setl_time } };
    });
  }

  /** Cancels a settlement (2208); `amounts` are the settlement's, for reconciliation. No answer queues a reversal of the cancel. */
  cancel(body: BodyOf<'cancel'>, amounts: Amounts): Promise<Result<{ readonly id: string; readonly cancel_setl_id: string; readonly cancel_time: number }>> {
    return this.serial(async () => {
      const started = await this.begin();
      if (!started.ok) return started;
      const seq = await this.seqs.next();
      const id = `C${seq}`;
      const { medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay } = amounts;
      const committed = this.journal(() =>
        this.options.journal.commit({ kind: 'cancel_intent', id, seq, time: this.now(), body, amounts: { medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay } }),
      );
      if (!committed.ok) return committed;
      const out = await this.call({ type: 'cancel', body }, { seq });
      if (!out.ok && !definitiveOf(out.error.code)) return this.reverse(id, seq, 'cancel', body.psn_no, body.mdtrt_id, out.error.detail);
      const reply = out.ok ? (out.value.body as BodyOf<'cancel_reply'>) : null;
      this.options.journal.commit({ kind: 'cancel_done', id, cancel_setl_id: reply?.cancel_setl_id ?? null, cancel_time: reply?.cancel_time ?? null, code: out.ok ? null : out.error.code });
      return reply === null ? (out as Result<never>) : { ok: true, value: { id, cancel_setl_id: reply.cancel_setl_id, cancel_time: reply.cancel_time } };
    });
  }

  /** A new local settlement id for an offline settlement (`A` + a seq: unique for the terminal). */
  async adviceId(): Promise<string> {
    return `A${await this.seqs.next()}`;
  }

  /** Queues an offline settlement for upload; its local_setl_id (from adviceId) is its id in the journal. */
  async advise(body: BodyOf<'advice'>): Promise<Result<{ readonly id: string }>> {
    if (!body.local_setl_id.startsWith('A')) throw new RangeError('local_setl_id must come from adviceId()');
    return this.serial(async () => {
      if (this.options.journal.queueLength >= forwardQueueLengthMax - 1) return fail('queue_full', 'the store-and-forward queue is full');
      const seq = await this.seqs.next();
      const committed = this.journal(() => this.options.journal.commit({ kind: 'advice_queued', id: body.local_setl_id, seq, body }));
      if (!committed.ok) return committed;
      this.wake();
      return { ok: true, value: { id: body.local_setl_id } };
    });
  }

  /** Queues a reversal of every settle and cancel left in flight (after a crash): nothing stays half done. */
  resolveInFlight(): Promise<readonly string[]> {
    return this.serial(async () => {
      const reversed: string[] = [];
      for (const entry of this.options.journal.inFlight()) {
        const { psn_no, mdtrt_id } = entry.kind === 'cancel' ? (entry.request as BodyOf<'cancel'>) : (entry.request as BodyOf<'settle'>).input;
        await this.queueReversal(entry.id, entry.seq, entry.kind === 'cancel' ? 'cancel' : 'settle', psn_no, mdtrt_id);
        reversed.push(entry.id);
      }
      if (reversed.length > 0) this.wake();
      return reversed;
    });
  }

  /** A settle or cancel may start: the queue has room for its reversal. */
  private async begin(): Promise<Result<void>> {
    if (this.options.journal.queueLength >= forwardQueueLengthMax - 1) return fail('queue_full', 'the store-and-forward queue is full');
    return { ok: true, value: undefined };
  }

  private journal(commit: () => void): Result<void> {
    try {
      commit();
      return { ok: true, value: undefined };
    } catch (error) {
      if (error instanceof LogError) return fail('journal_full', error.message);
      throw error;
    }
  }

  private async queueReversal(id: string, omsgid: number, oinfno: 'settle' | 'cancel', psnNo: string, mdtrtId: string): Promise<void> {
    const seq = await this.seqs.next();
    this.options.journal.commit({ kind: 'reversal_queued', id, seq, body: { psn_no: psnNo, omsgid, oinfno, mdtrt_id: mdtrtId } });
  }

  private async reverse(id: string, seq: number, oinfno: 'settle' | 'cancel', psnNo: string, mdtrtId: string, detail: string): Promise<Result<never>> {
    await this.queueReversal(id, seq, oinfno, psnNo, mdtrtId);
    this.wake();
    return fail('timeout', `${detail}; reversal queued, nothing is charged`);
  }

  // ---- store and forward --------------------------------------------------------

  /** Sends the oldest queued reversal or advice once; true when the hub settled it (acknowledged or refused for good). */
  forwardOnce(): Promise<boolean> {
    return this.serial(async () => {
      const item = this.options.journal.queue()[0];
      if (item === undefined) return false;
      const out = await this.call({ type: item.kind, body: item.body } as Request, { seq: item.seq, attempts: 1 });
      if (!out.ok && out.error.code === 'replay_stale') {
        // Its seq left the hub's window; the hub knows a reversal or advice by its content, so a new seq is safe.
        this.options.journal.commit({ kind: 'forward_seq', id: item.id, seq: await this.seqs.next() });
        return false;
      }
      if (!out.ok && !definitiveOf(out.error.code)) return false;
      const code = out.ok ? null : out.error.code;
      if (item.kind === 'reversal') {
        const reply = out.ok ? (out.value.body as BodyOf<'reversal_reply'>) : null;
        this.options.journal.commit({ kind: 'reversal_done', id: item.id, reversed: reply?.reversed ?? false, setl_id: reply?.setl_id ?? null, code });
      } else {
        this.options.journal.commit({ kind: 'advice_done', id: item.id, setl_id: out.ok ? (out.value.body as BodyOf<'advice_reply'>).setl_id : null, code });
      }
      return true;
    });
  }

  /** Forwards until the queue is empty or the hub stops answering; resolves to the queue length left. */
  async flush(): Promise<number> {
    while (this.options.journal.queueLength > 0 && (await this.forwardOnce()));
    return this.options.journal.queueLength;
  }

  /** Starts the background work: forwarding with backoff, and a heartbeat when idle. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops the background work (a request in flight finishes). Safe twice. */
  stop(): void {
    this.running = false;
    if (this.timer !== null) this.options.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Stops and closes the link. */
  async close(): Promise<void> {
    this.stop();
    await this.serial(async () => {
      await this.link?.close();
      this.link = null;
    });
  }

  private wake(): void {
    if (this.running) this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.timer !== null) this.options.timers.clearTimeout(this.timer);
    this.timer = this.options.timers.setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, delayMs);
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    const heartbeatMs = this.options.heartbeatIntervalMs ?? hubHeartbeatIntervalMs;
    if (this.options.journal.queueLength > 0) {
      const progressed = await this.forwardOnce().catch(() => false);
      this.backoffMs = progressed ? forwardBackoffMsMin : Math.min(forwardBackoffMsMax, this.backoffMs * 2);
      if (this.running) this.schedule(progressed ? 0 : this.backoffMs * (0.5 + this.options.random() / 2));
      return;
    }
    const idleMs = this.options.timers.nowMs() - this.lastExchangeMs;
    if (idleMs >= heartbeatMs) {
      const state = this.session === 0 ? 'offline' : 'idle';
      const beat = await this.serial(() => this.query('heartbeat', { state, queued: this.options.journal.queueLength })).catch(() => null);
      if (beat?.ok) this.options.onHeartbeat?.(beat.value);
      this.lastExchangeMs = this.options.timers.nowMs();
    }
    if (this.running) this.schedule(Math.max(0, heartbeatMs - (this.options.timers.nowMs() - this.lastExchangeMs)));
  }

  // ---- catalogue and policy book ---------------------------------------------------

  /** Brings a store to the hub's current version: manifest, chunks, digest, the store's atomic update. */
  sync(kind: 'catalogue' | 'policy_book'): Promise<Result<{ readonly version: string; readonly changed: boolean }>> {
    return this.serial(async () => {
      const store = this.options.stores?.[kind];
      if (store === undefined) return fail('sync_invalid', `no ${kind} store`);
      const manifest = await this.query('manifest', { kind, have_version: store.version });
      if (!manifest.ok) return manifest;
      const m = manifest.value;
      if (m.kind !== kind) return fail('sync_invalid', 'the manifest is of another kind');
      if (m.version === store.version) return { ok: true, value: { version: m.version, changed: false } };
      if (m.size_bytes > syncBlobBytesMax || m.chunk_count !== Math.ceil(m.size_bytes / m.chunk_bytes) || (m.base_version !== null && m.base_version !== store.version)) {
        return fail('sync_invalid', 'the manifest does not add up');
      }
      const blob = new Uint8Array(m.size_bytes);
      for (let index = 0; index < m.chunk_count; index += 1) {
        const chunk = await this.query('chunk', { kind, version: m.version, index });
        if (!chunk.ok) return chunk;
        const expected = Math.min(m.chunk_bytes, m.size_bytes - index * m.chunk_bytes);
        if (chunk.value.index !== index || chunk.value.version !== m.version || chunk.value.data.length !== expected) return fail('sync_invalid', `chunk ${index} is not the one asked for`);
        blob.set(chunk.value.data, index * m.chunk_bytes);
      }
      if (!bytesEqual(new Uint8Array(createHash('sha256').update(blob).digest()), m.digest)) return fail('sync_corrupt', 'the chunks do not make the blob the manifest describes');
      const applied = store.apply(blob);
      if (!applied.ok) return fail(applied.error.code as ClientErrorCode, applied.error.message);
      return { ok: true, value: { version: applied.version, changed: true } };
    });
  }

  // ---- reconciliation ---------------------------------------------------------------

  /**
   * Reconciles a period with the hub (3201, then 3202 when the totals differ),
   * after the queue is flushed. Agreement is journaled: the period's entries
   * may go at the next rotation.
   */
  async reconcile(begin: string, end: string): Promise<Result<{ readonly agree: boolean; readonly hub: ReconTotals; readonly mismatches: BodyOf<'recon_detail_reply'>['mismatches'] }>> {
    if ((await this.flush()) > 0) return fail('queue_not_empty', 'reversals or advices wait for the hub');
    return this.serial(async () => {
      const items = [...this.options.journal.reconItems()];
      const totals = await this.query('recon_totals', { totals: periodTotals(items, begin, end) });
      if (!totals.ok) return totals;
      const mismatches: BodyOf<'recon_detail_reply'>['mismatches'] = [];
      if (!totals.value.agree) {
        const entries = periodEntries(items, begin, end);
        for (let page = 0; page === 0 || page * reconEntriesPerMessageMax < entries.length; page += 1) {
          const slice = entries.slice(page * reconEntriesPerMessageMax, (page + 1) * reconEntriesPerMessageMax);
          const last = (page + 1) * reconEntriesPerMessageMax >= entries.length;
          const detail = await this.query('recon_detail', { stmt_begndate: begin, stmt_enddate: end, page, last, entries: slice });
          if (!detail.ok) return detail;
          mismatches.push(...detail.value.mismatches);
        }
      }
      const agree = totals.value.agree || mismatches.length === 0;
      if (agree) this.options.journal.commit({ kind: 'reconciled', date: end });
      return { ok: true, value: { agree, hub: totals.value.hub, mismatches } };
    });
  }
}

type ReplyBody<N extends MessageName> = N extends `${infer R}` ? (`${R}_reply` extends MessageName ? BodyOf<`${R}_reply`> : never) : never;

/** A reply message as a result: the error reply is a failure with its code. */
function replyResult(message: AnyMessage): Result<AnyMessage> {
  if (message.type === 'error') return fail(message.body.code, message.body.detail);
  return { ok: true, value: message };
}

/** Whether a failure is the hub's verdict on the request (as opposed to no verdict at all). */
function definitiveOf(code: ClientErrorCode): boolean {
  return code !== 'timeout' && code !== 'session_unknown' && code !== 'not_signed_in' && !inconclusive.has(code);
}
