// The em engine's name and options, apart from its implementation (which loads tfjs): the
// command line builds `--iters`, `--tol`, `--restarts` and `--init` from these declarations.
import type { EngineInfo } from '../options.js';

export const emInfo = {
  name: 'em',
  description:
    'maximum-likelihood params by expectation–maximisation: exact E-step over discrete latents and missing entries (mixtures) or linear-Gaussian latents (factor analysis), closed-form M-steps',
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
      exclusiveMinimum: 0,
      help: 'stop when the relative change of the log-likelihood falls below this',
    },
    {
      name: 'restarts',
      type: 'int',
      default: 1,
      minimum: 1,
      help: 'independent restarts (seeds seed, seed+1, …); the best final log-likelihood is kept',
    },
    {
      name: 'init',
      type: 'values',
      default: {},
      help: 'starting values of params to learn, keyed by name (on the command line a JSON file); they are still learned',
    },
  ],
} as const satisfies EngineInfo;
