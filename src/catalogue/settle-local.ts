// Settling with the terminal's own copies: the catalogue from the compact
// store, the policy from the policy book by the person's insured place. The
// result names the catalogue and policy versions it used, which the terminal
// journals, sends with its settle request (2207) and prints on the receipt.
import { settle, refusal } from '../core/settle';
import type { SettleOutput } from '../core/types';
import { isAreaCode, validateCaseWith } from '../core/validate';
import type { Catalogue } from './layout';
import type { PolicyBook } from './policy-book';

export interface LocalSettlement {
  readonly output: SettleOutput;
  readonly catalogueVersion: string;
  readonly policyVersion: string;
  /** The area whose policy applied (county, city or province), or null when none did. */
  readonly policyArea: string | null;
}

/**
 * Settles a case given as `{ date, person, institution, visit }` (docs/settlement.md
 * §2 without catalogue and policy). With no policy for the insured place, a
 * valid case is `policy_not_found`: it is checked against an empty policy of
 * that place, so an invalid case is still `invalid_input` first (§3 order).
 */
export function settleLocally(raw: unknown, catalogue: Catalogue, book: PolicyBook): LocalSettlement {
  const versions = { catalogueVersion: catalogue.version, policyVersion: book.version };
  const person = typeof raw === 'object' && raw !== null ? (raw as { person?: unknown }).person : undefined;
  const area = typeof person === 'object' && person !== null ? (person as { insuplc_admdvs?: unknown }).insuplc_admdvs : undefined;
  const found = isAreaCode(area) ? book.lookup(area) : undefined;
  const policy = found?.policy ?? { admdvs: isAreaCode(area) ? area : '110000', version: '', schemes: {}, offsite: { referral_cut_bp: 0, temporary_cut_bp: 0 }, maf: {} };
  const checked = validateCaseWith(typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? { ...raw, policy } : raw, catalogue);
  const output = checked.ok ? settle(checked.value) : refusal('invalid_input');
  return { output, ...versions, policyArea: found?.area ?? null };
}
