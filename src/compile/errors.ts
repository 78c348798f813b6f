// Errors found while lowering a bound model: user errors with the source position, so the
// CLI prints a code frame (they are rare: the checker and the binder catch most mistakes).

import { type DiagnosticKind, error, PlatoError } from '../diagnostics/diagnostics.js';
import type { BoundModel } from '../graph/bound.js';
import type { Range } from '../lang/ast.js';

export function planError(
  model: BoundModel,
  range: Range | undefined,
  message: string,
  kind: DiagnosticKind = 'unsupported',
): PlatoError {
  return new PlatoError([error(kind, message, range)], model.graph.source, model.graph.filename);
}
