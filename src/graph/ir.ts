// The model graph: Plato's middle IR. An immutable DAG (built and rewritten with immer) of
// sizes, hypers, data, params, nets, stochastic and deterministic nodes, with plates.
// It knows nothing of syntax beyond source positions for messages, and nothing of tensors.

import type { DistName } from '../distributions/signatures.js';
import type { BaseType, Expr, Range } from '../lang/ast.js';

/** A dimension: a size name (resolved at binding) or a literal. */
export type Dim = string | number;

/** A declared value type: `real(0,)[K, M]`, `simplex[K]`, `int(0, 3)`. */
export interface ValueType {
  readonly base: BaseType;
  /** bounds as expressions (numbers or hyper names); absent = unbounded */
  readonly lower?: Expr;
  readonly upper?: Expr;
  readonly shape: readonly Dim[];
}

/**
 * A plate: `plate i in N { … }`. Identified by `id` (unique per plate statement).
 * A ragged plate `plate n in N[d]` has `raggedBy` = the id of the enclosing plate whose
 * index (`d`) selects the size; in the tensor layout the outer and the ragged plate
 * share ONE flattened axis of length sum_d N[d] (see `src/graph/layout.ts`).
 */
export interface Plate {
  readonly id: string;
  readonly index: string;
  readonly size: string;
  /** the enclosing plate's id, if nested */
  readonly parent?: string;
  /** for a ragged plate: the id of the plate whose index selects the size (always `parent`) */
  readonly raggedBy?: string;
  readonly line: number;
  readonly column: number;
  /**
   * Set when nodes of the plate read earlier steps of the plate's nodes (`z[t - 1]`): the plate
   * is a chain over its index, not conditionally independent replication (DESIGN §2 "Sequences").
   */
  readonly lags?: readonly LagRead[];
}

/** `node` reads `reads` at step `t - k` of a chain plate. */
export interface LagRead {
  readonly node: string;
  readonly reads: string;
  readonly k: number;
  /** the reference `reads[… t - k …]` in the definition of `node` */
  readonly range: Range;
}

interface NodeCommon {
  readonly name: string;
  /** 1-based position of the declaration (the name on its left-hand side) */
  readonly line: number;
  readonly column: number;
  readonly range: Range;
  /** the ids of the plates the node lives in, outermost first */
  readonly plates: readonly string[];
  /** the names of the nodes its defining expressions mention (sizes included) */
  readonly parents: readonly string[];
}

export interface SizeNode extends NodeCommon {
  readonly kind: 'size';
  /** `size K = 20` */
  readonly default?: number;
  /** `size N[D]`: the size name D over which N is ragged */
  readonly raggedOver?: string;
}

export interface HyperNode extends NodeCommon {
  readonly kind: 'hyper';
  readonly type: ValueType;
  readonly default?: Expr;
}

export interface DataNode extends NodeCommon {
  readonly kind: 'data';
  readonly type: ValueType;
}

export interface ParamNode extends NodeCommon {
  readonly kind: 'param';
  readonly type: ValueType;
  readonly default?: Expr;
}

export interface NetNode extends NodeCommon {
  readonly kind: 'net';
  readonly arch: string;
  /** layer widths, input first */
  readonly layers: readonly Dim[];
  readonly activation: string;
}

export interface StochasticNode extends NodeCommon {
  readonly kind: 'stochastic';
  readonly distribution: DistName;
  /** arguments by their canonical name (`mu`, `sigma`; or `logits` for that parameterisation) */
  readonly args: Readonly<Record<string, Expr>>;
  /** an explicit shape annotation `z[i]: real[K] ~ …` */
  readonly declaredType?: ValueType;
  /** the plate index names on the left-hand side, e.g. ['d', 'n'] for z[d, n] */
  readonly indices: readonly string[];
  /**
   * `T[lo, hi]`: the family restricted to [lo, hi] and renormalised. Engines that cannot use a
   * truncated density must refuse the node (graph/conjugacy.ts states no relation for it).
   */
  readonly truncation?: TruncationBounds;
}

/** The bounds of a truncated node (either may be absent), evaluated like its arguments. */
export interface TruncationBounds {
  readonly lower?: Expr;
  readonly upper?: Expr;
  readonly range: Range;
}

export interface DeterministicNode extends NodeCommon {
  readonly kind: 'deterministic';
  readonly value: Expr;
  readonly indices: readonly string[];
}

export type GraphNode =
  | SizeNode
  | HyperNode
  | DataNode
  | ParamNode
  | NetNode
  | StochasticNode
  | DeterministicNode;

export type NodeKind = GraphNode['kind'];

export interface ModelGraph {
  readonly name: string;
  readonly filename: string;
  readonly source: string;
  readonly nodes: Readonly<Record<string, GraphNode>>;
  /** every node name in a topological order (parents before children); declaration order breaks ties */
  readonly order: readonly string[];
  readonly plates: Readonly<Record<string, Plate>>;
  /** the names of the guide block's nodes, if the file has one (used by `avi`) */
  readonly guide?: ModelGraph;
}
