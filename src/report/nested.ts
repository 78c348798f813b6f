// Flat row-major arrays as the nested JSON arrays of DESIGN.md §5 (ragged pairs unflattened).
// JSON has no NaN or Infinity: non-finite values become null.
import type { RaggedSegments } from '../graph/bound.js';
import type { Nested } from './result.js';

/** One axis of a nested array: a fixed length, or a flattened ragged pair. */
export type NestAxis =
  | { readonly kind: 'fixed'; readonly length: number }
  | { readonly kind: 'ragged'; readonly seg: RaggedSegments };

function axisLength(a: NestAxis): number {
  return a.kind === 'fixed' ? a.length : a.seg.outerIndex.length;
}

/**
 * A float32 value as the shortest decimal that reads back to the same float32 (0.20085165,
 * not 0.2008516490459442). JSON has no NaN or Infinity: they become null.
 */
export function jsonNumber(v: number): number | null {
  if (!Number.isFinite(v)) return null;
  if (Number.isInteger(v)) return v;
  const f = Math.fround(v);
  // start at 6 digits: a shorter decimal that round-trips is also found there (the float32
  // rounding error is far below the 6-digit grid), and this is 3x faster than starting at 1
  for (let p = 6; p < 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === f) return d;
  }
  return Number(v.toPrecision(9));
}

/**
 * Row-major data in the tensor layout → nested arrays (ragged pairs unflattened), each element
 * written by `leaf` (default: float32 values, shortest round-trip decimal).
 */
export function toNested(
  data: ArrayLike<number>,
  axes: readonly NestAxis[],
  leaf: (v: number) => number | null = jsonNumber,
): Nested {
  const inner: number[] = new Array(axes.length + 1).fill(1);
  for (let i = axes.length - 1; i >= 0; i--) inner[i] = inner[i + 1] * axisLength(axes[i]);
  const build = (level: number, base: number): Nested => {
    if (level === axes.length) return leaf(data[base]);
    const a = axes[level];
    const step = inner[level + 1];
    if (a.kind === 'fixed') {
      const arr: Nested[] = new Array(a.length);
      for (let i = 0; i < a.length; i++) arr[i] = build(level + 1, base + i * step);
      return arr;
    }
    const { counts, offsets } = a.seg;
    const outer: Nested[] = new Array(counts.length);
    for (let d = 0; d < counts.length; d++) {
      const row: Nested[] = new Array(counts[d]);
      for (let t = offsets[d]; t < offsets[d + 1]; t++)
        row[t - offsets[d]] = build(level + 1, base + t * step);
      outer[d] = row;
    }
    return outer;
  };
  return build(0, 0);
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** A flat row-major float64 array as nested arrays of `shape` (a number for shape []). */
export function nest(data: ArrayLike<number>, shape: readonly number[]): Nested {
  return toNested(
    data,
    shape.map((length) => ({ kind: 'fixed', length })),
    finiteOrNull,
  );
}
