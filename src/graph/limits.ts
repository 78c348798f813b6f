// How large a model may be laid out. tfjs (wasm) holds every tensor in one 32-bit heap of at
// most 4 GB, and a sample is written out as JSON: past this many float32 values a run would
// not fail cleanly but abort the process when memory runs out. A size, a variable or a
// sample that would exceed it is a user error naming what is too large.

/** At most this many values in one variable (400 MB as float32), or in all draws of a sample. */
export const MAX_VALUES = 100_000_000;

/** `1e9` → `1000000000`; counts are printed in full so the user can compare them. */
export function countText(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : n.toExponential(2);
}

/** Nested arrays deeper than this are no model's value (and a cyclic array never ends). */
export const MAX_RANK = 32;
