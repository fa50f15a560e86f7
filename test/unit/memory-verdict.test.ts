// Proves the soak's memory verdict is taken on the bound it prints: memory
// that stays within the first quarter's peak plus the margin is "yes"; memory
// that grows past that bound (62 MiB to 114 MiB with a 48 MiB margin, the
// growth once printed as "yes") is "no", and the line names the bound; the
// last sample alone past the bound is enough; the line names what was
// sampled when told.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryVerdict } from '../helpers/memory-verdict';

const mib = 1_048_576;
const series = (values: number[]) => values.map((value) => value * mib);

test('flat memory within the printed bound is yes', () => {
  const verdict = memoryVerdict(series([60, 62, 61, 62, 63, 62, 64, 63]), 16 * mib);
  assert.ok(verdict.flat);
  assert.is(verdict.boundBytes, 78 * mib);
  assert.is(verdict.line, 'flat memory: yes (last quarter peak 64.0 MiB ≤ bound 78.0 MiB = first quarter peak 62.0 MiB + 16.0 MiB)');
});

test('memory that grows past the bound is no, and the line prints that bound', () => {
  const growing = memoryVerdict(series([58, 62, 70, 80, 90, 100, 110, 114]), 48 * mib);
  assert.not.ok(growing.flat);
  assert.is(growing.line, 'flat memory: no (last quarter peak 114.0 MiB > bound 110.0 MiB = first quarter peak 62.0 MiB + 48.0 MiB)');
  const lastOnly = memoryVerdict(series([62, 62, 62, 62, 62, 62, 62, 79]), 16 * mib);
  assert.not.ok(lastOnly.flat, 'one late sample past the bound');
  assert.ok(memoryVerdict(series([62, 62, 62, 62, 62, 62, 62, 78]), 16 * mib).flat, 'exactly at the bound is within it');
  assert.throws(() => memoryVerdict([], mib), /no samples/);
});

test('the line names what was sampled', () => {
  const verdict = memoryVerdict(series([6, 7, 8, 9, 6, 9, 5, 5, 8, 9, 12]), 8 * mib, 'heap kept after each full collection');
  assert.ok(verdict.flat);
  assert.is(verdict.line, 'flat memory: yes (heap kept after each full collection: last quarter peak 12.0 MiB ≤ bound 15.0 MiB = first quarter peak 7.0 MiB + 8.0 MiB)');
});

test.run();
