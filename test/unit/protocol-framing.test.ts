// Proves the framing primitives on known values: CRC-32 gives the standard
// check value and agrees with zlib (every length and offset around its
// 8-byte steps); COBS matches the published examples
// (Wikipedia's table, from Cheshire & Baker) and round-trips every length
// around the 254-byte block edge; a frame carries its header and refuses a
// wrong version, direction or CRC as typed garbage.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import zlib from 'node:zlib';
import { cobsDecodeInto, cobsEncodedBytesMax, cobsEncodeInto, crc32, encodeFrame, encodeFrameHeader, FrameDecoder } from '../../protocol/framing';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

test('CRC-32 check value, and agreement with zlib on every length and offset around its 8-byte steps', () => {
  assert.is(crc32(Buffer.from('123456789')), 0xcbf43926);
  const zlibCrc = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;
  if (zlibCrc !== undefined) {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31 + (i >> 7)) & 0xff);
    assert.is(crc32(data), zlibCrc(data));
    // Every length and start around the 8-byte steps: the steps and the tail agree with zlib.
    for (let from = 0; from < 9; from += 1) {
      for (let end = from; end < from + 40; end += 1) assert.is(crc32(data, from, end), zlibCrc(data.subarray(from, end)), `bytes [${from}, ${end})`);
    }
  }
});

const cobsTable: ReadonlyArray<[string, string]> = [
  ['00', '0101'],
  ['0000', '010101'],
  ['001100', '01021101'],
  ['11220033', '03112202 33'.replace(' ', '')],
  ['11223344', '0511223344'],
  ['11000000', '0211010101'],
];

test('COBS encodes the published examples', () => {
  for (const [input, expected] of cobsTable) {
    const data = Buffer.from(input, 'hex');
    const out = new Uint8Array(cobsEncodedBytesMax(data.length));
    const end = cobsEncodeInto(data, out, 0);
    assert.is(hex(out.subarray(0, end)), expected, input);
  }
});

test('COBS round-trips every length from 0 to 600 (block edges at 254)', () => {
  for (let length = 0; length <= 600; length += 1) {
    const data = Uint8Array.from({ length }, (_, i) => (i % 7 === 3 ? 0 : 1 + (i % 255)));
    const encoded = new Uint8Array(cobsEncodedBytesMax(length));
    const end = cobsEncodeInto(data, encoded, 0);
    assert.ok(end <= encoded.length && !encoded.subarray(0, end).includes(0), `length ${length}`);
    const decoded = new Uint8Array(length + 1);
    const size = cobsDecodeInto(encoded, end, decoded);
    assert.is(hex(decoded.subarray(0, size)), hex(data), `length ${length}`);
  }
});

test('COBS decode refuses a code pointing past the end, and output that does not fit', () => {
  assert.is(cobsDecodeInto(Uint8Array.of(5, 1, 2), 3, new Uint8Array(10)), -1);
  assert.is(cobsDecodeInto(new Uint8Array(20).fill(1), 20, new Uint8Array(10)), -2);
});

test('a frame carries its header; wrong version, direction or CRC come out as typed garbage', () => {
  const header = encodeFrameHeader('down', 0x01020304);
  assert.is(hex(header), '010101020304');
  const frame = encodeFrame(header, Uint8Array.of(0xd2, 0x84, 0, 0, 0, 0, 0, 0, 0, 0));
  assert.is(frame[0], 0);
  assert.is(frame[frame.length - 1], 0);
  const [event] = new FrameDecoder().push(frame);
  assert.ok(event?.kind === 'frame');
  if (event?.kind === 'frame') {
    assert.equal(event.header, { version: 1, direction: 'down', session: 0x01020304 });
    assert.is(hex(event.headerBytes), hex(header));
    assert.is(hex(event.cose), 'd2840000000000000000');
  }
  const reasons = (bytes: Uint8Array) => new FrameDecoder().push(bytes).map((e) => (e.kind === 'garbage' ? e.reason : 'frame'));
  const version2 = Uint8Array.from(header);
  version2[0] = 2;
  assert.equal(reasons(encodeFrame(version2, new Uint8Array(12).fill(1))), ['version']);
  const direction3 = Uint8Array.from(header);
  direction3[1] = 3;
  assert.equal(reasons(encodeFrame(direction3, new Uint8Array(12).fill(1))), ['direction']);
  const flipped = Uint8Array.from(frame);
  flipped[5] = (flipped[5] as number) ^ 0x10;
  assert.equal(reasons(flipped), ['crc']);
  assert.equal(reasons(Uint8Array.of(0, 3, 1, 1, 0)), ['short']);
});

test.run();
