// The reference hub's durable records: every change of its state is one event
// appended to its log (src/journal/log.ts) before the reply that reveals it
// leaves, and the state is whatever replaying the events gives. Each request
// that changes something is answered by exactly one event carrying (terminal,
// seq) and the digest of the request, so a retry finds its answer and a seq
// reused for other content is refused. Events are CBOR [kind, body], written
// with the wire's encoder (cbor-x, deterministic) and read back strictly
// against the schemas below, which reuse the wire's own records.
import { decodeStrict, type CborValue } from '../../../protocol/cbor-decode';
import type { CborEncoder } from '../../../protocol/cbor-encode';
import { seqMax, signInNonceBytes, timeSecondsMax, visitLinesMax } from '../../../protocol/limits';
import { messageTypeByName, type MessageName } from '../../../protocol/messages';
import { encodeTyped } from '../../../protocol/schema-encode';
import { bool, bytes, dateText, enumOf, fromWire, list, nullable, optional, struct, text, uint, type Infer, type ListType, type StructType, type Type } from '../../../protocol/schema';

/** A field's schema inside a message body: the wire's records, reused. */
function fieldOf(message: MessageName, field: string): Type<unknown> {
  const found = (messageTypeByName(message).body as StructType).fields.find((candidate) => candidate.name === field);
  if (found === undefined) throw new Error(`${message} has no field ${field}`);
  return found.type;
}

const personType = fieldOf('person_query_reply', 'person') as Type<import('../../../protocol/messages').Person>;
const institutionType = fieldOf('sign_in_reply', 'institution') as Type<import('../../../protocol/messages').Institution>;
const credentialType = fieldOf('person_query', 'credential') as Type<import('../../../protocol/messages').Credential>;
const settleInputType = fieldOf('settle', 'input') as Type<import('../../../protocol/messages').SettleInput>;
const settleResultType = fieldOf('settle', 'result') as Type<import('../../../protocol/messages').SettleResult>;
const filingType = fieldOf('filing_apply', 'filing') as Type<import('../../../protocol/messages').Filing>;
const feeLineType = (fieldOf('bill_query_reply', 'lines') as ListType<import('../../../protocol/messages').FeeLine>).item;
const medType = fieldOf('bill_query_reply', 'med_type');
const optionalDisease = fieldOf('bill_query_reply', 'opsp_dise');

const id = text(32);
const seq = uint(seqMax);
const time = uint(timeSecondsMax);
const digest = bytes(32);
const code30 = text(30);
const version = text(64);

/** Who asked: every event that answers a request carries these. */
const asked = { terminal: id, seq, digest };

const kinds = {
  /** A terminal enrolled (or a key added). role: 'kiosk' (absent in older logs) or 'counter', a staffed terminal whose sign-in may name an operator. */
  terminal: struct({ id, public_key: bytes(32), fixmedins_code: code30, role: optional(enumOf(['kiosk', 'counter'])) }),
  institution: struct({ institution: institutionType }),
  person: struct({ person: personType, credentials: list(credentialType, 8) }),
  population: struct({ seed: uint(0xffff_ffff), persons: uint(10_000_000, 1), bills_per_person: uint(10_000, 1), date: dateText() }),
  bill: struct({
    psn_no: code30,
    mdtrt_id: code30,
    fixmedins_code: code30,
    date: dateText(),
    med_type: medType as Type<'11' | '14' | '21' | '41'>,
    opsp_dise: optionalDisease as Type<import('../../../protocol/messages').Person['chronic'][number]['dise'] | null>,
    lines: list(feeLineType, visitLinesMax, 1),
  }),
  /** A catalogue or policy book version, whose signed snapshot is the file named. */
  published: struct({ blob: enumOf(['catalogue', 'policy_book']), line: text(8, 0), version, serial: uint(0xffff_ffff, 1), file: text(128), digest }),
  /** A sign-in: its nonce (echoed in the reply) and the operator signed in with it (both absent in older logs). */
  session: struct({ ...asked, session: uint(0xffff_ffff, 1), time, expires: time, nonce: optional(bytes(signInNonceBytes)), operator: optional(nullable(text(32))) }),
  session_end: struct({ ...asked, session: uint(0xffff_ffff, 1), time }),
  terminal_key: struct({ ...asked, public_key: bytes(32), time }),
  settled: struct({
    ...asked,
    setl_id: code30,
    setl_time: time,
    source: enumOf(['settle', 'advice']),
    local_setl_id: nullable(code30),
    fixmedins_code: code30,
    insuplc_admdvs: text(6, 6),
    input: settleInputType,
    result: settleResultType,
    result_digest: digest,
  }),
  cancelled: struct({ ...asked, setl_id: code30, cancel_setl_id: code30, cancel_time: time }),
  /** A filing made at a terminal (filing_apply), on the hub's date made_date. */
  filed: struct({ ...asked, filing_id: code30, psn_no: code30, filing: filingType, referral_no: nullable(code30), commitment: bool(), tel: text(20), made_date: dateText(), time }),
  /** A filing cancelled (filing_cancel): once, by the seq that asked. */
  filing_cancelled: struct({ ...asked, filing_id: code30, psn_no: code30, cancel_time: time }),
  reversal: struct({ ...asked, omsgid: seq, oinfno: enumOf(['settle', 'cancel']), reversed: bool(), setl_id: nullable(code30), time }),
  refused: struct({
    ...asked,
    type: uint(64),
    code: text(40),
    detail: text(200, 0),
    time,
    /** Both results of a disagreement, kept for audit. */
    audit: nullable(
      struct({ input: settleInputType, terminal_result: settleResultType, terminal_digest: digest, hub_result: nullable(settleResultType), hub_digest: nullable(digest), person: nullable(personType) }),
    ),
  }),
};

export type EventKind = keyof typeof kinds;
export type HubEvent = { [K in EventKind]: { readonly kind: K } & Infer<(typeof kinds)[K]> }[EventKind];
export type EventOf<K extends EventKind> = Extract<HubEvent, { kind: K }>;
/** The events that answer a request. */
export type AnswerEvent = EventOf<'session' | 'session_end' | 'terminal_key' | 'settled' | 'cancelled' | 'reversal' | 'refused' | 'filed' | 'filing_cancelled'>;

const names = Object.keys(kinds) as EventKind[];

/** The index an event kind is written with, and its body's type (for tests that hold the direct encoding to toWire's). */
export const eventKindIndex = (kind: EventKind): number => names.indexOf(kind);
export const eventBodyType = (kind: EventKind): Type<unknown> => kinds[kind] as Type<unknown>;

/** An event as written, [kind index, body], as one struct checked and written in one pass (its paths: `settled.input.psn_no`). */
const eventTypes = new Map<EventKind, Type<unknown>>();
function eventType(kind: EventKind): Type<unknown> {
  let type = eventTypes.get(kind);
  const index = names.indexOf(kind);
  if (type === undefined) eventTypes.set(kind, (type = struct({ index: uint(index, index), [kind]: kinds[kind] as Type<unknown> })));
  return type;
}

/** The event's payload: what `encoder.encode([index, toWire(type, body, kind)])` writes, written directly (schema-encode.ts). */
export function encodeEvent(_encoder: CborEncoder, event: HubEvent): Uint8Array {
  const { kind, ...body } = event;
  return encodeTyped(eventType(kind), { index: names.indexOf(kind), [kind]: body }, '');
}

/** The event of a payload; throws when it is not one (a damaged state log). */
export function decodeEvent(payload: Uint8Array): HubEvent {
  const decoded = decodeStrict(payload, { itemsMax: visitLinesMax });
  if (!decoded.ok || !Array.isArray(decoded.value) || decoded.value.length !== 2) throw new Error('not a hub event');
  const [index, body] = decoded.value as [CborValue, CborValue];
  const kind = typeof index === 'number' ? names[index] : undefined;
  if (kind === undefined) throw new Error(`unknown hub event ${String(index)}`);
  return { kind, ...(fromWire(kinds[kind] as Type<object>, body, kind) as object) } as HubEvent;
}
