// The built-in engines' names and options, without their implementations: what the command
// line needs to build the flags and `--help` of `plato infer` before it loads tfjs. engines.ts
// registers the same engines (a test keeps the two lists equal). A new engine adds its info
// here and its implementation there.
import { aviInfo } from './avi/info.js';
import { caviInfo } from './cavi/info.js';
import { emInfo } from './em/info.js';
import { exactInfo } from './exact/info.js';
import type { EngineInfo } from './options.js';
import { sampleInfo } from './sample/info.js';

export const BUILTIN_ENGINES: readonly EngineInfo[] = [
  sampleInfo,
  exactInfo,
  emInfo,
  caviInfo,
  aviInfo,
];
