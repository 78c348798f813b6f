// The static signatures of the language's distributions and built-in functions: argument
// names (Stan's parameterisations), event ranks and supports. Shared by the checker (arity,
// unknown named arguments), the graph (canonical argument names, shapes) and `src/dist`.
// No tensors here.

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
  | 'LogNormal';

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
};

export function isDistName(name: string): name is DistName {
  return Object.hasOwn(DISTRIBUTIONS, name);
}

export type FunctionName =
  | 'exp'
  | 'log'
  | 'log1p'
  | 'sqrt'
  | 'abs'
  | 'sigmoid'
  | 'softplus'
  | 'softmax'
  | 'sum'
  | 'dot'
  | 'rep'
  | 'zeros'
  | 'ones'
  | 'eye'
  | 'min'
  | 'max';

export interface FunctionSignature {
  readonly name: FunctionName;
  readonly minArgs: number;
  readonly maxArgs: number;
  /** elementwise functions keep their argument's shape */
  readonly elementwise: boolean;
  readonly doc: string;
}

const fn = (
  name: FunctionName,
  minArgs: number,
  maxArgs: number,
  elementwise: boolean,
  doc: string,
): FunctionSignature => ({ name, minArgs, maxArgs, elementwise, doc });

export const FUNCTIONS: Readonly<Record<FunctionName, FunctionSignature>> = {
  exp: fn('exp', 1, 1, true, 'e^x, elementwise'),
  log: fn('log', 1, 1, true, 'natural logarithm, elementwise'),
  log1p: fn('log1p', 1, 1, true, 'log(1 + x), elementwise'),
  sqrt: fn('sqrt', 1, 1, true, 'square root, elementwise'),
  abs: fn('abs', 1, 1, true, 'absolute value, elementwise'),
  sigmoid: fn('sigmoid', 1, 1, true, '1 / (1 + exp(-x)), elementwise'),
  softplus: fn('softplus', 1, 1, true, 'log(1 + exp(x)), elementwise'),
  softmax: fn('softmax', 1, 1, false, 'exp(x) / sum(exp(x)) over the last axis'),
  sum: fn('sum', 1, 1, false, 'sum over all axes of one value (not over plates)'),
  dot: fn('dot', 2, 2, false, 'inner product of two vectors of equal length'),
  rep: fn('rep', 2, 2, false, 'rep(x, K): a vector of K copies of x'),
  zeros: fn('zeros', 1, 2, false, 'zeros(K) or zeros(K, M)'),
  ones: fn('ones', 1, 2, false, 'ones(K) or ones(K, M)'),
  eye: fn('eye', 1, 1, false, 'eye(D): the D×D identity'),
  min: fn('min', 2, 2, true, 'elementwise minimum of two values'),
  max: fn('max', 2, 2, true, 'elementwise maximum of two values'),
};

export function isFunctionName(name: string): name is FunctionName {
  return Object.hasOwn(FUNCTIONS, name);
}

/** Architectures a `net` may use, with their named options. */
export const NET_ARCHS: Readonly<
  Record<string, { readonly options: Readonly<Record<string, readonly string[]>> }>
> = {
  mlp: { options: { act: ['relu', 'tanh', 'sigmoid', 'elu', 'softplus', 'linear'] } },
};

/** Words that cannot be used as names. */
export const KEYWORDS = [
  'model',
  'guide',
  'size',
  'hyper',
  'data',
  'param',
  'net',
  'plate',
  'in',
  'real',
  'int',
  'simplex',
] as const;
