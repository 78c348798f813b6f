// EM for the linear-Gaussian models of analysis.ts (factor analysis, probabilistic PCA):
// the data enter once, as their mean x̄ and centred second moments S (gaussian/moments.ts:
// blocked float32 products finished in float64); every iteration after that is O(P²K) float64
// work on the host (step.ts), whatever N — the iterates are those of per-case EM.
//
// The model is run with standardised latents u = Lz⁻¹ (z − m0), z's fixed prior N(m0, Lz Lzᵀ):
//   x_i ~ N(m, L Lᵀ + Ψ)  with  L = W Lz,  m = mu + L v,  v = Lz⁻¹ m0,
// and mapped back at the end (W = L Lz⁻¹, mu = m − L v; z's posterior m0 + Lz N(E[u_i], G)).
// An iteration (AECM; Meng & van Dyk 1997), each part never decreasing ℓ:
//   1. a learned mean offset: m ← x̄, the maximiser of ℓ over m for any L, Ψ (it moves only
//      from a start other than x̄, i.e. at the first iteration);
//   2. E-step at (L, Ψ, m); M-step L ← SB Ezz⁻¹, then ψ ← the expected squared residuals.
// ℓ is recorded at every E-step (`elbo`; for EM the bound is tight), the last entry at the
// returned params (`logEvidence`). Restarts after the first perturb the PCA start (seeded);
// from given or default loadings every restart would repeat the first, so only one is made.

import { fullShape } from '../../../compile/evaluator.js';
import { userError } from '../../../diagnostics/diagnostics.js';
import type { BoundModel, NDArray } from '../../../graph/bound.js';
import { broadcastTo, ConstEvalError, evalConst } from '../../../graph/evaluate.js';
import { exprToString } from '../../../graph/print.js';
import { float32Of } from '../../../graph/values.js';
import type { Expr } from '../../../lang/ast.js';
import { choleskyBlocks, NotPositiveDefiniteError } from '../../../linalg/dense64.js';
import { tick } from '../../../util/tick.js';
import type { RunOptions } from '../../engine.js';
import { mvNormalSummary } from '../../exact/summary.js';
import { centredMoments, projectRows } from '../../gaussian/moments.js';
import { float64, type Posterior, type ResultArray } from '../../result.js';
import type { emInfo } from '../info.js';
import { uniform } from '../init.js';
import { bestOfRestarts } from '../restarts.js';
import { startValues } from '../start.js';
import { recordStep } from '../trace.js';
import type { LinearGaussianPlan } from './analysis.js';
import { pcaStart, perturbed, residualStart } from './init.js';
import { type FaEStep, faEStep, loadingsUpdate, momentsAbout, residualVariances } from './step.js';

/** A noise variance below this × the mean variance of the data is held there (degenerate fits). */
const PSI_FLOOR = 1e-12;

/** What the model fixes: z's prior (m0, lower Lz) and x's fixed offset and noise variances. */
interface Fixed {
  readonly m0: Float64Array;
  readonly Lz: Float64Array;
  readonly offset?: Float64Array;
  readonly psi?: Float64Array;
}

/** The parameters in the standardised form of the header. */
interface State {
  L: Float64Array;
  psi: Float64Array;
  m: Float64Array;
}

/** A fixed expression's value at `shape` (float64, constants evaluated as bind does). */
function constant(bound: BoundModel, node: string, e: Expr, shape: readonly number[]): NDArray {
  let v: NDArray;
  try {
    v = evalConst(e, { sizes: bound.sizes, values: bound.values });
  } catch (err) {
    if (!(err instanceof ConstEvalError)) throw err;
    throw userError(
      `em: cannot evaluate ${exprToString(e)} in ${node}: ${err.message}`,
      'unsupported',
    );
  }
  const b = broadcastTo(v, shape);
  if (!b)
    throw userError(
      `em: ${exprToString(e)} in ${node} has shape [${v.shape.join(', ')}]; expected [${shape.join(', ')}]`,
      'unsupported',
    );
  return b;
}

function positive(values: Float64Array, what: string): Float64Array {
  const i = values.findIndex((v) => !(v > 0));
  if (i >= 0)
    throw userError(
      `em: ${what}${values.length > 1 ? `[${i}]` : ''} = ${values[i]} must be positive`,
    );
  return values;
}

function fixedPieces(bound: BoundModel, plan: LinearGaussianPlan, P: number, K: number): Fixed {
  const z = plan.latent;
  const m0 = Float64Array.from(constant(bound, z, plan.prior.mean, [K]).data);
  let Lz: Float64Array;
  if (plan.prior.family === 'Normal') {
    const s0 = positive(
      Float64Array.from(constant(bound, z, plan.prior.scale, [K]).data),
      `${z}'s prior sd`,
    );
    Lz = new Float64Array(K * K);
    for (let k = 0; k < K; k++) Lz[k * K + k] = s0[k];
  } else {
    try {
      Lz = choleskyBlocks(
        constant(bound, z, plan.prior.scale, [K, K]).data,
        K,
        1,
        `${z}'s prior covariance`,
      );
    } catch (e) {
      if (e instanceof NotPositiveDefiniteError)
        throw userError(`em: ${z}'s prior covariance is not positive definite`);
      throw e;
    }
  }
  const x = plan.node;
  const offset =
    plan.offset.kind === 'fixed'
      ? Float64Array.from(constant(bound, x, plan.offset.expr, [P]).data)
      : plan.offset.kind === 'none'
        ? new Float64Array(P)
        : undefined;
  let psi: Float64Array | undefined;
  if (plan.noise.kind === 'fixed') {
    if (plan.noise.family === 'Normal') {
      const sd = positive(
        Float64Array.from(constant(bound, x, plan.noise.expr, [P]).data),
        `${x}'s sd`,
      );
      psi = sd.map((s) => s * s);
    } else {
      const S = constant(bound, x, plan.noise.expr, [P, P]).data;
      for (let a = 0; a < P; a++)
        for (let b = 0; b < P; b++)
          if (a !== b && S[a * P + b] !== 0)
            throw userError(
              `em: ${x}'s covariance ${exprToString(plan.noise.expr)} has ${S[a * P + b]} at [${a}, ${b}]: factor analysis needs a diagonal noise covariance`,
              'unsupported',
            );
      psi = positive(
        Float64Array.from({ length: P }, (_, j) => S[j * P + j]),
        `${x}'s noise variance`,
      );
    }
  }
  return { m0, Lz, offset, psi };
}

/** L = W Lz, both [P × K] with Lz [K × K] lower. */
function toStandard(W: Float64Array, Lz: Float64Array, P: number, K: number): Float64Array {
  const L = new Float64Array(P * K);
  for (let j = 0; j < P; j++)
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let a = k; a < K; a++) s += W[j * K + a] * Lz[a * K + k];
      L[j * K + k] = s;
    }
  return L;
}

/** W = L Lz⁻¹: each row solves Lzᵀ w = l (back substitution). */
function fromStandard(L: Float64Array, Lz: Float64Array, P: number, K: number): Float64Array {
  const W = new Float64Array(P * K);
  for (let j = 0; j < P; j++)
    for (let k = K - 1; k >= 0; k--) {
      let s = L[j * K + k];
      for (let a = k + 1; a < K; a++) s -= W[j * K + a] * Lz[a * K + k];
      W[j * K + k] = s / Lz[k * K + k];
    }
  return W;
}

/** v = Lz⁻¹ m0 (forward substitution). */
function standardMean(m0: Float64Array, Lz: Float64Array, K: number): Float64Array {
  const v = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let s = m0[k];
    for (let a = 0; a < k; a++) s -= Lz[k * K + a] * v[a];
    v[k] = s / Lz[k * K + k];
  }
  return v;
}

/** base + L v. */
function plusLv(base: Float64Array, L: Float64Array, v: Float64Array, K: number): Float64Array {
  return base.map((b, j) => {
    let s = b;
    for (let k = 0; k < K; k++) s += L[j * K + k] * v[k];
    return s;
  });
}

interface Run {
  readonly state: State;
  readonly trace: number[];
  readonly last: FaEStep;
  readonly converged: boolean;
  readonly iterations: number;
}

/** Yield to the event loop (progress bars, timers) at most this often, in ms. */
const TICK_MS = 50;

export async function runLinearGaussian(
  bound: BoundModel,
  plan: LinearGaussianPlan,
  options: RunOptions<typeof emInfo.options>,
): Promise<Posterior> {
  const started = performance.now();
  const plate = Object.values(bound.graph.plates).find((p) => p.index === plan.plate);
  const N = bound.sizes[plate?.size ?? ''] as number;
  const P = bound.shapes[plan.node].event[0];
  const K = bound.shapes[plan.latent].event[0];
  const fixed = fixedPieces(bound, plan, P, K);
  const given = startValues(bound, plan.learn, options.init, options.initial);
  const x32 = float32Of(bound.values[plan.node]);
  const { mean, scatter: S } = centredMoments(x32, N, P);
  let spread = 0;
  for (let j = 0; j < P; j++) spread += S[j * P + j] / P;
  if (!(spread > 0))
    throw userError(
      `em: ${plan.node} does not vary over its ${N} cases: factor analysis needs data with spread`,
    );
  const floor = PSI_FLOOR * spread;
  const v = standardMean(fixed.m0, fixed.Lz, K);
  const W = plan.loadings.name;
  const startOf = (p: string) => given[p] ?? bound.values[p]?.data;
  const noise = plan.noise;

  /** The mean m for the loadings L when the offset is not learned: the fixed offset + L v. */
  const fixedMean = (L: Float64Array) => plusLv(fixed.offset as Float64Array, L, v, K);

  const initial = (r: number): { state: State; random: boolean } => {
    const w0 = startOf(W);
    const pcaM =
      plan.offset.kind === 'param' ? S : momentsAbout(S, mean, fixed.offset as Float64Array);
    let L: Float64Array;
    let random = false;
    if (w0) L = toStandard(Float64Array.from(w0), fixed.Lz, P, K);
    else {
      L = pcaStart(pcaM, P, K).L;
      random = true;
      if (r > 0) L = perturbed(L, uniform(options.seed + r));
    }
    let m: Float64Array;
    if (plan.offset.kind === 'param') {
      const mu0 = startOf(plan.offset.name);
      m = mu0 ? plusLv(Float64Array.from(mu0), L, v, K) : Float64Array.from(mean);
    } else m = fixedMean(L);
    let psi: Float64Array;
    if (noise.kind === 'fixed') psi = fixed.psi as Float64Array;
    else {
      const s0 = startOf(noise.name);
      if (s0) {
        const vals = positive(Float64Array.from(s0), `the starting value of ${noise.name}`);
        const variances = noise.kind === 'sd' ? vals.map((s) => s * s) : vals;
        psi = variances.length === P ? variances : new Float64Array(P).fill(variances[0]);
      } else {
        psi = residualStart(momentsAbout(S, mean, m), L, P, K);
        if (noise.isotropic) psi.fill(psi.reduce((a, b) => a + b, 0) / P);
      }
    }
    return { state: { L, psi, m }, random };
  };

  let lastTick = performance.now();
  const b = await bestOfRestarts<Run>(options, async (r, step) => {
    const { state, random } = initial(r);
    let M = momentsAbout(S, mean, state.m);
    let e = faEStep(state.L, state.psi, M, N, P, K);
    const trace = [e.logLik];
    let converged = false;
    let t = 0;
    while (t < options.iters) {
      // 1. a learned mean offset: its maximiser x̄ (moves only from another start)
      if (plan.offset.kind === 'param' && state.m.some((m, j) => m !== mean[j])) {
        state.m = Float64Array.from(mean);
        M = S;
        e = faEStep(state.L, state.psi, M, N, P, K);
      }
      // 2. the M-step from the E-step's statistics at the current params
      if (plan.loadings.learned) state.L = loadingsUpdate(e, P, K);
      if (noise.kind !== 'fixed') {
        const res = residualVariances(e, state.L, M, P, K);
        if (noise.isotropic) state.psi.fill(Math.max(res.reduce((a, b) => a + b, 0) / P, floor));
        else for (let j = 0; j < P; j++) state.psi[j] = Math.max(res[j], floor);
      }
      // an offset not learned: m = offset + L v stays put (v = 0 when L is learned, analysis.ts)
      t++;
      e = faEStep(state.L, state.psi, M, N, P, K);
      step();
      if (recordStep(trace, e.logLik, t, r, options)) {
        converged = true;
        break;
      }
      if (performance.now() - lastTick > TICK_MS) {
        await tick();
        lastTick = performance.now();
      }
    }
    return {
      result: { state, trace, last: e, converged, iterations: t },
      logLik: e.logLik,
      random,
    };
  });
  return {
    engine: 'em',
    converged: b.converged,
    iterations: b.iterations,
    seconds: (performance.now() - started) / 1000,
    logEvidence: b.last.logLik,
    elbo: b.trace,
    latents: { [plan.latent]: latentPosterior(bound, plan, fixed, b, x32, N, P, K) },
    params: paramsOf(bound, plan, fixed, b.state, v, P, K),
  };
}

/** The learned params in the model's terms: W = L Lz⁻¹, mu = m − L v, the noise param. */
function paramsOf(
  bound: BoundModel,
  plan: LinearGaussianPlan,
  fixed: Fixed,
  s: State,
  v: Float64Array,
  P: number,
  K: number,
): Record<string, ResultArray> {
  const out: Record<string, ResultArray> = {};
  const put = (name: string, values: Float64Array) => {
    out[name] = float64(values, fullShape(bound, name));
  };
  if (plan.loadings.learned) put(plan.loadings.name, fromStandard(s.L, fixed.Lz, P, K));
  if (plan.offset.kind === 'param') {
    const Lv = plusLv(new Float64Array(P), s.L, v, K);
    put(
      plan.offset.name,
      s.m.map((m, j) => m - Lv[j]),
    );
  }
  if (plan.noise.kind !== 'fixed') {
    const vals = plan.noise.kind === 'sd' ? s.psi.map(Math.sqrt) : Float64Array.from(s.psi);
    put(plan.noise.name, plan.noise.isotropic ? vals.subarray(0, 1).slice() : vals);
  }
  return out;
}

/**
 * z's posterior at the returned params: MvNormal per case with mean m0 + Lz B (x_i − m) (one
 * float32 product over the cases) and the shared covariance Lz G Lzᵀ.
 */
function latentPosterior(
  bound: BoundModel,
  plan: LinearGaussianPlan,
  fixed: Fixed,
  run: Run,
  x32: Float32Array,
  N: number,
  P: number,
  K: number,
) {
  const { Lz, m0 } = fixed;
  const { B, G } = run.last;
  const LzB = new Float64Array(K * P);
  for (let k = 0; k < K; k++)
    for (let j = 0; j < P; j++) {
      let s = 0;
      for (let a = 0; a <= k; a++) s += Lz[k * K + a] * B[a * P + j];
      LzB[k * P + j] = s;
    }
  const mu = projectRows(x32, N, P, run.state.m, LzB, K);
  if (m0.some((m) => m !== 0))
    for (let i = 0; i < N; i++) for (let k = 0; k < K; k++) mu[i * K + k] += m0[k];
  // Lz G Lzᵀ
  const cov = new Float64Array(K * K);
  for (let a = 0; a < K; a++)
    for (let b = 0; b < K; b++) {
      let s = 0;
      for (let c = 0; c <= a; c++)
        for (let d = 0; d <= b; d++) s += Lz[a * K + c] * G[c * K + d] * Lz[b * K + d];
      cov[a * K + b] = s;
    }
  const Sigma = new Float64Array(N * K * K);
  for (let i = 0; i < N; i++) Sigma.set(cov, i * K * K);
  return mvNormalSummary(mu, Sigma, fullShape(bound, plan.latent));
}
