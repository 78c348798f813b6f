// The registry of conjugate pairs: which prior family is conjugate to which argument of which
// child family, and in what role. The graph analysis (src/graph/conjugacy.ts) reads it to state
// facts about a model, the engines read it to pick the child's `messageToParent` (the family
// files). Tensor-free, so the language and graph layers can import it without loading tfjs.
//
// Adding a conjugate pair: implement the child's `messageToParent` for the argument in its family
// file (the increment to the prior's natural parameters), then add one entry here.
import type { DistName } from './signatures.js';

/**
 * How the parent enters the child's argument:
 * - identity:  the argument is the parent itself (or one element of it): Bernoulli(theta)
 * - scaled:    the argument is c × parent with c known: Poisson(e[i] * lambda)
 * - precision: the argument is a standard deviation (c × parent)^-1/2, the parent a precision:
 *              Normal(mu, 1 / sqrt(k * tau))
 * - linear:    the argument is affine in the parent (linear-Gaussian; coefficients from
 *              src/graph/linearity.ts): Normal(dot(X[i], beta), sigma)
 */
export type ConjugateRole = 'identity' | 'scaled' | 'precision' | 'linear';

export interface ConjugatePair {
  /** `${prior}–${child}.${arg}`: a stable name for reports and tests */
  readonly id: string;
  /** the family whose natural parameters the child's message increments */
  readonly prior: DistName;
  readonly child: DistName;
  /** the child's argument the parent enters, by its §2 name */
  readonly arg: string;
  /** the roles the pair is closed under (identity is always one of them) */
  readonly roles: readonly ConjugateRole[];
}

const pair = (
  prior: DistName,
  child: DistName,
  arg: string,
  roles: readonly ConjugateRole[],
): ConjugatePair => ({ id: `${prior}–${child}.${arg}`, prior, child, arg, roles });

/**
 * Every conjugate pair (Bernardo & Smith, Bayesian Theory, App. A; Winn & Bishop 2005, VMP).
 * The order matters only for messages naming the priors of a child family ("Normal/Gamma").
 */
export const CONJUGATE_PAIRS: readonly ConjugatePair[] = [
  pair('Beta', 'Bernoulli', 'p', ['identity']),
  pair('Beta', 'Binomial', 'p', ['identity']),
  pair('Gamma', 'Poisson', 'rate', ['identity', 'scaled']),
  pair('Gamma', 'Exponential', 'rate', ['identity', 'scaled']),
  pair('Gamma', 'Gamma', 'rate', ['identity', 'scaled']),
  pair('Normal', 'Normal', 'mu', ['identity', 'linear']),
  pair('Gamma', 'Normal', 'sigma', ['precision']),
  pair('Dirichlet', 'Categorical', 'p', ['identity']),
  pair('Dirichlet', 'Multinomial', 'p', ['identity']),
  pair('Normal', 'MvNormal', 'mu', ['identity', 'linear']),
  pair('MvNormal', 'MvNormal', 'mu', ['identity', 'linear']),
];
// A linear-Gaussian block treats Normal and MvNormal latents alike (one joint Gaussian), so the
// `linear` role of a Normal prior covers an MvNormal latent read through `dot` or `@` as well.

/**
 * A prior family that is a special case of a conjugate prior: its parameters in the conjugate
 * family's terms, each a constant or the name of one of its own arguments.
 * Exponential(rate) = Gamma(1, rate); Uniform(0, 1) = Beta(1, 1).
 */
export interface PriorView {
  readonly family: DistName;
  readonly as: DistName;
  readonly args: Readonly<Record<string, number | string>>;
  /** the view holds only for these constant arguments (Uniform on the unit interval) */
  readonly when?: Readonly<Record<string, number>>;
}

export const PRIOR_VIEWS: readonly PriorView[] = [
  { family: 'Exponential', as: 'Gamma', args: { shape: 1, rate: 'rate' } },
  { family: 'Uniform', as: 'Beta', args: { a: 1, b: 1 }, when: { lo: 0, hi: 1 } },
];

/** The prior families that some pair makes conjugate (the identity view of each). */
export function conjugatePriorFamilies(): ReadonlySet<DistName> {
  return new Set(CONJUGATE_PAIRS.map((p) => p.prior));
}

/** The view of a prior family as a conjugate prior: itself when it is one, else its PriorView. */
export function priorViewOf(family: DistName): PriorView | undefined {
  if (conjugatePriorFamilies().has(family)) return { family, as: family, args: {} };
  return PRIOR_VIEWS.find((v) => v.family === family);
}

/** The pairs whose child is `child` (all its arguments). */
export function pairsOfChild(child: DistName): readonly ConjugatePair[] {
  return CONJUGATE_PAIRS.filter((p) => p.child === child);
}

/** The pair (prior family, child family, argument), if there is one. */
export function findPair(prior: DistName, child: DistName, arg: string): ConjugatePair | undefined {
  return CONJUGATE_PAIRS.find((p) => p.prior === prior && p.child === child && p.arg === arg);
}

/** The prior families conjugate to some argument of `child`, in table order ("Normal/Gamma"). */
export function conjugatePriorsOf(child: DistName): readonly DistName[] {
  return [...new Set(pairsOfChild(child).map((p) => p.prior))];
}
