// smoke (temporary)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rig, settleLocally } from '../helpers/hub-rig';
import { seedIdentities } from '../../device/hub/seed';

test('sign in, sync, person, bill, settle', async () => {
  const r = await rig();
  try {
    const { client } = r.terminal;
    const signed = await client.signIn();
    assert.ok(signed.ok, JSON.stringify(signed));
    const c = await client.sync('catalogue');
    assert.ok(c.ok, JSON.stringify(c));
    const p = await client.sync('policy_book');
    assert.ok(p.ok, JSON.stringify(p));
    const zhang = seedIdentities()[0]!;
    const person = await client.person({ kind: 'ss_card', id: zhang.cardNumber, card_sn: zhang.cardSerial });
    assert.ok(person.ok, JSON.stringify(person));
    if (!person.ok) return;
    const bill = await client.bill(person.value.psn_no, null);
    assert.ok(bill.ok, JSON.stringify(bill));
    if (!bill.ok || !signed.ok) return;
    const local = settleLocally(r.terminal, person.value, signed.value.institution, bill.value, false);
    assert.ok(local.ok, JSON.stringify(local));
    if (!local.ok) return;
    const settled = await client.settle(local.body);
    assert.ok(settled.ok, JSON.stringify(settled));
    console.log(settled, r.hub.state.person(person.value.psn_no)?.person.ytd);
  } finally {
    await r.close();
  }
});

test.run();
