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

/** Expected sufficient statistics E[T(x)], one tensor per block (T(x) itself for a known x). */
export type Moments = readonly tf.Tensor[];

/**
 * What a child contributes to a message: its observed value (the family computes T(x), and may
 * keep it sparse: a Categorical's one-hot rows are never built), or its expected statistics
 * under q (mean-field: a latent child).
 */
export type ChildStats = { readonly value: tf.Tensor } | { readonly moments: Moments };

/** The child's other arguments, broadcast against the child's batch. */
export interface CoParents {
  /** known arguments by their §2 names */
  readonly values?: Readonly<Record<string, tf.Tensor>>;
  /** latent arguments: their expected statistics under q, in their conjugate prior's T */
  readonly moments?: Readonly<Record<string, Moments>>;
  /** c in the `scaled` role (argument = c × parent) and in the `precision` role (sd = (c τ)^-1/2); 1 when absent */
  readonly coefficient?: tf.Tensor;
}

/**
 * BayesPy's message from a child to a conjugate parent θ. For every element of the child's batch,
 *   E[log p(x | θ, co-parents)] = <eta, T_parent(θ)> + rest + E[log h(x)],
 * linear in the parent's sufficient statistics T_parent. The parent's posterior natural
 * parameters are its prior's plus the sum of `eta` over the children that read it; `rest` and the
 * child's own log h(x) are the terms free of θ (the base measure of the evidence).
 */
export interface ConjugateMessage {
  /** per parent block: [...batch] for scalar parents, [...batch, K] for a Dirichlet */
  readonly eta: tf.Tensor[];
  /** [...batch]: E[η_child · T(x) − A(η_child)] − <eta, T_parent(θ)>, without log h(x) */
  readonly rest: tf.Tensor;
  /**
   * set (to K) when eta[0] holds category indices standing for one_hot(index, K) (an observed
   * Categorical child): a plate of N draws over K states costs N, not N × K
   */
  readonly oneHot?: number;
}

/**
 * The float64 side of a conjugate prior, for closed-form posteriors and log evidence finished in
 * double precision (float32 loses the 1e-9 relative the evidence differences need). The natural
 * parameters are flat arrays, one per block, `size` elements per block entry (K for a Dirichlet).
 */
export interface ExpFamily64 {
  /** eta from the ordinary parameters (each array: one value per element, K per Dirichlet row) */
  naturalParams(args: Readonly<Record<string, Float64Array>>): Float64Array[];
  /** the ordinary parameters from eta */
  fromNatural(eta: readonly Float64Array[]): Record<string, Float64Array>;
  /** A(eta) per element ([M] for M elements of `size` entries each) */
  logNormalizer(eta: readonly Float64Array[], size: number): Float64Array;
}

/**
 * The exponential-family view of a conjugate family (BayesPy's node interface):
 * p(x | eta) = h(x) exp(eta . T(x) - A(eta)). The exact and CAVI engines are generic
 * loops over these operations, so adding a family touches one file.
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
  /**
   * E[log h(x)] under eta, where it has a closed form (the entropy needs it):
   * H[q] = A(eta) − <eta, E[T(x)]> − E[log h(x)]
   */
  expectedLogBaseMeasure?(eta: readonly tf.Tensor[]): tf.Tensor;
  /**
   * The message to the conjugate parent entering argument `arg` (see src/distributions/conjugacy.ts
   * for the pairs); throws for an argument with no conjugate parent.
   */
  messageToParent?(arg: string, child: ChildStats, co: CoParents): ConjugateMessage;
  /** float64 natural parameters and log normaliser, for the families that are conjugate priors */
  readonly float64?: ExpFamily64;
}
