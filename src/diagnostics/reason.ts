// Why an engine does not apply to a model: a value pointing at a node and its source line,
// rendered by the one diagnostic renderer (as `unsupported` diagnostics) or listed by
// `plato engines`. Lives beside `Diagnostic` so that every layer may state one.

import type { Range } from './range.js';

/** One reason, located at the node it is about. */
export interface Reason {
  node: string;
  line: number;
  column: number;
  message: string;
  /** where exactly, when not the node's declaration (a guide's statement, a name it reads) */
  range?: Range;
}
