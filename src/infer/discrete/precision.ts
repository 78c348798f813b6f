// Probabilities given as literals, data or hypers are float64; the compiled distributions see them
// in float32, where p = 0.999999 becomes 0.99999905 and log(1 - p) is off by 1.3e-2 (issue 7,
// item 15). When the probability argument of a Bernoulli or Binomial node only selects entries
// of known values (`0.999999`, `p`, `T[z]`, `rho[k]`), the float64 value behind every float32 p
// is known, and each table entry is corrected by
//   Δ = x (log p64 − log p32) + (n − x) (log1p(−p64) − log1p(−p32)),
// computed in float64 and added to the float32 log-probability (whose own rounding is then
// relative to |log p(x)|, not to 1 − p).
import * as tf from '@tensorflow/tfjs';
import type { Env, ModelPlan } from '../../compile/model.js';
import type { BoundModel } from '../../graph/bound.js';
import type { StochasticNode } from '../../graph/ir.js';
import { prod } from '../../util/shape.js';

/**
 * float32 image → float64 value of every number the argument `p` of `node` can select, or
 * undefined when `p` is not a plain selection (then nothing is corrected). Values that share a
 * float32 image are left out (their float64 value is ambiguous).
 */
export function selectedProbabilities(
  model: BoundModel,
  node: StochasticNode,
): ReadonlyMap<number, number> | undefined {
  if (node.distribution !== 'Bernoulli' && node.distribution !== 'Binomial') return undefined;
  const p = node.args.p;
  if (!p) return undefined;
  let values: ArrayLike<number>;
  if (p.kind === 'num') values = [p.value];
  else {
    const name =
      p.kind === 'name'
        ? p.name
        : p.kind === 'index' && p.target.kind === 'name'
          ? p.target.name
          : undefined;
    const kind = name ? model.graph.nodes[name]?.kind : undefined;
    const known = name ? model.values[name] : undefined;
    if (!known || (kind !== 'hyper' && kind !== 'data' && kind !== 'param')) return undefined;
    values = known.data;
  }
  const out = new Map<number, number>();
  const ambiguous = new Set<number>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const f = Math.fround(v);
    const prev = out.get(f);
    if (prev !== undefined && prev !== v) ambiguous.add(f);
    out.set(f, v);
  }
  for (const f of ambiguous) out.delete(f);
  return out.size > 0 ? out : undefined;
}

/**
 * Correct the log-probabilities `lp` [len × E] in place: `p32` and `n` per entry (float32 as the
 * distribution saw them), `x(i)` the value scored at entry i (NaN: nothing scored).
 */
export function correctLogProb(
  lp: Float32Array,
  p32: ArrayLike<number>,
  n: ArrayLike<number> | undefined,
  x: (i: number) => number,
  lookup: ReadonlyMap<number, number>,
): void {
  for (let i = 0; i < lp.length; i++) {
    if (!Number.isFinite(lp[i])) continue;
    const p = p32[i];
    const p64 = lookup.get(p);
    if (p64 === undefined || p64 === p) continue;
    const xi = x(i);
    if (Number.isNaN(xi)) continue;
    const ni = n ? n[i] : 1;
    let d = 0;
    if (xi > 0) d += xi * (Math.log(p64) - Math.log(p));
    if (ni - xi > 0) d += (ni - xi) * (Math.log1p(-p64) - Math.log1p(-p));
    if (Number.isFinite(d)) lp[i] += d;
  }
}

/**
 * The log-probabilities `lp` [len, E] of node `name` in `env` (call inside tidy), corrected
 * where its probability argument selects float64 values: `x(i)` is the value scored at entry i.
 * Returns `lp` itself when there is nothing to correct.
 */
export function withFloat64Probabilities(
  model: BoundModel,
  plan: ModelPlan,
  name: string,
  env: Env,
  lp: tf.Tensor,
  x: (i: number) => number,
): tf.Tensor {
  const node = model.graph.nodes[name];
  if (node?.kind !== 'stochastic' || prod(model.shapes[name].event) !== 1) return lp;
  const lookup = selectedProbabilities(model, node);
  if (!lookup) return lp;
  const [len, E] = lp.shape.length === 2 ? lp.shape : [1, lp.size];
  const { args, lead } = plan.distArgs(name, env);
  const host = (t: tf.Tensor) =>
    tf.broadcastTo(tf.reshape(t, [lead ? len : 1, E]), [len, E]).dataSync();
  const L = lp.dataSync().slice() as Float32Array;
  correctLogProb(L, host(args.p), args.n ? host(args.n) : undefined, x, lookup);
  return tf.reshape(tf.tensor(L), lp.shape);
}
