// The plate context an expression is evaluated in, and the constant tensors a compiled plan
// owns. A "plate-aligned value" (PAV) evaluated in a context with m axes is a tensor
// [s, c1, …, cm, ...valueShape]: s is the sample axis (1 or S), ci is the length of context
// axis i or 1 where the value does not vary along it. Binary ops right-align the value shapes
// and let tf broadcasting do the rest.
import * as tf from '@tensorflow/tfjs';
import type { BoundModel, NDArray, PlateAxis, RaggedSegments } from '../graph/bound.js';
import { float32Of, tensorOf } from '../graph/values.js';

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
  /** in a step context: the env key of this index's values at the step's cells (int32 [width]) */
  readonly step?: string;
}

/**
 * A chain's step in a node's context (DESIGN §2 "Sequences", sampled as a scan): the chain
 * plate's axis holds one step's cells (graph/chains.ts StepLayout) instead of every step. The
 * step's values come from the env: `stepKey(name, k)` holds the value of a carried member at
 * step t − k in the step's layout, `cellsKey(k)` the positions of the cells of step t − k along
 * the axis (to gather any other member's full value), each index's `step` key its values.
 */
export interface StepAxis {
  readonly axis: number;
  readonly plate: string;
  /** the members drawn step by step: they have no full value in the env */
  readonly carried: ReadonlySet<string>;
  /** filled while lowering: the (member, k) reads the step evaluates, by member */
  readonly reads: Map<string, Set<number>>;
}

export interface PlateContext {
  readonly axes: readonly PlateAxis[];
  readonly indices: ReadonlyMap<string, IndexBinding>;
  readonly step?: StepAxis;
}

/** The env key of member `name` at step t − k in a step's layout. */
export const stepKey = (name: string, k: number): string => `@step:${name}:${k}`;
/** The env key of the axis positions of step t − k's cells (int32 [width]). */
export const cellsKey = (k: number): string => `@cells:${k}`;
/** The env key of a plate index's values at the step's cells (int32 [width]). */
export const stepIndexKey = (plate: string): string => `@index:${plate}`;

/**
 * `name`'s context with the chain plate's axis holding `width` cells of one step: the axis's
 * plate indices read their values from the env (stepIndexKey).
 */
export function stepContext(
  model: BoundModel,
  name: string,
  plate: string,
  width: number,
  carried: ReadonlySet<string>,
  reads: Map<string, Set<number>>,
): PlateContext {
  const base = nodeContext(model, name);
  const axis = base.axes.findIndex((a) => a.plates.includes(plate));
  if (axis < 0) throw new Error(`internal: '${name}' is not in plate '${plate}'`);
  const ax = base.axes[axis]!;
  const axes = base.axes.map((a, i) => (i === axis ? { plates: a.plates, length: width } : a));
  const indices = new Map<string, IndexBinding>();
  for (const [index, b] of base.indices) {
    const onAxis = b.axis === axis && ax.plates.includes(b.plate);
    indices.set(index, onAxis ? { ...b, step: stepIndexKey(b.plate) } : b);
  }
  return { axes, indices, step: { axis, plate, carried, reads } };
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
    return this.get(key, () => {
      // a value binding read into a tensor: a reshape shares its memory (no copy)
      const bound = tensorOf(a);
      return bound
        ? tf.reshape(bound, [1, ...a.shape])
        : tf.tensor(float32Of(a), [1, ...a.shape], 'float32');
    });
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
export function indexValue(
  consts: Consts,
  ctx: PlateContext,
  b: IndexBinding,
  env: Readonly<Record<string, tf.Tensor>>,
): tf.Tensor {
  const m = ctx.axes.length;
  const len = ctx.axes[b.axis].length;
  if (b.step) {
    const v = env[b.step];
    if (!v) throw new Error(`internal: no values for the step index '${b.plate}'`);
    return tf.reshape(v, axisShape(m, b.axis, len));
  }
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
