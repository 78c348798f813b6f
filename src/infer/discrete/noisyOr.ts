// Recognising noisy-OR findings structurally and extracting their parameters.
//
// An observed `s ~ Bernoulli(1 - A * exp(-L))` where A does not depend on any latent and L is a
// sum of (latent-free coefficient) × (Bernoulli latent) terms — `dot(W[:, j], d)`,
// `sum(w * d)`, `sum(d)`, `w * d`, `W @ d` — has P(s = 0 | d) = A exp(-L(0)) · exp(-Σ_k w_k d_k), which is
// what Quickscore needs. Because L is affine in binary variables, its value at the all-zero
// state and at the K unit vectors determines it exactly: the weights come from ONE compiled
// evaluation with K + 1 samples. A's log is taken in float64 (evaluated in float64 when A is a
// constant expression such as `1 - leak`). The factor tables built from these parameters use
// log P(s = 0 | d) = log A - L and log P(s = 1 | d) = log(-expm1(log A - L)), which keeps float32
// precision where 1 - p is tiny (the compiled Bernoulli computes log1p(-p) from p).
import * as tf from '@tensorflow/tfjs';
import { nodeContext } from '../../compile/context.js';
import { lower } from '../../compile/expr.js';
import type { ModelPlan } from '../../compile/model.js';
import type { BoundModel } from '../../graph/bound.js';
import { ConstEvalError, evalConst } from '../../graph/evaluate.js';
import type { StochasticNode } from '../../graph/ir.js';
import type { Expr, Range } from '../../lang/ast.js';
import { type FactorNode, type NodeAnalysis, withDeterministic } from './analysis.js';

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

/**
 * Evaluate A and the weights of L for every element of the finding node `f` (one compiled
 * evaluation of L at the zero state and at each slot's unit state). Undefined when the values
 * do not describe a proper noisy-OR (A outside (0, 1], a negative weight, non-finite values).
 */
export function extractNoisyOr(
  model: BoundModel,
  plan: ModelPlan,
  f: FactorNode,
  form: NoisyOrForm,
): NoisyOrParams | undefined {
  const nSlots = f.slotCards.length;
  const E = f.elements;
  const ctx = nodeContext(model, f.name);
  const m = ctx.axes.length;
  const batch = model.shapes[f.name].batch;
  const scope = {
    model,
    consts: plan.consts,
    owner: f.name,
    nodeValue: (n: string, env: Readonly<Record<string, tf.Tensor>>) => plan.nodeValue(n, env),
  };
  const lowerA = lower(form.a, ctx, scope);
  const lowerL = lower(form.l, ctx, scope);
  const toElements = (t: tf.Tensor, S: number) => {
    // PAV [s, c1..cm] (scalar value) → [S, E]
    if (t.rank !== 1 + m) throw new Error('a noisy-OR term is not a scalar per element');
    return tf.reshape(tf.broadcastTo(t, [S, ...batch]), [S, E]);
  };
  const [Lv, Av] = tf.tidy(() => {
    // sample 0: every variable 0; sample i + 1: slot i set to 1
    const basis = tf.concat([tf.zeros([1, nSlots]), tf.eye(nSlots)], 0);
    const env: Record<string, tf.Tensor> = {};
    for (const g of f.groups) {
      const v = model.shapes[g.node];
      const full = [...v.batch, ...v.event];
      const slots = tf.slice(basis, [0, g.first], [nSlots + 1, g.count]);
      const shape = full.map((len, ax) => (g.freeAxes.includes(ax) ? len : 1));
      env[g.node] = tf.broadcastTo(tf.reshape(slots, [nSlots + 1, ...shape]), [
        nSlots + 1,
        ...full,
      ]);
    }
    const full = withDeterministic(plan, model, f.name, env);
    return [toElements(lowerL.run(full), nSlots + 1), toElements(lowerA.run(full), 1)];
  });
  const L = Lv.dataSync();
  const A32 = Av.dataSync();
  Lv.dispose();
  Av.dispose();
  // A in float64 when it is a constant expression (e.g. `1 - leak`)
  let aConst: number | undefined;
  try {
    const c = evalConst(form.a, { sizes: model.sizes, values: model.values });
    if (c.data.length === 1) aConst = c.data[0];
  } catch (e) {
    if (!(e instanceof ConstEvalError)) throw e;
  }
  const logA = new Float64Array(E);
  const w = new Float64Array(E * nSlots);
  for (let e = 0; e < E; e++) {
    const A = aConst ?? A32[e];
    const L0 = L[e];
    if (!(A > 0 && A <= 1) || !Number.isFinite(L0)) return undefined;
    logA[e] = Math.log(A) - L0;
    for (let i = 0; i < nSlots; i++) {
      const wi = L[(i + 1) * E + e] - L0;
      if (!(wi >= 0) || !Number.isFinite(wi)) return undefined;
      w[e * nSlots + i] = wi;
    }
    if (logA[e] > 0) return undefined;
  }
  const value = model.values[f.name]?.data;
  if (!value) return undefined;
  return { logA, w, value: Float64Array.from(value) };
}
