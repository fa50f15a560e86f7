// Proves the schema is one source of truth: protocol/hub.cddl is exactly what
// protocol/schema-cddl.ts renders from protocol/messages.ts (run with
// UPDATE_CDDL=1 to rewrite it after changing the schema), the CDDL is
// self-consistent (every rule used is defined once, brackets balance), the
// worst case of every message fits in one frame with its envelope, a sample
// of every message type survives toWire -> encode -> strict decode ->
// fromWire unchanged, and toWire refuses bad values with TypeError or
// RangeError naming the field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeStrict } from '../../protocol/cbor-decode';
import { createCborEncoder } from '../../protocol/cbor-encode';
import * as limits from '../../protocol/limits';
import { messageTypeById, messageTypeByName, messageTypes, replyNameOf, terminalId, messageSeq, messageTime } from '../../protocol/messages';
import { fromWire, toWire, isCalendarDay } from '../../protocol/schema';
import { headBytes, renderCddl, wireBytesMax } from '../../protocol/schema-cddl';
import { projectRoot } from '../helpers/cli';
import { sampleBodies } from '../helpers/messages';

const cddlPath = path.join(projectRoot, 'protocol', 'hub.cddl');

test('protocol/hub.cddl is what the schema renders', () => {
  const rendered = renderCddl();
  if (process.env.UPDATE_CDDL === '1') writeFileSync(cddlPath, rendered);
  const committed = readFileSync(cddlPath, 'utf8');
  assert.is(committed, rendered, 'hub.cddl is stale: run `UPDATE_CDDL=1 npm test -- protocol-schema` and commit it');
});

test('hub.cddl defines every rule it uses, once, and its brackets balance', () => {
  const text = readFileSync(cddlPath, 'utf8').replace(/;.*$/gm, '').replace(/"[^"]*"/g, '""').replace(/=>/g, ' ');
  const defined = [...text.matchAll(/^([a-z_][a-z0-9_]*)(?:<[^>]*>)?\s*=/gm)].map((match) => match[1] as string);
  assert.equal(defined.filter((name, index) => defined.indexOf(name) !== index), [], 'a rule is defined twice');
  const prelude = new Set(['uint', 'tstr', 'bstr', 'bool', 'null', 't', 'b', 'type', 'size', 'le', 'regexp', 'cbor']);
  const fieldNames = new Set([...text.matchAll(/([a-z_][a-z0-9_]*)\s*:/g)].map((match) => match[1] as string));
  const used = [...text.matchAll(/(?<![.\w])([a-z_][a-z0-9_]*)(?!\s*:)(?![\w])/g)].map((match) => match[1] as string);
  const undefinedRules = used.filter((name) => !prelude.has(name) && !defined.includes(name) && !fieldNames.has(name));
  assert.equal([...new Set(undefinedRules)], []);
  for (const [open, close] of [['[', ']'], ['{', '}'], ['(', ')'], ['<', '>']] as const) {
    assert.is(text.split(open).length, text.split(close).length, `${open}${close} balance`);
  }
  for (const type of messageTypes) assert.ok(defined.includes(type.name), type.name);
});

test('type ids: requests odd, replies the next even id, error 0, the table indexed by id', () => {
  messageTypes.forEach((type, index) => assert.is(type.id, index));
  for (const type of messageTypes) {
    assert.is(messageTypeById(type.id), type);
    assert.is(messageTypeByName(type.name), type);
    if (type.id % 2 === 1) assert.is(replyNameOf(type.name), `${type.name}_reply`);
  }
  assert.is(messageTypeById(messageTypes.length), undefined);
  assert.is(messageTypeById(-1), undefined);
});

test('the worst case of every message fits in one frame with its envelope', () => {
  // COSE_Sign1: tag + array head, protected bstr {1: -8, 4: kid}, empty unprotected map, payload bstr, 64-byte signature.
  const protectedBytes = 1 + 1 + 1 + 1 + 1 + 1 + limits.kidBytes;
  const coseOverhead = (payload: number) => 2 + protectedBytes + 1 + headBytes(payload) + 2 + 64;
  const headerAndCrc = limits.frameHeaderBytes + limits.frameCrcBytes;
  assert.ok(coseOverhead(limits.frameBytesMax) + headerAndCrc <= limits.envelopeOverheadBytesMax, 'envelopeOverheadBytesMax holds the envelope');
  for (const type of messageTypes) {
    const payload = 1 + headBytes(type.id) + wireBytesMax(terminalId) + wireBytesMax(messageSeq) + wireBytesMax(messageTime) + wireBytesMax(type.body);
    const frame = payload + coseOverhead(payload) + headerAndCrc;
    assert.ok(frame <= limits.frameBytesMax, `${type.name}: worst case ${frame} bytes > ${limits.frameBytesMax}`);
  }
});

test('a sample of every message type round-trips through the wire unchanged', () => {
  const encoder = createCborEncoder();
  const samples = sampleBodies();
  for (const type of messageTypes) {
    const body = samples[type.name];
    const bytes = encoder.encode(toWire(type.body, body, 'body'));
    const decoded = decodeStrict(bytes);
    assert.ok(decoded.ok, type.name);
    if (decoded.ok) assert.equal(fromWire(type.body, decoded.value, 'body'), body, type.name);
  }
});

test('integers of 2^32 and above travel as integers, never floats', () => {
  const encoder = createCborEncoder();
  const totals = sampleBodies().recon_totals.totals;
  const big = { totals: { ...totals, medfee_sumamt: Number.MAX_SAFE_INTEGER, acct_pay: 2 ** 32 } };
  const bytes = encoder.encode(toWire(messageTypeByName('recon_totals').body, big, 'body'));
  assert.not.ok(Buffer.from(bytes).includes(0xfb), 'no float64 head');
  const decoded = decodeStrict(bytes);
  assert.ok(decoded.ok);
  if (decoded.ok) assert.equal(fromWire(messageTypeByName('recon_totals').body, decoded.value, 'body'), big);
});

const settle = messageTypeByName('settle').body;
const badValues: ReadonlyArray<{ name: string; mutate: (body: ReturnType<typeof sampleBodies>['settle']) => unknown; error: 'TypeError' | 'RangeError'; path: RegExp }> = [
  { name: 'amount as a string', mutate: (b) => ({ ...b, input: { ...b.input, lines: [{ ...b.input.lines[0], amt: '36' }] } }), error: 'TypeError', path: /body\.input\.lines\[0\]\.amt/ },
  { name: 'amount above 10^10', mutate: (b) => ({ ...b, input: { ...b.input, lines: [{ ...b.input.lines[0], amt: 1e10 + 1 }] } }), error: 'RangeError', path: /lines\[0\]\.amt/ },
  { name: 'fractional amount', mutate: (b) => ({ ...b, result: { ...b.result, setlinfo: { ...b.result.setlinfo, hifp_pay: 1.5 } } }), error: 'TypeError', path: /setlinfo\.hifp_pay/ },
  { name: 'unknown enum value', mutate: (b) => ({ ...b, input: { ...b.input, med_type: '99' } }), error: 'RangeError', path: /input\.med_type/ },
  { name: 'missing field', mutate: (b) => ({ ...b, result_digest: undefined }), error: 'TypeError', path: /result_digest/ },
  { name: 'extra field', mutate: (b) => ({ ...b, extra: 1 }), error: 'TypeError', path: /^body: expected only/ },
  { name: 'code too long', mutate: (b) => ({ ...b, input: { ...b.input, lines: [{ ...b.input.lines[0], code: 'X'.repeat(51) }] } }), error: 'RangeError', path: /lines\[0\]\.code/ },
  { name: 'not a calendar day', mutate: (b) => ({ ...b, input: { ...b.input, date: '2026-02-29' } }), error: 'RangeError', path: /input\.date/ },
  { name: 'lone surrogate', mutate: (b) => ({ ...b, input: { ...b.input, psn_no: 'a\ud800' } }), error: 'RangeError', path: /input\.psn_no/ },
  { name: 'digest of 31 bytes', mutate: (b) => ({ ...b, result_digest: new Uint8Array(31) }), error: 'RangeError', path: /result_digest/ },
  { name: 'accumulator key breaking its pattern', mutate: (b) => ({ ...b, result: { ...b.result, acc_delta: { 'Pool:Main': 1 } } }), error: 'RangeError', path: /acc_delta/ },
  { name: 'too many lines', mutate: (b) => ({ ...b, input: { ...b.input, lines: Array(limits.feeLinesPerMessageMax + 1).fill(b.input.lines[0]) } }), error: 'RangeError', path: /input\.lines/ },
];

for (const row of badValues) {
  test(`toWire refuses ${row.name} with ${row.error} naming the field`, () => {
    const body = row.mutate(sampleBodies().settle);
    assert.throws(
      () => toWire(settle, body as never, 'body'),
      (error: Error) => error.constructor.name === row.error && row.path.test(error.message),
    );
  });
}

test('calendar days: leap years included', () => {
  assert.ok(isCalendarDay('2024-02-29'));
  assert.ok(isCalendarDay('2000-02-29'));
  assert.not.ok(isCalendarDay('1900-02-29'));
  assert.not.ok(isCalendarDay('2026-04-31'));
  assert.not.ok(isCalendarDay('2026-13-01'));
  assert.not.ok(isCalendarDay('2026-00-10'));
});

test.run();
