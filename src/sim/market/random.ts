/**
 * Deterministic randomness: every random number in the market is a pure function of the seed and a key, so any
 * value can be recomputed for any date without replaying history in order.
 */

/** 32-bit FNV-1a over a string, mixed with the seed. */
export function hashKey(seed: number, key: string): number {
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return finalize(h);
}

/** murmur3 finalizer: spreads nearby inputs over the whole 32-bit range. */
function finalize(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform in [0, 1) for a seed and key. */
export function uniform(seed: number, key: string): number {
  return hashKey(seed, key) / 4294967296;
}

/** Standard normal for a seed and key (Box–Muller on two independent uniforms). */
export function gaussian(seed: number, key: string): number {
  const u1 = Math.max(uniform(seed, `${key}#a`), 1e-12);
  const u2 = uniform(seed, `${key}#b`);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
