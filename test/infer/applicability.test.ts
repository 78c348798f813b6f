// `plato engines` without tensors (issue 8): the tensor-free report (src/applies.ts
// enginesWithoutTensors: graph/fixedArgs.ts, infer/applicability.ts) must equal the library's
// engines(), which evaluates the fixed arguments and the discrete analysis's values with the
// compiled plan — on every example with each of its data files, on models that exercise the
// host cardinalities, and on random data near the edges of the argument domains, where float32
// evaluation and float64 data disagree.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { bindModel, enginesWithoutTensors } from '../../src/applies.js';
import { initBackend } from '../../src/backend/index.js';
import type { DataInput } from '../../src/graph/bound.js';
import { compile, engines, PlatoError } from '../../src/index.js';
import { ROOT } from '../cli/helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

type Report = { engines: { name: string; reasons: unknown[] }[] };
type Outcome = { report: unknown } | { error: string } | { undecided: true };

function outcome(f: () => unknown): Outcome {
  try {
    const r = f();
    return r === undefined ? { undecided: true } : { report: JSON.parse(JSON.stringify(r)) };
  } catch (e) {
    if (!(e instanceof PlatoError)) throw e;
    return { error: e.message };
  }
}

/** The library's report (with tensors) and the tensor-free one, for one model and data. */
function both(source: string, data: DataInput | undefined, filename = 'm.plato') {
  const model = compile(source, { filename });
  const full = outcome(() => engines(model, { data, dataWhere: 'x' }));
  const quick = outcome(() => enginesWithoutTensors(bindModel(model, { data, dataWhere: 'x' })));
  return { full, quick };
}

/** Equal where the tensor-free report decides; true when it did. */
function expectSame(r: ReturnType<typeof both>): boolean {
  if ('undecided' in r.quick) return false;
  expect(r.quick).toEqual(r.full);
  return true;
}

describe('the tensor-free engines report equals the library’s', () => {
  const examples = readdirSync(join(ROOT, 'examples')).flatMap((dir) => {
    const files = readdirSync(join(ROOT, 'examples', dir));
    const model = files.find((f) => f.endsWith('.plato')) as string;
    const data = files.filter((f) => f.endsWith('.json'));
    return [undefined, ...data].map((d) => ({ dir, model, data: d }));
  });

  it('on every example, without data and with each data file', () => {
    const undecided: string[] = [];
    for (const { dir, model, data } of examples) {
      const source = readFileSync(join(ROOT, 'examples', dir, model), 'utf8');
      const input = data
        ? (JSON.parse(readFileSync(join(ROOT, 'examples', dir, data), 'utf8')) as DataInput)
        : undefined;
      if (!expectSame(both(source, input, model))) undecided.push(`${dir}/${data}`);
    }
    expect(examples.length).toBeGreaterThan(15);
    // only noisy-OR weights need an evaluation (the finding's exponent at the unit states)
    expect(undecided).toEqual(['noisy_or/noisy_or.json', 'noisy_or_cases/noisy_or_cases.json']);
  });

  it('Categorical states from a selected row, Binomial trials from a known value', () => {
    const source = `model m {
      size N
      hyper T: real[2, 3]
      hyper m: int = 3
      z ~ Bernoulli(0.4)
      k ~ Binomial(m, 0.5)
      plate i in N {
        c[i] ~ Categorical(T[z])
        y[i] ~ Bernoulli(0.1 + 0.2 * k)
      }
    }`;
    const T = [
      [0.2, 0.3, 0.5],
      [0.6, 0.3, 0.1],
    ];
    for (const data of [
      { N: 3, T, c: [0, 2, 1], y: [1, 0, 1] },
      { N: 2, T, c: [0, null], y: [null, 1] },
      { N: 2, T, m: 1, c: [1, 1], y: [0, 0] },
      { N: 1, T: [[0.2, 0.3, 0.4], T[1]], c: [1], y: [0] }, // a row that is not a simplex
    ])
      expect(expectSame(both(source, data))).toBe(true);
  });

  it('the number of states decides the size limit the same way', () => {
    // one factor reads all 8 latents: K^8 joint states, refused beyond 2^24 (K = 9; m = 8)
    const source = `model m {
      size K
      size J = 8
      hyper p: real[K]
      hyper m: int = 7
      plate j in J {
        z[j] ~ Categorical(p)
        k[j] ~ Binomial(m, 0.5)
      }
      y ~ Bernoulli(sum(z) / (8 * K))
      x ~ Bernoulli(sum(k) / (8 * m + 1))
    }`;
    const reasons: (number | undefined)[] = [];
    for (const [K, m] of [
      [8, 7],
      [9, 7],
      [8, 8],
    ]) {
      const r = both(source, { K, p: Array(K).fill(1 / K), m, y: 1, x: 0 });
      expect(expectSame(r)).toBe(true);
      const report = 'report' in r.full ? (r.full.report as Report) : undefined;
      reasons.push(report?.engines[1].reasons.length);
    }
    expect(reasons).toEqual([0, 1, 1]);
  });

  it('a computed number of trials or states is left to the plan', () => {
    const source = `model m {
      size N
      data n: int[N]
      hyper p: real[3] = [0.2, 0.3, 0.5]
      plate i in N {
        k[i] ~ Binomial(n[i] + 1, 0.5)
        c[i] ~ Categorical(softmax(log(p)))
      }
    }`;
    const r = both(source, { N: 2, n: [1, 2] });
    expect(r.quick).toEqual({ undecided: true });
    expect('report' in r.full).toBe(true);
  });

  it('fixed arguments near the edges of their domains: decided only when sure, then equal', async () => {
    // sigma = a[i] - b[i] * c: float32 and float64 disagree within an ulp of 0
    const normal = `model m {
      size N
      data a: real[N]
      data b: real[N]
      hyper c: real = 1
      hyper lo: real = 0
      hyper hi: real = 1
      plate i in N {
        y[i] ~ Normal(0, a[i] - b[i] * c)
        u[i] ~ Uniform(lo, hi)
        p[i] ~ Bernoulli(a[i] * 0.5)
      }
    }`;
    const edge = fc.oneof(
      fc.double({ min: -2, max: 2, noNaN: true }),
      fc.constantFrom(0, 1e-30, -1e-30, 1e-45, 2, 2 + 2 ** -22, 2 - 2 ** -22, 1e-7),
    );
    let decided = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(edge, edge), { minLength: 1, maxLength: 4 }),
        edge,
        fc.tuple(edge, edge),
        async (ab, c, [lo, hi]) => {
          const data = {
            N: ab.length,
            a: ab.map((x) => x[0]),
            b: ab.map((x) => x[1]),
            c,
            lo,
            hi,
            y: ab.map(() => 0),
            u: ab.map(() => 0.5),
            p: ab.map(() => 1),
          };
          if (expectSame(both(normal, data))) decided++;
        },
      ),
      { seed: 3, numRuns: 150 },
    );
    // the property would pass vacuously if nothing were decided without tensors
    expect(decided).toBeGreaterThan(10);
  });
});
