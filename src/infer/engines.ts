// The built-in engines, registered once on import. A later engine adds one import and one
// registerEngine line here, and its info (name, options) to builtin.ts, which the command line
// reads without loading the engines; a test keeps the two lists equal.

import { aviEngine } from './avi/index.js';
import { caviEngine } from './cavi/index.js';
import { emEngine } from './em/index.js';
import { exactEngine } from './exact/index.js';
import { registerEngine } from './registry.js';
import { sampleEngine } from './sample/index.js';

registerEngine(sampleEngine);
registerEngine(exactEngine);
registerEngine(emEngine);
registerEngine(caviEngine);
registerEngine(aviEngine);

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
