// Variational EM in cavi (issue 10 item 4; Beal 2003 §2.3, Bishop PRML §10.1): the ELBO
//   L(q, θ) = E_q[log p(x, latents | θ)] + H[q]
// is maximised by coordinate ascent in the variational factors (the sweep, run.ts) and in the
// learned params θ (the M-step here, after every sweep). H[q] does not depend on θ, so the
// M-step increases the expected log joint in θ, whose θ-dependent parts are
//   - a term p(x | args(θ)) of the model: Σ_rows W · E_q[log p(x | args)] (terms.ts, evaluated
//     with θ in the env: the compiled log density for a term with no continuous latent, the
//     child family's message for one with: E[log p] = <η_msg, E[T(parent)]> + rest + log h);
//   - a continuous latent's prior p(v | θ) with q(v) = ExpFamily(η): E_q[log p(v | θ)] =
//     Σ_e <η_prior(θ), E_q[T(v_e)]> − A(η_prior(θ)) + E[log h], the maximum-likelihood objective
//     of the prior family given the expected statistics (for LDA's Dirichlet alpha it is Minka's
//     2000 objective D(log Γ(Σα) − Σ log Γ(α_k)) + Σ_k (α_k − 1) Σ_d E[log θ_dk]).
// θ moves in unconstrained coordinates u (θ = T(u), src/infer/learn/transforms.ts) by STEPS Adam
// steps (learn/adam.ts) on the gradient of that objective (tfjs autodiff); the steps are kept only
// if the whole ELBO, recomputed with the new θ, did not decrease (beyond its float32 noise, the
// tolerance of run.ts's check of every update); otherwise θ goes back, the step
// size halves and the moments restart, up to MAX_HALVINGS times (then θ stays this sweep). So L
// never decreases, as in generalised EM (Neal & Hinton 1998). A strict test (no decrease at
// all) would stall θ short of the maximiser: there the gains fall below the ELBO's float32 noise
// and steps would be rejected at random; the gradient stays accurate, so with the tolerance θ
// reaches the maximiser to ~1e-6 relative (test/infer/cavi/vem.test.ts).
import * as tf from '@tensorflow/tfjs';
import type { Env } from '../../compile/evaluator.js';
import type { ExpFamily } from '../../distributions/distribution.js';
import { expFamilyOf } from '../../distributions/expfamily.js';
import type { Rng } from '../../distributions/rng.js';
import { PARAM_EVENT_RANK } from '../../distributions/shapes.js';
import { digamma64, trigamma64 } from '../../distributions/special64.js';
import type { BoundModel, NDArray } from '../../graph/bound.js';
import { type AdamState, adamAscend, adamState } from '../learn/adam.js';
import { forward, forward64, inverse64, neutral } from '../learn/transforms.js';
import type { InitialValues } from '../options.js';
import type { CaviLatent, CaviParam } from './plan.js';
import type { ContinuousQ, Q } from './state.js';
import type { TermRt } from './terms.js';

/** Adam steps per M-step. */
export const STEPS = 20;
/** Adam's starting step size in the unconstrained coordinates. */
export const LEARNING_RATE = 0.05;
/** The smallest step size (below float32's resolution of u near 1). */
export const MIN_LR = 1e-8;
/** Step-size halvings an M-step tries before θ stays for the sweep. */
export const MAX_HALVINGS = 6;
/**
 * Half-width of the seeded uniform jitter of a param's start in unconstrained coordinates: a
 * neutral start (every component mean 0) is symmetric, and symmetric params get identical
 * updates forever (as em's gradient start, src/infer/em/gradient.ts).
 */
export const JITTER = 0.2;

/** Does node `name` read one of `params`, directly or through deterministic nodes? */
export function readsParams(bound: BoundModel, name: string, params: ReadonlySet<string>): boolean {
  const seen = new Set<string>();
  const visit = (n: string): boolean => {
    if (seen.has(n)) return false;
    seen.add(n);
    const node = bound.graph.nodes[n];
    if (!node) return false;
    return node.parents.some(
      (p) => params.has(p) || (bound.graph.nodes[p]?.kind === 'deterministic' && visit(p)),
    );
  };
  return visit(name);
}

/**
 * A param that is the whole concentration of Dirichlet latents and read by nothing else
 * (`theta[d] ~ Dirichlet(alpha)`, alpha: real(0,)[K]): its M-step is Minka's fixed point.
 */
export interface DirichletConcentration {
  readonly param: string;
  readonly latent: string;
}

/** The params cavi's M-step sets by Minka's fixed point rather than gradient steps. */
export function dirichletConcentrations(
  bound: BoundModel,
  params: readonly CaviParam[],
  continuous: ReadonlySet<string>,
): DirichletConcentration[] {
  const out: DirichletConcentration[] = [];
  for (const p of params) {
    const users = bound.graph.order.filter((n) => bound.graph.nodes[n].parents.includes(p.name));
    const node = users.length === 1 ? bound.graph.nodes[users[0]] : undefined;
    const alpha = node?.kind === 'stochastic' ? node.args.alpha : undefined;
    if (
      node?.kind === 'stochastic' &&
      node.distribution === 'Dirichlet' &&
      continuous.has(node.name) &&
      alpha?.kind === 'name' &&
      alpha.name === p.name &&
      p.shape.length === 1 &&
      p.transform.kind === 'lower' &&
      p.transform.lower === 0
    )
      out.push({ param: p.name, latent: node.name });
  }
  return out;
}

/** ψ⁻¹(y) by Newton's method from Minka's (2000, appendix C) start. */
export function invDigamma64(y: number): number {
  let x = y >= -2.22 ? Math.exp(y) + 0.5 : -1 / (y + 0.5772156649015329);
  for (let i = 0; i < 50; i++) {
    const step = (digamma64(x) - y) / trigamma64(x);
    x -= step;
    if (Math.abs(step) < 1e-15 * x) break;
  }
  return x;
}

/**
 * argmax_α Σ_e E_q[log Dir(θ_e; α)] given the mean over elements of E_q[log θ_ek] (`meanLog`):
 * Minka's (2000, "Estimating a Dirichlet distribution", eq. 9) fixed point
 *   α_k ← ψ⁻¹(ψ(Σ_j α_j) + meanLog_k),
 * which increases the objective at every step and converges to its unique maximiser.
 */
export function minkaFixedPoint(meanLog: Float64Array, start: Float64Array): Float64Array {
  let a = Float64Array.from(start);
  for (let t = 0; t < 10000; t++) {
    let s = 0;
    for (const v of a) s += v;
    const ps = digamma64(s);
    const next = a.map((_, k) => invDigamma64(ps + meanLog[k]));
    const done = next.every((v, k) => Math.abs(v - a[k]) <= 1e-13 * v);
    a = next;
    if (done) break;
  }
  return a;
}

/** The learned params' values θ (float64), their unconstrained coordinates and Adam's state. */
export class ParamState {
  readonly values: Record<string, Float64Array> = {};
  private u: Record<string, Float64Array> = {};
  private adam: AdamState;
  lr = LEARNING_RATE;
  private tensors: Record<string, tf.Tensor> = {};
  /** the params learned by Adam steps (the others: Minka's fixed point) */
  private readonly gradient: readonly CaviParam[];

  constructor(
    readonly params: readonly CaviParam[],
    bound: BoundModel,
    rng: Rng,
    readonly minka: readonly DirichletConcentration[] = [],
    /** a saved fit's values (`--load`, checked in src/infer/initial.ts): they start θ */
    initial: InitialValues = {},
  ) {
    for (const p of params) {
      const given = initial[p.name]?.data ?? bound.values[p.name]?.data;
      const u = inverse64(p.transform, given ?? neutral(p.transform, p.shape), p.shape);
      if (!given) for (let i = 0; i < u.length; i++) u[i] += JITTER * (2 * rng.nextFloat() - 1);
      this.u[p.name] = u;
      this.values[p.name] = forward64(p.transform, u, p.shape);
    }
    const closed = new Set(minka.map((m) => m.param));
    this.gradient = params.filter((p) => !closed.has(p.name));
    this.adam = adamState(this.size());
    this.upload();
  }

  private size(): number {
    return this.gradient.reduce((s, p) => s + this.u[p.name].length, 0);
  }

  /** θ as tensors [1, ...shape] (the evaluator's sample axis first), for the E-step's terms. */
  get env(): Env {
    return this.tensors;
  }

  /** A bound model whose values hold the current θ (what `plato` reports and the evaluator reads). */
  withValues(bound: BoundModel): BoundModel {
    const values: Record<string, NDArray> = { ...bound.values };
    for (const p of this.params) values[p.name] = { shape: p.shape, data: this.values[p.name] };
    return { ...bound, values };
  }

  private upload(): void {
    tf.dispose(Object.values(this.tensors));
    this.tensors = {};
    for (const p of this.params)
      this.tensors[p.name] = tf.tensor(Float32Array.from(this.values[p.name]), [1, ...p.shape]);
  }

  private setU(u: Record<string, Float64Array>): void {
    for (const p of this.params) {
      if (!u[p.name]) continue;
      this.u[p.name] = u[p.name];
      this.values[p.name] = forward64(p.transform, u[p.name], p.shape);
    }
    this.upload();
  }

  /**
   * One M-step: Minka's fixed point for the Dirichlet concentrations (`meanLog`: the mean over
   * a Dirichlet latent's elements of E_q[log θ]), then Adam steps on ∇_u of `objective` (a
   * scalar of θ's tensors in the env) for the other params. Each part is kept if the ELBO
   * (`elbo` after `refresh` with the new θ) did not decrease by more than `slack`, the float32
   * noise of the ELBO (run.ts DECREASE_TOLERANCE): near the maximiser the gains are below that
   * noise, and a strict test would reject steps at random. Returns the ELBO after it.
   */
  mStep(
    objective: (env: Env) => tf.Scalar,
    refresh: (env: Env) => void,
    elbo: () => number,
    slack: () => number,
    tol: number,
    meanLog: (latent: string) => Float64Array,
  ): number {
    for (const m of this.minka) {
      const before = elbo();
      const old = this.values[m.param];
      const next = minkaFixedPoint(meanLog(m.latent), old);
      const p = this.params.find((x) => x.name === m.param) as CaviParam;
      this.setU({ [m.param]: inverse64(p.transform, next, p.shape) });
      refresh(this.tensors);
      if (elbo() < before - slack()) {
        this.setU({ [m.param]: inverse64(p.transform, old, p.shape) });
        refresh(this.tensors);
      }
    }
    if (this.gradient.length === 0) return elbo();
    const before = elbo();
    const old = Object.fromEntries(
      this.gradient.map((p) => [p.name, Float64Array.from(this.u[p.name])]),
    );
    for (let attempt = 0; attempt <= MAX_HALVINGS; attempt++) {
      const u = Object.fromEntries(
        this.gradient.map((p) => [p.name, Float64Array.from(old[p.name])]),
      );
      const flat = new Float64Array(this.size());
      const grad = new Float64Array(flat.length);
      for (let s = 0; s < STEPS; s++) {
        const g = tf.tidy(() => {
          const us = this.gradient.map((p) =>
            tf.tensor(Float32Array.from(u[p.name]), [...p.shape]),
          );
          const f = (...xs: tf.Tensor[]) => {
            const env: Record<string, tf.Tensor> = { ...this.tensors };
            this.gradient.forEach((p, i) => {
              env[p.name] = tf.reshape(forward(p.transform, xs[i]), [1, ...p.shape]);
            });
            return objective(env);
          };
          return tf.grads(f)(us);
        });
        let o = 0;
        g.forEach((t, i) => {
          const name = this.gradient[i].name;
          flat.set(u[name], o);
          grad.set(t.dataSync(), o);
          o += u[name].length;
        });
        tf.dispose(g);
        adamAscend(flat, grad, this.adam, this.lr);
        o = 0;
        for (const p of this.gradient) {
          u[p.name].set(flat.subarray(o, o + u[p.name].length));
          o += u[p.name].length;
        }
      }
      this.setU(u);
      refresh(this.tensors);
      const after = elbo();
      if (after >= before - slack()) {
        this.adapt(old, u, after - before < tol * Math.abs(after));
        return after;
      }
      // back to θ_old, smaller steps, fresh moments
      this.setU(old);
      refresh(this.tensors);
      this.lr /= 2;
      this.adam = adamState(this.size());
    }
    return elbo();
  }

  /**
   * Adam's steps have a size ~lr whatever the gradient, so near the maximiser θ circles it at
   * distance ~lr. When an M-step gained less than the run's `tol` (`small`) and its STEPS steps
   * moved u by less than half their lengths' sum (they turned back), the step size halves; when
   * they went on in one direction it doubles again, up to LEARNING_RATE: the maximiser moves as
   * q does (LDA's alpha drifts for many sweeps), and a small step would lag behind it.
   */
  private adapt(
    old: Record<string, Float64Array>,
    u: Record<string, Float64Array>,
    small: boolean,
  ): void {
    let net = 0;
    for (const p of this.gradient)
      for (let i = 0; i < u[p.name].length; i++)
        net = Math.max(net, Math.abs(u[p.name][i] - old[p.name][i]));
    const path = this.lr * STEPS;
    if (net > path / 2) this.lr = Math.min(this.lr * 2, LEARNING_RATE);
    else if (small) this.lr = Math.max(this.lr / 2, MIN_LR);
  }

  dispose(): void {
    tf.dispose(Object.values(this.tensors));
    this.tensors = {};
  }
}

/**
 * E_q[log p(v | θ)] − E_q[log h(v)] of a continuous latent whose prior reads θ:
 * Σ_e <η_prior(θ)_e, E_q[T(v_e)]> − A(η_prior(θ)_e), differentiable in env's tensors.
 */
export function priorObjective(
  l: Extract<CaviLatent, { kind: 'continuous' }>,
  q: ContinuousQ,
  env: Env,
  priorArgs: (env: Env) => Record<string, tf.Tensor | Float64Array>,
): tf.Scalar {
  return tf.tidy(() => {
    const args: Record<string, tf.Tensor> = {};
    for (const [name, v] of Object.entries(priorArgs(env))) {
      const shape = PARAM_EVENT_RANK[l.family][name] === 1 ? [q.M, q.K] : [q.M];
      args[name] =
        v instanceof Float64Array
          ? tf.tensor(Float32Array.from(v), shape)
          : tf.reshape(tf.broadcastTo(v, [1, ...q.F]), shape);
    }
    const ef = expFamilyOf(l.family) as ExpFamily;
    const eta = ef.naturalParams(args);
    let s = tf.neg(tf.sum(ef.logNormalizer(eta)));
    eta.forEach((b, i) => {
      s = tf.add(s, tf.sum(tf.mul(b, q.moments[i])));
    });
    return s as tf.Scalar;
  });
}

/**
 * Σ_rows W · E_q[log p(x | args(θ))] of a term that reads θ: the term rebuilt with θ in the env
 * (`build`), its per-state log-likelihood weighted by the selector's q.
 */
export function termObjective(
  build: (env: Env) => TermRt,
  qs: ReadonlyMap<string, Q>,
  env: Env,
): tf.Scalar {
  const t = build(env);
  const { l, scale } = t.logLikByElement(qs); // [B, S], as the weights
  scale.dispose();
  const W = t.weightsPerElement(qs);
  return (
    W ? tf.sum(tf.mul(W, tf.where(tf.greater(W, 0), l, tf.zerosLike(l)))) : tf.sum(l)
  ) as tf.Scalar;
}
