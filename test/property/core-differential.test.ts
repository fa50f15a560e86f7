// Proves the settlement core agrees, byte for byte (values and key order),
// with an independent implementation of docs/settlement.md written from the spec
// alone (test/reference/settle-reference.ts, whose author never read
// src/core): on generated cases, on cases corrupted in one to three places,
// and on the worked cases. A difference prints the seed that replays it.
// Nothing is left out: the one reading the two once differed on (extra keys
// inside policy.schemes, test/reference/AMBIGUITIES.md A2) is now refused by
// both, and a test below gives generated cases such keys on every run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { settleCase } from '../../src/core/case';
import { referenceSettle } from '../reference/settle-reference';
import { generateCase, mutateCase } from '../helpers/case-gen';
import { workedCases } from '../helpers/cases';

const runs = Number(process.env.PROPERTY_RUNS ?? 3_000);
let extraSchemeKeys = 0;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether the case has an extra key in policy.schemes (A2: refused by both). */
function hasExtraSchemeKey(raw: unknown): boolean {
  if (!isRecord(raw) || !isRecord(raw.policy) || !isRecord(raw.policy.schemes)) return false;
  return Object.keys(raw.policy.schemes).some((insutype) => insutype !== '310' && insutype !== '390');
}
const seeds = fc.integer({ min: 0, max: 0x7fff_ffff });

function agree(raw: unknown, label: string): void {
  if (hasExtraSchemeKey(raw)) extraSchemeKeys += 1;
  const ours = JSON.stringify(settleCase(raw));
  const theirs = JSON.stringify(referenceSettle(raw));
  if (ours !== theirs) assert.unreachable(`${label}\n  core:      ${ours.slice(0, 400)}\n  reference: ${theirs.slice(0, 400)}`);
}

test('the worked cases agree with the reference', () => {
  for (const worked of workedCases()) agree(worked.case, worked.name);
});

test('generated cases agree with the reference', () => {
  fc.assert(
    fc.property(seeds, fc.boolean(), (seed, settleable) => agree(generateCase(seed, { settleable }), `generateCase(${seed}, { settleable: ${settleable} })`)),
    { numRuns: runs, endOnFailure: true, includeErrorInReport: true },
  );
});

test('corrupted cases agree with the reference (refusal or not)', () => {
  fc.assert(
    fc.property(seeds, seeds, fc.boolean(), (seed, mutation, settleable) =>
      agree(mutateCase(generateCase(seed, { settleable, lines: 4 }), mutation), `mutateCase(generateCase(${seed}, { settleable: ${settleable}, lines: 4 }), ${mutation})`),
    ),
    { numRuns: runs * 2, endOnFailure: true, includeErrorInReport: true },
  );
});

test('large generated bills agree with the reference', () => {
  fc.assert(
    fc.property(seeds, (seed) => agree(generateCase(seed, { settleable: true, lines: 300 }), `generateCase(${seed}, { settleable: true, lines: 300 })`)),
    { numRuns: 60, endOnFailure: true, includeErrorInReport: true },
  );
});

test('extra keys in policy.schemes (A2) are refused by both, on generated cases given one', () => {
  // The random mutations reach policy.schemes itself only now and then; this property makes sure
  // the comparison always meets such cases, whatever the run's seeds.
  fc.assert(
    fc.property(seeds, fc.constantFrom('320', '999', 'extra', '4', 'constructor'), fc.boolean(), (seed, key, copy) => {
      const raw = generateCase(seed, { settleable: true, lines: 3 }) as { policy: { schemes: Record<string, unknown> } };
      raw.policy.schemes[key] = copy ? (raw.policy.schemes['310'] ?? raw.policy.schemes['390'] ?? {}) : seed;
      agree(raw, `generateCase(${seed}, { settleable: true, lines: 3 }) with policy.schemes[${JSON.stringify(key)}]`);
      assert.equal(settleCase(raw), { ok: false, error: { code: 'invalid_input' } });
    }),
    { numRuns: 200, endOnFailure: true, includeErrorInReport: true },
  );
  assert.ok(extraSchemeKeys >= 200, 'the comparison met the extra scheme keys');
});

test.run();
