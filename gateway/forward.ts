// `hub gateway`: the terminal's protocol in, the national interface out. The
// gateway is a reference hub (device/sim/hub/hub.ts) in its own state
// directory, so a terminal meets exactly the same sessions, sequence rules,
// idempotence and signed replies; this module is the hub's `handler`. What
// the hospital front end holds itself (sign-in, bills, the catalogue and
// policy book, heartbeats) stays with the hub's own handlers; what the
// platform decides goes there first:
//   person_query -> 1101;
//   pre_settle   -> 9001 once, 2201, 2203, 2204 (the visit's fee batch, named
//                   by its mdtrt_id), 2206;
//   settle       -> the hub's own checks of the request, then the same
//                   preparation and 2207, journalled (gateway/journal.ts);
//                   the settlement is booked under the platform's setl_id;
//   cancel       -> the hub's own checks, then 2208 of the platform's setl_id,
//                   journalled like a 2207;
//   reversal     -> the hub's own checks, then 2601 of the msgid of the 2207
//                   or 2208 that the terminal's seq was sent as;
//   recon_totals -> the hub's own comparison, then 3201 of the institution's
//                   totals by insurance type; they agree only if both do;
//   recon_detail -> the hub's own comparison; after the last page, when 3201
//                   disagreed, 3202 of the institution's settlements, whose
//                   mismatches are added;
//   filing_apply, filing_cancel -> refused `filing_type_not_allowed_here` and
//                   `not_cancellable`: filings are the platform's (its
//                   1101 lists them), and its filing services are not
//                   forwarded, so the gateway makes none of its own that the
//                   platform's person record and settlement would not see
//                   (issue 16: the kiosk then sends the patient to a counter).
// A 2207 or 2208 without an answer is resolved before the terminal is
// answered, before any other call for the visit, and at the next start if the
// gateway dies meanwhile (`recover`): 5203 says whether the platform holds it
// under that msgid (then it stands: a retry of the terminal's seq is booked
// with it), else 2601 of that msgid fences it (then it is in force nowhere,
// and the terminal is told `busy` and may send it again). A settlement is
// thus in force on the national side exactly once or not at all, never twice.
import { createCborEncoder } from '../protocol/cbor-encode';
import type { AnyMessage } from '../protocol/envelope';
import { errorCodes, messageTypeByName, type BodyOf, type ErrorCode, type Person, type SettleInput, type SettleResult } from '../protocol/messages';
import { resultAsSent, settlementDigest } from '../protocol/settle-request';
import type { EventOf } from '../device/sim/hub/events';
import { errorReply, handle, institutionRecon, replyOf, type Handled, type HubContext } from '../device/sim/hub/handlers';
import type { TerminalRecord } from '../device/sim/hub/state';
import { fixmedinsCodeLength, nationalTime } from './envelope';
import type { CallJournal, CallRow } from './journal';
import type { CallOutcome, NationalClient } from './national/client';
import * as map from './national/map';

/** Rounds of 5203 and 2601 tried to resolve a silent 2207 before leaving it to the next call or start. */
export const resolveRoundsMax = 3;
/** Times a silent query or idempotent call (1101, 2201-2206, 3201, 3202, 9001) goes again before the terminal is told `busy`. */
export const silentRetriesMax = 1;

export interface GatewayFigures {
  calls: number;
  sentBytes: number;
  receivedBytes: number;
  noAnswers: number;
  adopted: number;
  fenced: number;
  readonly byInfno: Record<string, number>;
}

const knownCodes = new Set<string>(errorCodes);
/** 3202's verdicts as the terminal's reconciliation names them (the platform stands on the hub's side of the line). */
const mismatchCodes: Record<string, 'missing_at_hub' | 'missing_at_terminal' | 'amounts_differ'> = { missing_at_platform: 'missing_at_hub', missing_at_institution: 'missing_at_terminal', amounts_differ: 'amounts_differ' };
/** Settlements 3202 takes in one call (the field table's bound). */
export const reconDetailMax = 500;
/** Whether a journalled call is in force at the platform (answered done, or found there). */
const stands = (row: CallRow): boolean => row.state === 'done' || row.state === 'adopted';
/** Our error code for a platform refusal: its own when the protocol has it, else `internal` with the platform's code. */
function codeOf(outcome: Extract<CallOutcome, { kind: 'refused' }>): { code: ErrorCode; detail: string } {
  return knownCodes.has(outcome.code) ? { code: outcome.code as ErrorCode, detail: outcome.detail } : { code: 'internal', detail: `national ${outcome.code}: ${outcome.detail}` };
}

class Unanswered extends Error {
  constructor(readonly code: ErrorCode, detail: string) {
    super(detail);
  }
}

export class NationalGateway {
  readonly figures: GatewayFigures = { calls: 0, sentBytes: 0, receivedBytes: 0, noAnswers: 0, adopted: 0, fenced: 0, byInfno: {} };
  readonly #encoder = createCborEncoder();
  /** Per terminal and period whose totals the platform did not agree (3201), until its detail is sent. */
  readonly #reconVerdicts = new Map<string, boolean>();

  constructor(
    /** The platform's client of an institution (one msgid series and sign-in each). */
    private readonly clientFor: (fixmedinsCode: string) => NationalClient,
    private readonly journal: CallJournal,
    private readonly identity: map.Identity,
    private readonly nowMs: () => number,
  ) {}

  /** The hub's handler (HubOptions.handler). */
  readonly handler = async (ctx: HubContext, terminal: TerminalRecord, request: AnyMessage, digest: Uint8Array): Promise<Handled> => {
    if (terminal.answers.has(request.seq)) return handle(ctx, terminal, request, digest);
    const client = this.clientFor(terminal.fixmedins_code);
    try {
      switch (request.type) {
        case 'person_query':
          return await this.#person(client, request.body);
        case 'pre_settle':
          return await this.#preSettle(client, ctx, request.body.input);
        case 'settle':
          return await this.#settle(client, ctx, terminal, request, digest);
        case 'cancel':
          return await this.#cancel(client, ctx, terminal, request, digest);
        case 'reversal':
          return await this.#reversal(client, ctx, terminal, request, digest);
        case 'recon_totals':
          return await this.#reconTotals(client, ctx, terminal, request, digest);
        case 'recon_detail':
          return await this.#reconDetail(client, ctx, terminal, request, digest);
        case 'filing_apply':
          return { reply: errorReply('filing_type_not_allowed_here', 'the gateway does not forward filings: file at the national service') };
        case 'filing_cancel':
          return { reply: errorReply('not_cancellable', 'the gateway makes no filings to cancel') };
        default:
          return handle(ctx, terminal, request, digest);
      }
    } catch (error) {
      if (!(error instanceof Unanswered)) throw error;
      return { reply: errorReply(error.code, error.message) };
    }
  };

  #count(infno: string, outcome: CallOutcome): CallOutcome {
    this.figures.calls += 1;
    this.figures.sentBytes += outcome.figures.sentBytes;
    this.figures.receivedBytes += outcome.figures.receivedBytes;
    this.figures.byInfno[infno] = (this.figures.byInfno[infno] ?? 0) + 1;
    if (outcome.kind === 'no_answer') this.figures.noAnswers += 1;
    return outcome;
  }

  /** A call that must be done: its output, else Unanswered (busy when silent, the platform's code when refused). */
  async #must(client: NationalClient, infno: string, input: map.Input, insuplc: string | null): Promise<map.Input> {
    if (client.signNo === null && infno !== '9001') await this.#must(client, '9001', map.signInInput(this.identity), null);
    let outcome = this.#count(infno, await client.call(infno, input, insuplc));
    // Every call that comes here is a query or idempotent at the platform (2201-2204 name the visit): a silent one goes again.
    for (let retry = 0; outcome.kind === 'no_answer' && retry < silentRetriesMax; retry += 1) outcome = this.#count(infno, await client.call(infno, input, insuplc));
    if (outcome.kind === 'refused' && outcome.code === 'sign_no_invalid' && infno !== '9001') {
      await this.#must(client, '9001', map.signInInput(this.identity), null);
      outcome = this.#count(infno, await client.call(infno, input, insuplc));
    }
    if (outcome.kind === 'done') return outcome.output;
    if (outcome.kind === 'refused') {
      const refused = codeOf(outcome);
      throw new Unanswered(refused.code, refused.detail);
    }
    throw new Unanswered('busy', `national ${infno}: no answer (${outcome.detail})`);
  }

  async #person(client: NationalClient, body: BodyOf<'person_query'>): Promise<Handled> {
    const output = await this.#must(client, '1101', map.personQueryInput(body.credential, nationalTime(this.nowMs())), null);
    return { reply: { type: 'person_query_reply', body: { person: map.personOf(output) } } };
  }

  /** 2201, 2203 and 2204 of a visit (each idempotent at the platform: the batch is named by the visit). */
  async #prepare(client: NationalClient, ctx: HubContext, input: SettleInput): Promise<Person> {
    const person = ctx.state.person(input.psn_no)?.person;
    if (person === undefined) throw new Unanswered('person_not_found', input.psn_no);
    const bill = ctx.state.bill(input.mdtrt_id);
    const lines = bill?.lines ?? input.lines;
    const time = nationalTime(this.nowMs());
    const certNo = `${input.psn_no}`;
    await this.#must(client, '2201', map.registerInput(this.identity, person, certNo, input.mdtrt_id, time), person.insuplc_admdvs);
    await this.#must(client, '2203', map.visitInput(input, time), person.insuplc_admdvs);
    await this.#must(client, '2204', map.feeDetailInput(this.identity, { ...input, lines: [...lines] }, input.mdtrt_id, time), person.insuplc_admdvs);
    return person;
  }

  #settleData(input: SettleInput, person: Person): map.Input {
    return map.settleDataInput(input, person.insutype, { kind: 'id_card', id: person.psn_no }, input.mdtrt_id);
  }

  async #preSettle(client: NationalClient, ctx: HubContext, input: SettleInput): Promise<Handled> {
    const person = await this.#prepare(client, ctx, input);
    const result = map.settleResultOf(await this.#must(client, '2206', this.#settleData(input, person), person.insuplc_admdvs));
    return { reply: { type: 'pre_settle_reply', body: { result: resultAsSent(result, input), result_digest: settlementDigest(this.#encoder, result) } } };
  }

  /** The hub's own answer, or its refusal. */
  #refusal(terminal: TerminalRecord, request: AnyMessage, digest: Uint8Array, time: number, code: ErrorCode, detail: string): Handled {
    const event: EventOf<'refused'> = { kind: 'refused', terminal: terminal.id, seq: request.seq, digest, type: messageTypeByName(request.type).id, code, detail: detail.slice(0, 200), time, audit: null };
    return { reply: errorReply(code, detail), event };
  }

  async #settle(client: NationalClient, ctx: HubContext, terminal: TerminalRecord, request: Extract<AnyMessage, { type: 'settle' }>, digest: Uint8Array): Promise<Handled> {
    const local = handle(ctx, terminal, request, digest);
    if (local.event?.kind !== 'settled') return local;
    const input = request.body.input;
    let person: Person;
    let settled: Awaited<ReturnType<NationalGateway['settleOnce']>>;
    try {
      person = await this.#prepare(client, ctx, input);
      settled = await this.settleOnce(client, terminal.id, request.seq, input, person);
    } catch (error) {
      if (!(error instanceof Unanswered)) throw error;
      return error.code === 'busy' ? { reply: errorReply('busy', error.message) } : this.#refusal(terminal, request, digest, ctx.timeS(), error.code, error.message);
    }
    if (settled.kind === 'refused') return this.#refusal(terminal, request, digest, ctx.timeS(), settled.code, settled.detail);
    if (settled.kind === 'unsettled') return { reply: errorReply('busy', settled.detail) };
    if (settled.result !== null && !sameAmounts(settled.result, local.event.result)) {
      // The platform settled other amounts than the terminal and the hub: undo it there, keep both for audit.
      await this.#fence(client, settled.msgid, '2207', input.psn_no);
      return this.#refusal(terminal, request, digest, ctx.timeS(), 'result_mismatch', `the platform settled ${JSON.stringify(settled.result.setlinfo)}`);
    }
    const event: EventOf<'settled'> = { ...local.event, setl_id: settled.setlId };
    return { reply: replyOf(ctx, event), event };
  }

  /**
   * Resolves every call of the visit left without an answer (Unanswered
   * `busy` when one stays open), then returns the journal's calls for this
   * terminal request (`seq`), oldest first.
   */
  async #earlier(client: NationalClient, terminal: string, seq: number, infno: '2207' | '2208', mdtrtId: string): Promise<CallRow[]> {
    for (const row of await this.journal.openOf(mdtrtId)) {
      if ((await this.resolve(client, row)) === null) throw new Unanswered('busy', `national ${row.infno} ${row.msgid} unanswered and not yet resolved`);
    }
    return this.journal.forRequest(terminal, seq, infno);
  }

  /**
   * 2207 exactly once for the terminal's request (terminal, seq): a call that
   * already stands for it (answered, or found by 5203 after a silence or a
   * crash) is the settlement; else one is journalled before it goes and
   * completed with its answer, a silence resolved by 5203 (the platform
   * holds it under this msgid: adopted) or 2601 (fenced: in force nowhere).
   */
  async settleOnce(
    client: NationalClient,
    terminal: string,
    seq: number,
    input: SettleInput,
    person: Person,
  ): Promise<{ kind: 'settled'; msgid: string; setlId: string; result: SettleResult | null } | { kind: 'refused'; code: ErrorCode; detail: string } | { kind: 'unsettled'; detail: string }> {
    const data = this.#settleData(input, person);
    const request = JSON.stringify(data);
    for (const row of (await this.#earlier(client, terminal, seq, '2207', input.mdtrt_id)).filter(stands)) {
      // The seq's settlement stands at the platform but was never booked here (a crash, or a lost answer): it is the answer.
      if (row.request === request && row.setl_id !== null) return { kind: 'settled', msgid: row.msgid, setlId: row.setl_id, result: row.state === 'done' && row.answer !== null ? map.settleResultOf(JSON.parse(row.answer) as map.Input) : null };
      // Another request under the same seq (it cannot be this one's): undone at the platform.
      if (!(await this.#fence(client, row.msgid, '2207', row.psn_no))) return { kind: 'unsettled', detail: `2207 ${row.msgid} stands for another request; its reversal is unanswered` };
    }
    const msgid = client.nextMsgid();
    if (msgid === null) return { kind: 'unsettled', detail: 'msgids of this second are spent' };
    await this.journal.sent({ msgid, infno: '2207', mdtrt_id: input.mdtrt_id, psn_no: input.psn_no, request, setl_id: null, terminal, seq }, this.nowMs());
    const outcome = this.#count('2207', await client.send('2207', msgid, data, person.insuplc_admdvs));
    if (outcome.kind === 'done') {
      const setlId = (outcome.output.setlinfo as map.Fields).setl_id as string;
      await this.journal.settle(msgid, 'done', JSON.stringify(outcome.output), setlId, this.nowMs());
      return { kind: 'settled', msgid, setlId, result: map.settleResultOf(outcome.output) };
    }
    if (outcome.kind === 'refused') {
      await this.journal.settle(msgid, 'refused', `${outcome.code}: ${outcome.detail}`, null, this.nowMs());
      return { kind: 'refused', ...codeOf(outcome) };
    }
    const row = await this.journal.row(msgid);
    const resolved = row === undefined ? null : await this.resolve(client, row);
    if (resolved !== null && resolved.stands && resolved.setlId !== null) return { kind: 'settled', msgid, setlId: resolved.setlId, result: null };
    return { kind: 'unsettled', detail: resolved === null ? `2207 ${msgid} unanswered and not yet resolved` : `2207 ${msgid} unanswered; fenced by 2601` };
  }

  /**
   * Resolves a journalled 2207 or 2208 that got no answer: 5203 first (the
   * platform holds the settlement under this msgid, or the cancel of its
   * setl_id: adopted, it stands), else 2601 of the msgid (fenced). Null when
   * the platform answered neither within `resolveRoundsMax` rounds (the row
   * stays `sent` for the next attempt).
   */
  async resolve(client: NationalClient, row: CallRow): Promise<{ stands: boolean; setlId: string | null } | null> {
    for (let round = 0; round < resolveRoundsMax; round += 1) {
      if (client.signNo === null) await this.#must(client, '9001', map.signInInput(this.identity), null).catch(() => undefined);
      const cancel = row.infno === '2208';
      const query = this.#count('5203', await client.call('5203', map.settleQueryInput(row.psn_no, row.mdtrt_id, cancel ? row.setl_id : null)));
      if (query.kind === 'done') {
        const info = query.output.setlinfo as map.Fields;
        const found = cancel ? info.setl_stas === '2' && info.setl_id === row.setl_id : info.setl_stas === '1' && info.omsgid === row.msgid && info.setl_id !== undefined;
        if (found) {
          if (await this.journal.settle(row.msgid, 'adopted', JSON.stringify(query.output), info.setl_id ?? null, this.nowMs())) this.figures.adopted += 1;
          return { stands: true, setlId: info.setl_id ?? null };
        }
        if (await this.#fence(client, row.msgid, row.infno, row.psn_no)) return { stands: false, setlId: null };
      }
    }
    return null;
  }

  /** 2601 of a 2207's or 2208's msgid; true once the platform answered it (reversed, or never seen and now refused for good). */
  async #fence(client: NationalClient, msgid: string, oinfno: string, psnNo: string): Promise<boolean> {
    const reversal = this.#count('2601', await client.call('2601', map.reversalInput(psnNo, msgid, oinfno)));
    if (reversal.kind !== 'done') return false;
    const setlId = (reversal.output.data as map.Fields).setl_id ?? null;
    if (await this.journal.settle(msgid, 'fenced', JSON.stringify(reversal.output), setlId, this.nowMs())) this.figures.fenced += 1;
    return true;
  }

  /** Resolves every 2207 and 2208 the journal holds unanswered (at start, before serving); how many were. */
  async recover(): Promise<number> {
    let resolved = 0;
    for (const row of await this.journal.unresolved()) {
      if ((await this.resolve(this.clientFor(row.msgid.slice(0, fixmedinsCodeLength)), row)) !== null) resolved += 1;
    }
    return resolved;
  }

  async #cancel(client: NationalClient, ctx: HubContext, terminal: TerminalRecord, request: Extract<AnyMessage, { type: 'cancel' }>, digest: Uint8Array): Promise<Handled> {
    const local = handle(ctx, terminal, request, digest);
    if (local.event?.kind !== 'cancelled') return local;
    const body = request.body;
    const data = map.cancelInput(body.setl_id, body.mdtrt_id, body.psn_no);
    try {
      if ((await this.#earlier(client, terminal.id, request.seq, '2208', body.mdtrt_id)).some((row) => stands(row) && row.setl_id === body.setl_id)) return local;
      if (client.signNo === null) await this.#must(client, '9001', map.signInInput(this.identity), null);
      const msgid = client.nextMsgid();
      if (msgid === null) return { reply: errorReply('busy', 'msgids of this second are spent') };
      await this.journal.sent({ msgid, infno: '2208', mdtrt_id: body.mdtrt_id, psn_no: body.psn_no, request: JSON.stringify(data), setl_id: body.setl_id, terminal: terminal.id, seq: request.seq }, this.nowMs());
      const outcome = this.#count('2208', await client.send('2208', msgid, data, null));
      if (outcome.kind === 'done') {
        await this.journal.settle(msgid, 'done', JSON.stringify(outcome.output), null, this.nowMs());
        return local;
      }
      if (outcome.kind === 'refused') {
        await this.journal.settle(msgid, 'refused', `${outcome.code}: ${outcome.detail}`, null, this.nowMs());
        const refused = codeOf(outcome);
        return this.#refusal(terminal, request, digest, ctx.timeS(), refused.code, refused.detail);
      }
      const row = await this.journal.row(msgid);
      const resolved = row === undefined ? null : await this.resolve(client, row);
      if (resolved?.stands === true) return local;
      return { reply: errorReply('busy', resolved === null ? `2208 ${msgid} unanswered and not yet resolved` : `2208 ${msgid} unanswered; fenced by 2601`) };
    } catch (error) {
      if (!(error instanceof Unanswered)) throw error;
      return error.code === 'busy' ? { reply: errorReply('busy', error.message) } : this.#refusal(terminal, request, digest, ctx.timeS(), error.code, error.message);
    }
  }

  /**
   * The terminal's reversal of its settle or cancel (its seq): the hub's own
   * checks, then 2601 of each national call that stands for that seq, when
   * the hub reverses it or never booked it (a call whose answer a crash
   * lost); nothing when the hub keeps it (a settlement cancelled since).
   */
  async #reversal(client: NationalClient, ctx: HubContext, terminal: TerminalRecord, request: Extract<AnyMessage, { type: 'reversal' }>, digest: Uint8Array): Promise<Handled> {
    const local = handle(ctx, terminal, request, digest);
    if (local.event?.kind !== 'reversal' || (!local.event.reversed && local.event.setl_id !== null)) return local;
    const body = request.body;
    const oinfno = body.oinfno === 'settle' ? '2207' : '2208';
    try {
      for (const row of (await this.#earlier(client, terminal.id, body.omsgid, oinfno, body.mdtrt_id)).filter(stands)) {
        const reversal = this.#count('2601', await client.call('2601', map.reversalInput(row.psn_no, row.msgid, oinfno)));
        if (reversal.kind === 'no_answer') return { reply: errorReply('busy', `national 2601 of ${row.msgid}: no answer (${reversal.detail})`) };
        if (reversal.kind === 'refused') {
          const refused = codeOf(reversal);
          return { reply: errorReply(refused.code, refused.detail) };
        }
      }
    } catch (error) {
      if (!(error instanceof Unanswered)) throw error;
      return { reply: errorReply(error.code, error.message) };
    }
    return local;
  }

  async #reconTotals(client: NationalClient, ctx: HubContext, terminal: TerminalRecord, request: Extract<AnyMessage, { type: 'recon_totals' }>, digest: Uint8Array): Promise<Handled> {
    const local = handle(ctx, terminal, request, digest);
    if (local.reply.type !== 'recon_totals_reply') return local;
    const { stmt_begndate: begin, stmt_enddate: end } = request.body.totals;
    const insutypes = new Set<string>();
    for (const [id, record] of ctx.state.terminals) {
      if (record.fixmedins_code !== terminal.fixmedins_code) continue;
      for (const item of ctx.state.reconItems(id)) {
        const insutype = ctx.state.person(item.psn_no)?.person.insutype;
        if (insutype !== undefined) insutypes.add(insutype);
      }
    }
    let agree = true;
    for (const insutype of [...insutypes].sort()) {
      const { totals } = institutionRecon(ctx, terminal.fixmedins_code, begin, end, (psnNo) => ctx.state.person(psnNo)?.person.insutype === insutype);
      const output = await this.#must(client, '3201', map.reconTotalsInput(this.identity, totals, insutype), null);
      if ((output.stmtinfo as map.Fields).stmt_rslt !== '0') agree = false;
    }
    if (agree) this.#reconVerdicts.delete(`${terminal.id}:${begin}/${end}`);
    else this.#reconVerdicts.set(`${terminal.id}:${begin}/${end}`, false);
    const body = local.reply.body as BodyOf<'recon_totals_reply'>;
    return { reply: { type: 'recon_totals_reply', body: { ...body, agree: body.agree && agree } } };
  }

  async #reconDetail(client: NationalClient, ctx: HubContext, terminal: TerminalRecord, request: Extract<AnyMessage, { type: 'recon_detail' }>, digest: Uint8Array): Promise<Handled> {
    const local = handle(ctx, terminal, request, digest);
    const { stmt_begndate: begin, stmt_enddate: end, last } = request.body;
    const key = `${terminal.id}:${begin}/${end}`;
    if (local.reply.type !== 'recon_detail_reply' || !last || this.#reconVerdicts.get(key) !== false) return local;
    const { totals, entries } = institutionRecon(ctx, terminal.fixmedins_code, begin, end);
    const settled = entries.filter((entry) => entry.kind !== 'cancel');
    const output = await this.#must(client, '3202', map.reconDetailInput(this.identity, totals, settled.slice(0, reconDetailMax)), null);
    this.#reconVerdicts.delete(key);
    const body = local.reply.body as BodyOf<'recon_detail_reply'>;
    const national = (output.mismatch as map.Fields[]).map((line) => ({ setl_id: line.setl_id as string, code: mismatchCodes[line.stmt_rslt as string] ?? 'amounts_differ' }));
    return { reply: { type: 'recon_detail_reply', body: { ...body, mismatches: [...body.mismatches, ...national].slice(0, 200) } } };
  }
}

/** A record's entries sorted by key, as text (key order aside). */
const sorted = (record: object): string => JSON.stringify(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** Whether two results settle the same amounts, to the fen (totals, funds and accumulators). */
function sameAmounts(a: SettleResult, b: SettleResult): boolean {
  const funds = (result: SettleResult) => JSON.stringify(result.setldetail.map((fund) => [fund.fund_pay_type, fund.fund_payamt]));
  return sorted(a.setlinfo) === sorted(b.setlinfo) && funds(a) === funds(b) && sorted(a.acc_delta) === sorted(b.acc_delta);
}
