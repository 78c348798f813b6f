// The plate context an expression is evaluated in, and the constant tensors a compiled plan
// owns. A "plate-aligned value" (PAV) evaluated in a context with m axes is a tensor
// [s, c1, …, cm, ...valueShape]: s is the sample axis (1 or S), ci is the length of context
// axis i or 1 where the value does not vary along it. Binary ops right-align the value shapes
// and let tf broadcasting do the rest.
import * as tf from '@tensorflow/tfjs';
import type { BoundModel, NDArray, PlateAxis, RaggedSegments } from '../graph/bound.js';
import { float32Of } from '../graph/values.js';

/** How a plate index name is seen inside a context. */
export interface IndexBinding {
  /** which context axis the plate lives on */
  readonly axis: number;
  readonly plate: string;
  /**
   * plain: the axis is the plate's own; outer: the plate `d` of a flattened ragged pair
   * (its index is `outerIndex`); inner: the ragged plate `n` (position inside its segment)
   */
  readonly role: 'plain' | 'outer' | 'inner';
  readonly ragged?: RaggedSegments;
}

export interface PlateContext {
  readonly axes: readonly PlateAxis[];
  readonly indices: ReadonlyMap<string, IndexBinding>;
}

export const EMPTY_CONTEXT: PlateContext = { axes: [], indices: new Map() };

/** The context of a node: its own batch axes, and its plates' index names bound to them. */
export function nodeContext(model: BoundModel, name: string): PlateContext {
  const node = model.graph.nodes[name];
  const axes = model.axes[name] ?? [];
  const indices = new Map<string, IndexBinding>();
  if (!node) return { axes, indices };
  for (const id of node.plates) {
    const plate = model.graph.plates[id];
    if (!plate) continue;
    const axis = axes.findIndex((a) => a.plates.includes(id));
    if (axis < 0) continue;
    const ax = axes[axis];
    if (ax.plates.length === 1) {
      indices.set(plate.index, { axis, plate: id, role: 'plain' });
    } else {
      const raggedId = ax.plates[ax.plates.length - 1];
      const ragged = model.ragged[raggedId];
      indices.set(plate.index, {
        axis,
        plate: id,
        role: id === raggedId ? 'inner' : 'outer',
        ragged,
      });
    }
  }
  return { axes, indices };
}

/** The shape [1, 1, …, len at `axis`, …, 1] of a plate-index PAV in an m-axis context. */
export function axisShape(m: number, axis: number, len: number): number[] {
  const shape = new Array<number>(1 + m).fill(1);
  shape[1 + axis] = len;
  return shape;
}

/**
 * Constant tensors owned by a compiled plan (data, hypers, ragged index arrays, constant
 * sub-expressions), created lazily on first use and kept out of every tidy scope until
 * `dispose`. This is what makes a plan cheap to evaluate many times.
 */
export class Consts {
  private readonly cache = new Map<string, tf.Tensor>();

  get(key: string, make: () => tf.Tensor): tf.Tensor {
    const hit = this.cache.get(key);
    if (hit && !hit.isDisposed) return hit;
    // created outside any caller's tidy scope: keep() so a surrounding tidy does not free it
    const t = tf.keep(tf.tidy(make));
    this.cache.set(key, t);
    return t;
  }

  /** row-major NDArray → float32 tensor with a leading axis of 1 */
  fromNDArray(key: string, a: NDArray): tf.Tensor {
    return this.get(key, () => tf.tensor(float32Of(a), [1, ...a.shape], 'float32'));
  }

  dispose(): void {
    for (const t of this.cache.values()) if (!t.isDisposed) t.dispose();
    this.cache.clear();
  }

  get size(): number {
    return this.cache.size;
  }
}

/** Position of each flattened element inside its segment: t - offsets[outerIndex[t]]. */
export function innerPositions(r: RaggedSegments): Int32Array {
  const out = new Int32Array(r.outerIndex.length);
  for (let d = 0; d < r.counts.length; d++) {
    for (let t = r.offsets[d]; t < r.offsets[d + 1]; t++) out[t] = t - r.offsets[d];
  }
  return out;
}

/**
 * The value of a plate index as an int32 PAV of value shape []: arange for a plain plate,
 * `outerIndex` for the outer plate of a ragged pair, the in-segment position for the ragged one.
 */
export function indexValue(consts: Consts, ctx: PlateContext, b: IndexBinding): tf.Tensor {
  const m = ctx.axes.length;
  const len = ctx.axes[b.axis].length;
  const key = `index:${b.plate}:${b.role}:${m}:${b.axis}`;
  return consts.get(key, () => {
    const shape = axisShape(m, b.axis, len);
    if (b.role === 'plain') return tf.reshape(tf.range(0, len, 1, 'int32'), shape);
    const r = b.ragged;
    if (!r) throw new Error(`internal: ragged plate '${b.plate}' has no segments`);
    const data = b.role === 'outer' ? r.outerIndex : innerPositions(r);
    return tf.tensor(Int32Array.from(data), shape, 'int32');
  });
}
