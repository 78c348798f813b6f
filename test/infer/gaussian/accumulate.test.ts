// The engine-neutral linear-Gaussian accumulation (src/infer/gaussian) called as CAVI would:
// a regression whose noise precision τ is fixed from outside (E[τ]), against the information
// form written here in float64: J = t (k0 I + XᵀX), h = t Xᵀy, log|W| = ½ log|Λ|, and the
// residual ‖b − A m‖² = t (k0 ‖m‖² + ‖y − X m‖²) — through the host and the tfjs paths alike.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { ExprEvaluator } from '../../../src/compile/evaluator.js';
import type { GaussianStep } from '../../../src/graph/conjugacy.js';
import { planConjugate } from '../../../src/infer/exact/plan.js';
import { blockRows } from '../../../src/infer/gaussian/accumulate.js';
import {
  accumulateFactors,
  gaussianLayout,
  residualSumOfSquares,
  solveSystem,
} from '../../../src/infer/gaussian/index.js';
import { boundModel } from '../../support/models.js';
import { prng } from '../../support/prng.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const SRC = `model m {
  size N
  size P
  hyper k0: real(0,) = 1
  data X: real[N, P]
  tau ~ Gamma(2, 2)
  beta ~ Normal(zeros(P), 1 / sqrt(k0 * tau))
  plate i in N { y[i] ~ Normal(dot(X[i], beta), 1 / sqrt(tau)) }
}`;

/** |a − e| ≤ rel (|e| + scale): float32 rows, float64 sums */
function near(a: number, e: number, rel: number, scale: number): void {
  if (!(Math.abs(a - e) <= rel * (Math.abs(e) + scale))) throw new Error(`${a} is not ${e}`);
}

/** J and h against the float64 information form: J = t (k0 I + XᵀX), h = t Xᵀy. */
function expectInformation(
  J: Float64Array,
  h: Float64Array,
  X: number[][],
  y: number[],
  t: number,
  k0: number,
): void {
  const N = X.length;
  const P = X[0]?.length ?? 0;
  for (let a = 0; a < P; a++) {
    let hr = 0;
    for (let i = 0; i < N; i++) hr += X[i][a] * y[i];
    near(h[a], t * hr, 1e-5, t * N * 8);
    for (let b = 0; b < P; b++) {
      let jr = a === b ? k0 : 0;
      for (let i = 0; i < N; i++) jr += X[i][a] * X[i][b];
      near(J[a * P + b], t * jr, 1e-5, t * (k0 + N * 4));
    }
  }
}

/** The residual against float64: t (k0 ‖m‖² + ‖y − X m‖²). */
function expectResidual(
  R: number,
  m: Float64Array,
  X: number[][],
  y: number[],
  t: number,
  k0: number,
) {
  let rr = 0;
  for (const v of m) rr += k0 * v * v;
  for (let i = 0; i < X.length; i++) {
    let fit = 0;
    for (let a = 0; a < m.length; a++) fit += X[i][a] * m[a];
    rr += (y[i] - fit) ** 2;
  }
  near(R, t * rr, 1e-4, t);
}

describe('linear-Gaussian accumulation with the noise precision as an input', () => {
  it('J, h, log|W|, n and the residual match the float64 information form', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 5 }),
        fc.double({ min: 0.05, max: 20, noNaN: true }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        fc.integer(),
        fc.constantFrom(undefined, 0),
        (N, P, t, k0, seed, hostFlops) => {
          const rand = prng(seed);
          const X = Array.from({ length: N }, () =>
            Array.from({ length: P }, () => 4 * rand() - 2),
          );
          const y = X.map((r) => r.reduce((s, v) => s + v, 0) + rand() - 0.5);
          const bound = boundModel(SRC, { N, P, k0, X, y });
          const plan = planConjugate(bound);
          const step = plan.steps.find((s) => s.rule === 'gaussian') as GaussianStep;
          expect(step.precision).toBe('tau');
          const before = tf.memory().numTensors;
          const ev = new ExprEvaluator(bound);
          const layout = gaussianLayout(bound, step.latents, step.blocked);
          const sys = accumulateFactors(step.factors, layout, ev, {
            fixed: { tau: t },
            hostFlops,
          });
          let m: Float64Array;
          let R: number;
          try {
            expect(sys.n).toBe(N);
            // ½ log|Λ| of every factor: N rows of precision t, P prior rows of precision k0 t
            near(sys.logDetW, (N / 2) * Math.log(t) + (P / 2) * Math.log(k0 * t), 1e-6, 1);
            expectInformation(sys.J, sys.h, X, y, t, k0);
            m = solveSystem(sys).m;
            R = residualSumOfSquares(sys, m);
          } finally {
            sys.dispose();
            ev.dispose();
          }
          expect(tf.memory().numTensors).toBe(before);
          expectResidual(R, m, X, y, t, k0);
        },
      ),
      { seed: 3, numRuns: 30 },
    );
  });

  it.each([
    ['the tfjs product over many row blocks (sliced on the device)', { blockRows: 97 }],
    ['the wasm AᵀA kernel on the tensor in place (backend/gram.ts)', {}],
  ])('%s: sums in float64 match', (_, opts) => {
    // N rows cut into blocks of 97 (the last one 30 rows), or the kernel's 1024-row chunks:
    // every block's AᵀA and Aᵀb must be added once; checked against float64 sums written here
    const N = 3000;
    const P = 12;
    const t = 1.7;
    const k0 = 0.5;
    const rand = prng(11);
    const X = Array.from({ length: N }, () => Array.from({ length: P }, () => 4 * rand() - 2));
    const y = X.map((r) => r.reduce((s, v) => s + v, 0) + rand() - 0.5);
    const bound = boundModel(SRC, { N, P, k0, X, y });
    const step = planConjugate(bound).steps.find((s) => s.rule === 'gaussian') as GaussianStep;
    const before = tf.memory().numTensors;
    const ev = new ExprEvaluator(bound);
    const layout = gaussianLayout(bound, step.latents, step.blocked);
    const sys = accumulateFactors(step.factors, layout, ev, {
      fixed: { tau: t },
      hostFlops: 0,
      ...opts,
    });
    let m: Float64Array;
    let R: number;
    try {
      // float32 sums over ≤ 1024 rows of |x| ≤ 2, |y| ≤ 25: error ≲ 1024 · 2⁻²⁴ · 4 per entry
      // and chunk, far below 1e-5 of the N · 4 scale of the sums
      expectInformation(sys.J, sys.h, X, y, t, k0);
      m = solveSystem(sys).m;
      R = residualSumOfSquares(sys, m);
    } finally {
      sys.dispose();
      ev.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    expectResidual(R, m, X, y, t, k0);
  });

  it('row blocks are odd, so no block transpose has a row length of a multiple of 4 KiB', () => {
    for (const cols of [1, 2, 16, 50, 64, 128, 1000, 5000]) {
      const rows = blockRows(cols);
      expect(rows % 2).toBe(1);
      // at least 64 rows; else about 2¹⁸ floats (1 MiB) per block
      expect(rows).toBeGreaterThanOrEqual(64);
      if (cols <= 4096) expect(rows * cols).toBeLessThanOrEqual((1 << 18) + cols);
    }
    expect(blockRows(50, 4096)).toBe(4097);
  });
});
