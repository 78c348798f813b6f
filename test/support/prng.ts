// A deterministic PRNG for test data (mulberry32): uniform on [0, 1) from a 32-bit seed.
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n float32 values uniform on [lo, hi) from `seed` (prng). */
export function uniformValues(n: number, seed: number, lo: number, hi: number): Float32Array {
  const rand = prng(seed);
  return Float32Array.from({ length: n }, () => lo + rand() * (hi - lo));
}
