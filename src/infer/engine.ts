// The engine interface of DESIGN.md §4. Engines are registered in `registry.ts`; the model
// file never changes when the engine does.

import { PlatoError } from '../diagnostics/diagnostics.js';
import type { Reason } from '../diagnostics/reason.js';
import type { BoundModel } from '../graph/bound.js';
import type { Posterior } from './result.js';

export type Applicability =
  | { readonly ok: true }
  | { readonly ok: false; readonly reasons: readonly Reason[] };

/** Options shared by every engine; each reads the ones it understands (camelCase CLI flags). */
export interface RunOptions {
  readonly seed: number;
  readonly iters?: number;
  readonly tol?: number;
  readonly batchSize?: number;
  readonly epochs?: number;
  readonly lr?: number;
  readonly restarts?: number;
  readonly particles?: number;
  /** called with (done, total) for progress bars; never required */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface Engine {
  readonly name: string;
  readonly description: string;
  /** does the engine handle this model and data? If not, each reason points at a node */
  applicability(model: BoundModel): Applicability;
  run(model: BoundModel, options: RunOptions): Promise<Posterior>;
}

export function reasonAt(model: BoundModel, node: string, message: string): Reason {
  const n = model.graph.nodes[node];
  return { node, line: n?.line ?? 0, column: n?.column ?? 0, message };
}

/** A PlatoError with one 'unsupported' diagnostic per reason, placed at the reason's node. */
export function reasonsError(
  model: BoundModel,
  reasons: readonly Reason[],
  message: (r: Reason) => string,
): PlatoError {
  return new PlatoError(
    reasons.map((r) => ({
      kind: 'unsupported' as const,
      severity: 'error' as const,
      message: message(r),
      range: model.graph.nodes[r.node]?.range,
    })),
    model.graph.source,
    model.graph.filename,
  );
}

/** What running `engine` on a model it does not apply to throws. */
export function notApplicable(
  model: BoundModel,
  engine: string,
  reasons: readonly Reason[],
): PlatoError {
  return reasonsError(
    model,
    reasons,
    (r) => `engine '${engine}' does not apply: ${r.node}: ${r.message}`,
  );
}
