// Exact inference for models whose latents all have finite support (Bernoulli, Categorical,
// Binomial with fixed n): posterior marginals of every latent and the log evidence.
//
// The machinery is engine-neutral and lives in src/infer/discrete:
//   factors   one per element of every stochastic node, tables from ONE compiled evaluation per
//             node with the sample axis enumerating the factor's joint states (tables.ts)
//   structure connected components of the factor graph, identical ones batched (structure.ts)
//   methods   Quickscore for noisy-OR findings (quickscore.ts), chunked enumeration
//             (enumerate.ts), a min-fill clique tree with two-pass calibration (calibrate.ts),
//             after conditioning on hub variables that join many small parts (generic.ts)
// Here: the exact engine's applicability (cached per model), its wording, and its report.
// The combined `exact` engine (../index.ts) calls discreteApplicability and runDiscrete.
import { compileModel } from '../../../compile/model.js';
import { PlatoError } from '../../../diagnostics/diagnostics.js';
import type { Reason } from '../../../diagnostics/reason.js';
import type { BoundModel } from '../../../graph/bound.js';
import type { Analysed } from '../../discrete/analysis.js';
import type { PredictivePaths } from '../../discrete/leaves.js';
import { type Method, type Prepared, prepare } from '../../discrete/prepare.js';
import { solve } from '../../discrete/solve.js';
import { planValues } from '../../discrete/values.js';
import { type Applicability, type RunOptions, reasonsError } from '../../engine.js';
import type { LatentPosterior, Posterior } from '../../result.js';
import { errorReasons, exactUnknown } from '../applicability.js';
import { discreteSummary, leafSummary } from './summary.js';

export type { Method } from '../../discrete/prepare.js';

const cache = new WeakMap<BoundModel, Analysed<Prepared>>();

function analyse(bound: BoundModel, method: Method | 'auto' = 'auto'): Analysed<Prepared> {
  const hit = method === 'auto' ? cache.get(bound) : undefined;
  if (hit) return hit;
  const plan = compileModel(bound);
  let result: Analysed<Prepared>;
  try {
    result = prepare(bound, planValues(bound, plan), { method, unknown: exactUnknown });
  } catch (e) {
    if (!(e instanceof PlatoError)) throw e;
    result = { ok: false, reasons: errorReasons(e) };
  } finally {
    plan.dispose();
  }
  if (method === 'auto') cache.set(bound, result);
  return result;
}

/** Does exact discrete inference apply? Otherwise each reason names a node and its line. */
export function discreteApplicability(bound: BoundModel): Applicability {
  const a = analyse(bound);
  return a.ok ? { ok: true } : { ok: false, reasons: a.reasons };
}

export interface DiscreteOptions {
  /** force a method where it applies (tests, benchmarks); default: the cheapest per component */
  readonly method?: Method | 'auto';
}

/** What runDiscreteWith reports beyond the Posterior: the method used per group of components. */
export interface DiscreteRun {
  readonly posterior: Posterior;
  readonly methods: readonly { method: string; copies: number; variables: number }[];
  /** how many missing leaf entries got their predictive each way (leaves.ts) */
  readonly predictives: Readonly<PredictivePaths>;
}

function refuse(bound: BoundModel, reasons: readonly Reason[]): PlatoError {
  return reasonsError(
    bound,
    reasons,
    (r) => `exact discrete inference does not apply: ${r.message}`,
  );
}

export async function runDiscreteWith(
  bound: BoundModel,
  options: RunOptions,
  discrete: DiscreteOptions = {},
): Promise<DiscreteRun> {
  const t0 = performance.now();
  const a = analyse(bound, discrete.method ?? 'auto');
  if (!a.ok) throw refuse(bound, a.reasons);
  const prep = a.value;
  const plan = compileModel(bound);
  try {
    const sol = solve(bound, plan, prep, options.onProgress);
    const latents: Record<string, LatentPosterior> = {};
    prep.nodes.vars.forEach((v, i) => {
      latents[v.name] = discreteSummary(v, sol.marginals[i]);
    });
    // prepared with predictives (the default): every missing leaf entry has one
    const leaves = sol.leaves;
    if (!leaves) throw new Error('internal: the exact engine solved without predictives');
    for (const leaf of leaves.entries()) {
      const f = prep.nodes.factors[leaf.fi];
      latents[f.name] = leafSummary(bound, f, leaf);
    }
    const posterior: Posterior = {
      engine: 'exact',
      converged: true,
      iterations: 1,
      seconds: (performance.now() - t0) / 1000,
      logEvidence: sol.logZ,
      latents,
      params: {},
    };
    return { posterior, methods: sol.methods, predictives: { ...leaves.paths } };
  } finally {
    plan.dispose();
  }
}

/** Posterior marginals of every discrete latent and the exact log evidence (nats). */
export async function runDiscrete(bound: BoundModel, options: RunOptions): Promise<Posterior> {
  return (await runDiscreteWith(bound, options)).posterior;
}
