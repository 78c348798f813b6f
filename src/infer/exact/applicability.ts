// When the exact engine applies, apart from how it runs (which loads tfjs): the conjugate half's
// plan (plan.ts, from the graph's facts) and the discrete half's analysis (infer/discrete/prepare.ts)
// are tensor-free; only some values the discrete analysis reads need evaluated expressions
// (values.ts). `plato engines` asks exactApplicabilityWithoutTensors first, which answers from
// the bound data (hostValues.ts) or says it cannot; index.ts answers always, with the plan.

import type { PlatoError } from '../../diagnostics/diagnostics.js';
import type { Reason } from '../../diagnostics/reason.js';
import type { BoundModel } from '../../graph/bound.js';
import { chains } from '../../graph/chains.js';
import { FINITE_FAMILIES, type UnknownValueReason } from '../discrete/analysis.js';
import { hostValues, NeedsTensors } from '../discrete/hostValues.js';
import { prepare } from '../discrete/prepare.js';
import { type Applicability, reasonAt } from '../engine.js';
import { truncatedReasons } from '../truncated.js';
import { analyseChain } from './chain/analysis.js';
import { type ConjugacyPlan, planConjugate } from './plan.js';

const plans = new WeakMap<BoundModel, ConjugacyPlan>();

/** The conjugacy plan of a bound model (computed once per model). */
export function conjugacyPlan(bound: BoundModel): ConjugacyPlan {
  let p = plans.get(bound);
  if (!p) {
    p = planConjugate(bound);
    plans.set(bound, p);
  }
  return p;
}

export function conjugateApplicability(bound: BoundModel): Applicability {
  const p = conjugacyPlan(bound);
  return p.ok ? { ok: true } : { ok: false, reasons: p.reasons };
}

/** Exact inference uses the values it is given: it learns no param and no net. */
export const exactUnknown: UnknownValueReason = (model, name, kind) =>
  reasonAt(
    model,
    name,
    kind === 'param'
      ? `param ${name} has no value: exact inference does not learn params; give it in the data or a default`
      : `net ${name} has weights to learn: exact inference does not learn nets`,
  );

/** A PlatoError met while analysing, as reasons (they have no node of their own). */
export function errorReasons(e: PlatoError): Reason[] {
  return e.diagnostics.map((d) => ({
    node: '',
    line: d.range?.start.line ?? 0,
    column: d.range?.start.column ?? 0,
    message: d.message,
  }));
}

/** Are all latents (and partially observed nodes) of finite support? Then the discrete reasons matter. */
function allFinite(bound: BoundModel): boolean {
  return bound.graph.order.every((n) => {
    const node = bound.graph.nodes[n];
    if (node.kind !== 'stochastic' || bound.observation[n]?.kind === 'observed') return true;
    return FINITE_FAMILIES.has(node.distribution);
  });
}

/** Families whose mean or variance may not exist (StudentT with nu <= 2). */
const MOMENTLESS: ReadonlySet<string> = new Set(['Cauchy', 'HalfCauchy', 'StudentT']);

/**
 * Latent nodes of a family without moments under discrete parents: the discrete half reports a
 * latent continuous leaf by its predictive mean and variance, which these families may lack. A
 * latent without latent parents is reported by its own parameters (prior.ts) and passes.
 */
function momentless(bound: BoundModel): Reason[] {
  const out: Reason[] = [];
  for (const name of bound.graph.order) {
    const n = bound.graph.nodes[name];
    if (n?.kind !== 'stochastic' || !MOMENTLESS.has(n.distribution)) continue;
    if (bound.observation[name]?.kind === 'observed') continue;
    const latentParent = n.parents.find((p) => {
      const q = bound.graph.nodes[p];
      return q?.kind === 'stochastic' && bound.observation[p]?.kind !== 'observed';
    });
    if (!latentParent) continue;
    out.push(
      reasonAt(
        bound,
        name,
        `${name} is a latent ${n.distribution} under ${latentParent}: exact inference reports such a node by its predictive mean and variance, which a ${n.distribution} may not have`,
      ),
    );
  }
  return out;
}

export type ExactHalf =
  | { half: 'conjugate' | 'discrete' | 'chain' }
  | { reasons: readonly Reason[] };

/** Which half runs the model (conjugate first), or the reasons of the half meant for it. */
export function whichHalf(
  bound: BoundModel,
  discrete: (bound: BoundModel) => Applicability,
): ExactHalf {
  const t = truncatedReasons(
    bound,
    'exact inference has no closed form or factor table for a truncated density',
  );
  if (t.length > 0) return { reasons: t };
  // a chain (a plate whose nodes read earlier steps) is forward–backward's or no one's
  if (chains(bound.graph).length > 0) {
    const a = analyseChain(bound);
    return a.ok ? { half: 'chain' } : { reasons: a.reasons };
  }
  const m = momentless(bound);
  if (m.length > 0) return { reasons: m };
  const c = conjugateApplicability(bound);
  if (c.ok) return { half: 'conjugate' };
  const d = discrete(bound);
  if (d.ok) return { half: 'discrete' };
  // explain with the half that was meant to handle this kind of model
  return { reasons: allFinite(bound) ? d.reasons : c.reasons };
}

/**
 * The exact engine's applicability when the bound data decide it; undefined when a value only
 * the compiled plan gives (a computed cardinality, noisy-OR weights) is needed.
 */
export function exactApplicabilityWithoutTensors(bound: BoundModel): Applicability | undefined {
  const discrete = (b: BoundModel): Applicability => {
    // no PlatoError arises here: the host values evaluate nothing (a plan may fail to compile)
    const a = prepare(b, hostValues(b), { unknown: exactUnknown });
    return a.ok ? { ok: true } : { ok: false, reasons: a.reasons };
  };
  try {
    const w = whichHalf(bound, discrete);
    return 'half' in w ? { ok: true } : { ok: false, reasons: w.reasons };
  } catch (e) {
    if (e instanceof NeedsTensors) return undefined;
    throw e;
  }
}
