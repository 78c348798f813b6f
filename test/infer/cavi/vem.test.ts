// Variational EM in cavi (params.ts): learned params are point estimates maximising the ELBO
// after every sweep. At the run's end each param must be the maximiser of the ELBO given the
// reported factors, computed here in float64 independently: Minka's (2000) fixed point for a
// Dirichlet concentration from Σ_d E[log θ_d] (the engine runs its own, on special64's digamma;
// this one is @stdlib's), the responsibility-weighted mean, sd and proportions of a mixture's
// point-estimated components, and a Gamma prior's rate b = a·G / Σ E[τ] (the last three by the
// engine's gradient steps). The factors come through float32 (digamma ~1e-6 relative) and the
// gradient M-step's accuracy is set by its float32 gradient, so the agreement asked for is 1e-4
// relative (the runs reach 1e-6 or better). The ELBO traces may move by the engine's float
// tolerance (an M-step is kept within it: params.ts).
import digamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import trigamma from '@stdlib/math-base-special-trigamma';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { compile, engines, sample } from '../../../src/index.js';
import { prng } from '../../support/prng.js';
import { flat } from '../exact/conjugateHelpers.js';
import { expectNonDecreasing, runCavi } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const sum = (a: readonly number[]): number => a.reduce((s, v) => s + v, 0);

const LDA = (alpha: string) => `model lda {
  size K
  size V
  size D
  size N[D]
  ${alpha}
  hyper eta: real(0,) = 0.1
  plate k in K { beta[k] ~ Dirichlet(rep(eta, V)) }
  plate d in D {
    theta[d] ~ Dirichlet(alpha)
    plate n in N[d] {
      z[d, n] ~ Categorical(theta[d])
      w[d, n] ~ Categorical(beta[z[d, n]])
    }
  }
}`;

/** ψ⁻¹ by Newton's method (Minka 2000, appendix C). */
function invDigamma(y: number): number {
  let x = y >= -2.22 ? Math.exp(y) + 0.5 : -1 / (y - digamma(1));
  for (let i = 0; i < 30; i++) x -= (digamma(x) - y) / trigamma(x);
  return x;
}

/** argmax_α Σ_d log Dir(E[log θ_d]; α): Minka's fixed point α_k ← ψ⁻¹(ψ(Σα) + mean_d E[log θ_dk]). */
function minkaAlpha(meanLog: readonly number[]): number[] {
  let a = meanLog.map(() => 1);
  for (let t = 0; t < 5000; t++) {
    const s = sum(a);
    const next = meanLog.map((m) => invDigamma(digamma(s) + m));
    const done = next.every((v, k) => Math.abs(v - a[k]) < 1e-14 * v);
    a = next;
    if (done) break;
  }
  return a;
}

/** Normal draws from the seeded generator. */
function gauss(seed: number): () => number {
  const r = prng(seed);
  return () => Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
}

describe('variational EM', () => {
  it("learns LDA's alpha: Minka's fixed point for the reported q(theta)", async () => {
    const K = 3;
    const V = 20;
    const D = 60;
    const sizes = { K, V, D, N: Array.from({ length: D }, () => 30) };
    const truth = LDA('hyper alpha: real(0,)[K] = [0.3, 0.3, 0.3]');
    const draw = await sample(compile(truth), { data: sizes, n: 1, seed: 3 });
    const w = (draw.draws.w.toJSON() as number[][][])[0];
    const model = LDA('param alpha: real(0,)[K]');
    expect(engines(compile(model), { data: { ...sizes, w } }).auto).toBe('cavi');
    const r = await runCavi(model, { ...sizes, w }, { iters: 400, tol: 1e-10 });
    expect(r.warnings).toEqual([]);
    expectNonDecreasing(r.posterior.elbo ?? [], 1e-6);
    const gamma = r.json.latents.theta.params.alpha as number[][];
    const meanLog = Array(K).fill(0);
    for (const g of gamma) {
      const t = sum(g);
      g.forEach((v, k) => {
        meanLog[k] += (digamma(v) - digamma(t)) / D;
      });
    }
    const want = minkaAlpha(meanLog);
    const got = flat(r.json.params.alpha);
    want.forEach((a, k) => {
      expect(Math.abs(got[k] - a)).toBeLessThan(1e-4 * a);
    });
  });

  it('point-estimated component means and sds with Dirichlet weights', async () => {
    const g = gauss(4);
    const N = 90;
    const centres = [-3, 0.5, 4];
    const sds = [0.5, 0.3, 1];
    const x = Array.from({ length: N }, (_, i) => centres[i % 3] + sds[i % 3] * g());
    const r = await runCavi(
      `model g {
  size N
  size K
  param mu: real[K]
  param s: real(0,)[K]
  weights ~ Dirichlet(rep(1, K))
  plate i in N {
    z[i] ~ Categorical(weights)
    x[i] ~ Normal(mu[z[i]], s[z[i]])
  }
}`,
      { N, K: 3, x },
      { iters: 500, tol: 1e-12 },
    );
    expect(r.warnings).toEqual([]);
    const q = r.json.latents.z.params.p as number[][];
    const mu = flat(r.json.params.mu);
    const s = flat(r.json.params.s);
    // the engine accepts an M-step whose ELBO is within 1e-6 of |L| plus the magnitude of the
    // float32 pieces it is summed from (run.ts DECREASE_TOLERANCE): here chiefly the x terms'
    // Σ_i Σ_k q_ik |log N(x_i; μ_k, s_k)|, evaluated at the final params
    let pieces = 0;
    q.forEach((qi, i) => {
      qi.forEach((v, k) => {
        pieces +=
          v *
          Math.abs(
            -0.5 * Math.log(2 * Math.PI * s[k] ** 2) - (x[i] - mu[k]) ** 2 / (2 * s[k] ** 2),
          );
      });
    });
    expectNonDecreasing(r.posterior.elbo ?? [], 1e-6, 1e-6 * pieces);
    for (let k = 0; k < 3; k++) {
      const nk = sum(q.map((qi) => qi[k]));
      const m = sum(q.map((qi, i) => qi[k] * x[i])) / nk;
      const v = sum(q.map((qi, i) => qi[k] * (x[i] - m) ** 2)) / nk;
      expect(Math.abs(mu[k] - m)).toBeLessThan(1e-4 * Math.sqrt(v));
      expect(Math.abs(s[k] - Math.sqrt(v))).toBeLessThan(1e-4 * Math.sqrt(v));
    }
    // and the components are the planted ones
    for (const c of centres) expect(Math.min(...mu.map((m) => Math.abs(m - c)))).toBeLessThan(0.4);
    // the reported ELBO is the true one at the returned factors and params (the x terms, which
    // read the params and are weighted by z, counted once after the M-step): in float64,
    //   L = −KL(q(w) ‖ Dir(1)) + Σ_i Σ_k r_ik (E[log w_k] + log N(x_i; μ_k, s_k) − log r_ik),
    // known to the engine's float tolerance, 1e-6 of |L| plus its float32 pieces
    const alpha = flat(r.json.latents.weights.params.alpha);
    const a0 = sum(alpha);
    const eLogW = alpha.map((a) => digamma(a) - digamma(a0));
    // E_q[log Dir(w; 1)] = log Γ(3), minus E_q[log q(w)]
    let L = gammaln(3) - (gammaln(a0) - sum(alpha.map((a) => gammaln(a))));
    alpha.forEach((a, k) => {
      L -= (a - 1) * eLogW[k];
    });
    q.forEach((qi, i) => {
      qi.forEach((v, k) => {
        if (v === 0) return;
        const logN =
          -0.5 * Math.log(2 * Math.PI * s[k] ** 2) - (x[i] - mu[k]) ** 2 / (2 * s[k] ** 2);
        L += v * (eLogW[k] + logN - Math.log(v));
        pieces += v * Math.abs(eLogW[k]);
      });
    });
    expect(Math.abs((r.json.logEvidence as number) - L)).toBeLessThan(
      1e-6 * (Math.abs(L) + pieces),
    );
  });

  it("a Categorical's simplex param beside Normal latent means", async () => {
    const g = gauss(9);
    const N = 80;
    const x = Array.from({ length: N }, (_, i) => (i % 4 === 0 ? -3 : 3) + 0.6 * g());
    const r = await runCavi(
      `model m {
  size N
  size K
  param pi: simplex[K]
  plate k in K { mu[k] ~ Normal(0, 10) }
  plate i in N {
    z[i] ~ Categorical(pi)
    x[i] ~ Normal(mu[z[i]], 0.6)
  }
}`,
      { N, K: 2, x },
      { iters: 500, tol: 1e-12 },
    );
    expect(r.warnings).toEqual([]);
    expectNonDecreasing(r.posterior.elbo ?? [], 1e-6);
    const q = r.json.latents.z.params.p as number[][];
    const pi = flat(r.json.params.pi);
    for (let k = 0; k < 2; k++) {
      const want = sum(q.map((qi) => qi[k])) / N;
      expect(Math.abs(pi[k] - want)).toBeLessThan(1e-4 * want);
    }
    expect(Math.min(...pi)).toBeCloseTo(0.25, 1);
  });
});

describe('variational EM by gradient steps on a prior', () => {
  it("learns a Gamma prior's rate: b = a · G / Σ_g E_q[τ_g] for the reported q(τ)", async () => {
    const g = gauss(13);
    const G = 6;
    const N = 25;
    const sds = [0.5, 1, 2, 0.8, 1.5, 3];
    const y = sds.map((s) => Array.from({ length: N }, () => s * g()));
    const r = await runCavi(
      `model m {
  size G
  size N
  param b: real(0,)
  plate k in G {
    tau[k] ~ Gamma(2, b)
    plate i in N { y[k, i] ~ Normal(0, 1 / sqrt(tau[k])) }
  }
}`,
      { G, N, y },
      { iters: 500, tol: 1e-12 },
    );
    expect(r.warnings).toEqual([]);
    expectNonDecreasing(r.posterior.elbo ?? [], 1e-6);
    // E_q[τ] = shape / rate of the reported Gamma factors
    const shape = flat(r.json.latents.tau.params.shape);
    const rate = flat(r.json.latents.tau.params.rate);
    const want = (2 * G) / sum(shape.map((a, k) => a / rate[k]));
    const got = flat(r.json.params.b)[0];
    expect(Math.abs(got - want)).toBeLessThan(1e-4 * want);
  });
});
