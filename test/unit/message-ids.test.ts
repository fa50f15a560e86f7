// Proves the message table's type ids are explicit and stable: no two
// messages share an id, every request's reply is the next id, and the table
// of id → name is exactly the one pinned below for the frame version this
// code writes (protocol/limits.ts, `frameVersion`, the byte every frame
// opens with). Changing or removing an id without a new frame version fails
// here; a new version pins its table beside the old ones, which stay. A
// version's table may only grow at its end (appended requests and replies,
// pinned below under the version as `appended`): an old peer never sends
// them and answers them `unknown_type`, so nothing it knows changes meaning.
// hub.cddl lists the same ids (test/unit/protocol-schema.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { frameVersion } from '../../protocol/limits';
import { messageTypeById, messageTypeByName, messageTypes, replyNameOf } from '../../protocol/messages';

/** Each frame version's message ids, as shipped. Append a version; never edit one. */
const pinned: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  1: {
    0: 'error',
    1: 'sign_in',
    2: 'sign_in_reply',
    3: 'sign_out',
    4: 'sign_out_reply',
    5: 'person_query',
    6: 'person_query_reply',
    7: 'bill_query',
    8: 'bill_query_reply',
    9: 'pre_settle',
    10: 'pre_settle_reply',
    11: 'settle',
    12: 'settle_reply',
    13: 'cancel',
    14: 'cancel_reply',
    15: 'reversal',
    16: 'reversal_reply',
    17: 'advice',
    18: 'advice_reply',
    19: 'recon_totals',
    20: 'recon_totals_reply',
    21: 'recon_detail',
    22: 'recon_detail_reply',
    23: 'manifest',
    24: 'manifest_reply',
    25: 'chunk',
    26: 'chunk_reply',
    27: 'key_rotation',
    28: 'key_rotation_reply',
    29: 'heartbeat',
    30: 'heartbeat_reply',
  },
};

/** Ids appended to a version after it shipped (issue 16: the filing services). Append only. */
const appended: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  1: {
    31: 'filing_query',
    32: 'filing_query_reply',
    33: 'filing_apply',
    34: 'filing_apply_reply',
    35: 'filing_cancel',
    36: 'filing_cancel_reply',
  },
};

test('no two messages share an id, and each name has one', () => {
  const ids = messageTypes.map((type) => type.id);
  assert.is(new Set(ids).size, ids.length);
  assert.is(new Set(messageTypes.map((type) => type.name)).size, messageTypes.length);
  for (const type of messageTypes) {
    assert.is(messageTypeById(type.id), type);
    assert.is(messageTypeByName(type.name), type);
  }
  assert.is(messageTypeById(messageTypes.length + 100), undefined);
});

test('the ids are those pinned for this frame version: none changed without a version bump', () => {
  const table = pinned[frameVersion];
  assert.ok(table !== undefined, `frame version ${frameVersion} has no pinned table: pin its ids here (and keep the older versions)`);
  assert.equal(Object.fromEntries(messageTypes.map((type) => [type.id, type.name])), { ...table, ...appended[frameVersion] });
  const shipped = Math.max(...Object.keys(table).map(Number));
  for (const id of Object.keys(appended[frameVersion] ?? {})) assert.ok(Number(id) > shipped, `appended id ${id} comes after the shipped ones`);
  for (let version = 1; version <= frameVersion; version += 1) assert.ok(pinned[version] !== undefined, `version ${version} stays pinned`);
});

test('a request is odd and its reply the next id; before sign-in only the error and the sign-in travel', () => {
  for (const type of messageTypes) {
    if (type.id === 0 || type.id % 2 === 0) continue;
    assert.is(messageTypeByName(replyNameOf(type.name) ?? 'error').id, type.id + 1, type.name);
  }
  assert.equal(messageTypes.filter((type) => type.beforeSignIn).map((type) => type.name), ['error', 'sign_in', 'sign_in_reply']);
  assert.equal([messageTypeByName('settle').national, messageTypeByName('settle_reply').national, messageTypeByName('advice').national], ['2207', '2207', '']);
});

test.run();
