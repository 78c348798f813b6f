// Differential test of the conjugate half of the exact engine (issue 7, Tests): random models of
// every conjugate pair the engine supports, with plates of up to 100,000 elements, latents
// grouped by observed data and some entries `null`, against float64 references written here —
// the textbook updates (Bernardo & Smith, Bayesian Theory, App. A; Murphy 2007, "Conjugate
// Bayesian analysis of the Gaussian distribution") and, for the Gaussian blocks, the evidence by
// the chain rule log p(y) = Σ_i log p(y_i | y_<i) (sequential updates, independent of the
// engine's one-shot formula). Missing entries are checked against their posterior predictive.
// Data are float32 numbers (Math.fround), so the references see exactly what the engine sees.
// Tolerances: 1e-4 relative on posterior parameters and marginals (means: relative to
// |mean| + sd), max(1e-4 |log Z|, 1e-3) on the log evidence.
import fc from 'fast-check';
import { inverse, Matrix } from 'ml-matrix';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import type { Nested, PosteriorJson as Posterior } from '../../../src/report/result.js';
import {
  expectClose,
  expectLogEvidence,
  flat,
  gammaln,
  lbeta,
  lmvbeta,
  mvnLogPdf,
  normal,
  prng,
  runExact,
} from './conjugateHelpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const f32 = Math.fround;
const LOG_2PI = Math.log(2 * Math.PI);

/** One random instance: sizes, hyperparameters, a seed; the case draws its own data. */
interface Draw {
  readonly N: number;
  readonly G: number;
  readonly missing: number;
  readonly rand: () => number;
  readonly h: readonly number[];
}

/** Means: 1e-4 of |mean| + sd. */
function expectMean(actual: Nested, mean: readonly number[], sd: readonly number[]): void {
  const a = flat(actual);
  expect(a.length).toBe(mean.length);
  a.forEach((v, i) => {
    checkMean(v, mean[i], sd[i], `mean ${i}`);
  });
}

// plain checks for per-entry loops (an expect() per entry costs more than the engine)
function checkMean(v: number, mean: number, sd: number, what: string): void {
  const tol = 1e-4 * (Math.abs(mean) + sd);
  if (!(Math.abs(v - mean) <= tol))
    throw new Error(`${what}: got ${v}, expected ${mean} (tolerance ${tol})`);
}

function checkClose(v: number, want: number, what: string, abs = 0): void {
  const tol = 1e-4 * Math.abs(want) + abs;
  if (!(Math.abs(v - want) <= tol))
    throw new Error(`${what}: got ${v}, expected ${want} (tolerance ${tol})`);
}

/** The missing entries of a reported node: mean and sd at those entries only (observed: x, 0). */
function expectPredictive(
  r: Posterior,
  node: string,
  x: readonly (number | null)[],
  predictive: (i: number) => [number, number],
): void {
  const s = r.latents[node];
  expect(s, `${node} is reported`).toBeDefined();
  const mean = flat(s.mean);
  const sd = flat(s.sd);
  expect(mean.length).toBe(x.length);
  x.forEach((v, i) => {
    if (v === null) {
      const [m, d] = predictive(i);
      checkMean(mean[i], m, d, `${node}[${i}] mean`);
      checkClose(sd[i], d, `${node}[${i}] sd`);
    } else if (mean[i] !== v || sd[i] !== 0) {
      throw new Error(`${node}[${i}] is observed (${v}): got mean ${mean[i]}, sd ${sd[i]}`);
    }
  });
}

const groups = (d: Draw) => Array.from({ length: d.N }, () => Math.floor(d.rand() * d.G));
const holes = <T>(d: Draw, xs: readonly T[]): (T | null)[] =>
  xs.map((v) => (d.rand() < d.missing ? null : v));
const poisson = (rate: number, rand: () => number) => {
  // inversion for small rates, a rounded normal beyond (any integer data will do)
  if (rate > 30) return Math.max(0, Math.round(rate + Math.sqrt(rate) * normal(rand)));
  let k = 0;
  let p = Math.exp(-rate);
  let s = p;
  const u = rand();
  while (u > s && k < 200) {
    k++;
    p *= rate / k;
    s += p;
  }
  return k;
};
/** Σ over the group's observed entries. */
const perGroup = (G: number, g: readonly number[], f: (i: number) => number) => {
  const out = new Array<number>(G).fill(0);
  g.forEach((k, i) => {
    out[k] += f(i);
  });
  return out;
};

type Case = (d: Draw) => Promise<void>;

const CASES: Record<string, Case> = {
  async 'Beta/Uniform – Bernoulli'(d) {
    const uniform = d.h[4] < 0.3;
    const [a, b] = uniform ? [1, 1] : [d.h[0], d.h[1]];
    const src = `model m {
      size N
      size G
      hyper a: real(0,)
      hyper b: real(0,)
      data g: int[N]
      plate k in G { theta[k] ~ ${uniform ? 'Uniform(0, 1)' : 'Beta(a, b)'} }
      plate i in N { y[i] ~ Bernoulli(theta[g[i]]) }
    }`;
    const g = groups(d);
    const y = holes(
      d,
      g.map(() => (d.rand() < 0.3 ? 1 : 0)),
    );
    const r = await runExact(src, { N: d.N, G: d.G, a, b, g, y });
    const A = perGroup(d.G, g, (i) => (y[i] === 1 ? 1 : 0)).map((s) => a + s);
    const B = perGroup(d.G, g, (i) => (y[i] === 0 ? 1 : 0)).map((s) => b + s);
    expectClose(r.latents.theta.params.a, A);
    expectClose(r.latents.theta.params.b, B);
    expectLogEvidence(
      r.logEvidence,
      A.reduce((s, x, k) => s + lbeta(x, B[k]) - lbeta(a, b), 0),
    );
    if (y.includes(null))
      expectPredictive(r, 'y', y, (i) => {
        const p = A[g[i]] / (A[g[i]] + B[g[i]]);
        return [p, Math.sqrt(p * (1 - p))];
      });
  },

  async 'Beta – Binomial'(d) {
    const [a, b] = [d.h[0], d.h[1]];
    const src = `model m {
      size N
      size G
      hyper a: real(0,)
      hyper b: real(0,)
      data g: int[N]
      data n: int[N]
      plate k in G { theta[k] ~ Beta(a, b) }
      plate i in N { y[i] ~ Binomial(n[i], theta[g[i]]) }
    }`;
    const g = groups(d);
    const n = g.map(() => 1 + Math.floor(d.rand() * 30));
    const y = holes(
      d,
      n.map((m) => Math.floor(d.rand() * (m + 1))),
    );
    const r = await runExact(src, { N: d.N, G: d.G, a, b, g, n, y });
    const A = perGroup(d.G, g, (i) => y[i] ?? 0).map((s) => a + s);
    const B = perGroup(d.G, g, (i) => (y[i] === null ? 0 : n[i] - (y[i] as number))).map(
      (s) => b + s,
    );
    expectClose(r.latents.theta.params.a, A);
    expectClose(r.latents.theta.params.b, B);
    let logC = 0;
    y.forEach((v, i) => {
      if (v !== null) logC += gammaln(n[i] + 1) - gammaln(v + 1) - gammaln(n[i] - v + 1);
    });
    expectLogEvidence(
      r.logEvidence,
      A.reduce((s, x, k) => s + lbeta(x, B[k]) - lbeta(a, b), 0) + logC,
    );
    if (y.includes(null))
      expectPredictive(r, 'y', y, (i) => {
        // Beta-Binomial(n, a', b')
        const [p, q, m] = [A[g[i]], B[g[i]], n[i]];
        const s = p + q;
        return [(m * p) / s, Math.sqrt((m * p * q * (s + m)) / (s * s * (s + 1)))];
      });
  },

  async 'Gamma/Exponential – Poisson with exposures'(d) {
    const expPrior = d.h[4] < 0.3;
    const [a, b] = [expPrior ? 1 : d.h[0], d.h[1]];
    const src = `model m {
      size N
      size G
      hyper a: real(0,)
      hyper b: real(0,)
      data g: int[N]
      data c: real(0,)[N]
      plate k in G { lam[k] ~ ${expPrior ? 'Exponential(b)' : 'Gamma(a, b)'} }
      plate i in N { y[i] ~ Poisson(c[i] * lam[g[i]]) }
    }`;
    const g = groups(d);
    const c = g.map(() => f32(0.2 + 3 * d.rand()));
    const rate = Array.from({ length: d.G }, () => 0.5 + 5 * d.rand());
    const y = holes(
      d,
      g.map((k, i) => poisson(c[i] * rate[k], d.rand)),
    );
    const r = await runExact(src, { N: d.N, G: d.G, a, b, g, c, y });
    const A = perGroup(d.G, g, (i) => y[i] ?? 0).map((s) => a + s);
    const B = perGroup(d.G, g, (i) => (y[i] === null ? 0 : c[i])).map((s) => b + s);
    expectClose(r.latents.lam.params.shape, A);
    expectClose(r.latents.lam.params.rate, B);
    let base = 0;
    y.forEach((v, i) => {
      if (v !== null) base += v * Math.log(c[i]) - gammaln(v + 1);
    });
    expectLogEvidence(
      r.logEvidence,
      A.reduce(
        (s, x, k) => s + a * Math.log(b) - gammaln(a) + gammaln(x) - x * Math.log(B[k]),
        base,
      ),
    );
    if (y.includes(null))
      expectPredictive(r, 'y', y, (i) => {
        // ∫ Poisson(y; c λ) Gamma(λ; a', b') dλ: mean c a'/b', variance c a'/b' (1 + c/b')
        const m = (c[i] * A[g[i]]) / B[g[i]];
        return [m, Math.sqrt(m * (1 + c[i] / B[g[i]]))];
      });
  },

  async 'Gamma – Exponential and Gamma (known shape) with scales'(d) {
    const [a, b, s] = [d.h[0], d.h[1], d.h[2]];
    const gammaChild = d.h[4] < 0.5;
    const src = `model m {
      size N
      size G
      hyper a: real(0,)
      hyper b: real(0,)
      hyper s: real(0,)
      data g: int[N]
      data c: real(0,)[N]
      plate k in G { lam[k] ~ Gamma(a, b) }
      plate i in N { x[i] ~ ${gammaChild ? 'Gamma(s, c[i] * lam[g[i]])' : 'Exponential(c[i] * lam[g[i]])'} }
    }`;
    const g = groups(d);
    const c = g.map(() => f32(0.2 + 3 * d.rand()));
    const x = holes(
      d,
      g.map(() => f32(0.05 + 4 * d.rand())),
    );
    const sh = gammaChild ? f32(s) : 1;
    const r = await runExact(src, { N: d.N, G: d.G, a, b, s: sh, g, c, x });
    const A = perGroup(d.G, g, (i) => (x[i] === null ? 0 : sh)).map((v) => a + v);
    const B = perGroup(d.G, g, (i) => (x[i] === null ? 0 : c[i] * (x[i] as number))).map(
      (v) => b + v,
    );
    expectClose(r.latents.lam.params.shape, A);
    expectClose(r.latents.lam.params.rate, B);
    let base = 0;
    x.forEach((v, i) => {
      if (v !== null) base += sh * Math.log(c[i]) + (sh - 1) * Math.log(v) - gammaln(sh);
    });
    expectLogEvidence(
      r.logEvidence,
      A.reduce(
        (t, v, k) => t + a * Math.log(b) - gammaln(a) + gammaln(v) - v * Math.log(B[k]),
        base,
      ),
    );
    if (x.includes(null))
      expectPredictive(r, 'x', x, (i) => {
        // x = X / (c λ), X ~ Gamma(sh, 1), λ ~ Gamma(a', b'): E x = sh (b'/c) / (a' − 1),
        // E x² = sh (sh + 1) (b'/c)² / ((a' − 1)(a' − 2))
        const [al, sc] = [A[g[i]], B[g[i]] / c[i]];
        const m = (sh * sc) / (al - 1);
        const m2 = (sh * (sh + 1) * sc * sc) / ((al - 1) * (al - 2));
        return [m, Math.sqrt(m2 - m * m)];
      });
  },

  async 'Gamma precision – Normal with known mean'(d) {
    const [a, b, m0] = [d.h[0], d.h[1], d.h[3]];
    const src = `model m {
      size N
      size G
      hyper a: real(0,)
      hyper b: real(0,)
      hyper m0: real
      data g: int[N]
      data c: real(0,)[N]
      plate k in G { tau[k] ~ Gamma(a, b) }
      plate i in N { x[i] ~ Normal(m0, 1 / sqrt(c[i] * tau[g[i]])) }
    }`;
    const g = groups(d);
    const c = g.map(() => f32(0.2 + 3 * d.rand()));
    const x = holes(
      d,
      g.map((_, i) => f32(m0 + normal(d.rand) / Math.sqrt(c[i]))),
    );
    const mf = f32(m0);
    const r = await runExact(src, { N: d.N, G: d.G, a, b, m0: mf, g, c, x });
    const A = perGroup(d.G, g, (i) => (x[i] === null ? 0 : 0.5)).map((v) => a + v);
    const B = perGroup(d.G, g, (i) =>
      x[i] === null ? 0 : (c[i] * ((x[i] as number) - mf) ** 2) / 2,
    ).map((v) => b + v);
    expectClose(r.latents.tau.params.shape, A);
    expectClose(r.latents.tau.params.rate, B);
    let base = 0;
    x.forEach((v, i) => {
      if (v !== null) base += 0.5 * Math.log(c[i]) - 0.5 * LOG_2PI;
    });
    expectLogEvidence(
      r.logEvidence,
      A.reduce(
        (t, v, k) => t + a * Math.log(b) - gammaln(a) + gammaln(v) - v * Math.log(B[k]),
        base,
      ),
    );
    if (x.includes(null))
      expectPredictive(r, 'x', x, (i) => {
        // Student t with 2a' degrees of freedom, scale √(b'/(a' c)): variance scale² ν/(ν − 2)
        const nu = 2 * A[g[i]];
        return [mf, Math.sqrt((B[g[i]] / (A[g[i]] * c[i])) * (nu / (nu - 2)))];
      });
  },

  async 'Dirichlet – Categorical'(d) {
    const K = 3;
    const alpha = [d.h[0], d.h[1], d.h[2]];
    const src = `model m {
      size N
      size G
      size K = 3
      data alpha: real(0,)[K]
      data g: int[N]
      plate k in G { pi[k] ~ Dirichlet(alpha) }
      plate i in N { z[i] ~ Categorical(pi[g[i]]) }
    }`;
    const g = groups(d);
    const z = holes(
      d,
      g.map(() => {
        const u = d.rand();
        return u < 0.2 ? 0 : u < 0.7 ? 1 : 2;
      }),
    );
    const r = await runExact(src, { N: d.N, G: d.G, alpha: alpha.map(f32), g, z });
    const af = alpha.map(f32);
    const post = Array.from({ length: d.G }, () => [...af]);
    z.forEach((v, i) => {
      if (v !== null) post[g[i]][v] += 1;
    });
    expectClose(r.latents.pi.params.alpha, post.flat());
    expectLogEvidence(
      r.logEvidence,
      post.reduce((s, p) => s + lmvbeta(p) - lmvbeta(af), 0),
    );
    if (z.includes(null)) {
      const mean = flat(r.latents.z.mean);
      z.forEach((v, i) => {
        const p = post[g[i]];
        const a0 = p.reduce((s, x) => s + x, 0);
        const want = v === null ? p.map((x) => x / a0) : [0, 1, 2].map((k) => (k === v ? 1 : 0));
        want.forEach((w, k) => {
          checkClose(mean[i * K + k], w, `z[${i}][${k}]`, 1e-12);
        });
      });
    }
  },

  async 'Dirichlet – Multinomial (whole rows missing)'(d) {
    const K = 3;
    const alpha = [d.h[0], d.h[1], d.h[2]].map(f32);
    const src = `model m {
      size N
      size G
      size K = 3
      data alpha: real(0,)[K]
      data g: int[N]
      data n: int[N]
      plate k in G { pi[k] ~ Dirichlet(alpha) }
      plate i in N { y[i] ~ Multinomial(n[i], pi[g[i]]) }
    }`;
    const g = groups(d);
    const n = g.map(() => Math.floor(d.rand() * 12));
    const rows = n.map((m) => {
      const row = [0, 0, 0];
      for (let j = 0; j < m; j++) row[d.rand() < 0.5 ? 0 : d.rand() < 0.5 ? 1 : 2]++;
      return row;
    });
    const miss = n.map(() => d.rand() < d.missing);
    const y = rows.map((row, i) => (miss[i] ? [null, null, null] : row));
    const r = await runExact(src, { N: d.N, G: d.G, alpha, g, n, y });
    const post = Array.from({ length: d.G }, () => [...alpha]);
    let coef = 0;
    rows.forEach((row, i) => {
      if (miss[i]) return;
      row.forEach((v, k) => {
        post[g[i]][k] += v;
      });
      coef += gammaln(n[i] + 1) - row.reduce((s, v) => s + gammaln(v + 1), 0);
    });
    expectClose(r.latents.pi.params.alpha, post.flat());
    expectLogEvidence(
      r.logEvidence,
      post.reduce((s, p) => s + lmvbeta(p) - lmvbeta(alpha), coef),
    );
    if (miss.some(Boolean)) {
      const mean = flat(r.latents.y.mean);
      const sd = flat(r.latents.y.sd);
      rows.forEach((row, i) => {
        const p = post[g[i]];
        const a0 = p.reduce((s, x) => s + x, 0);
        for (let k = 0; k < K; k++) {
          if (!miss[i]) {
            checkClose(mean[i * K + k], row[k], `y[${i}][${k}]`);
            checkClose(sd[i * K + k], 0, `sd y[${i}][${k}]`);
            continue;
          }
          // Dirichlet-multinomial: mean n α_k/α0, variance n q (1 − q) (n + α0)/(1 + α0)
          const q = p[k] / a0;
          checkClose(mean[i * K + k], n[i] * q, `y[${i}][${k}]`, 1e-12);
          const v = (n[i] * q * (1 - q) * (n[i] + a0)) / (1 + a0);
          checkClose(sd[i * K + k], Math.sqrt(v), `sd y[${i}][${k}]`, 1e-12);
        }
      });
    }
  },

  async 'Normal – Normal (known sd), group means'(d) {
    const [m0, s0, sigma] = [d.h[3], d.h[0], d.h[1]];
    const src = `model m {
      size N
      size G
      hyper m0: real
      hyper s0: real(0,)
      hyper sigma: real(0,)
      data g: int[N]
      plate k in G { mu[k] ~ Normal(m0, s0) }
      plate i in N { y[i] ~ Normal(mu[g[i]], sigma) }
    }`;
    const g = groups(d);
    const truth = Array.from({ length: d.G }, () => m0 + s0 * normal(d.rand));
    const y = holes(
      d,
      g.map((k) => f32(truth[k] + sigma * normal(d.rand))),
    );
    const [mf, s0f, sf] = [m0, s0, sigma].map(f32);
    const r = await runExact(src, { N: d.N, G: d.G, m0: mf, s0: s0f, sigma: sf, g, y });
    // chain rule, per group: log N(y_i; m, v + σ²), then the Normal update of (m, v)
    const m = new Array<number>(d.G).fill(mf);
    const v = new Array<number>(d.G).fill(s0f * s0f);
    let logZ = 0;
    y.forEach((x, i) => {
      if (x === null) return;
      const k = g[i];
      const pv = v[k] + sf * sf;
      logZ += -0.5 * (LOG_2PI + Math.log(pv)) - ((x - m[k]) * (x - m[k])) / (2 * pv);
      const gain = v[k] / pv;
      m[k] += gain * (x - m[k]);
      v[k] *= 1 - gain;
    });
    const sd = v.map(Math.sqrt);
    expectMean(r.latents.mu.params.mu, m, sd);
    expectClose(r.latents.mu.params.sigma, sd);
    expectLogEvidence(r.logEvidence, logZ);
    if (y.includes(null))
      expectPredictive(r, 'y', y, (i) => [m[g[i]], Math.sqrt(v[g[i]] + sf * sf)]);
  },

  async 'MvNormal – MvNormal (known covariance), group means'(d) {
    const src = `model m {
      size N
      size G
      size D = 2
      data S0: real[D, D]
      data S: real[D, D]
      data g: int[N]
      plate k in G { mu[k] ~ MvNormal(zeros(D), S0) }
      plate i in N { x[i] ~ MvNormal(mu[g[i]], S) }
    }`;
    const rho = f32(d.h[4] - 0.5);
    const S0 = [
      [f32(d.h[0] + 1), rho],
      [rho, f32(d.h[1] + 1)],
    ];
    const S = [
      [f32(d.h[2]), 0],
      [0, f32(d.h[1])],
    ];
    const g = groups(d);
    const x = g.map(() => [f32(1 + normal(d.rand)), f32(-1 + normal(d.rand))]);
    const r = await runExact(src, { N: d.N, G: d.G, S0, S, g, x });
    // chain rule with 2 × 2 algebra: x_i | earlier ~ N(m, V + S); Kalman update of (m, V)
    type M2 = number[][];
    const add = (A: M2, B: M2) => A.map((r2, i) => r2.map((v, j) => v + B[i][j]));
    const inv = (A: M2) => {
      const det = A[0][0] * A[1][1] - A[0][1] * A[1][0];
      return [
        [A[1][1] / det, -A[0][1] / det],
        [-A[1][0] / det, A[0][0] / det],
      ];
    };
    const mul = (A: M2, B: M2) =>
      A.map((r2) => B[0].map((_, j) => r2.reduce((s, v, k) => s + v * B[k][j], 0)));
    const mv = (A: M2, u: number[]) => A.map((r2) => r2[0] * u[0] + r2[1] * u[1]);
    const ms = Array.from({ length: d.G }, () => [0, 0]);
    const Vs = Array.from({ length: d.G }, () => S0.map((r2) => [...r2]));
    let logZ = 0;
    x.forEach((xi, i) => {
      const k = g[i];
      const P = add(Vs[k], S);
      const Pi = inv(P);
      const e = [xi[0] - ms[k][0], xi[1] - ms[k][1]];
      const q = e[0] * mv(Pi, e)[0] + e[1] * mv(Pi, e)[1];
      const det = P[0][0] * P[1][1] - P[0][1] * P[1][0];
      logZ += -LOG_2PI - 0.5 * Math.log(det) - q / 2;
      const Kg = mul(Vs[k], Pi);
      const ke = mv(Kg, e);
      ms[k] = [ms[k][0] + ke[0], ms[k][1] + ke[1]];
      const KV = mul(Kg, Vs[k]);
      Vs[k] = Vs[k].map((r2, a) => r2.map((v, b) => v - KV[a][b]));
    });
    expect(r.latents.mu.family).toBe('MvNormal');
    const sd = Vs.flatMap((V) => [Math.sqrt(V[0][0]), Math.sqrt(V[1][1])]);
    expectMean(r.latents.mu.params.mu, ms.flat(), sd);
    const scale = Math.max(...sd) ** 2;
    expectClose(r.latents.mu.params.Sigma, Vs.flat(2), 1e-4, 1e-4 * scale);
    expectLogEvidence(r.logEvidence, logZ);
  },

  async 'Normal–Gamma (unknown mean and precision)'(d) {
    const [a, b, k, m0] = [d.h[0], d.h[1], d.h[2], d.h[3]];
    const src = `model m {
      size N
      hyper a: real(0,)
      hyper b: real(0,)
      hyper k: real(0,)
      hyper m0: real
      tau ~ Gamma(a, b)
      mu ~ Normal(m0, 1 / sqrt(k * tau))
      plate i in N { y[i] ~ Normal(mu, 1 / sqrt(tau)) }
    }`;
    const centre = m0 + 2 * normal(d.rand);
    const y = holes(
      d,
      Array.from({ length: d.N }, () => f32(centre + 1.5 * normal(d.rand))),
    );
    const [af, bf, kf, mf] = [a, b, k, m0].map(f32);
    const r = await runExact(src, { N: d.N, a: af, b: bf, k: kf, m0: mf, y });
    const obs = y.filter((v): v is number => v !== null);
    const n = obs.length;
    const xbar = n > 0 ? obs.reduce((s, v) => s + v, 0) / n : 0;
    const kn = kf + n;
    const mn = (kf * mf + n * xbar) / kn;
    const an = af + n / 2;
    const bn =
      bf +
      0.5 * obs.reduce((s, v) => s + (v - xbar) ** 2, 0) +
      (kf * n * (xbar - mf) ** 2) / (2 * kn);
    expectClose(r.latents.tau.params.shape, an);
    expectClose(r.latents.tau.params.rate, bn);
    const scale = Math.sqrt(bn / (an * kn));
    expectMean(r.latents.mu.params.mu, [mn], [scale]);
    expectClose(r.latents.mu.params.sigma, scale);
    // Murphy 2007, eq. 95
    const logZ =
      gammaln(an) -
      gammaln(af) +
      af * Math.log(bf) -
      an * Math.log(bn) +
      0.5 * Math.log(kf / kn) -
      (n / 2) * LOG_2PI;
    expectLogEvidence(r.logEvidence, logZ);
    if (y.includes(null))
      expectPredictive(r, 'y', y, () => {
        const nu = 2 * an;
        return [mn, Math.sqrt((bn / an) * (1 + 1 / kn) * (nu / (nu - 2)))];
      });
  },

  async 'linear regression (known noise)'(d) {
    const P = 1 + Math.floor(d.h[4] * 3);
    const [s0, sigma] = [f32(d.h[0] + 0.5), f32(d.h[1])];
    const src = `model m {
      size N
      size P
      hyper s0: real(0,)
      hyper sigma: real(0,)
      data X: real[N, P]
      beta ~ Normal(zeros(P), s0)
      plate i in N { y[i] ~ Normal(dot(X[i], beta), sigma) }
    }`;
    const X = Array.from({ length: d.N }, () =>
      Array.from({ length: P }, () => f32(normal(d.rand))),
    );
    const w = Array.from({ length: P }, () => normal(d.rand));
    const y = holes(
      d,
      X.map((row) => f32(row.reduce((s, v, j) => s + v * w[j], 0) + sigma * normal(d.rand))),
    );
    const r = await runExact(src, { N: d.N, P, s0, sigma, X, y });
    // chain rule (recursive least squares): y_i | earlier ~ N(x_i m, x_i V x_iᵀ + σ²)
    const m = new Array<number>(P).fill(0);
    const V = Array.from({ length: P }, (_, i) =>
      Array.from({ length: P }, (_, j) => (i === j ? s0 * s0 : 0)),
    );
    let logZ = 0;
    const Vx = new Array<number>(P);
    y.forEach((yi, i) => {
      if (yi === null) return;
      const x = X[i];
      for (let a = 0; a < P; a++) Vx[a] = V[a].reduce((s, v, b) => s + v * x[b], 0);
      const pv = x.reduce((s, v, a) => s + v * Vx[a], 0) + sigma * sigma;
      const e = yi - x.reduce((s, v, a) => s + v * m[a], 0);
      logZ += -0.5 * (LOG_2PI + Math.log(pv)) - (e * e) / (2 * pv);
      for (let a = 0; a < P; a++) m[a] += (Vx[a] * e) / pv;
      for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) V[a][b] -= (Vx[a] * Vx[b]) / pv;
    });
    const sd = V.map((row, i) => Math.sqrt(row[i]));
    expect(r.latents.beta.family).toBe('MvNormal');
    expectMean(r.latents.beta.params.mu, m, sd);
    expectClose(r.latents.beta.sd, sd);
    expectLogEvidence(r.logEvidence, logZ);
    if (y.includes(null))
      expectPredictive(r, 'y', y, (i) => {
        const x = X[i];
        const mean = x.reduce((s, v, a) => s + v * m[a], 0);
        const q = x.reduce((s, v, a) => s + v * V[a].reduce((t, u, b) => t + u * x[b], 0), 0);
        return [mean, Math.sqrt(q + sigma * sigma)];
      });
  },
};

describe('conjugate models against float64 closed forms (differential)', () => {
  it('every supported pair, random sizes up to N = 100,000, with null entries', async () => {
    const names = Object.keys(CASES);
    const hyper = fc.double({ min: 0.3, max: 5, noNaN: true });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names),
        // N log-uniform over 2 … 100,000 (most runs small, some large)
        fc.double({ min: Math.log10(2), max: 5, noNaN: true }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(0, 0.1),
        fc.tuple(
          hyper,
          hyper,
          hyper,
          fc.double({ min: -3, max: 3, noNaN: true }),
          fc.double({ min: 0, max: 1, noNaN: true }),
        ),
        fc.integer(),
        async (name, logN, G, missing, h, seed) => {
          const N = Math.round(10 ** logN);
          await CASES[name]({ N, G, missing, rand: prng(seed), h });
        },
      ),
      {
        seed: 7,
        numRuns: 60,
        // every pair at N = 100,000 with 10 % missing, then random instances
        examples: names.map((n) => [n, 5, 2, 0.1, [1.5, 2, 0.8, 0.5, 0.6], 1]),
      },
    );
  }, 120_000);
});

describe('partially observed Normal latents with children (item 17), against the joint Gaussian', () => {
  // mu → a[i] → b[i], both a and b with null entries: the joint of (mu, a, b) is Gaussian, so
  // the evidence is the density of the observed entries under their joint marginal and the
  // posterior of every unobserved one is Gaussian conditioning (ml-matrix, dense)
  it('posterior of mu and the missing a, predictive of the missing b, log evidence', async () => {
    const src = `model m {
      size N
      hyper s1: real(0,)
      hyper s2: real(0,)
      mu ~ Normal(1, 3)
      plate i in N {
        a[i] ~ Normal(mu, s1)
        b[i] ~ Normal(2 * a[i] - 1, s2)
      }
    }`;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.double({ min: 0.3, max: 3, noNaN: true }),
        fc.double({ min: 0.3, max: 3, noNaN: true }),
        fc.integer(),
        async (N, s1, s2, seed) => {
          const rand = prng(seed);
          const [v1, v2] = [f32(s1), f32(s2)];
          const aTrue = Array.from({ length: N }, () => 1 + 2 * normal(rand));
          const a = aTrue.map((v) => (rand() < 0.4 ? null : f32(v)));
          const b = aTrue.map((v) => (rand() < 0.3 ? null : f32(2 * v - 1 + v2 * normal(rand))));
          const r = await runExact(src, { N, s1: v1, s2: v2, a, b });
          // z = (mu, a_1..N, b_1..N) = mean + L e with e standard normal
          const D = 1 + 2 * N;
          const L = Matrix.zeros(D, D);
          const mean = new Array<number>(D).fill(0);
          mean[0] = 1;
          L.set(0, 0, 3);
          for (let i = 0; i < N; i++) {
            mean[1 + i] = 1;
            mean[1 + N + i] = 1;
            for (let j = 0; j < D; j++) {
              L.set(1 + i, j, L.get(0, j));
              L.set(1 + N + i, j, 2 * L.get(0, j));
            }
            L.set(1 + i, 1 + i, v1);
            L.set(1 + N + i, 1 + i, 2 * v1);
            L.set(1 + N + i, 1 + N + i, v2);
          }
          const C = L.mmul(L.transpose());
          const values = [null, ...a, ...b];
          const O = values.flatMap((v, i) => (v === null ? [] : [i]));
          const U = values.flatMap((v, i) => (v === null ? [i] : []));
          const sub = (rows: number[], cols: number[]) =>
            new Matrix(rows.map((i) => cols.map((j) => C.get(i, j))));
          const xO = O.map((i) => values[i] as number);
          const COO = sub(O, O);
          const logZ =
            O.length > 0
              ? mvnLogPdf(
                  xO,
                  O.map((i) => mean[i]),
                  COO,
                )
              : 0;
          expectLogEvidence(r.logEvidence, logZ);
          // conditioning: m_U = mean_U + C_UO C_OO⁻¹ (x_O − mean_O), V_U = C_UU − C_UO C_OO⁻¹ C_OU
          const K = O.length > 0 ? sub(U, O).mmul(inverse(COO)) : Matrix.zeros(U.length, 0);
          const dev = Matrix.columnVector(xO.map((x, k) => x - mean[O[k]]));
          const mU = O.length > 0 ? K.mmul(dev).to1DArray() : U.map(() => 0);
          const VU = O.length > 0 ? sub(U, U).sub(K.mmul(sub(O, U))) : sub(U, U);
          const post = new Map(U.map((i, k) => [i, [mean[i] + mU[k], Math.sqrt(VU.get(k, k))]]));
          const [mu0, sd0] = post.get(0) as number[];
          expectMean(r.latents.mu.params.mu, [mu0], [sd0]);
          expectClose(r.latents.mu.params.sigma, sd0);
          const moments = (base: number) => (i: number) => post.get(base + i) as [number, number];
          if (a.includes(null)) expectPredictive(r, 'a', a, moments(1));
          if (b.includes(null)) expectPredictive(r, 'b', b, moments(1 + N));
        },
      ),
      { seed: 3, numRuns: 25 },
    );
  });
});
