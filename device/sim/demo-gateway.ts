// `npm start -- --gateway`: the demo's terminals meet the gateway to the
// national interface (gateway/gateway.ts) instead of the plain reference hub,
// and the gateway calls the national platform's simulator
// (device/sim/national/) over HTTP on loopback: terminal → gateway →
// national simulator. The simulator runs over a reference hub of its own in
// the demo's state (`national/`), seeded as the gateway's is; the gateway's
// journal is PGlite in `gateway-db/`. Keys and the application secret are
// derived from fixed words: this is a demonstration, not a deployment.
// At the end: the gateway's figures (calls by infno, national JSON bytes
// each way) and the platform's ledger against the gateway's, to the fen.
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { SettleResult } from '../../protocol/messages';
import type { GatewayConfig, GatewayInstitution } from '../../gateway/config';
import { defaultAppAuthHeaders } from '../../gateway/envelope';
import { startGateway, type Gateway } from '../../gateway/gateway';
import { sm2PublicKeyOf } from '../../gateway/sm';
import { openStore, type SqlStore } from '../../gateway/store';
import type { Clock } from '../port';
import { ReferenceHub } from './hub/hub';
import { NationalSimulator, serveNationalSim } from './national/simulator';

/** A demo key: SHA-256 of fixed words (an SM2 private key for any such digest below the curve's order). */
const demoKey = (words: string): string => createHash('sha256').update(words).digest('hex');

export interface DemoGateway {
  readonly url: string;
  readonly handler: Gateway['handler'];
  readonly gateway: Gateway['gateway'];
  readonly national: NationalSimulator;
  readonly nationalHub: ReferenceHub;
  close(): Promise<void>;
}

/** The national simulator on loopback and the gateway for the demo's institutions. */
export async function startDemoGateway(root: string, institutions: readonly { fixmedins: string; name: string }[], timeS: () => number, clock: Clock): Promise<DemoGateway> {
  const nowMs = () => timeS() * 1_000 + (Math.floor(clock.nowMs()) % 1_000);
  const platformKey = demoKey('demo national platform key');
  const gatewayKey = demoKey('demo hospital gateway key');
  const appAuth = { appId: 'demo-hospital', appSecret: demoKey('demo application secret'), digest: 'sm3' as const, headers: defaultAppAuthHeaders };
  const nationalHub = ReferenceHub.open({ dir: path.join(root, 'national'), timeS, timers: clock });
  let store: SqlStore | null = null;
  let served: Awaited<ReturnType<typeof serveNationalSim>> | null = null;
  try {
    const national = new NationalSimulator({ hub: nationalHub, platformKey, gatewayPublicKey: sm2PublicKeyOf(gatewayKey), appAuth, nowMs, randomBytes: secureRandom });
    served = await serveNationalSim(national, '127.0.0.1', 0);
    const config: GatewayConfig = {
      url: served.url,
      timeoutMs: 10_000,
      gatewayKey,
      platformPublicKey: sm2PublicKeyOf(platformKey),
      appAuth,
      envelope: { recerSysCode: 'DEMO', devNo: 'DEMO-GW', devSafeInfo: '', infver: 'V1.0', opterType: '1', opter: 'KIOSK', opterName: '自助机' },
      identity: { opterNo: 'KIOSK', mac: '02:00:00:00:00:01', ip: '127.0.0.1', deptCode: 'D01', deptName: '门诊', drCode: 'DR0001', drName: '门诊医师', caty: 'A03', setlOptins: '110106' },
      institutions: new Map(institutions.map((site): [string, GatewayInstitution] => [site.fixmedins, { fixmedinsCode: site.fixmedins, fixmedinsName: site.name, mdtrtareaAdmvs: site.fixmedins.slice(1, 7) }])),
    };
    store = await openStore(path.join(root, 'gateway-db'));
    const started = await startGateway(config, store, { nowMs, randomBytes: secureRandom });
    const opened = { store, served };
    return {
      url: served.url,
      handler: started.handler,
      gateway: started.gateway,
      national,
      nationalHub,
      async close() {
        await opened.served.close();
        await opened.store.close();
        await nationalHub.close();
      },
    };
  } catch (error) {
    await served?.close();
    await store?.close();
    await nationalHub.close();
    throw error;
  }
}

/** node:crypto's CSPRNG: the nonces of the SM2 signatures and of the application headers. */
const secureRandom = (length: number): Uint8Array => new Uint8Array(randomBytes(length));

/** A record's entries sorted by key, as text. */
const sorted = (record: object): string => JSON.stringify(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
const amounts = (result: SettleResult): string => `${sorted(result.setlinfo)}|${JSON.stringify(result.setldetail.map((fund) => [fund.fund_pay_type, fund.fund_payamt]))}`;

/**
 * The platform's settlements in force against the gateway's: each one the
 * gateway holds in force is in force at the platform under the same setl_id
 * with the same amounts, to the fen, and the platform has no other.
 */
export function compareLedgers(gatewayHub: ReferenceHub, nationalHub: ReferenceHub): { equal: boolean; in_force: number; problems: string[] } {
  const inForce = (hub: ReferenceHub) => hub.state.ledger.filter((settlement) => !settlement.reversed && settlement.cancelled === null);
  const ours = inForce(gatewayHub);
  const theirs = new Map(inForce(nationalHub).map((settlement) => [settlement.event.setl_id, settlement] as const));
  const problems: string[] = [];
  for (const settlement of ours) {
    const national = theirs.get(settlement.event.setl_id);
    if (national === undefined) problems.push(`${settlement.event.setl_id} is not in force at the platform`);
    else if (amounts(national.event.result) !== amounts(settlement.event.result)) problems.push(`${settlement.event.setl_id}: the platform's amounts differ`);
    theirs.delete(settlement.event.setl_id);
  }
  for (const setlId of theirs.keys()) problems.push(`${setlId} is in force at the platform only`);
  return { equal: problems.length === 0, in_force: ours.length, problems };
}
