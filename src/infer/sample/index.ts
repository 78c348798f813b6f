// The ancestral sampling engine: forward draws, their summaries, the `plato sample` result.

export { toNested } from '../../report/nested.js';
export { sampleEngine } from './engine.js';
export { type ForwardOptions, forwardSample } from './forward.js';
export { type NodeSummary, nodeToNested, sampleResult, summarize } from './summary.js';
