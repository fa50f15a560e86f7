// Proves the wire form of the filing services (issue 16; docs/protocol.md):
// each body's bytes are pinned (a positional array, the filing type as its
// enum index, deterministic CBOR), so a hub and a terminal built apart agree
// on them; the strict decoder reads those bytes back to the same body; and
// what a hostile or broken peer could send instead (a type index past the
// list, a phone with letters, a missing field, an extra field, a date that
// is no calendar day, a referral number too long) is refused with
// schema_violation naming the field, never thrown past the gate.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCborEncoder } from '../../protocol/cbor-encode';
import { decodeStrict } from '../../protocol/cbor-decode';
import { messageTypeByName, type BodyOf, type MessageName } from '../../protocol/messages';
import { fromWire, toWire } from '../../protocol/schema';

const encoder = createCborEncoder();
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const filing = { type: 'temporary' as const, area: '110000', begndate: '2026-03-20', enddate: '2026-09-15', fixmedins: null };

/** Each body and its bytes, as the wire carries them (written out once from the encoder and checked by hand against RFC 8949). */
const vectors: ReadonlyArray<{ type: MessageName; body: unknown; hex: string }> = [
  { type: 'filing_query', body: { psn_no: 'P130125000005' }, hex: '816d50313330313235303030303035' },
  {
    type: 'filing_apply',
    body: { psn_no: 'P130125000005', filing, referral_no: null, commitment: true, tel: '13900000000' } satisfies BodyOf<'filing_apply'>,
    hex: '856d503133303132353030303030358505663131303030306a323032362d30332d32306a323032362d30392d3135f6f6f56b3133393030303030303030',
  },
  { type: 'filing_apply_reply', body: { filing_id: 'F000000000001', filing }, hex: '826d463030303030303030303030318505663131303030306a323032362d30332d32306a323032362d30392d3135f6' },
  { type: 'filing_cancel', body: { psn_no: 'P130125000005', filing_id: 'F000000000001', reason: '' }, hex: '836d503133303132353030303030356d46303030303030303030303031' + '60' },
  { type: 'filing_cancel_reply', body: { filing_id: 'F000000000001', cancel_time: 1_773_972_000 }, hex: '826d463030303030303030303030311a69bcaa20' },
  { type: 'filing_query_reply', body: { filings: [{ filing_id: 'F000000000001', filing, made_date: '2026-03-20', cancelled: true }] }, hex: '8181846d463030303030303030303030318505663131303030306a323032362d30332d32306a323032362d30392d3135f66a323032362d30332d3230f5' },
];

for (const vector of vectors) {
  test(`${vector.type}: its pinned bytes, and back`, () => {
    const schema = messageTypeByName(vector.type).body;
    const bytes = encoder.encode(toWire(schema, vector.body, 'body'));
    assert.is(hex(bytes), vector.hex);
    const decoded = decodeStrict(bytes);
    assert.ok(decoded.ok);
    if (decoded.ok) assert.equal(fromWire(schema, decoded.value, 'body'), vector.body);
  });
}

/** The error the gate gives a wire value: its class and the field path, or 'ok'. */
function refusal(type: MessageName, wire: unknown): string {
  try {
    fromWire(messageTypeByName(type).body, wire as never, 'body');
    return 'ok';
  } catch (error) {
    return (error as Error).message.split(':')[0] as string;
  }
}

test('what a broken peer sends instead is refused at the field, never thrown past the gate', () => {
  const good = ['P130125000005', [5, '110000', '2026-03-20', '2026-09-15', null], null, true, '13900000000'];
  assert.is(refusal('filing_apply', good), 'ok');
  const bad: ReadonlyArray<[string, unknown, string]> = [
    ['a filing type past the list', ['P130125000005', [6, '110000', '2026-03-20', '2026-09-15', null], null, true, '13900000000'], 'body.filing.type'],
    ['a phone with letters', [...good.slice(0, 4), '1390000abcd'], 'body.tel'],
    ['a field missing', good.slice(0, 4), 'body'],
    ['a field more', [...good, 1], 'body'],
    ['no calendar day', ['P130125000005', [5, '110000', '2026-02-30', '2026-09-15', null], null, true, '13900000000'], 'body.filing.begndate'],
    ['a referral number too long', ['P130125000005', [3, '110000', '2026-03-20', '2026-09-15', null], 'R'.repeat(31), true, '13900000000'], 'body.referral_no'],
    ['commitment not a bool', [...good.slice(0, 3), 1, '13900000000'], 'body.commitment'],
  ];
  for (const [name, wire, path] of bad) assert.is(refusal('filing_apply', wire), path, name);
  assert.is(refusal('filing_cancel_reply', ['F000000000001', -1]), 'body.cancel_time');
});

test.run();
