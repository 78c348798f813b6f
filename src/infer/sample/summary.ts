// Summaries of draws and the `plato sample` result (DESIGN.md §5). Every array is the draws'
// own typed data (read once from the tensor) with its shape; ragged nodes, stored on one
// flattened axis, carry their rows (RaggedSegments) so that their JSON nests them again
// (d-major), exactly as they appear in data files.
import * as tf from '@tensorflow/tfjs';
import { DISTRIBUTIONS, isDistName } from '../../distributions/signatures.js';
import type { BoundModel, NDArray, PlateAxis, RaggedSegments } from '../../graph/bound.js';
import { type RaggedAxis, ResultArray, type SampleResult } from '../result.js';

export interface NodeSummary {
  /** mean over the sample axis: [...batch, ...event] */
  readonly mean: NDArray;
  /** standard deviation over the sample axis (n - 1 in the denominator; 0 when n = 1) */
  readonly sd: NDArray;
}

/**
 * Mean and sd over the leading sample axis (centred, in float32), as float32 data; `data` is
 * the tensor's data when already read.
 */
function meanSd(d: tf.Tensor, data?: ArrayLike<number>): [Float32Array, Float32Array] {
  const n = d.shape[0];
  // one draw is its own mean (a copy: the draws keep theirs), with sd 0: no kernels (forward
  // LDA draws 540,000 values once)
  if (n === 1) return [Float32Array.from(data ?? d.dataSync()), new Float32Array(d.size)];
  const [mean, sd] = tf.tidy(() => {
    const m = tf.mean(d, 0);
    const ss = tf.sum(tf.square(tf.sub(d, m)), 0);
    const s = n > 1 ? tf.sqrt(tf.div(ss, n - 1)) : tf.zerosLike(m);
    return [m, s];
  });
  try {
    return [mean.dataSync() as Float32Array, sd.dataSync() as Float32Array];
  } finally {
    mean.dispose();
    sd.dispose();
  }
}

/** Mean and sd of every node's draws over the leading sample axis (centred, in float32). */
export function summarize(draws: Readonly<Record<string, tf.Tensor>>): Record<string, NodeSummary> {
  const out: Record<string, NodeSummary> = {};
  for (const [name, d] of Object.entries(draws)) {
    const shape = d.shape.slice(1);
    const [mean, sd] = meanSd(d);
    out[name] = {
      mean: { shape, data: Float64Array.from(mean) },
      sd: { shape, data: Float64Array.from(sd) },
    };
  }
  return out;
}

/** The ragged axes of a node's layout (no sample axis): its flattened ragged pairs. */
export function raggedAxes(
  axes: readonly PlateAxis[],
  ragged: Readonly<Record<string, RaggedSegments>>,
): RaggedAxis[] {
  const out: RaggedAxis[] = [];
  axes.forEach((a, axis) => {
    const seg = a.plates.length === 2 ? ragged[a.plates[1]] : undefined;
    if (seg) out.push({ axis, offsets: seg.offsets });
  });
  return out;
}

/**
 * The data of a draws tensor: Int32Array for a family with integer values (DISTRIBUTIONS'
 * `discrete`) when every draw is a finite integer, else the tensor's float32 (or int32) data.
 */
function typedData(t: tf.Tensor, integer: boolean): Float32Array | Int32Array {
  const d = t.dataSync();
  if (d instanceof Int32Array) return d;
  if (!(d instanceof Float32Array)) return Int32Array.from(d as Uint8Array); // bool
  if (!integer) return d;
  const out = new Int32Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (!Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1) return d;
    out[i] = v;
  }
  return out;
}

function integerValued(model: BoundModel, name: string): boolean {
  const node = model.graph.nodes[name];
  return node?.kind === 'stochastic' && isDistName(node.distribution)
    ? DISTRIBUTIONS[node.distribution].discrete
    : false;
}

/** The result of `sample()`: draws with a leading axis of n, and their summary. */
export function sampleResult(
  model: BoundModel,
  draws: Readonly<Record<string, tf.Tensor>>,
  options: { n: number; seed: number },
): SampleResult {
  const out: Record<string, ResultArray> = {};
  const summary: Record<string, { mean: ResultArray; sd: ResultArray }> = {};
  for (const [name, d] of Object.entries(draws)) {
    const s = model.shapes[name];
    const shape = [...s.batch, ...s.event];
    const ragged = raggedAxes(model.axes[name] ?? [], model.ragged);
    const shifted = ragged.map((r) => ({ axis: r.axis + 1, offsets: r.offsets }));
    const data = typedData(d, integerValued(model, name));
    out[name] = new ResultArray(data, [d.shape[0], ...shape], shifted);
    const [mean, sd] = meanSd(d, data);
    summary[name] = {
      mean: new ResultArray(mean, shape, ragged),
      sd: new ResultArray(sd, shape, ragged),
    };
  }
  return { engine: 'sample', n: options.n, seed: options.seed, draws: out, summary };
}
