/**
 * Seeded randomness for everything in models/: shuffles, splits and weight initialisation
 * all derive from one integer seed, so the same seed and data give the same model and metrics.
 * Math.random is never used here because it cannot be replayed.
 */

/** mulberry32: a small, fast 32-bit PRNG; good enough for shuffles and splits, and replayable. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates on a copy of 0..n-1 with the given generator. */
export function permutation(n: number, rng: () => number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = out[i] as number;
    out[i] = out[j] as number;
    out[j] = tmp;
  }
  return out;
}

/**
 * A stable 32-bit hash of a string (FNV-1a), mixed with a seed. Used to assign a customer to
 * the validation split by id, so that all rows of one customer (several cutoffs) fall on the
 * same side and the validation score is not flattered by near-duplicate rows.
 */
export function hashToUnit(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // final avalanche so that similar ids spread over [0, 1)
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return (h >>> 0) / 4294967296;
}

/** Derive an independent sub-seed (for initialisers, shuffles, splits) from a master seed. */
export function subSeed(seed: number, salt: number): number {
  return Math.floor(createRng((seed ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0)() * 2 ** 31);
}
