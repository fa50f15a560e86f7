// Proves the hub client's retry budget (src/hub/client.ts, issue 19): a hub
// that hears the terminal but whose replies arrive spoiled (garbage bytes on
// the line instead of the reply frame) is asked again, past the bound on
// silent attempts, while the patient-facing deadline allows, and the request
// then succeeds; a hub that sends nothing at all is given up after exactly
// `attemptsMax` attempts with a `timeout` that says it did not answer; and an
// attempt's deadline grows with the request frame's time at the line's baud.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { seedIdentities } from '../../device/sim/hub/seed';
import { hubPatienceAttempts, lineBitsPerByteMax } from '../../src/hub/limits';
import { rig } from '../helpers/hub-rig';

const zhang = seedIdentities()[0] as ReturnType<typeof seedIdentities>[number];
const credential = { kind: 'ss_card', id: zhang.cardNumber, card_sn: zhang.cardSerial } as const;

test('spoiled replies: asked again past the silent bound, then answered', async () => {
  const r = await rig({ client: { attemptsMax: 2 } });
  try {
    assert.ok((await r.terminal.client.signIn()).ok);
    let spoiled = 0;
    r.tap.down = (_index, type) => {
      if (type !== 'person_query_reply' || spoiled >= 5) return 'deliver';
      spoiled += 1;
      // The reply's place on the line holds bytes that are no frame: the hub was heard, its answer was not.
      void r.tap.injectDown(new Uint8Array([0x11, 0x22, 0x33, 0x44, 0x55, 0x00]));
      return 'drop';
    };
    const out = await r.terminal.client.person(credential);
    assert.ok(out.ok, JSON.stringify(out));
    assert.is(spoiled, 5);
    assert.is(r.tap.frames.filter((frame) => frame.type === 'person_query' && frame.direction === 'up').length, 6, 'six attempts, over attemptsMax (2) silent ones');
  } finally {
    await r.close();
  }
});

test('a silent hub: given up after attemptsMax attempts, timeout "did not answer"', async () => {
  const r = await rig({ client: { attemptsMax: 3 } });
  try {
    assert.ok((await r.terminal.client.signIn()).ok);
    r.tap.up = (_index, type) => (type === 'person_query' ? 'drop' : 'deliver');
    const out = await r.terminal.client.person(credential);
    assert.ok(!out.ok && out.error.code === 'timeout' && /person_query: the hub did not answer/.test(out.error.detail), JSON.stringify(out));
    assert.is(r.tap.frames.filter((frame) => frame.type === 'person_query' && frame.direction === 'up').length, 3);
  } finally {
    await r.close();
  }
});

test('deadlines follow the line: the frame time at the baud, the patience a bounded number of attempts', async () => {
  const r = await rig({ client: { baud: 1_200, requestTimeoutMs: 3_000 } });
  try {
    const client = r.terminal.client;
    assert.is(client.lineMs(1_200), Math.ceil((1_200 * lineBitsPerByteMax * 1_000) / 1_200));
    assert.is(client.patienceMs(1_200), hubPatienceAttempts * (3_000 + 2 * client.lineMs(1_200)));
    assert.ok(client.patienceMs(4_096) > client.patienceMs(100), 'a longer frame is given longer');
  } finally {
    await r.close();
  }
});

test.run();
