// The built-in engines, registered once on import. Later engines add one import and one
// registerEngine line here; nothing else changes.

import { exactEngine } from './exact/index.js';
import { registerEngine } from './registry.js';
import { sampleEngine } from './sample/index.js';

registerEngine(sampleEngine);
registerEngine(exactEngine);

export {
  autoOrder,
  chooseAuto,
  explainAuto,
  getEngine,
  isInferenceEngine,
  learnables,
  listEngines,
  registerEngine,
} from './registry.js';
