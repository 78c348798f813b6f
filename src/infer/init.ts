// Reproducible initial values of params that have none (not in the data, no default) and of
// net weights, drawn from a seeded Rng. The rule, per param:
// - simplex[..., K]: every entry 1/K (the centre of the simplex);
// - real[..., D, D] used as the covariance (Sigma) of an MvNormal: the identity, batched;
// - otherwise Stan's rule: u ~ Uniform(-2, 2) on the unconstrained scale, mapped into the
//   declared bounds: unbounded u; (lo,) lo + exp(u); (,hi) hi - exp(u);
//   (lo, hi) lo + (hi - lo) sigmoid(u) (Stan Reference Manual, "Initialization");
//   an `int` param is then rounded.
// Net weights: Glorot-uniform W ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (Glorot &
// Bengio 2010); biases 0.
// Values are float32 tensors with a leading axis of 1: [1, ...shape].
import * as tf from '@tensorflow/tfjs';
import { netWeightShapes } from '../compile/net.js';
import type { Rng } from '../distributions/rng.js';
import type { BoundModel } from '../graph/bound.js';
import { evalConst } from '../graph/evaluate.js';
import type { ParamNode } from '../graph/ir.js';
import type { Expr } from '../lang/ast.js';

/** The params the model has no value for, in graph order. */
export function paramsToInitialise(model: BoundModel): ParamNode[] {
  return model.graph.order
    .map((n) => model.graph.nodes[n])
    .filter((n): n is ParamNode => n.kind === 'param' && !model.values[n.name]);
}

/** Is `name` the Sigma argument (directly or indexed) of some MvNormal? */
function isCovariance(model: BoundModel, name: string): boolean {
  for (const n of Object.values(model.graph.nodes)) {
    if (n.kind !== 'stochastic' || n.distribution !== 'MvNormal') continue;
    let e: Expr | undefined = n.args.Sigma;
    while (e?.kind === 'index') e = e.target;
    if (e?.kind === 'name' && e.name === name) return true;
  }
  return false;
}

function bound(model: BoundModel, e: Expr | undefined): number | undefined {
  if (!e) return undefined;
  const v = evalConst(e, { sizes: model.sizes, values: model.values });
  return v.data[0];
}

/** Initial value of one param, [1, ...shape]. */
export function initParam(model: BoundModel, node: ParamNode, rng: Rng): tf.Tensor {
  const shape = [...(model.shapes[node.name]?.event ?? [])];
  return tf.tidy(() => {
    const type = node.type;
    if (type.base === 'simplex') {
      const K = shape[shape.length - 1] ?? 1;
      return tf.fill([1, ...shape], 1 / K);
    }
    const D = shape[shape.length - 1];
    if (shape.length >= 2 && shape[shape.length - 2] === D && isCovariance(model, node.name)) {
      return tf.broadcastTo(tf.reshape(tf.eye(D), [1, ...shape.slice(0, -2).map(() => 1), D, D]), [
        1,
        ...shape,
      ]);
    }
    const u = tf.randomUniform([1, ...shape], -2, 2, 'float32', rng.nextSeed());
    const lo = bound(model, type.lower);
    const hi = bound(model, type.upper);
    let v: tf.Tensor;
    if (lo !== undefined && hi !== undefined) v = tf.add(lo, tf.mul(hi - lo, tf.sigmoid(u)));
    else if (lo !== undefined) v = tf.add(lo, tf.exp(u));
    else if (hi !== undefined) v = tf.sub(hi, tf.exp(u));
    else v = u;
    return type.base === 'int' ? tf.round(v) : v;
  });
}

/** Initial weights of every net (or of those in `only`): name `f.W0`, `f.b0`, … → [1, ...shape]. */
export function initNets(
  model: BoundModel,
  rng: Rng,
  only?: readonly string[],
): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const name of model.graph.order) {
    const net = model.graph.nodes[name];
    if (net?.kind !== 'net' || (only && !only.includes(name))) continue;
    const layers = net.layers.map((d) => (typeof d === 'number' ? d : (model.sizes[d] as number)));
    for (const w of netWeightShapes(net, layers)) {
      if (w.shape.length === 1) out[w.name] = tf.zeros([1, ...w.shape]);
      else {
        const a = Math.sqrt(6 / (w.fanIn + w.fanOut));
        out[w.name] = tf.randomUniform([1, ...w.shape], -a, a, 'float32', rng.nextSeed());
      }
    }
  }
  return out;
}

/** Initial values for every param without one and every net weight (the caller disposes). */
export function initParams(model: BoundModel, rng: Rng): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const p of paramsToInitialise(model)) out[p.name] = initParam(model, p, rng);
  return { ...out, ...initNets(model, rng) };
}
