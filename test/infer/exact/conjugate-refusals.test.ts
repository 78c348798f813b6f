// Non-conjugate models: the exact engine refuses each with the blocking node, its source
// line and a reason that says what is wrong; `run` refuses with the same reasons.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { PlatoError } from '../../../src/diagnostics/diagnostics.js';
import { exactEngine } from '../../../src/infer/exact/index.js';
import { posteriorJson } from '../../../src/report/json.js';
import { boundModel } from '../../support/models.js';
import { refusal } from './conjugateHelpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** `line` is 1-based in the source as written below (the first line is `model m {`). */
const cases: {
  name: string;
  src: string;
  data: Record<string, unknown>;
  node: string;
  line: number;
  message: RegExp;
}[] = [
  {
    name: 'a LogNormal prior on the sd of a Normal',
    src: `model m {
  size N
  mu ~ Normal(0, 10)
  sigma ~ LogNormal(0, 1)
  plate i in N { y[i] ~ Normal(mu, sigma) }
}`,
    data: { N: 3, y: [1, 2, 3] },
    node: 'sigma',
    line: 4,
    message:
      /^sigma has a LogNormal prior; Normal likelihood is conjugate to Normal\/Gamma priors only$/,
  },
  {
    name: 'a Gamma hyperprior on the rate of a latent Gamma Poisson rate',
    src: `model m {
  size N
  b ~ Gamma(1, 1)
  lambda ~ Gamma(2, b)
  plate i in N { y[i] ~ Poisson(lambda) }
}`,
    data: { N: 3, y: [1, 2, 3] },
    node: 'b',
    line: 3,
    message: /b is a parameter of the latent node lambda .*no closed-form posterior/,
  },
  {
    name: 'a Poisson rate that is exp of a Normal latent',
    src: `model m {
  size N
  mu ~ Normal(0, 1)
  plate i in N { y[i] ~ Poisson(exp(mu)) }
}`,
    data: { N: 3, y: [1, 2, 3] },
    node: 'mu',
    line: 3,
    message:
      /y \(Poisson\) depends on mu: a Normal latent is conjugate to the mean of a Normal\/MvNormal child only/,
  },
  {
    name: 'a mixture: means indexed by a latent discrete node',
    src: `model m {
  size N
  size K = 2
  plate k in K { mu[k] ~ Normal(0, 10) }
  plate i in N {
    z[i] ~ Categorical(rep(0.5, K))
    y[i] ~ Normal(mu[z[i]], 1)
  }
}`,
    data: { N: 3, y: [1, 2, 3] },
    node: 'z',
    line: 6,
    message: /z is a latent Categorical node/,
  },
  {
    name: 'unknown mean and precision not in the Normal–Gamma form',
    src: `model m {
  size N
  tau ~ Gamma(1, 1)
  mu ~ Normal(0, 10)
  plate i in N { y[i] ~ Normal(mu, 1 / sqrt(tau)) }
}`,
    data: { N: 3, y: [1, 2, 3] },
    node: 'mu',
    line: 4,
    message: /the sd of mu does not scale with the precision tau: the Normal–Gamma form needs/,
  },
  {
    name: 'a Beta latent used through logits',
    src: `model m {
  size N
  p ~ Beta(1, 1)
  plate i in N { y[i] ~ Bernoulli(logits = p) }
}`,
    data: { N: 3, y: [1, 0, 1] },
    node: 'p',
    line: 3,
    message: /uses p through logits: a Beta prior is conjugate to Bernoulli\(p = …\) only/,
  },
  {
    name: 'a product of two Normal latents',
    src: `model m {
  size N
  a ~ Normal(0, 1)
  b ~ Normal(0, 1)
  plate i in N { y[i] ~ Normal(a * b, 1) }
}`,
    data: { N: 3, y: [1, 0, 1] },
    node: 'y',
    line: 5,
    message: /a \* b multiplies two latent values: not affine/,
  },
  {
    name: 'a sd that is the square root of a Gamma variance, not a precision',
    src: `model m {
  size N
  v ~ Gamma(2, 1)
  plate i in N { y[i] ~ Normal(0, sqrt(v)) }
}`,
    data: { N: 3, y: [1, 0, 1] },
    node: 'v',
    line: 3,
    message: /the sd sqrt\(v\) is not of the form 1 \/ sqrt\(k \* v\)/,
  },
  {
    name: 'a param without a value',
    src: `model m {
  size N
  param w: real
  mu ~ Normal(0, 1)
  plate i in N { y[i] ~ Normal(w * mu, 1) }
}`,
    data: { N: 3, y: [1, 0, 1] },
    node: 'w',
    line: 3,
    message: /param w has no value: exact inference does not learn params/,
  },
];

describe('refusals', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const reasons = refusal(c.src, c.data);
      const hit = reasons.find((r) => r.node === c.node && c.message.test(r.message));
      if (!hit)
        throw new Error(
          `no reason for ${c.node} matching ${c.message}; got ${JSON.stringify(reasons)}`,
        );
      expect(hit.line).toBe(c.line);
      // running anyway fails with the same reasons
      const bound = boundModel(c.src, c.data);
      const err = await exactEngine.run(bound, { seed: 0 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PlatoError);
      expect((err as PlatoError).message).toContain(hit.message);
    });
  }

  it('a latent with infinite discrete support', () => {
    const src = `model m {
  z ~ Poisson(3)
  y ~ Poisson(z + 1)
}`;
    const reasons = refusal(src, { y: 2 });
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.some((r) => r.node === 'z' && /its support is infinite/.test(r.message))).toBe(
      true,
    );
  });

  it('a model whose latents are all discrete runs through the discrete half', async () => {
    const src = `model m {
  a ~ Bernoulli(0.3)
  b ~ Bernoulli(0.2 + 0.5 * a)
}`;
    const bound = boundModel(src, { b: 1 });
    expect(exactEngine.applicability(bound)).toEqual({ ok: true });
    const r = posteriorJson(await exactEngine.run(bound, { seed: 0 }));
    const z = 0.3 * 0.7 + 0.7 * 0.2;
    expect(r.logEvidence).toBeCloseTo(Math.log(z), 6);
    expect(r.latents.a.mean as number).toBeCloseTo((0.3 * 0.7) / z, 6);
  });
});
