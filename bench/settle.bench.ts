// The settlement core on a 1,000-line inpatient bill (docs/design.md, budgets:
// ≤ 0.2 ms, and less than decoding the same case), against decoding that case
// with JSON.parse (the baseline) and with cbor-x, all in this run. It checks
// first that every contender produces the right result. A second figure
// measures the heap the core allocates per line, in a child process whose
// young generation is large enough that no collection hides anything.
import assert from 'node:assert';
import { spawnSync } from 'node:child_process';
import { Decoder, Encoder } from 'cbor-x/index-no-eval';
import { settleCase } from '../src/core/case';
import { settle } from '../src/core/settle';
import { validateCase } from '../src/core/validate';
import type { SettleInput } from '../src/core/types';
import { generateCase } from '../test/helpers/case-gen';
import type { Benchmark } from './harness';

const lineCount = 1_000;
const seed = 2026_03_14;

function inpatientCase() {
  const raw = generateCase(seed, { lines: lineCount, medType: '21', settleable: true, extraItems: 0 });
  return raw;
}

const raw = inpatientCase();
const jsonText = JSON.stringify(raw);
const codec = {
  encoder: new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, pack: false, useFloat32: 0 }),
  decoder: new Decoder({ useRecords: false, mapsAsObjects: true }),
};
const cborBytes = codec.encoder.encode(raw);
const checked = validateCase(raw);
assert(checked.ok, 'the benchmark case is valid');
const input: SettleInput = checked.value;
const expected = JSON.stringify(settleCase(raw));

/** Heap bytes allocated per line by settle() and by settleCase(), measured in a child process. */
export function probe(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  assert(gc !== undefined, 'run with --expose-gc');
  const runs = 50;
  const measure = (work: () => unknown): number => {
    for (let i = 0; i < 200; i += 1) work();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < runs; i += 1) work();
    return (process.memoryUsage().heapUsed - before) / (runs * lineCount);
  };
  const settleBytes = measure(() => settle(input));
  const validateBytes = measure(() => validateCase(raw));
  process.stdout.write(JSON.stringify({ settleBytes, validateBytes }));
}

function allocationFigures(): Record<string, number> {
  const child = spawnSync(process.execPath, ['--expose-gc', '--max-semi-space-size=256', '-e', `require(${JSON.stringify(__filename)}).probe()`], {
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  const { settleBytes, validateBytes } = JSON.parse(child.stdout) as { settleBytes: number; validateBytes: number };
  return {
    'heap bytes per line, settle (output record included)': Math.round(settleBytes),
    'heap bytes per line, validation': Math.round(validateBytes),
  };
}

const benchmark: Benchmark = {
  name: 'settle',
  title: `settle a ${lineCount}-line inpatient bill vs decoding the same case (${jsonText.length} bytes JSON, ${cborBytes.length} bytes CBOR)`,
  baseline: { name: 'JSON.parse', run: () => JSON.parse(jsonText) },
  contenders: [
    { name: 'cbor-x decode', run: () => codec.decoder.decode(cborBytes) },
    { name: 'settle (validated)', run: () => settle(input) },
    { name: 'settleCase (validate + settle)', run: () => settleCase(raw) },
  ],
  check() {
    const output = settleCase(raw);
    assert(output.ok, 'the bill settles');
    assert.equal(output.lines.length, lineCount);
    assert.equal(JSON.stringify(settle(input)), expected);
    assert.equal(JSON.stringify(settleCase(JSON.parse(jsonText))), expected);
    assert.equal(JSON.stringify(settleCase(codec.decoder.decode(cborBytes))), expected);
    assert.deepEqual(codec.decoder.decode(cborBytes), raw);
  },
  figures: allocationFigures,
  targets: [
    { contender: 'settle (validated)', nsPerOpMax: 200_000, note: 'settle ≤ 0.2 ms' },
    { contender: 'settle (validated)', ratioMax: 1, note: 'settle costs less than JSON.parse of the case' },
    { contender: 'settle (validated)', ratioMax: 1, versus: 'cbor-x decode', note: 'settle costs less than cbor-x decode of the case' },
    { contender: 'settleCase (validate + settle)', ratioMax: 1, versus: 'cbor-x decode', note: 'validate + settle cost less than cbor-x decode' },
  ],
};

export default benchmark;
