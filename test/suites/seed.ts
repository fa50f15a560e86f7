// Seeds for simulated faults (docs/conventions.md habit 6): a fresh one each run unless
// DEVICE_SEED fixes it, and on failure the message says how to replay.
import { randomInt } from 'node:crypto';

export function runSeed(): number {
  const fixed = process.env.DEVICE_SEED;
  if (fixed !== undefined && fixed !== '') {
    const seed = Number(fixed);
    if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`DEVICE_SEED must be a 32-bit unsigned integer, got '${fixed}'`);
    return seed;
  }
  return randomInt(0, 0xffffffff);
}

/** Runs `body`; a failure's message gains the seed and the command that replays it. */
export async function withSeed<T>(seed: number, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const note = ` [seed ${seed}: replay with DEVICE_SEED=${seed}]`;
    if (error instanceof Error) error.message += note;
    console.error(`failed with seed ${seed}; replay with DEVICE_SEED=${seed}`);
    throw error;
  }
}
