// The core's entry points for a whole JSON case (SETTLEMENT.md §2): validate,
// then settle. Never throws on bad input: anything that breaks §1–§2 is the
// `invalid_input` refusal.
import { settle, refusal } from './settle';
import { explain, newTrace } from './trace';
import type { SettleOutput } from './types';
import { validateCase, type InvalidReason } from './validate';

/** Settles one case given as parsed JSON. */
export function settleCase(raw: unknown): SettleOutput {
  const checked = validateCase(raw);
  return checked.ok ? settle(checked.value) : refusal('invalid_input');
}

export interface ExplainedOutput {
  readonly output: SettleOutput;
  /** The derivation for billing staff, or why the case was refused. */
  readonly text: string;
}

/** Settles one case and explains the result in words. */
export function explainCase(raw: unknown): ExplainedOutput {
  const checked = validateCase(raw);
  if (!checked.ok) return { output: refusal('invalid_input'), text: invalidText(checked.reason) };
  const trace = newTrace();
  const output = settle(checked.value, trace);
  if (!output.ok) {
    const sn = output.error.sn === undefined ? '' : ` (line ${output.error.sn})`;
    return { output, text: `Refused: ${output.error.code}${sn}.` };
  }
  return { output, text: explain(trace, output) };
}

function invalidText(reason: InvalidReason): string {
  return `Refused: invalid_input: ${reason.path} ${reason.why}.`;
}
