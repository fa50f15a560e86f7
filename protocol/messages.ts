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
// (docs/settlement.md keeps them too). Enums travel as their index: their value
// lists only ever grow at the end.
//
// Each message's type id is written out in `messageTable`, never taken from
// the order of a list: requests have odd ids, their reply the next even id,
// id 0 is the typed error reply. An id never changes without a new frame
// version (test/unit/message-ids.test.ts pins the table of each version).
// A reply echoes its request's seq.
import * as limits from './limits';
import { bpMax, lineAmtFenMax, lineQtyMilliMax, moneyFenMax, totalFenMax, visitLinesMax } from './limits';
import { crc32 } from './framing';
import { bool, bytes, dateText, enumOf, list, nullable, optional, record, rule, struct, text, uint, type Infer, type Type } from './schema';

// ---- scalars -----------------------------------------------------------
const fen = rule(uint(moneyFenMax));
const lineFen = rule(uint(lineAmtFenMax));
const totalFen = rule(uint(totalFenMax));
const bp = rule(uint(bpMax));
const timeS = rule(uint(limits.timeSecondsMax));
const date = rule(dateText());
const area = rule(text(6, 6, /^(0[1-9]|[1-9][0-9])[0-9]{4}$/));
const psnNo = rule(text(30));
const mdtrtId = rule(text(30));
const setlId = rule(text(30));
const fixmedinsCode = rule(text(30));
const version = rule(text(64));
const digest = rule(bytes(32));
const publicKey = rule(bytes(32));
const accKey = rule(text(limits.accKeyBytesMax, 1, /^[a-z][a-z0-9_:]{0,31}$/));
const accMap = rule(record(accKey, fen, limits.accKeysMax));
const session = rule(uint(limits.sessionMax));
const seq = rule(uint(limits.seqMax));
/** The terminal a message is from or to. */
export const terminalId = rule(text(32, 1, /^[A-Za-z0-9_-]{1,32}$/));
/** The message time. */
export const messageTime = timeS;
/** The message sequence number. */
export const messageSeq = seq;

// ---- enums -------------------------------------------------------------
const gend = rule(enumOf(['1', '2']));
const insutype = rule(enumOf(['310', '390']));
const psnType = rule(enumOf(['active', 'retired', 'resident']));
const filingType = rule(enumOf(['relocated_retiree', 'long_term_resident', 'long_term_worker', 'referral', 'emergency', 'temporary']),
);
const disease = rule(enumOf(['hypertension', 'diabetes', 'cancer_chemo_radio', 'uremia_dialysis', 'transplant_antirejection']),
);
const medType = rule(enumOf(['11', '14', '21', '41']));
const chrgitmLv = rule(enumOf(['01', '02', '03']));
const restriction = rule(enumOf(['restricted:gender', 'restricted:age', 'restricted:chronic']));
const fundPayType = rule(enumOf(['310100', '390100', '330100', '390200', '610100', '310200']));
/**
 * An e-certificate token's check: its last 8 characters are the CRC-32 of
 * everything before them (prefix included, ASCII) in lowercase hex. The
 * terminal refuses a token whose check fails (`token_check_failed`) before it
 * asks the hub: a misread or made-up code never reaches the hub.
 */
export const ecertCheck = (text: string): string => crc32(Buffer.from(text, 'latin1')).toString(16).padStart(8, '0');

const credentialKind = rule(enumOf(['ecert', 'id_card', 'ss_card']));
const blobKind = rule(enumOf(['catalogue', 'policy_book']));
const reversible = rule(enumOf(['settle', 'cancel']));
const reconKind = rule(enumOf(['settle', 'cancel', 'advice']));
const mismatchCode = rule(enumOf(['missing_at_hub', 'missing_at_terminal', 'amounts_differ']));
const terminalState = rule(enumOf(['idle', 'busy', 'offline']));

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
  // The core's refusals (docs/settlement.md §3), when the hub's own settlement refuses.
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
  // An advice (offline settlement) the hub cannot take: over the offline floor or not outpatient/pharmacy; its bill settled online meanwhile.
  'offline_limit_exceeded',
  'already_settled',
  // An advice whose personal-account payment exceeds the balance the hub holds (the terminal's record was stale).
  'account_insufficient',
  // A cancel of another terminal's settlement without an operator signed in (README, who may cancel).
  'cancel_not_allowed',
  // The filing services' refusals (README, off-site filing at the kiosk).
  // A type this terminal may not create (or one its insured place does not let a kiosk file), dates the policy book does not allow, no referral number for a referral.
  'filing_type_not_allowed_here',
  // A filing that covers the requested begin date already stands.
  'filing_exists',
  // The requested period overlaps a filing that stands.
  'filing_overlaps',
  // A cancel of a filing that is not the person's, not made today, or already cancelled.
  'not_cancellable',
] as const;
export type ErrorCode = (typeof errorCodes)[number];
const errorCode = rule(enumOf(errorCodes));

// ---- records -----------------------------------------------------------
const institution = rule(struct({
    fixmedins_code: fixmedinsCode,
    admdvs: area,
    level: uint(3, 1),
    offsite: bool(),
    chronic: list(disease, 5),
  }),
);
const filing = rule(struct({
    type: filingType,
    area,
    begndate: date,
    enddate: nullable(date),
    fixmedins: nullable(list(fixmedinsCode, 16)),
  }),
);
const chronicEntry = rule(struct({ dise: disease, begndate: date, enddate: nullable(date) }));
const ytd = rule(struct({ year: uint(2200, 1900), acc: accMap }));
const person = rule(struct({
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
const credential = rule(struct({ kind: credentialKind, id: text(512), card_sn: nullable(text(32)) }),
);
const feeLine = rule(struct({ sn: text(20), code: text(50), qty_milli: uint(lineQtyMilliMax), amt: lineFen }),
);
const billRef = rule(struct({ line_count: uint(visitLinesMax, 1), medfee_sumamt: fen, digest }),
);
const setlinfo = rule(struct({
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
const lineResult = rule(struct({
    sn: text(20),
    chrgitm_lv: chrgitmLv,
    fulamt_ownpay_amt: lineFen,
    overlmt_amt: lineFen,
    preselfpay_amt: lineFen,
    inscp_scp_amt: lineFen,
    reason: optional(restriction),
  }),
);
const setldetailEntry = rule(struct({ fund_pay_type: fundPayType, fund_payamt: fen }));
const settleResultFields = {
  setlinfo,
  lines: list(lineResult, limits.feeLinesPerMessageMax),
  setldetail: list(setldetailEntry, 6),
  acc_delta: accMap,
};
const settleResult = rule(struct(settleResultFields),
);
const settleInput = rule(struct({
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
const fundTotal = rule(struct({ fund_pay_type: fundPayType, amount: totalFen }));
const reconTotals = rule(struct({
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
const reconEntry = rule(struct({
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
const mismatch = rule(struct({ setl_id: setlId, code: mismatchCode }));
const chunkIndex = uint(limits.chunkCountMax - 1);
const filingId = rule(text(30));
const filingEntry = rule(struct({ filing_id: filingId, filing, made_date: date, cancelled: bool() }));

// ---- bodies ------------------------------------------------------------
const bodies = {
  error: struct({ code: errorCode, detail: text(200, 0) }),
  sign_in: struct({ fixmedins_code: fixmedinsCode, firmware: text(32), catalogue_version: nullable(version), policy_version: nullable(version), nonce: bytes(limits.signInNonceBytes), operator: nullable(text(32)) }),
  // session 0: no session opened, the sign-in's seq was outside the hub's window; the terminal continues from next_seq.
  sign_in_reply: struct({ session: uint(limits.sessionMax), hub_time: timeS, institution, catalogue_version: version, policy_version: version, offline_floor: fen, next_seq: seq, nonce: bytes(limits.signInNonceBytes) }),
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
  manifest: struct({ kind: blobKind, have_version: nullable(version), fault: bool() }),
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
  filing_query: struct({ psn_no: psnNo }),
  filing_query_reply: struct({ filings: list(filingEntry, limits.filingsPerPersonMax) }),
  filing_apply: struct({ psn_no: psnNo, filing, referral_no: nullable(text(30)), commitment: bool(), tel: text(20, 5, /^[0-9+-]{5,20}$/) }),
  filing_apply_reply: struct({ filing_id: filingId, filing }),
  filing_cancel: struct({ psn_no: psnNo, filing_id: filingId, reason: text(128, 0) }),
  filing_cancel_reply: struct({ filing_id: filingId, cancel_time: timeS }),
};

export type MessageName = keyof typeof bodies;
export type BodyOf<N extends MessageName> = Infer<(typeof bodies)[N]>;

export interface MessageType {
  readonly id: number;
  readonly name: MessageName;
  /** The national interface number it mirrors, or "" when none. */
  readonly national: string;
  readonly body: Type<unknown>;
  /** Whether it may travel before sign-in (session 0). */
  readonly beforeSignIn: boolean;
}

/**
 * The message table: each message's type id on the wire. Every message name
 * has exactly one row (`satisfies`); the ids are distinct and each request's
 * reply is the next id (test/unit/message-ids.test.ts asserts both). The filing services (31 to 36) were
 * appended to frame version 1: a terminal that never sends them is not
 * affected, and a hub without them answers `unknown_type`.
 */
const messageTable = {
  error: 0,
  sign_in: 1,
  sign_in_reply: 2,
  sign_out: 3,
  sign_out_reply: 4,
  person_query: 5,
  person_query_reply: 6,
  bill_query: 7,
  bill_query_reply: 8,
  pre_settle: 9,
  pre_settle_reply: 10,
  settle: 11,
  settle_reply: 12,
  cancel: 13,
  cancel_reply: 14,
  reversal: 15,
  reversal_reply: 16,
  advice: 17,
  advice_reply: 18,
  recon_totals: 19,
  recon_totals_reply: 20,
  recon_detail: 21,
  recon_detail_reply: 22,
  manifest: 23,
  manifest_reply: 24,
  chunk: 25,
  chunk_reply: 26,
  key_rotation: 27,
  key_rotation_reply: 28,
  heartbeat: 29,
  heartbeat_reply: 30,
  filing_query: 31,
  filing_query_reply: 32,
  filing_apply: 33,
  filing_apply_reply: 34,
  filing_cancel: 35,
  filing_cancel_reply: 36,
} as const satisfies Record<MessageName, number>;

/** The national interface each request mirrors (its reply mirrors the same); a request not listed mirrors none. */
const nationalOf: Partial<Record<MessageName, string>> = { sign_in: '9001', sign_out: '9002', person_query: '1101', bill_query: '2204', pre_settle: '2206', settle: '2207', cancel: '2208', reversal: '2601', recon_totals: '3201', recon_detail: '3202', manifest: '1312', chunk: '1312' };

/** What may travel before sign-in (session 0): the error and the sign-in. */
const beforeSignIn: readonly MessageName[] = ['error', 'sign_in', 'sign_in_reply'];

/** Every message type, in id order. */
export const messageTypes: readonly MessageType[] = (Object.keys(messageTable) as MessageName[])
  .map((name) => {
    const id = messageTable[name];
    const request = (id % 2 === 0 && id > 0 ? name.slice(0, -'_reply'.length) : name) as MessageName;
    return { id, name, national: nationalOf[request] ?? '', body: bodies[name] as Type<unknown>, beforeSignIn: beforeSignIn.includes(name) };
  })
  .sort((a, b) => a.id - b.id);

const byName = new Map<string, MessageType>(messageTypes.map((type) => [type.name, type]));
const byId = new Map<number, MessageType>(messageTypes.map((type) => [type.id, type]));


export function messageTypeById(id: number): MessageType | undefined {
  return byId.get(id);
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
export type Filing = Infer<typeof filing>;
export type FilingEntry = Infer<typeof filingEntry>;

/** The schema of a whole fee-line array, as billDigest hashes it (any visit size). */
export const billLinesType = list(feeLine, visitLinesMax, 1);
/** The core's whole result, as resultDigest hashes it: settle_result with every line of the visit. */
export const resultDigestType = struct({ ...settleResultFields, lines: list(lineResult, visitLinesMax, 1) });
export type SettleResultFull = Infer<typeof resultDigestType>;

/**
 * The named rules by their hub.cddl names: protocol/schema-cddl.ts defines
 * each once and refers to it by its name. Only the tools render hub.cddl, so
 * the names stay out of the firmware (nothing there reads this table, and
 * esbuild leaves it out).
 */
export const namedRules: Readonly<Record<string, Type<unknown>>> = {
  fen,
  line_fen: lineFen,
  total_fen: totalFen,
  bp,
  time_s: timeS,
  date,
  admdvs: area,
  psn_no: psnNo,
  mdtrt_id: mdtrtId,
  setl_id: setlId,
  fixmedins_code: fixmedinsCode,
  version,
  digest,
  ed25519_pub: publicKey,
  acc_key: accKey,
  acc_map: accMap,
  session,
  seq,
  terminal_id: terminalId,
  gend,
  insutype,
  psn_type: psnType,
  filing_type: filingType,
  disease,
  med_type: medType,
  chrgitm_lv: chrgitmLv,
  restriction,
  fund_pay_type: fundPayType,
  credential_kind: credentialKind,
  blob_kind: blobKind,
  reversible_type: reversible,
  recon_kind: reconKind,
  mismatch_code: mismatchCode,
  terminal_state: terminalState,
  error_code: errorCode,
  institution,
  filing,
  chronic_entry: chronicEntry,
  ytd,
  person,
  credential,
  fee_line: feeLine,
  bill_ref: billRef,
  setlinfo,
  line_result: lineResult,
  setldetail_entry: setldetailEntry,
  settle_result: settleResult,
  settle_input: settleInput,
  fund_total: fundTotal,
  period_totals: reconTotals,
  recon_entry: reconEntry,
  mismatch,
  filing_id: filingId,
  filing_entry: filingEntry,
};
