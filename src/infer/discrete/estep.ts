// The E-step of EM over discrete latents: for a plate of independent cases and given parameter
// values, the posterior of every case's discrete latents, each case's log-likelihood with the
// latents summed out (float64), and expected sufficient statistics.
//
//   const e = discreteEStep(bound, { plate: 'i', values: { pi, mu } });
//   e.logLik            // Float64Array [N]: log p(x_i | θ) = log Σ_z p(z, x_i | θ)
//   e.posterior.z.probs // Float64Array [N × K]: responsibilities r_ik = p(z_i = k | x_i, θ)
//   const s = expectedStats(bound, e, 'z', 'x'); // Σ_i r_ik, Σ_i r_ik x_i, Σ_i r_ik x_i²
//
// It is the exact discrete machinery (prepare.ts, solve.ts) run on the model with the values
// replaced: the cases are identical components of the factor graph, so one batched solve (one
// table evaluation per node, one enumeration or calibration over every case at once, Quickscore
// per case for noisy-OR findings) gives them all. The structure is kept between calls unless
// it depends on the values (noisy-OR weights decide which causes a finding reads).
import * as tf from '@tensorflow/tfjs';
import { compileModel } from '../../compile/model.js';
import { userError } from '../../diagnostics/diagnostics.js';
import type { BoundModel, NDArray } from '../../graph/bound.js';
import { prod } from '../../util/shape.js';
import { reasonsError } from '../engine.js';
import { type Method, type Prepared, prepare } from './prepare.js';
import { solve } from './solve.js';
import { plateIndexOf } from './structure.js';
import { type UniqueCases, uniqueCases } from './uniqueCases.js';
import { planValues } from './values.js';

/** A value for a param or hyper: a number (broadcast) or the full array, row-major. */
export type ValueInput = number | ArrayLike<number>;

export interface EStepOptions {
  /** the plate of independent cases: its index name (`i`) or id */
  readonly plate: string;
  /** current values of params and hypers, replacing those bound from the data and defaults */
  readonly values?: Readonly<Record<string, ValueInput>>;
  /** force a method where it applies (tests); default: the cheapest per group */
  readonly method?: Method | 'auto';
  /** no fast paths (prepare.ts's PrepareOptions.generic; tests) */
  readonly generic?: boolean;
}

/** The posterior of one discrete node: probabilities of each element's states. */
export interface DiscretePosterior {
  /** the node's full shape (batch then event); the cases are one of its batch axes */
  readonly shape: readonly number[];
  /** number of states of each element */
  readonly card: number;
  /** [elements × card], row-major over `shape` */
  readonly probs: Float64Array;
}

export interface EStepResult {
  /** number of cases (the plate's size) */
  readonly cases: number;
  /** log-likelihood of each case with its discrete latents summed out (float64) */
  readonly logLik: Float64Array;
  /** the log-probability of what belongs to no case (nodes outside the plate) */
  readonly logLikRest: number;
  /** Σ logLik + logLikRest: the log evidence of the whole data set */
  readonly logZ: number;
  /** every latent (or partially observed) discrete node */
  readonly posterior: Readonly<Record<string, DiscretePosterior>>;
}

/** The model with `values` in place of the bound values of params and hypers. */
export function withValues(
  bound: BoundModel,
  values: Readonly<Record<string, ValueInput>>,
): BoundModel {
  const next: Record<string, NDArray> = { ...bound.values };
  for (const [name, v] of Object.entries(values)) {
    const node = bound.graph.nodes[name];
    if (node?.kind !== 'param' && node?.kind !== 'hyper')
      throw userError(`E-step values: '${name}' is not a param or hyper of the model`, 'data');
    const s = bound.shapes[name];
    const shape = [...s.batch, ...s.event];
    const n = prod(shape);
    const data =
      typeof v === 'number'
        ? new Float64Array(n).fill(v)
        : Float64Array.from(v as ArrayLike<number>);
    if (data.length !== n)
      throw userError(
        `E-step values: '${name}' has ${data.length} entries, its shape [${shape.join(', ')}] has ${n}`,
        'data',
      );
    next[name] = { shape, data };
  }
  return { ...bound, values: next };
}

/** The plate of cases, named by its id or index; the model may open it in several blocks. */
interface CasePlate {
  readonly index: string;
  readonly size: string;
  /** every plate block over the same index and size (`plate i in N` written twice) */
  readonly ids: readonly string[];
}

function casePlate(bound: BoundModel, plate: string): CasePlate {
  const all = Object.values(bound.graph.plates);
  const p = all.find((q) => q.id === plate) ?? all.find((q) => q.index === plate);
  if (!p) throw userError(`E-step: the model has no plate '${plate}'`, 'data');
  const ids = all
    .filter((q) => q.index === p.index && q.size === p.size && !q.raggedBy)
    .map((q) => q.id);
  return { index: p.index, size: p.size, ids };
}

/** The case of every element of a node (see plateIndexOf), in any block of the case plate. */
function caseIndexOf(
  bound: BoundModel,
  name: string,
  elementShape: readonly number[],
  plate: CasePlate,
): Int32Array | undefined {
  for (const id of plate.ids) {
    const idx = plateIndexOf(bound, name, elementShape, id);
    if (idx) return idx;
  }
  return undefined;
}

/** What does not depend on the values: the case of every variable and constant element. */
interface CaseMap {
  readonly cases: number;
  /** per plan, per copy: its case */
  readonly copyCase: Int32Array[];
  /** per constant element: its case, or -1 */
  readonly constantCase: Int32Array;
}

function caseMap(bound: BoundModel, prep: Prepared, plate: CasePlate): CaseMap {
  const { vars, nVars, factors } = prep.nodes;
  const caseOfVar = new Int32Array(nVars).fill(-1);
  for (const v of vars) {
    const idx = caseIndexOf(bound, v.name, v.shape, plate);
    if (idx) caseOfVar.set(idx, v.offset);
  }
  const size = bound.sizes[plate.size];
  if (typeof size !== 'number')
    throw userError(`E-step: the plate of cases must not be ragged`, 'unsupported');
  const cases = size;
  const copyCase = prep.plans.map((gp) => {
    const { copies, copyVars, cards } = gp.group;
    const n = cards.length;
    const out = new Int32Array(copies);
    for (let c = 0; c < copies; c++) {
      const k = caseOfVar[copyVars[c * n]];
      for (let v = 0; v < n; v++) {
        if (caseOfVar[copyVars[c * n + v]] !== k || k < 0) {
          const id = copyVars[c * n + v];
          const node = vars.find((x) => id >= x.offset && id < x.offset + x.size);
          throw userError(
            `E-step: the cases of plate '${plate.index}' are not independent: ${node?.name ?? 'a discrete latent'} ${k < 0 || caseOfVar[id] < 0 ? 'lies outside the plate' : 'links two cases'}`,
            'unsupported',
          );
        }
      }
      out[c] = k;
    }
    return out;
  });
  const { constants } = prep.structure;
  const constantCase = new Int32Array(constants.length / 2);
  const byFactor = new Map<number, Int32Array | undefined>();
  for (let i = 0; i < constants.length; i += 2) {
    const fi = constants[i];
    if (!byFactor.has(fi)) {
      const f = factors[fi];
      byFactor.set(fi, caseIndexOf(bound, f.name, f.elementShape, plate));
    }
    const idx = byFactor.get(fi);
    constantCase[i / 2] = idx ? idx[constants[i + 1]] : -1;
  }
  return { cases, copyCase, constantCase };
}

/**
 * One E-step. Throws a PlatoError when the model is not a plate of independent cases with
 * discrete latents of finite support (the reasons name the nodes).
 */
export function discreteEStep(bound: BoundModel, options: EStepOptions): EStepResult {
  return new DiscreteEStep(bound, options.plate, options.method, options.generic).run(
    options.values ?? {},
  );
}

/**
 * E-steps of one model and plate, keeping the structure between calls where it allows. Repeated
 * cases (equal observed values) are solved once (uniqueCases.ts) and their results copied.
 */
export class DiscreteEStep {
  private readonly plate: CasePlate;
  private cached?: { prep: Prepared; cases: CaseMap };
  private readonly unique?: UniqueCases;

  constructor(
    private readonly bound: BoundModel,
    plate: string,
    private readonly method: Method | 'auto' = 'auto',
    private readonly generic = false,
  ) {
    this.plate = casePlate(bound, plate);
    this.unique = uniqueCases(bound, this.plate.index);
  }

  run(values: Readonly<Record<string, ValueInput>>): EStepResult {
    if (!this.unique) return this.solve(this.bound, values);
    return expandCases(this.solve(this.unique.bound, values), this.unique);
  }

  private solve(bound: BoundModel, values: Readonly<Record<string, ValueInput>>): EStepResult {
    const model = withValues(bound, values);
    const plan = compileModel(model);
    try {
      let hit = this.cached;
      if (!hit) {
        // the latents' posterior and log Z only: no predictive of missing leaf entries
        const a = prepare(model, planValues(model, plan), {
          method: this.method,
          predictives: false,
          generic: this.generic,
        });
        if (!a.ok)
          throw reasonsError(model, a.reasons, (r) => `E-step over discrete latents: ${r.message}`);
        hit = { prep: a.value, cases: caseMap(model, a.value, this.plate) };
        // noisy-OR weights and Binomial sizes come from the values: prepare again next time
        const valueDependent =
          a.value.noisyOr.some((p) => p) || a.value.nodes.vars.some((v) => v.family === 'Binomial');
        if (!valueDependent) this.cached = hit;
      }
      const { prep, cases } = hit;
      const sol = solve(model, plan, prep);
      const logLik = new Float64Array(cases.cases);
      let rest = 0;
      sol.groupLogZ.forEach((z, g) => {
        const cc = cases.copyCase[g];
        for (let c = 0; c < z.length; c++) logLik[cc[c]] += z[c];
      });
      sol.constantLogZ.forEach((x, i) => {
        const k = cases.constantCase[i];
        if (k >= 0) logLik[k] += x;
        else rest += x;
      });
      const posterior: Record<string, DiscretePosterior> = {};
      prep.nodes.vars.forEach((v, i) => {
        posterior[v.name] = { shape: v.shape, card: v.card, probs: sol.marginals[i] };
      });
      return { cases: cases.cases, logLik, logLikRest: rest, logZ: sol.logZ, posterior };
    } finally {
      plan.dispose();
    }
  }
}

/** The E-step of the distinct cases copied to every case (the case axis of each posterior leads). */
function expandCases(e: EStepResult, u: UniqueCases): EStepResult {
  const N = u.cases;
  const logLik = new Float64Array(N);
  let logZ = e.logLikRest;
  for (let i = 0; i < N; i++) {
    logLik[i] = e.logLik[u.caseOf[i]];
    logZ += logLik[i];
  }
  const posterior: Record<string, DiscretePosterior> = {};
  for (const [name, p] of Object.entries(e.posterior)) {
    const per = p.probs.length / u.unique;
    const probs = new Float64Array(N * per);
    for (let i = 0; i < N; i++) {
      const at = u.caseOf[i] * per;
      probs.set(p.probs.subarray(at, at + per), i * per);
    }
    posterior[name] = { shape: [N, ...p.shape.slice(1)], card: p.card, probs };
  }
  return { cases: N, logLik, logLikRest: e.logLikRest, logZ, posterior };
}

/** Expected sufficient statistics of the observed node `x` weighted by a latent's posterior. */
export interface ExpectedStats {
  /** number of weights per case: the latent's elements per case × its states */
  readonly L: number;
  /** scalars of x per case */
  readonly D: number;
  /** [L]: Σ_i r_il (expected counts) */
  readonly count: Float64Array;
  /** [L × D]: Σ_i r_il x_i */
  readonly sum: Float64Array;
  /** [L × D]: Σ_i r_il x_i² (elementwise) */
  readonly sumSq: Float64Array;
  /** [L × D × D] when asked for: Σ_i r_il x_i x_iᵀ */
  readonly sumOuter?: Float64Array;
}

/** The case axis must lead: [cases, rest] with the plate as the node's outermost batch axis. */
function leadingCases(bound: BoundModel, name: string, plate: CasePlate, cases: number): number {
  const axes = bound.axes[name] ?? [];
  if (axes[0]?.plates.length !== 1 || !plate.ids.includes(axes[0].plates[0]))
    throw userError(
      `expected statistics: the plate '${plate.index}' must be the outermost plate of ${name}`,
      'unsupported',
    );
  const s = bound.shapes[name];
  return prod([...s.batch, ...s.event]) / cases;
}

/**
 * Σ_i r_il, Σ_i r_il x_i, Σ_i r_il x_i² (and optionally Σ_i r_il x_i x_iᵀ) over the cases, with
 * r_i the posterior of `latent`'s elements in case i flattened to L = elements × states and x_i
 * the observed values of `observed` in case i. A Gaussian mixture's M-step reads
 * (count, sum, sumSq) of (z, x); a noisy-OR's expected counts are those of (d, s): Σ_i P(d_ik)
 * and Σ_i P(d_ik) s_ij. Each block of cases is one tfjs matMul; the blocks are summed in float64.
 */
/** Floats of one block of cases' weights and values (≈ 1 MB in float32). */
const BLOCK_FLOATS = 1 << 18;
/** At most this many cases per block: the float32 part of each sum runs over no more. */
const BLOCK_ROWS = 4096;

export function expectedStats(
  bound: BoundModel,
  e: EStepResult,
  latent: string,
  observed: string,
  options: { readonly plate: string; readonly outer?: boolean },
): ExpectedStats {
  const plate = casePlate(bound, options.plate);
  const post = e.posterior[latent];
  if (!post) throw userError(`expected statistics: ${latent} is not a discrete latent`, 'data');
  const x = bound.values[observed];
  if (!x || bound.observation[observed]?.kind !== 'observed')
    throw userError(`expected statistics: ${observed} is not fully observed`, 'data');
  const N = e.cases;
  const L = leadingCases(bound, latent, plate, N) * post.card;
  const D = leadingCases(bound, observed, plate, N);
  const r = post.probs;
  const xs = x.data;
  const count = new Float64Array(L);
  const sum = new Float64Array(L * D);
  const sumSq = new Float64Array(L * D);
  const sumOuter = options.outer ? new Float64Array(L * D * D) : undefined;
  // one float32 matMul per block of cases, the block sums finished in float64: a float32 sum
  // runs over one block (relative error ~ √rows · 2⁻²⁴), never over all N cases
  const rows = Math.min(
    BLOCK_ROWS,
    Math.max(64, Math.floor(BLOCK_FLOATS / Math.max(1, L + D * (sumOuter ? D : 1)))),
  );
  for (let i0 = 0; i0 < N; i0 += rows) {
    const n = Math.min(rows, N - i0);
    const parts = tf.tidy(() => {
      const rb = tf.tensor2d(Float32Array.from(r.subarray(i0 * L, (i0 + n) * L)), [n, L]);
      const xb = tf.tensor2d(Float32Array.from(xs.subarray(i0 * D, (i0 + n) * D)), [n, D]);
      const rt = tf.transpose(rb);
      const out = [tf.sum(rb, 0), tf.matMul(rt, xb), tf.matMul(rt, tf.square(xb))];
      if (sumOuter) {
        const xx = tf.reshape(tf.mul(tf.expandDims(xb, 2), tf.expandDims(xb, 1)), [n, D * D]);
        out.push(tf.matMul(rt, xx));
      }
      return out;
    });
    [count, sum, sumSq, sumOuter].forEach((acc, k) => {
      if (!acc) return;
      const d = parts[k]!.dataSync();
      for (let j = 0; j < acc.length; j++) acc[j] += d[j];
    });
    tf.dispose(parts);
  }
  return { L, D, count, sum, sumSq, sumOuter };
}
