// Regression tests for the exact engine's conjugate half, through `plato infer --json` where a
// user met each problem (issue 7, items 5, 6, 16, 17, 19, 20, 21). Every expected number is a
// float64 closed form written here.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import gammaln from '@stdlib/math-base-special-gammaln';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import type { PosteriorJson as Posterior } from '../../src/report/result.js';
import { expectClose, expectLogEvidence, flat } from '../infer/exact/conjugateHelpers.js';
import { prng } from '../support/prng.js';
import { runInProcess } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'plato-exact-'));
beforeAll(async () => {
  await initBackend('wasm');
});

let files = 0;
/** `plato infer MODEL --data DATA --engine exact --json`, with no tensor left behind. */
async function infer(source: string, data: Record<string, unknown>): Promise<Posterior> {
  const id = files++;
  const model = join(tmp, `m${id}.plato`);
  const file = join(tmp, `d${id}.json`);
  writeFileSync(model, source);
  writeFileSync(file, JSON.stringify(data));
  const before = tf.memory().numTensors;
  const r = await runInProcess(['infer', model, '--data', file, '--engine', 'exact', '--json']);
  expect(r.stderr, r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(tf.memory().numTensors).toBe(before);
  return JSON.parse(r.stdout) as Posterior;
}

describe('item 16: sums of sufficient statistics are finished in float64', () => {
  // float32 sums lost 8.5e-5 of a + N·s at N = 20,000 (3.3 nats of log evidence) and 349 nats
  // at N = 100,000 with exposures; the float64 answer is within the float32 rounding of the
  // data themselves (a few 1e-8 relative)
  it.each([
    [20_000, false],
    [100_000, true],
  ])('known-shape Gamma likelihood, N = %i, exposures: %s', async (N, exposures) => {
    const rand = prng(N);
    const s = 2.7;
    const [a, b] = [1.5, 2];
    const x = Array.from({ length: N }, () => 0.1 + 3 * rand());
    const c = Array.from({ length: N }, () => (exposures ? 0.5 + rand() : 1));
    const src = `model m {
      size N
      hyper s: real(0,)
      data c: real(0,)[N]
      lam ~ Gamma(${a}, ${b})
      plate i in N { x[i] ~ Gamma(s, ${exposures ? 'c[i] * lam' : 'lam'}) }
    }`;
    const r = await infer(src, { N, s, c, x });
    const A = a + N * s;
    let B = b;
    let base = 0;
    for (let i = 0; i < N; i++) {
      B += c[i] * x[i];
      base += s * Math.log(c[i]) + (s - 1) * Math.log(x[i]) - gammaln(s);
    }
    expectClose(r.latents.lam.params.shape, A, 1e-7);
    expectClose(r.latents.lam.params.rate, B, 1e-7);
    const logZ = a * Math.log(b) - gammaln(a) + gammaln(A) - A * Math.log(B) + base;
    // 1e-3 nats: far inside the old errors, and independent of how the sums are done
    expect(Math.abs((r.logEvidence as number) - logZ)).toBeLessThan(1e-3 * Math.max(1, N / 2e4));
  });

  it('Poisson counts with exposures, N = 100,000', async () => {
    const N = 100_000;
    const rand = prng(7);
    const c = Array.from({ length: N }, () => 0.5 + rand());
    const y = c.map((e) => Math.floor(rand() * 6 * e));
    const src = `model m {
      size N
      data c: real(0,)[N]
      lam ~ Gamma(2, 1)
      plate i in N { y[i] ~ Poisson(c[i] * lam) }
    }`;
    const r = await infer(src, { N, c, y });
    let A = 2;
    let B = 1;
    let base = 0;
    for (let i = 0; i < N; i++) {
      A += y[i];
      B += c[i];
      base += y[i] * Math.log(c[i]) - gammaln(y[i] + 1);
    }
    expectClose(r.latents.lam.params.shape, A, 1e-9);
    expectClose(r.latents.lam.params.rate, B, 1e-7);
    // Gamma(2, 1) prior: a ln b − lnΓ(a) = 0
    expectLogEvidence(r.logEvidence, gammaln(A) - A * Math.log(B) + base);
  });
});

describe('item 20: a vector latent of length 1 is still MvNormal', () => {
  it.each(['beta ~ MvNormal(zeros(P), S0)', 'beta ~ Normal(zeros(P), 2)'])(
    '%s with P = 1',
    async (prior) => {
      const src = `model m {
      size N
      size P
      data X: real[N, P]
      data S0: real[P, P]
      ${prior}
      plate i in N { y[i] ~ Normal(dot(X[i], beta), 0.5) }
    }`;
      const X = [[1], [2], [-1]];
      const y = [0.8, 2.1, -0.7];
      const r = await infer(src, { N: 3, P: 1, X, S0: [[4]], y });
      // scalar regression: precision 1/4 + Σx²/0.25, mean Σxy/0.25 / precision
      const prec = 1 / 4 + X.reduce((s, [x]) => s + x * x, 0) / 0.25;
      const mean = X.reduce((s, [x], i) => s + x * y[i], 0) / 0.25 / prec;
      expect(r.latents.beta.family).toBe('MvNormal');
      expect(r.latents.beta.shape).toEqual([1]);
      expectClose(r.latents.beta.params.mu, [mean], 1e-6);
      expect(r.latents.beta.params.Sigma).toHaveLength(1);
      expectClose(r.latents.beta.params.Sigma, [1 / prec], 1e-6);
      expectClose(r.latents.beta.sd, [Math.sqrt(1 / prec)], 1e-6);
    },
  );
});

describe('item 21: every parameter of a plated Normal–Gamma mean has the node shape', () => {
  it('StudentT mu[K]: nu, mu and sigma are all [K]', async () => {
    const src = `model m {
      size N
      size K
      data g: int[N]
      tau ~ Gamma(2, 1)
      plate k in K { mu[k] ~ Normal(0, 1 / sqrt(tau)) }
      plate i in N { y[i] ~ Normal(mu[g[i]], 1 / sqrt(tau)) }
    }`;
    const g = [0, 1, 1, 2, 0, 1];
    const y = [1.2, -0.3, 0.1, 2.2, 0.9, -0.6];
    const K = 3;
    const r = await infer(src, { N: 6, K, g, y });
    // per group: mu_k | tau ~ N(Σy / (1 + n_k), 1 / (tau (1 + n_k)))
    const n = [0, 1, 2].map((k) => g.filter((v) => v === k).length);
    const sy = [0, 1, 2].map((k) => y.reduce((s, v, i) => s + (g[i] === k ? v : 0), 0));
    const R =
      y.reduce((s, v) => s + v * v, 0) - sy.reduce((s, v, k) => s + (v * v) / (1 + n[k]), 0);
    const a1 = 2 + 6 / 2;
    const b1 = 1 + R / 2;
    const mu = r.latents.mu;
    expect(mu.family).toBe('StudentT');
    expect(mu.shape).toEqual([K]);
    expect(mu.params.nu).toEqual([2 * a1, 2 * a1, 2 * a1]);
    expectClose(
      mu.params.mu,
      sy.map((v, k) => v / (1 + n[k])),
      1e-6,
      1e-7,
    );
    expectClose(
      mu.params.sigma,
      n.map((m) => Math.sqrt(b1 / a1 / (1 + m))),
      1e-6,
    );
    expectClose(r.latents.tau.params.rate, b1, 1e-6);
  });
});

/** log N(x; m, v) */
const lnorm = (x: number, m: number, v: number) =>
  -0.5 * Math.log(2 * Math.PI * v) - ((x - m) * (x - m)) / (2 * v);

describe('item 5: missing entries of continuous and count nodes are reported', () => {
  it('Normal child of a Normal mean: Normal(m, √(s² + 1)) for the missing entry, observed ones as themselves', async () => {
    const src = `model m {
      size N
      mu ~ Normal(0, 10)
      plate i in N { y[i] ~ Normal(mu, 1) }
    }`;
    const r = await infer(src, { y: [1, null, 2.5] });
    const prec = 1 / 100 + 2;
    const m = 3.5 / prec;
    expect(r.latents.y.family).toBe('Normal');
    expect(r.latents.y.shape).toEqual([3]);
    expectClose(r.latents.y.mean, [1, m, 2.5], 1e-9);
    expectClose(r.latents.y.sd, [0, Math.sqrt(1 / prec + 1), 0], 1e-9);
    expectClose(r.latents.y.params.mu, [1, m, 2.5], 1e-9);
    expectClose(r.latents.y.params.sigma, [0, Math.sqrt(1 / prec + 1), 0], 1e-9);
  });

  it('Poisson child with exposures: NegativeBinomial(a′, b′/c); a Gamma child: BetaPrime', async () => {
    const src = `model m {
      size N
      data c: real(0,)[N]
      lam ~ Gamma(2, 1)
      plate i in N {
        y[i] ~ Poisson(c[i] * lam)
        g[i] ~ Gamma(3, c[i] * lam)
      }
    }`;
    const c = [1, 2, 0.5, 1.5];
    const y = [3, null, 1, 2];
    const g = [0.4, 1.1, null, 0.7];
    const r = await infer(src, { c, y, g });
    // Gamma(2 + Σy + 3·#g, 1 + Σc + Σ c g) over the observed entries
    const a1 = 2 + 6 + 3 * 3;
    const b1 = 1 + (1 + 0.5 + 1.5) + (0.4 * 1 + 1.1 * 2 + 0.7 * 1.5);
    expectClose(r.latents.lam.params.shape, a1, 1e-9);
    expectClose(r.latents.lam.params.rate, b1, 1e-6);
    // y[1]: mean c a′/b′, var c a′/b′ (1 + c/b′)
    expect(r.latents.y.family).toBe('NegativeBinomial');
    const my = (2 * a1) / b1;
    expectClose(r.latents.y.mean, [3, my, 1, 2], 1e-6);
    expectClose(r.latents.y.sd, [0, Math.sqrt(my * (1 + 2 / b1)), 0, 0], 1e-6);
    expectClose(flat(r.latents.y.params.beta)[1], b1 / 2, 1e-6);
    // g[2] = X / (c λ), X ~ Gamma(3): mean 3 (b′/c) / (a′ − 1), var (b′/c)² 3 (3 + a′ − 1) / ((a′ − 2)(a′ − 1)²)
    expect(r.latents.g.family).toBe('BetaPrime');
    const sc = b1 / 0.5;
    expectClose(r.latents.g.mean, [0.4, 1.1, (3 * sc) / (a1 - 1), 0.7], 1e-6);
    expectClose(
      r.latents.g.sd,
      [0, 0, Math.sqrt((sc * sc * 3 * (3 + a1 - 1)) / ((a1 - 2) * (a1 - 1) ** 2)), 0],
      1e-6,
    );
  });

  it('Normal–Gamma: the missing entry is StudentT(2a′, m, √(b′/a′ (1/κ′ + 1)))', async () => {
    const src = `model m {
      size N
      tau ~ Gamma(2, 1)
      mu ~ Normal(0, 1 / sqrt(0.5 * tau))
      plate i in N { y[i] ~ Normal(mu, 1 / sqrt(tau)) }
    }`;
    const obs = [1.2, 0.4, 2.1];
    const r = await infer(src, { y: [obs[0], null, obs[1], obs[2]] });
    const n = 3;
    const xbar = obs.reduce((s, v) => s + v, 0) / n;
    const kn = 0.5 + n;
    const mn = (n * xbar) / kn;
    const an = 2 + n / 2;
    const bn =
      1 + 0.5 * obs.reduce((s, v) => s + (v - xbar) ** 2, 0) + (0.5 * n * xbar * xbar) / (2 * kn);
    const y = r.latents.y;
    expect(y.family).toBe('StudentT');
    expect(y.params.nu).toEqual([2 * an, 2 * an, 2 * an, 2 * an]);
    // the data are float32 inside the engine: 1e-6
    expectClose(y.params.mu, [obs[0], mn, obs[1], obs[2]], 1e-6);
    const scale = Math.sqrt((bn / an) * (1 / kn + 1));
    expectClose(y.params.sigma, [0, scale, 0, 0], 1e-6);
    expectClose(y.sd, [0, scale * Math.sqrt((2 * an) / (2 * an - 2)), 0, 0], 1e-6);
  });

  it('a node whose parents are known: its own distribution, observed entries as themselves', async () => {
    const src = `model m {
      size N
      plate i in N {
        x[i] ~ Normal(1, 2)
        k[i] ~ Poisson(3)
      }
    }`;
    const r = await infer(src, { x: [null, 0.5], k: [4, null] });
    expect(r.latents.x).toMatchObject({ family: 'Normal', mean: [1, 0.5], sd: [2, 0] });
    expect(r.latents.x.params).toEqual({ mu: [1, 0.5], sigma: [2, 0] });
    expect(r.latents.k).toMatchObject({
      family: 'Poisson',
      mean: [4, 3],
      params: { rate: [null, 3] },
    });
    expectClose(r.latents.k.sd, [0, Math.sqrt(3)], 1e-7);
    expectLogEvidence(r.logEvidence, lnorm(0.5, 1, 4) + 4 * Math.log(3) - 3 - gammaln(5));
  });
});

describe('item 6: deterministic nodes of Gaussian latents are reported', () => {
  it('x = M @ e: MvNormal(M m, M S Mᵀ); s = sum(e) + 3: Normal', async () => {
    const src = `model m {
      size N
      size P
      data M: real[P, P]
      e ~ Normal(zeros(P), 1)
      x = M @ e
      s = sum(e) + 3
      plate i in N { y[i] ~ Normal(x, 1) }
    }`;
    const M = [
      [1, 2],
      [0, 1],
    ];
    const y = [
      [1, 2],
      [0.5, 1.5],
    ];
    const r = await infer(src, { N: 2, P: 2, M, y });
    // e | y: precision I + 2 MᵀM, mean S Mᵀ Σ_i y_i
    const MtM = [
      [1, 2],
      [2, 5],
    ];
    const J = [
      [1 + 2 * MtM[0][0], 2 * MtM[0][1]],
      [2 * MtM[1][0], 1 + 2 * MtM[1][1]],
    ];
    const det = J[0][0] * J[1][1] - J[0][1] * J[1][0];
    const S = [
      [J[1][1] / det, -J[0][1] / det],
      [-J[1][0] / det, J[0][0] / det],
    ];
    const sy = [y[0][0] + y[1][0], y[0][1] + y[1][1]];
    const h = [M[0][0] * sy[0] + M[1][0] * sy[1], M[0][1] * sy[0] + M[1][1] * sy[1]];
    const m = [S[0][0] * h[0] + S[0][1] * h[1], S[1][0] * h[0] + S[1][1] * h[1]];
    const mul = (A: number[][], B: number[][]) =>
      A.map((row) => B[0].map((_, j) => row.reduce((s, v, k) => s + v * B[k][j], 0)));
    const Mt = [
      [M[0][0], M[1][0]],
      [M[0][1], M[1][1]],
    ];
    const Sx = mul(mul(M, S), Mt);
    expect(r.latents.x.family).toBe('MvNormal');
    expect(r.latents.x.shape).toEqual([2]);
    expectClose(r.latents.x.mean, [m[0] + 2 * m[1], m[1]], 1e-9);
    expectClose(r.latents.x.params.Sigma, Sx.flat(), 1e-9);
    expectClose(r.latents.x.sd, [Math.sqrt(Sx[0][0]), Math.sqrt(Sx[1][1])], 1e-9);
    expect(r.latents.s.family).toBe('Normal');
    expectClose(r.latents.s.mean, m[0] + m[1] + 3, 1e-9);
    expectClose(r.latents.s.sd, Math.sqrt(S[0][0] + S[1][1] + 2 * S[0][1]), 1e-9);
  });
});

describe('item 17: a Normal with null entries and a child is one more Gaussian latent', () => {
  it('a = [0.3, null], b observed: a[1] | b ~ N(b₁/2, ½); evidence of both', async () => {
    const src = `model m {
      size N
      plate i in N {
        a[i] ~ Normal(0, 1)
        b[i] ~ Normal(a[i], 1)
      }
    }`;
    const r = await infer(src, { a: [0.3, null], b: [1.0, 0.8] });
    expect(r.latents.a).toMatchObject({ family: 'Normal', shape: [2] });
    expectClose(r.latents.a.mean, [0.3, 0.4], 1e-7);
    expectClose(r.latents.a.sd, [0, Math.sqrt(0.5)], 1e-9);
    expectLogEvidence(r.logEvidence, lnorm(0.3, 0, 1) + lnorm(1.0, 0.3, 1) + lnorm(0.8, 0, 2));
  });
});

describe('item 19: a wholly missing Multinomial vector is unobserved', () => {
  const src = `model m {
    size N
    size K = 3
    pi ~ Dirichlet([1, 2, 1])
    plate i in N { y[i] ~ Multinomial(4, pi) }
  }`;

  it('the row is reported as DirichletMultinomial(4, α′); the others update pi', async () => {
    const r = await infer(src, {
      N: 3,
      y: [
        [1, 2, 1],
        [null, null, null],
        [0, 3, 1],
      ],
    });
    const alpha = [2, 7, 3];
    expectClose(r.latents.pi.params.alpha, alpha, 1e-9);
    const a0 = 12;
    expect(r.latents.y.family).toBe('DirichletMultinomial');
    expectClose(r.latents.y.mean, [1, 2, 1, ...alpha.map((a) => (4 * a) / a0), 0, 3, 1], 1e-9);
    const sd = alpha.map((a) => Math.sqrt((4 * (a / a0) * (1 - a / a0) * (4 + a0)) / (1 + a0)));
    expectClose(r.latents.y.sd, [0, 0, 0, ...sd, 0, 0, 0], 1e-9);
    // ln B(α′) − ln B(α) + Σ_rows ln(4! / Π x_k!)
    const lmvb = (a: number[]) =>
      a.reduce((s, v) => s + gammaln(v), 0) - gammaln(a.reduce((s, v) => s + v, 0));
    const coef = Math.log(24 / 2) + Math.log(24 / 6);
    expectLogEvidence(r.logEvidence, lmvb(alpha) - lmvb([1, 2, 1]) + coef);
  });

  it('a partly missing vector is still refused when the data are read', async () => {
    const model = join(tmp, 'partial-row.plato');
    const file = join(tmp, 'partial-row.json');
    writeFileSync(model, src);
    writeFileSync(
      file,
      JSON.stringify({
        N: 2,
        y: [
          [1, 2, 1],
          [null, 2, null],
        ],
      }),
    );
    const r = await runInProcess(['infer', model, '--data', file, '--engine', 'exact']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/y\[1\] has null entries next to given ones/);
  });
});
