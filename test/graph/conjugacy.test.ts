// The graph's conjugacy facts (src/graph/conjugacy.ts): per (latent, child, argument) the
// relation — a registry pair with its role, linear-Gaussian with its design, indexed by a
// discrete latent, or non-conjugate with a reason — worded without reference to any engine.
import { describe, expect, it } from 'vitest';
import { relations } from '../../src/graph/conjugacy.js';
import { exprToString } from '../../src/graph/print.js';
import { boundModel } from '../support/models.js';

describe('relations', () => {
  it('registry pairs with their roles, through the prior views', () => {
    const r = relations(
      boundModel(
        `model m { size N
          data e: real(0,)[N]
          theta ~ Uniform(0, 1)
          lambda ~ Exponential(1)
          tau ~ Gamma(1, 1)
          plate i in N {
            y[i] ~ Bernoulli(theta)
            c[i] ~ Poisson(e[i] * lambda)
            x[i] ~ Normal(0, 1 / sqrt(2 * tau))
          } }`,
        { N: 2, e: [1, 2], y: [1, 0], c: [3, 4], x: [0.1, 0.2] },
      ),
    );
    expect(r.map((f) => (f.kind === 'conjugate' ? [f.latent, f.pair.id, f.role] : f.kind))).toEqual(
      [
        ['theta', 'Beta–Bernoulli.p', 'identity'],
        ['lambda', 'Gamma–Poisson.rate', 'scaled'],
        ['tau', 'Gamma–Normal.sigma', 'precision'],
      ],
    );
  });

  it('linear-Gaussian with its design, indexed by a discrete latent, non-conjugate with a reason', () => {
    const r = relations(
      boundModel(
        `model m { size N
          size P
          size K = 2
          data X: real[N, P]
          beta ~ Normal(zeros(P), 3)
          sigma ~ LogNormal(0, 1)
          plate k in K { mu[k] ~ Normal(0, 10) }
          plate i in N {
            y[i] ~ Normal(dot(X[i], beta), 1)
            z[i] ~ Categorical(rep(0.5, K))
            w[i] ~ Normal(mu[z[i]], sigma)
          } }`,
        {
          N: 2,
          P: 2,
          X: [
            [1, 2],
            [3, 4],
          ],
          y: [1, 2],
          w: [0.5, 1.5],
        },
      ),
    );
    const lg = r.find((f) => f.kind === 'linear-gaussian');
    expect(lg?.kind === 'linear-gaussian' && exprToString(lg.factor.designs.beta!)).toBe('X[i]');
    expect(r.filter((f) => f.kind === 'indexed').map((f) => [f.latent, f.child])).toEqual([
      ['mu', 'w'],
      ['z', 'w'],
    ]);
    expect(r.every((f) => f.kind !== 'indexed' || f.by === 'z')).toBe(true);
    const sig = r.find((f) => f.latent === 'sigma');
    expect(sig).toMatchObject({ kind: 'non-conjugate', child: 'w' });
    // neutral wording: no engine is named
    for (const f of r)
      if (f.kind === 'non-conjugate') expect(f.reason).not.toMatch(/exact|em\b|avi|cavi/);
  });

  it('names the argument a prior is conjugate to when the child uses another one', () => {
    const r = relations(
      boundModel(
        `model m { size N
          p ~ Beta(1, 1)
          plate i in N { y[i] ~ Bernoulli(logits = p) } }`,
        { N: 2, y: [1, 0] },
      ),
    );
    expect(r).toMatchObject([
      {
        kind: 'non-conjugate',
        latent: 'p',
        child: 'y',
        arg: 'logits',
        reason: 'y uses p through logits: a Beta prior is conjugate to Bernoulli(p = …) only',
      },
    ]);
  });
});
