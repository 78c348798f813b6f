// Values known before running are checked at binding (src/graph/argChecks.ts), and both
// `sample` and `infer` refuse a model that fails: an index read from data past its axis
// (issue 7 item 1), a probability row that is not a simplex (item 2), an argument outside its
// domain in a row a latent can select (item 3). Random small models and data; every property
// also runs the valid twin of each case, which must be accepted.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { compile, infer, PlatoError, sample } from '../../src/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** The PlatoError both sample and infer throw, or undefined when both accept the data. */
async function refusal(
  source: string,
  data: Record<string, unknown>,
): Promise<{ sample?: PlatoError; infer?: PlatoError }> {
  const model = compile(source, { filename: 'm.plato' });
  const out: { sample?: PlatoError; infer?: PlatoError } = {};
  for (const which of ['sample', 'infer'] as const) {
    try {
      if (which === 'sample') await sample(model, { data, n: 2 });
      else await infer(model, { data, engine: 'auto' });
    } catch (e) {
      if (!(e instanceof PlatoError)) throw e;
      out[which] = e;
    }
  }
  return out;
}

/** The valid twin: sample accepts it; infer too, or refuses it for another reason (no engine). */
function expectAccepted(r: { sample?: PlatoError; infer?: PlatoError }) {
  expect(r.sample).toBeUndefined();
  expect(r.infer?.message ?? '').not.toMatch(/outside its domain|not a simplex|as an index/);
}

function expectRefused(r: { sample?: PlatoError; infer?: PlatoError }, ...parts: string[]) {
  for (const e of [r.sample, r.infer]) {
    expect(e).toBeInstanceOf(PlatoError);
    for (const p of parts) expect(e!.message).toContain(p);
  }
}

/** A random probability row of length k, normalised in float64. */
const row = (k: number) =>
  fc
    .array(fc.integer({ min: 1, max: 9 }), { minLength: k, maxLength: k })
    .map((w) => w.map((x) => x / w.reduce((a, b) => a + b, 0)));

describe('an index read from the data must lie in its axis (item 1)', () => {
  it('any entry past the axis, with or without bounds on the declaration, names the entry', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }), // G
        fc.integer({ min: 1, max: 5 }), // N
        fc.boolean(), // mu a vector node, or a plate of G nodes
        fc.constantFrom('int', 'int(0,)'),
        fc.nat(), // which entry is bad
        fc.integer({ min: 0, max: 3 }), // how far past the end
        fc.boolean(), // the valid twin instead
        async (G, N, vector, type, which, past, valid) => {
          const mu = vector
            ? '  mu ~ Normal(zeros(G), 10)'
            : '  plate k in G {\n    mu[k] ~ Normal(0, 10)\n  }';
          const source = `model m {\n  size N\n  size G\n  data g: ${type}[N]\n${mu}\n  plate i in N {\n    y[i] ~ Normal(mu[g[i]], 1)\n  }\n}\n`;
          const g = Array.from({ length: N }, (_, i) => i % G);
          const j = which % N;
          if (!valid) g[j] = G + past;
          const r = await refusal(source, { G, g, y: g.map((x) => x + 0.5) });
          if (valid) {
            expectAccepted(r);
          } else {
            expectRefused(r, `data g[${j}] = ${G + past}`, `length G = ${G}`, `0…${G - 1}`);
          }
        },
      ),
      { seed: 7, numRuns: 60 },
    );
  });

  it('a negative index and a hyper index are refused too', async () => {
    const source =
      'model m {\n  size N\n  size G = 3\n  hyper k: int = 0\n  data g: int[N]\n  mu ~ Normal(zeros(G), 1)\n  plate i in N {\n    y[i] ~ Normal(mu[g[i]] + mu[k], 1)\n  }\n}\n';
    expectRefused(await refusal(source, { g: [0, -1], y: [1, 2] }), 'data g[1] = -1', '0…2');
    expectRefused(await refusal(source, { g: [0, 1], k: 3, y: [1, 2] }), 'hyper k = 3', '0…2');
  });
});

describe('a known probability vector must be a simplex (item 2)', () => {
  it('a row summing to other than 1 is refused naming the variable and row', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4 }).chain((K) =>
          fc.tuple(
            fc.constant(K),
            fc
              .integer({ min: 2, max: 3 })
              .chain((R) => fc.array(row(K), { minLength: R, maxLength: R })),
          ),
        ),
        fc.constantFrom('hyper-latent', 'data-plate', 'param-multinomial'),
        fc.nat(),
        fc.oneof(
          fc.double({ min: 1e-6, max: 0.5, noNaN: true }),
          fc.double({ min: -0.5, max: -1e-6, noNaN: true }),
        ),
        fc.boolean(),
        async ([K, rows], form, which, delta, valid) => {
          const T = rows.map((r) => [...r]); // fast-check reuses its values while shrinking
          const R = T.length;
          const bad = which % R;
          if (!valid) T[bad] = T[bad].map((p, k) => (k === 0 ? p + delta : p));
          let source: string;
          let data: Record<string, unknown>;
          if (form === 'hyper-latent') {
            source = `model m {\n  size R\n  size K\n  hyper T: real[R, K]\n  z ~ Categorical(rep(1.0 / R, R))\n  x ~ Categorical(T[z])\n}\n`;
            data = { R, K, T, x: 0 };
          } else if (form === 'data-plate') {
            source = `model m {\n  size R\n  size K\n  data T: real[R, K]\n  plate i in R {\n    x[i] ~ Categorical(T[i])\n  }\n}\n`;
            data = { K, T, x: T.map(() => 0) };
          } else {
            source = `model m {\n  size R\n  size K\n  param T: real(0,)[R, K]\n  z ~ Categorical(rep(1.0 / R, R))\n  x ~ Multinomial(3, T[z])\n}\n`;
            data = { R, K, T, x: [3, ...new Array(K - 1).fill(0)] };
          }
          const r = await refusal(source, data);
          if (valid) {
            expectAccepted(r);
          } else if (T[bad][0] < 0) {
            expectRefused(r, `T[${bad}, 0] = ${T[bad][0]}`, 'outside its domain');
          } else {
            expectRefused(r, `T[${bad}], which is not a simplex`);
          }
        },
      ),
      { seed: 11, numRuns: 60 },
    );
  });

  it('the tolerance is 1e-8 on the float64 sum', async () => {
    const source = 'model m {\n  size K\n  hyper p: real[K]\n  x ~ Categorical(p)\n}\n';
    const within = await refusal(source, { p: [0.5, 0.5 + 5e-9], x: 0 });
    expectAccepted(within);
    expectRefused(
      await refusal(source, { p: [0.5, 0.5 + 2e-8], x: 0 }),
      'hyper p, which is not a simplex',
    );
  });
});

describe('an argument outside its domain in a row a latent selects (item 3)', () => {
  const families = [
    { dist: 'Normal(0, S[z])', arg: 'sigma', bad: -1, good: 2, x: 0.3 },
    { dist: 'Bernoulli(S[z])', arg: 'p', bad: 1.5, good: 0.25, x: 1 },
    { dist: 'Poisson(S[z])', arg: 'rate', bad: -2, good: 3, x: 2 },
    { dist: 'Gamma(S[z], 1)', arg: 'shape', bad: 0, good: 2, x: 1.5 },
  ];
  it('every selectable row is checked, by sample and infer alike', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...families),
        fc.integer({ min: 2, max: 4 }), // R rows
        fc.nat(),
        fc.boolean(), // z a Categorical over R, or observed data for x
        fc.boolean(),
        async (f, R, which, observed, valid) => {
          const S = new Array(R).fill(f.good);
          const bad = which % R;
          if (!valid) S[bad] = f.bad;
          const source = `model m {\n  size R\n  hyper S: real[R]\n  z ~ Categorical(rep(1.0 / R, R))\n  x ~ ${f.dist}\n}\n`;
          const r = await refusal(source, { R, S, ...(observed ? { x: f.x } : {}) });
          if (valid) {
            expectAccepted(r);
          } else {
            expectRefused(
              r,
              `x ~ ${f.dist.split('(')[0]}: the argument ${f.arg} = S[z] reads hyper S[${bad}] = ${f.bad}`,
              'outside its domain',
            );
          }
        },
      ),
      { seed: 13, numRuns: 60 },
    );
  });
});
