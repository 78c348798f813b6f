// Latents with known arguments and no children: the posterior is the prior. Reported in its
// own family with its parameters under the §2 names, mean and sd.

import { download, type ExprEvaluator, fullShape } from '../../compile/evaluator.js';
import type { StochasticNode } from '../../graph/ir.js';
import { float64, type LatentPosterior } from '../result.js';
import {
  betaSummary,
  dirichletSummary,
  gammaSummary,
  mvNormalSummary,
  normalSummary,
} from './summary.js';

export function priorSummary(name: string, ev: ExprEvaluator): LatentPosterior {
  const model = ev.model;
  const node = model.graph.nodes[name] as StochasticNode;
  const F = fullShape(model, name);
  const event = model.shapes[name].event;
  const arg = (a: string, shape: readonly number[] = event) =>
    download(() => ev.inLayout(node.args[a], name, {}, shape));
  const map2 = (x: Float64Array, y: Float64Array, f: (a: number, b: number) => number) =>
    x.map((v, i) => f(v, y[i]));
  const simple = (
    family: string,
    params: Record<string, Float64Array>,
    mean: Float64Array,
    sd: Float64Array,
    shape = F,
  ) => ({
    family,
    shape: [...shape],
    params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, float64(v, shape)])),
    mean: float64(mean, shape),
    sd: float64(sd, shape),
  });
  switch (node.distribution) {
    case 'Normal':
      return normalSummary(arg('mu'), arg('sigma'), F);
    case 'MvNormal': {
      const E = event[event.length - 1];
      return mvNormalSummary(arg('mu'), arg('Sigma', [...event, E]), F);
    }
    case 'Beta':
      return betaSummary(arg('a'), arg('b'), F);
    case 'Gamma':
      return gammaSummary(arg('shape'), arg('rate'), F);
    case 'Dirichlet':
      return dirichletSummary(arg('alpha'), F);
    case 'Exponential': {
      const r = arg('rate');
      const inv = r.map((x) => 1 / x);
      return simple('Exponential', { rate: r }, inv, inv);
    }
    case 'LogNormal': {
      const mu = arg('mu');
      const s = arg('sigma');
      const mean = map2(mu, s, (m, x) => Math.exp(m + (x * x) / 2));
      const sd = map2(mean, s, (m, x) => m * Math.sqrt(Math.expm1(x * x)));
      return simple('LogNormal', { mu, sigma: s }, mean, sd);
    }
    case 'Uniform': {
      const lo = arg('lo');
      const hi = arg('hi');
      return simple(
        'Uniform',
        { lo, hi },
        map2(lo, hi, (a, b) => (a + b) / 2),
        map2(lo, hi, (a, b) => (b - a) / Math.sqrt(12)),
      );
    }
    case 'HalfNormal': {
      const s = arg('sigma');
      return simple(
        'HalfNormal',
        { sigma: s },
        s.map((x) => x * Math.sqrt(2 / Math.PI)),
        s.map((x) => x * Math.sqrt(1 - 2 / Math.PI)),
      );
    }
    case 'Laplace': {
      const b = arg('b');
      return simple(
        'Laplace',
        { mu: arg('mu'), b },
        arg('mu'),
        b.map((x) => x * Math.SQRT2),
      );
    }
    case 'StudentT': {
      // the mean exists for nu > 1, the variance sigma^2 nu / (nu - 2) for nu > 2 (Inf between)
      const nu = arg('nu');
      const mu = arg('mu');
      const s = arg('sigma');
      const mean = map2(nu, mu, (n, m) => (n > 1 ? m : Number.NaN));
      const sd = map2(nu, s, (n, x) =>
        n > 2 ? x * Math.sqrt(n / (n - 2)) : n > 1 ? Number.POSITIVE_INFINITY : Number.NaN,
      );
      return simple('StudentT', { nu, mu, sigma: s }, mean, sd);
    }
    case 'Cauchy':
    case 'HalfCauchy': {
      // no mean or variance: NaN, as the family's mean() and variance()
      const s = arg('sigma');
      const params: Record<string, Float64Array> =
        node.distribution === 'Cauchy' ? { mu: arg('mu'), sigma: s } : { sigma: s };
      const none = s.map(() => Number.NaN);
      return simple(node.distribution, params, none, none);
    }
    case 'NegativeBinomial': {
      const mu = arg('mu');
      const phi = arg('phi');
      return simple(
        'NegativeBinomial',
        { mu, phi },
        mu,
        map2(mu, phi, (m, f) => Math.sqrt(m + (m * m) / f)),
      );
    }
    case 'Poisson': {
      const r = arg('rate');
      return simple('Poisson', { rate: r }, r, r.map(Math.sqrt));
    }
    case 'Bernoulli': {
      const p = node.args.p ? arg('p') : arg('logits').map((l) => 1 / (1 + Math.exp(-l)));
      return simple(
        'Bernoulli',
        { p },
        p,
        p.map((x) => Math.sqrt(x * (1 - x))),
      );
    }
    case 'Binomial': {
      const n = arg('n');
      const p = node.args.p ? arg('p') : arg('logits').map((l) => 1 / (1 + Math.exp(-l)));
      return simple(
        'Binomial',
        { n, p },
        map2(n, p, (a, b) => a * b),
        map2(n, p, (a, b) => Math.sqrt(a * b * (1 - b))),
      );
    }
    case 'Categorical': {
      const key = node.args.p ? 'p' : 'logits';
      const K = ev.valueShape(node.args[key], name, {}).at(-1) ?? 1;
      const v = arg(key, [...event, K]);
      if (key === 'logits') {
        for (let r = 0; r < v.length; r += K) {
          const row = v.subarray(r, r + K);
          const mx = Math.max(...row);
          let z = 0;
          for (let k = 0; k < K; k++) z += Math.exp(row[k] - mx);
          for (let k = 0; k < K; k++) row[k] = Math.exp(row[k] - mx) / z;
        }
      }
      // shape: the node's; p, mean and sd: node shape + [K] (as the discrete half reports it)
      return {
        ...simple(
          'Categorical',
          { p: v },
          v,
          v.map((x) => Math.sqrt(x * (1 - x))),
          [...F, K],
        ),
        shape: [...F],
      };
    }
    case 'Multinomial': {
      const n = arg('n', event.slice(0, -1));
      const p = arg('p');
      const K = event[event.length - 1];
      const mean = p.map((x, i) => n[Math.floor(i / K)] * x);
      const sd = p.map((x, i) => Math.sqrt(n[Math.floor(i / K)] * x * (1 - x)));
      return {
        ...simple('Multinomial', { p }, mean, sd),
        params: { n: float64(n, F.slice(0, -1)), p: float64(p, F) },
      };
    }
  }
  throw new Error(`internal: no prior summary for ${node.distribution}`);
}
