// Reconciliation arithmetic shared by the terminal (from its journal) and the
// reference hub (from its ledger), so both ends count the same way (3201/3202):
//
// - a settlement or an advice counts on the day of its setl_time, while it is
//   in force (neither cancelled nor reversed);
// - a cancellation counts (in cancel_cnt, and as a detail entry carrying the
//   cancelled settlement's amounts) on the day of its cancel time;
// - a day is China Standard Time (UTC+8), the time of every settlement.
import type { ReconEntry, ReconTotals } from '../../protocol/messages';

export interface Amounts {
  readonly medfee_sumamt: number;
  readonly fund_pay_sumamt: number;
  readonly acct_pay: number;
  readonly psn_cash_pay: number;
}

export interface FundPayment {
  readonly fund_pay_type: ReconTotals['funds'][number]['fund_pay_type'];
  readonly fund_payamt: number;
}

/** One settlement, advice or cancellation as reconciliation sees it. */
export interface ReconItem extends Amounts {
  readonly kind: ReconEntry['kind'];
  /** The hub's settlement id; for a cancellation, the cancellation's own id. */
  readonly setl_id: string;
  readonly mdtrt_id: string;
  readonly psn_no: string;
  readonly setl_time: number;
  /** setldetail of a settlement or advice (empty for a cancellation). */
  readonly funds: readonly FundPayment[];
  /** A settlement or advice not cancelled; always true for a cancellation. */
  readonly inForce: boolean;
}

const fundOrder: readonly FundPayment['fund_pay_type'][] = ['310100', '310200', '330100', '390100', '390200', '610100'];
const dayS = 86_400;
const chinaOffsetS = 8 * 3_600;

/** The China Standard Time date (YYYY-MM-DD) of a time in seconds since 1970. */
export function chinaDate(timeS: number): string {
  return new Date((timeS + chinaOffsetS) * 1_000).toISOString().slice(0, 10);
}

/** Days from `begin` to `end` inclusive (dates as YYYY-MM-DD), or 0 when end is before begin. */
export function periodDays(begin: string, end: string): number {
  const days = (Date.parse(end) - Date.parse(begin)) / (dayS * 1_000) + 1;
  return Number.isSafeInteger(days) && days > 0 ? days : 0;
}

function counted(item: ReconItem, begin: string, end: string): boolean {
  const day = chinaDate(item.setl_time);
  return day >= begin && day <= end && item.inForce;
}

/** The entries of a period: settlements and advices in force, and cancellations, in time order. */
export function periodEntries(items: Iterable<ReconItem>, begin: string, end: string): ReconEntry[] {
  const entries: ReconEntry[] = [];
  for (const item of items) {
    if (!counted(item, begin, end)) continue;
    const { setl_id, mdtrt_id, psn_no, kind, setl_time, medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay } = item;
    entries.push({ setl_id, mdtrt_id, psn_no, kind, setl_time, medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay });
  }
  return entries.sort((a, b) => a.setl_time - b.setl_time || (a.setl_id < b.setl_id ? -1 : a.setl_id > b.setl_id ? 1 : 0));
}

/** The totals of a period by fund type (3201). */
export function periodTotals(items: Iterable<ReconItem>, begin: string, end: string): ReconTotals {
  const totals = { stmt_begndate: begin, stmt_enddate: end, setl_cnt: 0, cancel_cnt: 0, medfee_sumamt: 0, fund_pay_sumamt: 0, acct_pay: 0, psn_cash_pay: 0 };
  const funds = new Map<string, number>();
  for (const item of items) {
    if (!counted(item, begin, end)) continue;
    if (item.kind === 'cancel') {
      totals.cancel_cnt += 1;
      continue;
    }
    totals.setl_cnt += 1;
    totals.medfee_sumamt += item.medfee_sumamt;
    totals.fund_pay_sumamt += item.fund_pay_sumamt;
    totals.acct_pay += item.acct_pay;
    totals.psn_cash_pay += item.psn_cash_pay;
    for (const fund of item.funds) funds.set(fund.fund_pay_type, (funds.get(fund.fund_pay_type) ?? 0) + fund.fund_payamt);
  }
  const list = fundOrder.filter((type) => (funds.get(type) ?? 0) > 0).map((type) => ({ fund_pay_type: type, amount: funds.get(type) as number }));
  return { ...totals, funds: list };
}

const totalKeys = ['stmt_begndate', 'stmt_enddate', 'setl_cnt', 'cancel_cnt', 'medfee_sumamt', 'fund_pay_sumamt', 'acct_pay', 'psn_cash_pay'] as const;

/** Whether two period totals agree in every figure. */
export function totalsAgree(a: ReconTotals, b: ReconTotals): boolean {
  if (totalKeys.some((key) => a[key] !== b[key]) || a.funds.length !== b.funds.length) return false;
  return a.funds.every((fund, index) => fund.fund_pay_type === b.funds[index]?.fund_pay_type && fund.amount === b.funds[index]?.amount);
}
