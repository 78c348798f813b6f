// MvNormal(mu, Sigma) with Sigma the covariance matrix: event shape [D]. The lower Cholesky
// factor L of Sigma is computed once, at construction (batched, src/linalg), and used for both
// sampling (mu + L z) and the log density (-|L^-1 (x - mu)|^2 / 2 - sum log L_ii - D log(2 pi)/2).
import * as tf from '@tensorflow/tfjs';
import { cholesky, diagPart, triangularSolve } from '../linalg/batched.js';
import { BaseDistribution } from './base.js';
import type { DistArgs } from './distribution.js';
import type { Rng } from './rng.js';
import { normal } from './sampling.js';
import { numel } from './shapes.js';
import { f32, mask } from './support.js';

const LOG_2PI = Math.log(2 * Math.PI);

export class MvNormal extends BaseDistribution {
  /** lower Cholesky factor of Sigma, [...batch, D, D]; NaN where Sigma is not positive definite */
  readonly scaleTril: tf.Tensor;

  constructor(args: DistArgs) {
    super('MvNormal', args, 1);
    this.scaleTril = this.own(cholesky(this.params.Sigma!));
  }

  get mu(): tf.Tensor {
    return this.params.mu!;
  }

  get D(): number {
    return this.eventShape[0]!;
  }

  protected draw(sampleShape: readonly number[], rng: Rng): tf.Tensor {
    const D = this.D;
    const Bn = numel(this.batchShape);
    const Sn = numel(sampleShape);
    const z = normal([Bn, D, Sn], rng);
    const out = tf.tidy(() => {
      const L = tf.reshape(this.scaleTril, [Bn, D, D]);
      const lz = tf.matMul(L, z); // [Bn, D, Sn]
      const x = tf.reshape(tf.transpose(lz, [2, 0, 1]), [...sampleShape, ...this.batchShape, D]);
      return tf.add(x, this.mu);
    });
    z.dispose();
    return out;
  }

  protected logDensity(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const B = this.batchShape;
      let xf = f32(x);
      if (xf.rank < B.length + 1) xf = tf.broadcastTo(xf, [...B, this.D]);
      const xBatch = xf.shape.slice(xf.rank - B.length - 1, xf.rank - 1);
      // many values against a few members (a mixture's components): one 2-D matmul
      const shared = numel(B) > 1 && numel(xBatch) === 1 ? this.logDensityShared(xf) : undefined;
      return shared ?? gaussianLogDensity(this.scaleTril, this.mu, xf, B, this.D);
    });
  }

  /**
   * Many values [...lead, 1 × batch rank, D] scored against every member of the batch (a
   * mixture's cases against each component), or undefined when a value or a mean is not finite
   * (logDensity's general path then gives -Inf where it should). As scikit-learn does with its
   * precision Cholesky factors: with U_b = L_b⁻ᵀ (D × D per member, by forward substitution on
   * the identity), w_b = (x − μ_b)ᵀ U_b = xᵀ U_b − μ_bᵀ U_b, and for all values and members at
   * once that is ONE matmul [x, 1] · [[U_1 … U_B], [−μ_1ᵀU_1 … −μ_BᵀU_B]] of the values with a
   * (D + 1) × B·D matrix (the D-step solve over all values, or a batched matmul per member, is
   * several times slower on wasm, whose fast matmul is the 2-D one). The values and means are
   * taken about the members' mean c (x − c, μ_b − c), which lies within the values' spread when
   * the members fit them: the cancellation in xᵀU_b − μ_bᵀU_b then costs a few ulp of
   * |x − c| |U_b| — the spread in member b's units — not of |x| |U_b|. U carries a factor √½, so
   * Σ w² is the half Mahalanobis distance the density needs.
   */
  private logDensityShared(xf: tf.Tensor): tf.Tensor | undefined {
    const D = this.D;
    const B = this.batchShape;
    const Bn = numel(B);
    const lead = xf.shape.slice(0, xf.rank - B.length - 1);
    const An = numel(lead);
    const x2 = tf.reshape(xf, [An, D]);
    const mu = tf.reshape(this.mu, [Bn, D]);
    // one sum: finite unless a value or a mean is not (or the sum overflows: the general path)
    if (!Number.isFinite(tf.add(tf.sum(x2), tf.sum(mu)).dataSync()[0])) return undefined;
    const c = tf.mean(mu, 0, true); // [1, D]
    const L = tf.reshape(this.scaleTril, [Bn, D, D]);
    const U = tf.mul(tf.transpose(triangularSolve(L, tf.eye(D)), [0, 2, 1]), Math.SQRT1_2);
    const W = tf.reshape(tf.transpose(U, [1, 0, 2]), [D, Bn * D]); // [U_1 … U_B]
    const bias = tf.reshape(tf.matMul(tf.expandDims(tf.sub(c, mu), 1), U), [1, Bn * D]);
    // [x − c, 1] (a pad, not a concatenation: tfjs-wasm concatenates columns in JavaScript)
    const xa = tf.pad(
      tf.sub(x2, c),
      [
        [0, 0],
        [0, 1],
      ],
      1,
    );
    const w = tf.matMul(xa, tf.concat([W, bias], 0)); // [An, Bn·D]
    const half = tf.sum(tf.reshape(tf.square(w), [An, Bn, D]), -1); // [An, Bn]
    const logNorm = tf.add(tf.sum(tf.log(diagPart(L)), -1), 0.5 * D * LOG_2PI);
    const lp = tf.sub(tf.neg(tf.reshape(logNorm, [1, Bn])), half);
    return tf.reshape(lp, [...lead, ...B]);
  }

  mean(): tf.Tensor {
    return tf.clone(this.mu);
  }

  /** the marginal variances, diag(Sigma): [...batch, D] */
  variance(): tf.Tensor {
    return diagPart(this.params.Sigma!);
  }
}

/**
 * log N(x_o; μ_o, Σ_oo) of each event of an MvNormal(mu, Sigma): the density of its observed
 * entries with the missing ones integrated out (a Gaussian's marginal is the Gaussian of the
 * sub-vector; Little & Rubin 2002, §11.2). `args` as the constructor takes them, x [...any,
 * ...batch, D], `observed` a bool mask broadcastable to [...batch, D]; an event with no
 * observed entry scores 0 (log 1). One batched density, factorising Σ' alone (never Σ): with m
 * the 0/1 mask, Σ' = Σ ∘ m mᵀ + diag(1 − m) is, with the observed entries first,
 * blockdiag(Σ_oo, I), so its Cholesky factor is blockdiag(L_oo, I) exactly (the zero blocks
 * stay zero), log det Σ' = log det Σ_oo, and with the missing entries of x set to μ the
 * Mahalanobis term is the observed entries'; the constant counts the observed entries only.
 */
export function mvNormalLogProbObserved(
  args: DistArgs,
  x: tf.Tensor,
  observed: tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const mu = f32(args.mu as tf.Tensor);
    const Sigma = f32(args.Sigma as tf.Tensor);
    const D = Sigma.shape[Sigma.rank - 1] as number;
    const m = tf.cast(observed, 'float32');
    const outer = tf.mul(tf.expandDims(m, -1), tf.expandDims(m, -2));
    const pad = tf.mul(tf.expandDims(tf.sub(1, m), -1), tf.eye(D)); // diag(1 − m)
    const L = cholesky(tf.add(tf.mul(Sigma, outer), pad));
    const B = L.shape.slice(0, L.rank - 2);
    const muB = tf.broadcastTo(mu, [...B, D]);
    const nObs = tf.broadcastTo(tf.sum(m, -1), B);
    let xf = f32(x);
    if (xf.rank < B.length + 1) xf = tf.broadcastTo(xf, [...B, D]);
    // missing entries: x − μ is 0 there (and a NaN in x never reaches the sum)
    const full = tf.broadcast_util.assertAndGetBroadcastShape(xf.shape, muB.shape);
    const xs = tf.where(
      tf.broadcastTo(observed, full),
      tf.broadcastTo(xf, full),
      tf.broadcastTo(muB, full),
    );
    const lp = gaussianLogDensity(L, muB, xs, B, D, nObs);
    return tf.where(tf.greater(nObs, 0), lp, tf.zerosLike(lp));
  });
}

/**
 * log N(x; μ, L Lᵀ) = −|L⁻¹(x − μ)|²/2 − Σ log L_ii − (n/2) log 2π for x [...any, ...B, D],
 * with n = D, or `count` [...B] (the observed entries of a marginal, mvNormalLogProbObserved).
 */
function gaussianLogDensity(
  scaleTril: tf.Tensor,
  mu: tf.Tensor,
  x: tf.Tensor,
  B: readonly number[],
  D: number,
  count?: tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const Bn = numel(B);
    let xf = f32(x);
    if (xf.rank < B.length + 1) xf = tf.broadcastTo(xf, [...B, D]);
    const diffFull = tf.sub(xf, mu);
    const lead = diffFull.shape.slice(0, diffFull.rank - B.length - 1);
    const An = numel(lead);
    const diff = tf.reshape(diffFull, [An, Bn, D]);
    const rhs = tf.transpose(diff, [1, 2, 0]); // [Bn, D, An]
    const L = tf.reshape(scaleTril, [Bn, D, D]);
    const w = triangularSolve(L, rhs); // L^-1 (x - mu)
    const maha = tf.transpose(tf.sum(tf.square(w), 1)); // [An, Bn]
    const halfLogDet = tf.sum(tf.log(diagPart(L)), -1); // [Bn]
    const norm = count
      ? tf.add(halfLogDet, tf.mul(tf.reshape(tf.broadcastTo(count, [...B]), [Bn]), 0.5 * LOG_2PI))
      : tf.add(halfLogDet, 0.5 * D * LOG_2PI);
    const lp = tf.sub(tf.mul(-0.5, maha), norm);
    // a non-finite x gives -Inf (not NaN)
    const finite = mask((d) => tf.all(tf.isFinite(d), -1), diff);
    const out = tf.where(finite, lp, tf.fill(lp.shape, Number.NEGATIVE_INFINITY));
    return tf.reshape(out, [...lead, ...B]);
  });
}
