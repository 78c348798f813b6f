// The exponential-family registry (BayesPy's node interface, DESIGN §STYLE): the exact and CAVI
// engines loop generically over `ExpFamily` objects, one per conjugate family, defined next to
// the family's distribution. Families with a fixed parameter (the binomial and multinomial n, a
// Normal's known sigma, the Categorical's K for its one-hot statistic) are built from it.
import * as tf from '@tensorflow/tfjs';
import { bernoulliExpFamily } from './bernoulli.js';
import { betaExpFamily } from './beta.js';
import { binomialExpFamily } from './binomial.js';
import { categoricalExpFamily } from './categorical.js';
import { dirichletExpFamily } from './dirichlet.js';
import type { ChildStats, CoParents, ExpFamily, Moments } from './distribution.js';
import { exponentialExpFamily } from './exponential.js';
import { gammaExpFamily } from './gamma.js';
import { multinomialExpFamily } from './multinomial.js';
import { normalExpFamily, normalKnownSigmaExpFamily } from './normal.js';
import { poissonExpFamily } from './poisson.js';
import type { DistName } from './signatures.js';

export interface ExpFamilyOptions {
  /** the number of trials of a Binomial or Multinomial (required for those) */
  readonly n?: tf.Tensor;
  /** a Normal's known standard deviation: the family is then one-parameter in mu */
  readonly sigma?: tf.Tensor;
  /** a Categorical's number of states (needed for its one-hot sufficient statistic) */
  readonly K?: number;
}

/**
 * The exponential-family view of a conjugate family, or undefined for the others (MvNormal,
 * Uniform, LogNormal). Binomial and Multinomial are exponential families only for fixed n:
 * pass `{ n }` (an Error says so otherwise).
 */
export function expFamilyOf(
  family: DistName,
  options: ExpFamilyOptions = {},
): ExpFamily | undefined {
  switch (family) {
    case 'Bernoulli':
      return bernoulliExpFamily;
    case 'Categorical':
      return categoricalExpFamily(options.K);
    case 'Binomial':
    case 'Multinomial': {
      if (!options.n) {
        throw new Error(
          `${family} is an exponential family only for fixed n: use expFamilyOf('${family}', { n })`,
        );
      }
      return family === 'Binomial' ? binomialExpFamily(options.n) : multinomialExpFamily(options.n);
    }
    case 'Poisson':
      return poissonExpFamily;
    case 'Exponential':
      return exponentialExpFamily;
    case 'Beta':
      return betaExpFamily;
    case 'Gamma':
      return gammaExpFamily;
    case 'Dirichlet':
      return dirichletExpFamily;
    case 'Normal':
      return options.sigma ? normalKnownSigmaExpFamily(options.sigma) : normalExpFamily;
    default:
      return undefined;
  }
}

/**
 * log p(x | eta) = sum_blocks eta . T(x) - A(eta) + log h(x), shape [...x's leading axes, ...batch]:
 * the generic density of the engines, and a check of each ExpFamily against the family's logProb.
 * Each block eta_i is [...batch, ...blockShape]; its block axes are summed out.
 */
export function expFamilyLogProb(
  ef: ExpFamily,
  eta: readonly tf.Tensor[],
  x: tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const A = ef.logNormalizer(eta);
    const T = ef.sufficientStats(x);
    let dot: tf.Tensor = tf.zeros([]);
    for (let i = 0; i < eta.length; i++) {
      const prod = tf.mul(eta[i]!, T[i]!);
      const blockRank = eta[i]!.rank - A.rank;
      const axes = Array.from({ length: blockRank }, (_, j) => prod.rank - blockRank + j);
      dot = tf.add(dot, axes.length ? tf.sum(prod, axes) : prod);
    }
    return tf.add(tf.sub(dot, A), ef.logBaseMeasure(x));
  });
}

/** sum over the blocks of a . b, each block's trailing axes beyond `rank` summed out */
function blockDot(a: readonly tf.Tensor[], b: Moments, rank: number): tf.Tensor {
  let dot: tf.Tensor = tf.zeros([]);
  for (let i = 0; i < a.length; i++) {
    const prod = tf.mul(a[i]!, b[i]!);
    const axes = Array.from({ length: prod.rank - rank }, (_, j) => rank + j);
    dot = tf.add(dot, axes.length ? tf.sum(prod, axes) : prod);
  }
  return dot;
}

/**
 * The entropy of q = p(x | eta): H[q] = A(eta) - <eta, E[T(x)]> - E[log h(x)], shape [...batch]
 * (the ELBO's -E_q[log q]). Needs the family's E[log h(x)] in closed form (throws otherwise:
 * a Poisson's E[lgamma(x + 1)] has none).
 */
export function entropy(ef: ExpFamily, eta: readonly tf.Tensor[]): tf.Tensor {
  if (!ef.expectedLogBaseMeasure) {
    throw new Error(`${ef.family}: no closed-form entropy (E[log h(x)] has no closed form)`);
  }
  return tf.tidy(() => {
    const A = ef.logNormalizer(eta);
    const dot = blockDot(eta, ef.expectedStats(eta), A.rank);
    return tf.sub(tf.sub(A, dot), ef.expectedLogBaseMeasure!(eta));
  });
}

/**
 * E_q[log p(x | parents)] for a child with a conjugate parent in argument `arg`, shape
 * [...batch]: <message, E_q[T(parent)]> + rest + E[log h(x)] (the ELBO's likelihood terms).
 * `parent` holds the parent's expected statistics broadcast to the child's batch; `logBase` is
 * the child's E[log h(x)] (its logBaseMeasure for an observed child, the default then).
 */
export function expectedLogProb(
  ef: ExpFamily,
  arg: string,
  child: ChildStats,
  co: CoParents,
  parent: Moments,
  logBase?: tf.Tensor,
): tf.Tensor {
  if (!ef.messageToParent) throw new Error(`${ef.family}: not the child of a conjugate pair`);
  return tf.tidy(() => {
    const m = ef.messageToParent!(arg, child, co);
    const eta = m.oneHot
      ? [tf.cast(tf.oneHot(tf.cast(m.eta[0]!, 'int32'), m.oneHot), 'float32')]
      : m.eta;
    const h = logBase ?? ('value' in child ? ef.logBaseMeasure(child.value) : tf.zeros([]));
    return tf.add(tf.add(blockDot(eta, parent, m.rest.rank), m.rest), h);
  });
}

/** A conjugate prior's posterior in float64: eta' = eta + sum of messages, and its share of log Z. */
export interface ConjugateUpdate64 {
  readonly eta: Float64Array[];
  /** sum over elements of A(eta') - A(eta): log p(data) minus the children's base measures */
  readonly logNormalizerGain: number;
}

/**
 * The closed-form update of a conjugate prior (Bernardo & Smith, App. A), in float64:
 *   eta_post = eta_prior + sum_children message,
 *   log p(x) = sum_elements [A(eta_post) - A(eta_prior)] + sum_children (rest + log h(x)).
 * `increments` are the summed messages, one array per block, laid out as the prior's eta;
 * `size` is the number of entries per element (K for a Dirichlet, else 1).
 */
export function conjugateUpdate64(
  ef: ExpFamily,
  prior: readonly Float64Array[],
  increments: readonly Float64Array[],
  size = 1,
): ConjugateUpdate64 {
  const f64 = ef.float64;
  if (!f64) throw new Error(`${ef.family}: not a conjugate prior (no float64 view)`);
  const eta = prior.map((e, i) => e.map((v, j) => v + increments[i]![j]!));
  const a0 = f64.logNormalizer(prior, size);
  const a1 = f64.logNormalizer(eta, size);
  let gain = 0;
  for (let m = 0; m < a0.length; m++) gain += a1[m]! - a0[m]!;
  return { eta, logNormalizerGain: gain };
}
