// Closed-form posterior of a linear-Gaussian block (conjugacy.ts `gaussian`): Normal/MvNormal
// latents θ, every factor (a latent's prior, an observed child) a Gaussian whose mean is
// affine in θ with known noise. Each factor is whitened into rows ρ = b − A θ with unit
// noise; then (Bishop, PRML §3.3 and eq. 3.86, generalised to any set of factors)
//   J = Σ AᵀA,  h = Σ Aᵀb,  m = J⁻¹h,  S = J⁻¹,  R = Σ ‖b − A m‖²,
//   log Z = Σ log|W| − n/2 log 2π − R/2 − ½ log|J|,
// with Σ log|W| the log-determinants of the whitening maps (½ log|Λ| per factor) and n the
// number of observed scalars. With a Gamma(a, b) precision τ scaling every factor
// (Normal–Gamma, rows built at τ = 1):
//   τ | data ~ Gamma(a + n/2, b + R/2),  θ | τ ~ N(m, S/τ),  θ_j ~ t_{2a'}(m_j, √(b'/a' S_jj)),
//   log Z = Σ log|W| − n/2 log 2π − ½ log|J| + a log b − lnΓ(a) + lnΓ(a') − a' log b'.
// A block of one plated latent whose factors each read one plate element is solved element
// by element (J block-diagonal): one E × E system per element, vectorised over the plate.
//
// Design rows come from the data matrix itself for `dot(X[i], beta)` / `X @ beta`, else from
// evaluating the mean's linear part at basis vectors on the sample axis (conjugacy.ts).
// Accumulation runs in float64 on the host when a factor is small, else as tfjs matMuls.
import * as tf from '@tensorflow/tfjs';
import { lgamma64 } from '../../distributions/special64.js';
import type { GaussianFactor, GaussianStep } from '../../graph/conjugacy.js';
import type { StochasticNode } from '../../graph/ir.js';
import type { LatentPosterior } from '../result.js';
import { download, type Env, type ExprEvaluator, fullShape, prod, sum64 } from './evaluate.js';
import {
  cholesky,
  choleskyInverse,
  choleskySolve,
  logDetFromCholesky,
  symmetrize,
} from './linalg64.js';
import {
  gammaSummary,
  mvNormalSummary,
  mvStudentTSummary,
  normalSummary,
  studentTSummary,
} from './summary.js';

const LOG_2PI = Math.log(2 * Math.PI);
/** Factors with rows × cols² at most this are accumulated in float64 on the host. */
export const accumulation = {
  /** rows × cols² up to which a factor is accumulated on the host (tests set 0 to force tfjs) */
  hostFlops: 3e7,
};
/** Basis evaluations are chunked to keep [chunk, rows] at most this many floats. */
const BASIS_CHUNK = 1 << 24;

export interface StepResult {
  readonly latents: Record<string, LatentPosterior>;
  readonly logEvidence: number;
}

/** Where the latents sit in θ. */
interface Layout {
  readonly blocked: boolean;
  readonly latents: readonly { name: string; shape: number[]; offset: number; size: number }[];
  /** dense: total dimension; blocked: the event size E of the one latent */
  readonly cols: number;
  /** blocked: the number of plate elements of the one latent */
  readonly blocks: number;
}

/** A factor whitened into rows: scale · (b − A θ) has unit noise. */
interface Rows {
  /** [T, cols] */
  readonly A: tf.Tensor;
  /** [T] */
  readonly b: tf.Tensor;
  /** a whitening factor common to every row, kept out of A and b (saves a pass over A) */
  readonly scale: number;
  /** blocked: the plate element of every row, int32 [T] */
  readonly seg?: tf.Tensor;
  /** Σ log of the whitening scales (½ log|Λ| of the factor's observed part) */
  readonly logDetW: number;
  /** observed scalars (0 for a latent's prior) */
  readonly n: number;
}

export function runGaussian(step: GaussianStep, ev: ExprEvaluator): StepResult {
  const model = ev.model;
  const latents: Layout['latents'][number][] = [];
  let offset = 0;
  for (const name of step.latents) {
    const shape = fullShape(model, name);
    const size = prod(shape);
    latents.push({ name, shape, offset, size });
    offset += size;
  }
  let layout: Layout;
  if (step.blocked && latents.length === 1) {
    const s = model.shapes[latents[0].name];
    layout = { blocked: true, latents, cols: prod(s.event), blocks: prod(s.batch) };
  } else layout = { blocked: false, latents, cols: offset, blocks: 1 };

  const B = layout.blocks;
  const D = layout.cols;
  const J = new Float64Array(B * D * D);
  const h = new Float64Array(B * D);
  const rows: Rows[] = [];
  let logDetW = 0;
  let n = 0;
  try {
    for (const f of step.factors) {
      const r = factorRows(f, step, layout, ev);
      rows.push(r);
      logDetW += r.logDetW;
      n += r.n;
      accumulate(r, layout, J, h);
    }
    symmetrize(J, D, B);
    const L = cholesky(J, D, B);
    const m = choleskySolve(L, h, D, B);
    const S = choleskyInverse(L, D, B);
    const logDetJ = logDetFromCholesky(L, D, B).reduce((a, x) => a + x, 0);
    let R = 0;
    for (const r of rows) R += residualSS(r, layout, m);

    const out: Record<string, LatentPosterior> = {};
    let logEvidence = logDetW - (n / 2) * LOG_2PI - 0.5 * logDetJ;
    let nu: number | undefined;
    let scale = 1;
    if (step.precision) {
      const [a0, b0] = gammaPrior(step.precision, ev);
      const a1 = a0 + n / 2;
      const b1 = b0 + R / 2;
      logEvidence += a0 * Math.log(b0) - lgamma64(a0) + lgamma64(a1) - a1 * Math.log(b1);
      out[step.precision] = gammaSummary(
        Float64Array.of(a1),
        Float64Array.of(b1),
        fullShape(model, step.precision),
      );
      nu = 2 * a1;
      scale = b1 / a1;
    } else logEvidence -= R / 2;

    for (const l of latents)
      out[l.name] = summarise(l, layout, m, S, nu, scale, model.shapes[l.name].event);
    return { latents: out, logEvidence };
  } finally {
    for (const r of rows) {
      r.A.dispose();
      r.b.dispose();
      r.seg?.dispose();
    }
  }
}

/** The posterior of one latent of the block: Normal/MvNormal, or t marginals under a Gamma precision. */
function summarise(
  l: Layout['latents'][number],
  layout: Layout,
  m: Float64Array,
  S: Float64Array,
  nu: number | undefined,
  scale: number,
  event: readonly number[],
): LatentPosterior {
  const D = layout.cols;
  const E = prod(event);
  const mu = layout.blocked ? m : m.slice(l.offset, l.offset + l.size);
  const blocks = l.size / E;
  // per plate element: the E × E block of the covariance (scaled for a t marginal)
  const cov = new Float64Array(blocks * E * E);
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < E; i++) {
      for (let j = 0; j < E; j++) {
        const v = layout.blocked
          ? S[b * E * E + i * E + j]
          : S[(l.offset + b * E + i) * D + (l.offset + b * E + j)];
        cov[b * E * E + i * E + j] = v * scale;
      }
    }
  }
  if (event.length === 1 && E > 1) {
    return nu === undefined
      ? mvNormalSummary(mu, cov, l.shape)
      : mvStudentTSummary(nu, mu, cov, l.shape);
  }
  const sd = new Float64Array(l.size);
  for (let i = 0; i < l.size; i++) sd[i] = Math.sqrt(cov[i * E * E]);
  return nu === undefined ? normalSummary(mu, sd, l.shape) : studentTSummary(nu, mu, sd, l.shape);
}

function gammaPrior(tau: string, ev: ExprEvaluator): [number, number] {
  const node = ev.model.graph.nodes[tau] as StochasticNode;
  const scalar = (e: typeof node.args.rate) => download(() => ev.inLayout(e, tau, {}, []))[0];
  if (node.distribution === 'Exponential') return [1, scalar(node.args.rate)];
  return [scalar(node.args.shape), scalar(node.args.rate)];
}

// ------------------------------------------------------------------ factors → rows

function factorRows(
  f: GaussianFactor,
  step: GaussianStep,
  layout: Layout,
  ev: ExprEvaluator,
): Rows {
  const model = ev.model;
  const node = model.graph.nodes[f.node] as StochasticNode;
  const shape = model.shapes[f.node];
  const event = shape.event;
  const T = prod(shape.batch) * prod(event);
  const D = layout.cols;

  // the latents at 0 (the mean's offset) and the precision at 1 (the sd's coefficient form)
  const env0: Record<string, tf.Tensor> = {};
  const made: tf.Tensor[] = [];
  const keep = (t: tf.Tensor) => {
    made.push(t);
    return t;
  };
  for (const l of layout.latents) env0[l.name] = keep(tf.zeros([1, ...l.shape]));
  if (step.precision)
    env0[step.precision] = keep(tf.ones([1, ...fullShape(model, step.precision)]));

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
  layout: Layout,
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
  l: Layout['latents'][number],
  layout: Layout,
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
function selector(name: string, layout: Layout, T: number): tf.Tensor {
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
  const L = cholesky(s, P, batch);
  const logDet = logDetFromCholesky(L, P, batch).reduce((a, x) => a + x, 0);
  const inv = new Float32Array(batch * P * P);
  for (let b = 0; b < batch; b++) {
    const o = b * P * P;
    for (let j = 0; j < P; j++) {
      inv[o + j * P + j] = 1 / L[o + j * P + j];
      for (let i = j + 1; i < P; i++) {
        let acc = 0;
        for (let k = j; k < i; k++) acc -= L[o + i * P + k] * inv[o + k * P + j];
        inv[o + i * P + j] = acc / L[o + i * P + i];
      }
    }
  }
  return { winv: tf.tensor3d(inv, [batch, P, P]), logDet };
}

/**
 * Blocked layout: the plate element of the latent each row reads, found by evaluating the
 * factor's reference with the latent replaced by its element ids.
 */
function blockOfRows(
  f: GaussianFactor,
  layout: Layout,
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

// ------------------------------------------------------------------ accumulation

function accumulate(r: Rows, layout: Layout, J: Float64Array, h: Float64Array): void {
  const T = r.b.shape[0] ?? 0;
  const D = layout.cols;
  const s2 = r.scale * r.scale;
  if (T === 0) return;
  if (T * D * D <= accumulation.hostFlops) {
    const A = r.A.dataSync();
    const b = r.b.dataSync();
    const seg = r.seg?.dataSync();
    const touched = new Set<number>();
    for (let t = 0; t < T; t++) {
      const blk = seg ? seg[t] : 0;
      touched.add(blk);
      const oJ = blk * D * D;
      const oh = blk * D;
      const row = t * D;
      const bt = b[t] * s2;
      for (let i = 0; i < D; i++) {
        const ai = A[row + i];
        if (ai === 0) continue;
        h[oh + i] += ai * bt;
        const ais = ai * s2;
        for (let j = 0; j <= i; j++) J[oJ + i * D + j] += ais * A[row + j];
      }
    }
    // the loop filled the lower triangles
    for (const blk of touched) {
      const o = blk * D * D;
      for (let i = 0; i < D; i++) for (let j = 0; j < i; j++) J[o + j * D + i] = J[o + i * D + j];
    }
    return;
  }
  const [Jt, ht] = tf.tidy(() => {
    if (!layout.blocked || !r.seg || layout.blocks === 1) {
      // AᵀA as transpose + matMul: the wasm kernel is several times slower with transposeA
      const At = tf.transpose(r.A);
      return [tf.matMul(At, r.A), tf.matMul(At, tf.expandDims(r.b, 1))];
    }
    const M = layout.blocks;
    const per = T / M;
    const contiguous =
      Number.isInteger(per) &&
      tf
        .all(tf.equal(r.seg, tf.floorDiv(tf.range(0, T, 1, 'int32'), tf.scalar(per, 'int32'))))
        .dataSync()[0] === 1;
    if (contiguous) {
      const A3 = tf.reshape(r.A, [M, per, D]);
      const A3t = tf.transpose(A3, [0, 2, 1]);
      return [tf.matMul(A3t, A3), tf.matMul(A3t, tf.reshape(r.b, [M, per, 1]))];
    }
    const outer = tf.reshape(tf.mul(tf.expandDims(r.A, 2), tf.expandDims(r.A, 1)), [T, D * D]);
    const idx = tf.expandDims(r.seg, 1);
    return [
      tf.scatterND(idx, outer, [M, D * D]),
      tf.scatterND(idx, tf.mul(r.A, tf.expandDims(r.b, 1)), [M, D]),
    ];
  });
  const jd = Jt.dataSync();
  const hd = ht.dataSync();
  for (let i = 0; i < J.length; i++) J[i] += s2 * jd[i];
  for (let i = 0; i < h.length; i++) h[i] += s2 * hd[i];
  Jt.dispose();
  ht.dispose();
}

/** Σ_t (b_t − a_t · m_block(t))² over the factor's rows. */
function residualSS(r: Rows, layout: Layout, m: Float64Array): number {
  const T = r.b.shape[0] ?? 0;
  const D = layout.cols;
  if (T === 0) return 0;
  if (T * D * D <= accumulation.hostFlops) {
    const A = r.A.dataSync();
    const b = r.b.dataSync();
    const seg = r.seg?.dataSync();
    let s = 0;
    for (let t = 0; t < T; t++) {
      const o = (seg ? seg[t] : 0) * D;
      let fit = 0;
      for (let i = 0; i < D; i++) fit += A[t * D + i] * m[o + i];
      const e = b[t] - fit;
      s += e * e;
    }
    return s * r.scale * r.scale;
  }
  const sq = tf.tidy(() => {
    const mt = tf.tensor2d(Float32Array.from(m), [layout.blocks, D]);
    const fit =
      layout.blocked && r.seg && layout.blocks > 1
        ? tf.sum(tf.mul(r.A, tf.gather(mt, r.seg)), 1)
        : tf.reshape(tf.matMul(r.A, tf.transpose(mt)), [T]);
    return tf.square(tf.sub(r.b, fit));
  });
  const s = sum64(sq);
  sq.dispose();
  return s * r.scale * r.scale;
}
