// lgamma, digamma, trigamma (float32 tensors) and their float64 twins against @stdlib.
//
// Reference points: the float32 tensors see Math.fround(x), not x, so the reference is evaluated
// at the float32-rounded input; otherwise near x = 1e7 (where float32 spacing is 1) the input
// rounding alone would cost 1e-7 relative in lgamma and far more in digamma's absolute terms.
// Target: |f - ref| <= 1e-6 |ref| + 1e-8 (the absolute floor matters only at the zeros of
// lgamma (1, 2) and digamma (1.4616…), where the relative error of any float32 evaluation is
// unbounded).

import stdDigamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import stdTrigamma from '@stdlib/math-base-special-trigamma';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import {
  digamma,
  lbeta,
  lgamma,
  lmvgamma,
  log1mexp,
  log1p,
  logSumExp,
  softmaxStable,
  tetragamma,
  trigamma,
  xlogy,
} from '../../src/distributions/special.js';
import {
  digamma64,
  hurwitzZeta64,
  lbeta64,
  lgamma64,
  log1mexp64,
  log1pexp64,
  logSumExp64,
  trigamma64,
} from '../../src/distributions/special64.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** log-spaced over [1e-4, 1e7], plus a dense linear grid over [0.5, 4] (the reduction range) */
function grid(): number[] {
  const xs: number[] = [];
  for (let i = 0; i <= 4000; i++) xs.push(Math.fround(10 ** (-4 + (11 * i) / 4000)));
  for (let i = 0; i <= 4000; i++) xs.push(Math.fround(0.5 + (3.5 * i) / 4000));
  // next to the zeros of lgamma and digamma
  for (const z of [1, 2, 1.4616321449683622]) {
    for (let k = -30; k <= 30; k++) xs.push(Math.fround(z + k * 2 ** -22));
  }
  return xs;
}

function evalT(f: (x: tf.Tensor) => tf.Tensor, xs: number[]): Float32Array {
  const start = tf.memory().numTensors;
  const t = tf.tensor1d(xs);
  const y = f(t);
  const out = y.dataSync() as Float32Array;
  tf.dispose([t, y]);
  expect(tf.memory().numTensors).toBe(start);
  return out;
}

function worst(
  ys: ArrayLike<number>,
  xs: number[],
  ref: (x: number) => number,
  rel: number,
  abs: number,
) {
  let bad: { x: number; got: number; want: number } | undefined;
  let maxRatio = 0;
  xs.forEach((x, i) => {
    const want = ref(x);
    const tol = rel * Math.abs(want) + abs;
    const ratio = Math.abs(ys[i]! - want) / tol;
    if (!(ratio <= maxRatio)) {
      maxRatio = ratio;
      bad = { x, got: ys[i]!, want };
    }
  });
  return { maxRatio, bad };
}

describe('float32 special functions against @stdlib', () => {
  const xs = grid();
  for (const [name, f, ref] of [
    ['lgamma', lgamma, gammaln],
    ['digamma', digamma, stdDigamma],
    ['trigamma', trigamma, stdTrigamma],
  ] as const) {
    it(`${name} is within 1e-6 relative (1e-8 absolute at its zeros) on [1e-4, 1e7]`, () => {
      // one large tensor (the vectorised tfjs path) ...
      const ys = evalT(f, xs);
      const big = worst(ys, xs, ref, 1e-6, 1e-8);
      expect(big.maxRatio, JSON.stringify(big.bad)).toBeLessThanOrEqual(1);
      // ... and chunks of at most 1000 elements (the float64 path for small tensors)
      const small: number[] = [];
      for (let i = 0; i < xs.length; i += 1000) small.push(...evalT(f, xs.slice(i, i + 1000)));
      const sm = worst(small, xs, ref, 1e-6, 1e-8);
      expect(sm.maxRatio, JSON.stringify(sm.bad)).toBeLessThanOrEqual(1);
    });
  }

  it('handles 0, +Infinity and negative arguments on both paths', () => {
    const pad = new Array<number>(2000).fill(1);
    for (const n of [0, pad.length]) {
      const at = (f: (x: tf.Tensor) => tf.Tensor, pts: number[]) =>
        Array.from(evalT(f, [...pts, ...pad.slice(0, n)]).slice(0, pts.length));
      expect(at(lgamma, [0, Number.POSITIVE_INFINITY])).toEqual([
        Number.POSITIVE_INFINITY,
        Number.POSITIVE_INFINITY,
      ]);
      expect(at(digamma, [0])).toEqual([Number.NEGATIVE_INFINITY]);
      expect(at(trigamma, [0, Number.POSITIVE_INFINITY])).toEqual([Number.POSITIVE_INFINITY, 0]);
      for (const f of [lgamma, digamma, trigamma])
        expect(Number.isNaN(at(f, [-0.5])[0])).toBe(true);
    }
  });

  it('differentiates: lgamma gives digamma, digamma gives trigamma', () => {
    const pts = [0.01, 0.5, 1, 2.5, 10, 1000];
    const start = tf.memory().numTensors;
    const x = tf.tensor1d(pts);
    const g1 = tf.grad((t: tf.Tensor) => tf.sum(lgamma(t)))(x);
    const g2 = tf.grad((t: tf.Tensor) => tf.sum(digamma(t)))(x);
    const g3 = tf.grad((t: tf.Tensor) => tf.sum(log1p(t)))(x);
    const [d1, d2, d3] = [g1.dataSync(), g2.dataSync(), g3.dataSync()];
    tf.dispose([x, g1, g2, g3]);
    expect(tf.memory().numTensors).toBe(start);
    pts.forEach((p, i) => {
      expect(d1[i]).toBeCloseTo(stdDigamma(p), 4);
      expect(Math.abs(d2[i]! - stdTrigamma(p)) / stdTrigamma(p)).toBeLessThan(1e-5);
      expect(Math.abs(d3[i]! - 1 / (1 + p)) * (1 + p)).toBeLessThan(1e-6);
    });
  });

  it('tetragamma (the gradient of trigamma) matches -2 zeta(3, x) on both paths', () => {
    const pts: number[] = [];
    for (let i = 0; i <= 1500; i++) pts.push(Math.fround(10 ** (-3 + (9 * i) / 1500)));
    const want = (x: number) => -2 * hurwitzZeta64(3, x);
    for (const chunk of [pts, pts.slice(0, 500)]) {
      const ys = evalT(tetragamma, chunk);
      const r = worst(ys, chunk, want, 1e-6, 0);
      expect(r.maxRatio, JSON.stringify(r.bad)).toBeLessThanOrEqual(1);
    }
    const start = tf.memory().numTensors;
    const g = tf.tidy(() =>
      Array.from(
        tf
          .grad((t: tf.Tensor) => tf.sum(trigamma(t)))(tf.tensor1d([0.5, 3, 40]))
          .dataSync(),
      ),
    );
    expect(tf.memory().numTensors).toBe(start);
    [0.5, 3, 40].forEach((x, i) => {
      expect(Math.abs(g[i]! - want(x)) / Math.abs(want(x))).toBeLessThan(1e-6);
    });
  });

  it('log1p is accurate for tiny arguments (unlike tfjs-wasm log1p)', () => {
    const pts = [1e-10, -1e-10, 1e-7, -3e-8, 1e-3, -0.5, 3, 1e6, -1, Number.POSITIVE_INFINITY];
    const ys = evalT(log1p, pts);
    pts.forEach((p, i) => {
      const want = Math.log1p(Math.fround(p));
      if (!Number.isFinite(want)) expect(ys[i]).toBe(want);
      else expect(Math.abs(ys[i]! - want)).toBeLessThanOrEqual(3e-7 * Math.abs(want));
    });
  });

  it('log1mexp, xlogy, logSumExp and softmaxStable handle their edge cases', () => {
    const pts = [-1e-8, -1e-3, -0.5, -0.7, -1, -30, -1000];
    const ys = evalT(log1mexp, pts);
    pts.forEach((p, i) => {
      expect(Math.abs(ys[i]! - log1mexp64(Math.fround(p)))).toBeLessThanOrEqual(
        5e-7 * Math.abs(log1mexp64(Math.fround(p))) + 1e-30,
      );
    });
    const start = tf.memory().numTensors;
    const [xl, lse, sm] = tf.tidy(() => {
      const x = tf.tensor1d([0, 0, 2]);
      const y = tf.tensor1d([0, 3, 0]);
      const m = tf.tensor2d([
        [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY],
        [0, Number.NEGATIVE_INFINITY],
        [1000, 1000],
      ]);
      return [
        Array.from(xlogy(x, y).dataSync()),
        Array.from(logSumExp(m, -1).dataSync()),
        Array.from(softmaxStable(tf.slice(m, [1, 0], [1, 2])).dataSync()),
      ];
    });
    expect(tf.memory().numTensors).toBe(start);
    expect(xl).toEqual([0, 0, Number.NEGATIVE_INFINITY]);
    expect(lse[0]).toBe(Number.NEGATIVE_INFINITY);
    expect(lse[1]).toBeCloseTo(0, 6);
    expect(lse[2]).toBeCloseTo(1000 + Math.log(2), 3);
    expect(sm).toEqual([1, 0]);
  });

  it('lbeta is accurate for small, mixed and large arguments', () => {
    const pairs: [number, number][] = [
      [0.01, 0.02],
      [0.5, 3],
      [2, 7.5],
      [0.3, 1e4],
      [5, 2e5],
      [1e3, 2e3],
      [3e4, 5e4],
      [1e6, 1e6],
    ];
    const start = tf.memory().numTensors;
    const a = tf.tensor1d(pairs.map((p) => p[0]));
    const b = tf.tensor1d(pairs.map((p) => p[1]));
    const y = lbeta(a, b);
    const ys = y.dataSync();
    tf.dispose([a, b, y]);
    expect(tf.memory().numTensors).toBe(start);
    pairs.forEach(([p, q], i) => {
      const want = lbeta64(Math.fround(p), Math.fround(q));
      expect(Math.abs(ys[i]! - want), `lbeta(${p}, ${q})`).toBeLessThanOrEqual(
        2e-6 * Math.abs(want) + 1e-6,
      );
    });
  });

  it('lmvgamma(a, 1) is lgamma and lmvgamma(a, 2) follows its definition', () => {
    const start = tf.memory().numTensors;
    const a = tf.tensor1d([1.5, 4]);
    const y1 = lmvgamma(a, 1);
    const y2 = lmvgamma(a, 2);
    const [v1, v2] = [y1.dataSync(), y2.dataSync()];
    tf.dispose([a, y1, y2]);
    expect(tf.memory().numTensors).toBe(start);
    [1.5, 4].forEach((p, i) => {
      expect(v1[i]).toBeCloseTo(gammaln(p), 5);
      expect(v2[i]).toBeCloseTo(Math.log(Math.PI) / 2 + gammaln(p) + gammaln(p - 0.5), 5);
    });
  });
});

describe('float64 special functions against @stdlib', () => {
  const xs: number[] = [];
  for (let i = 0; i <= 2000; i++) xs.push(10 ** (-6 + (13 * i) / 2000));
  for (let i = 0; i <= 2000; i++) xs.push(-20 + (40 * i) / 2000 + 1e-3);

  for (const [name, f, ref] of [
    ['lgamma64', lgamma64, gammaln],
    ['digamma64', digamma64, stdDigamma],
    ['trigamma64', trigamma64, stdTrigamma],
  ] as const) {
    it(`${name} is within 1e-12 relative for x > 0 (1e-14 absolute at zeros), 1e-10 below 0`, () => {
      const pos = xs.filter((x) => x > 0);
      const neg = xs.filter((x) => x < 0);
      const a = worst(pos.map(f), pos, ref, 1e-12, 1e-14);
      expect(a.maxRatio, JSON.stringify(a.bad)).toBeLessThanOrEqual(1);
      // the reflection formula near the poles is ill-conditioned in any float64 evaluation
      const b = worst(neg.map(f), neg, ref, 1e-10, 1e-14);
      expect(b.maxRatio, JSON.stringify(b.bad)).toBeLessThanOrEqual(1);
    });
  }

  it('poles and infinities', () => {
    expect(lgamma64(0)).toBe(Number.POSITIVE_INFINITY);
    expect(lgamma64(-3)).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(digamma64(-2))).toBe(true);
    expect(trigamma64(Number.POSITIVE_INFINITY)).toBe(0);
  });

  it('lbeta64 matches exact sums of logs for integer arguments', () => {
    for (const [a, b] of [
      [3, 5],
      [40, 700],
      [1000, 30000],
      [50000, 80000],
    ] as const) {
      // B(a, b) = (a-1)! (b-1)! / (a+b-1)!
      let want = 0;
      for (let i = 1; i < a; i++) want += Math.log(i);
      for (let i = b; i < a + b; i++) want -= Math.log(i);
      expect(Math.abs(lbeta64(a, b) - want)).toBeLessThanOrEqual(1e-11 * Math.abs(want));
    }
    expect(lbeta64(0.5, 0.5)).toBeCloseTo(Math.log(Math.PI), 13);
  });

  it("hurwitzZeta64 matches zeta(2) = pi^2/6 and psi' = zeta(2, x)", () => {
    expect(hurwitzZeta64(2, 1)).toBeCloseTo((Math.PI * Math.PI) / 6, 14);
    for (const x of [0.3, 1.7, 12]) {
      expect(Math.abs(hurwitzZeta64(2, x) - stdTrigamma(x)) / stdTrigamma(x)).toBeLessThan(1e-14);
    }
  });

  it('log1pexp64, log1mexp64 and logSumExp64', () => {
    for (const x of [-800, -40, -5, 0, 5, 20, 40, 800]) {
      const want = x > 30 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
      expect(Math.abs(log1pexp64(x) - want)).toBeLessThanOrEqual(
        1e-15 * Math.max(1, Math.abs(want)) + 1e-300,
      );
    }
    expect(log1mexp64(-1e-20)).toBeCloseTo(Math.log(1e-20), 12);
    expect(log1mexp64(-50)).toBeCloseTo(-Math.exp(-50), 30);
    expect(logSumExp64([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logSumExp64([])).toBe(Number.NEGATIVE_INFINITY);
    expect(logSumExp64([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY])).toBe(
      Number.NEGATIVE_INFINITY,
    );
    expect(logSumExp64([-Infinity, 0])).toBe(0);
  });
});
