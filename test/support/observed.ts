// Float64 references for data with missing entries (NaN), independent of the engines: the
// density of a row's observed sub-vector, log N(x_o; μ_o, Σ_oo), by a Cholesky factorisation of
// Σ_oo written here, and the observed-data log-likelihood of a Gaussian mixture,
//   ℓ = Σ_i log Σ_k π_k N(x_i,o; μ_k,o, Σ_k,oo)   (Little & Rubin 2002, §11.2).

/** log N(x_o; μ_o, Σ_oo) of x[xo … xo+D) (NaN: missing), μ at mo, Σ [D × D] at so; 0 when nothing is observed. */
export function logMvnObserved(
  x: ArrayLike<number>,
  xo: number,
  mu: ArrayLike<number>,
  mo: number,
  Sigma: ArrayLike<number>,
  so: number,
  D: number,
): number {
  const obs: number[] = [];
  for (let d = 0; d < D; d++) if (!Number.isNaN(x[xo + d])) obs.push(d);
  const n = obs.length;
  if (n === 0) return 0;
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = Sigma[so + obs[i] * D + obs[j]];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      if (i === j) {
        if (!(s > 0)) throw new Error('not SPD');
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j];
    }
  const y = new Float64Array(n);
  let logDet = 0;
  let q = 0;
  for (let i = 0; i < n; i++) {
    let s = x[xo + obs[i]] - mu[mo + obs[i]];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * y[k];
    y[i] = s / L[i * n + i];
    logDet += Math.log(L[i * n + i]);
    q += y[i] * y[i];
  }
  return -0.5 * n * Math.log(2 * Math.PI) - logDet - 0.5 * q;
}

export function logSumExp(a: readonly number[]): number {
  const m = Math.max(...a);
  if (m === Number.NEGATIVE_INFINITY) return m;
  return m + Math.log(a.reduce((s, v) => s + Math.exp(v - m), 0));
}

/**
 * Per case i: log Σ_k π_k N(x_i,o; μ_k,o, Σ_k,oo), its responsibilities r_ik, and the largest
 * |term| (for float32 tolerances). x [N × D] with NaN where missing; pi [K], mu [K × D], Sigma
 * [K × D × D]; a label z_i ≥ 0 (NaN: unknown) restricts case i to its component.
 */
export function observedMixture(
  x: ArrayLike<number>,
  N: number,
  D: number,
  pi: ArrayLike<number>,
  mu: ArrayLike<number>,
  Sigma: ArrayLike<number>,
  z?: ArrayLike<number>,
): { logLik: number; perCase: Float64Array; r: Float64Array; magnitude: number } {
  const K = pi.length;
  const perCase = new Float64Array(N);
  const r = new Float64Array(N * K);
  let logLik = 0;
  let magnitude = 0;
  for (let i = 0; i < N; i++) {
    const terms = Array.from({ length: K }, (_, k) =>
      z && !Number.isNaN(z[i]) && z[i] !== k
        ? Number.NEGATIVE_INFINITY
        : Math.log(pi[k]) + logMvnObserved(x, i * D, mu, k * D, Sigma, k * D * D, D),
    );
    const l = logSumExp(terms);
    perCase[i] = l;
    logLik += l;
    for (let k = 0; k < K; k++) r[i * K + k] = Math.exp(terms[k] - l);
    magnitude += Math.max(...terms.filter(Number.isFinite).map(Math.abs));
  }
  return { logLik, perCase, r, magnitude };
}

/** Per-dimension sds [K × D] as diagonal covariances [K × D × D]. */
export function diagonal(sigma: ArrayLike<number>, K: number, D: number): Float64Array {
  const S = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++)
    for (let d = 0; d < D; d++) S[k * D * D + d * D + d] = sigma[k * D + d] ** 2;
  return S;
}

/** Each entry of rows replaced by NaN with probability `rate` (MCAR), from a uniform stream. */
export function dropAtRandom(rows: readonly (readonly number[])[], rate: number, u: () => number) {
  return rows.map((row) => row.map((v) => (u() < rate ? Number.NaN : v)));
}

/** NaN as null, for data given to the library. */
export const asData = (rows: readonly (readonly number[])[]): (number | null)[][] =>
  rows.map((row) => row.map((v) => (Number.isNaN(v) ? null : v)));
