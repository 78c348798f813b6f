import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlatoError } from '../../src/diagnostics/diagnostics.js';
import { bind } from '../../src/graph/bind.js';
import type { BoundModel, DataInput } from '../../src/graph/bound.js';
import { readDataText } from '../../src/graph/data.js';
import type { ModelGraph } from '../../src/graph/ir.js';
import { MODELS } from '../support/models.js';
import { graphOf, thrownMessages, uncheckedGraphOf } from './helpers.js';

const graphs = Object.fromEntries(
  Object.entries(MODELS).map(([k, src]) => [k, graphOf(src, `${k}.plato`)]),
) as Record<keyof typeof MODELS, ModelGraph>;

const values = (b: BoundModel, name: string) => Array.from(b.values[name].data);
const bindMessages = (g: ModelGraph, data: DataInput) =>
  thrownMessages(() => bind(g, data, { dataFile: 'd.json' }));

describe('bind: the reference models', () => {
  it('coin: sizes inferred, hypers defaulted, observed and latent nodes', () => {
    const b = bind(graphs.coin, { y: [1, 0, 1, 1] });
    expect(b.sizes).toEqual({ N: 4 });
    expect(b.shapes).toEqual({
      a: { batch: [], event: [] },
      b: { batch: [], event: [] },
      theta: { batch: [], event: [] },
      y: { batch: [4], event: [] },
    });
    expect(b.axes.y).toEqual([{ plates: ['i'], length: 4 }]);
    expect(b.observation).toEqual({ theta: { kind: 'latent' }, y: { kind: 'observed' } });
    expect(values(b, 'y')).toEqual([1, 0, 1, 1]);
    expect(values(b, 'a')).toEqual([1]);
    expect(b.values.y.shape).toEqual([4]);
    expect(b.warnings).toEqual([]);
  });

  it('lda: ragged nested arrays flatten d-major, with segments', () => {
    const b = bind(graphs.lda, { V: 5, w: [[1, 2, 3], [4], [], [0, 0]] });
    expect(b.sizes).toEqual({ K: 20, V: 5, D: 4, N: [3, 1, 0, 2] });
    expect(b.shapes.w).toEqual({ batch: [6], event: [] });
    expect(b.shapes.z).toEqual({ batch: [6], event: [] });
    expect(b.shapes.theta).toEqual({ batch: [4], event: [20] });
    expect(b.shapes.beta).toEqual({ batch: [20], event: [5] });
    expect(b.axes.w).toEqual([{ plates: ['d', 'n'], length: 6 }]);
    expect(b.axes.theta).toEqual([{ plates: ['d'], length: 4 }]);
    const seg = b.ragged.n;
    expect(seg.plate).toBe('n');
    expect(seg.outer).toBe('d');
    expect(seg.counts).toEqual([3, 1, 0, 2]);
    expect(Array.from(seg.outerIndex)).toEqual([0, 0, 0, 1, 3, 3]);
    expect(Array.from(seg.offsets)).toEqual([0, 3, 4, 4, 6]);
    expect(values(b, 'w')).toEqual([1, 2, 3, 4, 0, 0]);
    expect(b.observation).toMatchObject({
      w: { kind: 'observed' },
      z: { kind: 'latent' },
      theta: { kind: 'latent' },
    });
  });

  it('lda: N given as counts or as one number for every document', () => {
    const b = bind(graphs.lda, { V: 5, D: 2, N: [2, 1] });
    expect(b.sizes.N).toEqual([2, 1]);
    expect(b.observation.w).toEqual({ kind: 'latent' });
    expect(bind(graphs.lda, { V: 5, D: 3, N: 4 }).sizes.N).toEqual([4, 4, 4]);
    expect(
      bind(graphs.lda, {
        V: 5,
        N: 2,
        w: [
          [1, 2],
          [3, 4],
        ],
      }).sizes,
    ).toMatchObject({ D: 2, N: [2, 2] });
  });

  it('lda: ragged size problems', () => {
    expect(bindMessages(graphs.lda, { w: [[1, 2, 3], [4]] })).toEqual([
      'size V is not given and cannot be inferred from the data: give "V" in the data file',
    ]);
    expect(bindMessages(graphs.lda, { V: 5, N: [3, 2], w: [[1, 2, 3], [4]] })).toEqual([
      'size N: the data says N[1] = 2 but w[1] has 1 entries',
    ]);
    expect(bindMessages(graphs.lda, { V: 5, D: 3, w: [[1, 2, 3], [4]] })).toEqual([
      'size D: the data says 3 but w has 2 entries along plate d',
    ]);
    expect(bindMessages(graphs.lda, { V: 5, D: 3, N: [1, 2] })).toEqual([
      'size D: the data says 3 but N has 2 counts (one per element of D)',
    ]);
    expect(bindMessages(graphs.lda, { V: 5, N: 2, w: [[1, 2], [3]] })).toEqual([
      'size N: the data says 2 for every D but w[1] has 1 entries',
    ]);
    expect(bindMessages(graphs.lda, { V: 5, D: 2 })).toEqual([
      'size N[D] is not given and cannot be inferred from the data: give "N" in the data file',
    ]);
    expect(bindMessages(graphs.lda, { V: 5, D: 2, N: [1, -2] })).toEqual([
      'size N[D]: expected one non-negative integer per element of D (or one for all), got N[1] = -2',
    ]);
  });

  it('lda: categories outside 0…V-1 name the entry by document and token', () => {
    expect(
      bindMessages(graphs.lda, {
        V: 5,
        w: [
          [1, 2, 3],
          [4, 5],
        ],
      }),
    ).toEqual(['w[1, 1] = 5 is not a category of Categorical over V = 5 states (0…4)']);
    expect(bindMessages(graphs.lda, { V: 5, w: [[0.5], [-1]] })).toEqual([
      'w[0, 0] = 0.5 is not a category of Categorical over V = 5 states (0…4)',
      'w[1, 0] = -1 is not a category of Categorical over V = 5 states (0…4)',
    ]);
  });

  it('noisy_or: params from the data are fixed; defaults broadcast', () => {
    const W = [
      [1, 0],
      [0.5, 2],
      [0, 3],
    ];
    const b = bind(graphs.noisy_or, { s: [1, 0], W, rho: 0.1 });
    expect(b.sizes).toEqual({ K: 3, M: 2 });
    expect(b.fixedParams).toEqual(['rho', 'W']);
    expect(values(b, 'rho')).toEqual([0.1, 0.1, 0.1]);
    expect(values(b, 'W')).toEqual([1, 0, 0.5, 2, 0, 3]);
    expect(b.observation).toEqual({ d: { kind: 'latent' }, s: { kind: 'observed' } });
    const prior = bind(graphs.noisy_or, { K: 2, M: 1 });
    expect(prior.fixedParams).toEqual([]);
    expect(values(prior, 'rho')).toEqual([0.05, 0.05]);
    expect(values(prior, 'W')).toEqual([1, 1]);
  });

  it('gmm: eye(D) for real[K, D, D] is the identity for every component; params without default absent', () => {
    const b = bind(graphs.gmm, {
      x: [
        [1, 2],
        [3, 4],
      ],
    });
    expect(b.sizes).toEqual({ N: 2, D: 2, K: 3 });
    expect(b.values.Sigma.shape).toEqual([3, 2, 2]);
    expect(values(b, 'Sigma')).toEqual([1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1]);
    expect(values(b, 'pi')).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(b.values.mu).toBeUndefined();
    expect(b.shapes.mu).toEqual({ batch: [], event: [3, 2] });
    expect(b.shapes.x).toEqual({ batch: [2], event: [2] });
  });

  it('blr, factor_analysis, vae bind', () => {
    const blr = bind(graphs.blr, {
      X: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      y: [1, 2, 3],
    });
    expect(blr.sizes).toEqual({ N: 3, P: 2 });
    expect(blr.values.X.shape).toEqual([3, 2]);
    expect(blr.shapes.beta).toEqual({ batch: [], event: [2] });
    const fa = bind(graphs.factor_analysis, { x: [[1, 2, 3]] });
    expect(fa.sizes).toEqual({ N: 1, P: 3, K: 5 });
    expect(fa.shapes.z).toEqual({ batch: [1], event: [5] });
    expect(values(fa, 'psi')).toEqual([1, 1, 1]);
    const vae = bind(graphs.vae, {
      x: [
        [1, 0, 1],
        [0, 0, 1],
      ],
    });
    expect(vae.sizes).toEqual({ N: 2, P: 3, K: 20 });
    expect(vae.shapes.x).toEqual({ batch: [2], event: [3] });
  });

  it('returns a frozen bound model', () => {
    const b = bind(graphs.coin, { y: [1, 0] });
    expect(Object.isFrozen(b)).toBe(true);
    expect(Object.isFrozen(b.values)).toBe(true);
    expect(Object.isFrozen(b.values.y)).toBe(true);
    expect(Object.isFrozen(b.shapes.y.batch)).toBe(true);
    expect(Object.isFrozen(b.sizes)).toBe(true);
  });
});

describe('bind: errors, each with its message', () => {
  it('size conflicts name both sources', () => {
    expect(bindMessages(graphs.coin, { N: 3, y: [1, 0, 1, 1] })).toEqual([
      'size N: the data says 3 but y has 4 entries along plate i',
    ]);
    expect(bindMessages(graphs.blr, { X: [[1], [2], [3]], y: [1, 2, 3, 4] })).toEqual([
      'size N: X has 3 entries along axis 0 but y has 4 entries along plate i',
    ]);
    expect(bindMessages(graphs.gmm, { pi: [0.25, 0.25, 0.25, 0.25], x: [[1]] })).toEqual([
      'size K: the model file says 3 but pi has 4 entries along axis 0',
    ]);
    expect(bindMessages(graphs.coin, { N: 2.5 })).toEqual([
      'size N: expected a non-negative integer, got 2.5',
    ]);
    expect(bindMessages(graphs.coin, {})).toEqual([
      'size N is not given and cannot be inferred from the data: give "N" in the data file',
    ]);
  });

  it('wrong shapes name the variable, the expected type with sizes and numbers, and what came', () => {
    expect(bindMessages(graphs.blr, { N: 3, P: 2, X: [1, 2, 3], y: [1, 2, 3] })).toEqual([
      'X: expected real[N, P] = [3, 2], got [3]',
    ]);
    expect(
      bindMessages(graphs.blr, {
        X: [
          [1, 2],
          [3, 4],
          [5, 6, 7],
        ],
        y: [1, 2, 3],
      }),
    ).toEqual(['X[2]: expected 2 entries, got 3']);
    expect(bindMessages(graphs.blr, { N: 1, P: 1, X: 'abc', y: [1] })).toEqual([
      'X: expected real[N, P] = [1, 1], got the string "abc"',
    ]);
    expect(bindMessages(graphs.coin, { y: [1, [0], 1] })).toEqual([
      'y: expected int[N] = [3], got [3, 1]',
    ]);
    expect(bindMessages(graphs.coin, { N: 2, y: [1, []] })).toEqual([
      'y[1] is an array of 0: expected a number',
    ]);
    expect(bindMessages(graphs.coin, { y: [1, 'a'] })).toEqual([
      'y[1] is the string "a": expected a number',
    ]);
    const c = uncheckedGraphOf('model m {\n  size F\n  hyper c: real(0,)[F] = rep(1, F)\n}');
    expect(bindMessages(c, { F: 3, c: [[1, 2]] })).toEqual([
      'c: expected real(0,)[F] = [3], got [1, 2]',
    ]);
    // a value of the full rank tells the size instead
    expect(bindMessages(c, { F: 3, c: [1, 2] })).toEqual([
      'size F: the data says 3 but c has 2 entries along axis 0',
    ]);
  });

  it('data nodes must be given; deterministic nodes and nets must not be', () => {
    expect(bindMessages(graphs.blr, { y: [1, 2] })).toEqual([
      'size P is not given and cannot be inferred from the data: give "P" in the data file',
    ]);
    expect(bindMessages(graphs.blr, { P: 2, y: [1, 2] })).toEqual([
      'data X is missing: give "X" in the data file',
    ]);
    const det = graphOf('model m {\n  a ~ Normal(0, 1)\n  b ~ Normal(0, 1)\n  mu = a + b\n}');
    expect(bindMessages(det, { mu: 1 })).toEqual([
      'mu is deterministic (mu = a + b) and cannot be given in the data',
    ]);
    expect(bindMessages(graphs.vae, { x: [[1]], decoder: 1 })).toEqual([
      'net decoder has learned weights and cannot be given in the data',
    ]);
    const h = graphOf('model m {\n  hyper s: real(0,)\n  x ~ Normal(0, s)\n}');
    expect(bindMessages(h, {})).toEqual([
      'hyper s has no default and is not given in the data: give "s" in the data file',
    ]);
  });

  it('NaN and Infinity from the file are rejected naming variable and index', () => {
    const data = readDataText('{"X": [[1, 2], [Infinity, 4]], "y": [1, NaN]}', 'd.json');
    expect(bindMessages(graphs.blr, data)).toEqual([
      'data X[1, 0] = Infinity is not a finite number',
      'y[1] = NaN is not a number: write null for a missing value',
    ]);
    expect(bindMessages(graphs.coin, { a: Number.NaN, y: [1] })).toEqual([
      'hyper a = NaN is not a number',
    ]);
  });

  it('values outside the support or not integral', () => {
    expect(bindMessages(graphs.coin, { y: [1, 0, 1, 2] })).toEqual([
      'y[3] = 2 is outside the support of Bernoulli ({0, 1})',
    ]);
    const g = graphOf(`model m {
  size N
  plate i in N {
    c[i] ~ Poisson(3)
    p[i] ~ Beta(1, 1)
    g[i] ~ Gamma(2, 1)
    u[i] ~ Uniform(-1, 1)
    b[i] ~ Binomial(5, 0.5)
    s[i] ~ Dirichlet(rep(1, 3))
    m[i] ~ Multinomial(4, rep(0.25, 4))
  }
}`);
    const ok = {
      c: [0, 7],
      p: [0, 1],
      g: [0.5, 2],
      u: [-1, 1],
      b: [0, 5],
      s: [
        [0.2, 0.3, 0.5],
        [1, 0, 0],
      ],
      m: [
        [4, 0, 0, 0],
        [1, 1, 1, 1],
      ],
    };
    expect(() => bind(g, ok)).not.toThrow();
    expect(
      bindMessages(g, {
        c: [1.5, -1],
        p: [0, 1.5],
        g: [-0.1, 1],
        u: [0, 2],
        b: [6, 2],
        s: [
          [0.5, 0.6, 0],
          [-0.1, 0.6, 0.5],
        ],
        m: [
          [4, 1, 0, 0],
          [1, 1, 1, 1],
        ],
      }),
    ).toEqual([
      'c[0] = 1.5 is outside the support of Poisson ({0, 1, 2, …})',
      'c[1] = -1 is outside the support of Poisson ({0, 1, 2, …})',
      'p[1] = 1.5 is outside the support of Beta ([0, 1])',
      'g[0] = -0.1 is outside the support of Gamma ([0, ∞))',
      'u[1] = 2 is outside the support of Uniform ([-1, 1])',
      'b[0] = 6 is outside the support of Binomial ({0, …, 5})',
      's[0] is not a point of the simplex (Dirichlet): its entries sum to 1.1 (expected 1 within 1e-8)',
      's[1, 0] = -0.1 is negative, so s[1] is not a point of the simplex (Dirichlet)',
      'm[0] sums to 5, but Multinomial draws 4 counts',
    ]);
  });

  it('declared bounds and integer types of hypers, params and data', () => {
    expect(bindMessages(graphs.coin, { a: -1, y: [1] })).toEqual([
      'hyper a = -1 is outside real(0,)',
    ]);
    const g = uncheckedGraphOf(`model m {
  size N
  size F = 3
  hyper lo: real = 0
  hyper c: real(lo,)[F] = rep(1, F)
  param pi: simplex[F] = rep(1.0 / F, F)
  data n: int(0, 10)[N]
  plate i in N {
    y[i] ~ Binomial(n[i], 0.5)
  }
}`);
    expect(bindMessages(g, { c: [1, -2, 3], n: [1, 2.5, 11], pi: [0.5, 0.6, 0] })).toEqual([
      'hyper c[1] = -2 is outside real(lo,)',
      'param pi is not a simplex: its entries sum to 1.1 (expected 1 within 1e-8)',
      'data n[1] = 2.5 is not an integer (n is int(0, 10))',
      'data n[2] = 11 is outside int(0, 10)',
    ]);
    // a scalar broadcast to the declared shape is reported once, without an index
    expect(bindMessages(g, { c: -1, n: [1] })).toEqual(['hyper c = -1 is outside real(lo,)']);
  });

  it('a concrete shape mismatch once sizes are known is a shape diagnostic at the model line', () => {
    const g = graphOf('model m {\n  size K\n  size M\n  y ~ MvNormal(zeros(M), eye(K))\n}');
    let err: PlatoError | undefined;
    try {
      bind(g, { K: 3, M: 4 });
    } catch (e) {
      err = e as PlatoError;
    }
    expect(err).toBeInstanceOf(PlatoError);
    expect(err!.diagnostics.map((d) => [d.kind, d.message, d.range?.start.line])).toEqual([
      ['shape', 'MvNormal: mu has length M but Sigma is K×K (M = 4, K = 3)', 4],
    ]);
    expect(() => bind(g, { K: 3, M: 3 })).not.toThrow();
  });

  it('caps the messages per variable', () => {
    expect(bindMessages(graphs.coin, { y: [2, 2, 2, 2, 2, 2, 2, 3] })).toEqual([
      'y[0] = 2 is outside the support of Bernoulli ({0, 1})',
      'y[1] = 2 is outside the support of Bernoulli ({0, 1})',
      'y[2] = 2 is outside the support of Bernoulli ({0, 1})',
      'y[3] = 2 is outside the support of Bernoulli ({0, 1})',
      'y[4] = 2 is outside the support of Bernoulli ({0, 1})',
      '… and 3 more problems with y',
    ]);
  });

  it('data errors carry the data file name and render without a code frame', () => {
    try {
      bind(graphs.coin, { y: [3] }, { dataFile: 'coin.json' });
      expect.unreachable();
    } catch (e) {
      const err = e as PlatoError;
      expect(err.diagnostics[0]).toMatchObject({
        kind: 'data',
        severity: 'error',
        file: 'coin.json',
      });
      expect(err.render()).toBe(
        'coin.json: error: y[0] = 3 is outside the support of Bernoulli ({0, 1})',
      );
    }
  });
});

describe('bind: missing values, warnings, CSV, dense arrays', () => {
  it('null entries make a node partially observed, with a mask and NaN', () => {
    const b = bind(graphs.blr, {
      X: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      y: [1, null, 3],
    });
    const obs = b.observation.y;
    expect(obs.kind).toBe('partial');
    if (obs.kind === 'partial') expect(Array.from(obs.mask)).toEqual([1, 0, 1]);
    const y = values(b, 'y');
    expect([y[0], y[2]]).toEqual([1, 3]);
    expect(Number.isNaN(y[1])).toBe(true);
    // a whole missing row of a vector node
    const g = bind(graphs.gmm, { x: [[1, 2], null, [5, null]] });
    const m = g.observation.x;
    expect(m.kind === 'partial' && Array.from(m.mask)).toEqual([1, 1, 0, 0, 1, 0]);
    // everything missing is latent
    expect(bind(graphs.coin, { y: [null, null] }).observation.y).toEqual({ kind: 'latent' });
    // data nodes must be complete
    expect(bindMessages(graphs.blr, { X: [[1, null]], y: [1] })).toEqual([
      'data X[0, 1] is missing (null): data must be complete',
    ]);
  });

  it('warns about keys the model does not declare', () => {
    const b = bind(
      graphs.coin,
      { y: [1], notes: 'hello', extra: [1, 2] },
      { dataFile: 'coin.json' },
    );
    expect(b.warnings.map((w) => [w.severity, w.file, w.message])).toEqual([
      ['warning', 'coin.json', '"notes" is not declared in model coin; ignored'],
      ['warning', 'coin.json', '"extra" is not declared in model coin; ignored'],
    ]);
  });

  it('accepts a vocabulary (`vocab`, an array of strings) without declaring it', () => {
    const ok = bind(graphs.coin, { y: [1], vocab: ['heads', 'tails'] }, { dataFile: 'c.json' });
    expect(ok.warnings).toEqual([]);
    const notWords = bind(graphs.coin, { y: [1], vocab: [1, 2] }, { dataFile: 'c.json' });
    expect(notWords.warnings.map((w) => w.message)).toEqual([
      '"vocab" is not declared in model coin; ignored',
    ]);
  });

  it('binds CSV columns of one plate, empty cells missing', () => {
    const g = graphOf(`model m {
  size N
  plate i in N {
    x[i] ~ Normal(0, 1)
    y[i] ~ Bernoulli(sigmoid(x[i]))
  }
}`);
    const b = bind(g, readDataText('x,y\n0.5,1\n-1,\n2,0\n', 'd.csv'), { dataFile: 'd.csv' });
    expect(b.sizes).toEqual({ N: 3 });
    expect(values(b, 'x')).toEqual([0.5, -1, 2]);
    expect(b.observation.x).toEqual({ kind: 'observed' });
    expect(b.observation.y.kind).toBe('partial');
    expect(bindMessages(g, readDataText('x,y\n0.5,1\nNaN,0\n', 'd.csv'))).toEqual([
      'x[1] = NaN is not a number: write null for a missing value',
    ]);
  });

  it('accepts dense { shape, data } arrays from programs (NaN = missing for stochastic nodes)', () => {
    const X = { shape: [3, 2], data: new Float32Array([1, 2, 3, 4, 5, 6]) };
    const b = bind(graphs.blr, {
      X,
      y: { shape: [3], data: new Float64Array([1, Number.NaN, 2]) },
    });
    expect(b.sizes).toEqual({ N: 3, P: 2 });
    expect(values(b, 'X')).toEqual([1, 2, 3, 4, 5, 6]);
    const obs = b.observation.y;
    expect(obs.kind === 'partial' && Array.from(obs.mask)).toEqual([1, 0, 1]);
    const X33 = { shape: [3, 3], data: new Float64Array(9) };
    expect(bindMessages(graphs.blr, { P: 2, X: X33, y: [1, 2, 3] })).toEqual([
      'size P: the data says 2 but X has 3 entries along axis 1',
    ]);
    const X9 = { shape: [9], data: new Float64Array(9) };
    expect(bindMessages(graphs.blr, { N: 3, P: 2, X: X9, y: [1, 2, 3] })).toEqual([
      'X: expected real[N, P] = [3, 2], got [9]',
    ]);
    expect(
      bindMessages(graphs.blr, {
        X: { shape: [1, 2], data: new Float64Array([1, Infinity]) },
        y: [1],
      }),
    ).toEqual(['data X[0, 1] (entry 1 of the dense array) = Infinity is not a finite number']);
  });
});

describe('bind: property tests', () => {
  it('nested arrays of random sizes round-trip into the row-major layout', () => {
    const g = graphOf(`model m {
  size A
  size B
  size C
  plate a in A {
    plate b in B {
      x[a, b]: real[C] ~ Normal(0, 1)
    }
  }
}`);
    const arb = fc
      .tuple(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
      )
      .chain(([A, B, C]) =>
        fc.tuple(
          fc.constant([A, B, C] as const),
          fc.array(
            fc.array(
              fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), {
                minLength: C,
                maxLength: C,
              }),
              { minLength: B, maxLength: B },
            ),
            {
              minLength: A,
              maxLength: A,
            },
          ),
        ),
      );
    fc.assert(
      fc.property(arb, ([[A, B, C], x]) => {
        const b = bind(g, { A, B, C, x });
        expect(b.values.x.shape).toEqual([A, B, C]);
        expect(b.shapes.x).toEqual({ batch: [A, B], event: [C] });
        expect(Array.from(b.values.x.data)).toEqual(x.flat(2));
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('ragged nested arrays flatten d-major with consistent segments', () => {
    const g = graphOf(`model m {
  size D
  size N[D]
  size K
  plate d in D {
    plate n in N[d] {
      x[d, n]: real[K] ~ Normal(0, 1)
    }
  }
}`);
    const arb = fc.integer({ min: 1, max: 3 }).chain((K) =>
      fc.tuple(
        fc.constant(K),
        fc.array(
          fc.array(fc.array(fc.integer({ min: -99, max: 99 }), { minLength: K, maxLength: K }), {
            maxLength: 5,
          }),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
      ),
    );
    fc.assert(
      fc.property(arb, ([K, x]) => {
        const b = bind(g, { K, x });
        const counts = x.map((doc) => doc.length);
        const total = counts.reduce((s, c) => s + c, 0);
        expect(b.sizes).toEqual({ D: x.length, N: counts, K });
        expect(b.shapes.x).toEqual({ batch: [total], event: [K] });
        expect(Array.from(b.values.x.data)).toEqual(x.flat(2));
        const seg = b.ragged.n;
        expect(Array.from(seg.offsets)).toEqual([
          0,
          ...counts.map((_, d) => counts.slice(0, d + 1).reduce((t, c) => t + c, 0)),
        ]);
        expect(Array.from(seg.outerIndex)).toEqual(counts.flatMap((c, d) => new Array(c).fill(d)));
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});

describe('bind: program inputs', () => {
  it('treats a key holding undefined as absent', () => {
    const b = bind(graphs.coin, { N: 2, y: undefined });
    expect(b.observation.y).toEqual({ kind: 'latent' });
    expect(b.warnings).toEqual([]);
  });
});
