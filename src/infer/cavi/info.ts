// The cavi engine's name and options, apart from its implementation (which loads tfjs): the
// command line builds `--iters` and `--tol` from these declarations.
import type { EngineInfo } from '../options.js';

export const caviInfo = {
  name: 'cavi',
  description:
    'mean-field variational Bayes by coordinate ascent (variational message passing): conjugate-exponential models, mixtures, LDA; logEvidence is the final ELBO',
  inference: true,
  options: [
    {
      name: 'iters',
      type: 'int',
      default: 200,
      minimum: 1,
      help: 'maximum number of CAVI sweeps (each updates every latent once)',
    },
    {
      name: 'tol',
      type: 'number',
      default: 1e-6,
      minimum: 0,
      help: 'stop when the relative change of the ELBO between sweeps falls below this (0: run all sweeps)',
    },
  ],
} as const satisfies EngineInfo;
