// Lowering of one expression in a plate context to a closure over tfjs ops. The AST is
// walked ONCE, when the plan is built; evaluation only runs the closures. Every closure
// returns a plate-aligned value (see context.ts): [s, c1..cm, ...valueShape], float32.
//
// Indexing (DESIGN.md §2): `x[i]` with the current plate indices takes the aligned element
// (no gather; a ragged expansion `theta[d]` inside `plate n in N[d]` is one gather by
// outerIndex); a node named without its plate indices is its whole array; `W[:, j]` moves
// the indexed axis onto plate j; integer literals select, `lo:hi` keeps the axis; indexing
// by a discrete node or int data is one batched gather (gather.ts).
import * as tf from '@tensorflow/tfjs';
import { broadcast } from '../backend/broadcast.js';
import type { BoundModel } from '../graph/bound.js';
import type { GraphNode } from '../graph/ir.js';
import type { BinaryOp, Call, Expr, Index, IndexArg, Range } from '../lang/ast.js';
import { broadcastShapes } from '../util/shape.js';
import {
  type Consts,
  cellsKey,
  type IndexBinding,
  indexValue,
  type PlateContext,
  stepKey,
} from './context.js';
import { planError } from './errors.js';
import { applyRowGather, type RowGather, rowGather } from './gather.js';
import { matmulPAV } from './matmul.js';
import { netForward } from './net.js';
import { alignRanks, constant, liftRank, toFloat, valueShape } from './value.js';

/** Values of the nodes an expression reads: [s, ...batch, ...event] (s = 1 or S). */
export type Env = Readonly<Record<string, tf.Tensor>>;

/** A lowered expression: env → plate-aligned value. */
export type Evaluator = (env: Env) => tf.Tensor;

export interface Lowered {
  readonly run: Evaluator;
  /** depends only on sizes, hypers, data and literals: evaluated once and cached */
  readonly isConst: boolean;
}

/** What the expression compiler needs from the plan. */
export interface LowerScope {
  readonly model: BoundModel;
  readonly consts: Consts;
  /** the value of a node [s, ...batch, ...event]; throws a clear error if unknown */
  nodeValue(name: string, env: Env): tf.Tensor;
  /** the node whose definition is being lowered (for messages) */
  readonly owner: string;
}

let constCounter = 0;

/** Lower `expr` in `ctx`. */
export function lower(expr: Expr, ctx: PlateContext, scope: LowerScope): Lowered {
  const l = lowerRaw(expr, ctx, scope);
  if (!l.isConst) return l;
  // constant sub-expressions are evaluated once per plan
  const key = `const:${++constCounter}`;
  return { isConst: true, run: (env) => scope.consts.get(key, () => l.run(env)) };
}

function wrap(scope: LowerScope, range: Range, f: Evaluator, isConst: boolean): Lowered {
  return {
    isConst,
    run: (env) => {
      try {
        return f(env);
      } catch (e) {
        if (e instanceof Error && e.name !== 'PlatoError') {
          throw planError(
            scope.model,
            range,
            `in the definition of '${scope.owner}': ${e.message}`,
            'shape',
          );
        }
        throw e;
      }
    },
  };
}

function lowerRaw(expr: Expr, ctx: PlateContext, scope: LowerScope): Lowered {
  const m = ctx.axes.length;
  switch (expr.kind) {
    case 'num': {
      const v = expr.value;
      return { isConst: true, run: () => constant(v, [], m) };
    }
    case 'name':
      return lowerName(expr.name, expr.range, ctx, scope);
    case 'vector': {
      const items = expr.items.map((e) => lower(e, ctx, scope));
      return wrap(
        scope,
        expr.range,
        (env) => {
          const vs = alignRanks(
            items.map((i) => i.run(env)),
            m,
          );
          let shape: number[] | undefined = vs[0].shape;
          for (const v of vs) shape = shape && broadcastShapes(shape, v.shape);
          if (!shape) throw new Error('the items of a vector literal have different shapes');
          const full = shape;
          return tf.stack(
            vs.map((v) => (v.shape.every((d, i) => d === full[i]) ? v : tf.broadcastTo(v, full))),
            1 + m,
          );
        },
        items.every((i) => i.isConst),
      );
    }
    case 'unary': {
      const arg = lower(expr.arg, ctx, scope);
      if (expr.op === '+') return arg;
      if (expr.op === '!')
        return wrap(scope, expr.range, (env) => truth(tf.equal(arg.run(env), 0)), arg.isConst);
      return wrap(scope, expr.range, (env) => tf.neg(arg.run(env)), arg.isConst);
    }
    case 'cond': {
      const [c, a, b] = [expr.test, expr.whenTrue, expr.whenFalse].map((x) => lower(x, ctx, scope));
      // both branches are evaluated (vectorised) and one is picked per element; a lag's read
      // before the first step is clamped to step 0 in the branch not taken (lowerSel)
      return wrap(
        scope,
        expr.range,
        (env) => {
          const [x, y, z] = alignRanks([c!.run(env), a!.run(env), b!.run(env)], m);
          const shape = broadcastShapes(broadcastShapes(x!.shape, y!.shape) ?? [], z!.shape);
          if (!shape) throw new Error('the test and the branches of ?: do not broadcast');
          return tf.where(
            broadcast(tf.notEqual(x!, 0), shape),
            broadcast(toFloat(y!), shape),
            broadcast(toFloat(z!), shape),
          );
        },
        c!.isConst && a!.isConst && b!.isConst,
      );
    }
    case 'binary': {
      const a = lower(expr.left, ctx, scope);
      const b = lower(expr.right, ctx, scope);
      const isConst = a.isConst && b.isConst;
      if (expr.op === '@')
        return wrap(scope, expr.range, (env) => matmulPAV(a.run(env), b.run(env), m), isConst);
      const op = BINARY[expr.op];
      return wrap(
        scope,
        expr.range,
        (env) => {
          const [x, y] = alignRanks([a.run(env), b.run(env)], m);
          return op(x, y);
        },
        isConst,
      );
    }
    case 'index': {
      const l = lowerIndex(expr, ctx, scope, false);
      return { isConst: l.isConst, run: (env) => l.run(env) as tf.Tensor };
    }
    case 'call':
      return lowerCall(expr, ctx, scope);
  }
}

/** A boolean tensor as Plato's 1 (true) and 0 (false). */
const truth = (b: tf.Tensor): tf.Tensor => tf.cast(b, 'float32');
const nonZero = (a: tf.Tensor): tf.Tensor => tf.notEqual(a, 0);

const BINARY: Record<Exclude<BinaryOp, '@'>, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
  '==': (a, b) => truth(tf.equal(a, b)),
  '!=': (a, b) => truth(tf.notEqual(a, b)),
  '<': (a, b) => truth(tf.less(a, b)),
  '<=': (a, b) => truth(tf.lessEqual(a, b)),
  '>': (a, b) => truth(tf.greater(a, b)),
  '>=': (a, b) => truth(tf.greaterEqual(a, b)),
  '&&': (a, b) => truth(tf.logicalAnd(nonZero(a), nonZero(b))),
  '||': (a, b) => truth(tf.logicalOr(nonZero(a), nonZero(b))),
  '+': (a, b) => tf.add(a, b),
  '-': (a, b) => tf.sub(a, b),
  '*': (a, b) => tf.mul(a, b),
  '/': (a, b) => tf.div(a, b),
  '^': (a, b) => tf.pow(a, b),
};

// ------------------------------------------------------------------ names

function lowerName(name: string, range: Range, ctx: PlateContext, scope: LowerScope): Lowered {
  const m = ctx.axes.length;
  const binding = ctx.indices.get(name);
  if (binding) {
    return {
      isConst: !binding.step,
      run: (env) => toFloat(indexValue(scope.consts, ctx, binding, env)),
    };
  }
  const node = scope.model.graph.nodes[name];
  if (!node) throw planError(scope.model, range, `unknown name '${name}'`, 'unknown-name');
  if (node.kind === 'size') {
    const s = scope.model.sizes[name];
    if (s === undefined)
      throw planError(scope.model, range, `the size '${name}' is not known`, 'data');
    if (typeof s === 'number') return { isConst: true, run: () => constant(s, [], m) };
    const counts = [...s];
    return { isConst: true, run: () => constant(counts, [counts.length], m) };
  }
  if (ctx.step?.carried.has(name)) throw new StepUnsupported(name);
  if (node.kind === 'net') {
    throw planError(
      scope.model,
      range,
      `the net '${name}' can only be called, as in ${name}(x)`,
      'type',
    );
  }
  return { isConst: isConstNode(node), run: (env) => wholeArray(scope.nodeValue(name, env), m) };
}

function isConstNode(node: GraphNode): boolean {
  return node.kind === 'hyper' || node.kind === 'data' || node.kind === 'size';
}

/** A node's value [s, ...batch, ...event] as a whole array inside an m-axis context. */
function wholeArray(v: tf.Tensor, m: number): tf.Tensor {
  if (m === 0) return v;
  return tf.reshape(v, [v.shape[0], ...new Array<number>(m).fill(1), ...v.shape.slice(1)]);
}

/** Static integer value of a size/literal expression (`V`, `3`, `K - 1`). */
export function constInt(expr: Expr, model: BoundModel): number | undefined {
  switch (expr.kind) {
    case 'num':
      return Number.isInteger(expr.value) ? expr.value : undefined;
    case 'name': {
      const s = model.sizes[expr.name];
      return typeof s === 'number' ? s : undefined;
    }
    case 'unary': {
      const v = constInt(expr.arg, model);
      return v === undefined ? undefined : expr.op === '-' ? -v : v;
    }
    case 'binary': {
      const a = constInt(expr.left, model);
      const b = constInt(expr.right, model);
      if (a === undefined || b === undefined) return undefined;
      if (expr.op === '+') return a + b;
      if (expr.op === '-') return a - b;
      if (expr.op === '*') return a * b;
      if (expr.op === '/' && b !== 0 && Number.isInteger(a / b)) return a / b;
      return undefined;
    }
    default:
      return undefined;
  }
}

// ------------------------------------------------------------------ indexing

type Sel =
  | { readonly kind: 'full' }
  | { readonly kind: 'range'; readonly lo: number; readonly hi?: number }
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'plate'; readonly binding: IndexBinding }
  | { readonly kind: 'gather'; readonly index: Evaluator };

interface LoweredIndex {
  readonly isConst: boolean;
  /** the value, or in lazy mode the pending row gather (undefined when no gather is needed) */
  readonly run: (env: Env) => tf.Tensor | RowGather | undefined;
}

/**
 * Lower `target[args]`. In `lazy` mode the final gather is not performed: the caller gets the
 * flattened table and the row numbers (used for `Categorical(beta[z[d, n]])`, whose gathered
 * rows would be [tokens, V]). Lazy mode returns undefined when no gather is involved.
 */
export function lowerIndex(
  expr: Index,
  ctx: PlateContext,
  scope: LowerScope,
  lazy: boolean,
): LoweredIndex {
  const m = ctx.axes.length;
  const model = scope.model;
  const target = expr.target;
  const tnode =
    target.kind === 'name' && !ctx.indices.has(target.name)
      ? model.graph.nodes[target.name]
      : undefined;
  let base: Lowered;
  let args: readonly IndexArg[] = expr.indices;
  let sels: Sel[];
  const step = ctx.step && tnode ? stepRead(scope, tnode.name, args, ctx) : undefined;

  if (step) {
    base = { isConst: false, run: step.run };
    args = args.slice(step.used);
    sels = args.map((a) => lowerSel(a, ctx, scope));
  } else if (tnode && ctx.step?.carried.has(tnode.name)) {
    throw new StepUnsupported(tnode.name);
  } else if (
    tnode &&
    (tnode.kind === 'stochastic' || tnode.kind === 'deterministic') &&
    tnode.plates.length > 0
  ) {
    const k = tnode.plates.length;
    const aligned =
      !lazy &&
      args.length >= k &&
      args
        .slice(0, k)
        .every(
          (a, j) =>
            a.kind === 'at' &&
            a.expr.kind === 'name' &&
            ctx.indices.get(a.expr.name)?.plate === tnode.plates[j],
        );
    const align = aligned ? alignPlan(model, tnode.name, ctx) : undefined;
    if (align) {
      const name = tnode.name;
      base = { isConst: false, run: (env) => align(scope.nodeValue(name, env)) };
      args = args.slice(k);
      sels = args.map((a) => lowerSel(a, ctx, scope));
    } else {
      const name = tnode.name;
      base = { isConst: false, run: (env) => wholeArray(scope.nodeValue(name, env), m) };
      sels = nodeSels(tnode, args, ctx, scope);
    }
  } else {
    base = lower(target, ctx, scope);
    sels = args.map((a) => lowerSel(a, ctx, scope));
  }
  const isConst = base.isConst && sels.every((s) => s.kind !== 'gather' || isConstSel(s));
  return {
    isConst: isConst && !lazy,
    run: (env) => {
      try {
        return applySels(base.run(env), m, sels, ctx, scope, env, lazy);
      } catch (e) {
        if (e instanceof Error && e.name !== 'PlatoError') {
          throw planError(
            model,
            expr.range,
            `in the definition of '${scope.owner}': ${e.message}`,
            'shape',
          );
        }
        throw e;
      }
    },
  };
}

/**
 * Thrown while lowering in a step context (context.ts StepAxis) when an expression reads a
 * member drawn step by step other than at its own cells of an earlier or the same step (the
 * whole array, another sequence): the sampler then scans that chain over every step.
 */
export class StepUnsupported extends Error {
  constructor(name: string) {
    super(`'${name}' is read in a way a step of its chain cannot evaluate`);
    this.name = 'StepUnsupported';
  }
}

/**
 * In a step context, a read of a chain member at the step's own cells, at step t or t − k:
 * `z[t]`, `z[t - 1]`, `z[s, t - 2]`, `w[t - 1, k]` (its plate indices up to the chain's are the
 * reader's, the chain's shifted by a literal). Its value is the member's at those cells: a
 * carried member's from the env, any other's gathered from its full value. Its leading axes
 * that follow the reader's (through the chain axis, then inner plates read with the reader's
 * own indices) are aligned with the context; the rest are value axes for the remaining
 * indices. Undefined when the read is not of this form.
 */
function stepRead(
  scope: LowerScope,
  name: string,
  args: readonly IndexArg[],
  ctx: PlateContext,
): { readonly run: Evaluator; readonly used: number } | undefined {
  const step = ctx.step!;
  const naxes = scope.model.axes[name] ?? [];
  const m = ctx.axes.length;
  if (naxes.findIndex((a) => a.plates.includes(step.plate)) !== step.axis) return undefined;
  const same = (j: number) => naxes[j]!.plates.join(',') === ctx.axes[j]?.plates.join(',');
  const own = (a: IndexArg | undefined, plate: string) =>
    a?.kind === 'at' && a.expr.kind === 'name' && ctx.indices.get(a.expr.name)?.plate === plate;
  let used = 0;
  let k = 0;
  for (let j = 0; j <= step.axis; j++) {
    if (!same(j)) return undefined;
    for (const plate of naxes[j]!.plates) {
      const a = args[used++];
      if (own(a, plate)) continue;
      const e = a?.kind === 'at' ? a.expr : undefined;
      const lag =
        plate === step.plate &&
        e?.kind === 'binary' &&
        e.op === '-' &&
        e.left.kind === 'name' &&
        ctx.indices.get(e.left.name)?.plate === plate &&
        e.right.kind === 'num' &&
        e.right.isInt &&
        e.right.value >= 1;
      if (!lag) return undefined;
      k = (e.right as { value: number }).value;
    }
  }
  let aligned = step.axis + 1;
  while (
    aligned < naxes.length &&
    aligned < m &&
    naxes[aligned]!.plates.length === 1 &&
    same(aligned) &&
    own(args[used], naxes[aligned]!.plates[0]!)
  ) {
    used++;
    aligned++;
  }
  // a ragged pair left as value axes would need both its indices combined (nodeSels)
  if (naxes.slice(aligned).some((a) => a.plates.length > 1)) return undefined;
  const reads = step.reads.get(name) ?? new Set<number>();
  reads.add(k);
  step.reads.set(name, reads);
  const carried = step.carried.has(name);
  const axis = step.axis;
  return {
    used,
    run: (env) => {
      const key = carried ? stepKey(name, k) : cellsKey(k);
      const at = env[key];
      if (!at) throw new Error(`internal: no value for '${key}'`);
      const v = carried ? at : tf.gather(scope.nodeValue(name, env), at, 1 + axis);
      if (aligned === m) return v;
      return tf.reshape(v, [
        ...v.shape.slice(0, 1 + aligned),
        ...new Array<number>(m - aligned).fill(1),
        ...v.shape.slice(1 + aligned),
      ]);
    },
  };
}

const constSels = new WeakSet<Sel>();
function isConstSel(s: Sel): boolean {
  return constSels.has(s);
}

/**
 * A node read at an earlier step of a chain (`z[t - 1]`): the checker has made sure a conditional
 * discards the read at the first steps, but both branches are evaluated, so the step is clamped
 * at 0 there instead of reading outside the array.
 */
function clampLag(e: Expr, l: Lowered, ctx: PlateContext): Lowered {
  const lag =
    e.kind === 'binary' &&
    e.op === '-' &&
    e.left.kind === 'name' &&
    ctx.indices.has(e.left.name) &&
    e.right.kind === 'num' &&
    e.right.value >= 1;
  if (!lag) return l;
  return { isConst: l.isConst, run: (env) => tf.maximum(l.run(env), 0) };
}

function lowerSel(a: IndexArg, ctx: PlateContext, scope: LowerScope, node = false): Sel {
  const model = scope.model;
  if (a.kind === 'slice') {
    if (!a.lo && !a.hi) return { kind: 'full' };
    const lo = a.lo ? constInt(a.lo, model) : 0;
    const hi = a.hi ? constInt(a.hi, model) : undefined;
    if (lo === undefined || (a.hi && hi === undefined)) {
      throw planError(model, a.range, 'slice bounds must be integer literals or sizes');
    }
    return { kind: 'range', lo, hi };
  }
  const e = a.expr;
  if (e.kind === 'name') {
    const b = ctx.indices.get(e.name);
    if (b?.role === 'plain') return { kind: 'plate', binding: b };
    if (b) {
      // a ragged pair's index (outerIndex, or the position in the segment): int, cached
      const sel: Sel = { kind: 'gather', index: (env) => indexValue(scope.consts, ctx, b, env) };
      if (!b.step) constSels.add(sel);
      return sel;
    }
  }
  const c =
    e.kind === 'num' || (e.kind === 'name' && typeof model.sizes[e.name] === 'number')
      ? constInt(e, model)
      : undefined;
  if (c !== undefined) return { kind: 'int', value: c };
  const l = node ? clampLag(e, lower(e, ctx, scope), ctx) : lower(e, ctx, scope);
  const sel: Sel = { kind: 'gather', index: l.run };
  if (l.isConst) constSels.add(sel);
  return sel;
}

/**
 * Index args of a node named with indices that are not its own aligned plate indices: its
 * batch axes are value axes; a flattened ragged pair takes two args, combined into one
 * position offsets[e_d] + e_n.
 */
function nodeSels(
  node: GraphNode,
  args: readonly IndexArg[],
  ctx: PlateContext,
  scope: LowerScope,
): Sel[] {
  const model = scope.model;
  const axes = model.axes[node.name] ?? [];
  const sels: Sel[] = [];
  let i = 0;
  for (const ax of axes) {
    if (i >= args.length) return sels;
    if (ax.plates.length === 2) {
      const a = args[i];
      const b = args[i + 1];
      if (!b || a.kind !== 'at' || b.kind !== 'at') {
        throw planError(
          model,
          a.range,
          `'${node.name}' is ragged: index it with both of its plate indices`,
        );
      }
      const r = model.ragged[ax.plates[1]];
      const outer = lower(a.expr, ctx, scope);
      const inner = clampLag(b.expr, lower(b.expr, ctx, scope), ctx);
      const offsetsKey = `offsets:${ax.plates[1]}`;
      const offsets = Int32Array.from(r.offsets);
      sels.push({
        kind: 'gather',
        index: (env) => {
          const off = scope.consts.get(offsetsKey, () => tf.tensor1d(offsets, 'int32'));
          return tf.add(
            tf.gather(off, tf.cast(outer.run(env), 'int32')),
            tf.cast(inner.run(env), 'int32'),
          );
        },
      });
      i += 2;
    } else {
      sels.push(lowerSel(args[i], ctx, scope, true));
      i += 1;
    }
  }
  for (; i < args.length; i++) sels.push(lowerSel(args[i], ctx, scope));
  return sels;
}

/**
 * Align a node's value [s, ...batch, ...event] with the context when its plate axes are the
 * context's leading axes: a reshape, no data movement. Undefined otherwise (e.g. `theta[d]`
 * inside `plate n in N[d]`, whose expansion to the token axis is a gather by outerIndex on
 * the general path).
 */
function alignPlan(
  model: BoundModel,
  name: string,
  ctx: PlateContext,
): ((v: tf.Tensor) => tf.Tensor) | undefined {
  const naxes = model.axes[name] ?? [];
  const m = ctx.axes.length;
  if (naxes.length > m) return undefined;
  for (let j = 0; j < naxes.length; j++) {
    const a = naxes[j].plates;
    const c = ctx.axes[j].plates;
    if (a.length !== c.length || a.some((p, i) => p !== c[i])) return undefined;
  }
  const k = naxes.length;
  if (k === m) return (v) => v;
  return (v) =>
    tf.reshape(v, [
      v.shape[0],
      ...v.shape.slice(1, 1 + k),
      ...new Array<number>(m - k).fill(1),
      ...v.shape.slice(1 + k),
    ]);
}

function applySels(
  t0: tf.Tensor,
  m: number,
  sels: readonly Sel[],
  ctx: PlateContext,
  scope: LowerScope,
  env: Env,
  lazy: boolean,
): tf.Tensor | RowGather | undefined {
  let t = t0;
  const v = valueShape(t, m);
  if (sels.length > v.length) {
    throw new Error(`${sels.length} indices into a value with ${v.length} axes [${v.join(', ')}]`);
  }
  // 1. slices and integer selections: one tf.slice
  const begin = new Array<number>(t.rank).fill(0);
  const size = new Array<number>(t.rank).fill(-1);
  let sliced = false;
  sels.forEach((s, i) => {
    const len = v[i];
    if (s.kind === 'range') {
      const hi = s.hi ?? len;
      if (s.lo < 0 || hi > len || s.lo >= hi)
        throw new Error(`slice ${s.lo}:${hi} outside an axis of length ${len}`);
      begin[1 + m + i] = s.lo;
      size[1 + m + i] = hi - s.lo;
      sliced = true;
    } else if (s.kind === 'int') {
      if (s.value < 0 || s.value >= len)
        throw new Error(`index ${s.value} outside an axis of length ${len}`);
      begin[1 + m + i] = s.value;
      size[1 + m + i] = 1;
      sliced = true;
    }
  });
  if (sliced) t = tf.slice(t, begin, size);
  // value axes still present, with the selection applied to each (undefined: untouched)
  let axes: (Sel | undefined)[] = v.map((_, i) => sels[i]);
  if (sels.some((s) => s.kind === 'int')) {
    const keep = axes.map((s, i) => (s?.kind === 'int' ? -1 : i)).filter((i) => i >= 0);
    t = tf.reshape(t, [...t.shape.slice(0, 1 + m), ...keep.map((i) => t.shape[1 + m + i])]);
    axes = keep.map((i) => axes[i]);
  }
  // 2. plate indices on axes the value does not vary along yet: move the axis onto the plate
  const perm = t.shape.map((_, i) => i);
  const moved: number[] = [];
  axes.forEach((s, i) => {
    if (s?.kind !== 'plate') return;
    const p = 1 + s.binding.axis;
    const len = ctx.axes[s.binding.axis].length;
    const alen = t.shape[1 + m + i];
    if (alen < len)
      throw new Error(
        `index '${s.binding.plate}' runs to ${len - 1} but the axis has length ${alen}`,
      );
    if (t.shape[p] === 1 && alen === len && perm[p] === p) {
      perm[p] = 1 + m + i;
      perm[1 + m + i] = p;
      moved.push(i);
    } else {
      axes[i] = { kind: 'gather', index: (e) => indexValue(scope.consts, ctx, s.binding, e) };
    }
  });
  if (moved.length > 0) {
    // moving an axis onto a plate axis of length 1 keeps the order of the entries: a reshape
    // (no copy), not a transpose (tfjs-wasm copies even when only unit axes move: 20 MB for the
    // design of X[i] with X [100,000, 50])
    const kept = perm.filter((a) => t.shape[a] !== 1);
    const inOrder = kept.every((a, i) => i === 0 || kept[i - 1] < a);
    const shape = perm.map((a) => t.shape[a]);
    t = inOrder ? tf.reshape(t, shape) : tf.transpose(t, perm);
    const keep = axes.map((_, i) => i).filter((i) => !moved.includes(i));
    t = tf.reshape(t, [...t.shape.slice(0, 1 + m), ...keep.map((i) => t.shape[1 + m + i])]);
    axes = keep.map((i) => axes[i]);
  }
  // 3. gathers by index values: one batched gather
  const at: number[] = [];
  const idx: tf.Tensor[] = [];
  axes.forEach((s, i) => {
    if (s?.kind !== 'gather') return;
    const iv = s.index(env);
    if (iv.rank !== 1 + m)
      throw new Error(
        `an index must be a single integer per element, got a value of shape [${valueShape(iv, m).join(', ')}]`,
      );
    at.push(i);
    idx.push(iv);
  });
  if (at.length === 0) return lazy ? undefined : t;
  const g = rowGather(t, m, at, idx);
  return lazy ? g : applyRowGather(g);
}

// ------------------------------------------------------------------ calls

function lowerCall(expr: Call, ctx: PlateContext, scope: LowerScope): Lowered {
  const m = ctx.axes.length;
  const model = scope.model;
  const callee = expr.callee;
  const netNode = model.graph.nodes[callee];
  if (netNode?.kind === 'net') {
    if (expr.args.length !== 1)
      throw planError(model, expr.range, `the net '${callee}' takes one argument`, 'arity');
    const x = lower(expr.args[0].value, ctx, scope);
    const layers = netNode.layers.map((d) =>
      typeof d === 'number' ? d : (model.sizes[d] as number),
    );
    return wrap(
      scope,
      expr.range,
      (env) => netForward(netNode, layers, x.run(env), m, (k) => scope.nodeValue(k, env)),
      false,
    );
  }
  const args = expr.args.map((a) => a.value);
  const intArg = (i: number): number => {
    const v = constInt(args[i], model);
    if (v === undefined || v < 0) {
      throw planError(
        model,
        args[i].range,
        `${callee}: this argument must be a size or a non-negative integer literal`,
      );
    }
    return v;
  };
  const unary = (f: (x: tf.Tensor) => tf.Tensor): Lowered => {
    const a = lower(args[0], ctx, scope);
    return wrap(scope, expr.range, (env) => f(a.run(env)), a.isConst);
  };
  const binary = (f: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor): Lowered => {
    const a = lower(args[0], ctx, scope);
    const b = lower(args[1], ctx, scope);
    return wrap(
      scope,
      expr.range,
      (env) => {
        const [x, y] = alignRanks([a.run(env), b.run(env)], m);
        return f(x, y);
      },
      a.isConst && b.isConst,
    );
  };
  switch (callee) {
    case 'exp':
      return unary((x) => tf.exp(x));
    case 'log':
      return unary((x) => tf.log(x));
    case 'log1p':
      return unary((x) => tf.log1p(x));
    case 'sqrt':
      return unary((x) => tf.sqrt(x));
    case 'abs':
      return unary((x) => tf.abs(x));
    case 'sigmoid':
      return unary((x) => tf.sigmoid(x));
    case 'softplus':
      return unary((x) => tf.softplus(x));
    case 'softmax':
      return unary((x) => {
        if (x.rank === 1 + m) throw new Error('softmax needs a vector');
        return tf.softmax(x);
      });
    case 'sum':
      return unary((x) => (x.rank === 1 + m ? x : tf.sum(x, range(1 + m, x.rank))));
    case 'dot':
      return binary((x, y) => {
        if (x.rank === 1 + m) throw new Error('dot needs two vectors');
        const xv = x.shape[x.rank - 1];
        const yv = y.shape[y.rank - 1];
        if (xv !== yv && xv !== 1 && yv !== 1)
          throw new Error(`dot of vectors of lengths ${xv} and ${yv}`);
        return tf.sum(tf.mul(x, y), -1);
      });
    case 'min':
      return binary((x, y) => tf.minimum(x, y));
    case 'max':
      return binary((x, y) => tf.maximum(x, y));
    case 'rep': {
      const K = intArg(1);
      const a = lower(args[0], ctx, scope);
      return wrap(
        scope,
        expr.range,
        (env) => {
          const x = a.run(env);
          const e = tf.expandDims(x, 1 + m);
          const shape = [...e.shape];
          shape[1 + m] = K;
          return tf.broadcastTo(e, shape);
        },
        a.isConst,
      );
    }
    case 'zeros':
    case 'ones': {
      const shape = args.map((_, i) => intArg(i));
      const fill = callee === 'ones' ? 1 : 0;
      return { isConst: true, run: () => constant(fill, shape, m) };
    }
    case 'eye': {
      const D = intArg(0);
      return {
        isConst: true,
        run: () => tf.reshape(tf.eye(D), [...new Array<number>(1 + m).fill(1), D, D]),
      };
    }
    default:
      throw planError(model, expr.calleeRange, `unknown function '${callee}'`, 'unknown-name');
  }
}

function range(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let i = lo; i < hi; i++) out.push(i);
  return out;
}

export { liftRank };
