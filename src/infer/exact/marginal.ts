// The Gaussian marginal of an affine expression of a linear-Gaussian block's latents, given the
// block's posterior θ ~ N(m, S) (gaussian.ts): with the expression x = c + A θ (c its value at
// θ = 0, A the coefficients of its linear part, linearity.ts),
//   E[x] = c + A m,   Cov[x_r, x_r'] = a_r S a_r'ᵀ
// (a linear map of a Gaussian; Bishop, PRML eq. 2.115). Under a Gamma precision the block's
// marginals are t with the covariance scaled by b'/a' (the caller scales). Used for the
// posterior predictive of missing entries of a Normal child (predictive.ts) and for
// deterministic nodes of the latents (deterministic.ts).
//
// The coefficients are found by evaluating the linear part at basis vectors on the sample
// axis, as gaussian.ts does for design rows: for a dense block every coordinate of θ; for a
// block solved per plate element, component j of EVERY element at once, which needs every
// entry of the expression to read a single element (found by evaluating the reference with
// the latent replaced by element ids).
import * as tf from '@tensorflow/tfjs';
import { download, type ExprEvaluator } from '../../compile/evaluator.js';
import { type LatentRef, refIndexKey } from '../../graph/linearity.js';
import type { Expr } from '../../lang/ast.js';
import { prod } from '../../util/shape.js';
import type { GaussianLayout } from '../gaussian/index.js';

/** The posterior of a Gaussian block: mean and covariance (dense D × D, or one E × E per plate element). */
export interface BlockPosterior extends GaussianLayout {
  readonly m: Float64Array;
  readonly S: Float64Array;
}

export interface AffineExpr {
  /** the node in whose plate context the expression is evaluated */
  readonly at: string;
  /** the value shape of one element of `at` (its event shape) */
  readonly event: readonly number[];
  /** the whole expression (its value at θ = 0 is the offset c) */
  readonly expr: Expr;
  /** its linear part (known additive terms zeroed), absent when it does not depend on θ */
  readonly linear?: Expr;
  readonly refs: readonly LatentRef[];
}

export interface AffineMarginal {
  /** E[x] for every entry [T] (T = batch × E) */
  readonly mean: Float64Array;
  /** per element of the batch: the E × E covariance of its entries (E = prod(event)); zero for elements not wanted */
  readonly cov: Float64Array;
  readonly E: number;
}

/** Basis evaluations are chunked to keep [chunk, T] at most this many floats. */
const BASIS_CHUNK = 1 << 24;
/** The largest design held at once (floats), and the most multiply-adds spent on covariances. */
const MAX_DESIGN = 1 << 23;
const MAX_WORK = 2e9;

/**
 * The marginal of `q` under `post`, for the batch elements where `wanted` is 1 (all when
 * absent); undefined when the expression does not fit the block's layout or the work is too
 * large (then the caller does not report it).
 */
export function affineMarginal(
  q: AffineExpr,
  post: BlockPosterior,
  ev: ExprEvaluator,
  wanted?: Uint8Array,
): AffineMarginal | undefined {
  const model = ev.model;
  const E = prod(q.event);
  const T = prod(model.shapes[q.at].batch) * E;
  const D = post.cols;
  const rows: number[] = [];
  for (let t = 0; t < T; t++) if (!wanted || wanted[Math.floor(t / E)]) rows.push(t);
  if (rows.length * D > MAX_DESIGN) return undefined;

  const zeros: tf.Tensor[] = [];
  const env0: Record<string, tf.Tensor> = {};
  for (const l of post.latents) {
    const z = tf.zeros([1, ...l.shape]);
    zeros.push(z);
    env0[l.name] = z;
  }
  try {
    const offset = download(() => tf.reshape(ev.inLayout(q.expr, q.at, env0, q.event), [T]));
    const seg = post.blocked ? blockOf(q, post, ev, T) : undefined;
    if (post.blocked && !seg && q.linear) return undefined;
    // the design rows of the wanted entries, [rows, D] float64
    const A = new Float64Array(rows.length * D);
    if (q.linear) {
      for (const l of post.latents) {
        if (!q.refs.some((r) => r.latent === l.name)) continue;
        const cols = post.blocked ? D : l.size;
        const chunk = Math.max(1, Math.floor(BASIS_CHUNK / Math.max(1, T)));
        for (let j0 = 0; j0 < cols; j0 += chunk) {
          const c = Math.min(cols, j0 + chunk) - j0;
          const v = download(() => {
            const basis = tf.slice(tf.eye(cols), [j0, 0], [c, cols]);
            const s = model.shapes[l.name];
            const value = post.blocked
              ? tf.broadcastTo(tf.reshape(basis, [c, ...s.batch.map(() => 1), ...s.event]), [
                  c,
                  ...l.shape,
                ])
              : tf.reshape(basis, [c, ...l.shape]);
            const out = ev.inLayout(q.linear as Expr, q.at, { ...env0, [l.name]: value }, q.event);
            return tf.reshape(out, [c, T]);
          });
          const base = post.blocked ? 0 : l.offset;
          for (let j = 0; j < c; j++) {
            for (let r = 0; r < rows.length; r++) A[r * D + base + j0 + j] = v[j * T + rows[r]];
          }
        }
      }
    }
    return moments(A, rows, offset, seg, post, E, T);
  } finally {
    for (const z of zeros) z.dispose();
  }
}

/** E[x] and the per-element covariances from the design rows (sparse products, float64). */
function moments(
  A: Float64Array,
  rows: readonly number[],
  offset: Float64Array,
  seg: Int32Array | undefined,
  post: BlockPosterior,
  E: number,
  T: number,
): AffineMarginal | undefined {
  const D = post.cols;
  const nz: Int32Array[] = rows.map((_, r) => {
    const idx: number[] = [];
    for (let i = 0; i < D; i++) if (A[r * D + i] !== 0) idx.push(i);
    return Int32Array.from(idx);
  });
  const work = nz.reduce((s, z) => s + z.length * (D + E), 0);
  if (work > MAX_WORK) return undefined;
  const mean = Float64Array.from(offset);
  const cov = new Float64Array((T / E) * E * E);
  const u = new Float64Array(D);
  // rows of one batch element are consecutive in `rows`
  for (let r = 0; r < rows.length; r++) {
    const t = rows[r];
    const blk = seg ? seg[t] : 0;
    const om = blk * D;
    const oS = blk * D * D;
    for (const i of nz[r]) mean[t] += A[r * D + i] * post.m[om + i];
    // u = S a_r, then Cov[x_t, x_t'] = a_t' · u for the rows t' of the same element
    u.fill(0);
    for (const j of nz[r]) {
      const a = A[r * D + j];
      for (let i = 0; i < D; i++) u[i] += post.S[oS + i * D + j] * a;
    }
    const e = Math.floor(t / E);
    for (let r2 = r; r2 >= 0 && Math.floor(rows[r2] / E) === e; r2--) {
      if (seg && seg[rows[r2]] !== blk) continue; // different plate elements: independent
      let c = 0;
      for (const i of nz[r2]) c += A[r2 * D + i] * u[i];
      const p = t % E;
      const q = rows[r2] % E;
      cov[e * E * E + p * E + q] = c;
      cov[e * E * E + q * E + p] = c;
    }
  }
  return { mean, cov, E };
}

/**
 * Blocked layout: the plate element of the latent each entry reads (int32 [T]), or undefined
 * when some entry may read several (the references differ, or do not fix the plate axes).
 */
function blockOf(
  q: AffineExpr,
  post: BlockPosterior,
  ev: ExprEvaluator,
  T: number,
): Int32Array | undefined {
  const l = post.latents[0];
  const node = ev.model.graph.nodes[l.name];
  const k = node.plates.length;
  const s = ev.model.shapes[l.name];
  if (q.refs.length === 0) return new Int32Array(T);
  if (new Set(q.refs.map(refIndexKey)).size !== 1) return undefined;
  const ref = q.refs[0].expr;
  if (k === 0) return new Int32Array(T);
  if (ref.kind !== 'index') return undefined;
  const batch = ref.indices.slice(0, k);
  if (batch.length < k || batch.some((a) => a.kind !== 'at')) return undefined;
  // the reference's value holds the element id at every position; each entry of `at` takes
  // the id of its batch element (its event entries read the same element)
  const rest = ref.indices.slice(k);
  const refShape: number[] = [];
  s.event.forEach((d, i) => {
    const a = rest[i];
    if (!a || (a.kind === 'slice' && !a.lo && !a.hi)) refShape.push(d);
  });
  if (rest.some((a) => a.kind === 'slice' && (a.lo || a.hi))) return undefined;
  const nb = prod(ev.model.shapes[q.at].batch);
  const ids = download(() => {
    const id = tf.broadcastTo(
      tf.reshape(tf.range(0, post.blocks, 1, 'float32'), [1, ...s.batch, ...s.event.map(() => 1)]),
      [1, ...l.shape],
    );
    const v = ev.inLayout(ref, q.at, { [l.name]: id }, refShape);
    return tf.slice(tf.reshape(v, [nb, -1]), [0, 0], [-1, 1]);
  });
  const E = T / nb;
  const out = new Int32Array(T);
  for (let t = 0; t < T; t++) out[t] = Math.round(ids[Math.floor(t / E)]);
  return out;
}
