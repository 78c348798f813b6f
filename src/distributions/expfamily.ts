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
import type { ExpFamily } from './distribution.js';
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
