// Proves the wire's decoders of untrusted bytes never throw (issue 12, item
// 6): a short seeded fuzz (a few seconds) of the frame decoder fed in random
// chunks, the strict CBOR decoder, the COSE_Sign1 parser (wire and generic
// header profiles) and the payload decoder, each on mutations of sealed
// frames of every message type (test/helpers/fuzz.ts). Every input is
// answered with a value or a typed error. `npm run soak -- fuzz [SECONDS]
// [SEED]` runs the same fuzzer for longer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fuzz, fuzzTargets } from '../helpers/fuzz';
import { replayHint, testSeed } from '../helpers/seed';

const seed = testSeed();
/** About three seconds on this project's 2-core machine. */
const iterations = Number(process.env.FUZZ_ITERATIONS ?? 100_000);

test(`the frame decoder, the strict decoder, the COSE parser and the payload decoder answer ${iterations} mutated inputs without a throw ${replayHint(seed)}`, () => {
  const report = fuzz(seed, (iteration) => iteration >= iterations);
  assert.is(report.iterations, iterations);
  for (const target of fuzzTargets) assert.ok(report.byTarget[target] >= iterations / fuzzTargets.length - 1, `${target}: ${report.byTarget[target]}`);
  assert.equal(report.throws, [], `${JSON.stringify(report.throws.slice(0, 3))} ${replayHint(seed)}`);
});

test.run();
