// Proves protocol/schema-encode.ts's `encodeTyped` writes exactly the bytes
// `encoder.encode(toWire(type, value, path))` writes (the reference hub's
// request digests and state log depend on it): for a sample of every message
// body and of every hub event kind, at every head size an integer can take
// (up to 2^53 - 1), for non-ASCII and astral text, for record keys that sort
// by length and code point, absent optional fields and nulls, and across a
// buffer that has to grow. And that it refuses what toWire refuses, with the
// same error class and message (field path included); and that the hub's
// bill and result digests written this way equal protocol/digests.ts's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCborEncoder } from '../../protocol/cbor-encode';
import { messageTypes } from '../../protocol/messages';
import { list, nullable, optional, record, struct, text, toWire, uint, type Type } from '../../protocol/schema';
import { encodeTyped } from '../../protocol/schema-encode';
import { encodeEvent, decodeEvent, eventKindIndex, eventBodyType as eventType } from '../../device/sim/hub/events';
import { billDigestDirect, settlementDigestDirect } from '../../device/sim/hub/handlers';
import { billDigest } from '../../protocol/digests';
import { settlementDigest } from '../../protocol/settle-request';
import { sampleBodies, sampleLineResults, sampleLines, sampleResult } from '../helpers/messages';

const encoder = createCborEncoder();

function same<T>(type: Type<T>, value: T, path = 'v'): void {
  assert.equal(Buffer.from(encodeTyped(type, value, path)).toString('hex'), Buffer.from(encoder.encode(toWire(type, value, path))).toString('hex'));
}

function sameError<T>(type: Type<T>, value: T, path = 'v'): void {
  let expected: Error | undefined;
  try {
    toWire(type, value, path);
  } catch (error) {
    expected = error as Error;
  }
  assert.ok(expected !== undefined, 'toWire refuses the value');
  try {
    encodeTyped(type, value, path);
    assert.unreachable('encodeTyped refuses it too');
  } catch (error) {
    assert.is((error as Error).constructor, (expected as Error).constructor);
    assert.is((error as Error).message, (expected as Error).message);
  }
}

test('every message body encodes to the bytes toWire + cbor-x write', () => {
  const bodies = sampleBodies() as Record<string, unknown>;
  for (const type of messageTypes) same(type.body as Type<unknown>, bodies[type.name], 'body');
});

test('integers at every head size, up to 2^53 - 1', () => {
  const big = uint(Number.MAX_SAFE_INTEGER);
  for (const n of [0, 1, 23, 24, 255, 256, 65_535, 65_536, 0xffff_ffff, 0x1_0000_0000, 0x1_0000_0001, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER]) same(big, n);
});

test('text: ASCII, CJK, astral, empty; byte strings; lists crossing head sizes', () => {
  const anyText = text(4_000, 0);
  for (const value of ['', 'a', 'x'.repeat(23), 'x'.repeat(24), 'x'.repeat(256), '张三', '药品 aspirin 0.1g', '😀 emoji', 'é'.repeat(200)]) same(anyText, value);
  const many = list(uint(1_000), 70_000);
  for (const count of [0, 23, 24, 255, 256, 65_536]) same(many, Array.from({ length: count }, (_, i) => i % 1_000));
});

test('records sort their keys as cbor-encode does: by UTF-8 length, then code point', () => {
  const map = record(text(32), uint(100), 20);
  same(map, { b: 1, a: 2, aa: 3, z: 4, 中: 5, ab: 6, '\u{1F600}': 7, '\uE000': 8 });
  same(map, {});
});

test('absent optional fields and nulls', () => {
  const shape = struct({ a: uint(9), b: nullable(text(5)), c: optional(uint(9)) });
  same(shape, { a: 1, b: null });
  same(shape, { a: 1, b: 'x', c: 2 });
});

test('refuses what toWire refuses, with the same error and path', () => {
  const shape = struct({ a: uint(9), b: nullable(text(5)), l: list(uint(3), 2), c: optional(uint(9)) });
  sameError(shape, { a: 10, b: null, l: [] } as never);
  sameError(shape, { a: 1, b: 'toolong', l: [] } as never);
  sameError(shape, { a: 1, b: '\uD800', l: [] } as never);
  sameError(shape, { b: null, l: [] } as never);
  sameError(shape, { a: 1, b: null, l: [1, 4] } as never);
  sameError(shape, { a: 1, b: null, l: [1, 2, 3] } as never);
  sameError(shape, { a: 1, b: null, l: [], extra: 1 } as never);
  sameError(shape, { a: '1', b: null, l: [] } as never);
  sameError(shape, [] as never);
  sameError(record(text(3), uint(1), 1), { a: 1, b: 1 } as never);
  sameError(record(text(3), uint(1), 5), { long: 1 } as never);
});

test('a buffer grown past its first size and reused gives the same bytes', () => {
  const long = list(text(60_000), 4);
  same(long, ['y'.repeat(50_000), 'z'.repeat(50_000)]);
  same(uint(10), 7);
});

test('hub events are written as toWire + cbor-x write them, and decode back', () => {
  const bodies = sampleBodies();
  const digest = new Uint8Array(32).fill(7);
  const settled = { kind: 'settled', terminal: 'T110105-0042', seq: 9, digest, setl_id: 'S000000000001', setl_time: 1_773_475_200, source: 'settle', local_setl_id: null, fixmedins_code: 'H11010500001', insuplc_admdvs: '110105', input: bodies.settle.input, result: bodies.settle.result, result_digest: bodies.settle.result_digest } as const;
  const cancelled = { kind: 'cancelled', terminal: 'T110105-0042', seq: 10, digest, setl_id: 'S000000000001', cancel_setl_id: 'C000000000001', cancel_time: 1_773_475_260 } as const;
  for (const event of [settled, cancelled]) {
    const { kind, ...body } = event;
    const written = encodeEvent(encoder, event as never);
    assert.equal(Buffer.from(written).toString('hex'), Buffer.from(encoder.encode([eventKindIndex(kind), toWire(eventType(kind), body, kind)])).toString('hex'));
    assert.equal(decodeEvent(written), event);
  }
});

test("the hub's direct digests equal protocol/digests.ts's", () => {
  for (const count of [1, 20, 300]) {
    const lines = sampleLines(count);
    assert.equal(billDigestDirect(lines), billDigest(encoder, lines));
    const result = sampleResult(lines);
    const parts = { ...result, lines: sampleLineResults(lines) };
    assert.equal(settlementDigestDirect(parts as never), settlementDigest(encoder, parts as never));
  }
});

test.run();
