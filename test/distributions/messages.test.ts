// Conjugate messages (BayesPy's message-to-parent), expected statistics and entropies of the
// exponential families, against independent float64 closed forms written here (@stdlib's
// gammaln and digamma; Bernardo & Smith, Bayesian Theory, App. A). Inputs are rounded to float32
// (the tensors hold float32), so the only float32 error is the messages' own arithmetic: the
// tolerances are a few float32 ulps of the magnitudes summed.
import digamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import {
  CONJUGATE_PAIRS,
  conjugatePriorsOf,
  findPair,
  priorViewOf,
} from '../../src/distributions/conjugacy.js';
import type { CoParents, ExpFamily } from '../../src/distributions/distribution.js';
import {
  conjugateUpdate64,
  entropy,
  expectedLogProb,
  expFamilyOf,
} from '../../src/distributions/expfamily.js';

beforeAll(async () => {
  await initBackend('wasm');
});

let start = 0;
beforeEach(() => {
  start = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(start);
});

const RUNS = { seed: 2027, numRuns: 30 };
const F32_EPS = 2 ** -23;
const f32 = Math.fround;
const LOG_2PI = Math.log(2 * Math.PI);
const lbeta = (a: number, b: number) => gammaln(a) + gammaln(b) - gammaln(a + b);
const lmvbeta = (al: readonly number[]) =>
  al.reduce((s, a) => s + gammaln(a), 0) - gammaln(al.reduce((s, a) => s + a, 0));
const sum = (xs: readonly number[]) => xs.reduce((s, v) => s + v, 0);
const sumAbs = (xs: readonly number[]) => xs.reduce((s, v) => s + Math.abs(v), 0);

const pos = (lo: number, hi: number) =>
  fc.double({ min: Math.log(lo), max: Math.log(hi), noNaN: true }).map((v) => f32(Math.exp(v)));
const real = (lo: number, hi: number) =>
  fc.double({ min: lo, max: hi, noNaN: true }).map((v) => f32(v));

/** |got − want| ≤ tol, with a readable failure */
function close(got: number, want: number, tol: number, what: string): void {
  if (!(Math.abs(got - want) <= tol)) {
    throw new Error(`${what}: got ${got}, want ${want} (|diff| ${Math.abs(got - want)} > ${tol})`);
  }
}

/**
 * The generic conjugate update as an engine does it: the child's messages for every element
 * (the child reads one latent element), summed in float64, added to the prior's natural
 * parameters, and log Z = Σ (rest + log h) + A(eta') − A(eta).
 */
function update(
  prior: ExpFamily,
  priorArgs: Record<string, number[]>,
  child: ExpFamily,
  arg: string,
  x: tf.Tensor,
  co: CoParents,
  K = 1,
): { post: Record<string, Float64Array>; logZ: number; base: number[] } {
  const eta0 = prior.float64!.naturalParams(
    Object.fromEntries(Object.entries(priorArgs).map(([k, v]) => [k, Float64Array.from(v)])),
  );
  const { sums, base } = tf.tidy(() => {
    const m = child.messageToParent!(arg, { value: x }, co);
    const blocks = m.oneHot
      ? [tf.sum(tf.cast(tf.oneHot(tf.cast(m.eta[0]!, 'int32'), m.oneHot), 'float32'), 0)]
      : m.eta.map((b) => (b.rank > 1 ? tf.sum(b, 0) : tf.sum(b)));
    const sums = blocks.map((b) => Array.from(b.dataSync()));
    const base = Array.from(tf.add(m.rest, child.logBaseMeasure(x)).dataSync());
    return { sums, base };
  });
  const up = conjugateUpdate64(
    prior,
    eta0,
    sums.map((s) => Float64Array.from(s)),
    K,
  );
  return { post: prior.float64!.fromNatural(up.eta), logZ: sum(base) + up.logNormalizerGain, base };
}

describe('messages give the closed-form posterior and log evidence', () => {
  it('Beta–Binomial (n per element; Bernoulli is n = 1)', () => {
    fc.assert(
      fc.property(
        pos(0.2, 20),
        pos(0.2, 20),
        fc.array(
          fc.tuple(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, noNaN: true })),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        (a, b, rows) => {
          const n = rows.map(([ni]) => ni);
          const x = rows.map(([ni, u]) => Math.floor(u * (ni + 1)) % (ni + 1));
          const nT = tf.tensor1d(n);
          const xT = tf.tensor1d(x);
          const r = update(
            expFamilyOf('Beta')!,
            { a: [a], b: [b] },
            expFamilyOf('Binomial', { n: nT })!,
            'p',
            xT,
            { values: { n: nT } },
          );
          tf.dispose([nT, xT]);
          const a1 = a + sum(x);
          const b1 = b + sum(n) - sum(x);
          close(r.post.a![0]!, a1, 1e-12 * a1, 'a');
          close(r.post.b![0]!, b1, 1e-12 * b1, 'b');
          const terms = x.map(
            (xi, i) => gammaln(n[i]! + 1) - gammaln(xi + 1) - gammaln(n[i]! - xi + 1),
          );
          const want = sum(terms) + lbeta(a1, b1) - lbeta(a, b);
          close(r.logZ, want, 16 * F32_EPS * (sumAbs(terms) + 1) + 1e-9 * Math.abs(want), 'log Z');
        },
      ),
      RUNS,
    );
  });

  it('Gamma–Poisson with exposures (rate = c × lambda)', () => {
    fc.assert(
      fc.property(
        pos(0.2, 20),
        pos(0.1, 10),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), pos(0.05, 20)), {
          minLength: 1,
          maxLength: 30,
        }),
        (a, b, rows) => {
          const x = rows.map(([xi]) => xi);
          const c = rows.map(([, ci]) => ci);
          const xT = tf.tensor1d(x);
          const cT = tf.tensor1d(c);
          const r = update(
            expFamilyOf('Gamma')!,
            { shape: [a], rate: [b] },
            expFamilyOf('Poisson')!,
            'rate',
            xT,
            {
              coefficient: cT,
            },
          );
          tf.dispose([xT, cT]);
          const a1 = a + sum(x);
          const b1 = b + sum(c);
          close(r.post.shape![0]!, a1, 1e-12 * a1, 'shape');
          close(r.post.rate![0]!, b1, 1e-6 * b1, 'rate');
          const terms = x.map((xi, i) => xi * Math.log(c[i]!) - gammaln(xi + 1));
          const want =
            sum(terms) + a * Math.log(b) - gammaln(a) - (a1 * Math.log(b1) - gammaln(a1));
          const tol = 16 * F32_EPS * (sumAbs(terms) + a1 * (1 + Math.abs(Math.log(b1)))) + 1e-9;
          close(r.logZ, want, tol, 'log Z');
        },
      ),
      RUNS,
    );
  });

  it('Gamma–Exponential, scaled and unscaled', () => {
    fc.assert(
      fc.property(
        pos(0.2, 20),
        pos(0.1, 10),
        fc.array(fc.tuple(pos(0.01, 30), pos(0.1, 10)), { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        (a, b, rows, scaled) => {
          const x = rows.map(([xi]) => xi);
          const c = rows.map(([, ci]) => (scaled ? ci : 1));
          const xT = tf.tensor1d(x);
          const cT = tf.tensor1d(c);
          const r = update(
            expFamilyOf('Gamma')!,
            { shape: [a], rate: [b] },
            expFamilyOf('Exponential')!,
            'rate',
            xT,
            {
              coefficient: scaled ? cT : undefined,
            },
          );
          tf.dispose([xT, cT]);
          const N = x.length;
          const a1 = a + N;
          const cx = x.map((xi, i) => c[i]! * xi);
          const b1 = b + sum(cx);
          close(r.post.shape![0]!, a1, 1e-12 * a1, 'shape');
          close(r.post.rate![0]!, b1, 1e-6 * b1, 'rate');
          const terms = c.map(Math.log);
          const want =
            sum(terms) + a * Math.log(b) - gammaln(a) - (a1 * Math.log(b1) - gammaln(a1));
          const tol = 16 * F32_EPS * (sumAbs(terms) + a1 * (1 + Math.abs(Math.log(b1)))) + 1e-9;
          close(r.logZ, want, tol, 'log Z');
        },
      ),
      RUNS,
    );
  });

  it('Gamma–Normal precision: sd = (c tau)^-1/2 with known means', () => {
    fc.assert(
      fc.property(
        pos(0.2, 20),
        pos(0.1, 10),
        fc.array(fc.tuple(real(-10, 10), real(-3, 3), pos(0.1, 10)), {
          minLength: 1,
          maxLength: 30,
        }),
        (a, b, rows) => {
          const x = rows.map(([xi]) => xi);
          const mu = rows.map(([, m]) => m);
          const c = rows.map(([, , ci]) => ci);
          const [xT, muT, cT] = [tf.tensor1d(x), tf.tensor1d(mu), tf.tensor1d(c)];
          const r = update(
            expFamilyOf('Gamma')!,
            { shape: [a], rate: [b] },
            expFamilyOf('Normal')!,
            'sigma',
            xT,
            {
              values: { mu: muT },
              coefficient: cT,
            },
          );
          tf.dispose([xT, muT, cT]);
          const N = x.length;
          const a1 = a + N / 2;
          const sq = x.map((xi, i) => (c[i]! * (xi - mu[i]!) ** 2) / 2);
          const b1 = b + sum(sq);
          close(r.post.shape![0]!, a1, 1e-12 * a1, 'shape');
          close(r.post.rate![0]!, b1, 1e-6 * b1, 'rate');
          const terms = c.map((ci) => 0.5 * Math.log(ci) - 0.5 * LOG_2PI);
          const want =
            sum(terms) + a * Math.log(b) - gammaln(a) - (a1 * Math.log(b1) - gammaln(a1));
          const tol = 16 * F32_EPS * (sumAbs(terms) + a1 * (1 + Math.abs(Math.log(b1)))) + 1e-9;
          close(r.logZ, want, tol, 'log Z');
        },
      ),
      RUNS,
    );
  });

  it('Dirichlet–Multinomial and Dirichlet–Categorical (one-hot indices)', () => {
    fc.assert(
      fc.property(
        fc.array(pos(0.1, 10), { minLength: 2, maxLength: 6 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer(),
        (alpha, N, seed) => {
          const K = alpha.length;
          let s = seed >>> 0;
          const rand = () => {
            s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
            return s / 2 ** 32;
          };
          const rows = Array.from({ length: N }, () => {
            const row = new Array(K).fill(0);
            const n = 1 + Math.floor(rand() * 30);
            for (let t = 0; t < n; t++) row[Math.floor(rand() * K)]++;
            return row as number[];
          });
          const xT = tf.tensor2d(rows);
          const nT = tf.tensor1d(rows.map(sum));
          const r = update(
            expFamilyOf('Dirichlet')!,
            { alpha },
            expFamilyOf('Multinomial', { n: nT })!,
            'p',
            xT,
            { values: { n: nT } },
            K,
          );
          tf.dispose([xT, nT]);
          const counts = alpha.map((_, k) => sum(rows.map((row) => row[k]!)));
          const a1 = alpha.map((a, k) => a + counts[k]!);
          a1.forEach((v, k) => {
            close(r.post.alpha![k]!, v, 1e-12 * v, `alpha[${k}]`);
          });
          const terms = rows.map(
            (row) => gammaln(sum(row) + 1) - sum(row.map((v) => gammaln(v + 1))),
          );
          const want = sum(terms) + lmvbeta(a1) - lmvbeta(alpha);
          close(r.logZ, want, 16 * F32_EPS * (sumAbs(terms) + 1) + 1e-9 * Math.abs(want), 'log Z');

          // the same draws one at a time as Categorical indices
          const draws = rows.flatMap((row) =>
            row.flatMap((v, k) => new Array(v).fill(k) as number[]),
          );
          const dT = tf.tensor1d(draws, 'int32');
          const rc = update(
            expFamilyOf('Dirichlet')!,
            { alpha },
            expFamilyOf('Categorical', { K })!,
            'p',
            dT,
            {},
            K,
          );
          dT.dispose();
          a1.forEach((v, k) => {
            close(rc.post.alpha![k]!, v, 1e-12 * v, `categorical alpha[${k}]`);
          });
          const wantC = lmvbeta(a1) - lmvbeta(alpha);
          close(rc.logZ, wantC, 1e-9 * (1 + Math.abs(wantC)), 'categorical log Z');
        },
      ),
      RUNS,
    );
  });

  it('Normal–Normal: a mean with known sds per element', () => {
    fc.assert(
      fc.property(
        real(-5, 5),
        pos(0.2, 10),
        fc.array(fc.tuple(real(-10, 10), pos(0.2, 5)), { minLength: 1, maxLength: 30 }),
        (m0, s0, rows) => {
          const x = rows.map(([xi]) => xi);
          const s = rows.map(([, si]) => si);
          const [xT, sT] = [tf.tensor1d(x), tf.tensor1d(s)];
          const r = update(
            expFamilyOf('Normal')!,
            { mu: [m0], sigma: [s0] },
            expFamilyOf('Normal')!,
            'mu',
            xT,
            {
              values: { sigma: sT },
            },
          );
          tf.dispose([xT, sT]);
          // posterior precision and mean; log Z by Bayes' rule at mu = 0:
          // log p(x) = log p(x | 0) + log p(0) − log p(0 | x)
          const prec = 1 / s0 ** 2 + sum(s.map((v) => 1 / v ** 2));
          const mean = (m0 / s0 ** 2 + sum(x.map((xi, i) => xi / s[i]! ** 2))) / prec;
          const logN = (v: number, m: number, sd: number) =>
            -0.5 * ((v - m) / sd) ** 2 - Math.log(sd) - 0.5 * LOG_2PI;
          const lik = x.map((xi, i) => logN(xi, 0, s[i]!));
          const want = sum(lik) + logN(0, m0, s0) - logN(0, mean, 1 / Math.sqrt(prec));
          close(
            r.post.mu![0]!,
            mean,
            1e-5 * (Math.abs(mean) + sum(x.map(Math.abs)) / x.length + 1),
            'mu',
          );
          close(r.post.sigma![0]!, 1 / Math.sqrt(prec), 1e-5 / Math.sqrt(prec), 'sigma');
          const tol = 64 * F32_EPS * (sumAbs(lik) + prec * (mean * mean + 1) + 1);
          close(r.logZ, want, tol, 'log Z');
        },
      ),
      RUNS,
    );
  });
});

describe('expected statistics, entropies and expected log densities', () => {
  const ab = fc.tuple(pos(0.3, 50), pos(0.3, 50));

  it('Beta: E[log x] = psi(a) - psi(a + b), entropy', () => {
    fc.assert(
      fc.property(ab, ([a, b]) => {
        const ef = expFamilyOf('Beta')!;
        const [es, H] = tf.tidy(() => {
          const eta = ef.naturalParams({ a: tf.scalar(a), b: tf.scalar(b) });
          return [
            ef.expectedStats(eta).map((t) => t.dataSync()[0]!),
            entropy(ef, eta).dataSync()[0]!,
          ];
        });
        const ds = digamma(a + b);
        close(es[0]!, digamma(a) - ds, 1e-5 * (1 + Math.abs(ds)), 'E log x');
        close(es[1]!, digamma(b) - ds, 1e-5 * (1 + Math.abs(ds)), 'E log(1 - x)');
        const terms = [lbeta(a, b), (a - 1) * digamma(a), (b - 1) * digamma(b), (a + b - 2) * ds];
        const want = terms[0]! - terms[1]! - terms[2]! + terms[3]!;
        close(H, want, 32 * F32_EPS * sumAbs(terms) + 1e-6, 'entropy');
      }),
      RUNS,
    );
  });

  it('Gamma: E[log x] = psi(a) - log b, E[x] = a / b, entropy', () => {
    fc.assert(
      fc.property(ab, ([a, b]) => {
        const ef = expFamilyOf('Gamma')!;
        const [es, H] = tf.tidy(() => {
          const eta = ef.naturalParams({ shape: tf.scalar(a), rate: tf.scalar(b) });
          return [
            ef.expectedStats(eta).map((t) => t.dataSync()[0]!),
            entropy(ef, eta).dataSync()[0]!,
          ];
        });
        close(es[0]!, digamma(a) - Math.log(b), 1e-5 * (1 + Math.abs(Math.log(b))), 'E log x');
        close(es[1]!, a / b, 1e-5 * (a / b), 'E x');
        const terms = [a, Math.log(b), gammaln(a), (1 - a) * digamma(a)];
        close(
          H,
          terms[0]! - terms[1]! + terms[2]! + terms[3]!,
          32 * F32_EPS * sumAbs(terms) + 1e-6,
          'entropy',
        );
      }),
      RUNS,
    );
  });

  it('Dirichlet: E[log x_k] = psi(alpha_k) - psi(alpha_0), entropy', () => {
    fc.assert(
      fc.property(fc.array(pos(0.3, 30), { minLength: 2, maxLength: 6 }), (alpha) => {
        const ef = expFamilyOf('Dirichlet')!;
        const [es, H] = tf.tidy(() => {
          const eta = ef.naturalParams({ alpha: tf.tensor1d(alpha) });
          return [
            Array.from(ef.expectedStats(eta)[0]!.dataSync()),
            entropy(ef, eta).dataSync()[0]!,
          ];
        });
        const a0 = sum(alpha);
        const K = alpha.length;
        alpha.forEach((a, k) => {
          close(es[k]!, digamma(a) - digamma(a0), 1e-5 * (1 + digamma(a0)), `E log x[${k}]`);
        });
        const terms = [
          lmvbeta(alpha),
          (a0 - K) * digamma(a0),
          ...alpha.map((a) => -(a - 1) * digamma(a)),
        ];
        close(
          H,
          sum(terms),
          32 * F32_EPS * (sumAbs(terms) + sumAbs(alpha.map(gammaln))) + 1e-6,
          'entropy',
        );
      }),
      RUNS,
    );
  });

  it('Normal: E[T] = [mu, mu^2 + sigma^2], entropy log(2 pi e sigma^2) / 2, float64 view agrees', () => {
    fc.assert(
      fc.property(real(-20, 20), pos(0.05, 20), (mu, sigma) => {
        const ef = expFamilyOf('Normal')!;
        const [es, H, A] = tf.tidy(() => {
          const eta = ef.naturalParams({ mu: tf.scalar(mu), sigma: tf.scalar(sigma) });
          return [
            ef.expectedStats(eta).map((t) => t.dataSync()[0]!),
            entropy(ef, eta).dataSync()[0]!,
            ef.logNormalizer(eta).dataSync()[0]!,
          ];
        });
        close(es[0]!, mu, 1e-5 * (Math.abs(mu) + sigma), 'E x');
        close(es[1]!, mu * mu + sigma * sigma, 1e-5 * (mu * mu + sigma * sigma), 'E x^2');
        close(
          H,
          0.5 * Math.log(2 * Math.PI * Math.E * sigma * sigma),
          1e-4 * (1 + (mu / sigma) ** 2),
          'entropy',
        );
        const eta64 = ef.float64!.naturalParams({
          mu: Float64Array.of(mu),
          sigma: Float64Array.of(sigma),
        });
        const A64 = ef.float64!.logNormalizer(eta64, 1)[0]!;
        close(
          A64,
          (mu * mu) / (2 * sigma * sigma) + Math.log(sigma),
          1e-12 * (1 + (mu / sigma) ** 2),
          'A64',
        );
        close(A, A64, 1e-5 * (1 + (mu / sigma) ** 2 + Math.abs(Math.log(sigma))), 'A32 vs A64');
      }),
      RUNS,
    );
  });

  it('E_q[log p(x | parent)] for Beta–Bernoulli, Gamma–Poisson and Gamma–Normal precision with a latent mean', () => {
    fc.assert(
      fc.property(
        ab,
        fc.integer({ min: 0, max: 30 }),
        real(-5, 5),
        real(-3, 3),
        pos(0.1, 4),
        ([a, b], k, x, m, v) => {
          const beta = expFamilyOf('Beta')!;
          const gamma = expFamilyOf('Gamma')!;
          const got = tf.tidy(() => {
            const qBeta = beta.expectedStats(
              beta.naturalParams({ a: tf.scalar(a), b: tf.scalar(b) }),
            );
            const qGamma = gamma.expectedStats(
              gamma.naturalParams({ shape: tf.scalar(a), rate: tf.scalar(b) }),
            );
            const bern = expectedLogProb(
              expFamilyOf('Bernoulli')!,
              'p',
              { value: tf.scalar(k % 2) },
              {},
              qBeta,
            );
            const pois = expectedLogProb(
              expFamilyOf('Poisson')!,
              'rate',
              { value: tf.scalar(k) },
              {},
              qGamma,
            );
            // q(mu) = Normal(m, sqrt(v)): moments [m, m^2 + v]
            const norm = expectedLogProb(
              expFamilyOf('Normal')!,
              'sigma',
              { value: tf.scalar(x) },
              { moments: { mu: [tf.scalar(m), tf.scalar(m * m + v)] } },
              qGamma,
            );
            return [bern, pois, norm].map((t) => t.dataSync()[0]!);
          });
          const Elogp = digamma(a) - digamma(a + b);
          const Elog1p = digamma(b) - digamma(a + b);
          const y = k % 2;
          close(
            got[0]!,
            y * Elogp + (1 - y) * Elog1p,
            1e-5 * (1 + Math.abs(Elogp) + Math.abs(Elog1p)),
            'Bernoulli',
          );
          const Elogl = digamma(a) - Math.log(b);
          const wantP = k * Elogl - a / b - gammaln(k + 1);
          close(
            got[1]!,
            wantP,
            1e-5 * (1 + k * Math.abs(Elogl) + a / b + gammaln(k + 1)),
            'Poisson',
          );
          const Esq = (x - m) ** 2 + v;
          const wantN = 0.5 * Elogl - 0.5 * LOG_2PI - ((a / b) * Esq) / 2;
          close(
            got[2]!,
            wantN,
            1e-5 * (1 + Math.abs(Elogl) + (a / b) * (x * x + m * m + v)),
            'Normal',
          );
        },
      ),
      RUNS,
    );
  });
});

describe('the registry of conjugate pairs', () => {
  it('every pair: the child sends a message to that argument, with one block per prior block', () => {
    for (const p of CONJUGATE_PAIRS) {
      if (p.roles.includes('linear') && p.child === 'MvNormal') continue; // the linear-Gaussian module
      tf.tidy(() => {
        const K = 3;
        const n = tf.tensor1d([4, 5]);
        const child = expFamilyOf(p.child, { n, K })!;
        const x =
          p.child === 'Multinomial'
            ? tf.tensor2d([
                [1, 2, 1],
                [0, 5, 0],
              ])
            : p.child === 'Categorical'
              ? tf.tensor1d([0, 2], 'int32')
              : tf.tensor1d([1, 2]);
        const co: CoParents = {
          values: { n, shape: tf.scalar(2), mu: tf.scalar(0.5), sigma: tf.scalar(2) },
        };
        const m = child.messageToParent!(p.arg, { value: x }, co);
        const prior = expFamilyOf(p.prior)!;
        const args: Record<string, tf.Tensor> =
          p.prior === 'Dirichlet'
            ? { alpha: tf.ones([K]) }
            : p.prior === 'Beta'
              ? { a: tf.scalar(1), b: tf.scalar(1) }
              : p.prior === 'Gamma'
                ? { shape: tf.scalar(1), rate: tf.scalar(1) }
                : { mu: tf.scalar(0), sigma: tf.scalar(1) };
        expect(m.eta.length, p.id).toBe(prior.naturalParams(args).length);
        expect(m.rest.shape, p.id).toEqual([2]);
        expect(() => child.messageToParent!('nope', { value: x }, co)).toThrow(
          /no conjugate parent/,
        );
      });
    }
  });

  it('derives the prior lists, views and lookups the graph analysis uses', () => {
    expect(conjugatePriorsOf('Normal')).toEqual(['Normal', 'Gamma']);
    expect(conjugatePriorsOf('Poisson')).toEqual(['Gamma']);
    expect(conjugatePriorsOf('LogNormal')).toEqual([]);
    expect(findPair('Gamma', 'Normal', 'sigma')?.roles).toEqual(['precision']);
    expect(findPair('Beta', 'Bernoulli', 'logits')).toBeUndefined();
    expect(priorViewOf('Exponential')).toMatchObject({
      as: 'Gamma',
      args: { shape: 1, rate: 'rate' },
    });
    expect(priorViewOf('Uniform')?.when).toEqual({ lo: 0, hi: 1 });
    expect(priorViewOf('LogNormal')).toBeUndefined();
  });

  it('is tensor-free: src/distributions/conjugacy.ts imports only the signatures', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(
      new URL('../../src/distributions/conjugacy.ts', import.meta.url),
      'utf8',
    );
    const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports).toEqual(['./signatures.js']);
  });
});
