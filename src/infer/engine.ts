// The engine interface of DESIGN.md §4. Engines are registered in `registry.ts`; the model
// file never changes when the engine does. Each declares its options (options.ts).

import { PlatoError } from '../diagnostics/diagnostics.js';
import type { Reason } from '../diagnostics/reason.js';
import type { BoundModel } from '../graph/bound.js';
import type { EngineInfo, OptionSpec, OptionValues, SharedRunOptions } from './options.js';
import type { Posterior } from './result.js';

export type Applicability =
  | {
      readonly ok: true;
      /** how the engine will treat parts of the model (`plato engines` prints them), if it says */
      readonly notes?: readonly string[];
    }
  | { readonly ok: false; readonly reasons: readonly Reason[] };

/**
 * What `run` receives: the shared options (seed, onProgress) and the engine's own, each given
 * or defaulted, already checked against the declarations (options.ts).
 */
export type RunOptions<S extends readonly OptionSpec[] = readonly []> = SharedRunOptions &
  OptionValues<S>;

/** An engine declares the options it reads (`options`); the library and the CLI check them. */
export interface Engine<S extends readonly OptionSpec[] = readonly OptionSpec[]>
  extends EngineInfo<S> {
  /** does the engine handle this model and data? If not, each reason points at a node */
  applicability(model: BoundModel): Applicability;
  run(model: BoundModel, options: RunOptions<S>): Promise<Posterior>;
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
      range: r.range ?? model.graph.nodes[r.node]?.range,
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
