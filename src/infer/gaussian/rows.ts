// A Gaussian factor whitened into rows: every factor of a linear-Gaussian block (a latent's
// Normal/MvNormal prior, an observed child) has a mean affine in θ and a known covariance, and
// is written as rows ρ = b − A θ with unit noise (Bishop, PRML §3.3). Normal: each row divided
// by its sd; MvNormal: each event vector multiplied by L⁻¹ with Σ = L Lᵀ. The log-determinant
// of the whitening map (½ log|Λ|) and the number of observed scalars come with the rows.
//
// Design rows come from the data matrix itself for `dot(X[i], beta)` / `X @ beta`, else from
// evaluating the mean's linear part at basis vectors on the sample axis (graph/conjugacy.ts).
// Nodes outside the block that the sds read (a noise precision τ) take the values the caller
// fixes: 1 to factor τ out of the rows (exact Normal–Gamma), or E[τ] (CAVI).
import * as tf from '@tensorflow/tfjs';
import { type Env, type ExprEvaluator, fullShape, sum64 } from '../../compile/evaluator.js';
import type { GaussianFactor } from '../../graph/conjugacy.js';
import type { StochasticNode } from '../../graph/ir.js';
import { choleskyBlocks, logDetBlocks, lowerInverseBlocks } from '../../linalg/dense64.js';
import { prod } from '../../util/shape.js';
import type { GaussianLayout, LatentSlice } from './layout.js';

/** Basis evaluations are chunked to keep [chunk, rows] at most this many floats. */
const BASIS_CHUNK = 1 << 24;

/** Values for the non-latent nodes the factors' sds read: a number (broadcast) or the full array. */
export type FixedValues = Readonly<Record<string, number | Float64Array>>;

/** A factor whitened into rows: scale · (b − A θ) has unit noise. */
export interface FactorRows {
  /** [T, cols] */
  readonly A: tf.Tensor;
  /** [T] */
  readonly b: tf.Tensor;
  /** a whitening factor common to every row, kept out of A and b (saves a pass over A) */
  readonly scale: number;
  /** blocked: the plate element of every row, int32 [T] */
  readonly seg?: tf.Tensor;
  /** Σ log of the whitening scales: ½ log|Λ| of the factor (its observed entries only) */
  readonly logDetW: number;
  /** observed scalars (0 for a latent's prior) */
  readonly n: number;
}

export function disposeRows(r: FactorRows): void {
  r.A.dispose();
  r.b.dispose();
  r.seg?.dispose();
}

/** The rows of factor `f` in `layout`, with `fixed` values for the other nodes its sd reads. */
export function factorRows(
  f: GaussianFactor,
  layout: GaussianLayout,
  ev: ExprEvaluator,
  fixed: FixedValues = {},
): FactorRows {
  const model = ev.model;
  const node = model.graph.nodes[f.node] as StochasticNode;
  const shape = model.shapes[f.node];
  const event = shape.event;
  const T = prod(shape.batch) * prod(event);
  const D = layout.cols;

  // the latents at 0 (the mean's offset) and the fixed nodes at their values
  const env0: Record<string, tf.Tensor> = {};
  const made: tf.Tensor[] = [];
  const keep = (t: tf.Tensor) => {
    made.push(t);
    return t;
  };
  for (const l of layout.latents) env0[l.name] = keep(tf.zeros([1, ...l.shape]));
  for (const [name, value] of Object.entries(fixed)) {
    const shape = [1, ...fullShape(model, name)];
    env0[name] = keep(
      typeof value === 'number'
        ? tf.fill(shape, value)
        : tf.tensor(Float32Array.from(value), shape),
    );
  }

  try {
    const seg = layout.blocked ? blockOfRows(f, layout, ev, T, event) : undefined;
    const partial = model.observation[f.node]?.kind === 'partial';
    // one sd for every row: whiten by a number instead of a pass over the design
    const uniformSd =
      node.distribution === 'Normal' && !partial
        ? ev.uniformValue(node.args.sigma, f.node, env0)
        : undefined;
    const out = tf.tidy(() => {
      let A = design(f, layout, ev, env0, T, event);
      let y: tf.Tensor;
      let mask: tf.Tensor | undefined;
      if (f.target === 'latent') {
        // ρ = θ_self − mean: b = −offset, A = design − selector
        A = tf.sub(A, selector(f.node, layout, T));
        y = tf.zeros([T]);
      } else {
        const obs = tf.reshape(ev.observed(f.node), [T]);
        const o = model.observation[f.node];
        if (o?.kind === 'partial') {
          mask = tf.tensor1d(Float32Array.from(o.mask));
          y = tf.where(tf.cast(mask, 'bool'), obs, tf.zerosLike(obs));
        } else y = obs;
      }
      // the mean at latents = 0 (exactly 0 when the mean has no known additive part)
      const resid = f.offset
        ? tf.sub(y, tf.reshape(ev.inLayout(node.args.mu, f.node, env0, event), [T]))
        : y;
      const n = f.target === 'observed' ? (mask ? mask : tf.scalar(T)) : tf.scalar(0);
      if (uniformSd !== undefined) {
        return { A, b: resid, logW: tf.scalar(-T * Math.log(uniformSd)), n };
      }
      if (node.distribution === 'Normal') {
        const sd = tf.reshape(ev.inLayout(node.args.sigma, f.node, env0, event), [T]);
        let s = tf.div(1, sd);
        if (mask) s = tf.mul(s, mask);
        const logW = mask ? tf.mul(tf.neg(tf.log(sd)), mask) : tf.neg(tf.log(sd));
        return { A: tf.mul(A, tf.expandDims(s, 1)), b: tf.mul(resid, s), logW, n };
      }
      // MvNormal: whiten each event vector by L⁻¹ with Σ = L Lᵀ
      const P = event[event.length - 1];
      const batch = T / P;
      const Sigma = ev.inLayout(node.args.Sigma, f.node, env0, [...event.slice(0, -1), P, P]);
      const { winv, logDet } = whitening(Sigma, batch, P);
      const A3 = tf.reshape(A, [batch, P, D]);
      const Aw = tf.reshape(tf.matMul(winv, A3), [T, D]);
      const bw = tf.reshape(tf.matMul(winv, tf.reshape(resid, [batch, P, 1])), [T]);
      return { A: Aw, b: bw, logW: tf.scalar(-0.5 * logDet), n };
    });
    const logDetW = sum64(out.logW);
    const n = sum64(out.n);
    out.logW.dispose();
    out.n.dispose();
    return {
      A: out.A,
      b: out.b,
      scale: uniformSd === undefined ? 1 : 1 / uniformSd,
      seg,
      logDetW,
      n,
    };
  } finally {
    for (const t of made) t.dispose();
  }
}

/** [T, cols]: the design rows of the factor's linear part. */
function design(
  f: GaussianFactor,
  layout: GaussianLayout,
  ev: ExprEvaluator,
  env0: Env,
  T: number,
  event: readonly number[],
): tf.Tensor {
  const pieces: tf.Tensor[] = [];
  for (const l of layout.latents) {
    const cols = layout.blocked ? layout.cols : l.size;
    if (!f.refs.some((r) => r.latent === l.name) || !f.linear) {
      pieces.push(tf.zeros([T, cols]));
      continue;
    }
    const K = f.designs[l.name];
    const vectorLatent = layout.blocked || l.shape.length === 1;
    if (K && vectorLatent) {
      // dot(K, latent) or K @ latent: the design rows are K itself
      pieces.push(tf.reshape(ev.inLayout(K, f.node, {}, [...event, cols]), [T, cols]));
      continue;
    }
    pieces.push(basisDesign(f, l, layout, ev, env0, T, event));
  }
  return pieces.length === 1 ? pieces[0] : tf.concat(pieces, 1);
}

/**
 * The linear part evaluated at basis vectors on the sample axis. Dense: assignment j sets
 * element j of the latent to 1. Blocked: assignment j sets event component j of EVERY plate
 * element to 1 (each row reads one element, so row t gets its coefficient on component j).
 */
function basisDesign(
  f: GaussianFactor,
  l: LatentSlice,
  layout: GaussianLayout,
  ev: ExprEvaluator,
  env0: Env,
  T: number,
  event: readonly number[],
): tf.Tensor {
  const linear = f.linear as NonNullable<GaussianFactor['linear']>;
  const E = layout.blocked ? layout.cols : l.size;
  const chunk = Math.max(1, Math.floor(BASIS_CHUNK / Math.max(1, T)));
  const cols: tf.Tensor[] = [];
  for (let j0 = 0; j0 < E; j0 += chunk) {
    const j1 = Math.min(E, j0 + chunk);
    const basis = tf.slice(tf.eye(E), [j0, 0], [j1 - j0, E]); // [c, E]
    let value: tf.Tensor;
    if (layout.blocked) {
      const ev_ = ev.model.shapes[l.name].event;
      const batch = ev.model.shapes[l.name].batch;
      const shaped = tf.reshape(basis, [
        j1 - j0,
        ...batch.map(() => 1),
        ...(ev_.length ? ev_ : []),
      ]);
      value = tf.broadcastTo(shaped, [j1 - j0, ...l.shape]);
    } else value = tf.reshape(basis, [j1 - j0, ...l.shape]);
    const out = ev.inLayout(linear, f.node, { ...env0, [l.name]: value }, event); // [c, ...batch, ...event]
    cols.push(tf.transpose(tf.reshape(out, [j1 - j0, T])));
  }
  return cols.length === 1 ? cols[0] : tf.concat(cols, 1);
}

/** [T, cols]: the columns of the factor's own latent (its prior's target). */
function selector(name: string, layout: GaussianLayout, T: number): tf.Tensor {
  if (layout.blocked) {
    const E = layout.cols;
    return tf.tile(tf.eye(E), [T / E, 1]);
  }
  const l = layout.latents.find((x) => x.name === name);
  if (!l) throw new Error(`internal: ${name} is not in its Gaussian block`);
  const parts: tf.Tensor[] = [];
  if (l.offset > 0) parts.push(tf.zeros([T, l.offset]));
  parts.push(tf.eye(T));
  const rest = layout.cols - l.offset - l.size;
  if (rest > 0) parts.push(tf.zeros([T, rest]));
  return parts.length === 1 ? parts[0] : tf.concat(parts, 1);
}

/** Per batch element: L⁻¹ (Σ = L Lᵀ) as [batch, P, P], and Σ log|Σ| over the batch. */
function whitening(
  Sigma: tf.Tensor,
  batch: number,
  P: number,
): { winv: tf.Tensor; logDet: number } {
  const s = new Float64Array(Sigma.dataSync());
  const L = choleskyBlocks(s, P, batch, 'an MvNormal covariance');
  const logDet = logDetBlocks(L, P, batch).reduce((a, x) => a + x, 0);
  const inv = Float32Array.from(lowerInverseBlocks(L, P, batch));
  return { winv: tf.tensor3d(inv, [batch, P, P]), logDet };
}

/**
 * Blocked layout: the plate element of the latent each row reads, found by evaluating the
 * factor's reference with the latent replaced by its element ids.
 */
function blockOfRows(
  f: GaussianFactor,
  layout: GaussianLayout,
  ev: ExprEvaluator,
  T: number,
  event: readonly number[],
): tf.Tensor {
  const l = layout.latents[0];
  const s = ev.model.shapes[l.name];
  const M = layout.blocks;
  const E = layout.cols;
  if (f.target === 'latent') {
    return tf.tidy(() =>
      tf.cast(tf.floorDiv(tf.range(0, T, 1, 'int32'), tf.scalar(E, 'int32')), 'int32'),
    );
  }
  const ref = f.refs[0]?.expr;
  if (!ref || s.batch.length === 0) return tf.zeros([T], 'int32');
  return tf.tidy(() => {
    const ids = tf.broadcastTo(
      tf.reshape(tf.range(0, M, 1, 'float32'), [1, ...s.batch, ...s.event.map(() => 1)]),
      [1, ...l.shape],
    );
    const own = ev.model.shapes[f.node];
    // the reference's value holds the element id at every position of its value axes
    const v = ev.inLayout(
      ref,
      f.node,
      { [l.name]: ids },
      refValueShape(ref, s.event, s.batch.length),
    );
    const flat = tf.reshape(v, [prod(own.batch), -1]);
    const first = tf.slice(flat, [0, 0], [-1, 1]); // [batchC, 1]
    const perRow = tf.broadcastTo(first, [prod(own.batch), prod(event)]);
    return tf.cast(tf.round(tf.reshape(perRow, [T])), 'int32');
  });
}

/** The value shape of `L[i, j, …]` reading the batch axes: the event axes not indexed further. */
function refValueShape(
  ref: GaussianFactor['refs'][number]['expr'],
  event: readonly number[],
  k: number,
): number[] {
  if (ref.kind !== 'index') return [...event];
  const rest = ref.indices.slice(k);
  const out: number[] = [];
  event.forEach((d, i) => {
    const a = rest[i];
    if (!a || (a.kind === 'slice' && !a.lo && !a.hi)) out.push(d);
    else if (a.kind === 'slice') out.push(-1);
  });
  // a range slice has a size the compiler knows; fall back to the full event when unsure
  return out.some((d) => d < 0) ? [...event] : out;
}
