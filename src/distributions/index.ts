// The distribution factory: one class per family (one file each), constructed from the
// arguments of a family call by their §2 names. Broadcasting and shape checks happen in the
// constructor (src/distributions/shapes.ts): batch shape = the broadcast of every argument's shape minus
// that argument's parameter axes.
import type * as tf from '@tensorflow/tfjs';
import { Bernoulli } from './bernoulli.js';
import { Beta } from './beta.js';
import { Binomial } from './binomial.js';
import { Categorical } from './categorical.js';
import { Cauchy } from './cauchy.js';
import { Dirichlet } from './dirichlet.js';
import type { Distribution } from './distribution.js';
import { Exponential } from './exponential.js';
import { Gamma } from './gamma.js';
import { HalfCauchy } from './halfCauchy.js';
import { HalfNormal } from './halfNormal.js';
import { Laplace } from './laplace.js';
import { LogNormal } from './logNormal.js';
import { Multinomial } from './multinomial.js';
import { MvNormal, mvNormalLogProbObserved } from './mvNormal.js';
import { NegativeBinomial } from './negativeBinomial.js';
import { Normal } from './normal.js';
import { Poisson } from './poisson.js';
import type { DistName } from './signatures.js';
import { StudentT } from './studentT.js';
import { Uniform } from './uniform.js';

type Ctor = new (args: Readonly<Record<string, tf.Tensor>>) => Distribution;

const FAMILIES: Readonly<Record<DistName, Ctor>> = {
  Normal,
  MvNormal,
  Bernoulli,
  Categorical,
  Binomial,
  Multinomial,
  Poisson,
  Beta,
  Gamma,
  Exponential,
  Dirichlet,
  Uniform,
  LogNormal,
  StudentT,
  Cauchy,
  HalfNormal,
  HalfCauchy,
  NegativeBinomial,
  Laplace,
};

/**
 * The distribution of `family` with the given arguments (named as in src/distributions/signatures.ts, e.g.
 * { n, logits } for Binomial). The arguments are broadcast and cast to float32 into tensors the
 * distribution owns (release them with `dispose()` or an enclosing tf.tidy); the caller keeps its
 * own. Throws an Error for unknown argument names or shapes that do not broadcast.
 *
 * @example
 *   const d = makeDistribution('Normal', { mu: tf.zeros([3]), sigma: tf.scalar(2) });
 *   d.batchShape; // [3]
 *   const x = d.sample([1000], new Rng(1)); // [1000, 3]
 */
export function makeDistribution(
  family: DistName,
  args: Readonly<Record<string, tf.Tensor>>,
): Distribution {
  const C = FAMILIES[family];
  if (!C) throw new Error(`unknown distribution family '${family}'`);
  return new C(args);
}

/**
 * log p(x_o | args) of each event of a vector family observed in part (`observed`: a bool mask
 * broadcastable to [...batch, ...event]), the missing entries integrated out; only the
 * families of `scoresPartialEvents` (signatures.ts) with a vector event: MvNormal.
 */
export function logProbObserved(
  family: DistName,
  args: Readonly<Record<string, tf.Tensor>>,
  x: tf.Tensor,
  observed: tf.Tensor,
): tf.Tensor {
  if (family === 'MvNormal') return mvNormalLogProbObserved(args, x, observed);
  throw new Error(`internal: ${family} has no density of the observed entries of an event`);
}

export { sampleBinomial } from './binomial.js';
export { gatherLogProb, sampleCategorical, sampleCategoricalRows } from './categorical.js';
export * from './conjugacy.js';
export type {
  ChildStats,
  ConjugateMessage,
  CoParents,
  DistArgs,
  Distribution,
  ExpFamily,
  ExpFamily64,
  Moments,
} from './distribution.js';
export {
  type ConjugateUpdate64,
  conjugateUpdate64,
  type ExpFamilyOptions,
  entropy,
  expectedLogProb,
  expFamilyLogProb,
  expFamilyOf,
} from './expfamily.js';
export { sampleLogGamma } from './gamma.js';
export { samplePoisson } from './poisson.js';
export { Rng } from './rng.js';
export * from './special.js';
export { isTruncatable, truncate } from './truncated.js';
export { HostMassCache } from './truncatedHost.js';
export {
  Bernoulli,
  Beta,
  Binomial,
  Categorical,
  Cauchy,
  Dirichlet,
  Exponential,
  Gamma,
  HalfCauchy,
  HalfNormal,
  Laplace,
  LogNormal,
  Multinomial,
  MvNormal,
  NegativeBinomial,
  Normal,
  Poisson,
  StudentT,
  Uniform,
};
