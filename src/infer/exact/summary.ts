// Posterior summaries in the form of DESIGN.md §5: family, params under the §2 argument names,
// mean and sd, all with the node's full shape. Inputs are flat row-major float64 arrays.
// Non-finite values (an sd that does not exist) stay as they are; JSON writes them as null.
import { float64, type LatentPosterior } from '../result.js';

const map = (a: ArrayLike<number>, f: (x: number, i: number) => number): Float64Array => {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f(a[i], i);
  return out;
};

/** A Bernoulli latent: P(x = 1) per element as p and mean, sd sqrt(p (1 - p)). */
export function bernoulliSummary(p: Float64Array, shape: readonly number[]): LatentPosterior {
  const sd = p.map((q) => Math.sqrt(Math.max(0, q * (1 - q))));
  return {
    family: 'Bernoulli',
    shape: [...shape],
    params: { p: float64(p, shape) },
    mean: float64(p, shape),
    sd: float64(sd, shape),
  };
}

/** A Categorical latent: the probability vectors p [...shape, K] as p and mean, sd per state. */
export function categoricalSummary(
  p: Float64Array,
  shape: readonly number[],
  K: number,
): LatentPosterior {
  const sd = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) sd[i] = Math.sqrt(Math.max(0, p[i]! * (1 - p[i]!)));
  const pShape = [...shape, K];
  return {
    family: 'Categorical',
    shape: [...shape],
    params: { p: float64(p, pShape) },
    mean: float64(p, pShape),
    sd: float64(sd, pShape),
  };
}

export function betaSummary(
  a: Float64Array,
  b: Float64Array,
  shape: readonly number[],
): LatentPosterior {
  const mean = map(a, (x, i) => x / (x + b[i]));
  const sd = map(a, (x, i) => {
    const s = x + b[i];
    return Math.sqrt((x * b[i]) / (s * s * (s + 1)));
  });
  return {
    family: 'Beta',
    shape: [...shape],
    params: { a: float64(a, shape), b: float64(b, shape) },
    mean: float64(mean, shape),
    sd: float64(sd, shape),
  };
}

export function gammaSummary(
  alpha: Float64Array,
  beta: Float64Array,
  shape: readonly number[],
): LatentPosterior {
  return {
    family: 'Gamma',
    shape: [...shape],
    params: { shape: float64(alpha, shape), rate: float64(beta, shape) },
    mean: float64(
      map(alpha, (a, i) => a / beta[i]),
      shape,
    ),
    sd: float64(
      map(alpha, (a, i) => Math.sqrt(a) / beta[i]),
      shape,
    ),
  };
}

/** `shape` ends with the number of categories K. */
export function dirichletSummary(alpha: Float64Array, shape: readonly number[]): LatentPosterior {
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
    params: { alpha: float64(alpha, shape) },
    mean: float64(mean, shape),
    sd: float64(sd, shape),
  };
}

export function normalSummary(
  mu: Float64Array,
  sigma: Float64Array,
  shape: readonly number[],
): LatentPosterior {
  return {
    family: 'Normal',
    shape: [...shape],
    params: { mu: float64(mu, shape), sigma: float64(sigma, shape) },
    mean: float64(mu, shape),
    sd: float64(sigma, shape),
  };
}

/** `shape` ends with the event size E; Sigma holds one E × E block per element of the rest. */
export function mvNormalSummary(
  mu: Float64Array,
  Sigma: Float64Array,
  shape: readonly number[],
): LatentPosterior {
  const e = shape[shape.length - 1];
  const sd = map(mu, (_, i) => {
    const b = Math.floor(i / e);
    const j = i % e;
    return Math.sqrt(Sigma[b * e * e + j * e + j]);
  });
  return {
    family: 'MvNormal',
    shape: [...shape],
    params: { mu: float64(mu, shape), Sigma: float64(Sigma, [...shape, e]) },
    mean: float64(mu, shape),
    sd: float64(sd, shape),
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
): LatentPosterior {
  const sdf = nu > 2 ? Math.sqrt(nu / (nu - 2)) : Number.POSITIVE_INFINITY;
  return {
    family: 'StudentT',
    shape: [...shape],
    params: {
      nu: float64(
        map(mu, () => nu),
        shape,
      ),
      mu: float64(mu, shape),
      sigma: float64(sigma, shape),
    },
    mean: float64(nu > 1 ? mu : map(mu, () => Number.NaN), shape),
    sd: float64(
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
): LatentPosterior {
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
      nu: float64(
        map(mu, () => nu),
        shape,
      ),
      mu: float64(mu, shape),
      Sigma: float64(Sigma, [...shape, e]),
    },
    mean: float64(nu > 1 ? mu : map(mu, () => Number.NaN), shape),
    sd: float64(sd, shape),
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
): LatentPosterior {
  return {
    family,
    shape: [...shape],
    params: Object.fromEntries(
      Object.entries(params).map(([k, v]) => [k, float64(v.data, v.shape)]),
    ),
    mean: float64(mean, valueShape),
    sd: float64(sd, valueShape),
  };
}
