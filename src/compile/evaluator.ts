// Evaluating model expressions outside a log joint (closed-form updates, expected statistics):
// any expression, in the plate context of any node, with chosen values for the latents (basis
// vectors on the sample axis, element ids, ones), broadcast to that node's layout
// [s, ...batch, ...valueShape]. Built on the expression compiler, so indexing, ragged plates and
// broadcasting mean exactly what they mean to every engine. Also the float64 reductions the
// engines read their results through (sum64, download).
import * as tf from '@tensorflow/tfjs';
import type { BoundModel } from '../graph/bound.js';
import type { Expr } from '../lang/ast.js';
import { nodeContext } from './context.js';
import { type Env, type Lowered, type LowerScope, lower } from './expr.js';
import { compileModel, type ModelPlan } from './model.js';
import { toFloat, toNodeLayout } from './value.js';

export type { Env } from './expr.js';

export class ExprEvaluator implements LowerScope {
  readonly model: BoundModel;
  readonly plan: ModelPlan;
  owner = '';
  private readonly lowered = new Map<Expr, Map<string, Lowered>>();
  private readonly deterministic = new WeakMap<Env, Map<string, tf.Tensor>>();

  constructor(model: BoundModel) {
    this.model = model;
    this.plan = compileModel(model);
  }

  get consts() {
    return this.plan.consts;
  }

  /** A node's value in `env`: given there, a deterministic node computed from env, else known. */
  nodeValue(name: string, env: Env): tf.Tensor {
    const v = env[name];
    if (v) return v;
    const node = this.model.graph.nodes[name];
    if (node?.kind === 'deterministic') {
      let cache = this.deterministic.get(env);
      if (!cache) {
        cache = new Map();
        this.deterministic.set(env, cache);
      }
      const hit = cache.get(name);
      if (hit && !hit.isDisposed) return hit;
      const out = this.inLayout(node.value, name, env, this.model.shapes[name].event);
      cache.set(name, out);
      return out;
    }
    return this.plan.nodeValue(name, env);
  }

  /**
   * `expr` evaluated in the plate context of node `at`, broadcast to
   * [s, ...batch(at), ...valueShape] (float32). Call inside tf.tidy; the result may be a
   * cached constant, so never dispose it by hand.
   */
  inLayout(expr: Expr, at: string, env: Env, valueShape: readonly number[]): tf.Tensor {
    const { value, m } = this.raw(expr, at, env);
    return toNodeLayout(value, m, this.model.shapes[at].batch, valueShape, `'${at}'`);
  }

  /**
   * `expr` as inLayout, but broadcast to `batch` (the node's batch with some plate axes set to
   * 1) — or undefined when the value varies along a plate axis where `batch` has 1: a value
   * whose plate axis keeps size 1 is the same for every element along it (broadcasting), so the
   * caller may evaluate it once per remaining element (cavi's mixtures: per component and
   * column, not per data row).
   */
  inSubLayout(
    expr: Expr,
    at: string,
    env: Env,
    batch: readonly number[],
    valueShape: readonly number[],
  ): tf.Tensor | undefined {
    const { value, m } = this.raw(expr, at, env);
    if (value.rank < 1 + m || batch.length !== m) return undefined;
    for (let a = 0; a < m; a++) if (batch[a] === 1 && value.shape[1 + a] !== 1) return undefined;
    return toNodeLayout(value, m, batch, valueShape, `'${at}'`);
  }

  /** The value shape of `expr` in the plate context of `at` (its own axes beyond the plates). */
  valueShape(expr: Expr, at: string, env: Env): number[] {
    const { value, m } = this.raw(expr, at, env);
    return value.shape.slice(1 + m);
  }

  /** The value of `expr` in the context of `at` if it is one number for every element, else undefined. */
  uniformValue(expr: Expr, at: string, env: Env): number | undefined {
    const v = tf.tidy(() => {
      const { value } = this.raw(expr, at, env);
      return value.size === 1 ? tf.reshape(value, [1]) : tf.zeros([0]);
    });
    const out = v.size === 1 ? v.dataSync()[0] : undefined;
    v.dispose();
    return out;
  }

  /** `expr` as a plate-aligned value [s, c1..cm, ...value] in the context of `at`. */
  private raw(expr: Expr, at: string, env: Env): { value: tf.Tensor; m: number } {
    const ctx = nodeContext(this.model, at);
    let byNode = this.lowered.get(expr);
    if (!byNode) {
      byNode = new Map();
      this.lowered.set(expr, byNode);
    }
    let l = byNode.get(at);
    if (!l) {
      this.owner = at;
      l = lower(expr, ctx, this);
      byNode.set(at, l);
    }
    return { value: toFloat(l.run(env)), m: ctx.axes.length };
  }

  /** A node's own value from the data [1, ...batch, ...event] (NaN where missing). */
  observed(name: string): tf.Tensor {
    return this.plan.nodeValue(name, {});
  }

  dispose(): void {
    this.plan.dispose();
  }
}

/** The full shape of a node: batch then event. */
export function fullShape(model: BoundModel, name: string): number[] {
  const s = model.shapes[name];
  return [...s.batch, ...s.event];
}

/**
 * The sum of a float32 tensor with float64-like accuracy: pairwise (cascade) summation on the
 * device — adjacent pairs are added level by level, so the rounding error grows with
 * log2(n), not n (Higham, Accuracy and Stability of Numerical Algorithms, §4.2) — down to at
 * most 1024 partial sums, which are added in float64 on the host.
 */
export function sum64(t: tf.Tensor): number {
  const n = t.size;
  if (n === 0) return 0;
  const parts = tf.tidy(() => {
    let x = tf.reshape(t, [n]);
    while (x.size > 1024) {
      const len = x.size;
      const even = len % 2 === 0 ? x : tf.concat([x, tf.zeros([1])]);
      x = tf.sum(tf.reshape(even, [(len + (len % 2)) / 2, 2]), 1);
    }
    return x;
  });
  const d = parts.dataSync();
  parts.dispose();
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i];
  return s;
}

/** Download a tensor as float64. */
export function toFloat64(t: tf.Tensor): Float64Array {
  return new Float64Array(t.dataSync());
}

/** Run `f` in a tidy scope and download its tensor as float64 (the tensor is freed). */
export function download(f: () => tf.Tensor): Float64Array {
  const t = tf.tidy(f);
  const out = new Float64Array(t.dataSync());
  t.dispose();
  return out;
}
