// The gradient M-step of generalised EM (Dempster, Laird & Rubin 1977 §3; Neal & Hinton 1998):
// for the params without a closed-form M-step (gradientPlan.ts), increase
//   Q(θ) = Σ_i Σ_z q_i(z) log p(x_i, z | θ),   q_i(z) = p(z | x_i, θ_old),
// rather than maximise it. Any increase of Q increases the log-likelihood ℓ at least as much
// (ℓ(θ) − ℓ(θ_old) ≥ Q(θ) − Q(θ_old), Jensen), so ℓ never decreases, as in EM.
//
// q_i is the joint posterior of case i's discrete latents on their enumerated states
// (caseGrid.ts): log p(x_i, z | θ_old) from one pass of the compiled model, normalised by the
// E-step's exact log p(x_i | θ_old). Q's gradient in the unconstrained coordinates u (θ = T(u),
// transforms.ts) is tfjs autodiff through the compiled log-probabilities of the nodes that read
// the params, with the params passed in the env as tensors. Each M-step takes `iters` Adam
// steps (adam.ts; its moments carry over between M-steps) and keeps them only if Q, summed in
// float64 over the cases, increased; otherwise it returns to θ_old, halves the step size,
// restarts the moments and tries again, up to MAX_HALVINGS times (then θ stays: a stationary
// point to that resolution).
import * as tf from '@tensorflow/tfjs';
import { compileModel, type Env, type ModelPlan } from '../../compile/model.js';
import { userError } from '../../diagnostics/diagnostics.js';
import type { BoundModel } from '../../graph/bound.js';
import { NotPositiveDefiniteError } from '../../linalg/dense64.js';
import { prod } from '../../util/shape.js';
import type { EStepResult } from '../discrete/estep.js';
import { type UniqueCases, uniqueCases } from '../discrete/uniqueCases.js';
import { type AdamState, adamAscend, adamState, copyAdam } from '../learn/adam.js';
import { forward, forward64, inverse64, neutral } from '../learn/transforms.js';
import { CaseGrid, perCase } from './caseGrid.js';
import type { GradientPlan } from './gradientPlan.js';

/** Step-size halvings an M-step tries before it keeps θ_old. */
export const MAX_HALVINGS = 6;
/** |Σ_z q_i(z) − 1| beyond this means the compiled model and the E-step disagree (a bug). */
const NORMALISATION_TOLERANCE = 1e-3;

type Values = Record<string, Float64Array>;

/** Half-width of the uniform jitter added to every gradient param's start (unconstrained). */
export const JITTER = 0.2;

/**
 * Starting values of the gradient params: the declared (or data-free neutral) value moved by a
 * seeded uniform jitter of ±JITTER in the unconstrained coordinates. Declared defaults are often
 * symmetric (every noisy-OR cause with the same prior and weights); a gradient step keeps an
 * exact symmetry between exchangeable latents forever, so the start breaks it, and restarts
 * then differ.
 */
export function gradientStart(plan: GradientPlan, values: Values, rand: () => number): void {
  for (const p of plan.params) {
    const theta = values[p.name] ?? neutral(p.transform, p.shape);
    let u: Float64Array;
    try {
      u = inverse64(p.transform, theta, p.shape);
    } catch (e) {
      if (!(e instanceof NotPositiveDefiniteError)) throw e;
      throw userError(
        `em: the starting value of the covariance param ${p.name} is not positive definite`,
        'data',
      );
    }
    for (let i = 0; i < u.length; i++) u[i] += JITTER * (2 * rand() - 1);
    values[p.name] = forward64(p.transform, u, p.shape);
  }
}

/** Floats of the state chunks' latent values and q kept through an M-step (64 MB). */
const CACHE_FLOATS = 1 << 24;

/** One chunk of joint states: the latents' values there and q_i(z), [n, N]. */
interface ChunkData {
  readonly latent: Record<string, tf.Tensor>;
  readonly q: tf.Tensor;
}

/** What one M-step's passes share. */
interface StepContext {
  readonly fixed: Env;
  readonly thetaOld: Env;
  readonly logLik: tf.Tensor;
  readonly counts: tf.Tensor;
  /** every chunk, when they fit in CACHE_FLOATS */
  cached?: ChunkData[];
}

/** Per-case sums of the first pass of an M-step. */
interface Accumulators {
  readonly sumQ: Float64Array;
  readonly q0: Float64Array;
}

/** What one M-step did. */
export interface GradientStep {
  /** Q(θ_new) − Q(θ_old), float64 (0 when θ_old was kept) */
  readonly gain: number;
  /** step-size halvings it took */
  readonly halvings: number;
}

export class GradientMStep {
  private readonly model: ModelPlan;
  private readonly offsets: number[] = [];
  private readonly u: Float64Array;
  private adam: AdamState;
  private rate: number;
  private grid?: CaseGrid;
  private readonly nodes: string[];
  private readonly widest: number;
  /** N */
  private readonly cases: number;
  /** the distinct cases (uniqueCases.ts): Q is Σ over them weighted by their counts */
  private readonly unique?: UniqueCases;
  /** the model on the distinct cases (or all of them) */
  private readonly work: BoundModel;
  /** number of distinct cases */
  private readonly rows: number;

  constructor(
    bound: BoundModel,
    private readonly plan: GradientPlan,
    /** every learnable param (those of closed-form slots reach the env from `values`) */
    private readonly learn: readonly string[],
    /** the index of the plate of cases */
    plate: string,
    private readonly iters: number,
    /** Adam's step size at the start of a run */
    private readonly initialRate: number,
    /** memory budgets (tests use small ones to take the chunked and uncached paths) */
    private readonly budget: { readonly chunkFloats?: number; readonly cacheFloats?: number } = {},
  ) {
    const p = Object.values(bound.graph.plates).find((x) => x.index === plate);
    this.cases = bound.sizes[p?.size ?? ''] as number;
    this.unique = uniqueCases(bound, plate);
    this.work = this.unique?.bound ?? bound;
    this.rows = this.unique?.unique ?? this.cases;
    let n = 0;
    for (const p of plan.params) {
      this.offsets.push(n);
      n += prod(p.shape);
    }
    this.u = new Float64Array(n);
    this.rate = initialRate;
    this.adam = adamState(n);
    this.model = compileModel(this.work);
    this.nodes = [...this.model.stochastic.keys()];
    this.widest = Math.max(
      1,
      ...this.nodes.map((name) => {
        const s = bound.shapes[name];
        return prod([...s.batch, ...s.event]) / this.cases;
      }),
    );
  }

  /** Start a run from `values` (the unconstrained coordinates of its gradient params). */
  start(values: Values): void {
    this.plan.params.forEach((p, j) => {
      this.u.set(inverse64(p.transform, values[p.name], p.shape), this.offsets[j]);
    });
    this.adam = adamState(this.u.length);
    this.rate = this.initialRate;
  }

  private slice(u: Float64Array, j: number): Float64Array {
    const p = this.plan.params[j];
    return u.subarray(this.offsets[j], this.offsets[j] + prod(p.shape));
  }

  /** θ = T(u) of every gradient param, in the env's layout [1, ...shape]. */
  private theta(us: readonly tf.Tensor[]): Env {
    return tf.tidy(() => {
      const env: Record<string, tf.Tensor> = {};
      this.plan.params.forEach((p, j) => {
        env[p.name] = tf.expandDims(forward(p.transform, us[j]), 0);
      });
      return env;
    });
  }

  private uTensors(u: Float64Array): tf.Tensor[] {
    return this.plan.params.map((p, j) =>
      tf.tensor(Float32Array.from(this.slice(u, j)), [...p.shape]),
    );
  }

  /** log p of `nodes` summed over each case's elements, [s, N], deterministic nodes evaluated first. */
  private caseLogProb(env: Env, nodes: readonly string[]): tf.Tensor {
    return tf.tidy(() => {
      const full = { ...env, ...this.model.evaluateDeterministic(env) };
      return perCase((name) => this.model.logProb(name, full), nodes);
    });
  }

  /**
   * A chunk of joint states: the latents' values and q_i(z) there (new tensors). With `acc`, it
   * also adds each case's Σ_z q_i(z) and Q_i(θ_old) = Σ_z q_i(z) log p(factors | z, θ_old) —
   * the same log-probabilities, read once.
   */
  private chunkData(ctx: StepContext, s0: number, n: number, acc?: Accumulators): ChunkData {
    const latent = (this.grid as CaseGrid).env(s0, n);
    const q = tf.tidy(() => {
      const env: Env = { ...ctx.fixed, ...ctx.thetaOld, ...latent };
      const full = { ...env, ...this.model.evaluateDeterministic(env) };
      const per = new Map(
        this.nodes.map((name) => [name, perCase((x) => this.model.logProb(x, full), [name])]),
      );
      const sum = (names: readonly string[]) =>
        names.reduce(
          (a: tf.Tensor, name) => tf.add(a, per.get(name) as tf.Tensor),
          tf.zeros([1, 1]),
        );
      const q = tf.exp(tf.sub(sum(this.nodes), ctx.logLik));
      if (acc) {
        add(acc.sumQ, tf.sum(q, 0));
        add(acc.q0, weighted(q, sum(this.plan.factors)));
      }
      return q;
    });
    return { latent, q };
  }

  /** f on every chunk of states: cached, or built for the call and disposed after it. */
  private eachChunk(ctx: StepContext, f: (c: ChunkData) => void): void {
    if (ctx.cached) {
      for (const c of ctx.cached) f(c);
      return;
    }
    for (const [s0, n] of (this.grid as CaseGrid).chunks()) {
      const c = this.chunkData(ctx, s0, n);
      try {
        f(c);
      } finally {
        tf.dispose([c.q, ...Object.values(c.latent)]);
      }
    }
  }

  /** One M-step from the E-step `e` at `values`; updates the gradient params in `values`. */
  step(values: Values, e: EStepResult): GradientStep {
    const N = this.rows;
    if (!this.grid) {
      const cards: Record<string, number> = {};
      for (const l of this.plan.latents) cards[l] = e.posterior[l]?.card ?? 2;
      this.grid = new CaseGrid(
        this.work,
        this.plan.latents,
        cards,
        N,
        this.widest,
        this.budget.chunkFloats,
      );
    }
    const grid = this.grid;
    const gradientNames = new Set(this.plan.params.map((p) => p.name));
    const owned: tf.Tensor[] = [];
    const own = <T extends tf.Tensor>(t: T): T => {
      owned.push(t);
      return t;
    };
    const u0 = Float64Array.from(this.u);
    try {
      // the other learnables at their current values; θ_old; log p(x_i | θ_old) of each
      // distinct case, and its count
      const fixed: Record<string, tf.Tensor> = {};
      for (const name of this.learn)
        if (!gradientNames.has(name)) {
          const s = this.work.shapes[name];
          fixed[name] = own(
            tf.tensor(Float32Array.from(values[name]), [1, ...s.batch, ...s.event]),
          );
        }
      const us0 = this.uTensors(u0);
      const thetaOld = this.theta(us0);
      tf.dispose(us0);
      owned.push(...Object.values(thetaOld));
      const first = this.unique?.first;
      const ll = first ? Float32Array.from(first, (i) => e.logLik[i]) : Float32Array.from(e.logLik);
      const counts = this.unique
        ? Float32Array.from(this.unique.counts)
        : new Float32Array(N).fill(1);
      const ctx: StepContext = {
        fixed,
        thetaOld,
        logLik: own(tf.tensor2d(ll, [1, N])),
        counts: own(tf.tensor2d(counts, [1, N])),
      };
      // the latents' values and q on every state chunk, kept for the M-step's passes when
      // they fit in CACHE_FLOATS, else rebuilt in each pass; Σ_z q_i(z) and Q(θ_old) per case
      const latentWidth = this.plan.latents.reduce((a, l) => {
        const sh = this.work.shapes[l];
        return a + prod([...sh.batch, ...sh.event]) / N;
      }, 0);
      const acc: Accumulators = { sumQ: new Float64Array(N), q0: new Float64Array(N) };
      const cache =
        grid.states * N * (1 + latentWidth) <= (this.budget.cacheFloats ?? CACHE_FLOATS);
      if (cache) ctx.cached = [];
      for (const [s0, n] of grid.chunks()) {
        const c = this.chunkData(ctx, s0, n, acc);
        if (ctx.cached) {
          owned.push(c.q, ...Object.values(c.latent));
          ctx.cached.push(c);
        } else tf.dispose([c.q, ...Object.values(c.latent)]);
      }
      const { sumQ, q0 } = acc;
      let worst = 0;
      for (let i = 0; i < N; i++) worst = Math.max(worst, Math.abs(sumQ[i] - 1));
      if (!(worst <= NORMALISATION_TOLERANCE))
        throw new Error(
          `internal: em's gradient M-step: the posterior on the enumerated states sums to 1 ± ${worst} in some case (the compiled model and the E-step disagree)`,
        );
      const Q0 = this.total(q0);
      let halvings = 0;
      let gain = 0;
      for (;;) {
        const saved = copyAdam(this.adam);
        for (let t = 0; t < this.iters; t++)
          adamAscend(this.u, this.gradient(ctx), this.adam, this.rate);
        const Q1 = this.value(ctx);
        if (Q1 > Q0) {
          gain = Q1 - Q0;
          break;
        }
        // back to θ_old; the moments may point the wrong way (they remember earlier M-steps):
        // start them afresh, so that the first step follows the sign of the current gradient
        // and a small enough one increases Q
        this.u.set(u0);
        this.adam = halvings === MAX_HALVINGS ? saved : adamState(this.u.length);
        if (halvings === MAX_HALVINGS) break;
        this.rate /= 2;
        halvings++;
      }
      this.plan.params.forEach((p, j) => {
        values[p.name] = forward64(p.transform, Float64Array.from(this.slice(this.u, j)), p.shape);
      });
      return { gain, halvings };
    } catch (err) {
      this.u.set(u0);
      throw err;
    } finally {
      tf.dispose(owned);
    }
  }

  /** ∂Q/∂u (float64 sums of the chunks' float32 gradients). */
  private gradient(ctx: StepContext): Float64Array {
    const g = new Float64Array(this.u.length);
    const us = this.uTensors(this.u);
    try {
      this.eachChunk(ctx, (c) => {
        const f = (...xs: tf.Tensor[]) => {
          const lp = this.caseLogProb(
            { ...ctx.fixed, ...this.theta(xs), ...c.latent },
            this.plan.factors,
          );
          // per case: Σ_z q(z) log p; a state of probability 0 adds nothing (not 0 · −∞)
          return tf.div(tf.sum(tf.mul(masked(c.q, lp), ctx.counts)), this.cases) as tf.Scalar;
        };
        const { value, grads } = tf.valueAndGrads(f)(us);
        value.dispose();
        grads.forEach((gr, j) => {
          const d = gr.dataSync();
          const o = this.offsets[j];
          for (let i = 0; i < d.length; i++) g[o + i] += d[i];
        });
        tf.dispose(grads);
      });
    } finally {
      tf.dispose(us);
    }
    return g;
  }

  /** Q at the current u (the terms that read the gradient params), float64 over the cases. */
  private value(ctx: StepContext): number {
    const per = new Float64Array(this.rows);
    const us = this.uTensors(this.u);
    const theta = this.theta(us);
    try {
      this.eachChunk(ctx, (c) => {
        tf.tidy(() => {
          add(
            per,
            weighted(
              c.q,
              this.caseLogProb({ ...ctx.fixed, ...theta, ...c.latent }, this.plan.factors),
            ),
          );
        });
      });
    } finally {
      tf.dispose([...us, ...Object.values(theta)]);
    }
    return this.total(per);
  }

  /** Σ over the cases of a per-distinct-case array (each times its count), float64. */
  private total(a: Float64Array): number {
    const counts = this.unique?.counts;
    let s = 0;
    for (let i = 0; i < a.length; i++) s += counts ? counts[i] * a[i] : a[i];
    return s;
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** q · lp with 0 where q = 0 (an impossible state's −∞ log-probability adds nothing). */
function masked(q: tf.Tensor, lp: tf.Tensor): tf.Tensor {
  return tf.where(tf.greater(q, 0), tf.mul(q, lp), tf.zerosLike(q));
}

/** Σ_z q_i(z) lp_i(z) per case: [N]. */
function weighted(q: tf.Tensor, lp: tf.Tensor): tf.Tensor {
  return tf.sum(masked(q, lp), 0);
}

/** acc += t (a float32 [N] tensor), in float64. */
function add(acc: Float64Array, t: tf.Tensor): void {
  const d = t.dataSync();
  for (let i = 0; i < acc.length; i++) acc[i] += d[i];
}
