// Proves who may cancel a settlement (issue 12, attack 4: any terminal of the
// same institution could cancel another terminal's settlement). The rule
// (README, who may cancel): a terminal cancels its own settlements; another
// terminal's only when it is a staffed counter terminal (enrolled with role
// `counter`) with an operator signed in, as the national interface cancels by
// institution with an operator. Both sides: another kiosk of the institution
// is refused `cancel_not_allowed` and the settlement stands; so is a counter
// terminal with no operator; a kiosk cannot sign in with an operator
// (`key_rejected`); the counter terminal with its operator cancels, and the
// terminal that settled can cancel its own.
// Replay the attack: npm test -- hub-cancel
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { TerminalJournal } from '../../src/journal/journal';
import { FrameTap, openTerminal, prepareSettle, rig, terminalSigner } from '../helpers/hub-rig';
import { MemoryDisk } from '../helpers/memory-disk';

type Rig = Awaited<ReturnType<typeof rig>>;
const code = <T>(out: { ok: true; value: T } | { ok: false; error: { code: string } }) => (out.ok ? 'ok' : out.error.code);

/** Another terminal of Mr. Zhang's hospital on its own tap, its seqs clear of T1's. */
async function another(r: Rig, id: string, signer: number, index: number, operator: string | null, taps: FrameTap[]) {
  const tap = new FrameTap();
  taps.push(tap);
  void r.hub.serve(tap.hubPort);
  const storage = new MemoryDisk();
  const storeDir = path.join(r.temp.dir, `${id}-${operator ?? 'none'}`);
  TerminalJournal.open({ storage, file: path.join(storeDir, 'journal') }).commit({ kind: 'seq_block', up_to: 10_000 * index });
  return openTerminal({ id, signer: terminalSigner(signer), storeDir, storage, link: async () => tap.terminalEnd, hub: r.hub, clock: r.clock, client: { operator } });
}

test('another kiosk of the institution cannot cancel a settlement; a counter terminal with an operator can; the settling terminal can', async () => {
  const r = await rig();
  const taps: FrameTap[] = [];
  try {
    const { body } = await prepareSettle(r.terminal);
    const settled = await r.terminal.client.settle(body);
    assert.ok(settled.ok, JSON.stringify(settled));
    if (!settled.ok) return;
    const cancel = { setl_id: settled.value.setl_id, mdtrt_id: body.input.mdtrt_id, psn_no: body.input.psn_no, reason: 'at the counter' };
    r.hub.enroll('K2', terminalSigner(2).publicKey, 'H11010600001');
    r.hub.enroll('C1', terminalSigner(3).publicKey, 'H11010600001', 'counter');

    const kiosk = await another(r, 'K2', 2, 2, null, taps);
    assert.is(code(await kiosk.client.cancel(cancel, body.result.setlinfo)), 'cancel_not_allowed', 'another kiosk');
    assert.is(r.hub.state.settlement(settled.value.setl_id)?.cancelled, null, 'the settlement stands');
    await kiosk.client.close();

    const kioskWithOperator = await another(r, 'K2', 2, 4, 'op-07', taps);
    assert.is(code(await kioskWithOperator.client.signIn()), 'key_rejected', 'a kiosk signs in with no operator');
    await kioskWithOperator.client.close();

    const counterAlone = await another(r, 'C1', 3, 5, null, taps);
    assert.is(code(await counterAlone.client.cancel(cancel, body.result.setlinfo)), 'cancel_not_allowed', 'a counter terminal with no operator');
    assert.is(r.hub.state.settlement(settled.value.setl_id)?.cancelled, null, 'the settlement still stands');
    await counterAlone.client.close();

    const counter = await another(r, 'C1', 3, 6, 'op-07', taps);
    assert.is(code(await counter.client.cancel(cancel, body.result.setlinfo)), 'ok', 'a counter terminal with an operator signed in');
    assert.is(r.hub.state.settlement(settled.value.setl_id)?.cancelled?.terminal, 'C1');
    await counter.client.close();

    // The settling terminal cancels its own (the cancelled bill is pending again: settle it and cancel again).
    const again = await prepareSettle(r.terminal);
    const second = await r.terminal.client.settle(again.body);
    assert.ok(second.ok, JSON.stringify(second));
    if (!second.ok) return;
    const own = await r.terminal.client.cancel({ setl_id: second.value.setl_id, mdtrt_id: again.body.input.mdtrt_id, psn_no: again.body.input.psn_no, reason: '' }, again.body.result.setlinfo);
    assert.is(code(own), 'ok', 'its own');
  } finally {
    for (const tap of taps) tap.stop();
    await r.close();
  }
});

test.run();
