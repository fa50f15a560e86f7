// Limits of the settlement core, from docs/settlement.md §1 and §2. The core may
// import nothing of ours (docs/design.md, layout), so its limits live here; the
// tests (test/unit/limits.test.ts) assert how they relate to each other and to the wire
// and storage limits.

/** A line's `amt`, fen (§1). */
export const lineAmtFenMax = 10_000_000_000;
/** A line's `qty_milli` (§1). */
export const lineQtyMilliMax = 10_000_000;
/** Lines in one visit (§1: 1 to 10000). */
export const visitLinesMin = 1;
export const visitLinesMax = 10_000;
/** Σ amt of a visit, fen (§1). */
export const visitAmtFenMax = 100_000_000_000;
/** A catalogue item's price ceiling per unit, fen (§1). */
export const itemCapFenMax = 100_000_000;
/** Every other money amount: person, policy, accumulators, fen (§1). */
export const moneyFenMax = 100_000_000_000;
/** Basis points: 10000 bp = 100 % (§1). */
export const bpMax = 10_000;
/** `ytd.year` (§2). */
export const ytdYearMin = 1900;
export const ytdYearMax = 2200;
/** `age_min` / `age_max` (§2). */
export const ageMax = 150;

// §1 promises that every intermediate product stays below 2^53 so doubles
// holding integers are exact: test/unit/limits.test.ts checks the three products the
// rules form.
