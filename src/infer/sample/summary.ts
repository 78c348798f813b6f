// Summaries of draws and the `plato sample --json` object (DESIGN.md §5). Ragged nodes,
// stored on one flattened axis, become nested ragged arrays again (d-major, per the
// RaggedSegments), exactly as they appear in data files.
import * as tf from '@tensorflow/tfjs';
import type { BoundModel, NDArray, PlateAxis, RaggedSegments } from '../../graph/bound.js';
import type { Nested, SampleResult } from '../../report/result.js';

export interface NodeSummary {
  /** mean over the sample axis: [...batch, ...event] */
  readonly mean: NDArray;
  /** standard deviation over the sample axis (n - 1 in the denominator; 0 when n = 1) */
  readonly sd: NDArray;
}

/** Mean and sd of every node's draws over the leading sample axis (centred, in float32). */
export function summarize(draws: Readonly<Record<string, tf.Tensor>>): Record<string, NodeSummary> {
  const out: Record<string, NodeSummary> = {};
  for (const [name, d] of Object.entries(draws)) {
    const n = d.shape[0];
    const shape = d.shape.slice(1);
    const [mean, sd] = tf.tidy(() => {
      const m = tf.mean(d, 0);
      const ss = tf.sum(tf.square(tf.sub(d, m)), 0);
      const s = n > 1 ? tf.sqrt(tf.div(ss, n - 1)) : tf.zerosLike(m);
      return [m, s];
    });
    out[name] = {
      mean: { shape, data: Float64Array.from(mean.dataSync()) },
      sd: { shape, data: Float64Array.from(sd.dataSync()) },
    };
    mean.dispose();
    sd.dispose();
  }
  return out;
}

/** One axis of a nested array: a fixed length, or a flattened ragged pair. */
type NestAxis =
  | { readonly kind: 'fixed'; readonly length: number }
  | { readonly kind: 'ragged'; readonly seg: RaggedSegments };

function nestAxes(
  axes: readonly PlateAxis[],
  event: readonly number[],
  ragged: Readonly<Record<string, RaggedSegments>>,
): NestAxis[] {
  const out: NestAxis[] = axes.map((a) => {
    const seg = a.plates.length === 2 ? ragged[a.plates[1]] : undefined;
    return seg ? { kind: 'ragged', seg } : { kind: 'fixed', length: a.length };
  });
  for (const length of event) out.push({ kind: 'fixed', length });
  return out;
}

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

/** Row-major data in the tensor layout → nested arrays (ragged pairs unflattened). */
export function toNested(data: ArrayLike<number>, axes: readonly NestAxis[]): Nested {
  const inner: number[] = new Array(axes.length + 1).fill(1);
  for (let i = axes.length - 1; i >= 0; i--) inner[i] = inner[i + 1] * axisLength(axes[i]);
  const build = (level: number, base: number): Nested => {
    if (level === axes.length) return jsonNumber(data[base]);
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

/** The nested (JSON) form of a node's array (no sample axis). */
export function nodeToNested(model: BoundModel, name: string, data: ArrayLike<number>): Nested {
  const shape = model.shapes[name];
  return toNested(data, nestAxes(model.axes[name] ?? [], shape?.event ?? [], model.ragged));
}

/** What `plato sample --json` prints: draws with a leading axis of n, and their summary. */
export function sampleResult(
  model: BoundModel,
  draws: Readonly<Record<string, tf.Tensor>>,
  options: { n: number; seed: number },
): SampleResult {
  const summary = summarize(draws);
  const result: SampleResult = {
    engine: 'sample',
    n: options.n,
    seed: options.seed,
    draws: {},
    summary: {},
  };
  for (const [name, d] of Object.entries(draws)) {
    const shape = model.shapes[name];
    const axes = nestAxes(model.axes[name] ?? [], shape?.event ?? [], model.ragged);
    result.draws[name] = toNested(d.dataSync(), [{ kind: 'fixed', length: d.shape[0] }, ...axes]);
    result.summary[name] = {
      mean: toNested(summary[name].mean.data, axes),
      sd: toNested(summary[name].sd.data, axes),
    };
  }
  return result;
}
