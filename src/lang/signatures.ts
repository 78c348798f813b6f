// The static signatures of the language's built-in functions, net architectures and keywords.
// Distribution signatures belong to the families (`src/distributions/signatures.ts`); they are
// re-exported here for the checker. No tensors here.
export {
  DISTRIBUTIONS,
  type DistName,
  type DistSignature,
  HOST_TRUNCATED,
  isDistName,
  type SupportKind,
  TRUNCATABLE,
} from '../distributions/signatures.js';

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
