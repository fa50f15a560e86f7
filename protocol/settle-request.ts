// The settle request (like the national 2207), built in one place: the
// terminal's session, the reference hub and the test rig all use these
// functions, so what a request carries, what its digest covers and which
// bills travel inline cannot drift apart between the two ends.
//
// A request carries the visit's input (the bill's reference, and its lines
// when at most feeLinesPerMessageMax of them: a larger bill is settled by
// reference to the digest of its lines, hub.cddl `settle_input`), the
// terminal's result (line results inline exactly when the input's lines
// are) and the digest of the whole result, every line included.
import type { CborEncoder } from './cbor-encode';
import { resultDigest } from './digests';
import { feeLinesPerMessageMax } from './limits';
import type { BodyOf, FeeLine, Institution, Person, SettleInput, SettleResult, SettleResultFull } from './messages';

/** The bill as the hub's bill query gave it, all pages joined. */
export type BillForSettle = Pick<BodyOf<'bill_query_reply'>, 'mdtrt_id' | 'date' | 'med_type' | 'opsp_dise' | 'bill' | 'lines'>;

/** The core's settlement of a visit (docs/settlement.md §9), as the wire names its parts. */
export interface SettlementParts {
  readonly setlinfo: SettleResultFull['setlinfo'];
  readonly lines: readonly SettleResultFull['lines'][number][];
  readonly setldetail: readonly SettleResultFull['setldetail'][number][];
  readonly acc_delta: Readonly<Record<string, number>>;
}

/** Whether a bill of this many lines travels inline (its lines and their results), else by reference to its digest. */
export function linesTravelInline(lineCount: number): boolean {
  return lineCount <= feeLinesPerMessageMax;
}

/** The whole result, as `result_digest` covers it: every line result, whatever the bill's size. */
export function fullResult(settlement: SettlementParts): SettleResultFull {
  return { setlinfo: settlement.setlinfo, lines: [...settlement.lines], setldetail: [...settlement.setldetail], acc_delta: { ...settlement.acc_delta } };
}

/** The digest of the whole result (`result_digest`): what the terminal sends and the hub recomputes. */
export function settlementDigest(encoder: CborEncoder, settlement: SettlementParts): Uint8Array {
  return resultDigest(encoder, fullResult(settlement));
}

/** The result as it travels beside an input: its line results inline exactly when the input's lines are. */
export function resultAsSent(settlement: SettlementParts, input: Pick<SettleInput, 'lines'>): SettleResult {
  return { ...fullResult(settlement), lines: input.lines.length === 0 ? [] : [...settlement.lines] };
}

/**
 * The case the core settles for a visit (docs/settlement.md §2, without catalogue
 * and policy, which each end takes from its own stores): the hub's person
 * record less the name, with the patient's choice of the personal account.
 */
export function visitCase(visit: Pick<SettleInput, 'date' | 'med_type' | 'opsp_dise'>, person: Person, acctUsed: boolean, institution: Institution, lines: readonly FeeLine[]) {
  const { psn_name: _name, ...corePerson } = person;
  return { date: visit.date, person: { ...corePerson, acct_used: acctUsed }, institution, visit: { med_type: visit.med_type, opsp_dise: visit.opsp_dise, lines } };
}

export interface SettleRequestParts {
  readonly bill: BillForSettle;
  readonly psnNo: string;
  readonly acctUsed: boolean;
  /** The versions of the catalogue and policy book the terminal settled with. */
  readonly catalogueVersion: string;
  readonly policyVersion: string;
  readonly settlement: SettlementParts;
}

/** The settle request's body: the input, the result as it travels, the whole result's digest. */
export function settleRequest(encoder: CborEncoder, parts: SettleRequestParts): BodyOf<'settle'> {
  const { bill } = parts;
  const input: SettleInput = {
    mdtrt_id: bill.mdtrt_id,
    psn_no: parts.psnNo,
    date: bill.date,
    med_type: bill.med_type,
    opsp_dise: bill.opsp_dise,
    acct_used: parts.acctUsed,
    catalogue_version: parts.catalogueVersion,
    policy_version: parts.policyVersion,
    bill: bill.bill,
    lines: linesTravelInline(bill.lines.length) ? [...bill.lines] : [],
  };
  return { input, result: resultAsSent(parts.settlement, input), result_digest: settlementDigest(encoder, parts.settlement) };
}
