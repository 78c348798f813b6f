// Posterior quantiles of one entry of a latent, from its posterior (or variational) family, in
// float64: the 5%, 50% and 95% columns of the summaries (Stan's print). Each entry's marginal is
// a one-dimensional family: a Dirichlet's j-th coordinate is Beta(α_j, α₀ − α_j) (Bishop, PRML
// §2.2.1); an MvNormal's is Normal(μ_j, √Σ_jj) and an MvStudentT's Student t with the same ν,
// location μ_j and scale √Σ_jj (Kotz & Nadarajah 2004, §1.10). Inverse CDFs are @stdlib's.
import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';
import gammaQuantile from '@stdlib/stats-base-dists-gamma-quantile';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { flatten } from './format.js';
import type { LatentJson } from './result.js';

/** The probabilities of the summary columns. */
export const SUMMARY_PROBS = [0.05, 0.5, 0.95] as const;

/** Entry `i` (row-major over the node's shape) → its quantile at probability p. */
export type QuantileFn = (i: number, p: number) => number;

const num = (v: number | null | undefined) => v ?? Number.NaN;

/**
 * The quantile function of a latent's entries, or undefined when the family has none per entry
 * (Categorical: one row per state; a Mixture: no closed form).
 */
export function quantilesOf(l: LatentJson): QuantileFn | undefined {
  const p = (name: string) => (l.params[name] === undefined ? [] : flatten(l.params[name]!));
  const E = l.shape[l.shape.length - 1] ?? 1;
  /** √Σ_jj of entry i, Σ held as one E × E block per entry of the node's batch */
  const diagScale = (Sigma: (number | null)[]) => (i: number) => {
    const b = Math.floor(i / E);
    const j = i % E;
    return Math.sqrt(num(Sigma[b * E * E + j * E + j]));
  };
  switch (l.family) {
    case 'Normal': {
      const [mu, sigma] = [p('mu'), p('sigma')];
      return (i, q) => normalQuantile(q, num(mu[i]), num(sigma[i]));
    }
    case 'LogNormal': {
      // avi's q of a positive latent: log x ~ Normal(mu, sigma), and exp is increasing
      const [mu, sigma] = [p('mu'), p('sigma')];
      return (i, q) => Math.exp(normalQuantile(q, num(mu[i]), num(sigma[i])));
    }
    case 'StudentT': {
      const [nu, mu, sigma] = [p('nu'), p('mu'), p('sigma')];
      return (i, q) => num(mu[i]) + num(sigma[i]) * tQuantile(q, num(nu[i]));
    }
    case 'MvNormal': {
      const [mu, scale] = [p('mu'), diagScale(p('Sigma'))];
      return (i, q) => normalQuantile(q, num(mu[i]), scale(i));
    }
    case 'MvStudentT': {
      const [nu, mu, scale] = [p('nu'), p('mu'), diagScale(p('Sigma'))];
      return (i, q) => num(mu[i]) + scale(i) * tQuantile(q, num(nu[i]));
    }
    case 'Beta': {
      const [a, b] = [p('a'), p('b')];
      return (i, q) => betaQuantile(q, num(a[i]), num(b[i]));
    }
    case 'Gamma': {
      const [shape, rate] = [p('shape'), p('rate')];
      return (i, q) => gammaQuantile(q, num(shape[i]), num(rate[i]));
    }
    case 'Dirichlet': {
      const alpha = p('alpha');
      const rowSum = (i: number) => {
        let s = 0;
        for (let j = i - (i % E); j < i - (i % E) + E; j++) s += num(alpha[j]);
        return s;
      };
      return (i, q) => {
        const a = num(alpha[i]);
        return betaQuantile(q, a, rowSum(i) - a);
      };
    }
    case 'Bernoulli': {
      // the smallest x in {0, 1} with P(X ≤ x) ≥ q; P(X ≤ 0) = 1 − p
      const prob = p('p');
      return (i, q) => (1 - num(prob[i]) >= q ? 0 : 1);
    }
    default:
      return undefined;
  }
}
