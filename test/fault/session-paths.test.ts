// Proves the session's promise to a patient who leaves: every state's
// timeout and cancel path ends with nothing charged. The firmware's terminal
// runs in this process on the emulated site (test/helpers/terminal-rig.ts),
// Mr. Zhang at his Beijing hospital (card and PIN, an inpatient bill):
// for each state before the charge is final, the patient either does
// nothing (the state's timeout, shortened here; for the card reader and the
// hub, their line is cut for longer than it) or presses cancel; then the
// hub must hold nothing in force for his bill and his accumulators must be
// as seeded, once whatever the terminal queued (reversals) has been sent.
// A cancel during the settle is carried out by cancelling the confirmed
// settlement (2208); a settle without an answer is reversed. The table also
// covers a wrong PIN, the end of a visit, and that from `print` on the
// settlement stands.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { State } from '../../src/session/machine';
import { compliant, TerminalRig, zhang, type Script } from '../helpers/terminal-rig';

const bill = zhang.mdtrt_id;
let rig: TerminalRig;

test.before(async () => {
  rig = await TerminalRig.open({ timeoutsMs: { pin: 400, review: 400, confirm: 400, card: 300, person: 300, bill: 300 } });
});

test.after(async () => {
  await rig.close();
});

/** The compliant patient up to `state`, where they cancel or walk away (`cut`: the line that stops answering there). */
function leaving(state: State, how: 'cancel' | 'timeout'): Script {
  const script: Script = { ...compliant(false) };
  script[state] = (r) => {
    if (how === 'cancel') r.keys.push('cancel');
    else if (state === 'card') r.far.lines[0]?.cut(1_000);
    else if (state === 'person' || state === 'bill') r.cutHub(2_000);
    else if (state === 'settle') r.cutHub(3_000);
  };
  return script;
}

const table: { state: State; how: 'cancel' | 'timeout'; code: string }[] = [
  { state: 'pin', how: 'timeout', code: 'session_timeout' },
  { state: 'pin', how: 'cancel', code: 'patient_cancelled' },
  { state: 'card', how: 'cancel', code: 'patient_cancelled' },
  { state: 'card', how: 'timeout', code: 'session_timeout' },
  { state: 'person', how: 'cancel', code: 'patient_cancelled' },
  { state: 'person', how: 'timeout', code: 'session_timeout' },
  { state: 'bill', how: 'cancel', code: 'patient_cancelled' },
  { state: 'bill', how: 'timeout', code: 'session_timeout' },
  { state: 'review', how: 'timeout', code: 'session_timeout' },
  { state: 'review', how: 'cancel', code: 'patient_cancelled' },
  { state: 'confirm', how: 'timeout', code: 'session_timeout' },
  { state: 'confirm', how: 'cancel', code: 'patient_cancelled' },
  // The request is out: a cancel cancels the confirmed settlement; no answer reverses it (an inpatient bill never settles offline).
  { state: 'settle', how: 'cancel', code: 'patient_cancelled' },
  { state: 'settle', how: 'timeout', code: 'offline_not_allowed' },
];

for (const row of table) {
  test(`${row.state}, ${row.how}: ${row.code}, nothing charged`, async () => {
    const { states, code } = await rig.visit(zhang, 'card', leaving(row.state, row.how));
    assert.ok(states.includes(row.state), states.join(' '));
    assert.is(states.at(-2), 'message', states.join(' '));
    assert.is(code, row.code);
    // Whatever the terminal queued (a reversal) goes once the line is back.
    await new Promise((resolve) => setTimeout(resolve, row.how === 'timeout' && ['person', 'bill', 'settle'].includes(row.state) ? 3_000 : 50));
    assert.is(await rig.terminal.client.flush(), 0, 'the queue empties');
    assert.is(rig.inForce(bill), 0, 'nothing in force at the hub');
    assert.ok(rig.untouched(zhang.psn_no), 'accumulators and account as seeded');
    assert.equal(rig.terminal.journal.inFlight(), [], 'nothing left in flight');
  });
}

test('a wrong PIN asks again (the card counts the tries); the right one goes on, and the settlement stands from print on', async () => {
  let pins = 0;
  const script: Script = {
    ...compliant(false),
    pin: (r) => r.keys.push(pins++ === 0 ? '654321' : '123456'),
    print: (r) => r.keys.push('cancel'),
  };
  const { states, code, setl } = await rig.visit(zhang, 'card', script);
  assert.equal(states.slice(0, 5), ['pin', 'card', 'pin', 'card', 'person'], states.join(' '));
  assert.is(code, null);
  assert.ok(setl !== null && !setl.offline);
  assert.is(rig.inForce(bill), 1, 'the settlement stands');
  const entry = rig.terminal.journal.entries().find((candidate) => candidate.setlId === setl?.id);
  assert.ok(entry !== undefined && entry.outcome === 'confirmed');
  // The receipt went on printing after the cancel and was journaled printed.
  for (let wait = 0; wait < 50 && !rig.terminal.journal.entry(entry.id)?.printed; wait += 1) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(rig.terminal.journal.entry(entry.id)?.printed, 'printed');
  assert.ok(rig.far.printer.transcript().includes(`[QR ${setl?.id}]`));
});

test.run();
