// avi's training loop and its result. Per Adam step (learn/tensorAdam.ts, torch.optim.Adam's
// update fused over every learned value: params, net weights, the guide), a block of B elements of the outermost plate is
// drawn (a seeded shuffle per epoch, consecutive blocks) and the reparameterised estimate
//   L̂ = (1/S) Σ_s [ g_s + (N/B) Σ_{i in block} w_{s,i} ]        (model.ts's terms)
// is ascended (Kingma & Welling 2014; Kucukelbir et al. 2017), or with --objective iw the
// importance-weighted bound (iwObjective, Burda et al. 2016). `elbo` holds one entry per epoch
// (the mean of its steps' L̂), then the final estimate, which is `logEvidence` unless --iw > 1.
// The final estimate uses finalParticles(N, K) draws on every element (in blocks of B), with one
// draw of the global latents for all blocks so that each particle's weight
//   log w_m = g_m + Σ_i w_{m,i}
// is a draw of log p(x, z) − log q(z) over the whole data. The ELBO is the mean of log w_m; the
// importance-weighted bound of Burda et al. (2016) with K = --iw is the mean over groups of K
// particles of log (1/K) Σ_k w_k — per element when no latent is global (the elements are then
// independent under p and q, and the bound Σ_i log (1/K) Σ_k w_{k,i} is tighter), else of the
// whole data's weights. Both are finished in float64 from per-element downloads.
import * as tf from '@tensorflow/tfjs';
import { userError } from '../../diagnostics/diagnostics.js';
import { Rng } from '../../distributions/rng.js';
import type { BoundModel } from '../../graph/bound.js';
import type { RunOptions } from '../engine.js';
import { TensorAdam } from '../learn/tensorAdam.js';
import type { Posterior } from '../result.js';
import { zeroProbabilityNote } from '../truncated.js';
import { negElboHat } from './elboHat.js';
import type { aviInfo } from './info.js';
import { AviModel } from './model.js';
import { type AviPlan, globalLogitsName } from './plan.js';
import { latentResults } from './results.js';
import { Baselines, scoreTerm } from './score.js';
import { AviState } from './state.js';

/** Draws from q behind the final ELBO (and IW bound) estimate, at most… */
export const FINAL_PARTICLES = 100;
/** …and at least (with FINAL_BUDGET element-draws in all: see finalParticles) */
export const FINAL_MIN_PARTICLES = 10;
export const FINAL_BUDGET = 100_000;

/**
 * How many draws the final estimate takes on N elements: FINAL_BUDGET / N within
 * [FINAL_MIN_PARTICLES, FINAL_PARTICLES], a whole number of groups of K (the IW bound's).
 * The estimate's Monte Carlo sd is sd(log w)/√M with var(log w) = Σ_i var(w_i) when the
 * elements are independent under q: it grows like √N while |ELBO| grows like N, so large data
 * need fewer draws for the same relative precision (a VAE on 10,000 images: sd ≈ 0.02 nats per
 * image at M = 10), and 100 draws there would cost as much as tens of epochs.
 */
export function finalParticles(N: number, K: number): number {
  const M = Math.max(FINAL_MIN_PARTICLES, Math.min(FINAL_PARTICLES, Math.floor(FINAL_BUDGET / N)));
  return Math.ceil(M / K) * K;
}

type AviOptions = RunOptions<typeof aviInfo.options>;

/** A seeded permutation of 0 … n − 1 (Fisher–Yates). */
function permutation(n: number, rng: Rng): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor((rng.nextUint32() / 4294967296) * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Consecutive blocks of at most B of `idx`. */
function blocks(idx: readonly number[], B: number): number[][] {
  const out: number[][] = [];
  for (let s = 0; s < idx.length; s += B) out.push(idx.slice(s, s + B));
  return out;
}

/** log (1/n) Σ exp(a_k) in float64. */
function logMeanExp(a: ArrayLike<number>, from: number, n: number, stride = 1): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < n; k++) m = Math.max(m, a[(from + k) * stride]);
  if (!Number.isFinite(m)) return m;
  let s = 0;
  for (let k = 0; k < n; k++) s += Math.exp(a[(from + k) * stride] - m);
  return m + Math.log(s / n);
}

export async function runAvi(
  bound: BoundModel,
  plan: AviPlan,
  options: AviOptions,
): Promise<Posterior> {
  const t0 = performance.now();
  const rng = new Rng(options.seed);
  const N = plan.N;
  const hasPlate = plan.plate !== undefined;
  const model = new AviModel(bound, plan);
  let state: AviState;
  try {
    state = new AviState(bound, plan, options.hidden, rng, options.initial, options.netInit);
  } catch (e) {
    model.dispose();
    throw e;
  }
  const baselines = new Baselines(plan.scored, N, options.baselineDecay);
  const pending = new Map<string, tf.Tensor>();
  let best: Map<string, tf.Tensor> | undefined;
  let disposeOptimizer = () => {};
  try {
    // the held-out elements, then the training ones
    const order = hasPlate ? permutation(N, rng) : [];
    const H = hasPlate ? Math.floor(options.heldOut * N) : 0;
    if (options.heldOut > 0) {
      if (!hasPlate)
        throw userError(
          'avi --held-out holds out elements of the outermost plate holding the data, and this model has none',
          'unsupported',
        );
      if (H < 1 || H >= N)
        throw userError(
          `avi --held-out ${options.heldOut} of ${N} elements holds out ${H}: give a fraction that holds out at least one element and keeps one`,
          'unsupported',
        );
      const free =
        plan.latents.find((l) => l.local && !l.guided && l.inputs.length === 0) ??
        plan.scored.find((d) => d.local && d.inputs.length === 0);
      if (free)
        throw userError(
          `avi --held-out: the local latent ${free.name} has free parameters per element (no encoder), which held-out elements never learn: early stopping needs every local latent amortised`,
          'unsupported',
        );
    }
    const heldOut = order.slice(0, H);
    const train = order.slice(H);
    const Ntrain = hasPlate ? train.length : 1;
    const B = hasPlate ? (options.batchSize > 0 ? Math.min(options.batchSize, Ntrain) : Ntrain) : 0;
    if (hasPlate && plan.noMinibatch && (B !== N || H > 0))
      throw userError(
        `avi --batch-size / --held-out: ${plan.noMinibatch}: run on the whole plate`,
        'unsupported',
      );
    const iwTraining = options.objective === 'iw';
    // every latent local: the elements are independent under p and q, and the bound is per
    // element; else it is the whole data's, which minibatches would bias
    const perElement =
      plan.latents.every((l) => l.local) &&
      plan.scored.every((d) => d.local) &&
      plan.globalStates === 1;
    const globalNames = plan.latents.filter((l) => !l.local).map((l) => l.name);
    if (iwTraining && !perElement && hasPlate && B !== Ntrain)
      throw userError(
        `avi --objective iw with global latents (${globalNames.join(', ')}) is the bound of the whole data, log (1/K) Σ_k p(x, z_k)/q(z_k), which a minibatch's N/B scaling would bias: drop --batch-size`,
        'unsupported',
      );
    if (iwTraining && plan.scored.length > 0)
      throw userError(
        `avi --objective iw: the discrete latents ${plan.scored.map((d) => d.name).join(', ')} take a score-function gradient, which avi gives the ELBO only: drop --objective iw (--iw K still reports the bound)`,
        'unsupported',
      );
    if ((iwTraining || options.iw > 1) && plan.globalStates > 1)
      throw userError(
        `avi --iw / --objective iw: the global discrete latents ${plan.globalEnumerated.map((d) => d.name).join(', ')} are summed out of the ELBO under q, and the importance-weighted bound needs each draw's weight: drop --iw (or use --discrete score)`,
        'unsupported',
      );
    if (plan.globalStates > 1 && !options.initial?.[globalLogitsName(plan)])
      warmGlobals(
        model,
        state,
        hasPlate ? train.slice(0, B) : undefined,
        Ntrain,
        options.particles,
        rng,
      );
    const varList = [...state.vars.values()];
    const optimizer = new TensorAdam(varList, options.lr);
    disposeOptimizer = () => optimizer.dispose();
    const elbo: number[] = [];
    let bestHeld = Number.NEGATIVE_INFINITY;
    let sinceBest = 0;
    let epochs = 0;
    let stopped = false;
    for (let e = 0; e < options.epochs && !stopped; e++) {
      optimizer.lr = options.lr * options.lrDecay ** (e / Math.max(1, options.epochs - 1));
      // the whole plate in order (a block's order does not matter), else shuffled blocks
      const shuffled =
        B === N ? order.map((_, i) => i) : permutation(Ntrain, rng).map((k) => train[k]);
      const batches = hasPlate ? blocks(shuffled, B) : [[]];
      // each step's −L̂ stays on the device; one download per epoch (no host sync per step,
      // which on an asynchronous backend would stall the pipeline), summed in float64
      const costs: tf.Scalar[] = [];
      let got: Float32Array | Int32Array | Uint8Array;
      try {
        for (const batch of batches) {
          const step = () =>
            tf.tidy(() => {
              const { g, w, scored } = model.terms(
                hasPlate ? batch : undefined,
                state.record,
                state.modelEnv(),
                iwTraining ? options.particles * options.iw : options.particles,
                rng,
                undefined,
                !iwTraining,
              );
              if (iwTraining) return tf.neg(iwObjective(g, w, options.iw, Ntrain, perElement));
              const scale = Ntrain / batch.length;
              if (scored.length === 0) return negElboHat(g, w, scale);
              const total = w ? tf.add(g, tf.mul(tf.sum(w, 1), scale)) : g;
              const elboHat = tf.mean(total);
              // the score-function gradient of the discrete latents (score.ts): zero in value
              const idx = hasPlate && B !== N ? tf.tensor1d(batch, 'int32') : undefined;
              const { term, signals } = scoreTerm(scored, w, total, scale, (d) =>
                baselines.read(d, idx),
              );
              for (const [name, t] of signals) pending.set(name, tf.keep(t));
              return tf.neg(tf.add(elboHat, term)) as tf.Scalar;
            });
          // nothing to learn (known params, only summed-out latents): the ELBO is evaluated
          const cost = varList.length > 0 ? optimizer.minimize(step) : step();
          costs.push(cost as tf.Scalar);
          // the baselines move after the step, so that b never depends on the draw it centres
          for (const d of plan.scored) {
            const t = pending.get(d.name);
            if (t) baselines.update(d, hasPlate ? batch : undefined, t);
          }
          tf.dispose([...pending.values()]);
          pending.clear();
        }
        const all = tf.stack(costs);
        got = all.dataSync();
        all.dispose();
      } finally {
        tf.dispose(costs);
      }
      let sum = 0;
      for (let k = 0; k < got.length; k++) sum -= got[k];
      const value = sum / batches.length;
      if (!Number.isFinite(value) && plan.scored.length > 0)
        throw userError(
          `avi: the ELBO estimate became ${value} in epoch ${e + 1}: a draw from q of the discrete latents ${plan.scored.map((d) => d.name).join(', ')} has probability zero under the model (a deterministic relation between discrete nodes, such as a logical OR, gives every q with full support an ELBO of -Infinity); --discrete auto sums global ones out when their joint states are few, and the exact engine sums them all out`,
          'unsupported',
        );
      if (!Number.isFinite(value)) {
        const zero = value === Number.NEGATIVE_INFINITY ? zeroProbabilityNote(bound) : '';
        throw userError(
          zero
            ? `avi: the ELBO estimate became -Infinity in epoch ${e + 1}${zero}`
            : `avi: the ELBO estimate became ${value} in epoch ${e + 1}: lower --lr, or check the model's supports`,
          'unsupported',
        );
      }
      elbo.push(value);
      epochs = e + 1;
      if (H > 0) {
        const held = heldOutElbo(model, state, heldOut, B, options.particles, rng);
        if (held > bestHeld) {
          bestHeld = held;
          sinceBest = 0;
          if (best) for (const t of best.values()) t.dispose();
          best = state.snapshot();
        } else if (++sinceBest >= options.patience) stopped = true;
      }
      options.onProgress?.(epochs, options.epochs, `ELBO ${value.toPrecision(6)}`);
      // let the event loop run (a progress bar's redraw, a signal) every 8 epochs: setImmediate,
      // not setTimeout(0), whose 1 ms floor is a tenth of a small model's epoch
      if ((e & 7) === 7) await new Promise((r) => setImmediate(r));
    }
    if (best) {
      state.reset(best);
      best = undefined;
    }
    const final = finalBounds(
      model,
      state,
      order.length > 0 ? [...order].sort((a, b) => a - b) : [],
      B || 1,
      options.iw,
      rng,
    );
    if (final.elbo === Number.NEGATIVE_INFINITY) {
      const zero = zeroProbabilityNote(bound);
      if (zero) throw userError(`avi: the final ELBO estimate is -Infinity${zero}`, 'unsupported');
    }
    elbo.push(final.elbo);
    const latents = latentResults(model, state, rng);
    return {
      engine: 'avi',
      converged: stopped || converged(elbo.slice(0, -1), options.tol),
      iterations: epochs,
      seconds: (performance.now() - t0) / 1000,
      logEvidence: options.iw > 1 ? final.iw : final.elbo,
      elbo,
      latents,
      params: state.report(),
    };
  } finally {
    if (best) for (const t of best.values()) t.dispose();
    disposeOptimizer();
    baselines.dispose();
    tf.dispose([...pending.values()]);
    state.dispose();
    model.dispose();
  }
}

/**
 * The importance-weighted bound's estimate on a block (Burda et al. 2016), from S = P·K draws:
 * g [S or 1] and w [S, B] as model.terms gives them (no closed-form KL: the bound needs each
 * draw's weight). Per element (every latent local; g then holds no latent and is the same for
 * every draw):
 *   L̂_K = mean_s g + (N/B) Σ_i (1/P) Σ_p log (1/K) Σ_k exp w_{(p,k),i},
 * else of the whole data's weights: (1/P) Σ_p log (1/K) Σ_k exp(g + Σ_i w_i)_{(p,k)}.
 * Its reparameterised gradient is the IWAE's: the draws' gradients weighted by their
 * normalised importance weights. A scalar; call inside tidy.
 */
export function iwObjective(
  g: tf.Tensor,
  w: tf.Tensor | undefined,
  K: number,
  Ntrain: number,
  perElement: boolean,
): tf.Scalar {
  const logK = Math.log(K);
  if (w && perElement) {
    const [S, B] = w.shape;
    const lme = tf.sub(tf.logSumExp(tf.reshape(w, [S / K, K, B]), 1), logK); // [P, B]
    return tf.add(tf.mean(g), tf.mul(tf.mean(tf.sum(lme, 1)), Ntrain / B)) as tf.Scalar;
  }
  const total = w ? tf.add(g, tf.sum(w, 1)) : g;
  const S = total.shape[0] as number;
  const all = tf.broadcastTo(total, [Math.max(S, K)]);
  return tf.mean(tf.sub(tf.logSumExp(tf.reshape(all, [-1, K]), 1), logK)) as tf.Scalar;
}

/**
 * Start q over the global summed-out latents' joint states at its coordinate-ascent optimum
 * for the starting q of the other latents (Bishop 2006, eq. 10.9):
 *   q(s) ∝ exp E_q[log p(x, z, s)],   η_s = mean over draws of g_s + (N/B) Σ_{i in block} w_{s,i}
 * — the exact posterior when no other latent is drawn, so Adam only refines it (from uniform
 * logits, a state of posterior probability 1e−4 needs η to move ~9, which Adam's step size
 * allows only over many steps). A state impossible on the block (−∞) starts at the least of
 * the possible ones (it keeps q = 0 where it is impossible, model.ts sumGlobals).
 */
function warmGlobals(
  model: AviModel,
  state: AviState,
  rows: readonly number[] | undefined,
  Ntrain: number,
  S: number,
  rng: Rng,
): void {
  const name = globalLogitsName(model.plan);
  const v = state.vars.get(name) as tf.Variable;
  tf.tidy(() => {
    const t = model.terms(rows, state.record, state.modelEnv(), S, rng);
    const lp = t.globalLogP as { g: tf.Tensor; w?: tf.Tensor };
    const scale = rows ? Ntrain / rows.length : 1;
    const joint = lp.w ? tf.add(lp.g, tf.mul(tf.sum(lp.w, 2), scale)) : lp.g; // [J, S]
    const eta = tf.mean(joint, 1);
    const finite = tf.isFinite(eta);
    const big = tf.fill(eta.shape, Number.MAX_VALUE);
    const least = tf.min(tf.where(finite, eta, big));
    const filled = tf.where(finite, eta, tf.broadcastTo(least, eta.shape));
    // none finite: leave q uniform
    const ok = tf.any(finite);
    v.assign(tf.where(ok, tf.sub(filled, tf.max(filled)), tf.zerosLike(eta)));
  });
}

/** Did the mean ELBO of the last tenth of the epochs change by less than tol (relative) from the tenth before? */
function converged(trace: readonly number[], tol: number): boolean {
  const w = Math.ceil(trace.length / 10);
  if (trace.length < 2 * w || w === 0) return false;
  const mean = (a: readonly number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const last = mean(trace.slice(-w));
  const before = mean(trace.slice(-2 * w, -w));
  return Math.abs(last - before) <= tol * Math.abs(last);
}

/** Σ_{i held out} (1/S) Σ_s w_{s,i}: the held-out elements' share of the ELBO. */
function heldOutElbo(
  model: AviModel,
  state: AviState,
  idx: readonly number[],
  B: number,
  S: number,
  rng: Rng,
): number {
  let total = 0;
  for (const batch of blocks(idx, B)) {
    const t = tf.tidy(() => {
      const { w } = model.terms(batch, state.record, state.modelEnv(), S, rng);
      return tf.sum(tf.mean(w as tf.Tensor, 0));
    });
    total += t.dataSync()[0];
    t.dispose();
  }
  return total;
}

/** The final ELBO and IW bound over every element (see the file's comment). */
function finalBounds(
  model: AviModel,
  state: AviState,
  all: readonly number[],
  B: number,
  K: number,
  rng: Rng,
): { elbo: number; iw: number } {
  const M = finalParticles(Math.max(1, all.length), K);
  const R = M / K;
  const perElement =
    model.plan.latents.every((l) => l.local) && model.plan.scored.every((d) => d.local);
  const logW = new Float64Array(M);
  let iwPerElement = 0;
  let outside = 0;
  const globals = tf.tidy(() => {
    const d = model.drawGlobals(B, state.record, state.modelEnv(), M, rng);
    return {
      env: Object.fromEntries(Object.entries(d.env).map(([n, t]) => [n, tf.keep(t)])),
      logQ: tf.keep(d.logQ),
      scored: [], // the score-function terms are for training only
    };
  });
  try {
    const parts = all.length > 0 ? blocks(all, B) : [[]];
    parts.forEach((batch, b) => {
      const { g, w } = tf.tidy(() => {
        const rows = all.length > 0 ? batch : undefined;
        const t = model.terms(rows, state.record, state.modelEnv(), M, rng, globals);
        return { g: tf.broadcastTo(t.g, [M]), w: t.w };
      });
      const gv = g.dataSync();
      if (b === 0) {
        for (let m = 0; m < M; m++) logW[m] += gv[m];
        outside = gv[0];
      }
      if (w) {
        const wv = w.dataSync();
        const n = batch.length;
        for (let m = 0; m < M; m++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += wv[m * n + i];
          logW[m] += s;
        }
        if (perElement && K > 1)
          for (let i = 0; i < n; i++)
            for (let r = 0; r < R; r++) iwPerElement += logMeanExp(wv.subarray(i), r * K, K, n) / R;
      }
      tf.dispose([g, w as tf.Tensor]);
    });
  } finally {
    tf.dispose([globals.logQ, ...Object.values(globals.env)]);
  }
  let elbo = 0;
  for (let m = 0; m < M; m++) elbo += logW[m] / M;
  let iw = elbo;
  if (K > 1) {
    if (perElement) {
      // g holds only the nodes outside the plate, no latent among them: the same for every m
      iw = outside + iwPerElement;
    } else {
      iw = 0;
      for (let r = 0; r < R; r++) iw += logMeanExp(logW, r * K, K) / R;
    }
  }
  return { elbo, iw };
}
