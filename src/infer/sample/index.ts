// The ancestral sampling engine: forward draws, their summaries, the `plato sample` result.

export { sampleEngine } from './engine.js';
export { type ForwardOptions, forwardSample } from './forward.js';
export { type NodeSummary, sampleResult, summarize } from './summary.js';
