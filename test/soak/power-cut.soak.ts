// Soak: the power-cut test of `npm test` (test/fault/power-cut.test.ts) with
// more kills: SIGKILLs of the demo at seeded points, then every settlement
// exactly once and every patient's accumulators the sum of confirmed deltas.
// The test reads its kill count and seed from the environment when it loads,
// so they are set here before it is required.
//
// usage: npm run soak -- power-cut [KILLS] [SEED]    (defaults 1,000 and a fresh seed)
const [kills = '1000', seed] = process.argv.slice(2);
if (!/^[0-9]{1,6}$/.test(kills) || Number(kills) < 1) {
  console.error(`power-cut: KILLS must be a whole number from 1 to 999999, got '${kills}'`);
  process.exit(2);
}
if (seed !== undefined && !/^[0-9]{1,10}$/.test(seed)) {
  console.error(`power-cut: SEED must be a whole number, got '${seed}'`);
  process.exit(2);
}
process.env.POWER_CUT_KILLS = kills;
if (seed !== undefined) process.env.DEVICE_SEED = seed;
require('../fault/power-cut.test');
