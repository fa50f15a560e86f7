// The core's entry points for a whole JSON case (docs/settlement.md §2): validate,
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

/** Settles one case given as parsed JSON and, when it is `invalid_input`, says why in words (`settle FILE` prints it on stderr). */
export function settleCaseTelling(raw: unknown): { readonly output: SettleOutput; readonly why: string | null } {
  const checked = validateCase(raw);
  return checked.ok ? { output: settle(checked.value), why: null } : { output: refusal('invalid_input'), why: reasonText(raw, checked.reason) };
}

export interface ExplainedOutput {
  readonly output: SettleOutput;
  /** The derivation for billing staff, or why the case was refused. */
  readonly text: string;
}

/** Settles one case and explains the result in words. */
export function explainCase(raw: unknown): ExplainedOutput {
  const checked = validateCase(raw);
  if (!checked.ok) return { output: refusal('invalid_input'), text: `Refused: invalid_input: ${reasonText(raw, checked.reason)}.` };
  const trace = newTrace();
  const output = settle(checked.value, trace);
  if (!output.ok) {
    const sn = output.error.sn === undefined ? '' : ` (line ${output.error.sn})`;
    return { output, text: `Refused: ${output.error.code}${sn}.` };
  }
  return { output, text: explain(trace, output) };
}

/** The field at fault and what is wrong with it; a worked-case fixture (`{ story, case, expected }`) is named as one. */
function reasonText(raw: unknown, reason: InvalidReason): string {
  const wrapped = typeof raw === 'object' && raw !== null && !Array.isArray(raw) && Object.hasOwn(raw, 'case') && !Object.hasOwn(raw, 'person');
  return `${reason.path} ${reason.why}${wrapped ? ' (this looks like a worked-case fixture: the case is its "case" member; examples/ holds bare cases)' : ''}`;
}
