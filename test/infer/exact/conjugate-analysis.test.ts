// The exact engine's conjugate planner (src/infer/exact/plan.ts) over the graph's conjugacy facts
// (src/graph/conjugacy.ts, linearity.ts): which step each latent gets, the children's registry
// pairs and roles, the block layout of Gaussian blocks, and the symbolic forms (affine, scaled,
// precision) recognised in expressions. No tensors.
import { describe, expect, it } from 'vitest';
import {
  affine,
  type LinearityScope,
  precisionRef,
  scaledRef,
} from '../../../src/graph/linearity.js';
import { exprToString } from '../../../src/graph/print.js';
import {
  type GaussianStep,
  planConjugate,
  type ScaledStep,
} from '../../../src/infer/exact/plan.js';
import { boundModel } from '../../support/models.js';

const plan = (src: string, data: Record<string, unknown>) => planConjugate(boundModel(src, data));

/** Two rows of a two-column design and their responses. */
const REGRESSION_DATA = {
  N: 2,
  P: 2,
  X: [
    [1, 2],
    [3, 4],
  ],
  y: [1, 2],
};

describe('plans', () => {
  it('coin: one Beta step with a Bernoulli child reading theta itself', () => {
    const p = plan(
      `model coin { size N
        theta ~ Beta(1, 1)
        plate i in N { y[i] ~ Bernoulli(theta) } }`,
      { N: 2, y: [1, 0] },
    );
    expect(p.ok).toBe(true);
    const s = p.steps[0] as ScaledStep;
    expect(s.rule).toBe('conjugate');
    expect(s.view.as).toBe('Beta');
    expect(s.children).toMatchObject([
      { child: 'y', pair: { id: 'Beta–Bernoulli.p' }, arg: 'p', role: 'identity' },
    ]);
  });

  it('a Gamma rate with Poisson (scaled) and Exponential children', () => {
    const p = plan(
      `model m { size N
        data e: real(0,)[N]
        lambda ~ Gamma(1, 1)
        plate i in N {
          y[i] ~ Poisson(e[i] * lambda)
          t[i] ~ Exponential(lambda)
        } }`,
      { N: 2, e: [1, 2], y: [1, 0], t: [0.5, 1] },
    );
    const s = p.steps[0] as ScaledStep;
    expect(s.view.as).toBe('Gamma');
    expect(s.children.map((c) => [c.child, c.pair.child, c.role])).toEqual([
      ['y', 'Poisson', 'scaled'],
      ['t', 'Exponential', 'identity'],
    ]);
  });

  it('BLR: one blocked Gaussian step, the design read from the data matrix, no offset', () => {
    const p = plan(
      `model blr { size N
        size P
        data X: real[N, P]
        beta ~ Normal(zeros(P), 3)
        plate i in N { y[i] ~ Normal(dot(X[i], beta), 1) } }`,
      REGRESSION_DATA,
    );
    const s = p.steps[0] as GaussianStep;
    expect(s.rule).toBe('gaussian');
    expect(s.latents).toEqual(['beta']);
    expect(s.blocked).toBe(true);
    const y = s.factors.find((f) => f.node === 'y');
    expect(y?.offset).toBe(false);
    expect(y?.designs.beta && exprToString(y.designs.beta)).toBe('X[i]');
    expect(s.factors.find((f) => f.node === 'beta')?.target).toBe('latent');
  });

  it('an intercept joins alpha and beta in one dense block; a hierarchy joins mu0 and mu', () => {
    const p1 = plan(
      `model m { size N
        size P
        data X: real[N, P]
        alpha ~ Normal(0, 3)
        beta ~ Normal(zeros(P), 3)
        plate i in N { y[i] ~ Normal(alpha + dot(X[i], beta), 1) } }`,
      REGRESSION_DATA,
    );
    const s1 = p1.steps[0] as GaussianStep;
    expect(s1.latents).toEqual(['alpha', 'beta']);
    expect(s1.blocked).toBe(false);
    const p2 = plan(
      `model m { size N
        size G
        data g: int[N]
        mu0 ~ Normal(0, 10)
        plate k in G { mu[k] ~ Normal(mu0, 1) }
        plate i in N { y[i] ~ Normal(mu[g[i]], 1) } }`,
      { N: 3, G: 2, g: [0, 1, 1], y: [1, 2, 3] },
    );
    expect(p2.steps.map((s) => (s.rule === 'gaussian' ? s.latents : s.rule))).toEqual([
      ['mu0', 'mu'],
    ]);
  });

  it('factor analysis: z is blocked per row, its design is W', () => {
    const p = plan(
      `model fa { size N
        size P
        size K = 2
        param W: real[P, K]
        plate i in N {
          z[i] ~ Normal(zeros(K), 1)
          x[i] ~ Normal(W @ z[i], 1)
        } }`,
      {
        N: 2,
        P: 3,
        W: [
          [1, 0],
          [0, 1],
          [1, 1],
        ],
        x: [
          [1, 2, 3],
          [4, 5, 6],
        ],
      },
    );
    const s = p.steps[0] as GaussianStep;
    expect(s.blocked).toBe(true);
    const x = s.factors.find((f) => f.node === 'x');
    expect(x?.designs.z && exprToString(x.designs.z)).toBe('W');
  });

  it('Normal–Gamma: one Gaussian step with tau as its precision', () => {
    const p = plan(
      `model ng { size N
        tau ~ Gamma(1, 1)
        mu ~ Normal(0, 1 / sqrt(2 * tau))
        plate i in N { x[i] ~ Normal(mu, 1 / sqrt(tau)) } }`,
      { N: 2, x: [1, 2] },
    );
    expect(p.ok).toBe(true);
    const s = p.steps[0] as GaussianStep;
    expect(s.precision).toBe('tau');
    expect(s.factors.every((f) => f.precisionScaled)).toBe(true);
  });

  it('latent leaves with known arguments are reported as their prior; known observed nodes are listed', () => {
    const p = plan(
      `model m { size N
        p ~ Beta(1, 1)
        u ~ Uniform(-1, 3)
        plate i in N {
          y[i] ~ Bernoulli(p)
          x[i] ~ Normal(0, 1)
        } }`,
      { N: 2, y: [1, 0], x: [0.1, 0.2] },
    );
    expect(p.steps.map((s) => s.rule)).toEqual(['conjugate', 'prior']);
    expect(p.known).toEqual(['x']);
  });
});

describe('symbolic forms', () => {
  /** `text` as the mean of a Normal inside a plate, with a scope relative to `latents` */
  const parse = (text: string, latents: string[] = ['mu', 'b']) => {
    const b = boundModel(
      `model m {
        size N
        data c: real(0,)[N]
        data X: real[N, 3]
        tau ~ Gamma(1, 1)
        mu ~ Normal(0, 1)
        b ~ Normal(zeros(3), 1)
        plate i in N { y[i] ~ Normal(${text}, 1) }
      }`,
      {
        N: 2,
        c: [1, 2],
        X: [
          [1, 2, 3],
          [4, 5, 6],
        ],
        y: [1, 2],
      },
    );
    const y = b.graph.nodes.y;
    if (y.kind !== 'stochastic') throw new Error('y is not stochastic');
    const scope: LinearityScope = {
      graph: b.graph,
      latents: new Set(latents),
      isKnown: (n) => ['c', 'X', 'y', 'N'].includes(n),
      plates: y.plates,
    };
    return { expr: y.args.mu, scope };
  };

  it('affine: linear parts keep the shape of known terms and flag offsets', () => {
    const cases: [string, string | null, boolean][] = [
      ['mu', 'mu', false],
      ['2 * mu + c[i]', '2 * mu + 0 * c[i]', true],
      ['dot(X[i], b)', 'dot(X[i], b)', false],
      ['c[i] - (mu - 1) / 4', '0 * c[i] - (mu - 0 * 1) / 4', true],
      ['sum(b) + mu', 'sum(b) + mu', false],
      ['exp(mu)', null, false],
      ['mu * mu', null, false],
      ['mu / mu', null, false],
    ];
    for (const [text, linear, offset] of cases) {
      const { expr, scope } = parse(text);
      const r = affine(expr, scope);
      if (linear === null) {
        expect(r.ok, text).toBe(false);
        continue;
      }
      if (!r.ok || r.known) throw new Error(`${text}: not affine`);
      expect(exprToString(r.linear)).toBe(linear);
      expect(r.offset, text).toBe(offset);
    }
  });

  it('scaled rates and precision forms', () => {
    const scaled = (text: string) => {
      const { expr, scope } = parse(text, ['tau']);
      return scaledRef(expr, 'tau', scope);
    };
    const precision = (text: string) => {
      const { expr, scope } = parse(text, ['tau']);
      return precisionRef(expr, 'tau', scope);
    };
    expect(scaled('tau')).toMatchObject({ ok: true, scaled: false });
    expect(scaled('c[i] * tau')).toMatchObject({ ok: true, scaled: true });
    expect(scaled('tau / 2')).toMatchObject({ ok: true, scaled: true });
    expect(scaled('tau + 1').ok).toBe(false);
    for (const form of [
      '1 / sqrt(tau)',
      'sqrt(1 / tau)',
      'tau ^ -0.5',
      '1 / sqrt(2 * tau)',
      '3 / sqrt(tau * c[i])',
      '1 / tau ^ 0.5',
    ]) {
      expect(precision(form).ok, form).toBe(true);
    }
    for (const form of ['sqrt(tau)', '1 / tau', 'tau ^ 0.5', '1 / sqrt(tau + 1)']) {
      expect(precision(form).ok, form).toBe(false);
    }
  });
});
