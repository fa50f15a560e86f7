// Seeded randomness for tests (docs/conventions.md habit 6): the seed comes from
// TEST_SEED when set (to replay a failure exactly) or from the clock, and
// every failure message carries it as `TEST_SEED=N`.
export function testSeed(): number {
  const text = process.env.TEST_SEED;
  if (text !== undefined && text !== '') {
    if (!/^[0-9]{1,10}$/.test(text)) throw new Error(`TEST_SEED must be a whole number, got '${text}'`);
    return Number(text) >>> 0;
  }
  return (Date.now() ^ (process.pid << 8)) >>> 0;
}

/** mulberry32: a small, fast, seeded PRNG; returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A seeded source with the helpers the fuzz tests use. */
export class Random {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = prng(seed);
  }
  float(): number {
    return this.next();
  }
  /** An integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 1) out[i] = this.int(256);
    return out;
  }
  chance(probability: number): boolean {
    return this.next() < probability;
  }
}

/** The suffix every seeded assertion message carries. */
export function replayHint(seed: number): string {
  return `(replay with TEST_SEED=${seed})`;
}
