// Every message of the hub protocol, described once (protocol/schema.ts):
// the bodies, their bounds and their small integer type ids. hub.cddl is
// rendered from this table (test/unit/protocol-schema.test.ts compares it
// with the committed file), the codec validates decoded bodies with it, and
// TypeScript infers the body types from it (`BodyOf<'settle'>`).
//
// Names mirror the national interface (国家医保信息平台接口): 9001 sign-in,
// 9002 sign-out, 1101 person query, 2204 fee lines, 2206 pre-settle, 2207
// settle, 2208 cancel, 2601 reversal, 3201/3202 reconciliation, 1312-like
// catalogue transfer; field names are the national ones where they exist
// (SETTLEMENT.md keeps them too). Enums travel as their index: their value
// lists only ever grow at the end.
//
// Requests have odd ids, their reply the next even id; id 0 is the typed
// error reply. A reply echoes its request's seq.
import * as limits from './limits';
import { bool, bytes, dateText, enumOf, list, nullable, optional, record, rule, struct, text, uint, type Infer, type Type } from './schema';

// SETTLEMENT.md §1 bounds, repeated here because protocol/ imports nothing
// of ours outside itself; src/limits.ts asserts they equal the core's.
/** A line's `amt` and a line's parts, fen. */
export const lineAmtFenMax = 10_000_000_000;
/** A line's `qty_milli`. */
export const lineQtyMilliMax = 10_000_000;
/** Any other money amount of a visit, person or policy, fen. */
export const moneyFenMax = 100_000_000_000;
/** Lines of one visit. */
export const visitLinesMax = 10_000;
export const bpMax = 10_000;
/** Reconciliation totals add many visits: any safe integer. */
export const totalFenMax = Number.MAX_SAFE_INTEGER;

// ---- scalars -----------------------------------------------------------
const fen = rule('fen', 'money, fen (SETTLEMENT.md §1)', uint(moneyFenMax));
const lineFen = rule('line_fen', "a line's amount or part, fen", uint(lineAmtFenMax));
const totalFen = rule('total_fen', 'a reconciliation total, fen', uint(totalFenMax));
const bp = rule('bp', 'basis points, 10000 = 100 %', uint(bpMax));
const timeS = rule('time_s', 'integer seconds since 1970-01-01T00:00Z (never a float)', uint(limits.timeSecondsMax));
const date = rule('date', 'YYYY-MM-DD naming a real calendar day', dateText());
const area = rule('admdvs', 'a six-digit area code not starting with 00', text(6, 6, /^(0[1-9]|[1-9][0-9])[0-9]{4}$/));
const psnNo = rule('psn_no', 'insured person number', text(30));
const mdtrtId = rule('mdtrt_id', 'visit (medical treatment) id', text(30));
const setlId = rule('setl_id', 'settlement id, given by the hub', text(30));
const fixmedinsCode = rule('fixmedins_code', 'designated institution code', text(30));
const version = rule('version', 'catalogue or policy book version', text(64));
const digest = rule('digest', 'SHA-256', bytes(32));
const publicKey = rule('ed25519_pub', 'Ed25519 public key', bytes(32));
const accKey = rule('acc_key', 'accumulator key (SETTLEMENT.md §1)', text(limits.accKeyBytesMax, 1, /^[a-z][a-z0-9_:]{0,31}$/));
const accMap = rule('acc_map', 'accumulators or their changes, by key', record(accKey, fen, limits.accKeysMax));
const session = rule('session', 'hub session number; 0 before sign-in', uint(limits.sessionMax));
const seq = rule('seq', "sender's sequence number; a reply echoes its request's", uint(limits.seqMax));
/** The terminal a message is from or to. */
export const terminalId = rule('terminal_id', 'terminal id', text(32, 1, /^[A-Za-z0-9_-]{1,32}$/));
/** The message time. */
export const messageTime = timeS;
/** The message sequence number. */
export const messageSeq = seq;

// ---- enums -------------------------------------------------------------
const gend = rule('gend', '1 male, 2 female', enumOf(['1', '2']));
const insutype = rule('insutype', '310 employee basic, 390 resident basic', enumOf(['310', '390']));
const psnType = rule('psn_type', 'person type', enumOf(['active', 'retired', 'resident']));
const filingType = rule(
  'filing_type',
  'off-site filing (备案) type',
  enumOf(['relocated_retiree', 'long_term_resident', 'long_term_worker', 'referral', 'emergency', 'temporary']),
);
const disease = rule(
  'disease',
  'the five outpatient chronic and special diseases settled across provinces',
  enumOf(['hypertension', 'diabetes', 'cancer_chemo_radio', 'uremia_dialysis', 'transplant_antirejection']),
);
const medType = rule('med_type', '11 outpatient, 14 chronic/special outpatient, 21 inpatient, 41 pharmacy', enumOf(['11', '14', '21', '41']));
const chrgitmLv = rule('chrgitm_lv', '01 甲, 02 乙, 03 丙', enumOf(['01', '02', '03']));
const restriction = rule('restriction', "why a line became wholly self-paid (SETTLEMENT.md §4)", enumOf(['restricted:gender', 'restricted:age', 'restricted:chronic']));
const fundPayType = rule('fund_pay_type', 'fund of a payment (SETTLEMENT.md §9)', enumOf(['310100', '390100', '330100', '390200', '610100', '310200']));
const credentialKind = rule('credential_kind', 'e-certificate QR token, resident ID number, or social-security card', enumOf(['ecert', 'id_card', 'ss_card']));
const blobKind = rule('blob_kind', 'what a manifest or chunk carries', enumOf(['catalogue', 'policy_book']));
const reversible = rule('reversible_type', 'the request a reversal undoes (2601 oinfno)', enumOf(['settle', 'cancel']));
const reconKind = rule('recon_kind', 'what a reconciliation entry records', enumOf(['settle', 'cancel', 'advice']));
const mismatchCode = rule('mismatch_code', 'how a reconciliation entry differs', enumOf(['missing_at_hub', 'missing_at_terminal', 'amounts_differ']));
const terminalState = rule('terminal_state', "the terminal's state when it beats", enumOf(['idle', 'busy', 'offline']));

/** Stable error codes of the error reply. Append only. */
export const errorCodes = [
  'internal',
  'malformed',
  'schema_violation',
  'unknown_type',
  'bad_signature',
  'unknown_kid',
  'wrong_direction',
  'time_skew',
  'replay_stale',
  'session_unknown',
  'not_signed_in',
  'busy',
  'person_not_found',
  'credential_invalid',
  'bill_not_found',
  'bill_changed',
  'catalogue_version_unknown',
  'policy_version_unknown',
  'result_mismatch',
  'settlement_not_found',
  'already_cancelled',
  'not_reversible',
  'recon_period_invalid',
  'blob_not_found',
  'chunk_out_of_range',
  'key_rejected',
  // The core's refusals (SETTLEMENT.md §3), when the hub's own settlement refuses.
  'invalid_input',
  'policy_not_found',
  'institution_not_networked',
  'filing_required',
  'filing_not_valid_on_date',
  'filing_area_mismatch',
  'institution_not_selected',
  'chronic_requires_long_term_filing',
  'chronic_not_qualified',
  'chronic_not_opened_at_institution',
  'unknown_item',
] as const;
export type ErrorCode = (typeof errorCodes)[number];
const errorCode = rule('error_code', 'stable error codes; the list only grows at the end', enumOf(errorCodes));

// ---- records -----------------------------------------------------------
const institution = rule(
  'institution',
  'the institution the terminal stands in (SETTLEMENT.md §2 `institution`)',
  struct({
    fixmedins_code: fixmedinsCode,
    admdvs: area,
    level: uint(3, 1),
    offsite: bool(),
    chronic: list(disease, 5),
  }),
);
const filing = rule(
  'filing',
  'off-site filing (SETTLEMENT.md §2 `person.filing`)',
  struct({
    type: filingType,
    area,
    begndate: date,
    enddate: nullable(date),
    fixmedins: nullable(list(fixmedinsCode, 16)),
  }),
);
const chronicEntry = rule('chronic_entry', 'a chronic-disease qualification', struct({ dise: disease, begndate: date, enddate: nullable(date) }));
const ytd = rule('ytd', 'year-to-date accumulators at the insured place', struct({ year: uint(2200, 1900), acc: accMap }));
const person = rule(
  'person',
  'the person record of SETTLEMENT.md §2 (acct_used is chosen at the terminal and travels in settle_input) plus the name for the screen and receipt',
  struct({
    psn_no: psnNo,
    psn_name: text(64, 0),
    gend,
    brdy: date,
    insuplc_admdvs: area,
    insutype,
    psn_type: psnType,
    filing: nullable(filing),
    chronic: list(chronicEntry, 8),
    maf_class: nullable(text(16)),
    acct_balance: fen,
    ytd,
  }),
);
const credential = rule(
  'credential',
  'what the patient presented: a QR token (ecert), an ID number (id_card), or a card number with its card serial (ss_card)',
  struct({ kind: credentialKind, id: text(512), card_sn: nullable(text(32)) }),
);
const feeLine = rule(
  'fee_line',
  'a pending fee line as the hospital uploaded it (2204), in the units of SETTLEMENT.md §2',
  struct({ sn: text(20), code: text(50), qty_milli: uint(lineQtyMilliMax), amt: lineFen }),
);
const billRef = rule(
  'bill_ref',
  'the whole bill: its line count, total and SHA-256 over the CBOR array of all its fee_lines (billDigest)',
  struct({ line_count: uint(visitLinesMax, 1), medfee_sumamt: fen, digest }),
);
const setlinfo = rule(
  'setlinfo',
  "the core's visit totals (SETTLEMENT.md §9), in its order",
  struct({
    medfee_sumamt: fen,
    fulamt_ownpay_amt: fen,
    overlmt_selfpay: fen,
    preselfpay_amt: fen,
    inscp_scp_amt: fen,
    act_pay_dedc: fen,
    hifp_pay: fen,
    hifob_pay: fen,
    hifmi_pay: fen,
    maf_pay: fen,
    fund_pay_sumamt: fen,
    psn_part_amt: fen,
    acct_pay: fen,
    psn_cash_pay: fen,
    balc: fen,
    reim_bp: bp,
  }),
);
const lineResult = rule(
  'line_result',
  "the core's split of one line (SETTLEMENT.md §9 `lines`); reason only on restricted lines",
  struct({
    sn: text(20),
    chrgitm_lv: chrgitmLv,
    fulamt_ownpay_amt: lineFen,
    overlmt_amt: lineFen,
    preselfpay_amt: lineFen,
    inscp_scp_amt: lineFen,
    reason: optional(restriction),
  }),
);
const setldetailEntry = rule('setldetail_entry', 'one fund payment', struct({ fund_pay_type: fundPayType, fund_payamt: fen }));
const settleResultFields = {
  setlinfo,
  lines: list(lineResult, limits.feeLinesPerMessageMax),
  setldetail: list(setldetailEntry, 6),
  acc_delta: accMap,
};
const settleResult = rule(
  'settle_result',
  "the core's output (SETTLEMENT.md §9); lines are inline when the bill's are (see settle_input), else empty",
  struct(settleResultFields),
);
const settleInput = rule(
  'settle_input',
  `what was settled: the visit, the patient's account choice, the versions used, and the lines: inline when the bill has at most ${limits.feeLinesPerMessageMax} lines, else empty and taken from the bill the hub holds, which bill.digest identifies`,
  struct({
    mdtrt_id: mdtrtId,
    psn_no: psnNo,
    date,
    med_type: medType,
    opsp_dise: nullable(disease),
    acct_used: bool(),
    catalogue_version: version,
    policy_version: version,
    bill: billRef,
    lines: list(feeLine, limits.feeLinesPerMessageMax),
  }),
);
const fundTotal = rule('fund_total', 'a reconciliation total of one fund', struct({ fund_pay_type: fundPayType, amount: totalFen }));
const reconTotals = rule(
  'period_totals',
  'totals of a period by fund type (3201)',
  struct({
    stmt_begndate: date,
    stmt_enddate: date,
    setl_cnt: uint(limits.seqMax),
    cancel_cnt: uint(limits.seqMax),
    medfee_sumamt: totalFen,
    fund_pay_sumamt: totalFen,
    acct_pay: totalFen,
    psn_cash_pay: totalFen,
    funds: list(fundTotal, 6),
  }),
);
const reconEntry = rule(
  'recon_entry',
  'one settlement, cancellation or advice of the period (3202)',
  struct({
    setl_id: setlId,
    mdtrt_id: mdtrtId,
    psn_no: psnNo,
    kind: reconKind,
    setl_time: timeS,
    medfee_sumamt: fen,
    fund_pay_sumamt: fen,
    acct_pay: fen,
    psn_cash_pay: fen,
  }),
);
const mismatch = rule('mismatch', 'a reconciliation difference', struct({ setl_id: setlId, code: mismatchCode }));
const chunkIndex = uint(limits.chunkCountMax - 1);

// ---- bodies ------------------------------------------------------------
const bodies = {
  error: struct({ code: errorCode, detail: text(200, 0) }),
  sign_in: struct({ fixmedins_code: fixmedinsCode, firmware: text(32), catalogue_version: nullable(version), policy_version: nullable(version) }),
  sign_in_reply: struct({ session: uint(limits.sessionMax, 1), hub_time: timeS, institution, catalogue_version: version, policy_version: version, offline_floor: fen }),
  sign_out: struct({ session: uint(limits.sessionMax, 1) }),
  sign_out_reply: struct({ sign_out_time: timeS }),
  person_query: struct({ credential }),
  person_query_reply: struct({ person }),
  bill_query: struct({ psn_no: psnNo, mdtrt_id: nullable(mdtrtId), page: uint(Math.ceil(visitLinesMax / limits.feeLinesPerMessageMax) - 1) }),
  bill_query_reply: struct({
    mdtrt_id: mdtrtId,
    date,
    med_type: medType,
    opsp_dise: nullable(disease),
    bill: billRef,
    page: uint(Math.ceil(visitLinesMax / limits.feeLinesPerMessageMax) - 1),
    lines: list(feeLine, limits.feeLinesPerMessageMax),
  }),
  pre_settle: struct({ input: settleInput }),
  pre_settle_reply: struct({ result: settleResult, result_digest: digest }),
  settle: struct({ input: settleInput, result: settleResult, result_digest: digest }),
  settle_reply: struct({ setl_id: setlId, mdtrt_id: mdtrtId, setl_time: timeS, result_digest: digest }),
  cancel: struct({ setl_id: setlId, mdtrt_id: mdtrtId, psn_no: psnNo, reason: text(128, 0) }),
  cancel_reply: struct({ cancel_setl_id: setlId, setl_id: setlId, cancel_time: timeS }),
  reversal: struct({ psn_no: psnNo, omsgid: seq, oinfno: reversible, mdtrt_id: mdtrtId }),
  reversal_reply: struct({ reversed: bool(), setl_id: nullable(setlId) }),
  advice: struct({ local_setl_id: text(30), settled_time: timeS, person, input: settleInput, result: settleResult, result_digest: digest }),
  advice_reply: struct({ local_setl_id: text(30), setl_id: setlId }),
  recon_totals: struct({ totals: reconTotals }),
  recon_totals_reply: struct({ agree: bool(), hub: reconTotals }),
  recon_detail: struct({ stmt_begndate: date, stmt_enddate: date, page: uint(0xffff), last: bool(), entries: list(reconEntry, limits.reconEntriesPerMessageMax) }),
  recon_detail_reply: struct({ page: uint(0xffff), mismatches: list(mismatch, limits.reconEntriesPerMessageMax) }),
  manifest: struct({ kind: blobKind, have_version: nullable(version) }),
  manifest_reply: struct({
    kind: blobKind,
    version,
    base_version: nullable(version),
    size_bytes: uint(limits.chunkCountMax * limits.chunkBytesMax),
    chunk_bytes: uint(limits.chunkBytesMax, 1),
    chunk_count: uint(limits.chunkCountMax),
    digest,
  }),
  chunk: struct({ kind: blobKind, version, index: chunkIndex }),
  chunk_reply: struct({ kind: blobKind, version, index: chunkIndex, data: bytes(limits.chunkBytesMax, 0) }),
  key_rotation: struct({ new_terminal_key: nullable(publicKey) }),
  key_rotation_reply: struct({ hub_key: publicKey, effective_time: timeS, terminal_key_accepted: bool() }),
  heartbeat: struct({ state: terminalState, queued: uint(0xffff) }),
  heartbeat_reply: struct({ hub_time: timeS, catalogue_version: version, policy_version: version, key_rotation_pending: bool() }),
};

export type MessageName = keyof typeof bodies;
export type BodyOf<N extends MessageName> = Infer<(typeof bodies)[N]>;

export interface MessageType {
  readonly id: number;
  readonly name: MessageName;
  /** The national interface number it mirrors, or "" when none. */
  readonly national: string;
  /** What it is for, one line, for hub.cddl and the README. */
  readonly summary: string;
  readonly body: Type<unknown>;
  /** Whether it may travel before sign-in (session 0). */
  readonly beforeSignIn: boolean;
}

function entry(id: number, name: MessageName, national: string, summary: string, beforeSignIn = false): MessageType {
  return { id, name, national, summary, body: bodies[name] as Type<unknown>, beforeSignIn };
}

/** The message table, by id. Requests are odd, their replies the next even id. */
export const messageTypes: readonly MessageType[] = [
  entry(0, 'error', '', 'typed error reply to any request, with a stable code', true),
  entry(1, 'sign_in', '9001', 'sign in; the reply opens a hub session', true),
  entry(2, 'sign_in_reply', '9001', 'session, hub time, institution, current versions, offline floor limit', true),
  entry(3, 'sign_out', '9002', 'close the session'),
  entry(4, 'sign_out_reply', '9002', 'signed out'),
  entry(5, 'person_query', '1101', 'person by credential'),
  entry(6, 'person_query_reply', '1101', 'the person record'),
  entry(7, 'bill_query', '2204', "a page of the visit's pending fee lines"),
  entry(8, 'bill_query_reply', '2204', 'visit, bill reference and one page of fee lines'),
  entry(9, 'pre_settle', '2206', "ask for the hub's own pre-settlement of the input"),
  entry(10, 'pre_settle_reply', '2206', "the hub's result and its digest"),
  entry(11, 'settle', '2207', "settle: the input, the terminal's result and its digest"),
  entry(12, 'settle_reply', '2207', 'settlement id; the hub recomputed the same digest'),
  entry(13, 'cancel', '2208', 'cancel a settlement'),
  entry(14, 'cancel_reply', '2208', 'the cancellation id'),
  entry(15, 'reversal', '2601', 'undo a settle or cancel whose reply never came (by its seq)'),
  entry(16, 'reversal_reply', '2601', 'whether something was undone'),
  entry(17, 'advice', '', 'upload a settlement made offline, with the person record it used'),
  entry(18, 'advice_reply', '', 'the settlement id given to the advice'),
  entry(19, 'recon_totals', '3201', 'reconciliation totals by fund type'),
  entry(20, 'recon_totals_reply', '3201', "agree or not, with the hub's totals"),
  entry(21, 'recon_detail', '3202', 'one page of reconciliation detail'),
  entry(22, 'recon_detail_reply', '3202', 'the differences found in that page'),
  entry(23, 'manifest', '1312', 'catalogue or policy book: what is the current version'),
  entry(24, 'manifest_reply', '1312', 'version, delta base, size, chunking and digest of the blob'),
  entry(25, 'chunk', '1312', 'one numbered chunk of a blob'),
  entry(26, 'chunk_reply', '1312', 'the chunk'),
  entry(27, 'key_rotation', '', "propose the terminal's next key, or ask for the hub's"),
  entry(28, 'key_rotation_reply', '', "the hub's key from a time on, and whether the terminal's was taken"),
  entry(29, 'heartbeat', '', 'idle heartbeat with the store-and-forward queue length'),
  entry(30, 'heartbeat_reply', '', 'hub time, current versions, key rotation pending'),
];

const byName = new Map<string, MessageType>(messageTypes.map((type) => [type.name, type]));

export function messageTypeById(id: number): MessageType | undefined {
  return messageTypes[id]?.id === id ? messageTypes[id] : undefined;
}

export function messageTypeByName(name: MessageName): MessageType {
  const type = byName.get(name);
  if (type === undefined) throw new RangeError(`unknown message type name ${String(name)}`);
  return type;
}

/** The reply type of a request type (the error reply aside). */
export function replyNameOf(request: MessageName): MessageName | undefined {
  const type = messageTypeByName(request);
  if (type.id === 0 || type.id % 2 === 0) return undefined;
  return messageTypeById(type.id + 1)?.name;
}

/** Named rules that hub.cddl defines before the bodies (the renderer finds the rest by walking). */
export const sharedRules: readonly Type<unknown>[] = [terminalId, seq, timeS, session];

export type Person = Infer<typeof person>;
export type FeeLine = Infer<typeof feeLine>;
export type SettleInput = Infer<typeof settleInput>;
export type SettleResult = Infer<typeof settleResult>;
export type LineResult = Infer<typeof lineResult>;
export type Institution = Infer<typeof institution>;
export type ReconTotals = Infer<typeof reconTotals>;
export type ReconEntry = Infer<typeof reconEntry>;
export type Credential = Infer<typeof credential>;

/** The schema of a whole fee-line array, as billDigest hashes it (any visit size). */
export const billLinesType = list(feeLine, visitLinesMax, 1);
/** The core's whole result, as resultDigest hashes it: settle_result with every line of the visit. */
export const resultDigestType = struct({ ...settleResultFields, lines: list(lineResult, visitLinesMax, 1) });
export type SettleResultFull = Infer<typeof resultDigestType>;
