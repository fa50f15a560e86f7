// Realistic bodies for journal records: a settle request (a 20-line
// outpatient bill whose numbers add up, from test/helpers/messages.ts), its
// reversal, an advice and a cancel, at a given seq.
import { createCborEncoder } from '../../protocol/cbor-encode';
import { billDigest } from '../../protocol/digests';
import type { BodyOf } from '../../protocol/messages';
import { samplePerson, sampleLines, sampleResult, sampleSettleInput, timeSample } from './messages';

const encoder = createCborEncoder();

export function settleBody(mdtrtId: string, lines = 4): BodyOf<'settle'> {
  const fees = sampleLines(lines);
  const input = { ...sampleSettleInput(fees, billDigest(encoder, fees)), mdtrt_id: mdtrtId };
  return { input, result: sampleResult(fees), result_digest: new Uint8Array(32).fill(lines) };
}

export function reversalBody(omsgid: number, oinfno: 'settle' | 'cancel' = 'settle'): BodyOf<'reversal'> {
  return { psn_no: samplePerson.psn_no, omsgid, oinfno, mdtrt_id: 'M1' };
}

export function adviceBody(localId: string, settledTime = timeSample): BodyOf<'advice'> {
  const settle = settleBody(`M-${localId}`);
  return { local_setl_id: localId, settled_time: settledTime, person: samplePerson, input: settle.input, result: settle.result, result_digest: settle.result_digest };
}

export function cancelBody(setlId: string): BodyOf<'cancel'> {
  return { setl_id: setlId, mdtrt_id: 'M1', psn_no: samplePerson.psn_no, reason: 'patient asked' };
}

export const sampleAmounts = { medfee_sumamt: 10_000, fund_pay_sumamt: 6_000, acct_pay: 1_000, psn_cash_pay: 3_000 };
