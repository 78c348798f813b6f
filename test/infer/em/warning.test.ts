// A log-likelihood that decreases is a warning naming the iteration (EM never decreases it, so
// it signals a numerical problem). The real E-step never does this on these data, so its
// result is perturbed here: from the third E-step on, logZ is lowered by 1 nat per call.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import type { Diagnostic } from '../../../src/diagnostics/diagnostics.js';
import { compile, infer } from '../../../src/index.js';

vi.mock('../../../src/infer/discrete/estep.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/infer/discrete/estep.js')>();
  class Perturbed extends real.DiscreteEStep {
    calls = 0;
    override run(values: Parameters<typeof real.DiscreteEStep.prototype.run>[0]) {
      const e = super.run(values);
      this.calls++;
      return this.calls >= 3 ? { ...e, logZ: e.logZ - 1000 * (this.calls - 2) } : e;
    }
  }
  return { ...real, DiscreteEStep: Perturbed };
});

beforeAll(async () => {
  await initBackend('wasm');
});

const MODEL = compile(`model mix {
  size N
  param pi: simplex[2]
  param mu: real[2]
  plate i in N {
    z[i] ~ Categorical(pi)
    x[i] ~ Normal(mu[z[i]], 1)
  }
}`);

describe('em warnings', () => {
  it('a decrease of the log-likelihood is reported with its iteration', async () => {
    const warnings: Diagnostic[] = [];
    const x = [-2.1, -1.9, -2.4, 1.8, 2.2, 2.0, -2.0, 2.3];
    const r = await infer(MODEL, {
      data: { N: x.length, x },
      engine: 'em',
      iters: 3,
      tol: 1e-12,
      onWarning: (w) => warnings.push(w),
    });
    expect(r.iterations).toBe(3);
    // E-steps 0, 1 are real; 2 and 3 are lowered: iterations 2 and 3 decrease
    expect(warnings.map((w) => w.severity)).toEqual(['warning', 'warning']);
    expect(warnings[0].message).toMatch(/^em: the log-likelihood decreased at iteration 2 \(from /);
    expect(warnings[1].message).toMatch(/at iteration 3 /);
  });
});
