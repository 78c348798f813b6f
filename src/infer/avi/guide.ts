// The default guide q: a mean-field Gaussian on each latent's unconstrained space, mapped onto
// its support by bijectors.ts. Its parameters (tf.Variables, named as the result's `params`
// report them, with no leading axis):
//   guide.NAME.loc, guide.NAME.logScale     free mean and log sd, the latent's unconstrained
//                                           shape (global latents; local ones without inputs)
//   guide.NAME.W0, b0, W1, b1               the encoder of a local latent: h = relu(x W0 + b0),
//                                           [loc, logScale] = h W1 + b1, from element i's
//                                           observed values x (plan.ts) to its q's parameters
// Reparameterised draws (Kingma & Welling 2014): u = loc + exp(logScale)·ε, ε ~ N(0, I).
import * as tf from '@tensorflow/tfjs';
import { mlp } from '../../backend/dense.js';
import { standardNormal } from '../../backend/normal.js';
import type { Rng } from '../../distributions/rng.js';
import { prod } from '../../util/shape.js';
import { type GaussianQ, reparameterise, splitHead } from './gaussianQ.js';
import type { AviLatent } from './plan.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** The free log sd's start: σ = e^−1 on the unconstrained scale. */
export const FREE_LOG_SCALE = -1;
/** Half-width of the uniform jitter of the free means' start (breaks symmetry between elements). */
export const LOC_JITTER = 0.1;
/** The encoders' largest default hidden width. */
export const MAX_HIDDEN = 400;

export interface GuideShape {
  readonly name: string;
  readonly shape: readonly number[];
}

/** The guide's parameters for one latent: names and shapes, in a fixed order. */
export function guideShapes(l: AviLatent, hidden: number): GuideShape[] {
  const p = `guide.${l.name}`;
  if (l.inputs.length === 0) {
    const shape = [...l.batch, ...l.uevent];
    return [
      { name: `${p}.loc`, shape },
      { name: `${p}.logScale`, shape },
    ];
  }
  const out = 2 * prod(l.uevent);
  const H = hiddenWidth(l, hidden);
  return [
    { name: `${p}.W0`, shape: [l.inDim, H] },
    { name: `${p}.b0`, shape: [H] },
    { name: `${p}.W1`, shape: [H, out] },
    { name: `${p}.b1`, shape: [out] },
  ];
}

/** `--hidden`, or min(MAX_HIDDEN, 2·max(inputs, outputs)). */
export function hiddenWidth(l: AviLatent, hidden: number): number {
  return hidden > 0 ? hidden : Math.min(MAX_HIDDEN, 2 * Math.max(l.inDim, 2 * prod(l.uevent)));
}

/** Seeded starting values: Glorot-uniform weights, zero biases, jittered free means. */
export function initGuide(l: AviLatent, hidden: number, rng: Rng): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const s of guideShapes(l, hidden)) {
    const leaf = s.name.slice(s.name.lastIndexOf('.') + 1);
    if (leaf === 'loc')
      out[s.name] = tf.randomUniform(
        s.shape as number[],
        -LOC_JITTER,
        LOC_JITTER,
        'float32',
        rng.nextSeed(),
      );
    else if (leaf === 'logScale') out[s.name] = tf.fill(s.shape as number[], FREE_LOG_SCALE);
    else if (leaf.startsWith('W')) {
      const a = Math.sqrt(6 / (s.shape[0] + s.shape[1]));
      out[s.name] = tf.randomUniform(s.shape as number[], -a, a, 'float32', rng.nextSeed());
    } else out[s.name] = tf.zeros(s.shape as number[]);
  }
  return out;
}

/**
 * A latent's encoder on the block's inputs [B, inDim]: h = relu(x W0 + b0), h W1 + b1 [B, out]
 * (the continuous latents' [loc, logScale], score.ts's natural parameters). Call inside tidy.
 */
export function encode(
  name: string,
  vars: Readonly<Record<string, tf.Tensor>>,
  inputs: tf.Tensor | undefined,
): tf.Tensor {
  const p = `guide.${name}`;
  if (!inputs) throw new Error(`internal: no encoder inputs for ${name}`);
  // one tape node (backend/dense.ts); the observed values are data, and get no gradient
  const w = [`${p}.W0`, `${p}.b0`, `${p}.W1`, `${p}.b1`].map((n) => vars[n]);
  return mlp(inputs, w, { activation: 'relu' });
}

/**
 * q's mean and log sd for a latent on the elements `idx` of the outermost plate (local latents)
 * or whole (global ones): [...batch, ...uevent] with the first batch axis the minibatch's, with
 * a leading axis of 1 when `lead` (the draws' layout). `inputs`: the encoder's [B, inDim]
 * rows. Call inside tidy.
 */
export function locScale(
  l: AviLatent,
  vars: Readonly<Record<string, tf.Tensor>>,
  idx: tf.Tensor | undefined,
  inputs: tf.Tensor | undefined,
  lead = false,
): GaussianQ {
  const p = `guide.${l.name}`;
  if (l.inputs.length === 0) {
    let loc = vars[`${p}.loc`];
    let logScale = vars[`${p}.logScale`];
    if (l.local && idx) {
      loc = tf.gather(loc, idx, 0);
      logScale = tf.gather(logScale, idx, 0);
    }
    return lead
      ? { loc: tf.expandDims(loc, 0), logScale: tf.expandDims(logScale, 0) }
      : { loc, logScale };
  }
  const o = encode(l.name, vars, inputs);
  const shape = [o.shape[0], ...l.batch.slice(1), ...l.uevent];
  return splitHead(o, lead ? [1, ...shape] : shape);
}

/** Standard normal draws ε in `shape`, seeded from the stream (backend/normal.ts: SIMD on wasm). */
export function drawEps(shape: readonly number[], rng: Rng): tf.Tensor {
  return standardNormal(shape, [
    rng.nextUint32(),
    rng.nextUint32(),
    rng.nextUint32(),
    rng.nextUint32(),
  ]);
}

/**
 * S reparameterised draws u = loc + σε: q's loc and logScale are [1 or S, ...batch, ...uevent]
 * (a guide block's may vary by draw), u is [S, ...batch, ...uevent], and log q(u) summed over
 * the event axes, [S, ...batch], made on demand (the closed-form KL needs none). Call inside tidy.
 */
export function drawU(
  l: AviLatent,
  q: GaussianQ,
  S: number,
  rng: Rng,
): { u: tf.Tensor; logQ: () => tf.Tensor } {
  const eps = drawEps([S, ...q.loc.shape.slice(1)], rng);
  const u = reparameterise(q, eps);
  const eventAxes = l.uevent.map((_, k) => 1 + l.batch.length + k);
  const sum = (t: tf.Tensor) => (eventAxes.length > 0 ? tf.sum(t, eventAxes) : t);
  // log N(u; loc, σ) = −ε²/2 − log σ − log √(2π)
  const logQ = () =>
    tf.sub(sum(tf.sub(tf.mul(-0.5, tf.square(eps)), HALF_LOG_2PI)), sum(q.logScale));
  return { u, logQ };
}
