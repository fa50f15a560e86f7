// Soak: the fuzz of `npm test` (test/fault/fuzz.test.ts) for as long as asked:
// mutated frames, CBOR, COSE_Sign1s and payloads through the wire's decoders
// of untrusted bytes (test/helpers/fuzz.ts). Prints the iterations (in all and
// by decoder) and every throw with its input, and exits 1 when any decoder
// threw: each must answer with a value or a typed error.
//
// usage: npm run soak -- fuzz [SECONDS] [SEED]    (defaults 60 and a fresh seed)
import { fuzz } from '../helpers/fuzz';
import { testSeed } from '../helpers/seed';

const [secondsText = '60', seedText] = process.argv.slice(2);
if (!/^[0-9]{1,7}$/.test(secondsText) || Number(secondsText) < 1) {
  console.error(`fuzz: SECONDS must be a whole number from 1, got '${secondsText}'`);
  process.exit(2);
}
if (seedText !== undefined && !/^[0-9]{1,10}$/.test(seedText)) {
  console.error(`fuzz: SEED must be a whole number, got '${seedText}'`);
  process.exit(2);
}
const seed = seedText === undefined ? testSeed() : Number(seedText) >>> 0;
const untilMs = Date.now() + Number(secondsText) * 1_000;
const startedMs = Date.now();
let thrown = 0;
const report = fuzz(
  seed,
  (iteration) => iteration % 1_000 === 0 && Date.now() >= untilMs,
  (failure) => {
    thrown += 1;
    console.log(JSON.stringify({ throw: failure }));
  },
);
const seconds = (Date.now() - startedMs) / 1_000;
console.log(JSON.stringify({ seed, seconds, iterations: report.iterations, per_second: Math.round(report.iterations / seconds), by_decoder: report.byTarget, throws: thrown }));
console.log(thrown === 0 ? `fuzz: ${report.iterations} inputs in ${seconds.toFixed(1)} s, no throw (seed ${seed})` : `fuzz: ${thrown} throws in ${report.iterations} inputs (replay: npm run soak -- fuzz ${secondsText} ${seed})`);
process.exit(thrown === 0 ? 0 : 1);
