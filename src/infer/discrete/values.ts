// The values a discrete analysis reads from the compiled plan: the number of states of a
// Categorical or Binomial latent (from its evaluated argument) and the parameters of noisy-OR
// findings (one evaluation at the zero state and the unit states, noisyOr.ts). The analysis
// itself (analysis.ts, prepare.ts) is tensor-free: it takes these as DiscreteValues, so that
// `plato engines` can answer from the bound data without tfjs where that suffices
// (hostValues.ts) and load this module only when it does not.
import * as tf from '@tensorflow/tfjs';
import { nodeContext } from '../../compile/context.js';
import { lower } from '../../compile/expr.js';
import type { ModelPlan } from '../../compile/model.js';
import type { Reason } from '../../diagnostics/reason.js';
import type { BoundModel } from '../../graph/bound.js';
import { ConstEvalError, evalConst } from '../../graph/evaluate.js';
import type { StochasticNode } from '../../graph/ir.js';
import { ancestors } from '../../graph/query.js';
import { reasonAt } from '../engine.js';
import type { FactorNode } from './analysis.js';
import type { DepAnalysis } from './deps.js';
import type { NoisyOrForm, NoisyOrParams } from './noisyOr.js';
import type { DiscreteValues } from './prepare.js';

/** The plan's answers to what the analysis asks. */
export function planValues(model: BoundModel, plan: ModelPlan): DiscreteValues {
  return {
    cardinality: (node, deps) => cardinality(plan, model, node, deps),
    noisyOr: (f, form) => extractNoisyOr(model, plan, f, form),
  };
}

/** Values of the deterministic ancestors of `name` given the variables in env (call inside tidy). */
export function withDeterministic(
  plan: ModelPlan,
  model: BoundModel,
  name: string,
  env: Record<string, tf.Tensor>,
): Record<string, tf.Tensor> {
  const out = { ...env };
  for (const a of ancestors(model.graph, name)) {
    if (model.graph.nodes[a]?.kind === 'deterministic' && !out[a])
      out[a] = plan.deterministic(a, out);
  }
  return out;
}

/** Zeros for every variable `name` reads, [1, ...shape]: enough to learn argument shapes. */
function dummyEnv(
  plan: ModelPlan,
  model: BoundModel,
  name: string,
  deps: DepAnalysis,
): Record<string, tf.Tensor> {
  const env: Record<string, tf.Tensor> = {};
  for (const y of deps.of(name).keys()) {
    const s = model.shapes[y];
    env[y] = tf.zeros([1, ...s.batch, ...s.event]);
  }
  return withDeterministic(plan, model, name, env);
}

/** Number of states of a variable node (Categorical: K of its argument; Binomial: max n + 1). */
function cardinality(
  plan: ModelPlan,
  model: BoundModel,
  node: StochasticNode,
  deps: DepAnalysis,
): number | Reason {
  if (node.distribution === 'Bernoulli') return 2;
  let values: Float32Array | undefined;
  let K = 0;
  tf.tidy(() => {
    const { args } = plan.distArgs(node.name, dummyEnv(plan, model, node.name, deps));
    const p = args.p ?? args.logits;
    if (node.distribution === 'Categorical') K = p.shape[p.rank - 1];
    else values = args.n.dataSync() as Float32Array;
  });
  if (!values) return K;
  let max = 0;
  for (const v of values) {
    if (!Number.isInteger(v) || v < 0) {
      return reasonAt(
        model,
        node.name,
        `${node.name} ~ Binomial(n, …) needs a non-negative integer n, got ${v}`,
      );
    }
    max = Math.max(max, v);
  }
  return max + 1;
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
