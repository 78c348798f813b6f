// Posterior summaries in the form of DESIGN.md §5: family, params under the §2 argument names,
// mean and sd, all nested to the node's full shape. Inputs are flat row-major float64 arrays.
// Non-finite values (an sd that does not exist) become null: JSON has no Infinity.
import { nest } from '../../report/nested.js';
import type { LatentSummary } from '../../report/result.js';

const map = (a: ArrayLike<number>, f: (x: number, i: number) => number): Float64Array => {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f(a[i], i);
  return out;
};

/** A Bernoulli latent: P(x = 1) per element as p and mean, sd sqrt(p (1 - p)). */
export function bernoulliSummary(p: Float64Array, shape: readonly number[]): LatentSummary {
  const sd = p.map((q) => Math.sqrt(Math.max(0, q * (1 - q))));
  return {
    family: 'Bernoulli',
    shape: [...shape],
    params: { p: nest(p, shape) },
    mean: nest(p, shape),
    sd: nest(sd, shape),
  };
}

/** A Categorical latent: the probability vectors p [...shape, K] as p and mean, sd per state. */
export function categoricalSummary(
  p: Float64Array,
  shape: readonly number[],
  K: number,
): LatentSummary {
  const sd = p.map((q) => Math.sqrt(Math.max(0, q * (1 - q))));
  const pShape = [...shape, K];
  return {
    family: 'Categorical',
    shape: [...shape],
    params: { p: nest(p, pShape) },
    mean: nest(p, pShape),
    sd: nest(sd, pShape),
  };
}

export function betaSummary(
  a: Float64Array,
  b: Float64Array,
  shape: readonly number[],
): LatentSummary {
  const mean = map(a, (x, i) => x / (x + b[i]));
  const sd = map(a, (x, i) => {
    const s = x + b[i];
    return Math.sqrt((x * b[i]) / (s * s * (s + 1)));
  });
  return {
    family: 'Beta',
    shape: [...shape],
    params: { a: nest(a, shape), b: nest(b, shape) },
    mean: nest(mean, shape),
    sd: nest(sd, shape),
  };
}

export function gammaSummary(
  alpha: Float64Array,
  beta: Float64Array,
  shape: readonly number[],
): LatentSummary {
  return {
    family: 'Gamma',
    shape: [...shape],
    params: { shape: nest(alpha, shape), rate: nest(beta, shape) },
    mean: nest(
      map(alpha, (a, i) => a / beta[i]),
      shape,
    ),
    sd: nest(
      map(alpha, (a, i) => Math.sqrt(a) / beta[i]),
      shape,
    ),
  };
}

/** `shape` ends with the number of categories K. */
export function dirichletSummary(alpha: Float64Array, shape: readonly number[]): LatentSummary {
  const k = shape[shape.length - 1];
  const mean = new Float64Array(alpha.length);
  const sd = new Float64Array(alpha.length);
  for (let r = 0; r < alpha.length; r += k) {
    let a0 = 0;
    for (let j = 0; j < k; j++) a0 += alpha[r + j];
    for (let j = 0; j < k; j++) {
      const a = alpha[r + j];
      mean[r + j] = a / a0;
      sd[r + j] = Math.sqrt((a * (a0 - a)) / (a0 * a0 * (a0 + 1)));
    }
  }
  return {
    family: 'Dirichlet',
    shape: [...shape],
    params: { alpha: nest(alpha, shape) },
    mean: nest(mean, shape),
    sd: nest(sd, shape),
  };
}

export function normalSummary(
  mu: Float64Array,
  sigma: Float64Array,
  shape: readonly number[],
): LatentSummary {
  return {
    family: 'Normal',
    shape: [...shape],
    params: { mu: nest(mu, shape), sigma: nest(sigma, shape) },
    mean: nest(mu, shape),
    sd: nest(sigma, shape),
  };
}

/** `shape` ends with the event size E; Sigma holds one E × E block per element of the rest. */
export function mvNormalSummary(
  mu: Float64Array,
  Sigma: Float64Array,
  shape: readonly number[],
): LatentSummary {
  const e = shape[shape.length - 1];
  const sd = map(mu, (_, i) => {
    const b = Math.floor(i / e);
    const j = i % e;
    return Math.sqrt(Sigma[b * e * e + j * e + j]);
  });
  return {
    family: 'MvNormal',
    shape: [...shape],
    params: { mu: nest(mu, shape), Sigma: nest(Sigma, [...shape, e]) },
    mean: nest(mu, shape),
    sd: nest(sd, shape),
  };
}

/**
 * The marginal of a Normal–Gamma block's mean: Student t with nu degrees of freedom, location
 * mu and scale sigma (Stan's student_t(nu, mu, sigma)); the mean exists for nu > 1 and the sd
 * sigma sqrt(nu / (nu - 2)) for nu > 2. Every parameter has the node's full shape (nu repeated).
 */
export function studentTSummary(
  nu: number,
  mu: Float64Array,
  sigma: Float64Array,
  shape: readonly number[],
): LatentSummary {
  const sdf = nu > 2 ? Math.sqrt(nu / (nu - 2)) : Number.POSITIVE_INFINITY;
  return {
    family: 'StudentT',
    shape: [...shape],
    params: {
      nu: nest(
        map(mu, () => nu),
        shape,
      ),
      mu: nest(mu, shape),
      sigma: nest(sigma, shape),
    },
    mean: nest(nu > 1 ? mu : map(mu, () => Number.NaN), shape),
    sd: nest(
      map(sigma, (s) => s * sdf),
      shape,
    ),
  };
}

/** A vector Normal–Gamma mean: multivariate t with scale matrix Sigma. */
export function mvStudentTSummary(
  nu: number,
  mu: Float64Array,
  Sigma: Float64Array,
  shape: readonly number[],
): LatentSummary {
  const e = shape[shape.length - 1];
  const sdf = nu > 2 ? Math.sqrt(nu / (nu - 2)) : Number.POSITIVE_INFINITY;
  const sd = map(mu, (_, i) => {
    const b = Math.floor(i / e);
    const j = i % e;
    return Math.sqrt(Sigma[b * e * e + j * e + j]) * sdf;
  });
  return {
    family: 'MvStudentT',
    shape: [...shape],
    params: {
      nu: nest(
        map(mu, () => nu),
        shape,
      ),
      mu: nest(mu, shape),
      Sigma: nest(Sigma, [...shape, e]),
    },
    mean: nest(nu > 1 ? mu : map(mu, () => Number.NaN), shape),
    sd: nest(sd, shape),
  };
}

/** Any family: each parameter with its own shape (the node's full shape, or more), mean and sd. */
export function familySummary(
  family: string,
  shape: readonly number[],
  params: Record<string, { data: Float64Array; shape: readonly number[] }>,
  mean: Float64Array,
  sd: Float64Array,
  valueShape: readonly number[] = shape,
): LatentSummary {
  return {
    family,
    shape: [...shape],
    params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, nest(v.data, v.shape)])),
    mean: nest(mean, valueShape),
    sd: nest(sd, valueShape),
  };
}
