// A tiny float64 evaluator for constant expressions: defaults of hypers and params, type
// bounds, size defaults. Supports numbers, vector literals, hyper/param/size names,
// arithmetic with NumPy broadcasting, and the built-ins that make sense on constants
// (rep, zeros, ones, eye, elementwise functions, sum, softmax, dot, @). Nothing in a model
// file is ever evaluated as JavaScript.
import type { Expr } from '../lang/ast.js';
import { broadcastShapes, prod } from '../util/shape.js';
import type { NDArray } from './bound.js';
import { exprToString } from './print.js';

/** A constant expression could not be evaluated; `expr` is the offending sub-expression. */
export class ConstEvalError extends Error {
  readonly expr: Expr;
  constructor(message: string, expr: Expr) {
    super(message);
    this.name = 'ConstEvalError';
    this.expr = expr;
  }
}

export interface ConstEnv {
  readonly sizes: Readonly<Record<string, number | readonly number[]>>;
  /** values of names usable in constants (hypers, params already known) */
  readonly values: Readonly<Record<string, NDArray>>;
  /**
   * plate indices bound to one element (`i` = 3): then `x[i]` and other single-position
   * indexing of a known array evaluate too (a bound read per plate element, support.ts)
   */
  readonly indices?: Readonly<Record<string, number>>;
}

export function scalar(v: number): NDArray {
  return { shape: [], data: Float64Array.of(v) };
}

/** Row-major strides of `shape` seen from a broadcast `target` (0 along broadcast axes). */
function broadcastStrides(shape: readonly number[], target: readonly number[]): number[] {
  const strides = new Array<number>(target.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const t = target.length - shape.length + i;
    strides[t] = shape[i] === 1 ? 0 : s;
    s *= shape[i];
  }
  return strides;
}

/** Broadcast `x` to `shape` (NumPy rules); undefined when `x` does not broadcast to it exactly. */
export function broadcastTo(x: NDArray, shape: readonly number[]): NDArray | undefined {
  const b = broadcastShapes(x.shape, shape);
  if (!b || b.length !== shape.length || b.some((d, i) => d !== shape[i])) return undefined;
  return map2(x, scalar(0), shape, (v) => v);
}

function map2(
  a: NDArray,
  b: NDArray,
  shape: readonly number[],
  f: (x: number, y: number) => number,
): NDArray {
  const n = prod(shape);
  const out = new Float64Array(n);
  const sa = broadcastStrides(a.shape, shape);
  const sb = broadcastStrides(b.shape, shape);
  const idx = new Array<number>(shape.length).fill(0);
  let ia = 0;
  let ib = 0;
  for (let k = 0; k < n; k++) {
    out[k] = f(a.data[ia], b.data[ib]);
    // odometer increment over the target shape
    for (let ax = shape.length - 1; ax >= 0; ax--) {
      idx[ax]++;
      ia += sa[ax];
      ib += sb[ax];
      if (idx[ax] < shape[ax]) break;
      ia -= sa[ax] * shape[ax];
      ib -= sb[ax] * shape[ax];
      idx[ax] = 0;
    }
  }
  return { shape: [...shape], data: out };
}

function map1(a: NDArray, f: (x: number) => number): NDArray {
  return { shape: a.shape, data: a.data.map(f) };
}

const ELEMENTWISE: Record<string, (x: number) => number> = {
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  sqrt: Math.sqrt,
  abs: Math.abs,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  softplus: (x) => (x > 30 ? x : Math.log1p(Math.exp(x))),
};

const BINARY: Record<string, (x: number, y: number) => number> = {
  '+': (x, y) => x + y,
  '-': (x, y) => x - y,
  '*': (x, y) => x * y,
  '/': (x, y) => x / y,
  '^': (x, y) => x ** y,
  '==': (x, y) => Number(x === y),
  '!=': (x, y) => Number(x !== y),
  '<': (x, y) => Number(x < y),
  '<=': (x, y) => Number(x <= y),
  '>': (x, y) => Number(x > y),
  '>=': (x, y) => Number(x >= y),
  '&&': (x, y) => Number(x !== 0 && y !== 0),
  '||': (x, y) => Number(x !== 0 || y !== 0),
  min: Math.min,
  max: Math.max,
};

/** Evaluate a constant expression in float64. Throws ConstEvalError for anything non-constant. */
export function evalConst(e: Expr, env: ConstEnv): NDArray {
  switch (e.kind) {
    case 'num':
      return scalar(e.value);
    case 'name': {
      const bound = env.indices?.[e.name];
      if (bound !== undefined) return scalar(bound);
      const s = env.sizes[e.name];
      if (typeof s === 'number') return scalar(s);
      if (s !== undefined)
        throw new ConstEvalError(`ragged size ${e.name} is not a single number`, e);
      const v = env.values[e.name];
      if (!v) throw new ConstEvalError(`'${e.name}' is not a constant known here`, e);
      return v;
    }
    case 'vector': {
      const items = e.items.map((x) => evalConst(x, env));
      let shape: number[] = [];
      for (const [i, it] of items.entries()) {
        const b = broadcastShapes(shape, it.shape);
        if (!b)
          throw new ConstEvalError(`vector item ${i} has a shape unlike the others`, e.items[i]);
        shape = b;
      }
      const m = prod(shape);
      const out = new Float64Array(items.length * m);
      for (const [i, it] of items.entries()) out.set(broadcastTo(it, shape)!.data, i * m);
      return { shape: [items.length, ...shape], data: out };
    }
    case 'unary': {
      const a = evalConst(e.arg, env);
      if (e.op === '!') return map1(a, (x) => Number(x === 0));
      return e.op === '-' ? map1(a, (x) => -x) : a;
    }
    case 'cond': {
      const c = evalConst(e.test, env);
      const a = evalConst(e.whenTrue, env);
      const b = evalConst(e.whenFalse, env);
      const ab = broadcastShapes(a.shape, b.shape);
      const shape = ab && broadcastShapes(c.shape, ab);
      if (!shape) throw new ConstEvalError('the branches and the test do not broadcast', e);
      const [cc, aa, bb] = [c, a, b].map((x) => broadcastTo(x, shape)!.data);
      return { shape, data: cc!.map((v, i) => (v !== 0 ? aa![i]! : bb![i]!)) };
    }
    case 'binary': {
      const a = evalConst(e.left, env);
      const b = evalConst(e.right, env);
      if (e.op === '@') return matmul(a, b, e);
      return elementwise2(e.op, a, b, e);
    }
    case 'index':
      if (env.indices) return evalIndexAt(e, env);
      throw new ConstEvalError(`indexing is not supported in a constant (${exprToString(e)})`, e);
    case 'call':
      return evalCall(e, env);
  }
}

/** `x[a, b]` with single integer positions (evaluated under plate indices) on a known array */
function evalIndexAt(e: Extract<Expr, { kind: 'index' }>, env: ConstEnv): NDArray {
  const x = evalConst(e.target, env);
  const at = e.indices.map((ix) => {
    if (ix.kind !== 'at') throw new ConstEvalError('a slice in a constant', e);
    const v = evalConst(ix.expr, env);
    const n = v.data[0];
    if (v.data.length !== 1 || !Number.isInteger(n)) {
      throw new ConstEvalError(`the index ${exprToString(ix.expr)} is not one integer`, ix.expr);
    }
    return n;
  });
  if (at.length > x.shape.length) throw new ConstEvalError('too many indices', e);
  let offset = 0;
  at.forEach((n, k) => {
    if (n < 0 || n >= x.shape[k]) throw new ConstEvalError(`index ${n} out of range`, e);
    offset = offset * x.shape[k] + n;
  });
  const shape = x.shape.slice(at.length);
  const m = prod(shape);
  return { shape, data: x.data.subarray(offset * m, offset * m + m) };
}

function elementwise2(op: string, a: NDArray, b: NDArray, e: Expr): NDArray {
  const shape = broadcastShapes(a.shape, b.shape);
  if (!shape) {
    throw new ConstEvalError(
      `cannot broadcast shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`,
      e,
    );
  }
  return map2(a, b, shape, BINARY[op]);
}

function matmul(a: NDArray, b: NDArray, e: Expr): NDArray {
  if (a.shape.length === 0 || b.shape.length === 0 || a.shape.length > 2 || b.shape.length > 2) {
    throw new ConstEvalError('@ in a constant needs vectors or matrices', e);
  }
  const [m, k] = a.shape.length === 2 ? a.shape : [1, a.shape[0]];
  const [k2, n] = b.shape.length === 2 ? b.shape : [b.shape[0], 1];
  if (k !== k2) throw new ConstEvalError(`matrix product of inner dimensions ${k} and ${k2}`, e);
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a.data[i * k + t] * b.data[t * n + j];
      out[i * n + j] = s;
    }
  const shape = [...(a.shape.length === 2 ? [m] : []), ...(b.shape.length === 2 ? [n] : [])];
  return { shape, data: out };
}

function evalCall(e: Extract<Expr, { kind: 'call' }>, env: ConstEnv): NDArray {
  const args = e.args.map((a) => a.value);
  const f = e.callee;
  const dimArg = (x: Expr): number => {
    const v = evalConst(x, env);
    const n = v.data[0];
    if (v.data.length !== 1 || !Number.isInteger(n) || n < 0) {
      throw new ConstEvalError(
        `${f} needs a non-negative integer length, got ${exprToString(x)}`,
        x,
      );
    }
    return n;
  };
  if (f in ELEMENTWISE) return map1(evalConst(args[0], env), ELEMENTWISE[f]);
  switch (f) {
    case 'min':
    case 'max':
      return elementwise2(f, evalConst(args[0], env), evalConst(args[1], env), e);
    case 'sum':
      return scalar(evalConst(args[0], env).data.reduce((s, x) => s + x, 0));
    case 'softmax': {
      const a = evalConst(args[0], env);
      const k = a.shape.length ? a.shape[a.shape.length - 1] : 1;
      const out = new Float64Array(a.data.length);
      for (let r = 0; r < a.data.length; r += k) {
        const row = a.data.subarray(r, r + k);
        const mx = Math.max(...row);
        let z = 0;
        for (let t = 0; t < k; t++) z += Math.exp(row[t] - mx);
        for (let t = 0; t < k; t++) out[r + t] = Math.exp(row[t] - mx) / z;
      }
      return { shape: a.shape, data: out };
    }
    case 'dot': {
      const a = evalConst(args[0], env);
      const b = evalConst(args[1], env);
      if (a.shape.length !== 1 || b.shape.length !== 1 || a.shape[0] !== b.shape[0]) {
        throw new ConstEvalError(`dot of shapes [${a.shape}] and [${b.shape}]`, e);
      }
      return scalar(a.data.reduce((s, x, i) => s + x * b.data[i], 0));
    }
    case 'rep': {
      const x = evalConst(args[0], env);
      const k = dimArg(args[1]);
      const out = new Float64Array(k * x.data.length);
      for (let i = 0; i < k; i++) out.set(x.data, i * x.data.length);
      return { shape: [k, ...x.shape], data: out };
    }
    case 'zeros':
    case 'ones': {
      const shape = args.map(dimArg);
      return { shape, data: new Float64Array(prod(shape)).fill(f === 'ones' ? 1 : 0) };
    }
    case 'eye': {
      const d = dimArg(args[0]);
      const out = new Float64Array(d * d);
      for (let i = 0; i < d; i++) out[i * d + i] = 1;
      return { shape: [d, d], data: out };
    }
    default:
      throw new ConstEvalError(`${f}(…) cannot be evaluated in a constant`, e);
  }
}
