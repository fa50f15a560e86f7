// Proves the e-certificate token's check (issue 19, emulator fidelity): every
// token the seeds and the synthetic population hand out carries it (its last
// 8 characters, the CRC-32 of the rest in hex), and the terminal verifies it
// before it asks the hub. A scanned token with one character misread, a
// token whose check was made up, and one whose check is not hex at all, are
// each refused with the stable code `token_check_failed` and the patient's
// "credential not valid" sentence, with no frame sent to the hub for them;
// the same patient's true token goes on to the bill.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ecertCheck } from '../../protocol/messages';
import { syntheticCredentials, withEcertCheck } from '../../device/sim/hub/seed';
import { sampleToken } from '../../device/sim/qr-scanner-emulator';
import { seededRandom } from '../../device/sim/prng';
import { ecertTokenPattern } from '../../device/qr-scanner';
import { messageFor } from '../../src/session/messages';
import { compliant, identities, TerminalRig, wang } from '../helpers/terminal-rig';

const checked = (token: string) => ecertCheck(token.slice(0, -8)) === token.slice(-8);

test('every token handed out carries its check and the scanner format', () => {
  const tokens = [...identities.map((identity) => identity.ecert), ...[0, 1, 99].map((index) => syntheticCredentials(7, index).find((c) => c.kind === 'ecert')?.id as string), sampleToken(seededRandom(3)), sampleToken(seededRandom(4), 16)];
  for (const token of tokens) {
    assert.ok(ecertTokenPattern.test(token), token);
    assert.ok(checked(token), token);
  }
  assert.is(ecertCheck('ECT1:SEED-330400000002-'), withEcertCheck('ECT1:SEED-330400000002-').slice(-8));
  assert.match(ecertCheck(''), /^0{8}$/, 'the CRC-32 of nothing is 0');
});

test('a misread, a made-up check and a check that is no hex number are refused as token_check_failed, the hub not asked; the true token goes on', async () => {
  const rig = await TerminalRig.open({ fixmedins: wang.fixmedins_code });
  try {
    const misread = wang.ecert.replace('SEED', 'SEEO');
    const madeUp = `${wang.ecert.slice(0, -8)}00000000`;
    const notHex = `${wang.ecert.slice(0, -8)}zz-_zz00`;
    for (const token of [misread, madeUp, notHex]) {
      assert.ok(ecertTokenPattern.test(token), 'the scanner takes it: the format is right');
      const frames = rig.hub.stats.frames;
      const { states, code } = await rig.visit({ psn_no: wang.psn_no, ecert: token }, 'qr', compliant(true));
      assert.is(code, 'token_check_failed', token);
      assert.equal(states.slice(0, 2), ['person', 'message'], states.join(' '));
      assert.is(rig.hub.stats.frames, frames, 'no frame to the hub for it');
      const shown = rig.frames.flat().join('\n');
      assert.ok(shown.includes(messageFor('token_check_failed').zh.slice(0, 8)), shown);
    }
    assert.equal(messageFor('token_check_failed'), messageFor('credential_invalid'));
    const { states } = await rig.visit(wang, 'qr', compliant(true));
    assert.ok(states.includes('bill') && states.includes('done'), states.join(' '));
  } finally {
    await rig.close();
  }
});

test.run();
