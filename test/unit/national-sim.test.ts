// Proves the national simulator (`hub national-sim`, device/sim/national/)
// over HTTP on loopback, driven by the gateway's own client
// (gateway/national/client.ts): every settleable seed patient goes 9001,
// 1101, 2201, 2203, 2204, 2206, 2207 and the amounts of 2206 and 2207 are the
// worked case's to the fen, 5203 finds the settlement by its msgid, 2208
// cancels it and 5203 then says so, 3201 agrees with the totals of what was
// settled and disagrees when they are off by a fen, 3202 lists no
// mismatch; and the simulator is as strict as the platform: a second use of a
// msgid, a request signed by another key, a missing or over-long field, a
// call without the sign-in's sign_no, a wrong application secret and a
// replayed application nonce are each refused with their code, and refused
// calls change nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkGroups, transactionOf } from '../../gateway/national/fields';
import * as map from '../../gateway/national/map';
import { appAuthHeaders, buildRequest } from '../../gateway/envelope';
import type { CallOutcome, NationalClient } from '../../gateway/national/client';
import { nationalRig, seedNational, seedRecon, testAppAuth, testEnvelope, testIdentity, gatewayKey } from '../helpers/national';

const seeds = seedNational();
const time = '2026-03-14 10:00:00';

function done(outcome: CallOutcome, what: string): map.Input {
  assert.is(outcome.kind, 'done', `${what}: ${JSON.stringify(outcome)}`);
  return (outcome as Extract<CallOutcome, { kind: 'done' }>).output;
}
function refused(outcome: CallOutcome, code: string, what: string): void {
  assert.ok(outcome.kind === 'refused' && outcome.code === code, `${what}: expected ${code}, got ${JSON.stringify(outcome)}`);
}

/** Registration, visit, fees: what comes before 2206/2207 for a seed. */
async function prepare(client: NationalClient, seed: (typeof seeds)[number]): Promise<void> {
  const { input, person, credential } = seed;
  done(await client.call('2201', map.registerInput(testIdentity, person, credential.id.slice(0, 50), input.mdtrt_id, time), person.insuplc_admdvs), '2201');
  done(await client.call('2203', map.visitInput(input, time), person.insuplc_admdvs), '2203');
  done(await client.call('2204', map.feeDetailInput(testIdentity, input, 'B1', time), person.insuplc_admdvs), '2204');
}

test('every settleable seed patient settles through the simulator as the worked case says, to the fen', async () => {
  const rig = await nationalRig();
  try {
    // One client per institution: a second one would start its msgids over.
    const clients = new Map<string, NationalClient>();
    for (const seed of seeds.filter((candidate) => candidate.result !== null)) {
      const code = rig.hub.state.bill(seed.input.mdtrt_id)?.fixmedins_code as string;
      const client = clients.get(code) ?? rig.client(code);
      clients.set(code, client);
      done(await client.call('9001', map.signInInput(testIdentity)), '9001');
      const person = map.personOf(done(await client.call('1101', map.personQueryInput(seed.credential, time)), '1101'));
      assert.equal(person, seed.person, seed.name);
      await prepare(client, seed);
      const data = map.settleDataInput(seed.input, seed.person.insutype, seed.credential, 'B1');
      const pre = map.settleResultOf(done(await client.call('2206', data, seed.person.insuplc_admdvs), '2206'));
      assert.equal(pre, seed.result, `${seed.name} 2206`);
      const settled = await client.call('2207', data, seed.person.insuplc_admdvs);
      const output = done(settled, '2207');
      assert.equal(map.settleResultOf(output), seed.result, `${seed.name} 2207`);
      const setlId = (output.setlinfo as map.Fields).setl_id as string;
      const query = done(await client.call('5203', map.settleQueryInput(seed.input.psn_no, seed.input.mdtrt_id, null)), '5203');
      assert.equal(query.setlinfo, { setl_id: setlId, mdtrt_id: seed.input.mdtrt_id, psn_no: seed.input.psn_no, setl_stas: '1', omsgid: settled.msgid });
      refused(await client.call('2207', data, seed.person.insuplc_admdvs), 'bill_not_found', 'a second 2207 of the visit');
    }
  } finally {
    await rig.close();
  }
});

test('3201 agrees with what was settled and not with a fen more; 3202 finds nothing amiss; 2208 cancels and 5203 says so', async () => {
  const rig = await nationalRig();
  try {
    const zhang = seeds[0] as (typeof seeds)[number];
    const client = rig.client('H11010600001');
    done(await client.call('9001', map.signInInput(testIdentity)), '9001');
    await prepare(client, zhang);
    const output = done(await client.call('2207', map.settleDataInput(zhang.input, zhang.person.insutype, zhang.credential, 'B1')), '2207');
    const setlId = (output.setlinfo as map.Fields).setl_id as string;
    const recon = seedRecon([zhang]);
    const entries = recon.entries.map((entry) => ({ ...entry, setl_id: setlId }));
    const totals = { ...recon.totals, stmt_begndate: '2026-03-14', stmt_enddate: '2026-03-14' };
    const agreed = done(await client.call('3201', map.reconTotalsInput(testIdentity, totals, zhang.person.insutype)), '3201');
    assert.is((agreed.stmtinfo as map.Fields).stmt_rslt, '0');
    const off = done(await client.call('3201', map.reconTotalsInput(testIdentity, { ...totals, fund_pay_sumamt: totals.fund_pay_sumamt + 1 }, zhang.person.insutype)), '3201');
    assert.is((off.stmtinfo as map.Fields).stmt_rslt, '1');
    assert.match((off.stmtinfo as map.Fields).stmt_rslt_dscr ?? '', 'fund_pay_sumamt');
    assert.equal(done(await client.call('3202', map.reconDetailInput(testIdentity, totals, entries)), '3202'), { mismatch: [] });
    const missing = done(await client.call('3202', map.reconDetailInput(testIdentity, totals, [])), '3202');
    assert.equal(missing, { mismatch: [{ setl_id: setlId, stmt_rslt: 'missing_at_institution' }] });
    done(await client.call('2208', map.cancelInput(setlId, zhang.input.mdtrt_id, zhang.input.psn_no)), '2208');
    const query = done(await client.call('5203', map.settleQueryInput(zhang.input.psn_no, zhang.input.mdtrt_id, setlId)), '5203');
    assert.is((query.setlinfo as map.Fields).setl_stas, '2');
  } finally {
    await rig.close();
  }
});

test('the simulator refuses what the platform refuses, each with its code, and a refusal changes nothing', async () => {
  const rig = await nationalRig();
  try {
    const zhang = seeds[0] as (typeof seeds)[number];
    const client = rig.client('H11010600001');
    refused(await client.call('1101', map.personQueryInput(zhang.credential, time)), 'sign_no_invalid', 'before 9001');
    done(await client.call('9001', map.signInInput(testIdentity)), '9001');
    const msgid = client.nextMsgid() as string;
    done(await client.send('1101', msgid, map.personQueryInput(zhang.credential, time), null), '1101');
    refused(await client.send('1101', msgid, map.personQueryInput(zhang.credential, time), null), 'msgid_duplicate', 'msgid again');

    const forger = rig.client('H11010600001', { gatewayKey: '0000000000000000000000000000000000000000000000000000000000000001' });
    forger.signNo = client.signNo;
    refused(await forger.call('1101', map.personQueryInput(zhang.credential, time)), 'signature_invalid', 'another key');

    const missing = map.personQueryInput(zhang.credential, time);
    delete (missing.data as map.Fields).begntime;
    refused(await client.call('1101', missing), 'field_missing', 'no begntime');
    const long = map.registerInput(testIdentity, zhang.person, 'x'.repeat(51), zhang.input.mdtrt_id, time);
    refused(await client.call('2201', long), 'field_length', '51-character mdtrt_cert_no');
    refused(await client.call('2207', map.settleDataInput(zhang.input, zhang.person.insutype, zhang.credential, 'B1')), 'visit_not_registered', '2207 before 2201');

    const wrongSecret = rig.client('H11010600001', { appAuth: { ...testAppAuth, appSecret: 'wrong' } });
    refused(await wrongSecret.call('9001', map.signInInput(testIdentity)), 'auth_signature', 'wrong application secret');

    // A replayed application nonce: the same headers twice.
    const request = buildRequest(testEnvelope('H11010600001'), { infno: '9001', msgid: client.nextMsgid() as string, nowMs: rig.clock.nowS * 1_000, insuplcAdmdvs: null, signNo: null, input: map.signInInput(testIdentity) }, gatewayKey, () => new Uint8Array(32).fill(9));
    const headers = appAuthHeaders(testAppAuth, rig.clock.nowS * 1_000, () => new Uint8Array(16).fill(3));
    const first = await fetch(rig.url, { method: 'POST', headers, body: JSON.stringify(request) });
    assert.is(first.status, 200);
    const again = await fetch(rig.url, { method: 'POST', headers, body: JSON.stringify(request) });
    assert.is(again.status, 401);
    assert.match(await again.text(), 'auth_replay');

    assert.is(rig.hub.state.ledger.length, 0, 'nothing was settled');
    const spec = transactionOf('1101');
    assert.ok(spec && checkGroups(spec.input, map.personQueryInput(zhang.credential, time), 'input').ok);
  } finally {
    await rig.close();
  }
});

test.run();
