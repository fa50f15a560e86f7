// The national messages of the seed patients, built with the gateway's
// mappings (gateway/national/map.ts): what the gateway sends for each seed
// bill and what the simulator answers; and a rig of the national simulator
// over a seeded hub on loopback HTTP with clients for the gateway's tests.
import type { Credential, Person, ReconEntry, ReconTotals, SettleInput, SettleResult } from '../../protocol/messages';
import { policyBookVersion, seedBills, seedPersons } from '../../device/sim/hub/seed';
import * as map from '../../gateway/national/map';
import path from 'node:path';
import { defaultAppAuthHeaders, type AppAuthConfig, type EnvelopeConfig } from '../../gateway/envelope';
import { NationalClient, type NationalClientOptions } from '../../gateway/national/client';
import { sm2PublicKeyOf } from '../../gateway/sm';
import { NationalSimulator, serveNationalSim, type FateHook } from '../../device/sim/national/simulator';
import { workedCases } from './cases';
import { CallJournal } from '../../gateway/journal';
import { NationalGateway } from '../../gateway/forward';
import type { SqlStore } from '../../gateway/store';
import { openHub, rig, tempDir, WallClock, zhangDayS } from './hub-rig';
import { Random, testSeed } from './seed';

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
    const visitCase = worked.case as { person: { acct_used: boolean }; catalogue: { version: string } };
    const input: SettleInput = {
      mdtrt_id: bill.mdtrt_id,
      psn_no: bill.psn_no,
      date: bill.date,
      med_type: bill.med_type,
      opsp_dise: bill.opsp_dise,
      acct_used: visitCase.person.acct_used,
      catalogue_version: visitCase.catalogue.version,
      policy_version: policyBookVersion,
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

// ---- a simulator and a client on loopback ------------------------------------
/** The platform's and the hospital's SM2 keys in tests (fixed scalars). */
export const platformKey = '1649ab77a00637bd5e2efe283fbf353534aa7f7cb89463f208ddbc2920bb0da0';
export const gatewayKey = '3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8';
export const testAppAuth: AppAuthConfig = { appId: 'hospital-01', appSecret: 'test-secret', digest: 'sm3', headers: defaultAppAuthHeaders };

/** The envelope header of an institution's gateway in tests. */
export function testEnvelope(fixmedinsCode: string): EnvelopeConfig {
  return { fixmedinsCode, fixmedinsName: `定点机构${fixmedinsCode}`, mdtrtareaAdmvs: '110106', recerSysCode: 'MBS_LOCAL', devNo: 'GW-01', devSafeInfo: '', infver: 'V1.0', opterType: '1', opter: 'OP0001', opterName: '收费员' };
}

/** A seeded hub in a temp dir, the national simulator over it on loopback HTTP, and a way to make clients. */
export async function nationalRig(options: { fate?: FateHook; nowMs?: () => number } = {}) {
  const temp = tempDir('national-');
  const clock = new WallClock(zhangDayS);
  const hub = openHub(path.join(temp.dir, 'platform'), clock);
  const nowMs = options.nowMs ?? (() => clock.nowS * 1_000);
  const random = new Random(testSeed());
  const randomBytes = (length: number) => random.bytes(length);
  const sim = new NationalSimulator({ hub, platformKey, gatewayPublicKey: sm2PublicKeyOf(gatewayKey), appAuth: testAppAuth, nowMs, randomBytes });
  const served = await serveNationalSim(sim, '127.0.0.1', 0, options.fate);
  const client = (fixmedinsCode: string, overrides: Partial<NationalClientOptions> = {}) =>
    new NationalClient({ url: served.url, envelope: testEnvelope(fixmedinsCode), appAuth: testAppAuth, gatewayKey, platformPublicKey: sm2PublicKeyOf(platformKey), nowMs, randomBytes, timeoutMs: 2_000, ...overrides });
  return {
    temp,
    clock,
    hub,
    sim,
    url: served.url,
    client,
    async close() {
      await served.close();
      await hub.close();
      temp.remove();
    },
  };
}

// ---- a gateway between terminals and the simulator ---------------------------
/**
 * The national simulator (its own seeded hub), a gateway journal in PGlite,
 * the gateway (a reference hub whose handler is NationalGateway) and terminal
 * T1 at Mr. Zhang's hospital on the gateway, as `rig()` builds them.
 * `journalStore` reuses one PGlite database across rigs (it takes seconds to create).
 */
export async function gatewayRig(journalStore: SqlStore, options: { fate?: FateHook; timeoutMs?: number } = {}) {
  const national = await nationalRig({ fate: options.fate });
  await journalStore.exec('DROP TABLE IF EXISTS national_call');
  const journal = await CallJournal.open(journalStore);
  const clients = new Map<string, NationalClient>();
  const clientFor = (code: string) => {
    let client = clients.get(code);
    if (client === undefined) clients.set(code, (client = national.client(code, { timeoutMs: options.timeoutMs ?? 2_000 })));
    return client;
  };
  const gateway = new NationalGateway(clientFor, journal, testIdentity, () => national.clock.nowS * 1_000);
  const terminalRig = await rig({ hub: { handler: gateway.handler } });
  return {
    national,
    gateway,
    journal,
    terminalRig,
    async close() {
      await terminalRig.close();
      await national.close();
    },
  };
}
