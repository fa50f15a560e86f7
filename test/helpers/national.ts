// The national messages of the seed patients, built with the gateway's
// mappings (gateway/national/map.ts): what the gateway sends for each seed
// bill and what the simulator answers, for the gateway's tests.
import type { Credential, Person, ReconEntry, ReconTotals, SettleInput, SettleResult } from '../../protocol/messages';
import { seedBills, seedPersons } from '../../device/sim/hub/seed';
import * as map from '../../gateway/national/map';
import { workedCases } from './cases';

/** A hospital front end's identity, as a gateway would be configured. */
export const testIdentity: map.Identity = {
  opterNo: 'OP0001',
  mac: '02:00:00:00:00:01',
  ip: '127.0.0.1',
  deptCode: 'D01',
  deptName: '门诊内科',
  drCode: 'DR0001',
  drName: '李医生',
  caty: 'A03',
  setlOptins: '110106',
};

export interface SeedNational {
  readonly name: string;
  readonly person: Person;
  readonly credential: Credential;
  readonly input: SettleInput;
  /** The worked case's expected result, or null when the case is refused. */
  readonly result: SettleResult | null;
}

/** Each seed patient: the person, a credential, the settle input of the pending bill and the expected result. */
export function seedNational(): SeedNational[] {
  const persons = seedPersons();
  const bills = seedBills();
  return workedCases().map((worked, index) => {
    const hubPerson = persons[index] as (typeof persons)[number];
    const bill = bills[index] as (typeof bills)[number];
    const visitCase = worked.case as { person: { acct_used: boolean }; catalogue: { version: string }; policy: { version: string } };
    const input: SettleInput = {
      mdtrt_id: bill.mdtrt_id,
      psn_no: bill.psn_no,
      date: bill.date,
      med_type: bill.med_type,
      opsp_dise: bill.opsp_dise,
      acct_used: visitCase.person.acct_used,
      catalogue_version: visitCase.catalogue.version,
      policy_version: visitCase.policy.version,
      bill: { line_count: bill.lines.length, medfee_sumamt: bill.lines.reduce((sum, line) => sum + line.amt, 0), digest: new Uint8Array(32) },
      lines: [...bill.lines],
    };
    const expected = worked.expected as unknown as ({ ok: true } & SettleResult) | { ok: false };
    const result = expected.ok ? { setlinfo: expected.setlinfo, lines: expected.lines, setldetail: expected.setldetail, acc_delta: expected.acc_delta } : null;
    return { name: worked.name, person: hubPerson.person, credential: hubPerson.credentials[0] as Credential, input, result };
  });
}

/** Reconciliation totals and entries of the settled seed patients, one settlement each. */
export function seedRecon(seeds: readonly SeedNational[]): { totals: ReconTotals; entries: ReconEntry[] } {
  const settled = seeds.filter((seed) => seed.result !== null);
  const entries = settled.map((seed, index) => {
    const info = (seed.result as SettleResult).setlinfo;
    return {
      setl_id: `S${String(index + 1).padStart(6, '0')}`,
      mdtrt_id: seed.input.mdtrt_id,
      psn_no: seed.input.psn_no,
      kind: 'settle' as const,
      setl_time: 1_773_446_400 + index,
      medfee_sumamt: info.medfee_sumamt,
      fund_pay_sumamt: info.fund_pay_sumamt,
      acct_pay: info.acct_pay,
      psn_cash_pay: info.psn_cash_pay,
    };
  });
  const sum = (name: 'medfee_sumamt' | 'fund_pay_sumamt' | 'acct_pay' | 'psn_cash_pay') => entries.reduce((total, entry) => total + entry[name], 0);
  return {
    entries,
    totals: {
      stmt_begndate: '2026-01-01',
      stmt_enddate: '2026-12-31',
      setl_cnt: entries.length,
      cancel_cnt: 0,
      medfee_sumamt: sum('medfee_sumamt'),
      fund_pay_sumamt: sum('fund_pay_sumamt'),
      acct_pay: sum('acct_pay'),
      psn_cash_pay: sum('psn_cash_pay'),
      funds: [],
    },
  };
}
