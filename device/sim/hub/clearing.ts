// Clearing (先预付后清算): what each insured province owes each treatment
// province for a month, by fund type, from the hub's ledger. The treatment
// place's institutions were paid on the spot out of funds the treatment
// province advanced; the insured province's funds (and personal accounts,
// fund 310200) settle that advance monthly. Counted: settlements and advices
// in force (neither cancelled nor reversed) whose settlement time falls in the
// month, China time. The patient's cash is not cleared: the patient paid it.
import type { HubState } from './state';

/** Provincial-level divisions by the first two digits of an area code (GB/T 2260). */
const provinces: Readonly<Record<string, string>> = {
  '11': '北京', '12': '天津', '13': '河北', '14': '山西', '15': '内蒙古', '21': '辽宁', '22': '吉林', '23': '黑龙江',
  '31': '上海', '32': '江苏', '33': '浙江', '34': '安徽', '35': '福建', '36': '江西', '37': '山东', '41': '河南',
  '42': '湖北', '43': '湖南', '44': '广东', '45': '广西', '46': '海南', '50': '重庆', '51': '四川', '52': '贵州',
  '53': '云南', '54': '西藏', '61': '陕西', '62': '甘肃', '63': '青海', '64': '宁夏', '65': '新疆',
};

export interface ClearingLine {
  readonly insured: { readonly code: string; readonly name: string };
  readonly treatment: { readonly code: string; readonly name: string };
  readonly settlements: number;
  readonly funds: { readonly fund_pay_type: string; readonly amount_fen: number }[];
  readonly total_fen: number;
}

export interface ClearingReport {
  readonly month: string;
  readonly lines: ClearingLine[];
  readonly total_fen: number;
}

const province = (code: string) => ({ code, name: provinces[code] ?? '?' });

export function clearingReport(state: HubState, month: string): ClearingReport {
  const pairs = new Map<string, { insured: string; treatment: string; settlements: number; funds: Map<string, number> }>();
  for (const settled of state.settlementsInMonth(month)) {
    const treatmentArea = state.institutions.get(settled.fixmedins_code)?.admdvs ?? '000000';
    const insured = settled.insuplc_admdvs.slice(0, 2);
    const treatment = treatmentArea.slice(0, 2);
    const key = `${insured}>${treatment}`;
    let pair = pairs.get(key);
    if (pair === undefined) pairs.set(key, (pair = { insured, treatment, settlements: 0, funds: new Map() }));
    pair.settlements += 1;
    for (const fund of settled.result.setldetail) pair.funds.set(fund.fund_pay_type, (pair.funds.get(fund.fund_pay_type) ?? 0) + fund.fund_payamt);
  }
  const lines = [...pairs.values()]
    .sort((a, b) => (a.insured + a.treatment < b.insured + b.treatment ? -1 : 1))
    .map((pair) => {
      const funds = [...pair.funds.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([fund_pay_type, amount_fen]) => ({ fund_pay_type, amount_fen }));
      return { insured: province(pair.insured), treatment: province(pair.treatment), settlements: pair.settlements, funds, total_fen: funds.reduce((sum, fund) => sum + fund.amount_fen, 0) };
    });
  return { month, lines, total_fen: lines.reduce((sum, line) => sum + line.total_fen, 0) };
}
