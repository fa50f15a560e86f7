// What the settlement core alone says of the demo's unfiled patient, Mr. Li
// (worked case 05 with the hub's bill for his visit, device/sim/hub/seed.ts
// seedBillLines): his visit settled with the temporary filing the kiosk
// offers him, the same visit settled with a long-term filing of the same
// period, and the difference in fen (what the offer's screen must show
// before he confirms: README, off-site filing at the kiosk). The tests that
// walk him through the demo compare what the kiosk showed and settled with
// these figures.
import type { Filing } from '../../protocol/messages';
import { seedBillCase, seedIdentities } from '../../device/sim/hub/seed';
import { settleCase } from '../../src/core/case';
import type { Settlement } from '../../src/core/types';

/** Mr. Li's place among the seed patients (worked case 05). */
export const liIndex = 4;
export const li = seedIdentities()[liIndex] as ReturnType<typeof seedIdentities>[number];

/**
 * The filing the kiosk offers him: temporary, for Beijing's province, from
 * his visit's day for Hebei's 180 days (seed.ts, seedSelfFiling).
 */
export const liOfferedFiling: Filing = { type: 'temporary', area: '110000', begndate: '2026-03-20', enddate: '2026-09-15', fixmedins: null };

export interface LiFiled {
  /** The hub's bill for his visit settled with the filing (temporary). */
  readonly temporary: Settlement;
  /** The same with a long-term filing of the same period. */
  readonly longTerm: Settlement;
  /** What the temporary filing costs him more, fen: his parts' difference. */
  readonly cutFen: number;
}

/** Settles his visit on the core with `filing` and with a long-term filing of the same period; throws when either is refused. */
export function liFiled(filing: Filing = liOfferedFiling): LiFiled {
  const raw = seedBillCase(liIndex) as { person: Record<string, unknown> };
  const settled = (type: Filing['type']): Settlement => {
    const output = settleCase({ ...raw, person: { ...raw.person, filing: { ...filing, type } } });
    if (!output.ok) throw new Error(`case 05 with a ${type} filing: refused ${output.error.code}`);
    return output;
  };
  const temporary = settled(filing.type);
  const longTerm = settled('long_term_resident');
  return { temporary, longTerm, cutFen: temporary.setlinfo.psn_part_amt - longTerm.setlinfo.psn_part_amt };
}
