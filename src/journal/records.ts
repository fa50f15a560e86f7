// The terminal journal's records: one per commit point of a settlement's life
// (docs/design.md, one settlement end to end; issue #8). Each is the CBOR array
// [kind, body]; bodies are described with the wire's schema language, so a
// record is checked before it is written (a bad one is a programmer error)
// and strictly again when it is read back (a bad one is a damaged journal).
// The messages a record keeps (the settle request, the reversal, the advice)
// are the wire's own bodies. Kinds only ever grow at the end.
import { decodeStrict, type CborValue } from '../../protocol/cbor-decode';
import type { CborEncoder } from '../../protocol/cbor-encode';
import { messageTypeByName, type BodyOf, type MessageName } from '../../protocol/messages';
import { dateText, fromWire, nullable, optional, struct, text, toWire, uint, type Infer, type Type } from '../../protocol/schema';
import { moneyFenMax, seqMax, timeSecondsMax } from '../../protocol/limits';

const wireBody = <N extends MessageName>(name: N) => messageTypeByName(name).body as Type<BodyOf<N>>;
const id = text(40);
const seq = uint(seqMax);
const time = uint(timeSecondsMax);
const fen = uint(moneyFenMax);
/** A hub error code or one of the client's (`timeout`, ...); null when there is none. */
const code = nullable(text(40));
/**
 * Who a settlement is for, as the receipt prints it (name, the ID number read
 * from the card or else the insurance number, insured place): kept so that a receipt a
 * power cut interrupted is printed again whole at boot. Optional, at the end:
 * journals written before it read as they were.
 */
const who = optional(struct({ name: text(64, 0), id: text(32, 0), place: text(6, 0) }));

const kinds = {
  /** Sequence numbers up to `up_to` may have been used: the next one is above it. */
  seq_block: struct({ up_to: seq }),
  /** About to send a settle (its seq, the request as sent). */
  settle_intent: struct({ id, seq, time, body: wireBody('settle'), who }),
  /** About to send a cancel; `amounts` are the cancelled settlement's, for reconciliation. */
  cancel_intent: struct({
    id,
    seq,
    time,
    body: wireBody('cancel'),
    amounts: struct({ medfee_sumamt: fen, fund_pay_sumamt: fen, acct_pay: fen, psn_cash_pay: fen }),
  }),
  /** A settlement made offline, waiting in the store-and-forward queue to be uploaded. */
  advice_queued: struct({ id, seq, body: wireBody('advice'), who }),
  /** A settle or cancel went unanswered: its reversal waits in the store-and-forward queue. */
  reversal_queued: struct({ id, seq, body: wireBody('reversal') }),
  /**
   * The hub's answer. To what is queued for the entry (reversal, advice) when
   * something is, else to its request in flight: confirmed (setl_id, time:
   * the settlement's or cancellation's) or refused for good (code).
   */
  done: struct({ id, setl_id: nullable(text(30)), time: nullable(time), code }),
  /** The receipt is printed. */
  printed: struct({ id }),
  /** A queued reversal or advice is sent under a new seq from now on (the old one left the hub's window). */
  forward_seq: struct({ id, seq }),
  /** Reconciled with the hub through this day: entries of that day and before may go at rotation. */
  reconciled: struct({ date: dateText() }),
  /**
   * About to send a filing application (issue 16), under this seq: a retry
   * keeps it, so the hub files once. The filing is the hub's, not an entry of
   * the journal's: these two records are its history here, kept until rotation.
   */
  filing_intent: struct({ seq, time, body: wireBody('filing_apply') }),
  /** The answer to the filing application sent under `seq`: the filing's id, or why not (`timeout`: no answer, the hub may hold it). */
  filing_done: struct({ seq, filing_id: nullable(text(30)), code }),
};

export type RecordKind = keyof typeof kinds;
export type JournalRecord = { [K in RecordKind]: { readonly kind: K } & Infer<(typeof kinds)[K]> }[RecordKind];
export type RecordOf<K extends RecordKind> = Extract<JournalRecord, { kind: K }>;

const names = Object.keys(kinds) as RecordKind[];

/** The record's payload; a record that breaks its schema throws (TypeError/RangeError naming the field). */
export function encodeRecord(encoder: CborEncoder, record: JournalRecord): Uint8Array {
  const { kind, ...body } = record;
  return encoder.encode([names.indexOf(kind), toWire(kinds[kind] as Type<unknown>, body, kind)]);
}

/** The record in a payload, or null when the payload is not one (a damaged or foreign journal). */
export function decodeRecord(payload: Uint8Array): JournalRecord | null {
  const decoded = decodeStrict(payload);
  if (!decoded.ok || !Array.isArray(decoded.value) || decoded.value.length !== 2) return null;
  const [index, body] = decoded.value as [CborValue, CborValue];
  const kind = typeof index === 'number' ? names[index] : undefined;
  if (kind === undefined) return null;
  try {
    return { kind, ...(fromWire(kinds[kind] as Type<object>, body, kind) as object) } as JournalRecord;
  } catch {
    return null;
  }
}
