// The em engine's name and options, apart from its implementation (which loads tfjs): the
// command line builds `--iters`, `--tol`, `--restarts`, `--init`, `--mstep-iters` and
// `--mstep-rate` from these declarations.
import type { EngineInfo } from '../options.js';

export const emInfo = {
  name: 'em',
  description:
    'maximum-likelihood params by expectation–maximisation: exact E-step over discrete latents and missing entries (mixtures, noisy-OR) or linear-Gaussian latents (factor analysis); closed-form M-steps, else gradient M-steps (noisy-OR weights)',
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
    {
      name: 'regCovar',
      type: 'number',
      default: 1e-6,
      minimum: 0,
      help: "added to every learned variance (covariance diagonal) after its M-step, as scikit-learn's reg_covar: keeps a component from collapsing onto a few points (0: plain EM)",
    },
    {
      name: 'init',
      type: 'values',
      default: {},
      help: 'starting values of params to learn, keyed by name (on the command line a JSON file); they are still learned',
    },
    {
      name: 'mstepIters',
      type: 'int',
      default: 10,
      minimum: 1,
      help: 'Adam steps per gradient M-step (params without a closed-form M-step, e.g. noisy-OR weights)',
    },
    {
      name: 'mstepRate',
      type: 'number',
      default: 1,
      exclusiveMinimum: 0,
      help: "the gradient M-step's Adam step size (unconstrained coordinates); halved when a step does not increase Q",
    },
  ],
} as const satisfies EngineInfo;
