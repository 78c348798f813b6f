// Baum–Welch (Rabiner 1989 §III.C): EM on a discrete chain. E-step: forward–backward at the
// current params (exact/chain/run.ts's solveChain, vectorised over sequences) gives the per-step
// marginals γ, the expected transition counts ξ = Σ_t ξ_t and ℓ = log p(data). M-step, closed form:
//   init_k = Σ_n γ_{n,0}(k) / #sequences,     A_jk = ξ_jk / Σ_k' ξ_jk'
//   Normal emissions: em's Gaussian M-step (mstep.ts gaussianUpdate) with γ as responsibilities
//   (a shared sd pools the per-state scatters: σ² = Σ_k N_k σ_k² / Σ_k N_k)
//   Categorical emissions: B_kv = Σ_b γ_b(k) [y_b = v] / Σ_b γ_b(k)
// ℓ never decreases (trace.ts warns if it does). `restarts`: restart r from seed + r (a seeded
// perturbation of the start, startingValues), the best final ℓ kept (restarts.ts).
import { fullShape } from '../../../compile/evaluator.js';
import { compileModel } from '../../../compile/model.js';
import type { BoundModel, NDArray } from '../../../graph/bound.js';
import { sequenceGrid } from '../../../graph/chains.js';
import { prod } from '../../../util/shape.js';
import { tick } from '../../../util/tick.js';
import type { RunOptions } from '../../engine.js';
import { solveChain } from '../../exact/chain/run.js';
import { categoricalSummary } from '../../exact/summary.js';
import { float64, type Posterior, type ResultArray } from '../../result.js';
import { CaseBlocks } from '../caseSums.js';
import type { emInfo } from '../info.js';
import { kmeansPlusPlus, uniform } from '../init.js';
import { counts, EMPTY_COMPONENT, gaussianUpdate } from '../mstep.js';
import { bestOfRestarts } from '../restarts.js';
import { startValues } from '../start.js';
import { recordStep } from '../trace.js';
import type { BaumWelchPlan } from './analysis.js';

type Values = Record<string, Float64Array>;

export async function runBaumWelch(
  bound: BoundModel,
  plan: BaumWelchPlan,
  options: RunOptions<typeof emInfo.options>,
): Promise<Posterior> {
  const started = performance.now();
  const z = plan.chain.latent.name;
  const zShape = fullShape(bound, z);
  const B = prod(zShape);
  const grid = sequenceGrid(bound, z, plan.chain.chain.plate.id);
  const learned = new Set(plan.learn);
  const given = startValues(bound, plan.learn, options.init, options.initial);
  const K = fullShape(bound, plan.A)[0]!;
  const blocks = new Map<string, CaseBlocks>();
  try {
    for (const e of plan.emissions)
      if (e.family === 'Normal' && learned.has(e.mu))
        blocks.set(e.node, new CaseBlocks(bound.values[e.node]!.data, B, 1));
    const eStep = (values: Values) => {
      const known: Record<string, NDArray> = { ...bound.values };
      for (const p of plan.learn) known[p] = { shape: fullShape(bound, p), data: values[p]! };
      const at: BoundModel = { ...bound, values: known };
      const compiled = compileModel(at);
      try {
        return solveChain(at, compiled, plan.chain, { transitions: true });
      } finally {
        compiled.dispose();
      }
    };
    let lastTick = performance.now();
    const best = await bestOfRestarts(options, async (r, step) => {
      const { values, random } = startingValues(bound, plan, given, K, options.seed + r, r);
      let e = eStep(values);
      const trace = [e.logEvidence];
      let converged = false;
      let t = 0;
      while (t < options.iters) {
        mStep(values, e.marginals, e.transitions);
        t++;
        e = eStep(values);
        step();
        if (recordStep(trace, e.logEvidence, t, r, options)) {
          converged = true;
          break;
        }
        if (performance.now() - lastTick > 50) {
          await tick();
          lastTick = performance.now();
        }
      }
      const result = { values, e, trace, converged, iterations: t };
      return { result, logLik: e.logEvidence, random };
    });
    const params: Record<string, ResultArray> = {};
    for (const p of plan.learn) params[p] = float64(best.values[p]!, fullShape(bound, p));
    return {
      engine: 'em',
      converged: best.converged,
      iterations: best.iterations,
      seconds: (performance.now() - started) / 1000,
      logEvidence: best.e.logEvidence,
      elbo: best.trace,
      latents: { [z]: categoricalSummary(best.e.marginals, zShape, K) },
      params,
    };
  } finally {
    for (const b of blocks.values()) b.dispose();
  }

  function mStep(values: Values, gamma: Float64Array, xi: Float64Array): void {
    if (learned.has(plan.init)) {
      const first = new Float64Array(K);
      let n = 0;
      for (let s = 0; s < grid.nSeq; s++) {
        const b = grid.cell[s]!;
        if (b < 0) continue;
        for (let k = 0; k < K; k++) first[k] += gamma[b * K + k]!;
        n++;
      }
      if (n > 0) values[plan.init] = first.map((v) => v / n);
    }
    if (learned.has(plan.A)) {
      const A = values[plan.A]!;
      for (let j = 0; j < K; j++) {
        let row = 0;
        for (let k = 0; k < K; k++) row += xi[j * K + k]!;
        // a state never left keeps its row
        if (row > EMPTY_COMPONENT) for (let k = 0; k < K; k++) A[j * K + k] = xi[j * K + k]! / row;
      }
    }
    for (const em of plan.emissions) {
      if (em.family === 'Normal') {
        if (!learned.has(em.mu)) continue;
        const mu = values[em.mu]!;
        const sdLearned = learned.has(em.sigma);
        const sd = em.perState
          ? Float64Array.from(values[em.sigma] ?? bound.values[em.sigma]!.data)
          : new Float64Array(K).fill((values[em.sigma] ?? bound.values[em.sigma]!.data)[0]!);
        const n = gaussianUpdate(blocks.get(em.node)!, gamma, K, mu, { full: false, values: sd });
        if (!sdLearned) continue;
        if (em.perState) values[em.sigma] = sd;
        else {
          let num = 0;
          let den = 0;
          for (let k = 0; k < K; k++) {
            num += n[k]! * sd[k]! * sd[k]!;
            den += n[k]!;
          }
          values[em.sigma] = Float64Array.of(Math.sqrt(num / den));
        }
      } else if (learned.has(em.table)) {
        const table = values[em.table]!;
        const V = table.length / K;
        const y = bound.values[em.node]!.data;
        const num = new Float64Array(K * V);
        for (let b = 0; b < B; b++)
          for (let k = 0; k < K; k++) num[k * V + y[b]!] += gamma[b * K + k]!;
        const nk = counts(gamma, B, K);
        for (let k = 0; k < K; k++)
          if (nk[k]! > EMPTY_COMPONENT)
            for (let v = 0; v < V; v++) table[k * V + v] = num[k * V + v]! / nk[k]!;
      }
    }
  }
}

/**
 * Given starting values, else declared ones, else: init and A uniform, the means at the data's
 * quantiles (distinct states), the sds the data's sd, emission tables perturbed from uniform by
 * the seed (a uniform table with uniform init and A is a fixed point of EM). Restart r > 0
 * perturbs what it chooses itself (given and declared values stay, as em's other paths): init
 * and A's rows ∝ 1 + u (u uniform on [0, 1) from the restart's seed), the means at k-means++
 * seeds (Arthur & Vassilvitskii 2007: data points drawn ∝ their squared distance to the chosen
 * ones). `random`: whether a restart would differ.
 */
function startingValues(
  bound: BoundModel,
  plan: BaumWelchPlan,
  given: Values,
  K: number,
  seed: number,
  restart: number,
): { values: Values; random: boolean } {
  const out: Values = {};
  const rand = uniform(seed);
  const perturb = restart > 0;
  let random = false;
  const learn = new Set(plan.learn);
  for (const p of plan.learn) {
    const v = given[p] ?? bound.values[p]?.data;
    if (v) out[p] = Float64Array.from(v);
  }
  /** K·rows probabilities, each row uniform (restart 0) or ∝ 1 + u. */
  const rows = (n: number) => {
    const t = new Float64Array(n * K).fill(1);
    if (perturb) for (let i = 0; i < t.length; i++) t[i] += rand();
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += t[j * K + k]!;
      for (let k = 0; k < K; k++) t[j * K + k]! /= s;
    }
    return t;
  };
  for (const [p, n] of [
    [plan.init, 1],
    [plan.A, K],
  ] as const)
    if (!out[p]) {
      out[p] = rows(n);
      if (learn.has(p)) random = true;
    }
  for (const e of plan.emissions) {
    if (e.family === 'Normal') {
      const y = Float64Array.from(bound.values[e.node]!.data).sort();
      let mean = 0;
      for (const v of y) mean += v / y.length;
      let ss = 0;
      for (const v of y) ss += (v - mean) ** 2;
      const sd = Math.sqrt(ss / y.length) || 1;
      if (!out[e.mu]) {
        // restart 0: the quantiles (k + ½)/K; later ones: k-means++ seeds (init.ts), as the
        // mixtures' start — a quantile start puts every state in a cluster holding most data
        out[e.mu] = perturb
          ? kmeansPlusPlus(y, y.length, 1, K, rand)
          : Float64Array.from({ length: K }, (_, k) => y[Math.floor(((k + 0.5) / K) * y.length)]!);
        if (learn.has(e.mu)) random = true;
      }
      out[e.sigma] ??= new Float64Array(e.perState ? K : 1).fill(sd);
    } else if (!out[e.table]) {
      const V = fullShape(bound, e.table)[1]!;
      const t = Float64Array.from({ length: K * V }, () => 1 + 0.5 * rand());
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let v = 0; v < V; v++) s += t[k * V + v]!;
        for (let v = 0; v < V; v++) t[k * V + v]! /= s;
      }
      out[e.table] = t;
      if (learn.has(e.table)) random = true;
    }
  }
  // only the learned ones are returned and updated
  for (const k of Object.keys(out)) if (!learn.has(k)) delete out[k];
  return { values: out, random };
}
