// The wire's CBOR codec on two payloads: the 20-line outpatient settle request
// (what the sealer encodes and the opener decodes) and a 1,000-line bill (the
// fee lines billDigest hashes). Two benchmarks, each checked before timed:
// - cbor-encode: the encoder the firmware had until issue 13 (hand-written,
//   bench/cbor-handwritten.ts, the baseline) against the wire's encoder now
//   (cbor-x behind protocol/cbor-encode.ts: the deterministic walk, cbor-x,
//   the copy out), and cbor-x alone on the same value (no walk, no copy) to
//   show what the walk and the copy cost. The check holds all three, and the
//   independent oracle, to the same bytes.
// - cbor-decode: the strict decoder alone (the gate, which builds the value
//   as it checks: what the firmware does) against the gate followed by a
//   cbor-x decode of the same bytes (cbor-x's no-eval entry, and its main
//   entry with the native string extractor), and cbor-x alone for scale (never
//   allowed on untrusted bytes). The check holds every decoder to the gate's
//   value.
// - cbor-entry: which cbor-x entry the firmware imports. Loading each entry in
//   a fresh Node.js (`node -e 0` the baseline): `cbor-x/index-no-eval` (no
//   native extractor, no code built from strings), the main entry `cbor-x`
//   (loads the optional native extractor cbor-extract when it is installed),
//   and the main entry with the extractor disabled; the figures give the
//   minified size each adds to a bundle that uses its Encoder.
import assert from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { Decoder as NativeDecoder, isNativeAccelerationEnabled } from 'cbor-x';
import { Decoder, Encoder } from 'cbor-x/index-no-eval';
import { decodeStrict, type CborValue } from '../protocol/cbor-decode';
import { cborEncoderOptions, createCborEncoder, type WireValue } from '../protocol/cbor-encode';
import { billDigest, resultDigest } from '../protocol/digests';
import type { AnyMessage } from '../protocol/envelope';
import { billLinesType, messageTypeByName, messageSeq, messageTime, terminalId } from '../protocol/messages';
import { toWire } from '../protocol/schema';
import { oracleEncode } from '../test/helpers/cbor-oracle';
import { sampleLines, sampleResult, sampleSettleInput, terminalIdSample, timeSample } from '../test/helpers/messages';
import { createHandwrittenEncoder } from './cbor-handwritten';
import type { Benchmark } from './harness';

const encoder = createCborEncoder();
const handwritten = createHandwrittenEncoder();
const cborXAlone = new Encoder({ ...cborEncoderOptions } as ConstructorParameters<typeof Encoder>[0]);
const decoderOptions = { useRecords: false, mapsAsObjects: false, structuredClone: false, bundleStrings: false, copyBuffers: true, int64AsNumber: true };
const noEvalDecoder = new Decoder(decoderOptions as never);
const nativeDecoder = new NativeDecoder(decoderOptions as never);

/** The 20-line settle request's payload as the sealer builds it (envelope.ts `encodePayload`). */
function settlePayload(): WireValue {
  const lines = sampleLines(20);
  const input = sampleSettleInput(lines, billDigest(encoder, lines));
  const result = sampleResult(lines);
  const message = { type: 'settle', terminal: terminalIdSample, seq: 1_001, time: timeSample, body: { input, result, result_digest: resultDigest(encoder, result) } } satisfies AnyMessage;
  const type = messageTypeByName(message.type);
  return [type.id, toWire(terminalId, message.terminal, 'terminal'), toWire(messageSeq, message.seq, 'seq'), toWire(messageTime, message.time, 'time'), toWire(type.body, message.body, 'body')];
}

const settle = settlePayload();
const bill = toWire(billLinesType, sampleLines(1_000), 'lines');
const settleBytes = encoder.encode(settle);
const billBytes = encoder.encode(bill);

function gate(bytes: Uint8Array): CborValue {
  const decoded = decodeStrict(bytes);
  if (!decoded.ok) throw new Error(decoded.error.code);
  return decoded.value;
}

/** A cbor-x decoded value in the gate's terms (cbor-x hands out Buffers for byte strings). */
function asGate(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asGate);
  if (value instanceof Map) return new Map([...value].map(([key, entry]) => [key, asGate(entry)]));
  if (value instanceof Uint8Array) return new Uint8Array(value);
  return value;
}

const encode: Benchmark = {
  name: 'cbor-encode',
  title: 'CBOR encode: the retired hand-written encoder vs cbor-x deterministic (20-line settle request, 1,000-line bill)',
  baseline: { name: 'hand-written, settle 20 lines', run: () => handwritten.encode(settle) },
  contenders: [
    { name: 'cbor-x deterministic, settle 20 lines', run: () => encoder.encode(settle) },
    { name: 'cbor-x alone, settle 20 lines', run: () => cborXAlone.encode(settle) },
    { name: 'hand-written, bill 1,000 lines', run: () => handwritten.encode(bill) },
    { name: 'cbor-x deterministic, bill 1,000 lines', run: () => encoder.encode(bill) },
    { name: 'cbor-x alone, bill 1,000 lines', run: () => cborXAlone.encode(bill) },
  ],
  check() {
    for (const value of [settle, bill]) {
      const expected = Buffer.from(oracleEncode(value)).toString('hex');
      assert.equal(Buffer.from(encoder.encode(value)).toString('hex'), expected, 'cbor-x deterministic writes the oracle bytes');
      assert.equal(Buffer.from(handwritten.encode(value)).toString('hex'), expected, 'so does the retired encoder (these values hold no map out of order)');
      assert.equal(Buffer.from(cborXAlone.encode(value)).toString('hex'), expected, 'and cbor-x alone, on these values');
    }
  },
  figures: () => ({ settle_payload_bytes: settleBytes.length, bill_bytes: billBytes.length }),
  targets: [
    { contender: 'cbor-x deterministic, settle 20 lines', ratioMax: 1, note: 'cbor-x (deterministic) encodes the settle request faster than the hand-written encoder did' },
    { contender: 'cbor-x deterministic, bill 1,000 lines', versus: 'hand-written, bill 1,000 lines', ratioMax: 1, note: 'and the 1,000-line bill' },
  ],
};

const decode: Benchmark = {
  name: 'cbor-decode',
  title: 'CBOR decode after the gate: the strict decoder alone vs gate + cbor-x (20-line settle request, 1,000-line bill)',
  baseline: { name: 'gate alone, settle 20 lines', run: () => gate(settleBytes) },
  contenders: [
    { name: 'gate + cbor-x no-eval, settle 20 lines', run: () => (gate(settleBytes), noEvalDecoder.decode(settleBytes)) },
    { name: 'gate + cbor-x native, settle 20 lines', run: () => (gate(settleBytes), nativeDecoder.decode(settleBytes)) },
    { name: 'cbor-x no-eval alone (scale), settle 20 lines', run: () => noEvalDecoder.decode(settleBytes) },
    { name: 'gate alone, bill 1,000 lines', run: () => gate(billBytes) },
    { name: 'gate + cbor-x no-eval, bill 1,000 lines', run: () => (gate(billBytes), noEvalDecoder.decode(billBytes)) },
    { name: 'gate + cbor-x native, bill 1,000 lines', run: () => (gate(billBytes), nativeDecoder.decode(billBytes)) },
    { name: 'cbor-x no-eval alone (scale), bill 1,000 lines', run: () => noEvalDecoder.decode(billBytes) },
  ],
  check() {
    for (const [bytes, value] of [[settleBytes, settle], [billBytes, bill]] as const) {
      const strict = gate(bytes);
      assert.deepStrictEqual(strict, value);
      assert.deepStrictEqual(asGate(noEvalDecoder.decode(bytes)), strict);
      assert.deepStrictEqual(asGate(nativeDecoder.decode(bytes)), strict);
    }
  },
  figures: () => ({ native_extractor_loaded: isNativeAccelerationEnabled ? 1 : 0 }),
  targets: [
    { contender: 'gate alone, bill 1,000 lines', versus: 'gate + cbor-x no-eval, bill 1,000 lines', ratioMax: 1, note: 'decoding is the gate itself: it costs less than the gate followed by cbor-x' },
    { contender: 'gate alone, bill 1,000 lines', versus: 'gate + cbor-x native, bill 1,000 lines', ratioMax: 1, note: 'even with cbor-x native string extractor' },
  ],
};

const root = process.cwd();

function load(code: string, env: Record<string, string> = {}): string {
  const result = spawnSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

const loadNoEval = "require('cbor-x/index-no-eval')";
const loadMain = "require('cbor-x')";
const nativeOff = { CBOR_NATIVE_ACCELERATION_DISABLED: 'true' };
const reportNative = "process.stdout.write(String(require('cbor-x').isNativeAccelerationEnabled))";

/** A minified Node.js bundle whose code is an Encoder of the given entry (cbor-extract left out, as build.mjs does). */
async function bundled(entry: string): Promise<Uint8Array> {
  const result = await esbuild.build({
    stdin: { contents: `import { Encoder } from '${entry}'; module.exports = new Encoder({ useRecords: false });`, resolveDir: root, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    write: false,
    external: ['cbor-extract'],
    logLevel: 'silent',
  });
  return (result.outputFiles[0] as esbuild.OutputFile).contents;
}

const bundledBytes = async (entry: string) => (await bundled(entry)).length;

/** The firmware's cbor-x as terminal.js carries it: `cbor-x/encode` bundled (its source modules, tree-shaken), written to a file at check time. */
const firmwareEntryDir = mkdtempSync(path.join(tmpdir(), 'cbor-entry-'));
const firmwareEntryFile = path.join(firmwareEntryDir, 'encoder.js');
const loadFirmwareEntry = `require(${JSON.stringify(firmwareEntryFile)})`;

const entry: Benchmark = {
  name: 'cbor-entry',
  title: 'loading cbor-x in a fresh Node.js: the firmware\'s (encode entry, bundled) and the no-eval entry vs the main entry (native extractor) vs node -e 0',
  baseline: { name: 'node -e 0', run: () => load('0') },
  contenders: [
    { name: 'cbor-x/encode bundled (the firmware\'s)', run: () => load(loadFirmwareEntry) },
    { name: 'cbor-x/index-no-eval', run: () => load(loadNoEval) },
    { name: 'cbor-x main entry, native extractor', run: () => load(loadMain) },
    { name: 'cbor-x main entry, extractor disabled', run: () => load(loadMain, nativeOff) },
  ],
  async check() {
    writeFileSync(firmwareEntryFile, await bundled('cbor-x/encode'));
    assert.equal(load(`${loadFirmwareEntry}; process.stdout.write(String(Object.keys(require.cache).some((file) => file.includes('cbor-extract'))))`), 'false', 'the firmware\'s entry never loads the extractor');
    assert.equal(load(reportNative), 'true', 'the main entry loads the native extractor here (cbor-extract installed)');
    assert.equal(load(reportNative, nativeOff), 'false');
    assert.equal(load(`${loadNoEval}; process.stdout.write(String(Object.keys(require.cache).some((file) => file.includes('cbor-extract'))))`), 'false', 'the no-eval entry never loads it');
  },
  figures: async () => ({ bundle_bytes_encode_entry: await bundledBytes('cbor-x/encode'), bundle_bytes_index_no_eval: await bundledBytes('cbor-x/index-no-eval'), bundle_bytes_main_entry: await bundledBytes('cbor-x') }),
  targets: [{ contender: 'cbor-x/encode bundled (the firmware\'s)', versus: 'cbor-x main entry, native extractor', ratioMax: 1, note: 'the firmware\'s cbor-x loads faster than the main entry with its native extractor' }],
  teardown: () => rmSync(firmwareEntryDir, { recursive: true, force: true }),
};

export default [encode, decode, entry];
