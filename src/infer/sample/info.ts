// The sample engine's name and options, apart from its implementation (which loads tfjs). It is
// a sampler, not an inference engine: `plato sample` and the library's sample() draw with it
// (their `n` and `conditional` belong to that command); as an engine it runs nothing.
import type { EngineInfo } from '../options.js';

export const sampleInfo = {
  name: 'sample',
  description: 'ancestral sampling of any model, vectorised over samples and plates (plato sample)',
  inference: false,
  options: [],
} as const satisfies EngineInfo;
