// The Plato abstract syntax tree. Plain immutable data with source ranges; no tensors,
// no behaviour. Produced by `toAst.ts` (the CST visitor), consumed by the checker and
// by `src/graph/build.ts`.

import type { Range } from '../diagnostics/range.js';

export type { Pos, Range } from '../diagnostics/range.js';

// ---------------------------------------------------------------- expressions

export type ArithmeticOp = '+' | '-' | '*' | '/' | '^' | '@';
/** Comparisons and logic: their values are 1 (true) or 0 (false), like every other number. */
export type ComparisonOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type LogicalOp = '&&' | '||';
export type BinaryOp = ArithmeticOp | ComparisonOp | LogicalOp;

export interface NumberLit {
  readonly kind: 'num';
  readonly value: number;
  /** written without '.', 'e' or 'E' (an integer literal) */
  readonly isInt: boolean;
  readonly range: Range;
}

export interface NameRef {
  readonly kind: 'name';
  readonly name: string;
  readonly range: Range;
}

export interface VectorLit {
  readonly kind: 'vector';
  readonly items: readonly Expr[];
  readonly range: Range;
}

export interface Unary {
  readonly kind: 'unary';
  /** `!x` is 1 where x is 0 and 0 elsewhere */
  readonly op: '-' | '+' | '!';
  readonly arg: Expr;
  readonly range: Range;
}

export interface Binary {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly range: Range;
}

/** One position inside `x[...]`: a full slice `:`, a range slice `lo:hi`, or an index. */
export type IndexArg =
  | { readonly kind: 'slice'; readonly lo?: Expr; readonly hi?: Expr; readonly range: Range }
  | { readonly kind: 'at'; readonly expr: Expr; readonly range: Range };

export interface Index {
  readonly kind: 'index';
  readonly target: Expr;
  readonly indices: readonly IndexArg[];
  readonly range: Range;
}

/** A positional (`name` undefined) or named (`logits = l`) argument. */
export interface Arg {
  readonly name?: string;
  readonly nameRange?: Range;
  readonly value: Expr;
  readonly range: Range;
}

/** A call of a built-in function (`exp`, `dot`, `rep`, …) or of a `net`. */
export interface Call {
  readonly kind: 'call';
  readonly callee: string;
  readonly calleeRange: Range;
  readonly args: readonly Arg[];
  readonly range: Range;
}

/**
 * `test ? whenTrue : whenFalse`, element-wise: `whenTrue` where `test` is non-zero. Inside a sequence the
 * branch not taken may read a step before the first (`t == 0 ? init : A[z[t - 1]]`).
 */
export interface Conditional {
  readonly kind: 'cond';
  readonly test: Expr;
  readonly whenTrue: Expr;
  readonly whenFalse: Expr;
  readonly range: Range;
}

export type Expr = NumberLit | NameRef | VectorLit | Unary | Binary | Index | Call | Conditional;

// ---------------------------------------------------------------- types

export type BaseType = 'real' | 'int' | 'simplex';

/** `real(0,)[K, M]`, `int(0, 10)`, `simplex[K]`. Shape entries are size names or int literals. */
export interface TypeExpr {
  readonly base: BaseType;
  readonly lower?: Expr;
  readonly upper?: Expr;
  readonly shape: readonly Expr[];
  readonly range: Range;
}

// ---------------------------------------------------------------- statements

export interface Ident {
  readonly name: string;
  readonly range: Range;
}

/** `size N`, `size K = 20`, `size N[D]` (ragged: one size per element of D). */
export interface SizeStmt {
  readonly kind: 'size';
  readonly name: Ident;
  readonly raggedOver?: Ident;
  readonly value?: Expr;
  readonly range: Range;
}

/** `hyper alpha: real(0,) = 0.1` */
export interface HyperStmt {
  readonly kind: 'hyper';
  readonly name: Ident;
  readonly type: TypeExpr;
  readonly value?: Expr;
  readonly range: Range;
}

/** `data X: real[N, P]` */
export interface DataStmt {
  readonly kind: 'data';
  readonly name: Ident;
  readonly type: TypeExpr;
  readonly range: Range;
}

/** `param W: real(0,)[K, M] = 0.5` */
export interface ParamStmt {
  readonly kind: 'param';
  readonly name: Ident;
  readonly type: TypeExpr;
  readonly value?: Expr;
  readonly range: Range;
}

/** `net f = mlp(K -> 400 -> P, act = relu)` */
export interface NetStmt {
  readonly kind: 'net';
  readonly name: Ident;
  /** the architecture, e.g. `mlp` */
  readonly arch: Ident;
  /** layer widths, input first: sizes or integer literals */
  readonly layers: readonly Expr[];
  /** named options such as `act = relu`; values are names or numbers */
  readonly options: readonly Arg[];
  readonly range: Range;
}

/** The left-hand side `z[d, n]`: a name and the plate indices it is declared over. */
export interface LValue {
  readonly name: Ident;
  readonly indices: readonly Ident[];
  readonly range: Range;
}

/** `Normal(mu, sigma)` on the right of `~`, optionally truncated: `Normal(0, 1) T[0, ]`. */
export interface DistCall {
  readonly name: Ident;
  readonly args: readonly Arg[];
  /** the call itself, without its truncation */
  readonly range: Range;
  readonly truncation?: Truncation;
}

/** `T[lo, hi]` after a distribution (JAGS), either bound optional. */
export interface Truncation {
  /** the marker before `[` (`T`; anything else is reported by the checker) */
  readonly marker: Ident;
  readonly lower?: Expr;
  readonly upper?: Expr;
  readonly range: Range;
}

/** `x[i] ~ Dist(args)`, optionally `z[i]: real[K] ~ …` */
export interface StochasticStmt {
  readonly kind: 'stochastic';
  readonly target: LValue;
  readonly type?: TypeExpr;
  readonly dist: DistCall;
  readonly range: Range;
}

/** `mu[i] = expr` */
export interface DeterministicStmt {
  readonly kind: 'deterministic';
  readonly target: LValue;
  readonly value: Expr;
  readonly range: Range;
}

/** `plate i in N { … }` or, ragged inside an outer plate `d`, `plate n in N[d] { … }` */
export interface PlateStmt {
  readonly kind: 'plate';
  readonly index: Ident;
  readonly size: Ident;
  readonly sizeIndex?: Ident;
  readonly body: readonly Stmt[];
  readonly range: Range;
}

export type Stmt =
  | SizeStmt
  | HyperStmt
  | DataStmt
  | ParamStmt
  | NetStmt
  | StochasticStmt
  | DeterministicStmt
  | PlateStmt;

export interface Block {
  readonly name: Ident;
  readonly body: readonly Stmt[];
  readonly range: Range;
}

/** One file: a `model` block and at most one `guide` block. */
export interface Program {
  readonly model: Block;
  readonly guide?: Block;
}
