// Linear-Gaussian chains with a vector state (issue 13): several Normal latents per step, reads
// of earlier steps k > 1 (state augmentation) and of earlier latents of the same step, several
// observations per step with missing entries, ragged sequences. Every posterior is compared with
// the dense joint Gaussian of the whole model, conditioned in float64 here
// (test/support/gaussianJoint.ts): the local linear trend (T = 30), an AR(2) latent, and a
// property over random chains of 1–3 latents. Refusals are worded for what exact needs.
// Inputs are rounded to float32 (Math.fround) so that the coefficients the engine evaluates in
// float32 are the ones the reference uses: the remaining differences are float64 rounding,
// amplified by the conditioning of a 60-dimensional joint (tolerances 1e-8 relative).
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { compile, engines, infer } from '../../../src/index.js';
import { type DenseLinearGaussian, denseJoint } from '../../support/gaussianJoint.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const f32 = (x: number) => Math.fround(x);
const close = (a: number, b: number, tol: number): void => {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * (1 + Math.abs(b)));
};

/** A read of latent j, k steps back, with its coefficient. */
type Read = readonly [j: number, k: number, coef: number];
interface Factor {
  readonly reads: readonly Read[];
  readonly offset: number;
  readonly sd: number;
}
/** L latents per step (x_n with n = t L + i) and observations per step. */
interface ChainSpec {
  readonly T: number;
  readonly L: number;
  transition(t: number, i: number): Factor;
  /** the observations of step t, y null where missing */
  observations(t: number): readonly (Factor & { readonly y: number | null })[];
}

function dense(s: ChainSpec): DenseLinearGaussian {
  const N = s.T * s.L;
  const G = Array.from({ length: N }, () => new Array<number>(N).fill(0));
  const mu0: number[] = [];
  const q: number[] = [];
  const H: number[][] = [];
  const d: number[] = [];
  const r: number[] = [];
  const y: number[] = [];
  for (let t = 0; t < s.T; t++) {
    for (let i = 0; i < s.L; i++) {
      const f = s.transition(t, i);
      for (const [j, k, c] of f.reads) G[t * s.L + i]![(t - k) * s.L + j]! += c;
      mu0.push(f.offset);
      q.push(f.sd);
    }
    for (const o of s.observations(t)) {
      if (o.y === null) continue;
      const h = new Array<number>(N).fill(0);
      for (const [j, k, c] of o.reads) h[(t - k) * s.L + j]! += c;
      H.push(h);
      d.push(o.offset);
      r.push(o.sd);
      y.push(o.y);
    }
  }
  return { G, mu0, q, H, d, r, y };
}

/** The engine's posterior of latents `names` (per step) against the dense reference. */
function expectJoint(
  post: Awaited<ReturnType<typeof infer>>,
  names: readonly string[],
  spec: ChainSpec,
  tol: number,
) {
  const ref = denseJoint(dense(spec));
  names.forEach((name, i) => {
    const x = post.latents[name]!;
    for (let t = 0; t < spec.T; t++) {
      close(x.mean.data[t]!, ref.mean[t * spec.L + i]!, tol);
      close(x.sd.data[t]! ** 2, ref.variance[t * spec.L + i]!, tol);
    }
  });
  close(post.logEvidence!, ref.logZ, tol);
}

/** A seeded stream of numbers in [−1, 1) (a 32-bit LCG; Numerical Recipes' constants). */
function stream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

const LLT = compile(`model llt {
  size T
  hyper q: real(0,)
  hyper r: real(0,)
  plate t in T {
    slope[t] ~ Normal(t == 0 ? 0 : slope[t - 1], t == 0 ? 1 : 0.1)
    level[t] ~ Normal(t == 0 ? 0 : level[t - 1] + slope[t - 1], t == 0 ? 10 : q)
    y[t] ~ Normal(level[t], r)
  }
}`);

/** The local linear trend (Durbin & Koopman ch. 3) as a chain of (slope, level). */
const lltSpec = (q: number, r: number, y: readonly (number | null)[]): ChainSpec => ({
  T: y.length,
  L: 2,
  transition: (t, i) =>
    i === 0
      ? t === 0
        ? { reads: [], offset: 0, sd: 1 }
        : { reads: [[0, 1, 1]], offset: 0, sd: f32(0.1) }
      : t === 0
        ? { reads: [], offset: 0, sd: 10 }
        : {
            reads: [
              [1, 1, 1],
              [0, 1, 1],
            ],
            offset: 0,
            sd: q,
          },
  observations: (t) => [{ reads: [[1, 0, 1]], offset: 0, sd: r, y: y[t]! }],
});

describe('linear-Gaussian chains with a vector state', () => {
  it('the local linear trend (T = 30) equals the dense joint Gaussian, with no tensor left', async () => {
    const next = stream(3);
    const y: number[] = [];
    let level = 0;
    let slope = 0.3;
    for (let t = 0; t < 30; t++) {
      slope += 0.1 * next();
      level += slope + 0.5 * next();
      y.push(f32(level + next()));
    }
    const q = f32(0.5);
    const r = f32(1.25);
    const before = tf.memory().numTensors;
    const post = await infer(LLT, { data: { T: 30, q, r, y }, engine: 'exact' });
    expect(tf.memory().numTensors).toBe(before);
    expect(post.engine).toBe('exact');
    expect(post.latents.level!.family).toBe('Normal');
    expectJoint(post, ['slope', 'level'], lltSpec(q, r, y), 1e-8);
  });

  it('the local linear trend with missing observations and ragged sequences', async () => {
    const model = compile(`model llts {
  size S
  size T[S]
  hyper q: real(0,)
  hyper r: real(0,)
  plate s in S {
    plate t in T[s] {
      slope[s, t] ~ Normal(t == 0 ? 0 : slope[s, t - 1], t == 0 ? 1 : 0.1)
      level[s, t] ~ Normal(t == 0 ? 0 : level[s, t - 1] + slope[s, t - 1], t == 0 ? 10 : q)
      y[s, t] ~ Normal(level[s, t], r)
    }
  }
}`);
    const ys: (number | null)[][] = [
      [1, 2.5, null, 4, 4.75, null, 7],
      [0.5],
      [-1, null, null, -2.5, -3],
    ];
    const q = f32(0.75);
    const r = f32(0.5);
    const before = tf.memory().numTensors;
    const post = await infer(model, {
      data: { S: 3, T: ys.map((y) => y.length), q, r, y: ys },
      engine: 'exact',
    });
    expect(tf.memory().numTensors).toBe(before);
    let at = 0;
    let logZ = 0;
    for (const y of ys) {
      const ref = denseJoint(dense(lltSpec(q, r, y)));
      ['slope', 'level'].forEach((name, i) => {
        const x = post.latents[name]!;
        y.forEach((_, t) => {
          close(x.mean.data[at + t]!, ref.mean[t * 2 + i]!, 1e-8);
          close(x.sd.data[at + t]! ** 2, ref.variance[t * 2 + i]!, 1e-8);
        });
      });
      logZ += ref.logZ;
      at += y.length;
    }
    close(post.logEvidence!, logZ, 1e-9);
  });

  it('an AR(2) latent (lag k = 2, read through nested conditionals) equals the dense joint', async () => {
    const model = compile(`model ar2 {
  size T
  hyper a1: real
  hyper a2: real
  hyper s: real(0,)
  plate t in T {
    x[t] ~ Normal(t == 0 ? 0 : (t == 1 ? a1 * x[t - 1] : a1 * x[t - 1] + a2 * x[t - 2]), t < 2 ? 1 : s)
    y[t] ~ Normal(x[t], 0.5)
    z[t] ~ Normal(x[t], 0.75)
  }
}`);
    const next = stream(7);
    const T = 25;
    const y = Array.from({ length: T }, () => f32(2 * next()));
    const z = Array.from({ length: T }, (_, t) => (t % 3 === 1 ? null : f32(next())));
    const a1 = f32(0.6);
    const a2 = f32(-0.3);
    const s = f32(0.8);
    const spec: ChainSpec = {
      T,
      L: 1,
      transition: (t) =>
        t === 0
          ? { reads: [], offset: 0, sd: 1 }
          : t === 1
            ? { reads: [[0, 1, a1]], offset: 0, sd: 1 }
            : {
                reads: [
                  [0, 1, a1],
                  [0, 2, a2],
                ],
                offset: 0,
                sd: s,
              },
      observations: (t) => [
        { reads: [[0, 0, 1]], offset: 0, sd: 0.5, y: y[t]! },
        { reads: [[0, 0, 1]], offset: 0, sd: 0.75, y: z[t]! },
      ],
    };
    const post = await infer(model, { data: { T, a1, a2, s, y, z }, engine: 'exact' });
    expectJoint(post, ['x'], spec, 1e-8);
  });

  it('an observation of an earlier step (y[t] reads x[t - 2]) grows the state', async () => {
    const model = compile(`model back {
  size T
  plate t in T {
    x[t] ~ Normal(t == 0 ? 1 : 0.9 * x[t - 1], 0.5)
    y[t] ~ Normal(t < 2 ? x[t] : x[t] + 0.5 * x[t - 2], 0.25)
  }
}`);
    const next = stream(11);
    const T = 12;
    const y = Array.from({ length: T }, () => f32(next()));
    const spec: ChainSpec = {
      T,
      L: 1,
      transition: (t) =>
        t === 0
          ? { reads: [], offset: 1, sd: 0.5 }
          : { reads: [[0, 1, f32(0.9)]], offset: 0, sd: 0.5 },
      observations: (t) => [
        {
          reads:
            t < 2
              ? [[0, 0, 1]]
              : [
                  [0, 0, 1],
                  [0, 2, 0.5],
                ],
          offset: 0,
          sd: 0.25,
          y: y[t]!,
        },
      ],
    };
    const post = await infer(model, { data: { T, y }, engine: 'exact' });
    expectJoint(post, ['x'], spec, 1e-8);
  });

  it('a deterministic node of the latents (mu[t] = level[t] + 2 * slope[t]) is inlined into its reader', async () => {
    const model = compile(`model det {
  size T
  plate t in T {
    slope[t] ~ Normal(t == 0 ? 0 : slope[t - 1], t == 0 ? 1 : 0.1)
    level[t] ~ Normal(t == 0 ? 0 : level[t - 1] + slope[t - 1], t == 0 ? 10 : 0.5)
    mu[t] = level[t] + 2 * slope[t]
    y[t] ~ Normal(mu[t], 1)
  }
}`);
    const y = [1, 2.5, 2, 4, 3.5, 5, 6.25, 5.5];
    const base = lltSpec(0.5, 1, y);
    const spec: ChainSpec = {
      ...base,
      observations: (t) => [
        {
          reads: [
            [1, 0, 1],
            [0, 0, 2],
          ],
          offset: 0,
          sd: 1,
          y: y[t]!,
        },
      ],
    };
    const post = await infer(model, { data: { T: y.length, y }, engine: 'exact' });
    expectJoint(post, ['slope', 'level'], spec, 1e-8);
  });

  it('several observations per step in a plate inside the chain (y[t, i]), some missing', async () => {
    const model = compile(`model panel {
  size T
  size N
  hyper w: real[N]
  hyper u: real[N]
  hyper r: real(0,)[N]
  plate t in T {
    slope[t] ~ Normal(t == 0 ? 0 : slope[t - 1], t == 0 ? 1 : 0.1)
    level[t] ~ Normal(t == 0 ? 0 : level[t - 1] + slope[t - 1], t == 0 ? 10 : 0.5)
    plate i in N {
      y[t, i] ~ Normal(w[i] * level[t] + u[i] * slope[t], r[i])
    }
  }
}`);
    const w = [1, 0.5, -2];
    const u = [0, 4, 1.5];
    const r = [1, 0.25, 2];
    const next = stream(5);
    const T = 15;
    const y = Array.from({ length: T }, (_, t) =>
      w.map((_, i) => ((t + i) % 4 === 3 ? null : f32(3 * next() + t))),
    );
    const base = lltSpec(0.5, 1, new Array<number>(T).fill(0));
    const spec: ChainSpec = {
      ...base,
      observations: (t) =>
        w.map((wi, i) => ({
          reads: [
            [1, 0, wi],
            [0, 0, u[i]!],
          ],
          offset: 0,
          sd: r[i]!,
          y: y[t]![i]!,
        })),
    };
    const before = tf.memory().numTensors;
    const post = await infer(model, { data: { T, N: 3, w, u, r, y }, engine: 'exact' });
    expect(tf.memory().numTensors).toBe(before);
    expectJoint(post, ['slope', 'level'], spec, 1e-8);
  });

  it('random chains of 1–3 latents (lag-1 and same-step reads, 1–2 observations with missing entries) equal the dense joint', async () => {
    const coef = fc.double({ min: -0.9, max: 0.9, noNaN: true }).map(f32);
    const sd = fc.double({ min: 0.2, max: 2, noNaN: true }).map(f32);
    const sparse = fc.oneof(fc.constant(0), coef);
    const chain = fc.integer({ min: 1, max: 3 }).chain((L) =>
      fc.record({
        L: fc.constant(L),
        T: fc.integer({ min: 1, max: 10 }),
        m0: fc.array(coef, { minLength: L, maxLength: L }),
        s0: fc.array(sd, { minLength: L, maxLength: L }),
        b: fc.array(coef, { minLength: L, maxLength: L }),
        q: fc.array(sd, { minLength: L, maxLength: L }),
        A: fc.array(fc.array(sparse, { minLength: L, maxLength: L }), {
          minLength: L,
          maxLength: L,
        }),
        E: fc.array(fc.array(sparse, { minLength: L, maxLength: L }), {
          minLength: L,
          maxLength: L,
        }),
        obs: fc.array(
          fc.record({
            c: fc.array(coef, { minLength: L, maxLength: L }),
            d: coef,
            r: sd,
            missing: fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
          }),
          { minLength: 1, maxLength: 2 },
        ),
        seed: fc.integer({ min: 1, max: 1e6 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(chain, async (raw) => {
        // some read of an earlier step, or the plate is no chain (the conjugate half solves it)
        const chained = raw.A.some((row) => row.some((a) => a !== 0));
        const g = chained
          ? raw
          : { ...raw, A: raw.A.map((row, i) => row.map((a, j) => (i === 0 && j === 0 ? 0.5 : a))) };
        const n = (v: number) => `(${v})`;
        // a coefficient that is 0 is left out of the source (a sparser structure)
        const sum = (terms: readonly [number, string][]) =>
          terms
            .filter(([c]) => c !== 0)
            .map(([c, x]) => ` + ${n(c)} * ${x}`)
            .join('');
        const same = (i: number) =>
          sum(g.E[i]!.slice(0, i).map((e, j) => [e, `x${j}[t]`] as [number, string]));
        const lines: string[] = [];
        for (let i = 0; i < g.L; i++) {
          const lag = sum(g.A[i]!.map((a, j) => [a, `x${j}[t - 1]`] as [number, string]));
          lines.push(
            `x${i}[t] ~ Normal(t == 0 ? ${n(g.m0[i]!)}${same(i)} : ${n(g.b[i]!)}${lag}${same(i)}, t == 0 ? ${n(g.s0[i]!)} : ${n(g.q[i]!)})`,
          );
        }
        g.obs.forEach((o, e) => {
          const terms = o.c.map((c, j) => [c === 0 ? f32(0.5) : c, `x${j}[t]`] as [number, string]);
          lines.push(`y${e}[t] ~ Normal(${n(o.d)}${sum(terms)}, ${n(o.r)})`);
        });
        const source = `model rand {\n  size T\n  plate t in T {\n    ${lines.join('\n    ')}\n  }\n}`;
        const next = stream(g.seed);
        const data: Record<string, unknown> = { T: g.T };
        const ys = g.obs.map((o, e) => {
          // the first entry is observed (a node with every entry missing is latent)
          const y = Array.from({ length: g.T }, (_, t) =>
            t > 0 && o.missing[t] ? null : f32(3 * next()),
          );
          data[`y${e}`] = y;
          return y;
        });
        const spec: ChainSpec = {
          T: g.T,
          L: g.L,
          transition: (t, i) => {
            const sameReads = g.E[i]!.slice(0, i).map((e, j) => [j, 0, e] as Read);
            return t === 0
              ? { reads: sameReads, offset: g.m0[i]!, sd: g.s0[i]! }
              : {
                  reads: [...g.A[i]!.map((a, j) => [j, 1, a] as Read), ...sameReads],
                  offset: g.b[i]!,
                  sd: g.q[i]!,
                };
          },
          observations: (t) =>
            g.obs.map((o, e) => ({
              reads: o.c.map((c, j) => [j, 0, c === 0 ? f32(0.5) : c] as Read),
              offset: o.d,
              sd: o.r,
              y: ys[e]![t]!,
            })),
        };
        const post = await infer(compile(source), { data, engine: 'exact' });
        expectJoint(
          post,
          Array.from({ length: g.L }, (_, i) => `x${i}`),
          spec,
          1e-8,
        );
      }),
      { seed: 13, numRuns: 40 },
    );
  });
});

describe('which chains exact refuses, and why', () => {
  const reasonsOf = (source: string, data: Record<string, unknown>) => {
    const r = engines(compile(source), { data });
    return r.engines.find((e) => e.name === 'exact')!;
  };

  it('the local linear trend applies (its latents were refused as "besides the chain")', () => {
    const exact = reasonsOf(
      `model llt {
  size T
  plate t in T {
    slope[t] ~ Normal(t == 0 ? 0 : slope[t - 1], 0.1)
    level[t] ~ Normal(t == 0 ? 0 : level[t - 1] + slope[t - 1], 1)
    y[t] ~ Normal(level[t], 1)
  }
}`,
      { T: 3, y: [1, 2, 3] },
    );
    expect(exact.applies).toBe(true);
  });

  it('a non-linear transition is refused at its node, saying what exact needs', () => {
    for (const mean of ['x[t - 1] * x[t - 1]', 'exp(x[t - 1])']) {
      const exact = reasonsOf(
        `model nl {
  size T
  plate t in T {
    w[t] ~ Normal(t == 0 ? 0 : w[t - 1], 1)
    x[t] ~ Normal(t == 0 ? 0 : ${mean} + w[t], 1)
    y[t] ~ Normal(x[t], 1)
  }
}`,
        { T: 3, y: [1, 2, 3] },
      );
      expect(exact.applies).toBe(false);
      const r = exact.reasons[0]!;
      expect(r.node).toBe('x');
      expect(r.line).toBe(5);
      expect(r.message).toMatch(/^the transition of x is not linear in the chain's latents: /);
      expect(r.message).toMatch(
        /exact solves a chain of scalar Normal latents by the Kalman smoother when every mean is affine in them \(known coefficients\) and every sd is known$/,
      );
    }
  });

  it('a state above 32 numbers per step is refused at the latent read furthest back', () => {
    const exact = reasonsOf(
      `model far {
  size T
  plate t in T {
    x[t] ~ Normal(t < 40 ? 0 : 0.5 * x[t - 40], 1)
    y[t] ~ Normal(x[t], 1)
  }
}`,
      { T: 3, y: [1, 2, 3] },
    );
    expect(exact.applies).toBe(false);
    expect(exact.reasons[0]!.node).toBe('x');
    expect(exact.reasons[0]!.message).toMatch(
      /the chain's state has 40 numbers per step .* more than the 32 the smoother keeps/,
    );
  });

  it('a state whose covariances would not fit in memory is an error naming the latent, with no tensor left', async () => {
    const model = compile(`model wide {
  size T
  plate t in T {
    x[t] ~ Normal(t < 31 ? 0 : 0.5 * x[t - 31], 1)
    y[t] ~ Normal(x[t], 1)
  }
}`);
    // d = 31: 140,000 steps × 31² > 2²⁷ entries of each covariance array
    const T = 140_000;
    const before = tf.memory().numTensors;
    await expect(
      infer(model, { data: { T, y: new Array<number>(T).fill(0) }, engine: 'exact' }),
    ).rejects.toThrow(/^x: the chain's state has 31 numbers per step over 140000 elements/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a latent sd, a non-Normal observation and a latent outside the chain are refused', () => {
    const cases: [string, string, RegExp][] = [
      [
        'x[t] ~ Normal(t == 0 ? 0 : x[t - 1], 1)\n    y[t] ~ Normal(0, exp(x[t]))',
        'y',
        /^the sd of y is not known; exact solves/,
      ],
      [
        'x[t] ~ Normal(t == 0 ? 0 : x[t - 1], 1)\n    y[t] ~ Poisson(exp(x[t]))',
        'y',
        /^y is a Poisson reading x, not a Normal; exact solves/,
      ],
    ];
    for (const [body, node, message] of cases) {
      const exact = reasonsOf(`model m {\n  size T\n  plate t in T {\n    ${body}\n  }\n}`, {
        T: 3,
        y: [1, 2, 3],
      });
      expect(exact.applies).toBe(false);
      expect(exact.reasons[0]!.node).toBe(node);
      expect(exact.reasons[0]!.message).toMatch(message);
    }
    const outside = reasonsOf(
      `model m {
  size T
  mu ~ Normal(0, 1)
  plate t in T {
    x[t] ~ Normal(t == 0 ? mu : x[t - 1], 1)
    y[t] ~ Normal(x[t], 1)
  }
}`,
      { T: 3, y: [1, 2, 3] },
    );
    expect(outside.reasons[0]!.node).toBe('mu');
    expect(outside.reasons[0]!.message).toMatch(/^mu is latent outside the chain over 't'/);
  });

  it('a Categorical chain keeps the forward–backward wording', () => {
    const exact = reasonsOf(
      `model hmm2 {
  size T
  hyper init: simplex[2]
  hyper A: simplex[2, 2]
  plate t in T {
    z[t] ~ Categorical(t == 0 ? init : A[z[t - 1]])
    w[t] ~ Normal(0, 1)
    y[t] ~ Normal(w[t], 1)
  }
}`,
      {
        T: 2,
        init: [0.5, 0.5],
        A: [
          [0.9, 0.1],
          [0.2, 0.8],
        ],
        y: [1, 2],
      },
    );
    expect(exact.applies).toBe(false);
    expect(exact.reasons[0]!.message).toMatch(
      /^w is latent besides the chain's z; exact solves a chain of one Categorical latent per step by forward–backward/,
    );
  });
});
