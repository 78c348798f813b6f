// splitmix32 (a 32-bit variant of Steele, Lea & Flood's SplitMix, 2014): a state advanced by
// the golden-ratio increment, each output its value through MurmurHash3's 32-bit finaliser.
// distributions/rng.ts's seed stream and backend/normal.ts's lane seeds both draw from it.

/** the state's increment, ⌊2³² / φ⌋ */
export const GOLDEN32 = 0x9e3779b9;

/** MurmurHash3's finaliser: an unsigned 32-bit word mixed into another */
export function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
