// A reference for linear-Gaussian models, dense and in float64: latents defined in order,
//   x_n = Σ_{m<n} G[n][m] x_m + μ0_n + N(0, q_n²),
// observations y_i = Σ_n H[i][n] x_n + d_i + N(0, r_i²). Unrolled, x = μ + A ε with
// A = (I − G)⁻¹ and Σ = A diag(q²) Aᵀ; then y ~ N(Hμ + d, C = HΣHᵀ + diag(r²)) gives the log
// evidence, and the posterior is μ + ΣHᵀC⁻¹(y − Hμ − d), Σ − ΣHᵀC⁻¹HΣ (Bishop, PRML §2.3.3).
// Written here with its own Cholesky: independent of the engine's filter and of src/linalg.

export interface DenseLinearGaussian {
  /** strictly lower: G[n][m] for m < n */
  readonly G: readonly (readonly number[])[];
  readonly mu0: readonly number[];
  readonly q: readonly number[];
  readonly H: readonly (readonly number[])[];
  readonly d: readonly number[];
  readonly r: readonly number[];
  readonly y: readonly number[];
}

/** Cholesky factor of a dense symmetric positive-definite matrix. */
export function cholesky(M: readonly (readonly number[])[]): number[][] {
  const n = M.length;
  const L = M.map(() => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    let s = M[j]![j]!;
    for (let k = 0; k < j; k++) s -= L[j]![k]! ** 2;
    if (!(s > 0)) throw new Error('reference: not positive definite');
    L[j]![j] = Math.sqrt(s);
    for (let i = j + 1; i < n; i++) {
      let v = M[i]![j]!;
      for (let k = 0; k < j; k++) v -= L[i]![k]! * L[j]![k]!;
      L[i]![j] = v / L[j]![j]!;
    }
  }
  return L;
}

/** Solve L Lᵀ x = b. */
export function cholSolve(L: readonly (readonly number[])[], b: readonly number[]): number[] {
  const n = b.length;
  const z = [...b];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < i; k++) z[i] = z[i]! - L[i]![k]! * z[k]!;
    z[i] = z[i]! / L[i]![i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) z[i] = z[i]! - L[k]![i]! * z[k]!;
    z[i] = z[i]! / L[i]![i]!;
  }
  return z;
}

/** Posterior marginal means and variances of every x_n, and log p(y). */
export function denseJoint(m: DenseLinearGaussian): {
  mean: number[];
  variance: number[];
  logZ: number;
} {
  const N = m.mu0.length;
  const K = m.y.length;
  const mu: number[] = [];
  for (let n = 0; n < N; n++) {
    let s = m.mu0[n]!;
    for (let k = 0; k < n; k++) s += m.G[n]![k]! * mu[k]!;
    mu.push(s);
  }
  // A = (I − G)⁻¹ by forward substitution, row by row
  const A: number[][] = [];
  for (let n = 0; n < N; n++) {
    const row = new Array<number>(N).fill(0);
    row[n] = 1;
    for (let k = 0; k < n; k++) {
      const g = m.G[n]![k]!;
      if (g !== 0) for (let c = 0; c < N; c++) row[c] = row[c]! + g * A[k]![c]!;
    }
    A.push(row);
  }
  const Sigma = A.map((ri) =>
    A.map((rj) => ri.reduce((s, v, c) => s + v * rj[c]! * m.q[c]! ** 2, 0)),
  );
  const HS = m.H.map((h) =>
    Sigma[0]!.map((_, c) => h.reduce((s, v, n) => s + v * Sigma[n]![c]!, 0)),
  );
  const C = m.H.map((h, i) =>
    HS.map((_, j) => HS[j]!.reduce((s, v, n) => s + v * h[n]!, 0) + (i === j ? m.r[i]! ** 2 : 0)),
  );
  if (K === 0) return { mean: mu, variance: Sigma.map((r, i) => r[i]!), logZ: 0 };
  const L = cholesky(C);
  const res = m.y.map((v, i) => v - m.H[i]!.reduce((s, h, n) => s + h * mu[n]!, 0) - m.d[i]!);
  const w = cholSolve(L, res);
  let logDet = 0;
  for (let i = 0; i < K; i++) logDet += 2 * Math.log(L[i]![i]!);
  const logZ =
    -0.5 * (K * Math.log(2 * Math.PI) + logDet + res.reduce((s, v, i) => s + v * w[i]!, 0));
  const mean = mu.map((v, n) => v + HS.reduce((s, row, i) => s + row[n]! * w[i]!, 0));
  const variance = mu.map((_, n) => {
    const col = HS.map((row) => row[n]!);
    const z = cholSolve(L, col);
    return Sigma[n]![n]! - col.reduce((s, v, i) => s + v * z[i]!, 0);
  });
  return { mean, variance, logZ };
}
