// Float64 references for the em tests, independent of the engine: Gaussian mixture
// log-likelihoods Σ_i log Σ_k π_k N(x_i; μ_k, Σ_k) by Cholesky written here, and synthetic data.
import { prng } from '../../support/prng.js';

/** Lower Cholesky factor of a D×D SPD matrix (row-major), float64. */
function chol(A: ArrayLike<number>, D: number): Float64Array {
  const L = new Float64Array(D * D);
  for (let i = 0; i < D; i++)
    for (let j = 0; j <= i; j++) {
      let s = A[i * D + j];
      for (let k = 0; k < j; k++) s -= L[i * D + k] * L[j * D + k];
      if (i === j) {
        if (!(s > 0)) throw new Error('not SPD');
        L[i * D + i] = Math.sqrt(s);
      } else L[i * D + j] = s / L[j * D + j];
    }
  return L;
}

/** log N(x; μ, Σ) with Σ = L Lᵀ. */
function logMvn(
  x: ArrayLike<number>,
  xo: number,
  mu: ArrayLike<number>,
  mo: number,
  L: Float64Array,
  D: number,
): number {
  // solve L y = x − μ
  const y = new Float64Array(D);
  let logDet = 0;
  for (let i = 0; i < D; i++) {
    let s = x[xo + i] - mu[mo + i];
    for (let k = 0; k < i; k++) s -= L[i * D + k] * y[k];
    y[i] = s / L[i * D + i];
    logDet += Math.log(L[i * D + i]);
  }
  let q = 0;
  for (let i = 0; i < D; i++) q += y[i] * y[i];
  return -0.5 * D * Math.log(2 * Math.PI) - logDet - 0.5 * q;
}

function logSumExp(a: readonly number[]): number {
  const m = Math.max(...a);
  return m + Math.log(a.reduce((s, v) => s + Math.exp(v - m), 0));
}

/** Σ_i log Σ_k π_k N(x_i; μ_k, Σ_k) (full covariances) and Σ_i |each term| (for tolerances). */
export function mvnMixtureLogLik(
  x: ArrayLike<number>,
  N: number,
  D: number,
  pi: ArrayLike<number>,
  mu: ArrayLike<number>,
  Sigma: ArrayLike<number>,
): { logLik: number; magnitude: number } {
  const K = pi.length;
  const Ls = Array.from({ length: K }, (_, k) =>
    chol(
      Array.from({ length: D * D }, (_, j) => Sigma[k * D * D + j]),
      D,
    ),
  );
  let logLik = 0;
  let magnitude = 0;
  for (let i = 0; i < N; i++) {
    const terms = Ls.map((L, k) => Math.log(pi[k]) + logMvn(x, i * D, mu, k * D, L, D));
    logLik += logSumExp(terms);
    magnitude += Math.max(...terms.map(Math.abs));
  }
  return { logLik, magnitude };
}

/** The same with per-dimension sds: Σ_k = diag(σ_k²). */
export function diagMixtureLogLik(
  x: ArrayLike<number>,
  N: number,
  D: number,
  pi: ArrayLike<number>,
  mu: ArrayLike<number>,
  sigma: ArrayLike<number>,
): { logLik: number; magnitude: number } {
  const K = pi.length;
  const Sigma = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++)
    for (let d = 0; d < D; d++) Sigma[k * D * D + d * D + d] = sigma[k * D + d] ** 2;
  return mvnMixtureLogLik(x, N, D, pi, mu, Sigma);
}

/** A standard normal draw (Box–Muller). */
export function gaussian(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

export interface Mixture {
  readonly pi: readonly number[];
  /** [K × D] */
  readonly mu: readonly number[];
  /** [K × D × D] */
  readonly Sigma: readonly number[];
}

/** N draws from a Gaussian mixture: rows x [N × D] and the components z. */
export function drawMixture(
  m: Mixture,
  N: number,
  D: number,
  seed: number,
): { x: number[][]; z: number[] } {
  const u = prng(seed);
  const g = gaussian(u);
  const K = m.pi.length;
  const Ls = Array.from({ length: K }, (_, k) =>
    chol(m.Sigma.slice(k * D * D, (k + 1) * D * D), D),
  );
  const x: number[][] = [];
  const z: number[] = [];
  for (let i = 0; i < N; i++) {
    let r = u();
    let k = 0;
    while (k < K - 1 && r >= m.pi[k]) r -= m.pi[k++];
    const e = Array.from({ length: D }, g);
    x.push(
      Array.from({ length: D }, (_, a) => {
        let s = m.mu[k * D + a];
        for (let b = 0; b <= a; b++) s += Ls[k][a * D + b] * e[b];
        return s;
      }),
    );
    z.push(k);
  }
  return { x, z };
}
