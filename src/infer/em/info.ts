// The em engine's name and options, apart from its implementation (which loads tfjs): the
// command line builds `--iters`, `--tol` and `--restarts` from these declarations.
import type { EngineInfo } from '../options.js';

export const emInfo = {
  name: 'em',
  description:
    'maximum-likelihood params by expectation–maximisation: exact E-step over discrete latents, closed-form M-steps (mixtures)',
  inference: true,
  options: [
    {
      name: 'iters',
      type: 'int',
      default: 200,
      minimum: 1,
      help: 'maximum number of EM iterations (M-steps) per restart',
    },
    {
      name: 'tol',
      type: 'number',
      default: 1e-6,
      minimum: 0,
      help: 'stop when the relative change of the log-likelihood falls below this (0: run all iterations)',
    },
    {
      name: 'restarts',
      type: 'int',
      default: 1,
      minimum: 1,
      help: 'independent restarts (seeds seed, seed+1, …); the best final log-likelihood is kept',
    },
  ],
} as const satisfies EngineInfo;
