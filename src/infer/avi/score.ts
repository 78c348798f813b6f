// The score-function (REINFORCE) estimator for discrete latents that are not summed out
// (plan.ts decides which): a Poisson latent (infinite support), a Categorical or Bernoulli with
// too many joint states per element, a global one past the joint states summed out, or any of them under
// `--discrete score`. Each gets a q of its own family, drawn without reparameterisation:
//   Bernoulli    q(z) = Bernoulli(sigmoid(η))       log q = z η − softplus(η)
//   Categorical  q(z) = Categorical(softmax(η))     log q = η_z − logsumexp(η)
//   Poisson      q(z) = Poisson(e^η)                log q = z η − e^η − log z!
// with η an encoder's output for a latent local to the outermost plate (the continuous latents'
// encoder, guide.ts, with K, 1 or 1 outputs), else free: guide.NAME.logits [...batch, K],
// guide.NAME.logit, guide.NAME.logRate [...batch].
//
// The ELBO's gradient in q's parameters φ is (Williams 1992; Ranganath et al. 2014)
//   ∇_φ L = E_q[(ℓ(z) − b) ∇_φ log q(z)] + E_q[∇_φ ℓ],   ℓ = log p(x, z) − log q(z),
// for any b not depending on the draw z (E_q[∇ log q] = 0). Training ascends the surrogate
//   L̂ + Σ_s (1/S) sg(ℓ_s − b) (log q(z_s) − sg(log q(z_s)))
// whose value is L̂ (the reported ELBO stays the plain Monte Carlo estimate) and whose gradient
// is the estimator's. Rao-Blackwellised learning signal: a latent local to the plate (nothing
// outside the plate depends on it, plan.ts) reads only its own element's terms ℓ_{s,i} = w_{s,i}
// (model.ts: the log p of the element's nodes, its Markov blanket in the plate, minus its local
// log q), scaled by N/B as the ELBO is; a global latent reads the whole estimate g + (N/B) Σ w.
// The baseline b is an exponential moving average of ℓ (Mnih & Gregor 2014's NVIL
// centring), b ← ρ b + (1 − ρ) mean_s ℓ with ρ = --baseline-decay (default 0.9: about the last
// ten steps' signals), one per latent, and for a local
// latent one per plate element (elements' signals differ by the scale of their own evidence, so
// one shared b would leave most of the variance), updated after each step it took part in (so it
// never depends on the current draw); its first value is the first signal itself.
import * as tf from '@tensorflow/tfjs';
import { makeDistribution } from '../../distributions/index.js';
import type { Rng } from '../../distributions/rng.js';
import { lgamma, noGrad } from '../../distributions/special.js';
import { encode, LOC_JITTER, MAX_HIDDEN } from './guide.js';
import type { AviScored } from './plan.js';

/** sg(t): t's value, no gradient (tfjs has no stop-gradient op). Call inside tidy. */
export const stopGradient = (t: tf.Tensor): tf.Tensor => noGrad((x) => tf.clone(x), t);

const LEAF: Record<AviScored['family'], string> = {
  Bernoulli: 'logit',
  Categorical: 'logits',
  Poisson: 'logRate',
};

/** The guide's parameters of a scored latent: names and shapes. */
export function scoreShapes(d: AviScored, hidden: number): { name: string; shape: number[] }[] {
  const p = `guide.${d.name}`;
  const out = d.family === 'Categorical' ? d.states : 1;
  if (d.inputs.length === 0) {
    const shape = [...d.batch, ...(d.family === 'Categorical' ? [d.states] : [])];
    return [{ name: `${p}.${LEAF[d.family]}`, shape }];
  }
  // the continuous encoders' rule (guide.ts hiddenWidth) with this latent's K or 1 outputs
  const H = hidden > 0 ? hidden : Math.min(MAX_HIDDEN, 2 * Math.max(d.inDim, out));
  return [
    { name: `${p}.W0`, shape: [d.inDim, H] },
    { name: `${p}.b0`, shape: [H] },
    { name: `${p}.W1`, shape: [H, out] },
    { name: `${p}.b1`, shape: [out] },
  ];
}

/** Seeded starting values: Glorot-uniform weights, zero biases, free η jittered around 0. */
export function initScore(d: AviScored, hidden: number, rng: Rng): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const s of scoreShapes(d, hidden)) {
    const leaf = s.name.slice(s.name.lastIndexOf('.') + 1);
    if (leaf.startsWith('W')) {
      const a = Math.sqrt(6 / (s.shape[0] + s.shape[1]));
      out[s.name] = tf.randomUniform(s.shape, -a, a, 'float32', rng.nextSeed());
    } else if (leaf.startsWith('b')) out[s.name] = tf.zeros(s.shape);
    else
      out[s.name] = tf.randomUniform(s.shape, -LOC_JITTER, LOC_JITTER, 'float32', rng.nextSeed());
  }
  return out;
}

/**
 * q's natural parameter η on the block (local: rows `idx` or the encoder's [B, inDim] inputs;
 * global: all of it): [...batch, K] for a Categorical, [...batch] otherwise, the first batch
 * axis the block's for a local latent. Call inside tidy.
 */
export function scoreNatural(
  d: AviScored,
  vars: Readonly<Record<string, tf.Tensor>>,
  idx: tf.Tensor | undefined,
  inputs: tf.Tensor | undefined,
): tf.Tensor {
  const p = `guide.${d.name}`;
  if (d.inputs.length === 0) {
    const eta = vars[`${p}.${LEAF[d.family]}`];
    return d.local && idx ? tf.gather(eta, idx, 0) : eta;
  }
  const o = encode(d.name, vars, inputs); // [B, K or 1]
  return d.family === 'Categorical' ? o : tf.squeeze(o, [1]);
}

/** log q(z) for draws z [S, ...batch] (float32 values) under η: [S, ...batch]. Call inside tidy. */
export function scoreLogQ(d: AviScored, eta: tf.Tensor, z: tf.Tensor): tf.Tensor {
  const e = tf.expandDims(eta, 0);
  switch (d.family) {
    case 'Bernoulli':
      return tf.sub(tf.mul(z, e), tf.softplus(e));
    case 'Poisson':
      return tf.sub(tf.sub(tf.mul(z, e), tf.exp(e)), lgamma(tf.add(z, 1)));
    default: {
      const logp = tf.logSoftmax(e); // [1, ...batch, K]
      const oneHot = tf.oneHot(tf.cast(z, 'int32'), d.states); // [S, ...batch, K]
      return tf.sum(tf.mul(oneHot, logp), -1);
    }
  }
}

/**
 * S draws z [S, ...batch] (float32: the compiled model reads discrete values so) and log q(z),
 * differentiable in η only through log q (no reparameterisation). Call inside tidy.
 */
export function drawScored(
  d: AviScored,
  eta: tf.Tensor,
  S: number,
  rng: Rng,
): { z: tf.Tensor; logQ: tf.Tensor } {
  // drawn off the gradient tape, and disconnected from it: the model indexes by z (m[c[i]]),
  // and a gather's int indices must not lie on a path from the variables (tfjs would ask for
  // their gradient). A custom op with no inputs records one node with nothing to trace back.
  const draw = tf.customGrad(() => {
    const q =
      d.family === 'Categorical'
        ? makeDistribution('Categorical', { logits: eta })
        : d.family === 'Bernoulli'
          ? makeDistribution('Bernoulli', { p: tf.sigmoid(eta) })
          : makeDistribution('Poisson', { rate: tf.exp(eta) });
    const value = tf.cast(q.sample([S], rng), 'float32');
    q.dispose?.();
    return { value, gradFunc: () => [] };
  }) as unknown as () => tf.Tensor;
  const z = draw();
  return { z, logQ: scoreLogQ(d, eta, z) };
}

/** One step's draw of a scored latent: log q [S, B] (local) or [S] (summed over a global's batch). */
export interface ScoredDraw {
  readonly latent: AviScored;
  readonly logQ: tf.Tensor;
}

/**
 * The surrogate's extra term, Σ_latents (1/S) Σ_s Σ_i c · sg(ℓ_{s,i} − b_i) (log q − sg(log q)):
 * zero in value, the score-function gradient in φ. `w` [S, B] the element terms, `total` [S]
 * the whole estimate g + (N/B) Σ_i w, `scale` = N/B. `baseline(d)`: b for the block ([B] local,
 * [] global). Returns the term and each latent's mean signal over the draws (for the baselines).
 * Call inside tidy.
 */
export function scoreTerm(
  draws: readonly ScoredDraw[],
  w: tf.Tensor | undefined,
  total: tf.Tensor,
  scale: number,
  baseline: (d: AviScored) => tf.Tensor | undefined,
): { term: tf.Scalar; signals: Map<string, tf.Tensor> } {
  let term: tf.Tensor = tf.scalar(0);
  const signals = new Map<string, tf.Tensor>();
  for (const { latent, logQ } of draws) {
    const local = latent.local && w !== undefined;
    const signal = stopGradient(local ? (w as tf.Tensor) : total); // [S, B] or [S]
    const b = baseline(latent);
    const centred = b ? tf.sub(signal, b) : signal;
    const zeroValued = tf.sub(logQ, stopGradient(logQ));
    const t = tf.mean(tf.sum(tf.mul(centred, zeroValued), local ? 1 : undefined));
    term = tf.add(term, local ? tf.mul(t, scale) : t);
    signals.set(latent.name, tf.mean(signal, 0));
  }
  return { term: term as tf.Scalar, signals };
}

/**
 * The moving-average baselines, on the device: per scored latent, b and whether it has a value
 * yet ([N] for a local latent, [] for a global one). Non-trainable variables.
 */
export class Baselines {
  private readonly b = new Map<string, { value: tf.Variable; seen: tf.Variable }>();

  constructor(
    scored: readonly AviScored[],
    N: number,
    readonly decay: number,
  ) {
    for (const d of scored) {
      const shape = d.local ? [N] : [];
      const zero = tf.zeros(shape);
      this.b.set(d.name, { value: tf.variable(zero, false), seen: tf.variable(zero, false) });
      zero.dispose(); // each variable holds its own handle
    }
  }

  /** b on the block's rows (local) or b (global); undefined before its first signal. Call inside tidy. */
  read(d: AviScored, idx: tf.Tensor | undefined): tf.Tensor | undefined {
    const e = this.b.get(d.name);
    if (!e) return undefined;
    const v = d.local && idx ? tf.gather(e.value, idx) : e.value;
    const s = d.local && idx ? tf.gather(e.seen, idx) : e.seen;
    // before the first signal: 0 (the plain estimator); the seen mask keeps that exact
    return tf.mul(v, s);
  }

  /** b ← ρ b + (1 − ρ) signal where seen, else signal; on the block's rows for a local latent. */
  update(d: AviScored, rows: readonly number[] | undefined, signal: tf.Tensor): void {
    const e = this.b.get(d.name);
    if (!e) return;
    tf.tidy(() => {
      const idx = d.local && rows ? tf.tensor2d([...rows], [rows.length, 1], 'int32') : undefined;
      const old = idx ? tf.gatherND(e.value, idx) : e.value;
      const seen = idx ? tf.gatherND(e.seen, idx) : e.seen;
      const avg = tf.add(tf.mul(old, this.decay), tf.mul(signal, 1 - this.decay));
      const next = tf.where(tf.greater(seen, 0), avg, signal);
      if (idx) {
        const n = e.value.shape[0] as number;
        e.value.assign(tf.add(e.value, tf.scatterND(idx, tf.sub(next, old), [n])));
        e.seen.assign(tf.add(e.seen, tf.scatterND(idx, tf.sub(1, seen), [n])));
      } else {
        e.value.assign(next);
        e.seen.assign(tf.onesLike(seen));
      }
    });
  }

  dispose(): void {
    for (const e of this.b.values()) tf.dispose([e.value, e.seen]);
    this.b.clear();
  }
}
