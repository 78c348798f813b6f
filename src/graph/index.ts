// The model graph: building, shapes, data reading and binding, queries.

export { type BindOptions, bind } from './bind.js';
export type * from './bound.js';
export { type BuildResult, buildGraph } from './build.js';
export { readDataText } from './data.js';
export { type ConstEnv, ConstEvalError, evalConst } from './evaluate.js';
export type * from './ir.js';
export { nestedIndex, plateAxes, raggedSegments } from './layout.js';
export {
  ancestors,
  children,
  descendants,
  latentNodes,
  nodesInPlate,
  observedNodes,
  platesOf,
  stochasticNodes,
} from './query.js';
export {
  concreteShape,
  fullShape,
  inferShapes,
  type NodeShapeInfo,
  type Shape,
  type ShapeAnalysis,
  type SizeValues,
} from './shapes.js';
