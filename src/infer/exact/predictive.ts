// Missing (`null`) entries of partially observed nodes, reported by their posterior predictive
// (DESIGN.md §5): observed entries as themselves (mean x, sd 0), each missing entry by the
// distribution of a new draw given the data. Three cases:
//   - a Normal child of a linear-Gaussian block: y_t = a_t θ + ε_t, so
//     y_t | data ~ N(a_t m, a_t S a_tᵀ + σ_t²) (marginal.ts); under a Gamma precision
//     StudentT(2a', a_t m, √(b'/a' (a_t S a_tᵀ + 1/c_t))) (Murphy 2007, §5.3 / §7.6);
//   - a child of a Beta, Gamma or Dirichlet latent (its element m has posterior parameters
//     a', b' or α'; c is the known multiple of the latent in the child; Bernardo & Smith App. A):
//       Binomial(n, p)        BetaBinomial(n, a', b')       mean n a'/(a'+b'),
//                             var n a'b'(a'+b'+n) / ((a'+b')²(a'+b'+1))
//       Poisson(c λ)          NegativeBinomial(α = a', β = b'/c) (Stan's neg_binomial):
//                             mean α/β, var α(β+1)/β²
//       Exponential(c λ)      Lomax(alpha = a', lambda = b'/c): mean λ/(α−1), var λ²α/((α−1)²(α−2))
//       Gamma(s, c λ)         BetaPrime(a = s, b = a', scale = b'/c): mean scale·s/(b−1),
//                             var scale² s (s+b−1) / ((b−2)(b−1)²)
//       Normal(μ, (cτ)^-½)    StudentT(2a', μ, √(b'/(a' c)))
//       Multinomial(n, p)     DirichletMultinomial(n, α'): mean n α'_k/α'_0,
//                             var n p_k (1−p_k)(n+α'_0)/(1+α'_0) (whole missing vectors)
//     (Bernoulli and Categorical children are reported by scaled.ts);
//   - a node whose parents are all known: its own distribution (prior.ts).
// Where a family cannot express a point mass, an observed entry's parameters are null
// (counts such as n are kept); Normal/StudentT report mu = x, sigma = 0, Bernoulli p = x.
import * as tf from '@tensorflow/tfjs';
import { download, type ExprEvaluator, fullShape } from '../../compile/evaluator.js';
import type { GaussianStep } from '../../graph/conjugacy.js';
import type { StochasticNode } from '../../graph/ir.js';
import { prod } from '../../util/shape.js';
import { float64, type LatentPosterior, type ResultArray } from '../result.js';
import { gaussianSummary } from './deterministic.js';
import { affineMarginal, type BlockPosterior } from './marginal.js';
import type { ScaledChild, ScaledStep } from './plan.js';
import { priorSummary } from './prior.js';
import { familySummary } from './summary.js';

/** The data of a partially observed node: values (NaN where missing) and the observed mask. */
function observedData(ev: ExprEvaluator, name: string): { x: Float64Array; mask: Uint8Array } {
  const o = ev.model.observation[name];
  const x = ev.model.values[name].data;
  return { x, mask: o?.kind === 'partial' ? o.mask : new Uint8Array(x.length).fill(1) };
}

// ------------------------------------------------------------------ Gaussian blocks

/** Missing entries of the partially observed Normal children (leaves) of a Gaussian block. */
export function gaussianPredictive(
  step: GaussianStep,
  post: BlockPosterior,
  nu: number | undefined,
  scale: number,
  ev: ExprEvaluator,
): Record<string, LatentPosterior> {
  const model = ev.model;
  const out: Record<string, LatentPosterior> = {};
  for (const f of step.factors) {
    if (f.target !== 'observed' || model.observation[f.node]?.kind !== 'partial') continue;
    const node = model.graph.nodes[f.node] as StochasticNode;
    if (node.distribution !== 'Normal') continue; // partially observed MvNormal is refused
    const event = model.shapes[f.node].event;
    const E = prod(event);
    const { x, mask } = observedData(ev, f.node);
    const wanted = new Uint8Array(x.length / E);
    for (let t = 0; t < x.length; t++) if (!mask[t]) wanted[Math.floor(t / E)] = 1;
    const q = { at: f.node, event, expr: node.args.mu, linear: f.linear, refs: f.refs };
    const marg = affineMarginal(q, post, ev, wanted);
    if (!marg) continue;
    // the noise variance, at τ = 1 under a Gamma precision (1/c)
    const sd = download(() => {
      const env: Record<string, tf.Tensor> = {};
      if (step.precision) env[step.precision] = tf.ones([1, ...fullShape(model, step.precision)]);
      return ev.inLayout(node.args.sigma, f.node, env, event);
    });
    const mean = new Float64Array(x.length);
    const cov = new Float64Array(x.length * E); // only the diagonal is read
    for (let t = 0; t < x.length; t++) {
      if (mask[t]) {
        mean[t] = x[t];
        continue;
      }
      mean[t] = marg.mean[t];
      const d = t * E + (t % E);
      cov[d] = marg.cov[d] + sd[t] * sd[t];
    }
    out[f.node] = gaussianSummary(mean, cov, E, fullShape(model, f.node), false, nu, scale);
  }
  return out;
}

// ------------------------------------------------------------------ Beta, Gamma, Dirichlet

/** The latent's posterior parameters under their §2 names (Beta a, b; Gamma shape, rate; Dirichlet alpha). */
export type ScaledPosterior = Readonly<Record<string, Float64Array>>;

function param64(post: ScaledPosterior, name: string): Float64Array {
  const v = post[name];
  if (!v) throw new Error(`internal: the conjugate posterior has no ${name}`);
  return v;
}

/**
 * Missing entries of the partially observed children of a scaled step (not Bernoulli or
 * Categorical). `segments(c)`: the latent element each element (or vector) of child c reads,
 * int32 (scaled.ts); K: the number of categories (1 unless Dirichlet).
 */
export function scaledPredictive(
  step: ScaledStep,
  post: ScaledPosterior,
  ev: ExprEvaluator,
  segments: (c: ScaledChild) => tf.Tensor,
  K: number,
): Record<string, LatentPosterior> {
  const out: Record<string, LatentPosterior> = {};
  for (const c of step.children) {
    if (ev.model.observation[c.child]?.kind !== 'partial') continue;
    if (c.pair.child === 'Bernoulli' || c.pair.child === 'Categorical') continue;
    const seg = download(() => tf.cast(segments(c), 'float32'));
    out[c.child] = childPredictive(c, step, post, ev, seg, K);
  }
  return out;
}

function childPredictive(
  c: ScaledChild,
  step: ScaledStep,
  post: ScaledPosterior,
  ev: ExprEvaluator,
  seg: Float64Array,
  K: number,
): LatentPosterior {
  const model = ev.model;
  const child = model.graph.nodes[c.child] as StochasticNode;
  const F = fullShape(model, c.child);
  const event = model.shapes[c.child].event;
  const { x, mask } = observedData(ev, c.child);
  const T = x.length;
  const arg = (name: string, shape = event) =>
    download(() => ev.inLayout(child.args[name], c.child, {}, shape));
  // the known multiple of the latent: the argument at latent = 1 (sd^-2 for a precision)
  const coef = () =>
    c.role !== 'identity'
      ? download(() => {
          const ones = tf.ones([1, ...fullShape(model, step.latent)]);
          const v = ev.inLayout(child.args[c.arg], c.child, { [step.latent]: ones }, event);
          return c.role === 'precision' ? tf.pow(v, -2) : v;
        })
      : new Float64Array(T).fill(1);
  const mean = new Float64Array(T);
  const sd = new Float64Array(T);
  const params: Record<string, Float64Array> = {};
  const param = (name: string) => {
    params[name] = new Float64Array(T).fill(Number.NaN);
    return params[name];
  };
  // each missing entry t: the posterior of its latent element m = seg[t]
  const fill = (f: (t: number, m: number) => [number, number]) => {
    for (let t = 0; t < T; t++) {
      if (mask[t]) mean[t] = x[t];
      else [mean[t], sd[t]] = f(t, seg[t]);
    }
  };
  const sq = (v: number) => (Number.isFinite(v) && v >= 0 ? Math.sqrt(v) : Number.NaN);
  const full = (name: string) => ({ data: params[name], shape: F });

  if (c.pair.prior === 'Dirichlet') {
    const alpha1 = param64(post, 'alpha');
    // Multinomial: whole vectors, row r reads element seg[r]
    const n = arg('n', event.slice(0, -1));
    const alpha = new Float64Array(T).fill(Number.NaN);
    for (let r = 0; r < T / K; r++) {
      const o = r * K;
      if (mask[o]) {
        for (let k = 0; k < K; k++) mean[o + k] = x[o + k];
        continue;
      }
      let a0 = 0;
      for (let k = 0; k < K; k++) a0 += alpha1[seg[r] * K + k];
      for (let k = 0; k < K; k++) {
        const a = alpha1[seg[r] * K + k];
        const p = a / a0;
        alpha[o + k] = a;
        mean[o + k] = n[r] * p;
        sd[o + k] = Math.sqrt((n[r] * p * (1 - p) * (n[r] + a0)) / (1 + a0));
      }
    }
    return familySummary(
      'DirichletMultinomial',
      F,
      { n: { data: n, shape: F.slice(0, -1) }, alpha: { data: alpha, shape: F } },
      mean,
      sd,
    );
  }
  if (c.pair.prior === 'Beta') {
    const [a1, b1] = [param64(post, 'a'), param64(post, 'b')];
    // Binomial(n, p), p ~ Beta(a', b')
    const n = arg('n');
    const [pa, pb] = [param('a'), param('b')];
    fill((t, m) => {
      const [a, b] = [a1[m], b1[m]];
      pa[t] = a;
      pb[t] = b;
      const s = a + b;
      return [(n[t] * a) / s, Math.sqrt((n[t] * a * b * (s + n[t])) / (s * s * (s + 1)))];
    });
    return familySummary(
      'BetaBinomial',
      F,
      { n: { data: n, shape: F }, a: full('a'), b: full('b') },
      mean,
      sd,
    );
  }
  const cf = coef();
  const [A1, B1] = [param64(post, 'shape'), param64(post, 'rate')];
  switch (c.pair.child) {
    case 'Poisson': {
      const [al, be] = [param('alpha'), param('beta')];
      fill((t, m) => {
        al[t] = A1[m];
        be[t] = B1[m] / cf[t];
        return [al[t] / be[t], Math.sqrt(al[t] * (be[t] + 1)) / be[t]];
      });
      return familySummary(
        'NegativeBinomial',
        F,
        { alpha: full('alpha'), beta: full('beta') },
        mean,
        sd,
      );
    }
    case 'Exponential': {
      const [al, la] = [param('alpha'), param('lambda')];
      fill((t, m) => {
        const a = A1[m];
        al[t] = a;
        la[t] = B1[m] / cf[t];
        const mu = a > 1 ? la[t] / (a - 1) : Number.NaN;
        return [mu, a > 2 ? sq((la[t] * la[t] * a) / ((a - 1) ** 2 * (a - 2))) : Number.NaN];
      });
      return familySummary('Lomax', F, { alpha: full('alpha'), lambda: full('lambda') }, mean, sd);
    }
    case 'Gamma': {
      const s = arg('shape');
      const [pa, pb, ps] = [param('a'), param('b'), param('scale')];
      fill((t, m) => {
        const b = A1[m];
        pa[t] = s[t];
        pb[t] = b;
        ps[t] = B1[m] / cf[t];
        const mu = b > 1 ? (ps[t] * s[t]) / (b - 1) : Number.NaN;
        const v =
          b > 2 ? (ps[t] * ps[t] * s[t] * (s[t] + b - 1)) / ((b - 2) * (b - 1) ** 2) : Number.NaN;
        return [mu, sq(v)];
      });
      return familySummary(
        'BetaPrime',
        F,
        { a: full('a'), b: full('b'), scale: full('scale') },
        mean,
        sd,
      );
    }
    case 'Normal': {
      // Normal(mu, (c tau)^-1/2)
      const mu = arg('mu');
      const [pn, pm, ps] = [param('nu'), param('mu'), param('sigma')];
      fill((t, m) => {
        const nu = 2 * A1[m];
        pn[t] = nu;
        pm[t] = mu[t];
        ps[t] = Math.sqrt(B1[m] / (A1[m] * cf[t]));
        return [
          nu > 1 ? mu[t] : Number.NaN,
          nu > 2 ? ps[t] * Math.sqrt(nu / (nu - 2)) : Number.NaN,
        ];
      });
      // an observed entry is the point mass StudentT(nu, x, 0)
      for (let t = 0; t < T; t++) {
        if (!mask[t]) continue;
        pn[t] = 2 * A1[seg[t]];
        pm[t] = x[t];
        ps[t] = 0;
      }
      return familySummary(
        'StudentT',
        F,
        { nu: full('nu'), mu: full('mu'), sigma: full('sigma') },
        mean,
        sd,
      );
    }
  }
  throw new Error(`internal: no posterior predictive for a ${c.pair.child} child`);
}

// ------------------------------------------------------------------ known parents

/** A partially observed node whose parents are all known: its own distribution for the missing entries. */
export function knownPredictive(name: string, ev: ExprEvaluator): LatentPosterior {
  const s = priorSummary(name, ev);
  const { x, mask } = observedData(ev, name);
  const T = x.length;
  const point: Record<string, (t: number) => number> = {
    // the parameters of a point mass at x, where the family has one
    'Normal.mu': (t) => x[t],
    'Normal.sigma': () => 0,
    'LogNormal.mu': (t) => Math.log(x[t]),
    'LogNormal.sigma': () => 0,
    'Uniform.lo': (t) => x[t],
    'Uniform.hi': (t) => x[t],
    'Bernoulli.p': (t) => x[t],
  };
  const entry = (
    field: ResultArray,
    f: (t: number, k: number, old: number) => number,
  ): ResultArray => {
    const v = Float64Array.from(field.data);
    const w = v.length / T;
    for (let t = 0; t < T; t++) {
      if (!mask[t]) continue;
      for (let k = 0; k < w; k++) v[t * w + k] = f(t, k, v[t * w + k]);
    }
    return float64(v, field.shape);
  };
  const params: Record<string, ResultArray> = {};
  for (const [p, field] of Object.entries(s.params)) {
    const keep = p === 'n'; // a number of trials is known for observed entries too
    const f = point[`${s.family}.${p}`];
    if (keep) params[p] = field;
    else if (s.family === 'Categorical') params[p] = entry(field, (t, k) => (k === x[t] ? 1 : 0));
    else params[p] = entry(field, (t) => (f ? f(t) : Number.NaN));
  }
  const mean =
    s.family === 'Categorical'
      ? entry(s.mean, (t, k) => (k === x[t] ? 1 : 0))
      : entry(s.mean, (t) => x[t]);
  return { ...s, params, mean, sd: entry(s.sd, () => 0) };
}
