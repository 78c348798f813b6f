// Each latent's variational posterior as DESIGN §5 reports it, over every element of its plate:
//   real            Normal {mu, sigma}: q itself; mean mu, sd sigma
//   positive        LogNormal {mu, sigma} (q pushed through exp); mean e^{mu+σ²/2},
//                   sd = mean·√(e^{σ²} − 1)
//   unit-interval   LogitNormal {mu, sigma}: logit x ~ Normal(mu, sigma)
//   interval        LogitNormal {mu, sigma} of (x − lo)/(hi − lo)
//   simplex[K]      StickBreakingNormal {mu, sigma}: the K − 1 stick-breaking coordinates
//                   (bijectors.ts) ~ Normal(mu, sigma)
// For the last three, mean and sd are Monte Carlo estimates from MC_DRAWS draws of q (float64
// moments of float32 draws).
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../distributions/rng.js';
import { type LatentPosterior, ResultArray } from '../result.js';
import { bijectForward } from './bijectors.js';
import { locScale } from './guide.js';
import type { AviModel } from './model.js';
import type { AviLatent } from './plan.js';
import type { AviState } from './state.js';

/** Draws behind a Monte Carlo mean and sd (fewer for large latents: at most MC_FLOATS floats). */
export const MC_DRAWS = 1000;
const MC_FLOATS = 1 << 22;

const FAMILY: Record<AviLatent['support'], string> = {
  real: 'Normal',
  positive: 'LogNormal',
  'unit-interval': 'LogitNormal',
  interval: 'LogitNormal',
  simplex: 'StickBreakingNormal',
};

export function latentResults(
  model: AviModel,
  state: AviState,
  rng: Rng,
): Record<string, LatentPosterior> {
  const out: Record<string, LatentPosterior> = {};
  const N = model.plan.N;
  for (const l of model.plan.latents) {
    const shape = [...l.batch, ...l.event];
    const ushape = [...l.batch, ...l.uevent];
    const [loc, sigma] = tf.tidy(() => {
      const idx = model.plan.plate === undefined ? undefined : tf.range(0, N, 1, 'int32');
      const { inputs } = model.blockEnv(idx);
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
  const size = [...l.batch, ...l.event].reduce((a, b) => a * b, 1);
  const D = Math.max(2, Math.min(MC_DRAWS, Math.floor(MC_FLOATS / Math.max(1, size))));
  const x = tf.tidy(() => {
    const eps = tf.randomNormal([D, ...loc.shape], 0, 1, 'float32', rng.nextSeed());
    const u = tf.add(tf.expandDims(loc, 0), tf.mul(tf.expandDims(sigma, 0), eps));
    let bounds: { lo: tf.Tensor; hi: tf.Tensor } | undefined;
    if (l.support === 'interval') {
      const p = model.planFor(model.plan.N);
      const idx =
        model.plan.plate === undefined ? undefined : tf.range(0, model.plan.N, 1, 'int32');
      bounds = model.bounds(p, l, { ...state.modelEnv(), ...model.blockEnv(idx).env });
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
