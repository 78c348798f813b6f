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
      const D = this.D;
      const B = this.batchShape;
      const Bn = numel(B);
      let xf = f32(x);
      if (xf.rank < B.length + 1) xf = tf.broadcastTo(xf, [...B, D]);
      const xBatch = xf.shape.slice(xf.rank - B.length - 1, xf.rank - 1);
      if (Bn > 1 && numel(xBatch) === 1) return this.logDensityShared(xf);
      const diffFull = tf.sub(xf, this.mu);
      const lead = diffFull.shape.slice(0, diffFull.rank - B.length - 1);
      const An = numel(lead);
      const diff = tf.reshape(diffFull, [An, Bn, D]);
      const rhs = tf.transpose(diff, [1, 2, 0]); // [Bn, D, An]
      const L = tf.reshape(this.scaleTril, [Bn, D, D]);
      const w = triangularSolve(L, rhs); // L^-1 (x - mu)
      const maha = tf.transpose(tf.sum(tf.square(w), 1)); // [An, Bn]
      const halfLogDet = tf.sum(tf.log(diagPart(L)), -1); // [Bn]
      const lp = tf.sub(tf.mul(-0.5, maha), tf.add(halfLogDet, 0.5 * D * LOG_2PI));
      // a non-finite x gives -Inf (not NaN)
      const finite = mask((d) => tf.all(tf.isFinite(d), -1), diff);
      const out = tf.where(finite, lp, tf.fill(lp.shape, Number.NEGATIVE_INFINITY));
      return tf.reshape(out, [...lead, ...B]);
    });
  }

  /**
   * Many values [...lead, 1 × batch rank, D] scored against every member of the batch: a
   * mixture's cases against each component. w = (x − μ) L⁻ᵀ for all values at once is one
   * batched matmul with L⁻¹ (D × D per member, by forward substitution on the identity), where
   * the solve of logDensity would take D sequential steps over all the values. It is what
   * scikit-learn computes with its precision Cholesky factors; in float32 both bound the error
   * of w by a few ulp times |L⁻¹| |x − μ|.
   */
  private logDensityShared(xf: tf.Tensor): tf.Tensor {
    const D = this.D;
    const B = this.batchShape;
    const Bn = numel(B);
    const lead = xf.shape.slice(0, xf.rank - B.length - 1);
    const An = numel(lead);
    const x2 = tf.reshape(xf, [An, D]);
    const diff = tf.sub(x2, tf.reshape(this.mu, [Bn, 1, D])); // [Bn, An, D]
    const L = tf.reshape(this.scaleTril, [Bn, D, D]);
    const Linv = triangularSolve(L, tf.eye(D));
    const w = tf.matMul(diff, Linv, false, true); // rows (L^-1 (x - mu))^T
    const maha = tf.sum(tf.square(w), -1); // [Bn, An]
    const halfLogDet = tf.sum(tf.log(diagPart(L)), -1, true); // [Bn, 1]
    const lp = tf.sub(tf.mul(-0.5, maha), tf.add(halfLogDet, 0.5 * D * LOG_2PI));
    // a non-finite x − μ gives -Inf (not NaN), as in logDensity
    const finite = tf.logicalAnd(
      tf.reshape(tf.all(tf.isFinite(x2), -1), [1, An]),
      tf.all(tf.isFinite(tf.reshape(this.mu, [Bn, D])), -1, true),
    );
    const out = tf.where(finite, lp, tf.fill(lp.shape, Number.NEGATIVE_INFINITY));
    return tf.reshape(tf.transpose(out), [...lead, ...B]);
  }

  mean(): tf.Tensor {
    return tf.clone(this.mu);
  }

  /** the marginal variances, diag(Sigma): [...batch, D] */
  variance(): tf.Tensor {
    return diagPart(this.params.Sigma!);
  }
}
