// A model graph bound to data: every size known, every node's shape concrete, observed values
// attached. Produced by `bind.ts`; the input of every engine. Still no tensors: values are
// float64 arrays, turned into tensors by `src/compile`.
import type { Diagnostic } from '../diagnostics/diagnostics.js';
import type { ModelGraph } from './ir.js';

/** A dense row-major array. Integers (counts, categories) are stored as floats. */
export interface NDArray {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/**
 * The concrete shape of a node in the tensor layout.
 *
 * `batch` has one axis per plate the node lives in, outermost first, EXCEPT that a ragged
 * plate (`plate n in N[d]`) and the plate that selects its size (`d`) share one flattened
 * axis of length sum_d N[d], ordered d-major (all of document 0's tokens, then document 1's …).
 * `event` is the shape of one element: `[]` for a scalar, `[K]` for a vector node.
 * The full array shape is `[...batch, ...event]`; engines put a sample axis in front.
 */
export interface NodeShape {
  readonly batch: readonly number[];
  readonly event: readonly number[];
}

/** One axis of a node's batch shape. */
export interface PlateAxis {
  /** the plate ids this axis stands for: one, or [outer, ragged] for a flattened ragged pair */
  readonly plates: readonly string[];
  readonly length: number;
}

/** For a ragged plate: which outer element each flattened element belongs to. */
export interface RaggedSegments {
  /** the ragged plate's id */
  readonly plate: string;
  /** the id of the outer plate that selects the size */
  readonly outer: string;
  /** the sizes N[d], one per outer element */
  readonly counts: readonly number[];
  /** outer index of every flattened element (length sum counts) */
  readonly outerIndex: Int32Array;
  /** start offset of every outer element in the flattened axis (length counts.length + 1) */
  readonly offsets: Int32Array;
}

export type Observation =
  | { readonly kind: 'latent' }
  | { readonly kind: 'observed' }
  /** some entries `null` in the data: `mask[i]` is 1 where entry i (row-major over the full shape) is observed */
  | { readonly kind: 'partial'; readonly mask: Uint8Array };

export interface BoundModel {
  readonly graph: ModelGraph;
  /** every size: a number, or one number per outer element for a ragged size */
  readonly sizes: Readonly<Record<string, number | readonly number[]>>;
  /** shapes of every hyper, data, param, stochastic and deterministic node */
  readonly shapes: Readonly<Record<string, NodeShape>>;
  /** the batch axes of every plate-bearing node, parallel to `shapes[name].batch` */
  readonly axes: Readonly<Record<string, readonly PlateAxis[]>>;
  /** ragged plates by id */
  readonly ragged: Readonly<Record<string, RaggedSegments>>;
  /**
   * Known values: every hyper (default or data), every data node, params given in the data or
   * with a default, observed (and partially observed: NaN where missing) stochastic nodes.
   * A param absent here must be initialised by the engine.
   */
  readonly values: Readonly<Record<string, NDArray>>;
  /** for every stochastic node */
  readonly observation: Readonly<Record<string, Observation>>;
  /** params whose value the data fixes (no engine learns them) */
  readonly fixedParams: readonly string[];
  /** non-fatal findings, e.g. keys in the data the model does not declare */
  readonly warnings: readonly Diagnostic[];
}

/** The data as read from JSON or CSV: any nesting of numbers, nulls, and NaN markers. */
export type DataValue = number | null | readonly DataValue[];
export type DataInput = Readonly<Record<string, DataValue | unknown>>;
