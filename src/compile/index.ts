// Expressions → tfjs closures; the log joint. See model.ts for the plan engines use.
export {
  type Env,
  type ModelPlan,
  type NodeDistribution,
  type StochasticPlan,
  compileModel,
} from './model.js';
export { assignmentEnv, logJoint, logProbNodes } from './logJoint.js';
export { type NetWeightShape, netWeightShapes } from './net.js';
export { constInt } from './expr.js';
export { type PlateContext, nodeContext } from './context.js';
