// The log joint density of a bound model at an assignment of its stochastic nodes:
//   log p(x) = sum over stochastic nodes v, plate elements e of log p(x_v[e] | parents).
// These one-shot functions compile a plan, evaluate and dispose it; engines that evaluate
// many times keep a plan (`compileModel`) and call `plan.logJoint(env)` directly.
import * as tf from '@tensorflow/tfjs';
import type { BoundModel } from '../graph/bound.js';
import { compileModel, type Env, type ModelPlan } from './model.js';

/**
 * The env of an assignment: values of shape [S, ...full] or [...full] (a leading axis of 1 is
 * added), deterministic nodes evaluated. Call inside tidy.
 */
export function assignmentEnv(
  plan: ModelPlan,
  assignment: Readonly<Record<string, tf.Tensor>>,
): Env {
  const env: Record<string, tf.Tensor> = {};
  for (const [name, t] of Object.entries(assignment)) {
    const shape = plan.model.shapes[name];
    const rank = shape ? shape.batch.length + shape.event.length : t.rank - 1;
    env[name] = t.rank === rank ? tf.expandDims(t, 0) : t;
  }
  return { ...env, ...plan.evaluateDeterministic(env) };
}

/**
 * log p at the assignment, shape [S] (S = the assignment's leading axis, or 1). Stochastic
 * nodes absent from `assignment` take their observed values from the model (a partially
 * observed one scores its observed entries only); params come from the assignment or the
 * model's values.
 */
export function logJoint(
  model: BoundModel,
  assignment: Readonly<Record<string, tf.Tensor>>,
): tf.Tensor {
  const plan = compileModel(model);
  try {
    return tf.tidy(() => {
      const env = assignmentEnv(plan, assignment);
      const S = Math.max(1, ...Object.values(env).map((t) => t.shape[0]));
      const lp = plan.logJoint(env);
      return lp.shape[0] === S ? lp : tf.broadcastTo(lp, [S]);
    });
  } finally {
    plan.dispose();
  }
}

/** log p per stochastic node and plate element: node → [S|1, ...batch]. */
export function logProbNodes(
  model: BoundModel,
  assignment: Readonly<Record<string, tf.Tensor>>,
): Record<string, tf.Tensor> {
  const plan = compileModel(model);
  try {
    return tf.tidy(() => {
      const env = assignmentEnv(plan, assignment);
      const out: Record<string, tf.Tensor> = {};
      for (const name of plan.stochastic.keys()) out[name] = plan.logProb(name, env);
      return out;
    });
  } finally {
    plan.dispose();
  }
}
