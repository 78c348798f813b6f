// The built-in engines' applicability without tensors (issue 8): `plato engines` answers with
// these when they decide, and loads tfjs and the engines (engines.ts) only when one of them needs
// an evaluated expression. Each gives the same answer as its engine's `applicability`, or
// undefined; the list is builtin.ts's, in its order (a test keeps them equal).
import type { Reason } from '../diagnostics/reason.js';
import type { BoundModel } from '../graph/bound.js';
import { aviApplies, planAvi } from './avi/plan.js';
import { planCavi } from './cavi/plan.js';
import { planEm } from './em/analysis.js';
import type { Applicability } from './engine.js';
import { exactApplicabilityWithoutTensors } from './exact/applicability.js';
import { explainAutoWith } from './registry.js';
import { sampleEngine } from './sample/engine.js';

export interface TensorFreeCheck {
  readonly name: string;
  /** the engine's applicability, or undefined when only evaluated tensors tell */
  readonly applicability: (model: BoundModel) => Applicability | undefined;
}

export const BUILTIN_APPLICABILITY: readonly TensorFreeCheck[] = [
  { name: 'sample', applicability: (m) => sampleEngine.applicability(m) },
  { name: 'exact', applicability: exactApplicabilityWithoutTensors },
  {
    name: 'em',
    applicability: (m) => {
      const p = planEm(m);
      return p.ok ? { ok: true } : { ok: false, reasons: p.reasons };
    },
  },
  {
    name: 'cavi',
    applicability: (m) => {
      const p = planCavi(m);
      return p.ok ? { ok: true } : { ok: false, reasons: p.reasons };
    },
  },
  {
    name: 'avi',
    applicability: (m) => {
      const p = planAvi(m);
      return p.ok ? aviApplies(p.plan) : { ok: false, reasons: p.reasons };
    },
  },
];

export interface EngineApplies {
  readonly name: string;
  readonly applies: boolean;
  readonly reasons: Reason[];
  /** how an applying engine treats parts of the model, when it says (Applicability.notes) */
  readonly notes?: string[];
}

/**
 * Each built-in engine's applicability and auto's choice (registry.ts's order), when every check
 * decides without tensors; undefined otherwise.
 */
export function appliesWithoutTensors(
  model: BoundModel,
): { auto: string | null; engines: EngineApplies[] } | undefined {
  const decided = new Map<string, Applicability>();
  for (const c of BUILTIN_APPLICABILITY) {
    const app = c.applicability(model);
    if (!app) return undefined;
    decided.set(c.name, app);
  }
  const engines = BUILTIN_APPLICABILITY.map((c) => {
    const app = decided.get(c.name) as Applicability;
    return engineApplies(c.name, app);
  });
  const { engine } = explainAutoWith(model, (name) => {
    const app = decided.get(name);
    return app && { name, applicability: () => app };
  });
  return { auto: engine?.name ?? null, engines };
}

/** One row of the engines report: applies, reasons, and the notes when there are any. */
export function engineApplies(name: string, app: Applicability): EngineApplies {
  if (!app.ok) return { name, applies: false, reasons: [...app.reasons] };
  return app.notes?.length
    ? { name, applies: true, reasons: [], notes: [...app.notes] }
    : { name, applies: true, reasons: [] };
}
