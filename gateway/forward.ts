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
//   cancel       -> the hub's own checks, then 2208 of the platform's setl_id.
// A 2207 without an answer is resolved before the terminal is answered, and
// at the next start if the gateway dies meanwhile: 5203 says whether the
// platform holds it under that msgid (then it stands), else 2601 of that msgid
// fences it (then it is in force nowhere, and the terminal is told `busy`
// and may settle again). A settlement is thus in force on the national side
// exactly once or not at all, never twice.
import { createCborEncoder } from '../protocol/cbor-encode';
import type { AnyMessage } from '../protocol/envelope';
import { errorCodes, messageTypeByName, type BodyOf, type ErrorCode, type Person, type SettleInput, type SettleResult } from '../protocol/messages';
import { resultAsSent, settlementDigest } from '../protocol/settle-request';
import type { EventOf } from '../device/sim/hub/events';
import { errorReply, handle, replyOf, type Handled, type HubContext } from '../device/sim/hub/handlers';
import type { TerminalRecord } from '../device/sim/hub/state';
import { fixmedinsCodeLength, nationalTime } from './envelope';
import type { CallJournal } from './journal';
import type { CallOutcome, NationalClient } from './national/client';
import * as map from './national/map';

/** Rounds of 5203 and 2601 tried to resolve a silent 2207 before leaving it to the next call or start. */
export const resolveRoundsMax = 3;

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
    try {
      person = await this.#prepare(client, ctx, input);
    } catch (error) {
      if (!(error instanceof Unanswered)) throw error;
      return error.code === 'busy' ? { reply: errorReply('busy', error.message) } : this.#refusal(terminal, request, digest, ctx.timeS(), error.code, error.message);
    }
    const settled = await this.#settleOnce(client, input, person);
    if (settled.kind === 'refused') return this.#refusal(terminal, request, digest, ctx.timeS(), settled.code, settled.detail);
    if (settled.kind === 'unsettled') return { reply: errorReply('busy', settled.detail) };
    if (settled.result !== null && !sameAmounts(settled.result, local.event.result)) {
      // The platform settled other amounts than the terminal and the hub: undo it there, keep both for audit.
      await this.#fence(client, settled.msgid, input.psn_no);
      return this.#refusal(terminal, request, digest, ctx.timeS(), 'result_mismatch', `the platform settled ${JSON.stringify(settled.result.setlinfo)}`);
    }
    const event: EventOf<'settled'> = { ...local.event, setl_id: settled.setlId };
    return { reply: replyOf(ctx, event), event };
  }

  /**
   * 2207 exactly once: journalled before it goes, completed with its answer;
   * a silence resolved by 5203 (the platform holds it under this msgid:
   * adopted) or 2601 (fenced: in force nowhere).
   */
  async #settleOnce(client: NationalClient, input: SettleInput, person: Person): Promise<{ kind: 'settled'; msgid: string; setlId: string; result: SettleResult | null } | { kind: 'refused'; code: ErrorCode; detail: string } | { kind: 'unsettled'; detail: string }> {
    const msgid = client.nextMsgid();
    if (msgid === null) return { kind: 'unsettled', detail: 'msgids of this second are spent' };
    const data = this.#settleData(input, person);
    await this.journal.sent({ msgid, infno: '2207', mdtrt_id: input.mdtrt_id, psn_no: input.psn_no, request: JSON.stringify(data) }, this.nowMs());
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
    const resolved = await this.resolve(client, msgid, input.psn_no, input.mdtrt_id);
    if (resolved !== null && resolved.setlId !== null) return { kind: 'settled', msgid, setlId: resolved.setlId, result: null };
    return { kind: 'unsettled', detail: resolved === null ? `2207 ${msgid} unanswered and not yet resolved` : `2207 ${msgid} unanswered; fenced by 2601` };
  }

  /**
   * Resolves a journalled 2207 that got no answer: 5203 first (held under
   * this msgid: adopted), else 2601 of the msgid (fenced). Null when the
   * platform answered neither within `resolveRoundsMax` rounds (the row stays
   * `sent` for the next attempt).
   */
  async resolve(client: NationalClient, msgid: string, psnNo: string, mdtrtId: string): Promise<{ setlId: string | null } | null> {
    for (let round = 0; round < resolveRoundsMax; round += 1) {
      if (client.signNo === null) await this.#must(client, '9001', map.signInInput(this.identity), null).catch(() => undefined);
      const query = this.#count('5203', await client.call('5203', map.settleQueryInput(psnNo, mdtrtId, null)));
      if (query.kind === 'done') {
        const info = query.output.setlinfo as map.Fields;
        if (info.setl_stas === '1' && info.omsgid === msgid && info.setl_id !== undefined) {
          if (await this.journal.settle(msgid, 'adopted', JSON.stringify(query.output), info.setl_id, this.nowMs())) this.figures.adopted += 1;
          return { setlId: info.setl_id };
        }
        if (await this.#fence(client, msgid, psnNo)) return { setlId: null };
      }
    }
    return null;
  }

  /** 2601 of a 2207's msgid; true once the platform answered it (reversed, or never seen and now refused for good). */
  async #fence(client: NationalClient, msgid: string, psnNo: string): Promise<boolean> {
    const reversal = this.#count('2601', await client.call('2601', map.reversalInput(psnNo, msgid, '2207')));
    if (reversal.kind !== 'done') return false;
    const setlId = (reversal.output.data as map.Fields).setl_id ?? null;
    if (await this.journal.settle(msgid, 'fenced', JSON.stringify(reversal.output), setlId, this.nowMs())) this.figures.fenced += 1;
    return true;
  }

  /** Resolves every 2207 the journal holds unanswered (at start, before serving). */
  async recover(): Promise<number> {
    let resolved = 0;
    for (const row of await this.journal.unresolved()) {
      if (row.infno === '2207' && (await this.resolve(this.clientFor(row.msgid.slice(0, fixmedinsCodeLength)), row.msgid, row.psn_no, row.mdtrt_id)) !== null) resolved += 1;
    }
    return resolved;
  }

  async #cancel(client: NationalClient, ctx: HubContext, terminal: TerminalRecord, request: Extract<AnyMessage, { type: 'cancel' }>, digest: Uint8Array): Promise<Handled> {
    const local = handle(ctx, terminal, request, digest);
    if (local.event?.kind !== 'cancelled') return local;
    const body = request.body;
    try {
      await this.#must(client, '2208', map.cancelInput(body.setl_id, body.mdtrt_id, body.psn_no), null);
    } catch (error) {
      if (!(error instanceof Unanswered)) throw error;
      return error.code === 'busy' ? { reply: errorReply('busy', error.message) } : this.#refusal(terminal, request, digest, ctx.timeS(), error.code, error.message);
    }
    return local;
  }
}

/** A record's entries sorted by key, as text (key order aside). */
const sorted = (record: object): string => JSON.stringify(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** Whether two results settle the same amounts, to the fen (totals, funds and accumulators). */
function sameAmounts(a: SettleResult, b: SettleResult): boolean {
  const funds = (result: SettleResult) => JSON.stringify(result.setldetail.map((fund) => [fund.fund_pay_type, fund.fund_payamt]));
  return sorted(a.setlinfo) === sorted(b.setlinfo) && funds(a) === funds(b) && sorted(a.acc_delta) === sorted(b.acc_delta);
}
