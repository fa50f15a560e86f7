// The derivation of a settlement, step by step, as data (for the receipt and
// the screen) and as text that billing staff can read (`settle --explain`).
import type { FeeLine, Item, LineResult, Settlement } from './types';

export interface LineTrace {
  readonly line: FeeLine;
  readonly item: Item;
  readonly result: LineResult;
}

export interface BandTrace {
  readonly fromFen: number;
  readonly toFen: number | null;
  /** The band's ratio at the institution's level, before bonus and cut. */
  readonly bandBp: number;
  readonly bonusBp: number;
  readonly cutBp: number;
  readonly ratioBp: number;
  readonly portionFen: number;
  readonly payFen: number;
}

export interface SegmentTrace {
  readonly fromFen: number;
  readonly toFen: number | null;
  readonly bp: number;
  readonly partFen: number;
  readonly payFen: number;
}

export interface SettleTrace {
  offsite: boolean;
  age: number;
  accumulatorsApply: boolean;
  benefitName: string;
  readonly lines: LineTrace[];
  deductible: { mode: 'year' | 'visit'; key: string; dedFen: number; usedFen: number; remainingFen: number; paidFen: number } | null;
  basic: {
    baseFen: number;
    bands: BandTrace[];
    rawFen: number;
    capFen: number;
    capKey: string;
    capUsedFen: number;
    capRemainingFen: number;
    payFen: number;
  } | null;
  second: {
    /** hifmi_pay (residents' critical illness, 390200) or hifob_pay (employees' supplement, 330100). */
    fund: 'hifmi_pay' | 'hifob_pay';
    burdenFen: number;
    c0Fen: number;
    c1Fen: number;
    segments: SegmentTrace[];
    rawFen: number;
    capFen: number;
    paidBeforeFen: number;
    payFen: number;
  } | null;
  maf: {
    className: string;
    remainingFen: number;
    dedFen: number;
    dedUsedBeforeFen: number;
    dedUsedFen: number;
    bp: number;
    capFen: number;
    paidBeforeFen: number;
    payFen: number;
  } | null;
}

/** An empty trace for settle() to fill. */
export function newTrace(): SettleTrace {
  return { offsite: false, age: 0, accumulatorsApply: false, benefitName: '', lines: [], deductible: null, basic: null, second: null, maf: null };
}

/** Fen as yuan with two decimals, by integer arithmetic: 123456 → "1234.56". */
export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const magnitude = Math.abs(fen);
  const cents = magnitude % 100;
  return `${sign}${(magnitude - cents) / 100}.${cents < 10 ? '0' : ''}${cents}`;
}

/** Basis points as a percentage with two decimals: 6500 → "65.00 %". */
export function percent(bp: number): string {
  const hundredths = bp % 100;
  return `${(bp - hundredths) / 100}.${hundredths < 10 ? '0' : ''}${hundredths} %`;
}

const levelNames: Readonly<Record<string, string>> = { '01': '甲 class A', '02': '乙 class B', '03': '丙 class C' };

function lineText(entry: LineTrace): string {
  const { line, item, result } = entry;
  const head = `  line ${line.sn} ${line.code} (${item.kind}, ${levelNames[item.lv]}): ${yuan(line.amt)}`;
  if (result.reason !== undefined) return `${head} wholly self-paid, ${result.reason}`;
  if (item.lv === '03') return `${head} wholly self-paid, class C is not covered`;
  const parts = [`in scope ${yuan(result.inscp_scp_amt)}`];
  if (result.overlmt_amt > 0) parts.unshift(`over the price ceiling ${yuan(result.overlmt_amt)} (ceiling ${yuan(item.cap as number)} per unit)`);
  if (result.preselfpay_amt > 0) parts.unshift(`first self-pay ${percent(item.selfpay_bp)} = ${yuan(result.preselfpay_amt)}`);
  return `${head}: ${parts.join(', ')}`;
}

function range(fromFen: number, toFen: number | null): string {
  return `[${yuan(fromFen)}, ${toFen === null ? '∞' : yuan(toFen)})`;
}

/** The derivation as lines of text, in the order the rules apply. */
export function explain(trace: SettleTrace, output: Settlement): string {
  const out: string[] = [];
  const s = output.setlinfo;
  out.push(`Lines (${trace.lines.length}), age ${trace.age}, ${trace.offsite ? 'off-site' : 'local'} visit:`);
  for (const entry of trace.lines) out.push(lineText(entry));
  out.push(`In scope (inscp_scp_amt): ${yuan(s.inscp_scp_amt)} of ${yuan(s.medfee_sumamt)} billed.`);
  if (!trace.accumulatorsApply) out.push("Year-to-date figures are from another year: every accumulator counts as 0.");
  const d = trace.deductible;
  if (d !== null) {
    const used = d.mode === 'year' ? `, ${yuan(d.usedFen)} already met this year (${d.key})` : ', per visit';
    out.push(`Deductible (${trace.benefitName}): ${yuan(d.dedFen)}${used}; ${yuan(d.remainingFen)} remaining; this visit pays ${yuan(d.paidFen)}.`);
  }
  const b = trace.basic;
  if (b !== null) {
    out.push(`Basic insurance on ${yuan(b.baseFen)} above the deductible:`);
    b.bands.forEach((band, index) => {
      const adjust = `${percent(band.bandBp)}${band.bonusBp > 0 ? ` + retired ${percent(band.bonusBp)}` : ''}${band.cutBp > 0 ? ` − off-site cut ${percent(band.cutBp)}` : ''}`;
      out.push(`  band ${index + 1} ${range(band.fromFen, band.toFen)}: ${yuan(band.portionFen)} × ${percent(band.ratioBp)} (${adjust}) = ${yuan(band.payFen)}`);
    });
    out.push(`  bands pay ${yuan(b.rawFen)}; annual cap ${yuan(b.capFen)} with ${yuan(b.capUsedFen)} used (${b.capKey}) leaves ${yuan(b.capRemainingFen)}: fund pays ${yuan(b.payFen)} (hifp_pay).`);
  }
  const second = trace.second;
  if (second !== null) {
    out.push(`Second layer on the in-scope burden ${yuan(second.burdenFen)} (cumulative ${yuan(second.c0Fen)} → ${yuan(second.c1Fen)}):`);
    for (const segment of second.segments) {
      out.push(`  segment ${range(segment.fromFen, segment.toFen)} at ${percent(segment.bp)}: ${yuan(segment.partFen)} → ${yuan(segment.payFen)}`);
    }
    out.push(`  segments pay ${yuan(second.rawFen)}; cap ${yuan(second.capFen)} with ${yuan(second.paidBeforeFen)} paid: pays ${yuan(second.payFen)} (${second.fund}).`);
  } else {
    out.push('Second layer: none in this policy.');
  }
  const maf = trace.maf;
  if (maf !== null) {
    out.push(
      `Medical assistance (${maf.className}) on ${yuan(maf.remainingFen)}: deductible ${yuan(maf.dedFen)} with ${yuan(maf.dedUsedBeforeFen)} met, ${yuan(maf.dedUsedFen)} now; ` +
        `${percent(maf.bp)} of the rest, cap ${yuan(maf.capFen)} with ${yuan(maf.paidBeforeFen)} paid: pays ${yuan(maf.payFen)} (maf_pay).`,
    );
  } else {
    out.push('Medical assistance: not applicable.');
  }
  out.push(`Funds pay ${yuan(s.fund_pay_sumamt)} (${percent(s.reim_bp)} of the bill); the patient's part is ${yuan(s.psn_part_amt)}.`);
  out.push(`Personal account pays ${yuan(s.acct_pay)} (balance after: ${yuan(s.balc)}); cash to pay: ${yuan(s.psn_cash_pay)}.`);
  return out.join('\n');
}
