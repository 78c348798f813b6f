// Symbolic analysis of how an expression depends on a set of latent nodes, for the conjugacy
// facts (conjugacy.ts) and the engines that use them:
//   - affine: expr = offset + (linear map)(latents) through `+ - * / @`, `dot`, `sum`, `rep`,
//     vector literals and indexing by known values (data, plate indices, observed nodes);
//     the *linear part* (known additive terms multiplied by 0, deterministic nodes inlined)
//     is returned as an expression, so an engine can evaluate it at basis vectors with no
//     cancellation against large offsets;
//   - scaled: expr = c × latent-element with c known (a Poisson rate `e[i] * lambda[g[i]]`);
//   - precision: expr = (c × latent-element)^(-1/2), the sd forms of a Gamma precision
//     (`1 / sqrt(k * tau)`, `sqrt(1 / tau)`, `tau ^ -0.5`).
// Nothing here knows about tensors; the coefficients c are evaluated by the engine (the
// expression at latent = 1), so only the structure is decided here.
import type { Binary, Call, Expr, Index, IndexArg, Range } from '../lang/ast.js';
import type { DeterministicNode, ModelGraph } from './ir.js';
import { exprToString } from './print.js';

/** One place where an expression reads a latent: `beta`, `mu[g[i]]`, `theta[d, :]`. */
export interface LatentRef {
  readonly latent: string;
  readonly expr: Expr;
}

export interface LinearityScope {
  readonly graph: ModelGraph;
  /** the latents the analysis is relative to */
  readonly latents: ReadonlySet<string>;
  /**
   * Is the value of this (non-deterministic) node known: a size, hyper, data, param with a value,
   * or a fully observed stochastic node?
   */
  isKnown(name: string): boolean;
  /** the plate ids of the node whose argument is analysed (for inlining deterministic nodes) */
  readonly plates: readonly string[];
}

export type Failure = { readonly ok: false; readonly message: string; readonly at: Expr };

export type AffineResult =
  | { readonly ok: true; readonly known: true }
  | {
      readonly ok: true;
      readonly known: false;
      readonly refs: readonly LatentRef[];
      readonly linear: Expr;
      /** the expression has a known additive part (its value at latents = 0 may be nonzero) */
      readonly offset: boolean;
    }
  | Failure;

export type RefResult =
  | { readonly ok: true; readonly ref: LatentRef; readonly scaled: boolean }
  | Failure;

const fail = (message: string, at: Expr): Failure => ({ ok: false, message, at });
const isFailure = (x: LatentRef | Failure): x is Failure => 'ok' in x;

/**
 * The unknown stochastic nodes an expression depends on (through deterministic nodes), or
 * the empty set when it is known. Plate index names never count.
 */
export function unknownDeps(e: Expr, scope: LinearityScope): Set<string> {
  const out = new Set<string>();
  const seen = new Set<string>();
  const visitName = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const node = scope.graph.nodes[name];
    if (!node) return; // a plate index or a built-in
    if (node.kind === 'deterministic') {
      for (const p of node.parents) visitName(p);
    } else if (node.kind === 'stochastic' || node.kind === 'param' || node.kind === 'net') {
      if (scope.latents.has(name) || !scope.isKnown(name)) out.add(name);
    }
  };
  walkNames(e, visitName);
  return out;
}

function walkNames(e: Expr, f: (name: string) => void): void {
  switch (e.kind) {
    case 'num':
      return;
    case 'name':
      f(e.name);
      return;
    case 'vector':
      for (const x of e.items) walkNames(x, f);
      return;
    case 'unary':
      walkNames(e.arg, f);
      return;
    case 'binary':
      walkNames(e.left, f);
      walkNames(e.right, f);
      return;
    case 'index':
      walkNames(e.target, f);
      for (const a of e.indices) {
        if (a.kind === 'at') walkNames(a.expr, f);
        else {
          if (a.lo) walkNames(a.lo, f);
          if (a.hi) walkNames(a.hi, f);
        }
      }
      return;
    case 'call':
      f(e.callee);
      for (const a of e.args) walkNames(a.value, f);
      return;
  }
}

export function isKnownExpr(e: Expr, scope: LinearityScope): boolean {
  return unknownDeps(e, scope).size === 0;
}

/** The latent a bare or indexed name reads, if `e` is such a reference (index args known). */
function asRef(e: Expr, scope: LinearityScope): LatentRef | Failure | undefined {
  if (e.kind === 'name' && scope.latents.has(e.name)) return { latent: e.name, expr: e };
  if (e.kind === 'index' && e.target.kind === 'name' && scope.latents.has(e.target.name)) {
    for (const a of e.indices) {
      const parts = a.kind === 'at' ? [a.expr] : [a.lo, a.hi].filter((x): x is Expr => !!x);
      for (const p of parts) {
        const deps = unknownDeps(p, scope);
        if (deps.size > 0) {
          const d = [...deps][0];
          return fail(
            `${e.target.name} is indexed by the latent node ${d} (${exprToString(e)}): a mixture, not a conjugate pair`,
            e,
          );
        }
      }
    }
    return { latent: e.target.name, expr: e };
  }
  return undefined;
}

/** A reference to one of the latents indexed by another unknown node (a mixture), if any. */
function findLatentIndex(e: Expr, scope: LinearityScope): Failure | undefined {
  let found: Failure | undefined;
  const visit = (x: Expr): void => {
    if (found) return;
    if (x.kind === 'index') {
      const r = asRef(x, scope);
      if (r && isFailure(r)) {
        found = r;
        return;
      }
      visit(x.target);
      for (const a of x.indices) if (a.kind === 'at') visit(a.expr);
    } else if (x.kind === 'unary') visit(x.arg);
    else if (x.kind === 'binary') {
      visit(x.left);
      visit(x.right);
    } else if (x.kind === 'vector') x.items.forEach(visit);
    else if (x.kind === 'call') for (const a of x.args) visit(a.value);
  };
  visit(e);
  return found;
}

/**
 * The definition of a deterministic node read as `D` (no plates) or `D[i, j]` with exactly its
 * own plate indices, in a context that lives in those plates: then its defining expression
 * can be substituted as written. Undefined for any other reading.
 */
function inlineDeterministic(e: Expr, scope: LinearityScope): DeterministicNode | undefined {
  let name: string | undefined;
  let args: readonly IndexArg[] = [];
  if (e.kind === 'name') name = e.name;
  else if (e.kind === 'index' && e.target.kind === 'name') {
    name = e.target.name;
    args = e.indices;
  }
  if (!name) return undefined;
  const node = scope.graph.nodes[name];
  if (node?.kind !== 'deterministic') return undefined;
  if (node.plates.some((p) => !scope.plates.includes(p))) return undefined;
  if (args.length !== node.indices.length) return undefined;
  const ok = args.every(
    (a, j) => a.kind === 'at' && a.expr.kind === 'name' && a.expr.name === node.indices[j],
  );
  return ok ? node : undefined;
}

// ------------------------------------------------------------------ expression builders

const num = (value: number, range: Range): Expr => ({
  kind: 'num',
  value,
  isInt: Number.isInteger(value),
  range,
});
const bin = (op: Binary['op'], left: Expr, right: Expr, range: Range): Expr => ({
  kind: 'binary',
  op,
  left,
  right,
  range,
});
/** `0 * e`: keeps the shape of a known term while removing its value. */
const zeroed = (e: Expr): Expr => bin('*', num(0, e.range), e, e.range);

function withArgs(call: Call, values: readonly Expr[]): Call {
  return { ...call, args: call.args.map((a, i) => ({ ...a, value: values[i] })) };
}

// ------------------------------------------------------------------ affine

/** Is `e` affine in the scope's latents? If so, its references and linear part. */
export function affine(e: Expr, scope: LinearityScope): AffineResult {
  const deps = unknownDeps(e, scope);
  if (deps.size === 0) return { ok: true, known: true };
  for (const d of deps) {
    if (!scope.latents.has(d)) {
      const mixture = findLatentIndex(e, scope);
      if (mixture) return mixture;
      return fail(
        `${exprToString(e)} depends on ${d}, which is not a Normal latent of this linear-Gaussian block`,
        e,
      );
    }
  }
  const ref = asRef(e, scope);
  if (ref)
    return isFailure(ref) ? ref : { ok: true, known: false, refs: [ref], linear: e, offset: false };
  const det = inlineDeterministic(e, scope);
  if (det) return affine(det.value, scope);

  const lin = (x: Expr): AffineResult => affine(x, scope);
  switch (e.kind) {
    case 'name': {
      const node = scope.graph.nodes[e.name];
      return fail(
        node?.kind === 'deterministic'
          ? `the whole of the deterministic node ${e.name} is used here; write it with its plate indices`
          : `${e.name} is not known`,
        e,
      );
    }
    case 'unary': {
      const a = lin(e.arg);
      if (!a.ok || a.known) return a;
      return { ...a, linear: e.op === '-' ? { ...e, arg: a.linear } : a.linear };
    }
    case 'binary':
      return affineBinary(e, scope);
    case 'vector': {
      const items = e.items.map(lin);
      const bad = items.find((x): x is Failure => !x.ok);
      if (bad) return bad;
      const refs: LatentRef[] = [];
      let offset = false;
      const linear = items.map((x, i) => {
        if (!x.ok || x.known) {
          offset = true;
          return zeroed(e.items[i]);
        }
        refs.push(...x.refs);
        offset ||= x.offset;
        return x.linear;
      });
      return { ok: true, known: false, refs, linear: { ...e, items: linear }, offset };
    }
    case 'index': {
      for (const a of e.indices) {
        const parts = a.kind === 'at' ? [a.expr] : [a.lo, a.hi].filter((x): x is Expr => !!x);
        if (parts.some((p) => !isKnownExpr(p, scope))) {
          return fail(`${exprToString(e)} is indexed by a latent value: not affine`, e);
        }
      }
      const t = lin(e.target);
      if (!t.ok || t.known) return t;
      return { ...t, linear: { ...e, target: t.linear } };
    }
    case 'call':
      return affineCall(e, scope);
    default:
      return fail(`${exprToString(e)} is not affine`, e);
  }
}

function affineBinary(e: Binary, scope: LinearityScope): AffineResult {
  const a = affine(e.left, scope);
  if (!a.ok) return a;
  const b = affine(e.right, scope);
  if (!b.ok) return b;
  const lk = a.known;
  const rk = b.known;
  const refs = [...(a.known ? [] : a.refs), ...(b.known ? [] : b.refs)];
  switch (e.op) {
    case '+':
    case '-': {
      const left = a.known ? zeroed(e.left) : a.linear;
      const right = b.known ? zeroed(e.right) : b.linear;
      const offset = a.known || b.known || a.offset || b.offset;
      return { ok: true, known: false, refs, linear: { ...e, left, right }, offset };
    }
    case '*':
    case '@':
      if (lk && !b.known) return { ...b, refs, linear: { ...e, right: b.linear } };
      if (rk && !a.known) return { ...a, refs, linear: { ...e, left: a.linear } };
      return fail(`${exprToString(e)} multiplies two latent values: not affine`, e);
    case '/':
      if (rk && !a.known) return { ...a, refs, linear: { ...e, left: a.linear } };
      return fail(`${exprToString(e)} divides by a latent value: not affine`, e);
    case '^':
      return fail(`${exprToString(e)} raises a latent value to a power: not affine`, e);
    default:
      return fail(
        `${exprToString(e)} compares or combines a latent value logically: not affine`,
        e,
      );
  }
}

function affineCall(e: Call, scope: LinearityScope): AffineResult {
  const args = e.args.map((a) => a.value);
  switch (e.callee) {
    case 'dot': {
      const [x, y] = args.map((v) => affine(v, scope));
      if (!x.ok) return x;
      if (!y.ok) return y;
      if (x.known && !y.known) return { ...y, linear: withArgs(e, [args[0], y.linear]) };
      if (y.known && !x.known) return { ...x, linear: withArgs(e, [x.linear, args[1]]) };
      return fail(`${exprToString(e)} is the inner product of two latent values: not affine`, e);
    }
    case 'sum': {
      const x = affine(args[0], scope);
      if (!x.ok || x.known) return x;
      return { ...x, linear: withArgs(e, [x.linear]) };
    }
    case 'rep': {
      const x = affine(args[0], scope);
      if (!x.ok || x.known) return x;
      if (!isKnownExpr(args[1], scope))
        return fail(`the length in ${exprToString(e)} is not known`, e);
      return { ...x, linear: withArgs(e, [x.linear, args[1]]) };
    }
    default:
      return fail(`${e.callee}(…) of a latent value is not affine (${exprToString(e)})`, e);
  }
}

// ------------------------------------------------------------------ scaled references

/**
 * The failure when `e` also depends on an unknown other than `latent` (`deps`): a latent read
 * as an index where there is one, else the first other unknown; undefined when there is none.
 */
function otherLatent(
  e: Expr,
  latent: string,
  deps: ReadonlySet<string>,
  scope: LinearityScope,
): RefResult | undefined {
  const others = [...deps].filter((d) => d !== latent);
  if (others.length === 0) return undefined;
  return (
    findLatentIndex(e, scope) ??
    fail(`${exprToString(e)} depends on both ${latent} and ${others[0]}`, e)
  );
}

/** `e` = c × (one reference to `latent`) with c known (c = 1 when `scaled` is false). */
export function scaledRef(e: Expr, latent: string, scope: LinearityScope): RefResult {
  const deps = unknownDeps(e, scope);
  const mixed = otherLatent(e, latent, deps, scope);
  if (mixed) return mixed;
  if (!deps.has(latent)) return fail(`${exprToString(e)} does not depend on ${latent}`, e);
  const ref = asRef(e, scope);
  if (ref) return isFailure(ref) ? ref : { ok: true, ref, scaled: false };
  const det = inlineDeterministic(e, scope);
  if (det) return scaledRef(det.value, latent, scope);
  const notMultiple = fail(`${exprToString(e)} is not a known multiple of ${latent}`, e);
  if (e.kind !== 'binary') return notMultiple;
  if (e.op === '*') {
    if (isKnownExpr(e.left, scope)) return rescaled(scaledRef(e.right, latent, scope));
    if (isKnownExpr(e.right, scope)) return rescaled(scaledRef(e.left, latent, scope));
  }
  if (e.op === '/' && isKnownExpr(e.right, scope))
    return rescaled(scaledRef(e.left, latent, scope));
  return notMultiple;
}

const rescaled = (r: RefResult): RefResult => (r.ok ? { ...r, scaled: true } : r);

const isNum = (e: Expr, v: number): boolean =>
  (e.kind === 'num' && e.value === v) || (e.kind === 'unary' && e.op === '-' && isNum(e.arg, -v));

/**
 * A standard deviation of the form (c × tau-element)^(-1/2), c known: `1 / sqrt(k * tau)`,
 * `sqrt(1 / tau)`, `tau ^ -0.5`, `s / sqrt(tau)`, `1 / tau ^ 0.5`. The precision coefficient
 * c is the expression's value at tau = 1, raised to the power -2.
 */
export function precisionRef(e: Expr, latent: string, scope: LinearityScope): RefResult {
  const deps = unknownDeps(e, scope);
  const mixed = otherLatent(e, latent, deps, scope);
  if (mixed) return mixed;
  const det = inlineDeterministic(e, scope);
  if (det) return precisionRef(det.value, latent, scope);
  const form = `the sd ${exprToString(e)} is not of the form 1 / sqrt(k * ${latent}) (a Gamma prior is conjugate to the precision of a Normal)`;
  const known = (x: Expr) => isKnownExpr(x, scope);
  const sqrtOf = (x: Expr): Expr | undefined =>
    x.kind === 'call' && x.callee === 'sqrt' && x.args.length === 1
      ? x.args[0].value
      : x.kind === 'binary' && x.op === '^' && isNum(x.right, 0.5)
        ? x.left
        : undefined;
  if (e.kind === 'binary') {
    if (e.op === '/' && known(e.left)) {
      const inner = sqrtOf(e.right);
      if (inner) return rescaled(scaledRef(inner, latent, scope));
    }
    if (e.op === '^' && isNum(e.right, -0.5)) return rescaled(scaledRef(e.left, latent, scope));
    if (e.op === '*' && known(e.left)) return rescaled(precisionRef(e.right, latent, scope));
    if (e.op === '*' && known(e.right)) return rescaled(precisionRef(e.left, latent, scope));
    if (e.op === '/' && known(e.right)) return rescaled(precisionRef(e.left, latent, scope));
  }
  const inner = sqrtOf(e);
  if (inner && inner.kind === 'binary') {
    // sqrt(k / P) and sqrt(P ^ -1)
    if (inner.op === '/' && known(inner.left))
      return rescaled(scaledRef(inner.right, latent, scope));
    if (inner.op === '^' && isNum(inner.right, -1))
      return rescaled(scaledRef(inner.left, latent, scope));
  }
  return fail(form, e);
}

// ------------------------------------------------------------------ designs

/**
 * A linear term written as a known matrix or vector times a latent, `dot(K, L)`, `dot(L, K)`
 * or `K @ L`: its design rows are the value of K itself (no basis evaluation needed).
 * Looks through top-level `+`/`-` terms of the (original) mean expression: returns K when
 * `latent` appears in exactly one term, with a plus sign, of one of these forms.
 */
export function designMatrix(e: Expr, latent: string, scope: LinearityScope): Expr | undefined {
  const terms: { expr: Expr; sign: 1 | -1 }[] = [];
  const split = (x: Expr, sign: 1 | -1) => {
    const det = inlineDeterministic(x, scope);
    if (det) return split(det.value, sign);
    if (x.kind === 'binary' && (x.op === '+' || x.op === '-')) {
      split(x.left, sign);
      split(x.right, x.op === '-' ? (-sign as 1 | -1) : sign);
    } else terms.push({ expr: x, sign });
  };
  split(e, 1);
  const withL = terms.filter((t) => unknownDeps(t.expr, scope).has(latent));
  if (withL.length !== 1 || withL[0].sign !== 1) return undefined;
  const t = withL[0].expr;
  const isL = (x: Expr): boolean => {
    const r = asRef(x, scope);
    return !!r && !isFailure(r) && r.latent === latent;
  };
  const known = (x: Expr) => isKnownExpr(x, scope);
  if (t.kind === 'call' && t.callee === 'dot' && t.args.length === 2) {
    const [a, b] = t.args.map((x) => x.value);
    if (known(a) && isL(b)) return a;
    if (known(b) && isL(a)) return b;
  }
  if (t.kind === 'binary' && t.op === '@' && known(t.left) && isL(t.right)) return t.left;
  return undefined;
}

/** The index arguments of a reference, as text (two references with equal text select alike). */
export function refIndexKey(ref: LatentRef): string {
  const e = ref.expr as Index | Expr;
  if (e.kind !== 'index') return '';
  return e.indices.map((a) => (a.kind === 'at' ? exprToString(a.expr) : ':')).join(',');
}
