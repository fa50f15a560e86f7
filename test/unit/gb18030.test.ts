// Proves the GB18030 encoder (device/gb18030.ts) against known codes of the
// standard, round-trips every BMP code point the runtime's decoder can yield
// and a sample of the supplementary planes, and handles the edges: lone
// surrogates, a buffer too small, ASCII passed through.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Gb18030Encoder } from '../../device/gb18030';

const encoder = new Gb18030Encoder();
const decoder = new TextDecoder('gb18030');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

test('known codes: one, two and four bytes', () => {
  const table: [string, string][] = [
    ['A', '41'],
    ['中', 'd6d0'], // GB2312 row 54
    ['张三', 'd5c5c8fd'],
    ['€', 'a2e3'],
    ['¥', '81308436'], // U+00A5: four bytes (GB2312 has no yen sign in its two-byte rows)
    ['\u0080', '81308130'], // the first four-byte code
    ['䶮', 'fe9f'], // GB 18030-2022 as ICU implements it
    ['𠀀', '95328236'], // U+20000, CJK extension B
    ['\u{10000}', '90308130'], // the first supplementary code
    ['\u{10FFFF}', 'e3329a35'], // the last
  ];
  for (const [text, code] of table) assert.is(hex(encoder.encode(text)), code, text);
});

test('every BMP code point round-trips through the runtime decoder, save a handful with no code of their own', () => {
  const holes: number[] = [];
  for (let unit = 0; unit < 0x10000; unit += 1) {
    if (unit >= 0xd800 && unit <= 0xdfff) continue;
    const text = String.fromCharCode(unit);
    const bytes = encoder.encode(text);
    if (unit !== 0x3f && bytes.length === 1 && bytes[0] === 0x3f) holes.push(unit);
    else assert.is(decoder.decode(bytes), text, unit.toString(16));
  }
  // Private-use code points whose codes GB 18030-2022 gave to standard characters, and U+FFFD.
  assert.ok(holes.length <= 24, `${holes.length} holes: ${holes.map((unit) => unit.toString(16)).join(' ')}`);
  assert.ok(holes.every((unit) => (unit >= 0xe000 && unit <= 0xf8ff) || unit === 0xfffd), 'only private use and U+FFFD');
});

test('supplementary planes round-trip (every 997th code point)', () => {
  for (let codePoint = 0x10000; codePoint <= 0x10ffff; codePoint += 997) {
    const text = String.fromCodePoint(codePoint);
    assert.is(decoder.decode(encoder.encode(text)), text, codePoint.toString(16));
  }
});

test('lone surrogates become ?, and encodeInto refuses a buffer too small', () => {
  assert.is(hex(encoder.encode('a\ud800b\udc00')), '613f623f');
  const out = new Uint8Array(5);
  assert.is(encoder.encodeInto('中中', out, 0), -1, 'needs room for a four-byte code each');
  assert.is(encoder.encodeInto('中', out, 1), 2);
  assert.is(hex(out.subarray(1, 3)), 'd6d0');
  assert.is(encoder.encodeInto('abcde', out, 0), 5);
});

test('the table is built once per encoder, lazily, and prepare() is idempotent', () => {
  const fresh = new Gb18030Encoder();
  const started = performance.now();
  fresh.prepare();
  const firstMs = performance.now() - started;
  const again = performance.now();
  fresh.prepare();
  assert.ok(performance.now() - again < firstMs, 'the second prepare does nothing');
});

test.run();
