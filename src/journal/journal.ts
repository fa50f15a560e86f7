// The terminal's journal: every commit point of a settlement's life is one
// record appended and fsynced before the terminal acts on it (DESIGN.md, one
// settlement end to end, steps 5-9). Opening it cuts a torn tail and replays
// the records into the state the terminal resumes from: which settlements and
// cancellations were left in flight (to reverse), what waits in the
// store-and-forward queue (reversals, offline advices), what was confirmed and
// printed, and what reconciliation counts. Rotation, after reconciliation,
// writes only the live records to a fresh file atomically.
import assert from 'node:assert';
import { createCborEncoder, type CborEncoder } from '../../protocol/cbor-encode';
import type { BodyOf } from '../../protocol/messages';
import type { SeqStore } from '../../protocol/sequence';
import { forwardQueueLengthMax, journalBytesMax, journalSeqBlock } from '../limits';
import { AppendLog, LogError } from './log';
import { chinaDate, type Amounts, type ReconItem } from './recon';
import { decodeRecord, encodeRecord, type JournalRecord, type RecordOf } from './records';
import type { JournalStorage } from './storage';

export type EntryKind = 'settle' | 'advice' | 'cancel';
/**
 * in_flight: sent (or about to be), no answer yet; queued: an advice waiting
 * for upload; confirmed: the hub gave its id; refused: the hub said no (nothing
 * charged; for an advice, left for manual handling); reversing: its reversal
 * waits in the queue; reversed: the hub acknowledged the reversal.
 */
export type Outcome = 'in_flight' | 'queued' | 'confirmed' | 'refused' | 'reversing' | 'reversed';

export interface Entry {
  readonly id: string;
  readonly kind: EntryKind;
  /** The seq of the settle or cancel request (of the advice's latest upload). */
  readonly seq: number;
  /** Intent time (settle, cancel) or offline settlement time (advice), seconds. */
  readonly time: number;
  readonly request: BodyOf<'settle'> | BodyOf<'advice'> | BodyOf<'cancel'>;
  outcome: Outcome;
  setlId: string | null;
  setlTime: number | null;
  code: string | null;
  printed: boolean;
  /** A settlement or advice: the id of the confirmed cancellation that undid it. */
  cancelledBy: string | null;
  /** A cancellation: the cancelled settlement's amounts. */
  readonly amounts: Amounts | null;
  /** The record payloads of this entry, kept for rotation. */
  readonly payloads: Uint8Array[];
}

/** A reversal or an advice waiting for the hub. */
export interface ForwardItem {
  /** The entry it belongs to. */
  readonly id: string;
  readonly kind: 'reversal' | 'advice';
  readonly seq: number;
  readonly body: BodyOf<'reversal'> | BodyOf<'advice'>;
}

export interface JournalOptions {
  readonly storage: JournalStorage;
  readonly file: string;
  readonly bytesMax?: number;
  readonly encoder?: CborEncoder;
}

export class TerminalJournal {
  private readonly entryMap = new Map<string, Entry>();
  private readonly forward = new Map<string, ForwardItem>();
  private seqUpTo = 0;
  private reconciledThrough: string | null = null;
  private readonly encoder: CborEncoder;

  private constructor(
    private readonly log: AppendLog,
    encoder: CborEncoder | undefined,
    /** Bytes of torn tail cut off when the journal was opened. */
    readonly tornBytes: number,
  ) {
    this.encoder = encoder ?? createCborEncoder();
  }

  /** Opens the journal and replays it; throws LogError `journal_corrupt` when it cannot be trusted. */
  static open(options: JournalOptions): TerminalJournal {
    const opened = AppendLog.open(options.storage, options.file, options.bytesMax ?? journalBytesMax);
    const journal = new TerminalJournal(opened.log, options.encoder, opened.tornBytes);
    opened.payloads.forEach((payload, index) => {
      const record = decodeRecord(payload);
      const problem = record === null ? 'not a journal record' : journal.apply(record, payload);
      if (problem !== null) throw new LogError('journal_corrupt', `${options.file}, record ${index}: ${problem}`);
    });
    return journal;
  }

  /** Appends a record durably, then applies it. Throws LogError `journal_full`; a record that does not follow the state is a programmer error. */
  commit(record: JournalRecord): void {
    const payload = encodeRecord(this.encoder, record);
    const problem = this.check(record);
    assert(problem === null, `journal ${record.kind}: ${problem}`);
    this.log.append([payload]);
    assert(this.apply(record, payload) === null, 'a checked record applies');
  }

  /** The sequence store of the hub client: numbers are reserved in durable blocks. */
  seqStore(): SeqStore {
    return {
      load: async () => (this.seqUpTo === 0 ? null : this.seqUpTo),
      save: async (seq) => {
        if (seq > this.seqUpTo) this.commit({ kind: 'seq_block', up_to: seq + journalSeqBlock - 1 });
      },
    };
  }

  entry(id: string): Entry | undefined {
    return this.entryMap.get(id);
  }

  /** Every entry kept, in the order they began. */
  entries(): IterableIterator<Entry> {
    return this.entryMap.values();
  }

  /** Settles and cancels sent without an answer (a crash or a timeout before the outcome was written). */
  inFlight(): Entry[] {
    return [...this.entryMap.values()].filter((entry) => entry.outcome === 'in_flight');
  }

  /** The store-and-forward queue, oldest first. */
  queue(): ForwardItem[] {
    return [...this.forward.values()];
  }

  get queueLength(): number {
    return this.forward.size;
  }

  get size(): number {
    return this.log.size;
  }

  /** Settlements, advices and cancellations as reconciliation counts them (confirmed ones only). */
  *reconItems(): Generator<ReconItem> {
    for (const entry of this.entryMap.values()) {
      if (entry.outcome !== 'confirmed' || entry.setlId === null || entry.setlTime === null) continue;
      if (entry.kind === 'cancel') {
        const body = entry.request as BodyOf<'cancel'>;
        yield { kind: 'cancel', setl_id: entry.setlId, mdtrt_id: body.mdtrt_id, psn_no: body.psn_no, setl_time: entry.setlTime, ...(entry.amounts as Amounts), funds: [], inForce: true };
        continue;
      }
      const { input, result } = entry.request as BodyOf<'settle'>;
      const { medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay } = result.setlinfo;
      const amounts = { medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay };
      yield { kind: entry.kind, setl_id: entry.setlId, mdtrt_id: input.mdtrt_id, psn_no: input.psn_no, setl_time: entry.setlTime, ...amounts, funds: result.setldetail, inForce: entry.cancelledBy === null };
    }
  }

  /**
   * Rewrites the journal with only what is still needed: the seq reservation,
   * anything unfinished (in flight, queued), and every entry of a day after
   * the last reconciled one. Atomic: a crash leaves the old file or the new.
   */
  rotate(): void {
    const payloads = [encodeRecord(this.encoder, { kind: 'seq_block', up_to: this.seqUpTo })];
    if (this.reconciledThrough !== null) payloads.push(encodeRecord(this.encoder, { kind: 'reconciled', date: this.reconciledThrough }));
    const dropped: string[] = [];
    for (const entry of this.entryMap.values()) {
      if (this.settledBefore(entry)) dropped.push(entry.id);
      else payloads.push(...entry.payloads);
    }
    this.log.rewrite(payloads);
    for (const id of dropped) this.entryMap.delete(id);
  }

  /** Whether an entry is finished and of a reconciled day. */
  private settledBefore(entry: Entry): boolean {
    if (this.reconciledThrough === null || this.forward.has(entry.id)) return false;
    if (entry.outcome === 'in_flight' || entry.outcome === 'queued' || entry.outcome === 'reversing') return false;
    return chinaDate(entry.setlTime ?? entry.time) <= this.reconciledThrough;
  }

  /** Why a record cannot follow the current state, or null. */
  private check(record: JournalRecord): string | null {
    const entry = 'id' in record ? this.entryMap.get(record.id) : undefined;
    switch (record.kind) {
      case 'seq_block':
        return record.up_to >= this.seqUpTo ? null : 'seq reservations only grow';
      case 'settle_intent':
      case 'cancel_intent':
      case 'advice_queued':
        if (entry !== undefined) return `entry ${record.id} exists`;
        if (record.kind !== 'settle_intent' && record.seq > this.seqUpTo) return 'seq not reserved';
        return record.kind === 'advice_queued' && this.forward.size >= forwardQueueLengthMax ? 'the forward queue is full' : null;
      case 'settle_done':
      case 'cancel_done':
        return entry?.outcome === 'in_flight' && entry.kind === (record.kind === 'settle_done' ? 'settle' : 'cancel') ? null : `no ${record.kind} in flight for ${record.id}`;
      case 'printed':
        return entry === undefined ? `no entry ${record.id}` : null;
      case 'reversal_queued':
        if (entry === undefined || entry.kind === 'advice' || (entry.outcome !== 'in_flight' && entry.outcome !== 'confirmed')) return `nothing to reverse for ${record.id}`;
        return this.forward.size >= forwardQueueLengthMax ? 'the forward queue is full' : null;
      case 'reversal_done':
      case 'advice_done':
        return this.forward.get(record.id)?.kind === (record.kind === 'reversal_done' ? 'reversal' : 'advice') ? null : `nothing queued for ${record.id}`;
      case 'forward_seq':
        return this.forward.has(record.id) ? null : `nothing queued for ${record.id}`;
      case 'reconciled':
        return null;
    }
  }

  /** Applies a record to the state; returns why it cannot (a damaged journal when replaying), or null. */
  private apply(record: JournalRecord, payload: Uint8Array): string | null {
    const problem = this.check(record);
    if (problem !== null) return problem;
    if ('seq' in record && record.seq > this.seqUpTo) this.seqUpTo = record.seq;
    switch (record.kind) {
      case 'seq_block':
        this.seqUpTo = record.up_to;
        return null;
      case 'reconciled':
        this.reconciledThrough = record.date;
        return null;
      case 'settle_intent':
      case 'cancel_intent':
      case 'advice_queued':
        this.begin(record, payload);
        return null;
    }
    const entry = this.entryMap.get(record.id) as Entry;
    entry.payloads.push(payload);
    switch (record.kind) {
      case 'settle_done':
      case 'cancel_done':
        this.finish(entry, record);
        break;
      case 'printed':
        entry.printed = true;
        break;
      case 'reversal_queued':
        entry.outcome = 'reversing';
        this.forward.set(record.id, { id: record.id, kind: 'reversal', seq: record.seq, body: record.body });
        break;
      case 'reversal_done':
        this.forward.delete(record.id);
        // Refused for good: the hub never had it (a settle it refused is not reversible), so nothing was charged either way.
        entry.outcome = 'reversed';
        break;
      case 'advice_done':
        this.forward.delete(record.id);
        entry.outcome = record.setl_id === null ? 'refused' : 'confirmed';
        entry.setlId = record.setl_id;
        entry.code = record.code;
        break;
      case 'forward_seq': {
        const item = this.forward.get(record.id) as ForwardItem;
        this.forward.set(record.id, { ...item, seq: record.seq });
        break;
      }
    }
    return null;
  }

  private begin(record: RecordOf<'settle_intent'> | RecordOf<'cancel_intent'> | RecordOf<'advice_queued'>, payload: Uint8Array): void {
    const advice = record.kind === 'advice_queued';
    const entry: Entry = {
      id: record.id,
      kind: advice ? 'advice' : record.kind === 'settle_intent' ? 'settle' : 'cancel',
      seq: record.seq,
      time: advice ? record.body.settled_time : record.time,
      request: record.body,
      outcome: advice ? 'queued' : 'in_flight',
      setlId: null,
      setlTime: advice ? record.body.settled_time : null,
      code: null,
      printed: false,
      cancelledBy: null,
      amounts: record.kind === 'cancel_intent' ? record.amounts : null,
      payloads: [payload],
    };
    this.entryMap.set(record.id, entry);
    if (advice) this.forward.set(record.id, { id: record.id, kind: 'advice', seq: record.seq, body: record.body });
  }

  private finish(entry: Entry, record: RecordOf<'settle_done'> | RecordOf<'cancel_done'>): void {
    const confirmed = record.kind === 'settle_done' ? record.setl_id : record.cancel_setl_id;
    entry.outcome = confirmed === null ? 'refused' : 'confirmed';
    entry.setlId = confirmed;
    entry.setlTime = record.kind === 'settle_done' ? record.setl_time : record.cancel_time;
    entry.code = record.code;
    if (record.kind === 'cancel_done' && confirmed !== null) {
      const cancelled = (entry.request as BodyOf<'cancel'>).setl_id;
      for (const other of this.entryMap.values()) if (other.kind !== 'cancel' && other.setlId === cancelled) other.cancelledBy = entry.id;
    }
  }
}
