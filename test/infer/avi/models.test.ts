// avi against float64 references written here: logistic regression (a Laplace approximation
// refined by importance sampling) and eight schools with unknown between-school scale (a grid).
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { logSumExp, normal, runAvi, uniform } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const LOGREG = `model logreg {
  size N
  size P
  data X: real[N, P]
  beta ~ Normal(zeros(P), 1)
  plate i in N {
    y[i] ~ Bernoulli(logits = dot(X[i], beta))
  }
}`;

/** log p(y, beta) for the logistic regression in float64. */
function logJoint(X: number[][], y: number[], b: ArrayLike<number>): number {
  let lp = 0;
  for (const v of Array.from(b)) lp += -0.5 * v * v - 0.5 * Math.log(2 * Math.PI);
  for (let i = 0; i < y.length; i++) {
    let eta = 0;
    for (let j = 0; j < b.length; j++) eta += X[i][j] * b[j];
    // log σ(η) or log σ(−η), stably
    const s = y[i] === 1 ? eta : -eta;
    lp += s >= 0 ? -Math.log1p(Math.exp(-s)) : s - Math.log1p(Math.exp(s));
  }
  return lp;
}

/** Cholesky of a small SPD matrix (float64). */
function cholesky(A: number[][]): number[][] {
  const n = A.length;
  const L = A.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = A[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = i === j ? Math.sqrt(s) : s / L[j][j];
    }
  return L;
}

/** Solve A x = b for SPD A by its Cholesky factor. */
function solve(A: number[][], b: number[]): number[] {
  const L = cholesky(A);
  const n = b.length;
  const z = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i][k] * z[k];
    z[i] = s / L[i][i];
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < n; k++) s -= L[k][i] * x[k];
    x[i] = s / L[i][i];
  }
  return x;
}

/**
 * Posterior means and sds: Newton's method for the mode, the Laplace covariance H⁻¹, then
 * self-normalised importance sampling from N(mode, 1.5² H⁻¹) (20,000 draws, seeded).
 */
function logregReference(X: number[][], y: number[], P: number) {
  const b = new Array<number>(P).fill(0);
  let H: number[][] = [];
  for (let it = 0; it < 30; it++) {
    const g = b.map((v) => -v);
    H = b.map((_, j) => b.map((__, k) => (j === k ? 1 : 0)));
    for (let i = 0; i < y.length; i++) {
      let eta = 0;
      for (let j = 0; j < P; j++) eta += X[i][j] * b[j];
      const p = 1 / (1 + Math.exp(-eta));
      for (let j = 0; j < P; j++) {
        g[j] += (y[i] - p) * X[i][j];
        for (let k = 0; k < P; k++) H[j][k] += p * (1 - p) * X[i][j] * X[i][k];
      }
    }
    const step = solve(H, g);
    for (let j = 0; j < P; j++) b[j] += step[j];
  }
  // the proposal's factor: Σ = c² H⁻¹ = c² L⁻ᵀ L⁻¹, draws mode + c L⁻ᵀ ε
  const c = 1.5;
  const L = cholesky(H);
  const draws = 20000;
  const rand = normal(11);
  const logW = new Float64Array(draws);
  const betas: number[][] = [];
  for (let d = 0; d < draws; d++) {
    const eps = Array.from({ length: P }, () => rand());
    // back-substitution Lᵀ v = ε
    const v = new Array<number>(P).fill(0);
    for (let i = P - 1; i >= 0; i--) {
      let s = eps[i];
      for (let k = i + 1; k < P; k++) s -= L[k][i] * v[k];
      v[i] = s / L[i][i];
    }
    const beta = b.map((m, j) => m + c * v[j]);
    betas.push(beta);
    // log proposal up to a constant: −|ε|²/2 (the same Jacobian for every draw)
    logW[d] = logJoint(X, y, beta) + 0.5 * eps.reduce((a, e) => a + e * e, 0);
  }
  const lse = logSumExp(logW);
  const mean = new Array<number>(P).fill(0);
  const m2 = new Array<number>(P).fill(0);
  for (let d = 0; d < draws; d++) {
    const w = Math.exp(logW[d] - lse);
    for (let j = 0; j < P; j++) {
      mean[j] += w * betas[d][j];
      m2[j] += w * betas[d][j] ** 2;
    }
  }
  return { mean, sd: mean.map((m, j) => Math.sqrt(m2[j] - m * m)) };
}

describe('avi on global latents (ADVI)', () => {
  it('logistic regression (N = 1000, P = 5): means within 0.1 sd, sds within 15% of the reference', async () => {
    const N = 1000;
    const P = 5;
    const rn = normal(5);
    const ru = uniform(6);
    const truth = [1, -0.5, 0.25, 0, 2];
    const X = Array.from({ length: N }, () => Array.from({ length: P }, () => rn()));
    const y = X.map((row) => {
      const eta = row.reduce((a, v, j) => a + v * truth[j], 0);
      return ru() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
    });
    const ref = logregReference(X, y, P);
    const r = await runAvi(
      LOGREG,
      { N, P, X, y },
      { seed: 4, epochs: 800, lr: 0.05, lrDecay: 0.02, particles: 8 },
    );
    const m = r.latents.beta.mean.data;

    const s = r.latents.beta.sd.data;
    for (let j = 0; j < P; j++) {
      expect(Math.abs(m[j] - ref.mean[j])).toBeLessThan(0.1 * ref.sd[j]);
      expect(Math.abs(s[j] / ref.sd[j] - 1)).toBeLessThan(0.15);
    }
    expect(r.params['guide.beta.loc'].shape).toEqual([P]);
  });

  it('eight schools, non-centred, unknown tau: ELBO below the grid log evidence, within 1.5 nats; mu within 0.25 sd', async () => {
    const SCHOOLS = `model schools {
  size J
  data sigma: real(0,)[J]
  mu ~ Normal(0, 5)
  tau ~ Exponential(0.2)
  plate j in J {
    eta[j] ~ Normal(0, 1)
    y[j] ~ Normal(mu + tau * eta[j], sigma[j])
  }
}`;
    const y = [28, 8, -3, 7, -1, 1, 18, 12];
    const sigma = [15, 10, 16, 11, 9, 11, 10, 18];
    // grid over mu and log tau, eta integrated analytically: y_j ~ N(mu, √(σ_j² + τ²))
    const nm = 1200;
    const ns = 1200;
    const [m0, m1] = [-40, 50];
    const [s0, s1] = [-12, 5];
    const dm = (m1 - m0) / nm;
    const ds = (s1 - s0) / ns;
    const lp = new Float64Array(nm * ns);
    const mus = new Float64Array(nm * ns);
    for (let a = 0; a < nm; a++) {
      const mu = m0 + (a + 0.5) * dm;
      for (let b = 0; b < ns; b++) {
        const st = s0 + (b + 0.5) * ds;
        const tau = Math.exp(st);
        // priors: N(mu; 0, 5), Exponential(τ; 0.2) times the Jacobian dτ = τ d(log τ)
        let v = -0.5 * Math.log(2 * Math.PI * 25) - (mu * mu) / 50;
        v += Math.log(0.2) - 0.2 * tau + st;
        for (let j = 0; j < 8; j++) {
          const var_ = sigma[j] ** 2 + tau * tau;
          v += -0.5 * Math.log(2 * Math.PI * var_) - (y[j] - mu) ** 2 / (2 * var_);
        }
        lp[a * ns + b] = v + Math.log(dm * ds);
        mus[a * ns + b] = mu;
      }
    }
    const logEv = logSumExp(lp);
    let mean = 0;
    let m2 = 0;
    for (let k = 0; k < lp.length; k++) {
      const w = Math.exp(lp[k] - logEv);
      mean += w * mus[k];
      m2 += w * mus[k] ** 2;
    }
    const sdMu = Math.sqrt(m2 - mean * mean);
    const r = await runAvi(
      SCHOOLS,
      { J: 8, y, sigma },
      { seed: 2, epochs: 1500, lr: 0.03, lrDecay: 0.05, particles: 8, localGuide: 'free' },
    );
    const elbo = r.logEvidence as number;
    expect(r.latents.tau.family).toBe('LogNormal');
    // the final ELBO averages 100 draws; its sd here is ≈ 0.1 nats, so 0.3 of slack above
    expect(elbo).toBeLessThan(logEv + 0.3);
    expect(elbo).toBeGreaterThan(logEv - 1.5);
    expect(Math.abs(r.latents.mu.mean.data[0] - mean)).toBeLessThan(0.25 * sdMu);
  });
});
