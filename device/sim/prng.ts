// A seeded pseudo-random source (sfc32, from PractRand by Chris Doty-Humphrey),
// so every simulated fault replays from its seed (docs/conventions.md habit 6). Not for
// keys or anything secret.
import assert from 'node:assert';

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, bound). */
  below(bound: number): number;
}

export function seededRandom(seed: number): Random {
  assert(Number.isSafeInteger(seed) && seed >= 0 && seed <= 0xffffffff, 'seed is a 32-bit unsigned integer');
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Stir the state so nearby seeds diverge at once.
  for (let i = 0; i < 12; i += 1) next32();
  return {
    next: () => next32() / 0x1_0000_0000,
    below(bound: number): number {
      assert(Number.isSafeInteger(bound) && bound > 0 && bound <= 0x1_0000_0000, 'bound is a positive 32-bit integer');
      return Math.floor((next32() / 0x1_0000_0000) * bound);
    },
  };
}
