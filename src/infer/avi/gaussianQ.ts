// q's Gaussian on a latent's unconstrained space, and the two terms of the ELBO that read it on
// every training step, each as ONE node of tfjs's gradient tape with a hand-written gradient
// (every op recorded on the tape also copies its inputs and adds gradient kernels; on a VAE
// step of a few hundred tiny kernels, their JavaScript cost was most of the time):
//   the reparameterised draw (Kingma & Welling 2014)
//     u = loc + σ ε,  σ = e^{logScale}:        ∂u/∂loc = 1,   ∂u/∂logScale = σ ε
//   the closed-form KL to a Normal prior, per coordinate
//     KL(N(m, s²) ‖ N(μ, σ²)) = log σ − log s + (s² + (m − μ)²)/(2σ²) − 1/2;  with r = s²/σ²,
//     d = (m − μ)/σ:   ∂/∂m = d/σ = −∂/∂μ,   ∂/∂log s = r − 1,   ∂/∂σ = (1 − r − d²)/σ,
// each gradient summed over the axes its input was broadcast along. An encoder's q is kept as
// its output o [B, 2d] (each row [loc | logScale]) and split inside these ops, so that no slice
// or reshape is recorded either; its gradient is the two halves' side by side.
import * as tf from '@tensorflow/tfjs';
import { sumToShape } from '../../backend/broadcast.js';

type CustomGradient = Parameters<typeof tf.customGrad>[0];

/**
 * q's mean and log sd, [1 or S, ...batch, ...uevent]: two tensors, or an encoder's output
 * o [B, 2d] read as loc = o[:, :d] and logScale = o[:, d:] in `shape`.
 */
export class GaussianQ {
  private split?: { loc: tf.Tensor; logScale: tf.Tensor };

  private constructor(
    private readonly parts: readonly tf.Tensor[],
    /** the encoder's layout: loc and logScale's shape (with the leading 1) */
    private readonly headShape?: readonly number[],
  ) {}

  static of(loc: tf.Tensor, logScale: tf.Tensor): GaussianQ {
    return new GaussianQ([loc, logScale]);
  }

  /** from an encoder's o [B, 2d]; `shape` [1, B, ...] of size B·d */
  static fromHead(o: tf.Tensor, shape: readonly number[]): GaussianQ {
    return new GaussianQ([o], shape);
  }

  /** the shape of loc (and logScale) */
  get shape(): readonly number[] {
    return this.headShape ?? this.parts[0].shape;
  }

  /** The tensors the fused ops differentiate: [o] or [loc, logScale]. */
  get inputs(): readonly tf.Tensor[] {
    return this.parts;
  }

  /** loc and logScale from `inputs` (the tensors themselves, or o's halves). */
  read(ins: readonly tf.Tensor[]): { loc: tf.Tensor; logScale: tf.Tensor } {
    if (!this.headShape) return { loc: ins[0], logScale: ins[1] };
    const [B, d2] = ins[0].shape as [number, number];
    const d = d2 / 2;
    const shape = this.headShape as number[];
    return {
      loc: tf.reshape(tf.slice(ins[0], [0, 0], [B, d]), shape),
      logScale: tf.reshape(tf.slice(ins[0], [0, d], [B, d]), shape),
    };
  }

  /** The gradients of `inputs` from those of loc and logScale (any shapes they broadcast to). */
  grads(dLoc: tf.Tensor, dLogScale: tf.Tensor): tf.Tensor[] {
    const shape = this.shape;
    const a = sumToShape(dLoc, shape);
    const b = sumToShape(dLogScale, shape);
    if (!this.headShape) return [a, b];
    const [B, d2] = this.parts[0].shape as [number, number];
    return [tf.concat([tf.reshape(a, [B, d2 / 2]), tf.reshape(b, [B, d2 / 2])], 1)];
  }

  /** loc, taped (results and captures; the fused ops read `inputs`). Call inside tidy. */
  get loc(): tf.Tensor {
    this.split ??= this.read(this.parts);
    return this.split.loc;
  }

  /** logScale, taped. Call inside tidy. */
  get logScale(): tf.Tensor {
    this.split ??= this.read(this.parts);
    return this.split.logScale;
  }
}

/** u = loc + e^{logScale} ε, [S, ...] for ε [S, ...] (see the file's comment). */
export function reparameterise(q: GaussianQ, eps: tf.Tensor): tf.Tensor {
  const n = q.inputs.length;
  const f = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[n] as tf.GradSaveFunc;
    const ins = args.slice(0, n) as tf.Tensor[];
    const { loc, logScale } = q.read(ins);
    const se = tf.mul(tf.exp(logScale), eps);
    save([se]);
    return {
      value: tf.add(loc, se),
      gradFunc: (du: tf.Tensor, saved: tf.Tensor[]) => q.grads(du, tf.mul(du, saved[0])),
    };
  }) as unknown as CustomGradient);
  return f(...q.inputs);
}

/**
 * KL(q ‖ N(μ, σ²)) per coordinate, summed over the axes from `from` on: q's [1 or S, B, ...]
 * against μ and σ broadcastable to it (see the file's comment).
 */
export function normalKl(q: GaussianQ, mu: tf.Tensor, sigma: tf.Tensor, from: number): tf.Tensor {
  const n = q.inputs.length;
  const f = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[n + 2] as tf.GradSaveFunc;
    const ins = args.slice(0, n) as tf.Tensor[];
    const [m0, s0] = [args[n] as tf.Tensor, args[n + 1] as tf.Tensor];
    const { loc, logScale } = q.read(ins);
    const logSigma = tf.log(s0);
    const r = tf.exp(tf.mul(2, tf.sub(logScale, logSigma))); // s²/σ²
    const d = tf.div(tf.sub(loc, m0), s0);
    const kl = tf.add(tf.sub(logSigma, logScale), tf.mul(0.5, tf.sub(tf.add(r, tf.square(d)), 1)));
    const axes = Array.from({ length: kl.rank - from }, (_, k) => from + k);
    const value = axes.length > 0 ? tf.sum(kl, axes) : kl;
    // (the step's tidy disposes the inputs before the backward pass runs: keep what it reads)
    save([r, d, s0]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [rr, dd, sg] = saved;
        // dy [...lead] against the coordinates [...lead, ...summed]
        const g = tf.reshape(dy, [...dy.shape, ...axes.map(() => 1)]);
        const dm = tf.mul(g, tf.div(dd, sg));
        const dls = tf.mul(g, tf.sub(rr, 1));
        const ds = tf.div(tf.mul(g, tf.sub(tf.sub(1, rr), tf.square(dd))), sg);
        return [...q.grads(dm, dls), sumToShape(tf.neg(dm), m0.shape), sumToShape(ds, s0.shape)];
      },
    };
  }) as unknown as CustomGradient);
  return f(...q.inputs, mu, sigma);
}
