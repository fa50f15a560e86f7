// Proves the reference hub's seed data is the worked cases' and that the hub
// settles them as docs/settlement.md says: device/sim/hub/seed-cases.json holds the
// stories and cases of test/fixtures/cases unchanged; and, for every seed
// patient, a terminal at the case's institution signs in, syncs its catalogue
// and policy book, finds the patient by card (and by ID card and
// e-certificate), fetches the pending bill, settles it on the core and has the
// hub confirm it (or refuse it with the case's code): the hub's ledger then
// holds the case's expected result to the fen, and the patient's
// accumulators moved by exactly its acc_delta.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import seedCases from '../../device/sim/hub/seed-cases.json';
import { seedIdentities, seedInstitutions } from '../../device/sim/hub/seed';
import { applyAccDelta } from '../../src/core/accumulators';
import { workedCases } from '../helpers/cases';
import { FrameTap, openTerminal, rig, settleLocally, terminalSigner } from '../helpers/hub-rig';

test('seed-cases.json is test/fixtures/cases, story and case unchanged', () => {
  const fixtures = workedCases();
  assert.is(seedCases.length, fixtures.length);
  for (const [index, fixture] of fixtures.entries()) {
    const seed = seedCases[index] as { name: string; story: string; case: unknown };
    assert.is(`${seed.name}.json`, fixture.name);
    assert.is(seed.story, fixture.story);
    assert.equal(seed.case, fixture.case);
  }
});

test('every seed patient settles at the hub as the worked case says', async () => {
  const r = await rig();
  try {
    const fixtures = workedCases();
    const identities = seedIdentities();
    const institutions = new Map(seedInstitutions().map((institution, index) => [institution.fixmedins_code, index]));
    for (const [code, index] of institutions) if (code !== 'H11010600001') r.hub.enroll(`T-${code}`, terminalSigner(10 + index).publicKey, code);
    // One terminal per institution, kept: a terminal whose journal starts afresh reuses seqs, which the hub refuses (replay_stale).
    const terminals = new Map<string, Awaited<ReturnType<typeof openTerminal>>>([['H11010600001', r.terminal]]);
    const taps: FrameTap[] = [];
    for (const [index, identity] of identities.entries()) {
      const fixture = fixtures[index] as (typeof fixtures)[number];
      const expected = fixture.expected as { ok: boolean; error?: { code: string }; setlinfo?: unknown; setldetail?: unknown; acc_delta?: Record<string, number> };
      const code = identity.fixmedins_code;
      let terminal = terminals.get(code);
      if (terminal === undefined) {
        const tap = new FrameTap();
        taps.push(tap);
        void r.hub.serve(tap.hubPort);
        terminal = await openTerminal({ id: `T-${code}`, fixmedinsCode: code, signer: terminalSigner(10 + (institutions.get(code) as number)), storeDir: path.join(r.temp.dir, code), link: async () => tap.terminalEnd, hub: r.hub, clock: r.clock });
        terminals.set(code, terminal);
      }
      const { client } = terminal;
      const signed = await client.signIn();
      assert.ok(signed.ok, JSON.stringify(signed));
      if (!signed.ok) return;
      assert.ok((await client.sync('catalogue')).ok);
      assert.ok((await client.sync('policy_book')).ok);
      for (const credential of [
        { kind: 'id_card' as const, id: identity.idNumber, card_sn: null },
        { kind: 'ecert' as const, id: identity.ecert, card_sn: null },
      ]) {
        const found = await client.person(credential);
        assert.ok(found.ok && found.value.psn_no === identity.psn_no, `${credential.kind} finds ${identity.psn_no}`);
      }
      const person = await client.person({ kind: 'ss_card', id: identity.cardNumber, card_sn: identity.cardSerial });
      assert.ok(person.ok, `${fixture.name}: ${JSON.stringify(person)}`);
      if (!person.ok) return;
      const bill = await client.bill(identity.psn_no, null);
      assert.ok(bill.ok, `${fixture.name}: ${JSON.stringify(bill)}`);
      if (!bill.ok) return;
      assert.is(bill.value.mdtrt_id, identity.mdtrt_id);
      const caseRecord = (seedCases[index] as { case: { person: { acct_used: boolean } } }).case;
      const local = settleLocally(terminal, person.value, signed.value.institution, bill.value, caseRecord.person.acct_used);
      if (!expected.ok) {
        assert.equal(local, { ok: false, code: expected.error?.code }, fixture.name);
        const preSettle = await client.request('pre_settle', { input: { mdtrt_id: bill.value.mdtrt_id, psn_no: identity.psn_no, date: bill.value.date, med_type: bill.value.med_type, opsp_dise: bill.value.opsp_dise, acct_used: false, catalogue_version: terminal.catalogue.version as string, policy_version: terminal.policyBook.version as string, bill: bill.value.bill, lines: bill.value.lines } });
        assert.equal(preSettle.ok ? 'settled' : preSettle.error.code, expected.error?.code, `${fixture.name}: the hub refuses the same way`);
        continue;
      }
      assert.ok(local.ok, fixture.name);
      if (!local.ok) return;
      const before = person.value.ytd;
      const settled = await client.settle(local.body);
      assert.ok(settled.ok, `${fixture.name}: ${JSON.stringify(settled)}`);
      if (!settled.ok) return;
      const ledger = r.hub.state.settlement(settled.value.setl_id)?.event;
      assert.equal(ledger?.result.setlinfo, expected.setlinfo, `${fixture.name}: setlinfo to the fen`);
      assert.equal(ledger?.result.setldetail, expected.setldetail, `${fixture.name}: fund lines`);
      const after = r.hub.state.person(identity.psn_no)?.person.ytd;
      const applied = applyAccDelta(before, bill.value.date, expected.acc_delta ?? {}, 1);
      assert.ok(applied.ok);
      if (applied.ok) assert.equal(after, applied.ytd, `${fixture.name}: accumulators moved by the acc_delta`);
    }
    for (const [code, terminal] of terminals) if (code !== 'H11010600001') await terminal.client.close();
    for (const tap of taps) tap.stop();
  } finally {
    await r.close();
  }
});

test.run();
