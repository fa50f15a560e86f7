// The terminal's journal: every commit point of a settlement's life is one
// record appended and fsynced before the terminal acts on it (docs/design.md, one
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
import { forwardQueueLengthMax, journalBytesMax, journalSeqBlock } from './limits';
import { AppendLog, LogError } from './log';
import { chinaDate, type Amounts, type ReconItem } from './recon';
import { decodeRecord, encodeRecord, type JournalRecord } from './records';
import type { JournalStorage } from './storage';

export type EntryKind = 'settle' | 'advice' | 'cancel';
/**
 * in_flight: sent (or about to be), no answer yet; queued: an advice waiting
 * for upload; confirmed: the hub gave its id; refused: the hub said no
 * (nothing charged; an advice refused is left for manual handling);
 * reversing: its reversal waits in the queue; reversed: the hub took the
 * reversal (whatever it found, nothing stays charged).
 */
export type Outcome = 'in_flight' | 'queued' | 'confirmed' | 'refused' | 'reversing' | 'reversed';

/** A settlement, advice or cancellation the terminal made, as its records tell it. */
export interface Entry {
  readonly id: string;
  readonly kind: EntryKind;
  /** The seq its request went with (an advice: its first upload's). */
  readonly seq: number;
  /** Intent time (settle, cancel) or offline settlement time (advice), seconds. */
  readonly time: number;
  readonly request: BodyOf<'settle'> | BodyOf<'advice'> | BodyOf<'cancel'>;
  readonly outcome: Outcome;
  /** The hub's settlement (or cancellation) id, once confirmed. */
  readonly setlId: string | null;
  /** The hub's settlement (or cancellation) time, or the advice's settled time. */
  readonly setlTime: number | null;
  /** Why the hub refused it. */
  readonly code: string | null;
  readonly printed: boolean;
  /** A settlement or advice: the confirmed cancellation that undid it. */
  readonly cancelledBy: string | null;
  /** A cancellation: the cancelled settlement's amounts. */
  readonly amounts: Amounts | null;
  /** A settlement or advice: who it is for, as the receipt prints it (absent in older journals). */
  readonly who: { readonly name: string; readonly id: string; readonly place: string } | null;
}

/** A reversal or an advice waiting for the hub. */
export interface ForwardItem {
  /** The entry it belongs to. */
  readonly id: string;
  readonly kind: 'reversal' | 'advice';
  readonly seq: number;
  readonly body: BodyOf<'reversal'> | BodyOf<'advice'>;
}

type Held = { -readonly [K in keyof Entry]: Entry[K] } & { payloads: Uint8Array[] };

export interface JournalOptions {
  readonly storage: JournalStorage;
  readonly file: string;
  readonly bytesMax?: number;
  readonly encoder?: CborEncoder;
}

export class TerminalJournal {
  readonly #entries = new Map<string, Held>();
  readonly #forward = new Map<string, ForwardItem>();
  #seqUpTo = 0;
  #reconciled = '';
  readonly #log: AppendLog;
  readonly #encoder: CborEncoder;
  /** Bytes of torn tail cut off when the journal was opened. */
  readonly tornBytes: number;

  private constructor(log: AppendLog, encoder: CborEncoder, tornBytes: number) {
    this.#log = log;
    this.#encoder = encoder;
    this.tornBytes = tornBytes;
  }

  /** Opens the journal and replays it; throws LogError `journal_corrupt` when it cannot be trusted. */
  static open(options: JournalOptions): TerminalJournal {
    const opened = AppendLog.open(options.storage, options.file, options.bytesMax ?? journalBytesMax);
    const journal = new TerminalJournal(opened.log, options.encoder ?? createCborEncoder(), opened.tornBytes);
    opened.payloads.forEach((payload, index) => {
      const record = decodeRecord(payload);
      const problem = record === null ? 'not a record' : journal.#check(record);
      if (problem !== null) throw new LogError('journal_corrupt', `${options.file} record ${index}: ${problem}`);
      journal.#apply(record as JournalRecord, payload);
    });
    return journal;
  }

  /**
   * Appends a record durably, then applies it. Throws LogError `journal_full`;
   * a record that does not follow from the state is a programmer error.
   */
  commit(record: JournalRecord): void {
    const payload = encodeRecord(this.#encoder, record);
    const problem = this.#check(record);
    assert(problem === null, `journal ${record.kind}: ${problem}`);
    this.#log.append([payload]);
    this.#apply(record, payload);
  }

  /** The hub client's sequence store: numbers are reserved in durable blocks. */
  seqStore(): SeqStore {
    return {
      load: async () => this.#seqUpTo || null,
      save: async (seq) => {
        if (seq > this.#seqUpTo) this.commit({ kind: 'seq_block', up_to: seq + journalSeqBlock - 1 });
      },
    };
  }

  entry(id: string): Entry | undefined {
    return this.#entries.get(id);
  }

  /** Every entry kept, in the order they began. */
  entries(): Entry[] {
    return [...this.#entries.values()];
  }

  /** Settles and cancels sent without an answer (a crash, or a timeout before the outcome was written). */
  inFlight(): Entry[] {
    return this.entries().filter((entry) => entry.outcome === 'in_flight');
  }

  /** The store-and-forward queue, oldest first. */
  queue(): ForwardItem[] {
    return [...this.#forward.values()];
  }

  get queueLength(): number {
    return this.#forward.size;
  }

  get size(): number {
    return this.#log.size;
  }

  /** Confirmed settlements, advices and cancellations, as reconciliation counts them. */
  *reconItems(): Generator<ReconItem> {
    for (const entry of this.#entries.values()) {
      if (entry.outcome !== 'confirmed') continue;
      const setl = { setl_id: entry.setlId as string, setl_time: entry.setlTime as number };
      if (entry.kind === 'cancel') {
        const { mdtrt_id, psn_no } = entry.request as BodyOf<'cancel'>;
        yield { kind: 'cancel', ...setl, mdtrt_id, psn_no, ...(entry.amounts as Amounts), funds: [], inForce: true };
      } else {
        const { input, result } = entry.request as BodyOf<'settle'>;
        const { medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay } = result.setlinfo;
        yield { kind: entry.kind, ...setl, mdtrt_id: input.mdtrt_id, psn_no: input.psn_no, medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay, funds: result.setldetail, inForce: !entry.cancelledBy };
      }
    }
  }

  /**
   * Rewrites the journal with only what is still needed: the seq reservation,
   * the last reconciled day, anything unfinished, and every entry of a later
   * day. Atomic: a crash leaves the old file or the new one.
   */
  rotate(): void {
    const keep = (entry: Held) =>
      this.#forward.has(entry.id) || entry.outcome === 'in_flight' || entry.outcome === 'queued' || chinaDate(entry.setlTime ?? entry.time) > this.#reconciled;
    const payloads = [encodeRecord(this.#encoder, { kind: 'seq_block', up_to: this.#seqUpTo })];
    if (this.#reconciled) payloads.push(encodeRecord(this.#encoder, { kind: 'reconciled', date: this.#reconciled }));
    for (const entry of this.#entries.values()) if (keep(entry)) payloads.push(...entry.payloads);
    this.#log.rewrite(payloads);
    for (const entry of this.#entries.values()) if (!keep(entry)) this.#entries.delete(entry.id);
  }

  /** Why a record cannot follow the state, or null. */
  #check(record: JournalRecord): string | null {
    const entry = 'id' in record ? this.#entries.get(record.id) : undefined;
    if (record.kind === 'seq_block') return record.up_to < this.#seqUpTo ? 'seq going back' : null;
    if ('seq' in record && record.seq > this.#seqUpTo) return 'seq not reserved';
    const full = this.#forward.size >= forwardQueueLengthMax ? 'queue full' : null;
    switch (record.kind) {
      case 'settle_intent':
      case 'cancel_intent':
        return entry ? 'id taken' : null;
      case 'advice_queued':
        return entry ? 'id taken' : full;
      case 'reversal_queued':
        return entry?.outcome !== 'in_flight' ? 'not in flight' : full;
      case 'done':
        return this.#forward.has(record.id) || entry?.outcome === 'in_flight' ? null : 'nothing open';
      case 'printed':
        return entry ? null : 'no entry';
      case 'forward_seq':
        return this.#forward.has(record.id) ? null : 'not queued';
      case 'reconciled':
      case 'filing_intent':
      case 'filing_done':
        return null;
    }
  }

  /** Applies a checked record to the state. */
  #apply(record: JournalRecord, payload: Uint8Array): void {
    if (record.kind === 'seq_block') this.#seqUpTo = record.up_to;
    if (record.kind === 'reconciled') this.#reconciled = record.date;
    if (!('id' in record)) return;
    const kind = record.kind;
    if (kind === 'settle_intent' || kind === 'cancel_intent' || kind === 'advice_queued') {
      const advice = kind === 'advice_queued';
      const time = advice ? record.body.settled_time : record.time;
      this.#entries.set(record.id, {
        id: record.id,
        kind: advice ? 'advice' : kind === 'settle_intent' ? 'settle' : 'cancel',
        seq: record.seq,
        time,
        request: record.body,
        outcome: advice ? 'queued' : 'in_flight',
        setlId: null,
        setlTime: advice ? time : null,
        code: null,
        printed: false,
        cancelledBy: null,
        amounts: kind === 'cancel_intent' ? record.amounts : null,
        who: kind === 'cancel_intent' ? null : (record.who ?? null),
        payloads: [payload],
      });
      if (advice) this.#forward.set(record.id, { id: record.id, kind: 'advice', seq: record.seq, body: record.body });
      return;
    }
    const entry = this.#entries.get(record.id) as Held;
    entry.payloads.push(payload);
    if (kind === 'printed') entry.printed = true;
    if (kind === 'forward_seq') this.#forward.set(record.id, { ...(this.#forward.get(record.id) as ForwardItem), seq: record.seq });
    if (kind === 'reversal_queued') {
      entry.outcome = 'reversing';
      this.#forward.set(record.id, { id: record.id, kind: 'reversal', seq: record.seq, body: record.body });
    }
    if (kind !== 'done') return;
    const queued = this.#forward.get(record.id);
    this.#forward.delete(record.id);
    if (queued?.kind === 'reversal') {
      entry.outcome = 'reversed';
      return;
    }
    entry.outcome = record.setl_id === null ? 'refused' : 'confirmed';
    entry.setlId = record.setl_id;
    entry.code = record.code;
    if (!queued) entry.setlTime = record.time;
    if (entry.kind === 'cancel' && record.setl_id !== null) {
      const cancelled = (entry.request as BodyOf<'cancel'>).setl_id;
      for (const other of this.#entries.values()) if (other.kind !== 'cancel' && other.setlId === cancelled) other.cancelledBy = entry.id;
    }
  }
}
