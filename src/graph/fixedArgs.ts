// The arguments fixed by the data and the model, and whether their domain checks can be decided
// without tensors. The compiled plan checks every fixed argument in float32
// (src/compile/argDomains.ts, `ModelPlan.checkFixedArgs`); `plato engines` runs the same checks
// and should not load TensorFlow.js for them when the answer is plain (issue 8). An argument that
// only selects known values — a literal, a known name, or a known name indexed along leading axes
// (`T[g[i]]`, `n[i]`) — evaluates in tfjs to float32 copies of entries of that known array. When
// every entry of the array, rounded to float32 (Math.fround), passes the same predicates as the
// tensor check, so do the entries it selects, and the tensor check cannot fail. Anything else
// (computed expressions, deterministic nodes, a failing or borderline entry) is left to the plan,
// which also words the error.
import {
  ARG_DOMAINS,
  type Domain,
  float32SimplexTolerance,
  SIMPLEX_ARGS,
} from '../distributions/domains.js';
import type { Expr } from '../lang/ast.js';
import type { BoundModel, NDArray } from './bound.js';
import { mentions } from './build.js';
import type { StochasticNode } from './ir.js';

/**
 * The nodes whose value depends on a latent node (or on a param the engine initialises): their
 * children's arguments are known only from draws. The others are fixed by the data and model.
 */
export function latentDependent(model: BoundModel): Set<string> {
  const out = new Set<string>();
  for (const name of model.graph.order) {
    const node = model.graph.nodes[name];
    const own =
      (node.kind === 'stochastic' && model.observation[name]?.kind !== 'observed') ||
      (node.kind === 'param' && !model.values[name]) ||
      node.kind === 'net';
    if (own || node.parents.some((p) => out.has(p))) out.add(name);
  }
  return out;
}

/** The arguments of `node` fixed by the data and the model (they mention no latent-dependent node). */
export function fixedArgNames(node: StochasticNode, fromDraws: ReadonlySet<string>): string[] {
  return Object.keys(node.args).filter((a) =>
    mentions(node.args[a], new Set()).every((m) => !fromDraws.has(m.name)),
  );
}

/**
 * The known array an argument selects entries of, with the last axis kept whole: a number
 * literal, a vector of number literals, a known name, or a known name indexed by single
 * positions along fewer axes than it has. Undefined for anything else.
 */
export function selectedArray(model: BoundModel, e: Expr): NDArray | undefined {
  const literal = (x: Expr): number | undefined =>
    x.kind === 'num'
      ? x.value
      : x.kind === 'unary' && x.arg.kind === 'num'
        ? x.op === '-'
          ? -x.arg.value
          : x.arg.value
        : undefined;
  const lit = literal(e);
  if (lit !== undefined) return { shape: [], data: Float64Array.of(lit) };
  if (e.kind === 'vector') {
    const items = e.items.map(literal);
    if (items.some((v) => v === undefined)) return undefined;
    return { shape: [items.length], data: Float64Array.from(items as number[]) };
  }
  if (e.kind === 'name') return model.values[e.name];
  if (e.kind === 'index' && e.target.kind === 'name') {
    const v = model.values[e.target.name];
    if (!v || e.indices.length >= v.shape.length) return undefined;
    return e.indices.every((i) => i.kind === 'at') ? v : undefined;
  }
  return undefined;
}

/** tfjs's `inside` (argDomains.ts) on one float32 value: NaN fails; integers by x = round(x). */
function inside(d: Domain, x: number): boolean {
  if (Number.isNaN(x)) return false;
  if (d.lo !== undefined && !(d.loOpen ? x > d.lo : x >= d.lo)) return false;
  if (d.hi !== undefined && !(x <= d.hi)) return false;
  return !d.integer || x === Math.round(x);
}

/**
 * Is every row along the last axis a simplex by a clear margin? The tensor check sums in
 * float32: |s32 − s| ≤ (k − 1)·2⁻²⁴·Σ|x| < tol/2 for tol = k·2⁻²³ and Σx ≈ 1, so |s − 1| ≤ tol/4
 * (float64 sum of the float32 entries) decides it the same way.
 */
function simplexRows(a: NDArray): boolean {
  const k = a.shape[a.shape.length - 1];
  const tol = float32SimplexTolerance(k);
  for (let r = 0; r < a.data.length; r += k) {
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.fround(a.data[r + j]);
    if (!(Math.abs(s - 1) <= tol / 4)) return false;
  }
  return true;
}

/** Every float32 value an expression can take, within [lo, hi]. */
interface Interval {
  readonly lo: number;
  readonly hi: number;
}

/** Largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Widen by one float32 rounding of the result (relative 2⁻²³, twice the unit roundoff, for
 * room), `ulps` more for functions that are not correctly rounded, and the smallest normal
 * float32 (a backend may flush subnormals to zero). Undefined when the bounds leave float32.
 */
function rounded(lo: number, hi: number, rel = 2 ** -23): Interval | undefined {
  const m = Math.max(Math.abs(lo), Math.abs(hi));
  const w = rel * m + 2 ** -126;
  const out = { lo: lo - w, hi: hi + w };
  if (!(out.lo >= -FLOAT32_MAX && out.hi <= FLOAT32_MAX)) return undefined;
  return out;
}

function hull(xs: Iterable<number>): Interval | undefined {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const x of xs) {
    const f = Math.fround(x);
    if (!Number.isFinite(f)) return undefined;
    lo = Math.min(lo, f);
    hi = Math.max(hi, f);
  }
  return lo <= hi ? { lo, hi } : undefined;
}

/**
 * An interval holding every value the plan computes for `e` in float32, whatever entries it
 * selects: interval arithmetic over the known values (all entries of an indexed array, so
 * any selection is inside), widened by one rounding per operation. Undefined for what it does
 * not model (nets, reductions, latent-dependent names) or a possible NaN / infinity / division
 * by an interval holding 0.
 */
export function valueInterval(
  model: BoundModel,
  e: Expr,
  seen: Map<string, Interval | undefined> = new Map(),
): Interval | undefined {
  const of = (x: Expr) => valueInterval(model, x, seen);
  switch (e.kind) {
    case 'num':
      return hull([e.value]);
    case 'name': {
      if (seen.has(e.name)) return seen.get(e.name);
      const v = model.values[e.name];
      const size = model.sizes[e.name];
      const node = model.graph.nodes[e.name];
      let r: Interval | undefined;
      if (v) r = hull(v.data);
      else if (typeof size === 'number') r = hull([size]);
      else if (node?.kind === 'deterministic') {
        seen.set(e.name, undefined); // no cycles in a graph; this only guards the recursion
        r = of(node.value);
      }
      seen.set(e.name, r);
      return r;
    }
    case 'index':
      return e.target.kind === 'name' ? of(e.target) : undefined;
    case 'vector': {
      const items = e.items.map(of);
      if (items.some((x) => !x)) return undefined;
      return hull((items as Interval[]).flatMap((x) => [x.lo, x.hi]));
    }
    case 'unary': {
      const a = of(e.arg);
      if (e.op === '!') return { lo: 0, hi: 1 };
      return a && (e.op === '-' ? { lo: -a.hi, hi: -a.lo } : a);
    }
    case 'cond': {
      // either branch may be taken: the hull of both
      const a = of(e.whenTrue);
      const b = of(e.whenFalse);
      return a && b ? hull([a.lo, a.hi, b.lo, b.hi]) : undefined;
    }
    case 'binary': {
      if (!['+', '-', '*', '/', '^', '@'].includes(e.op)) return { lo: 0, hi: 1 };
      const a = of(e.left);
      const b = of(e.right);
      if (!a || !b) return undefined;
      if (e.op === '+') return rounded(a.lo + b.lo, a.hi + b.hi);
      if (e.op === '-') return rounded(a.lo - b.hi, a.hi - b.lo);
      if (e.op === '*' || e.op === '/') {
        if (e.op === '/' && !(b.lo > 0 || b.hi < 0)) return undefined;
        const f = e.op === '*' ? (x: number, y: number) => x * y : (x: number, y: number) => x / y;
        const c = [f(a.lo, b.lo), f(a.lo, b.hi), f(a.hi, b.lo), f(a.hi, b.hi)];
        return rounded(Math.min(...c), Math.max(...c));
      }
      return undefined;
    }
    case 'call': {
      const args = e.args.map((a) => a.value);
      if (e.args.some((a) => a.name !== undefined)) return undefined;
      if (e.callee === 'zeros' || e.callee === 'ones') return hull([e.callee === 'zeros' ? 0 : 1]);
      if (e.callee === 'rep' && args.length >= 1) return of(args[0]);
      const a = args.length === 1 ? of(args[0]) : undefined;
      if (!a) return undefined;
      // monotone increasing; not every backend rounds exp and log correctly: 2⁻²⁰ relative
      if (e.callee === 'sqrt')
        return a.lo >= 0 ? rounded(Math.sqrt(a.lo), Math.sqrt(a.hi)) : undefined;
      if (e.callee === 'exp') return rounded(Math.exp(a.lo), Math.exp(a.hi), 2 ** -20);
      if (e.callee === 'log')
        return a.lo > 2 ** -126 ? rounded(Math.log(a.lo), Math.log(a.hi), 2 ** -20) : undefined;
      return undefined;
    }
  }
}

/** Every value in the interval passes tfjs's `inside` (a domain is an interval, so its ends suffice). */
function intervalInside(d: Domain, x: Interval): boolean {
  return !d.integer && inside(d, x.lo) && inside(d, x.hi);
}

/**
 * True when every fixed argument of every stochastic node passes the plan's domain checks
 * (`ModelPlan.checkFixedArgs`) for sure; false when only the plan can tell (or it would fail).
 */
export function fixedArgsPassWithoutTensors(model: BoundModel): boolean {
  const fromDraws = latentDependent(model);
  for (const name of model.graph.order) {
    const node = model.graph.nodes[name];
    if (node.kind !== 'stochastic') continue;
    const domains = ARG_DOMAINS[node.distribution] ?? {};
    const fixed = fixedArgNames(node, fromDraws);
    const intervals: Record<string, Interval> = {};
    for (const arg of fixed) {
      const e = node.args[arg];
      const d = domains[arg];
      const a = selectedArray(model, e);
      if (a) {
        // a selection: each entry as the plan reads it (integers and simplex rows need this)
        for (const x of a.data) {
          const f = Math.fround(x);
          if (Number.isNaN(f) || (d && !inside(d, f))) return false;
        }
        if (SIMPLEX_ARGS[node.distribution] === arg && (a.shape.length === 0 || !simplexRows(a)))
          return false;
      } else if (SIMPLEX_ARGS[node.distribution] === arg) return false;
      const x = valueInterval(model, e);
      if (!x) {
        if (!a) return false;
      } else {
        if (!a && d && !intervalInside(d, x)) return false;
        intervals[arg] = x;
      }
    }
    if (node.distribution === 'Uniform' && fixed.includes('lo') && fixed.includes('hi')) {
      // lo < hi elementwise after broadcasting: every lo below every hi
      const [lo, hi] = [intervals.lo, intervals.hi];
      if (!lo || !hi || !(lo.hi < hi.lo)) return false;
    }
  }
  return true;
}
