// Marginal densities of one entry of a latent's posterior family, in float64, on a grid that
// spans its 0.1%–99.9% quantiles: the curves of the posterior plots. The marginals are those of
// quantiles.ts (a Dirichlet entry is a Beta, an MvNormal's a Normal, an MvStudentT's a t).
import { lbeta64, lgamma64 } from '../../distributions/special64.js';
import { flatten } from '../format.js';
import { quantilesOf } from '../quantiles.js';
import type { LatentJson } from '../result.js';

/** log density of entry i at x, or undefined when the family has no density per entry. */
export type LogDensity = (i: number, x: number) => number;

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

function normal(x: number, mu: number, s: number): number {
  const z = (x - mu) / s;
  return -0.5 * z * z - Math.log(s) - LOG_SQRT_2PI;
}

/** Student t: Γ((ν+1)/2) / (Γ(ν/2) √(νπ) s) (1 + z²/ν)^(−(ν+1)/2). */
function studentT(x: number, nu: number, mu: number, s: number): number {
  const z = (x - mu) / s;
  return (
    lgamma64((nu + 1) / 2) -
    lgamma64(nu / 2) -
    0.5 * Math.log(nu * Math.PI) -
    Math.log(s) -
    ((nu + 1) / 2) * Math.log1p((z * z) / nu)
  );
}

function beta(x: number, a: number, b: number): number {
  if (x <= 0 || x >= 1) return Number.NEGATIVE_INFINITY;
  return (a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - lbeta64(a, b);
}

/** Gamma with shape k and rate r: r^k x^(k−1) e^(−r x) / Γ(k). */
function gamma(x: number, k: number, r: number): number {
  if (x <= 0) return Number.NEGATIVE_INFINITY;
  return k * Math.log(r) + (k - 1) * Math.log(x) - r * x - lgamma64(k);
}

export function logDensityOf(l: LatentJson): LogDensity | undefined {
  const p = (name: string) =>
    (l.params[name] === undefined ? [] : flatten(l.params[name]!)).map((v) => v ?? Number.NaN);
  const E = l.shape[l.shape.length - 1] ?? 1;
  const diag = (Sigma: number[], i: number) => {
    const b = Math.floor(i / E);
    const j = i % E;
    return Math.sqrt(Sigma[b * E * E + j * E + j]!);
  };
  switch (l.family) {
    case 'Normal': {
      const [mu, s] = [p('mu'), p('sigma')];
      return (i, x) => normal(x, mu[i]!, s[i]!);
    }
    case 'MvNormal': {
      const [mu, S] = [p('mu'), p('Sigma')];
      return (i, x) => normal(x, mu[i]!, diag(S, i));
    }
    case 'StudentT': {
      const [nu, mu, s] = [p('nu'), p('mu'), p('sigma')];
      return (i, x) => studentT(x, nu[i]!, mu[i]!, s[i]!);
    }
    case 'LogNormal': {
      // log x ~ Normal(mu, sigma): the density of x is N(log x; mu, sigma) / x
      const [mu, s] = [p('mu'), p('sigma')];
      return (i, x) =>
        x > 0 ? normal(Math.log(x), mu[i]!, s[i]!) - Math.log(x) : Number.NEGATIVE_INFINITY;
    }
    case 'MvStudentT': {
      const [nu, mu, S] = [p('nu'), p('mu'), p('Sigma')];
      return (i, x) => studentT(x, nu[i]!, mu[i]!, diag(S, i));
    }
    case 'Beta': {
      const [a, b] = [p('a'), p('b')];
      return (i, x) => beta(x, a[i]!, b[i]!);
    }
    case 'Gamma': {
      const [k, r] = [p('shape'), p('rate')];
      return (i, x) => gamma(x, k[i]!, r[i]!);
    }
    case 'Dirichlet': {
      const alpha = p('alpha');
      return (i, x) => {
        let a0 = 0;
        for (let j = i - (i % E); j < i - (i % E) + E; j++) a0 += alpha[j]!;
        return beta(x, alpha[i]!, a0 - alpha[i]!);
      };
    }
    default:
      return undefined;
  }
}

export interface DensityPoint {
  readonly x: number;
  readonly density: number;
}

/**
 * The density of entry i at `points` evenly spaced x between its 0.1% and 99.9% quantiles
 * (a bounded support's edges excluded), or undefined for a family without one.
 */
export function densityCurve(l: LatentJson, i: number, points = 120): DensityPoint[] | undefined {
  const logp = logDensityOf(l);
  const q = quantilesOf(l);
  if (!logp || !q) return undefined;
  const lo = q(i, 0.001);
  const hi = q(i, 0.999);
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) return undefined;
  const out: DensityPoint[] = [];
  for (let k = 0; k < points; k++) {
    const x = lo + ((hi - lo) * k) / (points - 1);
    const d = Math.exp(logp(i, x));
    if (Number.isFinite(d)) out.push({ x, density: d });
  }
  return out;
}
