// Summaries of draws and the `plato sample --json` object (DESIGN.md §5). Ragged nodes,
// stored on one flattened axis, become nested ragged arrays again (d-major, per the
// RaggedSegments), exactly as they appear in data files.
import * as tf from '@tensorflow/tfjs';
import type { BoundModel, NDArray, PlateAxis, RaggedSegments } from '../../graph/bound.js';
import { type NestAxis, toNested } from '../../report/nested.js';
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
