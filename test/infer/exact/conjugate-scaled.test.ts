// Beta, Gamma and Dirichlet conjugate pairs: random hyperparameters, data and plate sizes
// (with the latent indexed by an observed group variable) against float64 formulas written
// here (Bernardo & Smith, App. A): posterior parameters to 1e-4 relative, log evidence to
// 1e-4 relative (1e-3 absolute near zero).
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import {
  expectClose,
  expectLogEvidence,
  flat,
  gammaln,
  lbeta,
  lmvbeta,
  normal,
  prng,
  runExact,
} from './conjugateHelpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const RUNS = { seed: 42, numRuns: 25 };
const hyper = fc.double({ min: 0.2, max: 6, noNaN: true });
const sizes = fc.record({
  G: fc.integer({ min: 1, max: 4 }),
  N: fc.integer({ min: 1, max: 40 }),
  seed: fc.integer(),
});

/** group of each element: every group used at least once when N ≥ G (some groups may stay empty otherwise) */
const groups = (N: number, G: number, rand: () => number) =>
  Array.from({ length: N }, () => Math.floor(rand() * G));

const poisson = (rate: number, rand: () => number) => {
  let k = 0;
  let p = Math.exp(-rate);
  let s = p;
  const u = rand();
  while (u > s && k < 1000) {
    k++;
    p *= rate / k;
    s += p;
  }
  return k;
};

describe('Beta', () => {
  it('Beta–Bernoulli, grouped by observed data', async () => {
    const src = `model m {
      size N
      size G
      hyper a: real(0,) = 1
      hyper b: real(0,) = 1
      data g: int[N]
      plate k in G { theta[k] ~ Beta(a, b) }
      plate i in N { y[i] ~ Bernoulli(theta[g[i]]) }
    }`;
    await fc.assert(
      fc.asyncProperty(hyper, hyper, sizes, async (a, b, { G, N, seed }) => {
        const rand = prng(seed);
        const g = groups(N, G, rand);
        const y = g.map(() => (rand() < 0.6 ? 1 : 0));
        const r = await runExact(src, { N, G, a, b, g, y });
        const A = Array.from(
          { length: G },
          (_, k) => a + y.filter((v, i) => g[i] === k && v === 1).length,
        );
        const B = Array.from(
          { length: G },
          (_, k) => b + y.filter((v, i) => g[i] === k && v === 0).length,
        );
        expect(r.latents.theta.family).toBe('Beta');
        expect(r.latents.theta.shape).toEqual([G]);
        expectClose(r.latents.theta.params.a, A);
        expectClose(r.latents.theta.params.b, B);
        expectClose(
          r.latents.theta.mean,
          A.map((x, k) => x / (x + B[k])),
        );
        expectLogEvidence(
          r.logEvidence,
          A.reduce((s, x, k) => s + lbeta(x, B[k]) - lbeta(a, b), 0),
        );
      }),
      RUNS,
    );
  });

  it('Beta–Binomial with a number of trials per element; Uniform(0, 1) as Beta(1, 1)', async () => {
    const src = (prior: string) => `model m {
      size N
      hyper a: real(0,) = 1
      hyper b: real(0,) = 1
      data n: int[N]
      p ~ ${prior}
      plate i in N { y[i] ~ Binomial(n[i], p) }
    }`;
    await fc.assert(
      fc.asyncProperty(hyper, hyper, sizes, fc.boolean(), async (a0, b0, { N, seed }, uniform) => {
        const rand = prng(seed);
        const n = Array.from({ length: N }, () => 1 + Math.floor(rand() * 20));
        const y = n.map((m) => Math.floor(rand() * (m + 1)));
        const [a, b] = uniform ? [1, 1] : [a0, b0];
        const r = await runExact(src(uniform ? 'Uniform(0, 1)' : 'Beta(a, b)'), { N, a, b, n, y });
        const A = a + y.reduce((s, v) => s + v, 0);
        const B = b + y.reduce((s, v, i) => s + n[i] - v, 0);
        expectClose(r.latents.p.params.a, A);
        expectClose(r.latents.p.params.b, B);
        const logC = y.reduce(
          (s, v, i) => s + gammaln(n[i] + 1) - gammaln(v + 1) - gammaln(n[i] - v + 1),
          0,
        );
        expectLogEvidence(r.logEvidence, lbeta(A, B) - lbeta(a, b) + logC);
      }),
      RUNS,
    );
  });
});

describe('Gamma', () => {
  it('Gamma–Poisson with an exposure per element', async () => {
    const src = `model m {
      size N
      size G
      hyper a: real(0,) = 1
      hyper b: real(0,) = 1
      data g: int[N]
      data e: real(0,)[N]
      plate k in G { lambda[k] ~ Gamma(a, b) }
      plate i in N { y[i] ~ Poisson(e[i] * lambda[g[i]]) }
    }`;
    await fc.assert(
      fc.asyncProperty(hyper, hyper, sizes, async (a, b, { G, N, seed }) => {
        const rand = prng(seed);
        const g = groups(N, G, rand);
        const e = g.map(() => 0.2 + 3 * rand());
        const y = e.map((x) => poisson(2 * x, rand));
        const r = await runExact(src, { N, G, a, b, g, e, y });
        const A = Array.from(
          { length: G },
          (_, k) => a + y.reduce((s, v, i) => s + (g[i] === k ? v : 0), 0),
        );
        const B = Array.from(
          { length: G },
          (_, k) => b + e.reduce((s, v, i) => s + (g[i] === k ? v : 0), 0),
        );
        expect(r.latents.lambda.family).toBe('Gamma');
        expectClose(r.latents.lambda.params.shape, A);
        expectClose(r.latents.lambda.params.rate, B);
        const base = y.reduce((s, v, i) => s + v * Math.log(e[i]) - gammaln(v + 1), 0);
        const z = A.reduce(
          (s, x, k) => s + a * Math.log(b) - gammaln(a) - x * Math.log(B[k]) + gammaln(x),
          0,
        );
        expectLogEvidence(r.logEvidence, z + base);
      }),
      RUNS,
    );
  });

  it('Gamma–Exponential (scaled rate) and an Exponential prior as Gamma(1, rate)', async () => {
    const src = (prior: string) => `model m {
      size N
      hyper a: real(0,) = 1
      hyper b: real(0,) = 1
      hyper c: real(0,) = 2
      lambda ~ ${prior}
      plate i in N { y[i] ~ Exponential(lambda * c) }
    }`;
    await fc.assert(
      fc.asyncProperty(
        hyper,
        hyper,
        hyper,
        sizes,
        fc.boolean(),
        async (a0, b, c, { N, seed }, expPrior) => {
          const rand = prng(seed);
          const y = Array.from({ length: N }, () => -Math.log(1 - rand()) / 1.5);
          const a = expPrior ? 1 : a0;
          const r = await runExact(src(expPrior ? 'Exponential(b)' : 'Gamma(a, b)'), {
            N,
            a,
            b,
            c,
            y,
          });
          const A = a + N;
          const B = b + c * y.reduce((s, v) => s + v, 0);
          expect(r.latents.lambda.family).toBe('Gamma');
          expectClose(r.latents.lambda.params.shape, A);
          expectClose(r.latents.lambda.params.rate, B);
          const z = a * Math.log(b) - gammaln(a) - A * Math.log(B) + gammaln(A) + N * Math.log(c);
          expectLogEvidence(r.logEvidence, z);
        },
      ),
      RUNS,
    );
  });

  it('Gamma prior on the rate of Gamma children with known shape', async () => {
    const src = `model m {
      size N
      hyper a: real(0,) = 1
      hyper b: real(0,) = 1
      hyper s: real(0,) = 2
      beta ~ Gamma(a, b)
      plate i in N { y[i] ~ Gamma(s, beta) }
    }`;
    await fc.assert(
      fc.asyncProperty(hyper, hyper, hyper, sizes, async (a, b, s, { N, seed }) => {
        const rand = prng(seed);
        const y = Array.from({ length: N }, () => 0.05 + 4 * rand());
        const r = await runExact(src, { N, a, b, s, y });
        const A = a + N * s;
        const B = b + y.reduce((t, v) => t + v, 0);
        expectClose(r.latents.beta.params.shape, A);
        expectClose(r.latents.beta.params.rate, B);
        const base = y.reduce((t, v) => t + (s - 1) * Math.log(v) - gammaln(s), 0);
        expectLogEvidence(
          r.logEvidence,
          a * Math.log(b) - gammaln(a) - A * Math.log(B) + gammaln(A) + base,
        );
      }),
      RUNS,
    );
  });

  it('Gamma prior on the precision of Normal children with known mean (each sd form)', async () => {
    const forms = [
      '1 / sqrt(k * tau)',
      'sqrt(1 / (k * tau))',
      '(k * tau) ^ -0.5',
      '1 / sqrt(tau * k)',
    ];
    const src = (form: string) => `model m {
      size N
      hyper a: real(0,) = 1
      hyper b: real(0,) = 1
      hyper k: real(0,) = 1
      data m: real[N]
      tau ~ Gamma(a, b)
      plate i in N { y[i] ~ Normal(m[i], ${form}) }
    }`;
    await fc.assert(
      fc.asyncProperty(
        hyper,
        hyper,
        hyper,
        sizes,
        fc.constantFrom(...forms),
        async (a, b, k, { N, seed }, form) => {
          const rand = prng(seed);
          const m = Array.from({ length: N }, () => 10 * rand() - 5);
          const y = m.map((v) => v + 2 * normal(rand));
          const r = await runExact(src(form), { N, a, b, k, m, y });
          const A = a + N / 2;
          const B = b + (k / 2) * y.reduce((s, v, i) => s + (v - m[i]) ** 2, 0);
          expectClose(r.latents.tau.params.shape, A);
          expectClose(r.latents.tau.params.rate, B);
          const z =
            a * Math.log(b) -
            gammaln(a) -
            A * Math.log(B) +
            gammaln(A) +
            (N / 2) * Math.log(k / (2 * Math.PI));
          expectLogEvidence(r.logEvidence, z);
        },
      ),
      RUNS,
    );
  });
});

describe('Dirichlet', () => {
  it('Dirichlet–Categorical, grouped by observed data', async () => {
    const src = `model m {
      size N
      size G
      size K
      data alpha: real(0,)[K]
      data g: int[N]
      plate k in G { theta[k] ~ Dirichlet(alpha) }
      plate i in N { y[i] ~ Categorical(theta[g[i]]) }
    }`;
    await fc.assert(
      fc.asyncProperty(sizes, fc.integer({ min: 2, max: 6 }), async ({ G, N, seed }, K) => {
        const rand = prng(seed);
        const alpha = Array.from({ length: K }, () => 0.1 + 3 * rand());
        const g = groups(N, G, rand);
        const y = g.map(() => Math.floor(rand() * K));
        const r = await runExact(src, { N, G, K, alpha, g, y });
        const post = Array.from({ length: G }, (_, grp) =>
          alpha.map((a, c) => a + y.filter((v, i) => g[i] === grp && v === c).length),
        );
        expect(r.latents.theta.family).toBe('Dirichlet');
        expect(r.latents.theta.shape).toEqual([G, K]);
        expectClose(r.latents.theta.params.alpha, post.flat());
        const sums = post.map((row) => row.reduce((s, v) => s + v, 0));
        expectClose(
          r.latents.theta.mean,
          post.flatMap((row, j) => row.map((v) => v / sums[j])),
        );
        expectLogEvidence(
          r.logEvidence,
          post.reduce((s, row) => s + lmvbeta(row) - lmvbeta(alpha), 0),
        );
      }),
      RUNS,
    );
  });

  it('Dirichlet–Multinomial with varying totals', async () => {
    const src = `model m {
      size N
      size K
      hyper a: real(0,) = 1
      data n: int[N]
      theta ~ Dirichlet(rep(a, K))
      plate i in N { y[i] ~ Multinomial(n[i], theta) }
    }`;
    await fc.assert(
      fc.asyncProperty(hyper, sizes, fc.integer({ min: 2, max: 5 }), async (a, { N, seed }, K) => {
        const rand = prng(seed);
        const y = Array.from({ length: N }, () =>
          Array.from({ length: K }, () => Math.floor(rand() * 6)),
        );
        const n = y.map((row) => row.reduce((s, v) => s + v, 0));
        const r = await runExact(src, { N, K, a, n, y });
        const post = Array.from({ length: K }, (_, c) => a + y.reduce((s, row) => s + row[c], 0));
        expectClose(r.latents.theta.params.alpha, post);
        const base = y.reduce(
          (s, row, i) => s + gammaln(n[i] + 1) - row.reduce((t, v) => t + gammaln(v + 1), 0),
          0,
        );
        expectLogEvidence(r.logEvidence, lmvbeta(post) - lmvbeta(Array(K).fill(a)) + base);
      }),
      RUNS,
    );
  });
});

describe('missing entries and unused elements', () => {
  it('null entries of a conjugate child do not contribute; an unused group keeps its prior', async () => {
    const src = `model m {
      size N
      size G
      data g: int[N]
      plate k in G { theta[k] ~ Beta(2, 3) }
      plate i in N { y[i] ~ Bernoulli(theta[g[i]]) }
    }`;
    const r = await runExact(src, { N: 5, G: 3, g: [0, 0, 1, 1, 0], y: [1, null, 0, 1, 1] });
    expect(flat(r.latents.theta.params.a)).toEqual([4, 3, 2]);
    expect(flat(r.latents.theta.params.b)).toEqual([3, 4, 3]);
    expectLogEvidence(r.logEvidence, lbeta(4, 3) + lbeta(3, 4) - 2 * lbeta(2, 3));
  });

  it('observed nodes with known parents add their log-probability to the evidence', async () => {
    const src = `model m {
      size N
      p ~ Beta(1, 1)
      plate i in N {
        y[i] ~ Bernoulli(p)
        x[i] ~ Normal(0, 2)
      }
    }`;
    const r = await runExact(src, { N: 3, y: [1, 1, 0], x: [0.5, -1, 2] });
    const lx = [0.5, -1, 2].reduce((s, v) => s - 0.5 * Math.log(2 * Math.PI * 4) - (v * v) / 8, 0);
    expectLogEvidence(r.logEvidence, lbeta(3, 2) + lx);
  });

  it('latents without children and with known arguments report their prior', async () => {
    const src = `model m {
      size K = 3
      u ~ Uniform(-1, 3)
      z ~ Normal(2, 3)
      c ~ Categorical([0.2, 0.3, 0.5])
      plate k in K { g[k] ~ Gamma(2, 4) }
    }`;
    const r = await runExact(src, {});
    expect(r.latents.u).toMatchObject({ family: 'Uniform', params: { lo: -1, hi: 3 }, mean: 1 });
    expectClose(r.latents.u.sd, 4 / Math.sqrt(12));
    expect(r.latents.z).toMatchObject({
      family: 'Normal',
      params: { mu: 2, sigma: 3 },
      mean: 2,
      sd: 3,
    });
    expect(r.latents.c.family).toBe('Categorical');
    expectClose(r.latents.c.mean, [0.2, 0.3, 0.5], 1e-6);
    expect(r.latents.g).toMatchObject({
      family: 'Gamma',
      shape: [3],
      params: { shape: [2, 2, 2], rate: [4, 4, 4] },
    });
    expect(r.logEvidence).toBe(0);
  });

  it('posterior predictive leaves and missing entries of Bernoulli/Categorical children', async () => {
    const src = `model m {
      size N
      size G
      size K = 3
      data g: int[N]
      theta ~ Beta(2, 3)
      plate k in G { pi[k] ~ Dirichlet(rep(1, K)) }
      plate i in N {
        y[i] ~ Bernoulli(theta)
        c[i] ~ Categorical(pi[g[i]])
      }
      ynew ~ Bernoulli(theta)
      cnew ~ Categorical(pi[1])
    }`;
    const r = await runExact(src, {
      N: 4,
      G: 2,
      g: [0, 1, 1, 0],
      y: [1, null, 0, 1],
      c: [2, 0, null, 1],
    });
    // theta | y ~ Beta(4, 4); pi[0] | c ~ Dir(1, 2, 2), pi[1] | c ~ Dir(2, 1, 1)
    expect(r.latents.theta.params).toEqual({ a: 4, b: 4 });
    expect(r.latents.ynew).toMatchObject({ family: 'Bernoulli', shape: [], mean: 0.5 });
    expect(r.latents.y).toMatchObject({
      family: 'Bernoulli',
      shape: [4],
      mean: [1, 0.5, 0, 1],
      sd: [0, 0.5, 0, 0],
    });
    expect(r.latents.cnew.family).toBe('Categorical');
    expectClose(r.latents.cnew.mean, [0.5, 0.25, 0.25]);
    expectClose(r.latents.c.mean, [0, 0, 1, 1, 0, 0, 0.5, 0.25, 0.25, 0, 1, 0]);
    expectLogEvidence(
      r.logEvidence,
      lbeta(4, 4) - lbeta(2, 3) + lmvbeta([1, 2, 2]) + lmvbeta([2, 1, 1]) - 2 * lmvbeta([1, 1, 1]),
    );
  });

  it('ragged and nested plates: one posterior per plate element', async () => {
    const src = `model m {
      size D
      size N[D]
      plate d in D {
        theta[d] ~ Beta(1, 1)
        mu[d] ~ Normal(0, 10)
        plate n in N[d] {
          y[d, n] ~ Bernoulli(theta[d])
          x[d, n] ~ Normal(mu[d], 1)
        }
      }
    }`;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 }),
        fc.integer(),
        async (N, seed) => {
          const rand = prng(seed);
          const y = N.map((n) => Array.from({ length: n }, (): number => (rand() < 0.5 ? 1 : 0)));
          const x = N.map((n) => Array.from({ length: n }, () => 3 + normal(rand)));
          const r = await runExact(src, { D: N.length, N, y, x });
          const ones = y.map((row) => row.reduce((a, b) => a + b, 0));
          expectClose(
            r.latents.theta.params.a,
            ones.map((k) => 1 + k),
          );
          expectClose(
            r.latents.theta.params.b,
            ones.map((k, d) => 1 + N[d] - k),
          );
          const prec = N.map((n) => 0.01 + n);
          const mean = x.map((row, d) => row.reduce((a, b) => a + b, 0) / prec[d]);
          expectClose(r.latents.mu.params.mu, mean);
          expectClose(
            r.latents.mu.params.sigma,
            prec.map((p) => 1 / Math.sqrt(p)),
          );
          // evidence: Beta part + per group the Gaussian marginal N(x_d; 0, I + 100 11ᵀ)
          let logZ = ones.reduce((t, k, d) => t + lbeta(1 + k, 1 + N[d] - k), 0);
          for (const row of x) {
            const n = row.length;
            const s = row.reduce((a, b) => a + b, 0);
            const ss = row.reduce((a, b) => a + b * b, 0);
            // Sherman–Morrison: (I + c 11ᵀ)^-1 = I − c/(1 + c n) 11ᵀ, det = 1 + c n
            logZ +=
              -0.5 *
              (n * Math.log(2 * Math.PI) +
                Math.log(1 + 100 * n) +
                ss -
                (100 / (1 + 100 * n)) * s * s);
          }
          expectLogEvidence(r.logEvidence, logZ);
        },
      ),
      RUNS,
    );
  });
});
