// q's Gaussian on a latent's unconstrained space, and the terms of the ELBO that read it on
// every training step, each as ONE node of tfjs's gradient tape with a hand-written gradient
// (backend/customOp.ts; every op recorded on the tape also copies its inputs and adds gradient
// kernels, and on a VAE step of a few hundred tiny kernels their JavaScript cost was most of
// the time):
//   an encoder's output o [B, 2d] split into loc = o[:, :d] and logScale = o[:, d:] (one slice
//     each; the gradient is the two halves' side by side)
//   the reparameterised draw (Kingma & Welling 2014)
//     u = loc + σ ε,  σ = e^{logScale}:        ∂u/∂loc = 1,   ∂u/∂logScale = σ ε
//   the closed-form KL to a Normal prior, per coordinate
//     KL(N(m, s²) ‖ N(μ, σ²)) = log σ − log s + (s² + (m − μ)²)/(2σ²) − 1/2;  with r = s²/σ²,
//     d = (m − μ)/σ:   ∂/∂m = d/σ = −∂/∂μ,   ∂/∂log s = r − 1,   ∂/∂σ = (1 − r − d²)/σ
//     (μ's and σ's only when a gradient reaches them: not for a constant prior)
// each gradient summed over the axes its input was broadcast along.
import * as tf from '@tensorflow/tfjs';
import { sumToShape } from '../../backend/broadcast.js';
import { customOp } from '../../backend/customOp.js';
import { normalKlTerms } from '../../backend/normalKl.js';
import { reparamDraw } from '../../backend/reparam.js';
import { reshape } from '../../backend/reshape.js';

/** q's mean and log sd, [1 or S, ...batch, ...uevent]. */
export interface GaussianQ {
  readonly loc: tf.Tensor;
  readonly logScale: tf.Tensor;
}

/** An encoder's output o [B, 2d] as q: loc and logScale in `shape` (of size B·d). */
export function splitHead(o: tf.Tensor, shape: readonly number[]): GaussianQ {
  const [B, d2] = o.shape as [number, number];
  const d = d2 / 2;
  // shape [..., d] (a vector latent per element): o seen as [..., 2d] once and cut there, each
  // half already in shape, and the halves' gradients joined in it (three kernels fewer)
  const last = shape.length > 0 && shape[shape.length - 1] === d;
  const wide = last ? [...shape.slice(0, -1), d2] : [B, d2];
  const r = wide.length - 1;
  const begin = (c: number) => wide.map((_, a) => (a === r ? c : 0));
  const size = [...wide.slice(0, -1), d];
  const [loc, logScale] = customOp([o], ([x]) => {
    const xw = last ? reshape(x, wide) : x;
    const cut = (c: number) => tf.slice(xw, begin(c), size);
    return {
      outputs: last ? [cut(0), cut(d)] : [reshape(cut(0), shape), reshape(cut(d), shape)],
      save: [],
      grads: ([dl, ds]) => [
        () =>
          last
            ? reshape(tf.concat([dl, ds], r), [B, d2])
            : tf.concat([reshape(dl, [B, d]), reshape(ds, [B, d])], 1),
      ],
    };
  });
  return { loc, logScale };
}

/** u = loc + e^{logScale} ε, [S, ...] for ε [S, ...] (see the file's comment). */
export function reparameterise(q: GaussianQ, eps: tf.Tensor): tf.Tensor {
  const [u] = customOp([q.loc, q.logScale], ([loc, logScale]) => {
    // u and se = e^{logScale} ε (backend/reparam.ts: one kernel on wasm)
    const [u, se] = reparamDraw(loc, logScale, eps);
    return {
      outputs: [u],
      save: [se],
      grads: ([du], [sEps]) => [
        () => sumToShape(du, loc.shape),
        () => sumToShape(tf.mul(du, sEps), logScale.shape),
      ],
    };
  });
  return u;
}

/**
 * KL(q ‖ N(μ, σ²)) per coordinate, summed over the axes from `from` on: q's [1 or S, B, ...]
 * against μ and σ broadcastable to it (see the file's comment).
 */
export function normalKl(q: GaussianQ, mu: tf.Tensor, sigma: tf.Tensor, from: number): tf.Tensor {
  const [kl] = customOp([q.loc, q.logScale, mu, sigma], ([loc, logScale, m0, s0]) => {
    // k per coordinate, and a = d/σ, b = r − 1 (backend/normalKl.ts: one kernel on wasm)
    const [k, a, b] = normalKlTerms(loc, logScale, m0, s0);
    const axes = Array.from({ length: k.rank - from }, (_, j) => from + j);
    return {
      outputs: [axes.length > 0 ? tf.sum(k, axes) : k],
      save: [a, b, s0],
      grads: ([dy], [aa, bb, sg]) => {
        // dy [...lead] against the coordinates [...lead, ...summed]
        const g = axes.length > 0 ? reshape(dy, [...dy.shape, ...axes.map(() => 1)]) : dy;
        return [
          () => sumToShape(tf.mul(g, aa), loc.shape),
          () => sumToShape(tf.mul(g, bb), logScale.shape),
          () => sumToShape(tf.neg(tf.mul(g, aa)), m0.shape),
          // (1 − r − d²)/σ = −(b + (a σ)²)/σ
          () =>
            sumToShape(
              tf.neg(tf.div(tf.mul(g, tf.add(bb, tf.square(tf.mul(aa, sg)))), sg)),
              s0.shape,
            ),
        ];
      },
    };
  });
  return kl;
}
