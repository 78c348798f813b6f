// The exact engine's name and options, apart from its implementation (which loads tfjs): the
// command line builds its flags and help from this. Exact inference has nothing to tune: it
// reads only the shared options.
import type { EngineInfo } from '../options.js';

export const exactInfo = {
  name: 'exact',
  description:
    'closed-form conjugate posteriors and exact discrete inference (variable elimination), with the exact log evidence',
  inference: true,
  options: [],
} as const satisfies EngineInfo;
