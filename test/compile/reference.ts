// Float64 reference log densities for tests (independent of tfjs).
import gammaln from '@stdlib/math-base-special-gammaln';

const LOG_2PI = Math.log(2 * Math.PI);

export function logNormal(x: number, mu: number, sigma: number): number {
  const z = (x - mu) / sigma;
  return -0.5 * z * z - Math.log(sigma) - 0.5 * LOG_2PI;
}

export function logBernoulli(y: number, p: number): number {
  return y === 1 ? Math.log(p) : Math.log1p(-p);
}

export function logBeta(x: number, a: number, b: number): number {
  return (
    (a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - (gammaln(a) + gammaln(b) - gammaln(a + b))
  );
}

export function logDirichlet(x: readonly number[], alpha: readonly number[]): number {
  let s = gammaln(alpha.reduce((a, b) => a + b, 0));
  x.forEach((v, i) => {
    s += (alpha[i] - 1) * Math.log(v) - gammaln(alpha[i]);
  });
  return s;
}

/** log N(x | mu, Sigma) by a float64 Cholesky factorisation. */
export function logMvNormal(
  x: readonly number[],
  mu: readonly number[],
  Sigma: readonly number[][],
): number {
  const D = x.length;
  const L: number[][] = Array.from({ length: D }, () => new Array<number>(D).fill(0));
  for (let i = 0; i < D; i++) {
    for (let j = 0; j <= i; j++) {
      let s = Sigma[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = i === j ? Math.sqrt(s) : s / L[j][j];
    }
  }
  const z: number[] = [];
  for (let i = 0; i < D; i++) {
    let s = x[i] - mu[i];
    for (let k = 0; k < i; k++) s -= L[i][k] * z[k];
    z.push(s / L[i][i]);
  }
  let logDet = 0;
  for (let i = 0; i < D; i++) logDet += Math.log(L[i][i]);
  return -0.5 * z.reduce((a, v) => a + v * v, 0) - logDet - 0.5 * D * LOG_2PI;
}

/** A draw from Dirichlet(1, …, 1) with entries bounded away from 0 (normalised uniforms). */
export function simplex(rand: () => number, K: number): number[] {
  const u = Array.from({ length: K }, () => 0.05 + rand());
  const s = u.reduce((a, b) => a + b, 0);
  return u.map((v) => v / s);
}
