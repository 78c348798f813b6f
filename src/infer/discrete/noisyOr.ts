// Recognising noisy-OR findings structurally and extracting their parameters.
//
// An observed `s ~ Bernoulli(1 - A * exp(-L))` where A does not depend on any latent and L is a
// sum of (latent-free coefficient) × (Bernoulli latent) terms — `dot(W[:, j], d)`,
// `sum(w * d)`, `sum(d)`, `w * d`, `W @ d` — has P(s = 0 | d) = A exp(-L(0)) · exp(-Σ_k w_k d_k), which is
// what Quickscore needs. Because L is affine in binary variables, its value at the all-zero
// state and at the K unit vectors determines it exactly: the weights come from ONE compiled
// evaluation with K + 1 samples (extractNoisyOr in values.ts; the matching here is tensor-free).
// A's log is taken in float64 (evaluated in float64 when A is a
// constant expression such as `1 - leak`). The factor tables built from these parameters use
// log P(s = 0 | d) = log A - L and log P(s = 1 | d) = log(-expm1(log A - L)), which keeps float32
// precision where 1 - p is tiny (the compiled Bernoulli computes log1p(-p) from p).
import type { BoundModel } from '../../graph/bound.js';
import type { StochasticNode } from '../../graph/ir.js';
import type { Expr, Range } from '../../lang/ast.js';
import type { NodeAnalysis } from './analysis.js';

/** The structural form of a noisy-OR finding node. */
export interface NoisyOrForm {
  /** latent-free factors of A (multiplied) and divisors */
  readonly a: Expr;
  /** the affine exponent L */
  readonly l: Expr;
}

/** Extracted parameters, per element of the finding node (float64). */
export interface NoisyOrParams {
  /** log A_e - L_e(0) */
  readonly logA: Float64Array;
  /** [elements × slots] weights of the template slots (0 where a slot is not read) */
  readonly w: Float64Array;
  /** the observed finding values (0 or 1; NaN where missing, a finding that sums out) */
  readonly value: Float64Array;
}

function num(value: number, range: Range): Expr {
  return { kind: 'num', value, isInt: Number.isInteger(value), range };
}

function mul(a: Expr, b: Expr): Expr {
  return { kind: 'binary', op: '*', left: a, right: b, range: a.range };
}

function add(a: Expr, b: Expr): Expr {
  return { kind: 'binary', op: '+', left: a, right: b, range: a.range };
}

/** The node `e` reads: `x` or `x[…]`; undefined for any other expression. */
function refName(e: Expr): string | undefined {
  if (e.kind === 'name') return e.name;
  return e.kind === 'index' && e.target.kind === 'name' ? e.target.name : undefined;
}

/**
 * Match `Bernoulli(1 - A * exp(-L))` on an observed node, or a partially observed barren leaf
 * (its missing findings sum out); undefined if it is not of that form.
 */
export function matchNoisyOr(
  model: BoundModel,
  node: StochasticNode,
  nodes: NodeAnalysis,
): NoisyOrForm | undefined {
  const kind = model.observation[node.name]?.kind;
  const findings = kind === 'observed' || (kind === 'partial' && !nodes.varByName.has(node.name));
  if (node.distribution !== 'Bernoulli' || !findings) return undefined;
  let p = node.args.p;
  if (!p) return undefined;
  // look through a deterministic node read with the node's own plate indices (or bare, unplated)
  const target = refName(p);
  const det = target ? model.graph.nodes[target] : undefined;
  if (det?.kind === 'deterministic') {
    const samePlates =
      det.plates.length === node.plates.length &&
      det.plates.every((id, i) => id === node.plates[i]);
    const aligned =
      (p.kind === 'name' && det.plates.length === 0) ||
      (p.kind === 'index' &&
        samePlates &&
        p.indices.length === det.plates.length &&
        p.indices.every(
          (a, i) =>
            a.kind === 'at' &&
            a.expr.kind === 'name' &&
            a.expr.name === model.graph.plates[det.plates[i]]?.index,
        ));
    if (!aligned) return undefined;
    p = det.value;
  }
  const latentFree = (e: Expr) => nodes.deps.ofExpr(e, node).size === 0;
  const isBinaryRef = (e: Expr): boolean => {
    const name = refName(e);
    const v = name ? nodes.varByName.get(name) : undefined;
    if (v?.family !== 'Bernoulli') return false;
    return (
      e.kind === 'name' ||
      (e.kind === 'index' && e.indices.every((a) => (a.kind === 'at' ? latentFree(a.expr) : true)))
    );
  };
  // one term of L: coefficient × binary reference, or latent-free
  const linearTerm = (e: Expr): boolean => {
    if (latentFree(e)) return true;
    if (isBinaryRef(e)) return true;
    if (e.kind === 'binary' && (e.op === '*' || e.op === '@')) {
      return (
        (latentFree(e.left) && isBinaryRef(e.right)) || (isBinaryRef(e.left) && latentFree(e.right))
      );
    }
    if (e.kind === 'call' && e.callee === 'dot' && e.args.length === 2) {
      const [x, y] = e.args.map((a) => a.value);
      return (latentFree(x) && isBinaryRef(y)) || (isBinaryRef(x) && latentFree(y));
    }
    if (e.kind === 'call' && e.callee === 'sum' && e.args.length === 1) {
      const x = e.args[0].value;
      return isBinaryRef(x) || (x.kind === 'binary' && x.op === '*' && linearTerm(x));
    }
    return false;
  };
  const linear = (e: Expr): boolean => {
    if (e.kind === 'binary' && e.op === '+') return linear(e.left) && linear(e.right);
    if (e.kind === 'binary' && e.op === '-') return linear(e.left) && latentFree(e.right);
    return linearTerm(e);
  };

  if (!(p.kind === 'binary' && p.op === '-' && p.left.kind === 'num' && p.left.value === 1))
    return undefined;
  // the product A * exp(-L1) * exp(-L2) …: collect the latent-free factors and the exponents
  const aFactors: Expr[] = [];
  const exponents: Expr[] = [];
  const factorOut = (e: Expr): boolean => {
    if (latentFree(e)) {
      aFactors.push(e);
      return true;
    }
    if (e.kind === 'binary' && e.op === '*') return factorOut(e.left) && factorOut(e.right);
    if (e.kind === 'binary' && e.op === '/' && latentFree(e.right)) {
      aFactors.push({
        kind: 'binary',
        op: '/',
        left: num(1, e.range),
        right: e.right,
        range: e.range,
      });
      return factorOut(e.left);
    }
    if (e.kind === 'call' && e.callee === 'exp' && e.args.length === 1) {
      const u = e.args[0].value;
      if (u.kind === 'unary' && u.op === '-' && linear(u.arg)) {
        exponents.push(u.arg);
        return true;
      }
    }
    return false;
  };
  if (!factorOut(p.right) || exponents.length === 0) return undefined;
  const a = aFactors.reduce<Expr>((acc, f) => mul(acc, f), num(1, p.range));
  const l = exponents.reduce<Expr>((acc, f) => add(acc, f), num(0, p.range));
  return { a, l };
}
