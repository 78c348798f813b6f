// Engines that treat a plate as conditionally independent replication cannot run a chain (a
// plate whose nodes read earlier steps, graph/chains.ts): their answers would silently ignore the
// dependence between steps. They refuse it here, with a reason at the first lagged read.
// Tensor-free (used by `plato engines`).
import type { Reason } from '../diagnostics/reason.js';
import type { BoundModel } from '../graph/bound.js';
import { chains } from '../graph/chains.js';

/** One reason per chain plate: `what` says what the engine does instead (or that it cannot). */
export function chainReasons(model: BoundModel, what: string): Reason[] {
  return chains(model.graph).map((c) => {
    const lag = c.lags[0]!;
    return {
      node: lag.node,
      line: lag.range.start.line,
      column: lag.range.start.column,
      message: `'${lag.node}' reads '${lag.reads}' at step ${c.plate.index} - ${lag.k}, so plate '${c.plate.index}' is a chain over its steps: ${what}`,
    };
  });
}
