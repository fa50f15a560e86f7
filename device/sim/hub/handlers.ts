// What the reference hub answers to each request. A handler reads the state,
// decides, and returns the reply and, for a request that changes something,
// the one event that records the change and the answer (events.ts); the hub
// applies the event, makes it durable, then sends the reply. Handlers never
// mutate the state themselves, so a refusal changes nothing, and a request
// answered before (same terminal and seq) gets the same answer from its event.
import { createHash } from 'node:crypto';
import type { CborEncoder } from '../../../protocol/cbor-encode';
import { bytesEqual } from '../../../protocol/crypto';
import type { AnyMessage } from '../../../protocol/envelope';
import { filingsPerPersonMax, signInNonceBytes } from '../../../protocol/limits';
import { messageTypeByName, type BodyOf, type ErrorCode, type Filing, type MessageName, type Person, type SettleInput, type SettleResult } from '../../../protocol/messages';
import { encodeTyped } from '../../../protocol/schema-encode';
import { fullResult, linesTravelInline, resultAsSent, visitCase, type SettlementParts } from '../../../protocol/settle-request';
import { billLinesType, resultDigestType, type FeeLine } from '../../../protocol/messages';
import { applyAccDelta } from '../../../src/core/accumulators';
import { settle } from '../../../src/core/settle';
import type { Settlement as CoreSettlement } from '../../../src/core/types';
import { validateCaseWith } from '../../../src/core/validate';
import { checkFilingApplication, checkFilingCancel, filingOnDate, filingPolicyOf, type HeldFiling } from '../../../src/core/filing';
import { chinaDate, periodDays, periodEntries, periodTotals, totalsAgree } from '../../../src/journal/recon';
import { reconDaysMax } from '../../../src/limits';
import type { AnswerEvent, EventOf, HubEvent } from './events';
import { billPageLines, chunkBytes, reconPagesMax } from './limits';
import { catalogueLineOf, type HubBill } from './seed';
import type { HubState, TerminalRecord } from './state';
import type { Blob, Versions } from './versions';

export interface Reply {
  readonly type: MessageName;
  readonly body: unknown;
}

export interface Handled {
  readonly reply: Reply;
  readonly event?: HubEvent;
}

/** What handlers are given: the state (read only), the versions, the time and the hub's settings. */
export interface HubContext {
  readonly state: HubState;
  readonly versions: Versions;
  readonly encoder: CborEncoder;
  readonly hubPublicKey: Uint8Array;
  readonly sessionLifetimeSeconds: number;
  readonly offlineFloorFen: number;
  timeS(): number;
  /** Per terminal and blob kind: the blob its last manifest described (the chunks come from it). */
  readonly transfers: Map<string, Blob>;
  /** Per terminal and blob kind: the last report of a damaged copy (a manifest with `fault`), for the operator. */
  readonly storeFaults: Map<string, StoreFaultReport>;
  /** Per terminal: the setl_ids its reconciliation-detail pages listed so far. */
  readonly reconPages: Map<string, { period: string; page: number; listed: Set<string> }>;
}

type Request = AnyMessage;

/** A terminal's report that its copy of a catalogue or policy book failed its check (it was sent the snapshot). */
export interface StoreFaultReport {
  readonly terminal: string;
  readonly kind: 'catalogue' | 'policy_book';
  /** The version the terminal serves meanwhile (its previous one), or null. */
  readonly serving: string | null;
  readonly timeS: number;
  readonly reports: number;
}

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/** protocol/digests.ts's billDigest: the same bytes (written directly, schema-encode.ts), hashed. */
export function billDigestDirect(lines: readonly FeeLine[]): Uint8Array {
  return sha256(encodeTyped(billLinesType, lines as FeeLine[], 'lines'));
}

/** protocol/settle-request.ts's settlementDigest: the same bytes (written directly, schema-encode.ts), hashed. */
export function settlementDigestDirect(settlement: SettlementParts): Uint8Array {
  return sha256(encodeTyped(resultDigestType, fullResult(settlement), 'result'));
}

export function errorReply(code: ErrorCode, detail = ''): Reply {
  return { type: 'error', body: { code, detail: detail.slice(0, 200) } };
}

/** SHA-256 of a request's body as the wire encodes it: what a seq was first used for. */
export function requestDigest(_encoder: CborEncoder, message: Request): Uint8Array {
  const type = messageTypeByName(message.type);
  // The bytes `encoder.encode(toWire(type.body, message.body, 'body'))` writes, written directly (schema-encode.ts).
  return sha256(encodeTyped(type.body, message.body, 'body'));
}

/** The reply an answering event stands for (the first answer, or a retry's). */
export function replyOf(ctx: HubContext, event: AnswerEvent): Reply {
  switch (event.kind) {
    case 'session':
      return signInReply(ctx, ctx.state.terminal(event.terminal), event.session, event.nonce ?? new Uint8Array(signInNonceBytes));
    case 'session_end':
      return { type: 'sign_out_reply', body: { sign_out_time: event.time } };
    case 'terminal_key':
      return { type: 'key_rotation_reply', body: { hub_key: ctx.hubPublicKey, effective_time: event.time, terminal_key_accepted: true } };
    case 'settled':
      return event.source === 'advice' && event.local_setl_id !== null
        ? { type: 'advice_reply', body: { local_setl_id: event.local_setl_id, setl_id: event.setl_id } }
        : { type: 'settle_reply', body: { setl_id: event.setl_id, mdtrt_id: event.input.mdtrt_id, setl_time: event.setl_time, result_digest: event.result_digest } };
    case 'cancelled':
      return { type: 'cancel_reply', body: { cancel_setl_id: event.cancel_setl_id, setl_id: event.setl_id, cancel_time: event.cancel_time } };
    case 'reversal':
      return { type: 'reversal_reply', body: { reversed: event.reversed, setl_id: event.setl_id } };
    case 'refused':
      return errorReply(event.code as ErrorCode, event.detail);
    case 'filed':
      return { type: 'filing_apply_reply', body: { filing_id: event.filing_id, filing: event.filing } };
    case 'filing_cancelled':
      return { type: 'filing_cancel_reply', body: { filing_id: event.filing_id, cancel_time: event.cancel_time } };
  }
}

/**
 * The answer to a sign-in whose seq is outside the terminal's window: no
 * session (0), and the next seq the hub will take, bound to this sign-in by
 * its nonce. Signed like any reply; it records and changes nothing, so a
 * replayed sign-in gets it again and learns nothing new.
 */
export function resyncReply(ctx: HubContext, terminal: TerminalRecord, body: BodyOf<'sign_in'>): Reply {
  return signInReply(ctx, terminal, 0, body.nonce);
}

function signInReply(ctx: HubContext, terminal: TerminalRecord, session: number, nonce: Uint8Array): Reply {
  const institution = ctx.state.institutions.get(terminal.fixmedins_code);
  const line = institution === undefined ? '' : catalogueLineOf(institution);
  return {
    type: 'sign_in_reply',
    body: {
      session,
      hub_time: ctx.timeS(),
      institution,
      catalogue_version: ctx.versions.current('catalogue', line)?.version ?? '-',
      policy_version: ctx.versions.current('policy_book', '')?.version ?? '-',
      offline_floor: ctx.offlineFloorFen,
      next_seq: terminal.window.nextSeq,
      nonce,
    },
  };
}

/** Handles one verified request from a signed-in terminal (or a sign-in). */
export function handle(ctx: HubContext, terminal: TerminalRecord, request: Request, digest: Uint8Array): Handled {
  const answered = terminal.answers.get(request.seq);
  if (answered !== undefined) {
    // A retry: the same answer. The same seq for another request is refused (a reinstalled terminal, or a bug).
    if (!bytesEqual(answered.digest, digest)) return { reply: errorReply('replay_stale', `seq ${request.seq} was used for another request`) };
    return { reply: replyOf(ctx, answered) };
  }
  const asked = { terminal: terminal.id, seq: request.seq, digest };
  const refuse = (code: ErrorCode, detail = '', audit: EventOf<'refused'>['audit'] = null): Handled => {
    const event: EventOf<'refused'> = { kind: 'refused', ...asked, type: messageTypeByName(request.type).id, code, detail: detail.slice(0, 200), time: ctx.timeS(), audit };
    return { reply: replyOf(ctx, event), event };
  };
  const answer = (event: AnswerEvent): Handled => ({ reply: replyOf(ctx, event), event });
  switch (request.type) {
    case 'sign_in': {
      const body = request.body;
      if (body.fixmedins_code !== terminal.fixmedins_code) return refuse('key_rejected', `terminal ${terminal.id} stands in ${terminal.fixmedins_code}`);
      if (body.operator !== null && terminal.role !== 'counter') return refuse('key_rejected', `terminal ${terminal.id} is a kiosk: no operator signs in there`);
      const now = ctx.timeS();
      return answer({ kind: 'session', ...asked, session: ctx.state.nextSession(), time: now, expires: now + ctx.sessionLifetimeSeconds, nonce: body.nonce, operator: body.operator });
    }
    case 'sign_out':
      if (request.body.session !== terminal.session) return refuse('session_unknown', 'not the current session');
      return answer({ kind: 'session_end', ...asked, session: terminal.session, time: ctx.timeS() });
    case 'key_rotation': {
      const key = request.body.new_terminal_key;
      if (key === null) return { reply: { type: 'key_rotation_reply', body: { hub_key: ctx.hubPublicKey, effective_time: ctx.timeS(), terminal_key_accepted: false } } };
      if (ctx.state.terminalByKid(key.subarray(0, 8)) !== undefined) return refuse('key_rejected', 'that key id is taken');
      return answer({ kind: 'terminal_key', ...asked, public_key: key, time: ctx.timeS() });
    }
    case 'person_query':
      return personQuery(ctx, request.body);
    case 'bill_query':
      return billQuery(ctx, terminal, request.body);
    case 'pre_settle': {
      const computed = compute(ctx, terminal, request.body.input, null);
      if (!computed.ok) return { reply: errorReply(computed.code, computed.detail) };
      return { reply: { type: 'pre_settle_reply', body: { result: resultAsSent(computed.result, request.body.input), result_digest: computed.digest } } };
    }
    case 'settle':
      return settleRequest(ctx, terminal, request.body, asked, refuse, answer);
    case 'advice':
      return adviceRequest(ctx, terminal, request.body, asked, refuse, answer);
    case 'cancel':
      return cancelRequest(ctx, terminal, request.body, asked, refuse, answer);
    case 'reversal':
      return reversalRequest(ctx, terminal, request.body, asked, refuse, answer);
    case 'recon_totals': {
      const totals = request.body.totals;
      if (periodDays(totals.stmt_begndate, totals.stmt_enddate) < 1 || periodDays(totals.stmt_begndate, totals.stmt_enddate) > reconDaysMax) {
        return { reply: errorReply('recon_period_invalid', `1 to ${reconDaysMax} days`) };
      }
      const hub = periodTotals(ctx.state.reconItems(terminal.id), totals.stmt_begndate, totals.stmt_enddate);
      return { reply: { type: 'recon_totals_reply', body: { agree: totalsAgree(hub, totals), hub } } };
    }
    case 'recon_detail':
      return reconDetail(ctx, terminal, request.body);
    case 'manifest': {
      const line = request.body.kind === 'policy_book' ? '' : catalogueLineOf(ctx.state.institutions.get(terminal.fixmedins_code) ?? { admdvs: '000000' });
      // A terminal whose copy failed its check gets the whole snapshot, never a delta from what it holds.
      const { kind, have_version: have, fault } = request.body;
      if (fault) {
        const key = `${terminal.id}:${kind}`;
        ctx.storeFaults.set(key, { terminal: terminal.id, kind, serving: have, timeS: ctx.timeS(), reports: (ctx.storeFaults.get(key)?.reports ?? 0) + 1 });
      }
      const blob = ctx.versions.blobFor(kind, line, fault ? null : have);
      if (blob === null) return { reply: errorReply('blob_not_found', `no ${request.body.kind} is published for ${line}`) };
      ctx.transfers.set(`${terminal.id}:${blob.kind}`, blob);
      const body = { kind: blob.kind, version: blob.version, base_version: blob.base, size_bytes: blob.bytes.length, chunk_bytes: chunkBytes, chunk_count: Math.ceil(blob.bytes.length / chunkBytes), digest: blob.digest };
      return { reply: { type: 'manifest_reply', body } };
    }
    case 'chunk': {
      const blob = ctx.transfers.get(`${terminal.id}:${request.body.kind}`);
      if (blob === undefined || blob.version !== request.body.version) return { reply: errorReply('blob_not_found', 'ask for the manifest first') };
      const at = request.body.index * chunkBytes;
      if (at >= blob.bytes.length) return { reply: errorReply('chunk_out_of_range', `${Math.ceil(blob.bytes.length / chunkBytes)} chunks`) };
      return { reply: { type: 'chunk_reply', body: { ...request.body, data: blob.bytes.subarray(at, at + chunkBytes) } } };
    }
    case 'heartbeat': {
      const line = catalogueLineOf(ctx.state.institutions.get(terminal.fixmedins_code) ?? { admdvs: '000000' });
      const body = {
        hub_time: ctx.timeS(),
        catalogue_version: ctx.versions.current('catalogue', line)?.version ?? '-',
        policy_version: ctx.versions.current('policy_book', '')?.version ?? '-',
        key_rotation_pending: false,
      };
      return { reply: { type: 'heartbeat_reply', body } };
    }
    case 'filing_query':
      return filingQuery(ctx, request.body);
    case 'filing_apply':
      return filingApply(ctx, terminal, request.body, asked, refuse, answer);
    case 'filing_cancel':
      return filingCancel(ctx, request.body, asked, refuse, answer);
    default:
      return { reply: errorReply('unknown_type', `${request.type} is not a request`) };
  }
}

type Refuse = (code: ErrorCode, detail?: string, audit?: EventOf<'refused'>['audit']) => Handled;
type Answer = (event: AnswerEvent) => Handled;
type Asked = { readonly terminal: string; readonly seq: number; readonly digest: Uint8Array };

function personQuery(ctx: HubContext, body: BodyOf<'person_query'>): Handled {
  const found = ctx.state.personByCredential(body.credential);
  if (found === 'person_not_found' || found === 'credential_invalid') return { reply: errorReply(found) };
  const held = ctx.state.person(found);
  if (held === undefined) return { reply: errorReply('person_not_found') };
  return { reply: { type: 'person_query_reply', body: { person: personOn(ctx, held.person, chinaDate(ctx.timeS())) } } };
}

/** A person as of a date: the filing of record, or the filing made at a terminal that is in force that day (src/core/filing.ts). */
function personOn(ctx: HubContext, person: Person, date: string): Person {
  const filing = filingOnDate(person.filing, ctx.state.filings(person.psn_no), date);
  return filing === person.filing ? person : { ...person, filing };
}

/** The person's filings: those made at terminals, newest first, after the filing of record (when there is one; its id is its begin date's). */
function filingQuery(ctx: HubContext, body: BodyOf<'filing_query'>): Handled {
  const held = ctx.state.person(body.psn_no);
  if (held === undefined) return { reply: errorReply('person_not_found') };
  const made = ctx.state.filings(body.psn_no).slice().reverse();
  const filings = [...made, ...recordOf(held.person)].slice(0, filingsPerPersonMax);
  return { reply: { type: 'filing_query_reply', body: { filings } } };
}

/** The filing of record as a held filing (it is never cancellable: it was not made today at a terminal). */
function recordOf(person: Person): HeldFiling<Filing>[] {
  return person.filing === null ? [] : [{ filing_id: `R${person.psn_no}`.slice(0, 30), filing: person.filing, made_date: person.filing.begndate, cancelled: false }];
}

/**
 * A filing made at a terminal: the rules of src/core/filing.ts with the
 * insured place's policy from the current policy book, the institution the
 * terminal stands in and the hub's date; one `filed` event, so a retry of
 * the same seq gets the same filing.
 */
function filingApply(ctx: HubContext, terminal: TerminalRecord, body: BodyOf<'filing_apply'>, asked: Asked, refuse: Refuse, answer: Answer): Handled {
  const held = ctx.state.person(body.psn_no);
  if (held === undefined) return refuse('person_not_found');
  const institution = ctx.state.institutions.get(terminal.fixmedins_code);
  if (institution === undefined) return refuse('internal', 'the terminal stands in no known institution');
  const current = ctx.versions.current('policy_book', '');
  const policy = current === undefined ? undefined : ctx.versions.policyBook(current.version)?.lookup(held.person.insuplc_admdvs)?.policy;
  if (policy === undefined) return refuse('policy_not_found', `no policy for ${held.person.insuplc_admdvs}`);
  if (!body.commitment) return refuse('filing_type_not_allowed_here', 'a kiosk filing needs the person\'s commitment');
  const today = chinaDate(ctx.timeS());
  const checked = checkFilingApplication({
    filing: body.filing,
    referralNo: body.referral_no,
    policy: filingPolicyOf(policy),
    institutionAdmdvs: institution.admdvs,
    today,
    held: [...recordOf(held.person), ...ctx.state.filings(body.psn_no)],
  });
  if (!checked.ok) return refuse(checked.code, checked.detail);
  return answer({ kind: 'filed', ...asked, filing_id: ctx.state.nextFilingId(), psn_no: body.psn_no, filing: checked.value, referral_no: body.referral_no, commitment: body.commitment, tel: body.tel, made_date: today, time: ctx.timeS() });
}

/** A same-day cancel of a filing made at a terminal: once (a second is not_cancellable; a retry of the same seq gets the first answer). */
function filingCancel(ctx: HubContext, body: BodyOf<'filing_cancel'>, asked: Asked, refuse: Refuse, answer: Answer): Handled {
  if (ctx.state.person(body.psn_no) === undefined) return refuse('person_not_found');
  const held = ctx.state.filings(body.psn_no).find((entry) => entry.filing_id === body.filing_id);
  const checked = checkFilingCancel(held, chinaDate(ctx.timeS()));
  if (!checked.ok) return refuse(checked.code, checked.detail);
  return answer({ kind: 'filing_cancelled', ...asked, filing_id: body.filing_id, psn_no: body.psn_no, cancel_time: ctx.timeS() });
}

function billQuery(ctx: HubContext, terminal: TerminalRecord, body: BodyOf<'bill_query'>): Handled {
  let bill: HubBill | undefined;
  if (body.mdtrt_id === null) bill = ctx.state.pendingBills(body.psn_no, terminal.fixmedins_code, 1)[0];
  else {
    bill = ctx.state.bill(body.mdtrt_id);
    if (bill !== undefined && (bill.psn_no !== body.psn_no || bill.fixmedins_code !== terminal.fixmedins_code || ctx.state.billSettlement(bill.mdtrt_id) !== undefined)) bill = undefined;
  }
  if (bill === undefined) return { reply: errorReply('bill_not_found', `no pending bill of ${body.psn_no} here`) };
  const at = body.page * billPageLines;
  if (at >= bill.lines.length) return { reply: errorReply('bill_not_found', `the bill has ${Math.ceil(bill.lines.length / billPageLines)} pages`) };
  const reply = {
    mdtrt_id: bill.mdtrt_id,
    date: bill.date,
    med_type: bill.med_type,
    opsp_dise: bill.opsp_dise,
    bill: billRef(ctx, bill),
    page: body.page,
    lines: bill.lines.slice(at, at + billPageLines),
  };
  return { reply: { type: 'bill_query_reply', body: reply } };
}

function billRef(ctx: HubContext, bill: HubBill): SettleInput['bill'] {
  return { line_count: bill.lines.length, medfee_sumamt: bill.lines.reduce((sum, line) => sum + line.amt, 0), digest: billDigestDirect(bill.lines) };
}

type Computed = { ok: true; result: CoreSettlement; digest: Uint8Array; bill: HubBill | null; person: Person } | { ok: false; code: ErrorCode; detail: string };

/**
 * Settles a terminal's input on the core, as the hub sees it: the person as
 * the hub holds it (or, for an advice, as the terminal had it), the
 * terminal's institution, the bill's lines, and the catalogue and policy
 * book versions the terminal declares.
 */
function compute(ctx: HubContext, terminal: TerminalRecord, input: SettleInput, advicePerson: Person | null): Computed {
  const fail = (code: ErrorCode, detail = ''): Computed => ({ ok: false, code, detail });
  const institution = ctx.state.institutions.get(terminal.fixmedins_code);
  if (institution === undefined) return fail('internal', 'the terminal stands in no known institution');
  const held = ctx.state.person(input.psn_no);
  if (held === undefined) return fail('person_not_found');
  // The hub's person as of the visit date: a filing made at a terminal counts from its begin date.
  const person = advicePerson ?? personOn(ctx, held.person, input.date);
  let bill = ctx.state.bill(input.mdtrt_id) ?? null;
  if (bill !== null && (bill.psn_no !== input.psn_no || bill.fixmedins_code !== institution.fixmedins_code)) return fail('bill_not_found', 'the visit is not this patient\'s here');
  if (bill === null && advicePerson === null) return fail('bill_not_found', `no bill ${input.mdtrt_id}`);
  if (bill !== null) {
    const ref = billRef(ctx, bill);
    const inline = input.lines.length === 0 ? !linesTravelInline(ref.line_count) : ref.line_count === input.lines.length && bytesEqual(billDigestDirect(input.lines), ref.digest);
    if (!bytesEqual(ref.digest, input.bill.digest) || ref.line_count !== input.bill.line_count || ref.medfee_sumamt !== input.bill.medfee_sumamt || !inline) return fail('bill_changed', 'the lines are not the bill the hub holds');
    if (bill.date !== input.date || bill.med_type !== input.med_type || bill.opsp_dise !== input.opsp_dise) return fail('bill_changed', 'date, med_type or opsp_dise differ from the bill');
  } else {
    // An offline settlement of a bill the hub never had: its lines travel inline.
    if (input.lines.length !== input.bill.line_count || !bytesEqual(billDigestDirect(input.lines), input.bill.digest)) return fail('bill_changed', 'the lines do not match their digest');
    bill = null;
  }
  const catalogue = ctx.versions.catalogue(catalogueLineOf(institution), input.catalogue_version);
  if (catalogue === undefined) return fail('catalogue_version_unknown', input.catalogue_version);
  const book = ctx.versions.policyBook(input.policy_version);
  if (book === undefined) return fail('policy_version_unknown', input.policy_version);
  const found = book.lookup(person.insuplc_admdvs);
  if (found === undefined) return fail('policy_not_found', `no policy for ${person.insuplc_admdvs} in ${input.policy_version}`);
  const raw = { ...visitCase(input, person, input.acct_used, institution, bill?.lines ?? input.lines), policy: found.policy };
  const checked = validateCaseWith(raw, catalogue);
  if (!checked.ok) return fail('invalid_input', `${checked.reason.path} ${checked.reason.why}`);
  const output = settle(checked.value);
  if (!output.ok) return fail(output.error.code, output.error.sn === undefined ? '' : `line ${output.error.sn}`);
  return { ok: true, result: output, digest: settlementDigestDirect(output), bill, person };
}

/** Whether the terminal's result is the hub's, field by field and by digest. */
function sameResult(ctx: HubContext, computed: { result: CoreSettlement; digest: Uint8Array }, input: SettleInput, result: SettleResult, digest: Uint8Array): boolean {
  if (!bytesEqual(computed.digest, digest)) return false;
  const type = messageTypeByName('pre_settle_reply').body;
  return bytesEqual(encodeTyped(type, { result: resultAsSent(computed.result, input), result_digest: digest }, 'result'), encodeTyped(type, { result, result_digest: digest }, 'result'));
}

/** The settled event's copy of a result: totals, fund lines and delta (the lines are in the terminal's request or the bill). */
function ledgerResult(result: CoreSettlement): SettleResult {
  return { setlinfo: result.setlinfo, lines: [], setldetail: [...result.setldetail], acc_delta: { ...result.acc_delta } };
}

function auditOf(input: SettleInput, body: { result: SettleResult; result_digest: Uint8Array }, computed: { result: CoreSettlement; digest: Uint8Array } | null, person: Person | null): EventOf<'refused'>['audit'] {
  const hubResult = computed === null ? null : { ...resultAsSent(computed.result, input), lines: linesTravelInline(computed.result.lines.length) ? [...computed.result.lines] : [] };
  return { input, terminal_result: body.result, terminal_digest: body.result_digest, hub_result: hubResult, hub_digest: computed?.digest ?? null, person };
}

function accumulatorsFit(person: Person, input: SettleInput, result: CoreSettlement): boolean {
  return applyAccDelta(person.ytd, input.date, result.acc_delta, 1).ok;
}

function settleRequest(ctx: HubContext, terminal: TerminalRecord, body: BodyOf<'settle'>, asked: Asked, refuse: Refuse, answer: Answer): Handled {
  const input = body.input;
  if (ctx.state.tombstoned(terminal.id, 'settle', asked.seq)) return refuse('already_cancelled', 'this settle was reversed before it arrived');
  const settledAs = ctx.state.billSettlement(input.mdtrt_id);
  if (settledAs !== undefined) return refuse('bill_not_found', `the bill is settled (${settledAs})`);
  const computed = compute(ctx, terminal, input, null);
  if (!computed.ok) return refuse(computed.code, computed.detail);
  if (!sameResult(ctx, computed, input, body.result, body.result_digest)) {
    return refuse('result_mismatch', 'the hub settles this input differently; both results are kept', auditOf(input, body, computed, null));
  }
  const held = ctx.state.person(input.psn_no)?.person as Person;
  if (!accumulatorsFit(held, input, computed.result)) return refuse('invalid_input', 'the accumulators would leave their range');
  if (computed.result.setlinfo.acct_pay > held.acct_balance) return refuse('account_insufficient', `the account holds ${held.acct_balance} fen`);
  return answer({
    kind: 'settled',
    ...asked,
    setl_id: ctx.state.nextSetlId('S'),
    setl_time: ctx.timeS(),
    source: 'settle',
    local_setl_id: null,
    fixmedins_code: terminal.fixmedins_code,
    insuplc_admdvs: held.insuplc_admdvs,
    input,
    result: ledgerResult(computed.result),
    result_digest: computed.digest,
  });
}

/**
 * Fields of a person that an offline settlement may have seen stale: the rest
 * must be the hub's. They shape the replay (the core settles with what the
 * terminal saw); they are never booked: accumulators and the account move
 * from the hub's own values.
 */
const staleFields = new Set(['ytd', 'acct_balance']);

function adviceRequest(ctx: HubContext, terminal: TerminalRecord, body: BodyOf<'advice'>, asked: Asked, refuse: Refuse, answer: Answer): Handled {
  const input = body.input;
  const earlier = terminal.advices.get(body.local_setl_id);
  if (earlier !== undefined) return { reply: { type: 'advice_reply', body: { local_setl_id: body.local_setl_id, setl_id: earlier.event.setl_id } } };
  if (body.person.psn_no !== input.psn_no) return refuse('result_mismatch', 'the person is not the input\'s');
  const held = ctx.state.person(input.psn_no);
  if (held === undefined) return refuse('person_not_found');
  const asOf = personOn(ctx, held.person, input.date);
  const differs = Object.keys(asOf).filter((key) => !staleFields.has(key) && JSON.stringify(asOf[key as keyof Person]) !== JSON.stringify(body.person[key as keyof Person]));
  if (differs.length > 0) return refuse('result_mismatch', `the person record differs from the hub's in ${differs.join(', ')}`, auditOf(input, body, null, body.person));
  if ((input.med_type !== '11' && input.med_type !== '41') || input.bill.medfee_sumamt > ctx.offlineFloorFen) {
    return refuse('offline_limit_exceeded', `offline: outpatient or pharmacy at most ${ctx.offlineFloorFen} fen`);
  }
  const settledAs = ctx.state.billSettlement(input.mdtrt_id);
  if (settledAs !== undefined) return refuse('already_settled', `the bill is settled (${settledAs}); handle by hand`);
  // Replay as the terminal settled: with the person record it had.
  const computed = compute(ctx, terminal, input, body.person);
  if (!computed.ok) return refuse(computed.code, computed.detail);
  if (!sameResult(ctx, computed, input, body.result, body.result_digest)) {
    return refuse('result_mismatch', 'the replay gives another result; both are kept', auditOf(input, body, computed, body.person));
  }
  if (!accumulatorsFit(held.person, input, computed.result)) return refuse('invalid_input', 'the accumulators would leave their range');
  // The hub books from its own balance: an offline payment the account no longer covers is refused, for staff to settle with the patient.
  const acctPay = computed.result.setlinfo.acct_pay;
  if (acctPay > held.person.acct_balance) return refuse('account_insufficient', `the advice pays ${acctPay} fen from an account that holds ${held.person.acct_balance} fen`);
  return answer({
    kind: 'settled',
    ...asked,
    setl_id: ctx.state.nextSetlId('S'),
    setl_time: body.settled_time,
    source: 'advice',
    local_setl_id: body.local_setl_id,
    fixmedins_code: terminal.fixmedins_code,
    insuplc_admdvs: held.person.insuplc_admdvs,
    input,
    result: ledgerResult(computed.result),
    result_digest: computed.digest,
  });
}

function cancelRequest(ctx: HubContext, terminal: TerminalRecord, body: BodyOf<'cancel'>, asked: Asked, refuse: Refuse, answer: Answer): Handled {
  const settlement = ctx.state.settlement(body.setl_id);
  if (settlement === undefined || settlement.reversed || settlement.event.fixmedins_code !== terminal.fixmedins_code) return refuse('settlement_not_found', body.setl_id);
  if (settlement.event.input.mdtrt_id !== body.mdtrt_id || settlement.event.input.psn_no !== body.psn_no) return refuse('settlement_not_found', 'visit or person differ');
  if (settlement.cancelled !== null) return refuse('already_cancelled', settlement.cancelled.cancel_setl_id);
  // Who may cancel (README): the terminal that settled it; another terminal of the institution only with an operator signed in (the national interface's institution + operator).
  if (settlement.event.terminal !== terminal.id && terminal.operator === null) return refuse('cancel_not_allowed', `${body.setl_id} was settled by another terminal; an operator cancels it`);
  return answer({ kind: 'cancelled', ...asked, setl_id: body.setl_id, cancel_setl_id: ctx.state.nextSetlId('C'), cancel_time: ctx.timeS() });
}

function reversalRequest(ctx: HubContext, terminal: TerminalRecord, body: BodyOf<'reversal'>, asked: Asked, refuse: Refuse, answer: Answer): Handled {
  const reversal = (reversed: boolean, setlId: string | null): Handled =>
    answer({ kind: 'reversal', ...asked, omsgid: body.omsgid, oinfno: body.oinfno, reversed, setl_id: setlId, time: ctx.timeS() });
  if (body.oinfno === 'settle') {
    const settlement = ctx.state.settlementBySeq(terminal.id, body.omsgid);
    if (settlement === undefined) return reversal(false, null);
    if (settlement.event.input.psn_no !== body.psn_no || settlement.event.input.mdtrt_id !== body.mdtrt_id) return refuse('not_reversible', 'person or visit differ from the settle');
    if (settlement.reversed) return { reply: { type: 'reversal_reply', body: { reversed: true, setl_id: settlement.event.setl_id } } };
    if (settlement.cancelled !== null) return reversal(false, settlement.event.setl_id);
    return reversal(true, settlement.event.setl_id);
  }
  const cancellation = ctx.state.cancellationBySeq(terminal.id, body.omsgid);
  if (cancellation === undefined) return reversal(false, null);
  const settled = ctx.state.settlement(cancellation.event.setl_id)?.event;
  if (settled === undefined || settled.input.psn_no !== body.psn_no || settled.input.mdtrt_id !== body.mdtrt_id) return refuse('not_reversible', 'person or visit differ from the cancel');
  if (cancellation.reinstated) return { reply: { type: 'reversal_reply', body: { reversed: true, setl_id: settled.setl_id } } };
  if (ctx.state.billSettlement(settled.input.mdtrt_id) !== undefined) return refuse('not_reversible', 'the bill was settled again since the cancel');
  const balance = ctx.state.person(settled.input.psn_no)?.person.acct_balance ?? 0;
  if (settled.result.setlinfo.acct_pay > balance) return refuse('not_reversible', 'the account was spent since the cancel gave its payment back');
  return reversal(true, settled.setl_id);
}

/**
 * An institution's reconciliation over a period, across all its terminals:
 * the totals and the entries of the settlements and cancels `keep` keeps (the
 * gateway's 3201 by insurance type, and 3202).
 */
export function institutionRecon(ctx: HubContext, fixmedinsCode: string, begin: string, end: string, keep: (psnNo: string) => boolean = () => true) {
  const items = [];
  for (const [id, record] of ctx.state.terminals) if (record.fixmedins_code === fixmedinsCode) for (const item of ctx.state.reconItems(id)) if (keep(item.psn_no)) items.push(item);
  return { totals: periodTotals(items, begin, end), entries: periodEntries(items, begin, end) };
}

function reconDetail(ctx: HubContext, terminal: TerminalRecord, body: BodyOf<'recon_detail'>): Handled {
  const period = `${body.stmt_begndate}/${body.stmt_enddate}`;
  const days = periodDays(body.stmt_begndate, body.stmt_enddate);
  if (days < 1 || days > reconDaysMax) return { reply: errorReply('recon_period_invalid', `1 to ${reconDaysMax} days`) };
  let progress = ctx.reconPages.get(terminal.id);
  if (body.page === 0) progress = { period, page: 0, listed: new Set() };
  else if (progress === undefined || progress.period !== period || progress.page + 1 !== body.page) return { reply: errorReply('recon_period_invalid', 'send the detail pages in order from page 0') };
  else progress = { ...progress, page: body.page };
  if (body.page >= reconPagesMax) return { reply: errorReply('recon_period_invalid', `at most ${reconPagesMax} pages`) };
  ctx.reconPages.set(terminal.id, progress);
  const hubEntries = new Map(periodEntries(ctx.state.reconItems(terminal.id), body.stmt_begndate, body.stmt_enddate).map((entry) => [entry.setl_id, entry]));
  const mismatches: { setl_id: string; code: 'missing_at_hub' | 'missing_at_terminal' | 'amounts_differ' }[] = [];
  for (const entry of body.entries) {
    progress.listed.add(entry.setl_id);
    const hub = hubEntries.get(entry.setl_id);
    if (hub === undefined) mismatches.push({ setl_id: entry.setl_id, code: 'missing_at_hub' });
    else if (JSON.stringify(hub) !== JSON.stringify(entry)) mismatches.push({ setl_id: entry.setl_id, code: 'amounts_differ' });
  }
  if (body.last) {
    for (const setlId of hubEntries.keys()) if (!progress.listed.has(setlId)) mismatches.push({ setl_id: setlId, code: 'missing_at_terminal' });
    ctx.reconPages.delete(terminal.id);
  }
  // A page answers at most a page of differences; the rest of the missing ones come with the next pages' answers.
  return { reply: { type: 'recon_detail_reply', body: { page: body.page, mismatches: mismatches.slice(0, 200) } } };
}
