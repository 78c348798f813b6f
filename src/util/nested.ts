// Flat row-major arrays as nested JavaScript arrays (the JSON layout of DESIGN.md §5), with
// flattened ragged pairs unflattened. Pure array code: no models, no tensors.

/** A nested array of numbers, of any rank (a scalar is a number; JSON's null stands for NaN). */
export type Nested = number | null | Nested[];

/** One axis of a nested array: a fixed length, or a flattened ragged pair. */
export type NestAxis =
  | { readonly kind: 'fixed'; readonly length: number }
  /** row d holds the flat entries offsets[d] … offsets[d + 1] − 1 (offsets has rows + 1 entries) */
  | { readonly kind: 'ragged'; readonly offsets: ArrayLike<number> };

function axisLength(a: NestAxis): number {
  return a.kind === 'fixed' ? a.length : a.offsets[a.offsets.length - 1];
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

/** A float64 value as itself; JSON has no NaN or Infinity: they become null. */
export const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** The leaves below each level of `axes`: strides[i] is the flat size of one entry of axis i. */
function strides(axes: readonly NestAxis[]): number[] {
  const inner: number[] = new Array(axes.length + 1).fill(1);
  for (let i = axes.length - 1; i >= 0; i--) inner[i] = inner[i + 1] * axisLength(axes[i]);
  return inner;
}

type Leaf = (v: number) => number | null;

function build(
  data: ArrayLike<number>,
  axes: readonly NestAxis[],
  inner: readonly number[],
  leaf: Leaf,
  level: number,
  base: number,
): Nested {
  if (level === axes.length) return leaf(data[base]);
  const a = axes[level];
  const step = inner[level + 1];
  if (a.kind === 'fixed') {
    const arr: Nested[] = new Array(a.length);
    for (let i = 0; i < a.length; i++)
      arr[i] = build(data, axes, inner, leaf, level + 1, base + i * step);
    return arr;
  }
  const { offsets } = a;
  const outer: Nested[] = new Array(offsets.length - 1);
  for (let d = 0; d < outer.length; d++) {
    const row: Nested[] = new Array(offsets[d + 1] - offsets[d]);
    for (let t = offsets[d]; t < offsets[d + 1]; t++)
      row[t - offsets[d]] = build(data, axes, inner, leaf, level + 1, base + t * step);
    outer[d] = row;
  }
  return outer;
}

/**
 * Row-major data → nested arrays (ragged pairs unflattened), each element written by `leaf`
 * (default: float32 values, shortest round-trip decimal).
 */
export function toNested(
  data: ArrayLike<number>,
  axes: readonly NestAxis[],
  leaf: Leaf = jsonNumber,
): Nested {
  return build(data, axes, strides(axes), leaf, 0, 0);
}

/**
 * The entries of the outermost axis of `toNested(data, axes, leaf)`, one at a time (axes must
 * not be empty): a writer can stream a large array without holding all of it nested.
 */
export function* nestedRows(
  data: ArrayLike<number>,
  axes: readonly NestAxis[],
  leaf: Leaf = jsonNumber,
): Generator<Nested> {
  const inner = strides(axes);
  const a = axes[0];
  if (a.kind === 'fixed') {
    for (let i = 0; i < a.length; i++) yield build(data, axes, inner, leaf, 1, i * inner[1]);
    return;
  }
  const { offsets } = a;
  for (let d = 0; d + 1 < offsets.length; d++) {
    const row: Nested[] = new Array(offsets[d + 1] - offsets[d]);
    for (let t = offsets[d]; t < offsets[d + 1]; t++)
      row[t - offsets[d]] = build(data, axes, inner, leaf, 1, t * inner[1]);
    yield row;
  }
}
