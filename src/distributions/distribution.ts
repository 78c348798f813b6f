// The distribution interface, in the manner of TensorFlow Probability: every distribution
// object knows its batch and event shapes; `sample` puts a sample shape in front; `logProb`
// reduces only the event dimensions.
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from './rng.js';
import type { DistName, SupportKind } from './signatures.js';

export interface Distribution {
  readonly family: DistName;
  /** shape of independent, non-identical copies */
  readonly batchShape: readonly number[];
  /** shape of one draw: [] for scalar families, [K] for Dirichlet, Multinomial, MvNormal, … */
  readonly eventShape: readonly number[];
  readonly support: SupportKind;
  /** the parameters as tensors of shape batchShape (+ the event-shaped parameter axes) */
  readonly params: Readonly<Record<string, tf.Tensor>>;

  /** draws of shape [...sampleShape, ...batchShape, ...eventShape]; deterministic given `rng` */
  sample(sampleShape: readonly number[], rng: Rng): tf.Tensor;
  /**
   * log density (or mass) of `x`, shape [...x's leading dims, ...batchShape]; values outside
   * the support give -Infinity (never NaN). `x` is [...any, ...batchShape, ...eventShape].
   */
  logProb(x: tf.Tensor): tf.Tensor;
  mean(): tf.Tensor;
  variance(): tf.Tensor;
  /** release the tensors the distribution holds (its broadcast parameters, derived factors) */
  dispose?(): void;
}

/** The parameters of a family call, already broadcast against each other. */
export type DistArgs = Readonly<Record<string, tf.Tensor>>;

/**
 * The exponential-family view of a conjugate family (BayesPy's node interface):
 * p(x | eta) = h(x) exp(eta . T(x) - A(eta)). The exact and CAVI engines are generic
 * loops over these four operations, so adding a family touches one file.
 */
export interface ExpFamily {
  readonly family: DistName;
  /** eta from the ordinary parameters; a list of tensors (one per natural-parameter block) */
  naturalParams(args: DistArgs): tf.Tensor[];
  /** the ordinary parameters (by their §2 names) from eta */
  fromNatural(eta: readonly tf.Tensor[]): Record<string, tf.Tensor>;
  /** T(x), one tensor per block, shape [...batch, ...blockShape] */
  sufficientStats(x: tf.Tensor): tf.Tensor[];
  /** E[T(x)] under eta, i.e. the gradient of A (the moments) */
  expectedStats(eta: readonly tf.Tensor[]): tf.Tensor[];
  /** A(eta), shape [...batch] */
  logNormalizer(eta: readonly tf.Tensor[]): tf.Tensor;
  /** log h(x), shape [...batch] */
  logBaseMeasure(x: tf.Tensor): tf.Tensor;
}
