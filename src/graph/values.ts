// Reading one variable's value from the data into the dense row-major layout: nested JSON
// arrays (ragged where the plate is ragged) or an already dense `{ shape, data }` array.
// Every problem names the variable and the nested index (`y[3, 1]`).
//
// Large values are read in one pass: a typed array by one native conversion and one finiteness
// scan; nested arrays of fixed axes by a tight loop per innermost row, falling back to the
// entry-by-entry walk (which names every problem) at the first entry that is not a finite number.
import type * as tf from '@tensorflow/tfjs';
import { prod } from '../util/shape.js';
import type { NDArray } from './bound.js';
import type { NestedAxis } from './layout.js';
import { MAX_RANK } from './limits.js';
import { indexedName } from './print.js';
import type { Problems } from './problems.js';

/** A dense array handed in by a program (not JSON): row-major `data` of `shape`. */
export interface DenseInput {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

export function isDenseInput(v: unknown): v is DenseInput {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as { shape?: unknown; data?: unknown };
  return (
    Array.isArray(o.shape) &&
    o.shape.every((d) => Number.isInteger(d) && d >= 0) &&
    ArrayBuffer.isView(o.data) &&
    !(o.data instanceof DataView) &&
    !(o.data instanceof BigInt64Array) &&
    !(o.data instanceof BigUint64Array)
  );
}

/**
 * A large float32 tensor with a view of its memory to fill in place (backend/heapFloat32.ts),
 * or undefined where the backend has no such memory. Binding writes a large float32 value
 * straight into it instead of into a new Float32Array that a tensor would copy later.
 */
export type Float32Store = (
  shape: readonly number[],
) => { readonly tensor: tf.Tensor; readonly view: Float32Array } | undefined;

/**
 * A bound float32 value: a Float32Array (the one given, not copied, so it must not change while
 * the call that binds it runs), or a tensor that binding filled (Float32Store), which is then
 * the value's only copy until a host reader asks for `float32` or `data`. The float64 form is
 * made only if something reads `data`. The tensors made from it take the float32 values
 * directly (`float32Of`, `tensorOf`).
 */
class Float32Values implements NDArray {
  private f64?: Float64Array;
  private f32?: Float32Array;
  /**
   * @param exactValues where the tensor holds numbers rounded to float32: the exact numbers,
   *   read again from the input
   */
  constructor(
    readonly shape: readonly number[],
    values: Float32Array | tf.Tensor,
    private readonly exactValues?: () => Float64Array,
  ) {
    if (values instanceof Float32Array) this.f32 = values;
    else this.tensor = values;
  }

  /** the tensor binding filled, until releaseValues frees it */
  tensor?: tf.Tensor;

  get float32(): Float32Array {
    if (!this.f32) {
      if (!this.tensor) throw new Error('a bound value was read after releaseValues freed it');
      this.f32 = this.tensor.dataSync() as Float32Array;
    }
    return this.f32;
  }

  get data(): Float64Array {
    this.f64 ??= this.exactValues ? this.exactValues() : new Float64Array(this.float32);
    return this.f64;
  }
}

/** The values of a bound array as float32: the array given, if it was a Float32Array, else converted. */
export function float32Of(a: NDArray): Float32Array {
  return a instanceof Float32Values ? a.float32 : new Float32Array(a.data);
}

/** The tensor a bound value was read into (Float32Store), if it was; its owner is the binding. */
export function tensorOf(a: NDArray): tf.Tensor | undefined {
  return a instanceof Float32Values && a.tensor && !a.tensor.isDisposed ? a.tensor : undefined;
}

/**
 * Free the tensors that binding filled (Float32Store) among `values`, once nothing will read
 * them again; a value whose host copy was made keeps it.
 */
export function releaseValues(values: Readonly<Record<string, NDArray>>): void {
  for (const a of Object.values(values)) {
    if (!(a instanceof Float32Values) || !a.tensor) continue;
    a.tensor.dispose();
    a.tensor = undefined;
  }
}

/** A short description of a wrong value for messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string')
    return `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)}`;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return String(v);
  return 'an object';
}

/**
 * The shape of a (possibly ragged) nested array read along first entries: [2, 3] for
 * [[1, 2, 3], [4, 5, 6]]. Nulls and empty rows are passed over to the first non-empty
 * entry; `open` is true when every row at some depth is empty (or null), so deeper axes are
 * unseen.
 */
export function apparentShape(v: unknown): number[] {
  return apparent(v).shape;
}

function apparent(v: unknown): { shape: number[]; open: boolean } {
  if (isDenseInput(v)) return { shape: [...v.shape], open: false };
  const shape: number[] = [];
  let cur = v;
  while (Array.isArray(cur) && shape.length <= MAX_RANK) {
    shape.push(cur.length);
    if (cur.length === 0) return { shape, open: true };
    const rows: unknown[] = cur;
    // every row null: whole rows missing (a stochastic node's), the deeper axes unseen
    if (rows.every((x) => x === null)) return { shape, open: true };
    cur =
      rows.find((x) => Array.isArray(x) && x.length > 0) ?? rows.find((x) => x !== null) ?? null;
  }
  return { shape, open: false };
}

export interface ReadSpec {
  /** the variable's name, for indices in messages (`y[3, 1]`) */
  readonly name: string;
  /** prefix for messages about one entry: 'hyper ', 'data ', or '' for a stochastic node */
  readonly prefix: string;
  readonly axes: readonly NestedAxis[];
  /** null entries allowed (missing values of a stochastic node) */
  readonly allowMissing: boolean;
  /** what a wrong overall shape is reported as: `X: expected real[N, P] = [100, 3]` */
  readonly expected: string;
  /** where a large float32 value is written (default: a new Float32Array) */
  readonly store?: Float32Store;
}

export interface ReadResult {
  readonly array: NDArray;
  /** 1 where observed, 0 where missing; present only if something is missing */
  readonly mask?: Uint8Array;
  readonly missing: number;
}

function axisLength(a: NestedAxis, outer: number): number {
  return a.kind === 'fixed' ? a.length : (a.counts[outer] ?? 0);
}

/** Entries in the subtree at depth `depth` (whose position along the previous axis is `outer`). */
function subtreeSize(axes: readonly NestedAxis[], depth: number, outer: number): number {
  let n = 1;
  for (let i = depth; i < axes.length; i++) {
    const a = axes[i];
    const next = axes[i + 1];
    if (a.kind === 'ragged')
      n *= a.counts[outer] ?? 0; // only reached at i === depth
    else if (next?.kind === 'ragged') {
      // an outer axis with its ragged axis below: all of its rows together
      n *= sumCounts(next);
      i++;
    } else n *= a.length;
  }
  return n;
}

function sumCounts(a: NestedAxis): number {
  return a.kind === 'ragged' ? a.counts.reduce((s, c) => s + c, 0) : a.length;
}

/** The total number of entries of the layout described by `axes`. */
export function layoutSize(axes: readonly NestedAxis[]): number {
  return subtreeSize(axes, 0, 0);
}

/** The flattened (tensor-layout) shape of nested axes: a ragged axis merges with its outer one. */
export function flatShape(axes: readonly NestedAxis[]): number[] {
  const out: number[] = [];
  for (const a of axes) {
    if (a.kind === 'ragged') {
      out.pop();
      out.push(sumCounts(a));
    } else out.push(a.length);
  }
  return out;
}

/** Read `value` into the layout of `spec.axes`; undefined (with problems reported) if unusable. */
export function readValue(
  value: unknown,
  spec: ReadSpec,
  problems: Problems,
): ReadResult | undefined {
  if (isDenseInput(value)) return readDense(value, spec, problems);
  const { axes, name } = spec;
  // A wrong overall shape (rank, or a fixed length along the first entries) is one message.
  const { shape: got, open } = apparent(value);
  const rankOk = open ? got.length <= axes.length : got.length === axes.length;
  const lengthsOk =
    rankOk && got.every((len, i) => axes[i].kind === 'ragged' || axes[i].length === len);
  if (!rankOk || !lengthsOk) {
    const gotText =
      typeof value === 'number' || Array.isArray(value) ? `[${got.join(', ')}]` : describe(value);
    problems.error(`${name}: expected ${spec.expected}, got ${gotText}`, name);
    return undefined;
  }
  const total = layoutSize(axes);
  const fast = readFixed(value, axes, total, spec.store);
  if (fast) return { array: fast, missing: 0 };
  const data = new Float64Array(total);
  const mask = spec.allowMissing ? new Uint8Array(total) : undefined;
  const index = new Array<number>(axes.length).fill(0);
  let k = 0;
  let missing = 0;
  const where = (depth: number) => indexedName(name, index.slice(0, depth));

  const leaf = (v: unknown, depth: number) => {
    if (typeof v === 'number') {
      if (Number.isFinite(v)) {
        data[k] = v;
        if (mask) mask[k] = 1;
      } else {
        problems.error(
          `${spec.prefix}${where(depth)} = ${v} is not a ${Number.isNaN(v) ? 'number' : 'finite number'}${
            spec.allowMissing ? ': write null for a missing value' : ''
          }`,
          name,
        );
      }
    } else if (v === null) {
      if (mask) {
        data[k] = Number.NaN;
        missing++;
      } else
        problems.error(
          `${spec.prefix}${where(depth)} is missing (null): ${spec.prefix.trim() || 'it'} must be complete`,
          name,
        );
    } else
      problems.error(`${spec.prefix}${where(depth)} is ${describe(v)}: expected a number`, name);
    k++;
  };

  const walk = (v: unknown, depth: number) => {
    if (depth === axes.length) {
      leaf(v, depth);
      return;
    }
    const a = axes[depth];
    const outer = depth > 0 ? index[depth - 1] : 0;
    const len = axisLength(a, outer);
    if (v === null && mask) {
      // a whole missing row: every entry below is missing
      const n = subtreeSize(axes, depth, outer);
      data.fill(Number.NaN, k, k + n);
      missing += n;
      k += n;
      return;
    }
    if (!Array.isArray(v) || v.length !== len) {
      const what =
        a.kind === 'ragged' ? `${a.plate.size}[${outer}] = ${len} entries` : `${len} entries`;
      problems.error(
        `${where(depth)}: expected ${what}, got ${Array.isArray(v) ? v.length : describe(v)}`,
        name,
      );
      k += subtreeSize(axes, depth, outer);
      return;
    }
    for (let i = 0; i < len; i++) {
      index[depth] = i;
      walk(v[i], depth + 1);
    }
    index[depth] = 0;
  };
  walk(value, 0);
  return {
    array: { shape: flatShape(axes), data },
    ...(missing && mask ? { mask } : {}),
    missing,
  };
}

/** From this many entries, nested numbers that float32 holds exactly are stored as float32. */
const FLOAT32_FROM = 1 << 12;

/**
 * Nested arrays along fixed axes, every entry a finite number: the row-major values, read by a
 * tight loop per innermost row. Undefined at the first anything else (a null, a wrong length, a
 * non-finite number, a ragged axis): the caller's walk then reads it again and names the problem.
 * A large array whose numbers are all float32 values (data written from float32, as much
 * covariate data is) is kept as float32, as a Float32Array input is: the same numbers in half
 * the memory, with no conversion when its tensor is made. At the first number float32 cannot
 * hold exactly the values read so far move to float64 — unless a store takes them: its tensor
 * then holds every number rounded to float32 (what a tensor made from the float64 values holds,
 * since tensors are float32), and a host reader of `data` gets the exact float64 numbers read
 * again from `value` (which, like a typed array given, must not change during the call).
 */
function readFixed(
  value: unknown,
  axes: readonly NestedAxis[],
  total: number,
  store: Float32Store | undefined,
): NDArray | undefined {
  if (!axes.every((a) => a.kind === 'fixed')) return undefined;
  const shape = axes.map(
    (a) => (a as Extract<NestedAxis, { kind: 'fixed' }>).length,
  ) as readonly number[];
  const last = shape.length - 1;
  if (last < 0) {
    if (typeof value !== 'number' || value - value !== 0) return undefined;
    return { shape, data: Float64Array.of(value) };
  }
  const block = total >= FLOAT32_FROM ? store?.(shape) : undefined;
  let f32 = block ? block.view : total >= FLOAT32_FROM ? new Float32Array(total) : undefined;
  let f64 = f32 ? undefined : new Float64Array(total);
  /** every number so far is a float32 value */
  let exact = true;
  let k = 0;
  const fill = (v: unknown, depth: number): boolean => {
    const len = shape[depth];
    if (!Array.isArray(v) || v.length !== len) return false;
    if (depth < last) {
      for (let i = 0; i < len; i++) if (!fill(v[i], depth + 1)) return false;
      return true;
    }
    if (f32 && exact) {
      const end = copyExact32(v, f32, k);
      if (end === NOT_FINITE) return false;
      if (end >= 0) {
        k = end;
        return true;
      }
      exact = false;
      if (!block) {
        f64 = new Float64Array(total);
        f64.set(f32.subarray(0, k));
        f32 = undefined;
      }
    }
    const end = copyFinite(v, f32 ?? (f64 as Float64Array), k);
    if (end === NOT_FINITE) return false;
    k = end;
    return true;
  };
  if (!fill(value, 0)) {
    block?.tensor.dispose();
    return undefined;
  }
  if (!f32) return { shape, data: f64 as Float64Array };
  if (!block) return new Float32Values(shape, f32);
  const exactValues = () => (readFixed(value, axes, total, undefined) as NDArray).data;
  return new Float32Values(shape, block.tensor, exact ? undefined : exactValues);
}

/** copyFinite / copyExact32: an entry is not a finite number (copyExact32: not a number) */
const NOT_FINITE = -1;
/** copyExact32: an entry float32 does not hold exactly, or a number that is not finite */
const NOT_FLOAT32 = -2;

/**
 * Copy a row of finite numbers into `data` from `k` (a Float32Array rounds them to float32):
 * the end, or NOT_FINITE.
 */
function copyFinite(row: readonly unknown[], data: Float64Array | Float32Array, k: number): number {
  const n = row.length;
  for (let i = 0; i < n; i++) {
    const x = row[i];
    // x − x is 0 exactly for a finite number (NaN for NaN and ±Infinity)
    if (typeof x !== 'number' || x - x !== 0) return NOT_FINITE;
    data[k + i] = x;
  }
  return k + n;
}

/**
 * Copy a row of finite float32 values into `data` from `k`: the end, NOT_FINITE or NOT_FLOAT32
 * (the caller then reads the row as float64, where copyFinite finds a non-finite entry).
 * x − fround(x) is 0 exactly when float32 holds x, and NaN for NaN and ±Infinity, so one test
 * does both checks; two entries per iteration: 11 ms for 5 million numbers against 15 ms one by
 * one (V8 12, this machine).
 */
function copyExact32(row: readonly unknown[], data: Float32Array, k: number): number {
  const n = row.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const x0 = row[i];
    const x1 = row[i + 1];
    if (typeof x0 !== 'number' || typeof x1 !== 'number') return NOT_FINITE;
    const y0 = Math.fround(x0);
    const y1 = Math.fround(x1);
    if (x0 - y0 !== 0 || x1 - y1 !== 0) return NOT_FLOAT32;
    data[k + i] = y0;
    data[k + i + 1] = y1;
  }
  if (i < n) {
    const x = row[i];
    if (typeof x !== 'number') return NOT_FINITE;
    const y = Math.fround(x);
    if (x - y !== 0) return NOT_FLOAT32;
    data[k + i] = y;
  }
  return k + n;
}

/**
 * A dense input must have the flattened layout shape exactly; NaN marks a missing entry. One
 * native conversion to float64 and one scan for non-finite values.
 */
function readDense(value: DenseInput, spec: ReadSpec, problems: Problems): ReadResult | undefined {
  const shape = flatShape(spec.axes);
  const { name } = spec;
  if (value.shape.length !== shape.length || value.shape.some((d, i) => d !== shape[i])) {
    problems.error(`${name}: expected ${spec.expected}, got [${value.shape.join(', ')}]`, name);
    return undefined;
  }
  const n = prod(shape);
  if (value.data.length !== n) {
    problems.error(
      `${name}: the array has ${value.data.length} numbers but shape [${shape.join(', ')}] needs ${n}`,
      name,
    );
    return undefined;
  }
  // a float64 or float32 array is used as it is; other typed arrays are converted natively
  const src = value.data;
  const given: Float64Array | Float32Array =
    src instanceof Float64Array || src instanceof Float32Array
      ? src
      : new Float64Array(src as unknown as ArrayLike<number>);
  let mask: Uint8Array | undefined;
  let missing = 0;
  // the entry-by-entry scan only to find and name what is wrong
  const scan = !allFinite(given);
  for (let i = 0; scan && i < n; i++) {
    const v = given[i];
    // v − v is 0 exactly for a finite number (NaN for NaN and ±Infinity)
    if (v - v === 0) continue;
    if (Number.isNaN(v) && spec.allowMissing) {
      mask ??= new Uint8Array(n).fill(1);
      mask[i] = 0;
      missing++;
    } else
      problems.error(
        `${spec.prefix}${denseEntry(name, i, shape)} = ${v} is not a finite number`,
        name,
      );
  }
  let array: NDArray;
  if (given instanceof Float32Array) {
    // one copy into the tensor now, in place of one per tensor made from it later
    const block = !scan && n >= FLOAT32_FROM ? spec.store?.(shape) : undefined;
    block?.view.set(given);
    array = new Float32Values(shape, block ? block.tensor : given);
  } else array = { shape, data: given };
  return { array, ...(mask ? { mask } : {}), missing };
}

/**
 * Whether every entry is finite: Σ (v − v) is 0 exactly when every v is finite (NaN for NaN
 * or ±Infinity, and NaN stays NaN). Four branch-free sums: ~2 ms for 5 million float32s, half
 * the time of a scan that tests each entry; the entry-by-entry scan runs only when this fails.
 */
function allFinite(a: Float32Array | Float64Array): boolean {
  const n = a.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i] - a[i];
    s1 += a[i + 1] - a[i + 1];
    s2 += a[i + 2] - a[i + 2];
    s3 += a[i + 3] - a[i + 3];
  }
  for (; i < n; i++) s0 += a[i] - a[i];
  return s0 + s1 + s2 + s3 === 0;
}

/** `X[2, 1] (entry 5 of the dense array)`: the row-major index of flat entry i of `shape`. */
function denseEntry(name: string, i: number, shape: readonly number[]): string {
  const index = new Array<number>(shape.length);
  let rest = i;
  for (let a = shape.length - 1; a >= 0; a--) {
    index[a] = rest % shape[a];
    rest = Math.floor(rest / shape[a]);
  }
  return `${indexedName(name, index)} (entry ${i} of the dense array)`;
}
