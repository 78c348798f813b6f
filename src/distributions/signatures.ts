// Each family's static signature: argument names (Stan's parameterisations), event rank and
// support. The language's checker reads it (arity, unknown named arguments), the graph reads the
// canonical argument names and shapes. Kept free of tensors, apart from the family files that
// implement them, so that `plato check` never loads TensorFlow.js (see docs/architecture.md).

export type DistName =
  | 'Normal'
  | 'MvNormal'
  | 'Bernoulli'
  | 'Categorical'
  | 'Binomial'
  | 'Multinomial'
  | 'Poisson'
  | 'Beta'
  | 'Gamma'
  | 'Exponential'
  | 'Dirichlet'
  | 'Uniform'
  | 'LogNormal'
  | 'StudentT'
  | 'Cauchy'
  | 'HalfNormal'
  | 'HalfCauchy'
  | 'NegativeBinomial'
  | 'Laplace';

export type SupportKind =
  | 'real'
  | 'positive' // (0, inf)
  | 'unit-interval' // [0, 1]
  | 'binary' // {0, 1}
  | 'categorical' // {0, …, K-1}
  | 'count' // {0, 1, 2, …}
  | 'bounded-count' // {0, …, n}
  | 'simplex'
  | 'count-vector' // non-negative integers summing to n
  | 'interval'; // [lo, hi] from the arguments

export interface DistSignature {
  readonly name: DistName;
  /**
   * Alternative argument lists; the first is the default. A call matches the first
   * parameterisation whose names cover its named arguments (`Bernoulli(logits = l)`).
   */
  readonly params: readonly (readonly string[])[];
  /** rank of one draw: 0 for scalar families, 1 for vector families */
  readonly eventRank: 0 | 1;
  readonly support: SupportKind;
  /** values are integers (observed data must be integral) */
  readonly discrete: boolean;
  /** finite support (for exact enumeration) */
  readonly finite: boolean;
}

const sig = (
  name: DistName,
  params: string[][],
  eventRank: 0 | 1,
  support: SupportKind,
  discrete = false,
  finite = false,
): DistSignature => ({ name, params, eventRank, support, discrete, finite });

export const DISTRIBUTIONS: Readonly<Record<DistName, DistSignature>> = {
  Normal: sig('Normal', [['mu', 'sigma']], 0, 'real'),
  MvNormal: sig('MvNormal', [['mu', 'Sigma']], 1, 'real'),
  Bernoulli: sig('Bernoulli', [['p'], ['logits']], 0, 'binary', true, true),
  Categorical: sig('Categorical', [['p'], ['logits']], 0, 'categorical', true, true),
  Binomial: sig(
    'Binomial',
    [
      ['n', 'p'],
      ['n', 'logits'],
    ],
    0,
    'bounded-count',
    true,
    true,
  ),
  Multinomial: sig('Multinomial', [['n', 'p']], 1, 'count-vector', true, true),
  Poisson: sig('Poisson', [['rate']], 0, 'count', true),
  Beta: sig('Beta', [['a', 'b']], 0, 'unit-interval'),
  Gamma: sig('Gamma', [['shape', 'rate']], 0, 'positive'),
  Exponential: sig('Exponential', [['rate']], 0, 'positive'),
  Dirichlet: sig('Dirichlet', [['alpha']], 1, 'simplex'),
  Uniform: sig('Uniform', [['lo', 'hi']], 0, 'interval'),
  LogNormal: sig('LogNormal', [['mu', 'sigma']], 0, 'positive'),
  StudentT: sig('StudentT', [['nu', 'mu', 'sigma']], 0, 'real'),
  Cauchy: sig('Cauchy', [['mu', 'sigma']], 0, 'real'),
  HalfNormal: sig('HalfNormal', [['sigma']], 0, 'positive'),
  HalfCauchy: sig('HalfCauchy', [['sigma']], 0, 'positive'),
  NegativeBinomial: sig('NegativeBinomial', [['mu', 'phi']], 0, 'count', true),
  Laplace: sig('Laplace', [['mu', 'b']], 0, 'real'),
};

/**
 * The continuous families that can be truncated (`x ~ Normal(0, 1) T[0, ]`): those with a
 * log CDF and a quantile accurate in float32 (distributions/cdf.ts), and those whose CDF is a
 * regularised incomplete gamma or beta function, evaluated on the host in float64 (cdf64.ts;
 * HOST_TRUNCATED): their parameters and bounds must be fixed.
 */
export const TRUNCATABLE: ReadonlySet<DistName> = new Set<DistName>([
  'Normal',
  'LogNormal',
  'HalfNormal',
  'Cauchy',
  'HalfCauchy',
  'Laplace',
  'Exponential',
  'Uniform',
  'Gamma',
  'Beta',
  'StudentT',
]);

/**
 * The truncatable families whose normaliser F(hi) - F(lo) is computed once on the host in
 * float64 (tfjs has no incomplete gamma or beta function): a truncated node of these families
 * needs its parameters and bounds fixed by the data and the model (no latent ancestor).
 */
export const HOST_TRUNCATED: ReadonlySet<DistName> = new Set<DistName>([
  'Gamma',
  'Beta',
  'StudentT',
]);

/**
 * Can an event observed in part be scored by its observed entries alone, the missing ones
 * integrated out? A scalar family's event axes are batch entries of the distribution
 * (independent given the arguments), so each entry is scored on its own; MvNormal has the
 * Gaussian marginal of the observed sub-vector (index.ts logProbObserved). Dirichlet and
 * Multinomial do not: their entries are tied by the simplex or the count.
 */
export function scoresPartialEvents(name: DistName): boolean {
  return DISTRIBUTIONS[name].eventRank === 0 || name === 'MvNormal';
}

export function isDistName(name: string): name is DistName {
  return Object.hasOwn(DISTRIBUTIONS, name);
}
