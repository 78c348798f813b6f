// Every case of the table (cases.ts) through the same checks: log density against an independent
// float64 formula over random parameters (fast-check, fixed seed), sample moments against the
// analytic ones with tolerances of 5 standard errors, support, determinism, shapes, and no leaks.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { makeDistribution, Rng } from '../../src/distributions/index.js';
import { CASES, type Case, type Params, type Val } from './cases.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** stack each parameter over the batch elements (optionally reshaped to `batch`) */
function argsOf(ps: Params[], batch?: number[]): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const name of Object.keys(ps[0]!)) {
    const t = tf.tensor(ps.map((p) => p[name]!) as number[]);
    if (batch) {
      out[name] = tf.reshape(t, [...batch, ...t.shape.slice(1)]);
      t.dispose();
    } else {
      out[name] = t;
    }
  }
  return out;
}

const flat = (v: number | number[]): number[] => (Array.isArray(v) ? v : [v]);

function expectClose(
  actual: number,
  expected: number,
  rel: number,
  abs: number,
  what: string,
): void {
  if (expected === actual) return;
  const tol = abs + rel * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`${what}: got ${actual}, expected ${expected} (tolerance ${tol})`);
  }
}

describe.each(CASES)('$name', (c: Case) => {
  it('logProb of its own draws equals the float64 reference', () => {
    fc.assert(
      fc.property(fc.tuple(c.params, c.params, c.params), (ps) => {
        const start = tf.memory().numTensors;
        const args = argsOf(ps);
        const d = makeDistribution(c.family, args);
        const x = d.sample([4], new Rng(1));
        const lp = d.logProb(x);
        const xs = x.arraySync() as Val[][];
        const lps = lp.arraySync() as number[][];
        tf.dispose([x, lp, ...Object.values(args)]);
        d.dispose!();
        expect(tf.memory().numTensors).toBe(start);
        for (let s = 0; s < 4; s++) {
          for (let b = 0; b < ps.length; b++) {
            const ref = c.ref(xs[s]![b]!, ps[b]!);
            const what = `${c.name} ${JSON.stringify(ps[b])} at x = ${JSON.stringify(xs[s]![b])}`;
            expectClose(lps[s]![b]!, ref, 1e-4, 1e-4, what);
          }
        }
      }),
      { seed: 42, numRuns: 25 },
    );
  });

  it('sample moments match mean(), variance() and the analytic moments', () => {
    const ps = fc.sample(c.moderate, { seed: 7, numRuns: 3 });
    const start = tf.memory().numTensors;
    const args = argsOf(ps);
    const d = makeDistribution(c.family, args);
    const n = 20000;
    const x = d.sample([n], new Rng(3));
    const m = d.mean();
    const v = d.variance();
    const xs = x.arraySync() as Val[][];
    const ms = m.arraySync() as (number | number[])[];
    const vs = v.arraySync() as (number | number[])[];
    tf.dispose([x, m, v, ...Object.values(args)]);
    d.dispose!();
    expect(tf.memory().numTensors).toBe(start);
    ps.forEach((p, b) => {
      if (c.quantile) {
        // no moments: mean() and variance() are NaN, and the empirical CDF at each analytic
        // quantile x_q is q within 5 binomial standard errors sqrt(q (1 - q) / n)
        expect(ms[b], `${c.name} mean()`).toBeNaN();
        expect(vs[b], `${c.name} variance()`).toBeNaN();
        for (const q of [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) {
          const xq = c.quantile(q, p);
          let below = 0;
          for (const row of xs) if ((row[b] as number) <= xq) below++;
          expect(
            Math.abs(below / n - q),
            `${c.name} ${JSON.stringify(p)}: F(${xq}) vs ${q}`,
          ).toBeLessThanOrEqual(5 * Math.sqrt((q * (1 - q)) / n));
        }
        return;
      }
      const mu = flat(c.mean(p));
      const va = flat(c.variance(p));
      flat(ms[b]!).forEach((got, k) => {
        expectClose(got, mu[k]!, 1e-5, 1e-7, `${c.name} mean()[${k}]`);
      });
      flat(vs[b]!).forEach((got, k) => {
        expectClose(got, va[k]!, 1e-5, 1e-7, `${c.name} variance()[${k}]`);
      });
      const stats = xs.map((row) =>
        c.stat ? c.stat(row[b]!, p) : flat(row[b] as number | number[]),
      );
      mu.forEach((m0, k) => {
        let s1 = 0;
        for (const st of stats) s1 += st[k]!;
        const mh = s1 / n;
        let s2 = 0;
        let s4 = 0;
        for (const st of stats) {
          const dd = st[k]! - mh;
          s2 += dd * dd;
          s4 += dd ** 4;
        }
        const vh = s2 / (n - 1);
        const m4 = s4 / n;
        const what = `${c.name} ${JSON.stringify(p)} component ${k}`;
        // 5 standard errors of the sample mean and of the sample variance
        expect(Math.abs(mh - m0), `${what}: mean ${mh} vs ${m0}`).toBeLessThanOrEqual(
          5 * Math.sqrt(va[k]! / n) + 1e-12,
        );
        // Var(s^2) = (mu4 - sigma^4 (n - 3)/(n - 1)) / n, from the sample's own moments
        const seVar = Math.sqrt(Math.max(m4 - (vh * vh * (n - 3)) / (n - 1), 0) / n);
        expect(Math.abs(vh - va[k]!), `${what}: variance ${vh} vs ${va[k]}`).toBeLessThanOrEqual(
          5 * seVar + 1e-12,
        );
      });
    });
  });

  it('is -Infinity outside the support, never NaN', () => {
    const [p] = fc.sample(c.moderate, { seed: 9, numRuns: 1 });
    const start = tf.memory().numTensors;
    const args = argsOf([p!]);
    const d = makeDistribution(c.family, args);
    for (const pt of c.outside(p!)) {
      const xt = tf.tensor(pt as number[]);
      const lp = d.logProb(xt);
      const vals = Array.from(lp.dataSync());
      tf.dispose([xt, lp]);
      expect(vals, `${c.name} at ${JSON.stringify(pt)}`).toEqual([Number.NEGATIVE_INFINITY]);
    }
    tf.dispose(Object.values(args));
    d.dispose!();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('draws are determined by the seed', () => {
    const ps = fc.sample(c.moderate, { seed: 11, numRuns: 2 });
    const start = tf.memory().numTensors;
    const args = argsOf(ps);
    const d = makeDistribution(c.family, args);
    const draw = (seed: number) => {
      const x = d.sample([50], new Rng(seed));
      const a = Array.from(x.dataSync());
      x.dispose();
      return a;
    };
    const a = draw(5);
    expect(draw(5)).toEqual(a);
    expect(draw(6)).not.toEqual(a);
    tf.dispose(Object.values(args));
    d.dispose!();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('has batch, event and sample shapes', () => {
    const ps = fc.sample(c.moderate, { seed: 13, numRuns: 6 });
    const start = tf.memory().numTensors;
    const args = argsOf(ps, [2, 3]);
    const d = makeDistribution(c.family, args);
    const ev = c.eventRank === 1 ? [flat(c.mean(ps[0]!)).length] : [];
    expect(d.batchShape).toEqual([2, 3]);
    expect(d.eventShape).toEqual(ev);
    const x = d.sample([4], new Rng(2));
    expect(x.shape).toEqual([4, 2, 3, ...ev]);
    const lp = d.logProb(x);
    expect(lp.shape).toEqual([4, 2, 3]);
    const m = d.mean();
    const meanEv = c.stat ? [c.stat(0, ps[0]!).length] : ev;
    expect(m.shape).toEqual([2, 3, ...meanEv]);
    const v = d.variance();
    expect(v.shape).toEqual([2, 3, ...meanEv]);
    for (const [k, t] of Object.entries(d.params)) {
      expect(t.shape.slice(0, 2), k).toEqual([2, 3]);
    }
    tf.dispose([x, lp, m, v, ...Object.values(args)]);
    d.dispose!();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('handles empty sample and batch shapes', () => {
    const [p] = fc.sample(c.moderate, { seed: 17, numRuns: 1 });
    const start = tf.memory().numTensors;
    tf.tidy(() => {
      const one = argsOf([p!]);
      const ev = c.eventRank === 1 ? [flat(c.mean(p!)).length] : [];
      const d = makeDistribution(c.family, one);
      expect(d.sample([0], new Rng(1)).shape).toEqual([0, 1, ...ev]);
      // a plate of size 0: every argument with an empty batch axis
      const empty = Object.fromEntries(
        Object.entries(one).map(([k, t]) => [
          k,
          tf.slice(
            t,
            t.shape.map(() => 0),
            [0, ...t.shape.slice(1)],
          ),
        ]),
      );
      const e = makeDistribution(c.family, empty);
      expect(e.batchShape).toEqual([0]);
      const x = e.sample([3], new Rng(1));
      expect(x.shape).toEqual([3, 0, ...ev]);
      expect(e.logProb(x).shape).toEqual([3, 0]);
      expect(e.mean().shape[0]).toBe(0);
      expect(e.variance().shape[0]).toBe(0);
    });
    expect(tf.memory().numTensors).toBe(start);
  });
});
