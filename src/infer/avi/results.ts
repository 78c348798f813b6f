// Each latent's variational posterior as DESIGN §5 reports it, over every element of its plate:
//   real            Normal {mu, sigma}: q itself; mean mu, sd sigma
//   positive        LogNormal {mu, sigma} (q pushed through exp); mean e^{mu+σ²/2},
//                   sd = mean·√(e^{σ²} − 1)
//   unit-interval   LogitNormal {mu, sigma}: logit x ~ Normal(mu, sigma)
//   interval        LogitNormal {mu, sigma} of (x − lo)/(hi − lo)
//   lower-bounded   ShiftedLogNormal {mu, sigma}: log(x − lo) ~ Normal(mu, sigma)
//   upper-bounded   ReflectedLogNormal {mu, sigma}: log(hi − x) ~ Normal(mu, sigma)
//   simplex[K]      StickBreakingNormal {mu, sigma}: the K − 1 stick-breaking coordinates
//                   (bijectors.ts) ~ Normal(mu, sigma)
// For the last three, mean and sd are Monte Carlo estimates from MC_DRAWS draws of q (float64
// moments of float32 draws).
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../distributions/rng.js';
import { prod } from '../../util/shape.js';
import { bernoulliSummary, categoricalSummary } from '../exact/summary.js';
import { float64, type LatentPosterior, ResultArray } from '../result.js';
import { bijectForward, hasBounds, type SupportBounds } from './bijectors.js';
import { drawEps, locScale } from './guide.js';
import type { AviModel, QParams } from './model.js';
import { type AviLatent, globalStateValues } from './plan.js';
import { scoreNatural } from './score.js';
import type { AviState } from './state.js';

/** Draws behind a Monte Carlo mean and sd (fewer for large latents: at most MC_FLOATS floats). */
export const MC_DRAWS = 1000;
const MC_FLOATS = 1 << 22;

const FAMILY: Record<AviLatent['support'], string> = {
  real: 'Normal',
  positive: 'LogNormal',
  'unit-interval': 'LogitNormal',
  interval: 'LogitNormal',
  'lower-bounded': 'ShiftedLogNormal',
  'upper-bounded': 'ReflectedLogNormal',
  simplex: 'StickBreakingNormal',
};

const wholePlate = (N: number): number[] => Array.from({ length: N }, (_, i) => i);

export function latentResults(
  model: AviModel,
  state: AviState,
  rng: Rng,
): Record<string, LatentPosterior> {
  const out: Record<string, LatentPosterior> = {};
  const N = model.plan.N;
  const guided = guidedParams(model, state, rng);
  for (const l of model.plan.latents) {
    const shape = [...l.batch, ...l.event];
    const ushape = [...l.batch, ...l.uevent];
    const [loc, sigma] = tf.tidy(() => {
      const g = guided.get(l.name);
      if (g) return [tf.squeeze(g.loc, [0]), tf.exp(tf.squeeze(g.logScale, [0]))];
      const rows = model.plan.plate === undefined ? undefined : wholePlate(N);
      const idx = rows && tf.tensor1d(rows, 'int32');
      const { inputs } = model.blockEnv(rows);
      const q = locScale(l, state.record, l.local ? idx : undefined, inputs.get(l.name));
      // a clone: a free latent's loc is the variable itself
      return [tf.clone(q.loc), tf.exp(q.logScale)];
    });
    const mu = new Float32Array(loc.dataSync());
    const sd = new Float32Array(sigma.dataSync());
    const params = { mu: new ResultArray(mu, ushape), sigma: new ResultArray(sd, ushape) };
    let mean: Float32Array | Float64Array;
    let std: Float32Array | Float64Array;
    if (l.support === 'real') {
      mean = mu;
      std = sd;
    } else if (l.support === 'positive') {
      mean = new Float64Array(mu.length);
      std = new Float64Array(mu.length);
      for (let i = 0; i < mu.length; i++) {
        const s2 = sd[i] * sd[i];
        mean[i] = Math.exp(mu[i] + s2 / 2);
        std[i] = mean[i] * Math.sqrt(Math.expm1(s2));
      }
    } else {
      [mean, std] = monteCarlo(model, state, l, loc, sigma, rng);
    }
    tf.dispose([loc, sigma]);
    out[l.name] = {
      family: FAMILY[l.support],
      shape,
      params,
      mean: new ResultArray(mean, shape),
      sd: new ResultArray(std, shape),
    };
  }
  for (const q of guided.values()) tf.dispose([q.loc, q.logScale]);
  Object.assign(out, discreteResults(model, state, rng));
  Object.assign(out, scoredResults(model, state));
  return out;
}

/**
 * A score-function latent's q over every element (score.ts): Bernoulli {p = sigmoid(η)},
 * Categorical {p = softmax(η)} ([...shape, K]), Poisson {rate = e^η} (mean rate, sd √rate).
 */
function scoredResults(model: AviModel, state: AviState): Record<string, LatentPosterior> {
  const out: Record<string, LatentPosterior> = {};
  for (const d of model.plan.scored) {
    const t = tf.tidy(() => {
      const rows = d.local ? wholePlate(model.plan.N) : undefined;
      const idx = rows && tf.tensor1d(rows, 'int32');
      const { inputs } = model.blockEnv(rows);
      const eta = scoreNatural(d, state.record, idx, inputs.get(d.name));
      return d.family === 'Categorical'
        ? tf.softmax(eta)
        : d.family === 'Bernoulli'
          ? tf.sigmoid(eta)
          : tf.exp(eta);
    });
    const v = Float64Array.from(t.dataSync());
    t.dispose();
    const shape = [...d.batch];
    if (d.family === 'Bernoulli') out[d.name] = bernoulliSummary(v, shape);
    else if (d.family === 'Categorical') out[d.name] = categoricalSummary(v, shape, d.states);
    else
      out[d.name] = {
        family: 'Poisson',
        shape,
        params: { rate: float64(v, shape) },
        mean: float64(v, shape),
        sd: float64(
          v.map((r) => Math.sqrt(r)),
          shape,
        ),
      };
  }
  return out;
}

/**
 * The guide block's loc and logScale of its latents over the whole plate, [1, ...batch,
 * ...uevent]: one draw of q (S = 1), so a latent whose guide reads latents drawn before it is
 * reported at one draw of those.
 */
function guidedParams(model: AviModel, state: AviState, rng: Rng): Map<string, QParams> {
  const out = new Map<string, QParams>();
  if (!model.plan.latents.some((l) => l.guided)) return out;
  const rows = model.plan.plate === undefined ? undefined : wholePlate(model.plan.N);
  tf.tidy(() => {
    const capture = new Map<string, QParams>();
    model.terms(rows, state.record, state.modelEnv(), 1, rng, undefined, false, capture);
    for (const l of model.plan.latents) {
      const q = capture.get(l.name);
      if (l.guided && q) out.set(l.name, { loc: tf.keep(q.loc), logScale: tf.keep(q.logScale) });
    }
  });
  return out;
}

/** Draws of the continuous latents behind the summed-out latents' posterior probabilities. */
export const DISCRETE_DRAWS = 20;

/**
 * The summed-out discrete latents' posteriors. A local one's per element: P(c_i = k | x) ≈ the
 * mean over draws of q of the normalised joint-state weights softmax_c w_i^(c) (model.ts),
 * weighted by q over the global summed-out latents' states and marginalised over the other
 * enumerated latents' states; exact when no continuous latent is drawn. A global one's: q's
 * marginal, the mean over draws (and blocks of B) of q(s) summed over the joint states s
 * holding each value (q(s) is 0 at the states impossible at a draw, model.ts sumGlobals).
 */
function discreteResults(
  model: AviModel,
  state: AviState,
  rng: Rng,
): Record<string, LatentPosterior> {
  const en = model.plan.enumerated;
  const gl = model.plan.globalEnumerated;
  if (en.length === 0 && gl.length === 0) return {};
  const N = model.plan.N;
  const hasPlate = model.plan.plate !== undefined;
  const S = model.plan.latents.length + model.plan.scored.length > 0 ? DISCRETE_DRAWS : 1;
  const JG = model.plan.globalStates;
  const B = model.plan.noMinibatch ? N : Math.max(1, Math.min(N, Math.floor((1 << 16) / (S * JG))));
  let probs: Float64Array[] = [];
  let cards: readonly number[] = [];
  const qGlobal = new Float64Array(JG);
  for (let start = 0; start < N; start += B) {
    const rows = Array.from({ length: Math.min(B, N - start) }, (_, i) => start + i);
    let states: readonly (readonly number[])[] = [];
    const [r, qg] = tf.tidy(() => {
      const t = model.terms(hasPlate ? rows : undefined, state.record, state.modelEnv(), S, rng);
      states = t.states ?? [];
      // q over the global states at each draw: [JG, S] (1 without them)
      const q = t.globalQ ?? tf.ones([1, S]);
      const qMean = tf.mean(q, 1);
      if (!t.logStates) return [tf.zeros([0]), qMean];
      // [Jl, JG·S, B] → normalised over Jl: [JG, S, B, Jl], weighted by q, averaged over S: [B, Jl]
      const Jl = t.logStates.shape[0];
      const sm = tf.reshape(tf.softmax(tf.transpose(t.logStates, [1, 2, 0])), [JG, S, -1, Jl]);
      const weighted = tf.sum(tf.mul(sm, tf.reshape(q, [JG, S, 1, 1])), 0);
      return [tf.mean(weighted, 0), qMean];
    });
    const rv = r.dataSync();
    const qv = qg.dataSync();
    tf.dispose([r, qg]);
    for (let s = 0; s < JG; s++) qGlobal[s] += (qv[s] * rows.length) / N;
    if (en.length === 0) continue;
    if (probs.length === 0) {
      cards = model.cardinalities();
      probs = cards.map((K) => new Float64Array(N * K));
    }
    const J = states.length;
    rows.forEach((row, b) => {
      states.forEach((st, s) => {
        en.forEach((_, j) => {
          probs[j][row * cards[j] + st[j]] += rv[b * J + s];
        });
      });
    });
  }
  const out: Record<string, LatentPosterior> = {};
  en.forEach((d, j) => {
    const shape = [N];
    if (d.family === 'Bernoulli') {
      const p1 = new Float64Array(N);
      for (let i = 0; i < N; i++) p1[i] = probs[j][i * 2 + 1];
      out[d.name] = bernoulliSummary(p1, shape);
    } else out[d.name] = categoricalSummary(probs[j], shape, cards[j]);
  });
  // the globals' marginals from the joint states
  const sizes = gl.map((d) => prod(d.batch));
  const values = globalStateValues(gl, JG);
  const marg = gl.map((d, k) => new Float64Array(sizes[k] * d.states));
  for (let s = 0; s < JG; s++)
    gl.forEach((d, k) => {
      for (let e = 0; e < sizes[k]; e++)
        marg[k][e * d.states + values[k][s * sizes[k] + e]] += qGlobal[s];
    });
  gl.forEach((d, k) => {
    const shape = [...d.batch];
    if (d.family === 'Bernoulli') {
      const p1 = new Float64Array(sizes[k]);
      for (let e = 0; e < sizes[k]; e++) p1[e] = marg[k][e * 2 + 1];
      out[d.name] = bernoulliSummary(p1, shape);
    } else out[d.name] = categoricalSummary(marg[k], shape, d.states);
  });
  return out;
}

/** Mean and sd of x = T(u), u ~ Normal(loc, sigma), from draws (float64 moments). */
function monteCarlo(
  model: AviModel,
  state: AviState,
  l: AviLatent,
  loc: tf.Tensor,
  sigma: tf.Tensor,
  rng: Rng,
): [Float64Array, Float64Array] {
  const size = prod([...l.batch, ...l.event]);
  const D = Math.max(2, Math.min(MC_DRAWS, Math.floor(MC_FLOATS / Math.max(1, size))));
  const x = tf.tidy(() => {
    const eps = drawEps([D, ...loc.shape], rng);
    const u = tf.add(tf.expandDims(loc, 0), tf.mul(tf.expandDims(sigma, 0), eps));
    let bounds: SupportBounds | undefined;
    if (hasBounds(l.support)) {
      const p = model.planFor(model.plan.N);
      const rows = model.plan.plate === undefined ? undefined : wholePlate(model.plan.N);
      bounds = model.bounds(p, l, { ...state.modelEnv(), ...model.blockEnv(rows).env });
    }
    return bijectForward(l.support, u, bounds).x;
  });
  const v = x.dataSync();
  x.dispose();
  const mean = new Float64Array(size);
  const m2 = new Float64Array(size);
  for (let d = 0; d < D; d++)
    for (let i = 0; i < size; i++) {
      const y = v[d * size + i];
      mean[i] += y / D;
      m2[i] += (y * y) / D;
    }
  const sd = new Float64Array(size);
  for (let i = 0; i < size; i++)
    sd[i] = Math.sqrt(Math.max(0, ((m2[i] - mean[i] * mean[i]) * D) / (D - 1)));
  return [mean, sd];
}
