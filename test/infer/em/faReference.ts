// Float64 references for factor analysis, independent of the engine (which works on the data's
// moments with Woodbury's identity): the log-likelihood Σ_i log N(x_i; μ, W Wᵀ + Ψ) by a P × P
// Cholesky factor of C, and textbook per-case EM (Ghahramani & Hinton 1996) with loops over the
// cases; synthetic data from a known factor model.
import { prng } from '../../support/prng.js';
import { gaussian } from './reference.js';

export type Rows = number[][];

/** Lower Cholesky factor of an n × n SPD matrix (arrays of rows). */
function chol(A: Rows): Rows {
  const n = A.length;
  const L = A.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = A[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      if (i === j) {
        if (!(s > 0)) throw new Error('not SPD');
        L[i][i] = Math.sqrt(s);
      } else L[i][j] = s / L[j][j];
    }
  return L;
}

/** A⁻¹ of a small SPD matrix, column by column through its Cholesky factor. */
export function inverse(A: Rows): Rows {
  const n = A.length;
  const L = chol(A);
  const out = A.map(() => new Array<number>(n).fill(0));
  for (let c = 0; c < n; c++) {
    const y = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) s -= L[i][k] * y[k];
      y[i] = s / L[i][i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i];
      for (let k = i + 1; k < n; k++) s -= L[k][i] * out[k][c];
      out[i][c] = s / L[i][i];
    }
  }
  return out;
}

/** Σ_i log N(x_i; μ, W Wᵀ + diag ψ). */
export function faLogLik(x: Rows, mu: number[], W: Rows, psi: number[]): number {
  const P = mu.length;
  const K = W[0].length;
  const C: Rows = [];
  for (let a = 0; a < P; a++) {
    C.push([]);
    for (let b = 0; b < P; b++) {
      let s = a === b ? psi[a] : 0;
      for (let k = 0; k < K; k++) s += W[a][k] * W[b][k];
      C[a].push(s);
    }
  }
  const L = chol(C);
  let logDet = 0;
  for (let j = 0; j < P; j++) logDet += 2 * Math.log(L[j][j]);
  let total = 0;
  const y = new Array<number>(P);
  for (const row of x) {
    let q = 0;
    for (let i = 0; i < P; i++) {
      let s = row[i] - mu[i];
      for (let k = 0; k < i; k++) s -= L[i][k] * y[k];
      y[i] = s / L[i][i];
      q += y[i] * y[i];
    }
    total += -0.5 * (P * Math.log(2 * Math.PI) + logDet + q);
  }
  return total;
}

/**
 * `iters` iterations of per-case EM from (W0, ψ0) with μ = x̄ (PRML §12.2.4):
 *   G = (I + Wᵀ Ψ⁻¹ W)⁻¹,  E[z_i] = G Wᵀ Ψ⁻¹ (x_i − x̄),  E[z_i z_iᵀ] = G + E[z_i] E[z_i]ᵀ,
 *   W = (Σ (x_i − x̄) E[z_i]ᵀ)(Σ E[z_i z_iᵀ])⁻¹,  ψ_j = (1/N) Σ_i ((x_ij − x̄_j)² − W_j · E[z_i] (x_ij − x̄_j)).
 * Returns the params and ℓ after every iteration (ℓ₀ at the start first).
 */
export function faEm(
  x: Rows,
  W0: Rows,
  psi0: number[],
  iters: number,
): { mu: number[]; W: Rows; psi: number[]; trace: number[] } {
  const N = x.length;
  const P = x[0].length;
  const K = W0[0].length;
  const mu = new Array<number>(P).fill(0);
  for (const r of x) for (let j = 0; j < P; j++) mu[j] += r[j] / N;
  const xc = x.map((r) => r.map((v, j) => v - mu[j]));
  let W = W0.map((r) => [...r]);
  let psi = [...psi0];
  const trace = [faLogLik(x, mu, W, psi)];
  for (let t = 0; t < iters; t++) {
    const A: Rows = [];
    for (let a = 0; a < K; a++) {
      A.push([]);
      for (let b = 0; b < K; b++) {
        let s = a === b ? 1 : 0;
        for (let j = 0; j < P; j++) s += (W[j][a] * W[j][b]) / psi[j];
        A[a].push(s);
      }
    }
    const G = inverse(A);
    const Szz: Rows = G.map((r) => r.map((v) => v * N));
    const XEz: Rows = Array.from({ length: P }, () => new Array<number>(K).fill(0));
    for (const r of xc) {
      const wx = new Array<number>(K).fill(0);
      for (let k = 0; k < K; k++) for (let j = 0; j < P; j++) wx[k] += (W[j][k] * r[j]) / psi[j];
      const ez = G.map((g) => g.reduce((s, v, a) => s + v * wx[a], 0));
      for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) Szz[a][b] += ez[a] * ez[b];
      for (let j = 0; j < P; j++) for (let k = 0; k < K; k++) XEz[j][k] += r[j] * ez[k];
    }
    const inv = inverse(Szz);
    W = XEz.map((r) => inv[0].map((_, k) => r.reduce((s, v, a) => s + v * inv[a][k], 0)));
    psi = psi.map((_, j) => {
      let s = 0;
      for (const r of xc) s += r[j] * r[j];
      for (let k = 0; k < K; k++) s -= W[j][k] * XEz[j][k];
      return s / N;
    });
    trace.push(faLogLik(x, mu, W, psi));
  }
  return { mu, W, psi, trace };
}

/** N draws of x = W z + μ + e, z ~ N(0, I), e ~ N(0, diag ψ), with W, μ, ψ drawn from `seed`. */
export function drawFactorData(
  seed: number,
  N: number,
  P: number,
  K: number,
): { x: Rows; W: Rows; mu: number[]; psi: number[] } {
  const g = gaussian(prng(seed));
  const u = prng(seed + 1000);
  const W = Array.from({ length: P }, () => Array.from({ length: K }, () => g()));
  const mu = Array.from({ length: P }, () => 2 * g());
  const psi = Array.from({ length: P }, () => 0.1 + 0.9 * u());
  const x = Array.from({ length: N }, () => {
    const z = Array.from({ length: K }, () => g());
    return mu.map(
      (m, j) => m + W[j].reduce((s, w, k) => s + w * z[k], 0) + Math.sqrt(psi[j]) * g(),
    );
  });
  return { x, W, mu, psi };
}

/** An n × m matrix of standard normal draws from `seed`. */
export function normalMatrix(seed: number, n: number, m: number): Rows {
  const g = gaussian(prng(seed));
  return Array.from({ length: n }, () => Array.from({ length: m }, () => g()));
}

/** Eigenvalues of a symmetric matrix, decreasing (cyclic Jacobi rotations; small matrices). */
export function eigenvalues(A: Rows): number[] {
  const n = A.length;
  const a = A.map((r) => [...r]);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        if (a[p][q] === 0) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
      }
  }
  return a.map((r, i) => r[i]).sort((x, y) => y - x);
}

/** Σ_i (x_i − c)(x_i − c)ᵀ / N. */
export function momentsAbout(x: Rows, c: number[]): Rows {
  const P = c.length;
  const M: Rows = Array.from({ length: P }, () => new Array<number>(P).fill(0));
  for (const r of x)
    for (let a = 0; a < P; a++)
      for (let b = 0; b < P; b++) M[a][b] += ((r[a] - c[a]) * (r[b] - c[b])) / x.length;
  return M;
}
