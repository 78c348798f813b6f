// Expressions → tfjs closures; the log joint. See model.ts for the plan engines use.

export { nodeContext, type PlateContext } from './context.js';
export {
  download,
  ExprEvaluator,
  fullShape,
  sum64,
  toFloat64,
} from './evaluator.js';
export { constInt } from './expr.js';
export { assignmentEnv, logJoint, logProbNodes } from './logJoint.js';
export {
  compileModel,
  type Env,
  type ModelPlan,
  type NodeDistribution,
  type StochasticPlan,
} from './model.js';
export { type NetWeightShape, netWeightShapes } from './net.js';
