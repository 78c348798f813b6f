// Numbers and nested arrays as short text for the human-readable reports. Pure functions of
// the JSON result objects (no tensors), so they are unit-testable on hand-made values.
import type { Nested } from '../util/nested.js';

/** How a missing (`null`) entry prints. */
export const MISSING = 'NA';

/**
 * A number with about `digits` significant digits, in the notation a person expects:
 * integers in full (up to 1e15), fixed notation between 1e-4 and 1e6, otherwise
 * scientific (`1.235e-05`, `-3.2e+07`). Trailing zeros are dropped (`0.1`, not `0.1000`).
 */
export function formatNumber(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined) return MISSING;
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  if (x === 0) return '0'; // also -0
  const abs = Math.abs(x);
  if (Number.isInteger(x) && abs < 1e15) return String(x);
  if (abs >= 1e-4 && abs < 1e6) {
    // toPrecision rounds to `digits` significant digits; it may itself switch to exponent
    // form only outside this range, so Number() then toFixed keeps fixed notation.
    const rounded = Number(x.toPrecision(digits));
    if (Math.abs(rounded) >= 1e6) return expForm(x, digits);
    const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(rounded))));
    return stripZeros(rounded.toFixed(Math.min(decimals, 20)));
  }
  return expForm(x, digits);
}

function expForm(x: number, digits: number): string {
  const [mant, exp] = x.toExponential(Math.max(0, digits - 1)).split('e');
  const e = Number(exp);
  const sign = e < 0 ? '-' : '+';
  return `${stripZeros(mant!)}e${sign}${String(Math.abs(e)).padStart(2, '0')}`;
}

function stripZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** The shape of a (rectangular) nested array, read along its first entries: `[]` for a scalar. */
export function shapeOf(v: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0]!;
  }
  return shape;
}

/** Every entry of a nested array in row-major order. */
export function flatten(v: Nested): (number | null)[] {
  if (!Array.isArray(v)) return [v];
  const out: (number | null)[] = [];
  const walk = (a: Nested): void => {
    if (Array.isArray(a)) for (const x of a) walk(x);
    else out.push(a);
  };
  walk(v);
  return out;
}

/** How a shape prints: `100×20`, `5`, and `scalar` for `[]` (never `[100, 20]`, which reads as a value). */
export function formatShape(shape: readonly (number | string)[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

/**
 * The shape of a possibly ragged nested array: `10×5`, or `10×7..20` when the rows of an axis
 * differ in length (a ragged plate, such as LDA's `N[d]` words per document); `scalar`.
 */
export function describeShape(v: Nested): string {
  const lo: number[] = [];
  const hi: number[] = [];
  const walk = (a: Nested, depth: number): void => {
    if (!Array.isArray(a)) return;
    lo[depth] = Math.min(lo[depth] ?? Number.POSITIVE_INFINITY, a.length);
    hi[depth] = Math.max(hi[depth] ?? 0, a.length);
    for (const x of a) walk(x, depth + 1);
  };
  walk(v, 0);
  return formatShape(lo.map((l, i) => (l === hi[i] ? String(l) : `${l}..${hi[i]}`)));
}

export interface SummaryOptions {
  /** arrays with at most this many entries print in full (default 6) */
  readonly maxFull?: number;
  /** how many leading entries a large array shows (default 3) */
  readonly head?: number;
  readonly digits?: number;
  /** say how many entries a large array hides (`… 97 more`; default true) */
  readonly count?: boolean;
}

/** min, mean and max of the finite non-missing entries (null when there are none). */
export function stats(
  values: readonly (number | null)[],
): { min: number; mean: number; max: number } | null {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let count = 0;
  for (const x of values) {
    if (x === null || !Number.isFinite(x)) continue;
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    count++;
  }
  return count === 0 ? null : { min, mean: sum / count, max };
}

/**
 * A nested array as one line: scalars in full, small arrays in full (`[[1, 2], [3, 4]]`),
 * large arrays as their first few entries in row-major order and the overall range:
 * `[0.1, 0.2, 0.3, … 1997 more] min 0.01 mean 0.5 max 0.99`.
 */
export function summarizeNested(v: Nested, options: SummaryOptions = {}): string {
  const maxFull = options.maxFull ?? 6;
  const head = options.head ?? 3;
  const digits = options.digits ?? 4;
  if (!Array.isArray(v)) return formatNumber(v, digits);
  const flat = flatten(v);
  if (flat.length <= maxFull) return formatFull(v, digits);
  const first = flat.slice(0, head).map((x) => formatNumber(x, digits));
  const s = stats(flat);
  const range = s
    ? ` min ${formatNumber(s.min, digits)} mean ${formatNumber(s.mean, digits)} max ${formatNumber(s.max, digits)}`
    : '';
  const more = options.count === false ? '…' : `… ${flat.length - head} more`;
  return `[${first.join(', ')}, ${more}]${range}`;
}

function formatFull(v: Nested, digits: number): string {
  if (!Array.isArray(v)) return formatNumber(v, digits);
  return `[${v.map((x) => formatFull(x, digits)).join(', ')}]`;
}

/**
 * Mean and sd side by side: `0.68 ± 0.097` for a scalar, `[0.1 ± 0.01, 0.9 ± 0.02]` for a
 * small array, and for a large one its first few pairs then the range of the mean.
 */
export function summarizeMeanSd(mean: Nested, sd: Nested, options: SummaryOptions = {}): string {
  const maxFull = options.maxFull ?? 4;
  const head = options.head ?? 2;
  const digits = options.digits ?? 4;
  const pair = (m: number | null, s: number | null | undefined) =>
    `${formatNumber(m, digits)} ± ${formatNumber(s ?? null, digits)}`;
  const means = flatten(mean);
  const sds = flatten(sd);
  if (!Array.isArray(mean)) return pair(mean, sds[0]);
  if (means.length <= maxFull) {
    let i = 0;
    const walk = (a: Nested): string =>
      Array.isArray(a) ? `[${a.map(walk).join(', ')}]` : pair(a, sds[i++]);
    return walk(mean);
  }
  const first = means.slice(0, head).map((m, i) => pair(m, sds[i]));
  const s = stats(means);
  const range = s
    ? ` mean in [${formatNumber(s.min, digits)}, ${formatNumber(s.max, digits)}]`
    : '';
  return `[${first.join(', ')}, … ${means.length - head} more]${range}`;
}

/** The multi-index of flat position i (row-major) in `shape`. */
export function indexAt(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = i % shape[a]!;
    i = Math.floor(i / shape[a]!);
  }
  return idx;
}

/**
 * The multi-indices of the first `count` entries of a nested array in row-major order, ragged
 * or not: LDA's z (documents of different lengths, then K states) gives [0, 0, 0], [0, 0, 1], …
 * and, past the first document's words, [1, 0, 0], so entries are labelled `z[d, n] = k`.
 */
export function leafIndices(v: Nested, count: number): number[][] {
  const out: number[][] = [];
  const path: number[] = [];
  const walk = (a: Nested): void => {
    if (out.length >= count) return;
    if (!Array.isArray(a)) {
      out.push([...path]);
      return;
    }
    for (let i = 0; i < a.length && out.length < count; i++) {
      path.push(i);
      walk(a[i]!);
      path.pop();
    }
  };
  walk(v);
  return out;
}

/**
 * The label of entry `idx` of a latent's mean: `d[3]`, `x[1, 2]`; a Categorical mean has one
 * more axis than the node (its states), so its entries are `z = 2`, `z[4] = 1`: P(z[4] = 1).
 */
export function entryLabel(name: string, nodeRank: number, idx: readonly number[]): string {
  const node = idx.slice(0, nodeRank);
  const at = node.length > 0 ? `${name}[${node.join(', ')}]` : name;
  return idx.length > nodeRank ? `${at} = ${idx[idx.length - 1]}` : at;
}
