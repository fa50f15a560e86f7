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
import { FrameTap, openHub, openTerminal, prepareSettle, rig, tempDir, terminalSigner, WallClock, zhangDayS, type Terminal } from './hub-rig';
import type { ReferenceHub, HubOptions } from '../../device/sim/hub/hub';
import type { HubClientOptions } from '../../src/hub/client';
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

// ---- a site of terminals, on the reference hub or on a gateway -----------------
/** The seed institutions, in the order of the seed patients. */
export function seedInstitutions(): string[] {
  const codes: string[] = [];
  for (const bill of seedBills()) if (!codes.includes(bill.fixmedins_code)) codes.push(bill.fixmedins_code);
  return codes;
}

/**
 * A hub in a temp dir (`handler` makes it a gateway) with one terminal at each
 * seed institution (T1, T2, ...), each on its own frame tap; `restart` crashes
 * the hub (nothing unwritten survives) and opens it again on the same
 * directory, and the terminals' links reconnect.
 */
export async function siteRig(options: { clock: WallClock; handler?: HubOptions['handler']; client?: Partial<HubClientOptions> }) {
  const temp = tempDir('site-');
  const dir = path.join(temp.dir, 'hub');
  const hubOptions: Partial<HubOptions> = options.handler === undefined ? {} : { handler: options.handler };
  let hub: ReferenceHub = openHub(dir, options.clock, hubOptions);
  const codes = seedInstitutions();
  const taps = new Map<string, FrameTap>();
  const terminals = new Map<string, Terminal>();
  const serve = () => {
    for (const code of codes) {
      taps.get(code)?.stop();
      const tap = new FrameTap();
      taps.set(code, tap);
      void hub.serve(tap.hubPort);
    }
  };
  for (const [index, code] of codes.entries()) hub.enroll(`T${index + 1}`, terminalSigner(index + 1).publicKey, code);
  serve();
  for (const [index, code] of codes.entries()) {
    const id = `T${index + 1}`;
    terminals.set(code, await openTerminal({ id, fixmedinsCode: code, signer: terminalSigner(index + 1), storeDir: path.join(temp.dir, id), link: async () => (taps.get(code) as FrameTap).terminalEnd, hub, clock: options.clock, client: options.client }));
  }
  return {
    get hub() {
      return hub;
    },
    /** The frame tap between an institution's terminal and the hub (the current one). */
    tap(code: string): FrameTap {
      return taps.get(code) as FrameTap;
    },
    /** The terminal at an institution. */
    terminal(code: string): Terminal {
      const terminal = terminals.get(code);
      if (terminal === undefined) throw new Error(`no terminal at ${code}`);
      return terminal;
    },
    async restart(): Promise<ReferenceHub> {
      await hub.crash();
      hub = openHub(dir, options.clock, hubOptions);
      serve();
      return hub;
    },
    async close() {
      for (const terminal of terminals.values()) await terminal.client.close();
      for (const tap of taps.values()) tap.stop();
      await hub.close();
      temp.remove();
    },
  };
}

/** What a terminal got for a seed patient: the settlement's setl_id (and the settle's wall time, ms), or the code that refused it (locally or at the hub). */
export type SeedOutcome = { readonly ok: true; readonly setl_id: string; readonly ms: number } | { readonly ok: false; readonly code: string };

/** A terminal settles a seed patient's pending bill as the kiosk does (person, bill, local settlement, settle). */
export async function settleSeed(terminal: Terminal, seedIndex: number, acctUsed: boolean): Promise<SeedOutcome> {
  let prepared: Awaited<ReturnType<typeof prepareSettle>>;
  try {
    prepared = await prepareSettle(terminal, seedIndex, acctUsed);
  } catch (error) {
    return { ok: false, code: (error as Error).message.replace(/^local: /, '') };
  }
  const started = performance.now();
  const settled = await terminal.client.settle(prepared.body);
  return settled.ok ? { ok: true, setl_id: settled.value.setl_id, ms: performance.now() - started } : { ok: false, code: settled.error.code };
}

/**
 * A gateway between a site's terminals and the national simulator: the
 * simulator (its own seeded hub), the journal in `journalStore` (its table
 * made afresh), the gateway (a reference hub whose handler is a
 * NationalGateway) and a terminal at each seed institution. `restart`
 * crashes the gateway and starts a new one on the same directory and journal
 * (new clients resuming their msgids after the journal's last), which
 * recovers before it serves; `journalHook` wraps the journal (to crash
 * between its steps).
 */
export async function gatewaySite(
  journalStore: SqlStore,
  options: { fate?: FateHook; timeoutMs?: number; client?: Partial<HubClientOptions>; journalHook?: (journal: CallJournal) => CallJournal } = {},
) {
  const national = await nationalRig({ fate: options.fate });
  await journalStore.exec('DROP TABLE IF EXISTS national_call');
  const journal = await CallJournal.open(journalStore);
  const nowMs = () => national.clock.nowS * 1_000;
  const start = async () => {
    const clients = new Map<string, NationalClient>();
    for (const code of seedInstitutions()) clients.set(code, national.client(code, { timeoutMs: options.timeoutMs ?? 2_000, lastMsgid: await journal.lastMsgid(code) }));
    const clientFor = (code: string) => {
      const client = clients.get(code);
      if (client === undefined) throw new Error(`no client for ${code}`);
      return client;
    };
    return new NationalGateway(clientFor, options.journalHook?.(journal) ?? journal, testIdentity, nowMs);
  };
  let gateway = await start();
  const site = await siteRig({ clock: national.clock, handler: (ctx, terminal, request, digest) => gateway.handler(ctx, terminal, request, digest), client: options.client });
  return {
    national,
    journal,
    site,
    get gateway() {
      return gateway;
    },
    /** Crashes the gateway and starts it again: a new process on the same state and journal, recovered before it serves; how many calls it resolved. */
    async restart(): Promise<number> {
      gateway = await start();
      const resolved = await gateway.recover();
      await site.restart();
      return resolved;
    },
    async close() {
      await site.close();
      await national.close();
    },
  };
}

/** The settlements in force at the platform (the simulator's hub) for a visit. */
export function inForceAt(hub: ReferenceHub, mdtrtId: string) {
  return hub.state.ledger.filter((settlement) => settlement.event.input.mdtrt_id === mdtrtId && !settlement.reversed && settlement.cancelled === null);
}
