// The cavi engine's name and options, apart from its implementation (which loads tfjs): the
// command line builds its flags (`--iters`, `--batch-size`, …) from these declarations.
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
    {
      name: 'batchSize',
      type: 'int',
      default: 0,
      minimum: 0,
      help: 'stochastic VI (Hoffman et al. 2013) over the outermost plate with minibatches of this many elements (0: batch CAVI)',
    },
    {
      name: 'epochs',
      type: 'int',
      default: 10,
      minimum: 1,
      help: 'stochastic VI: passes over the outermost plate',
    },
    {
      name: 'tau0',
      type: 'number',
      default: 1,
      minimum: 0,
      help: 'stochastic VI: the delay tau0 of the step size rho_t = (tau0 + t)^-kappa',
    },
    {
      name: 'kappa',
      type: 'number',
      default: 0.7,
      exclusiveMinimum: 0.5,
      maximum: 1,
      help: 'stochastic VI: the forgetting rate kappa of the step size rho_t = (tau0 + t)^-kappa, in (0.5, 1]',
    },
    {
      name: 'localIters',
      type: 'int',
      default: 100,
      minimum: 1,
      help: "stochastic VI: at most this many sweeps of a minibatch's local latents (they stop earlier at --tol)",
    },
    {
      name: 'rounds',
      type: 'int',
      default: 3,
      minimum: 1,
      help: "batch cavi's local/global schedule (LDA): at most this many rounds of the local latents' updates (θ, z) before each update of the global Dirichlet factors (they stop earlier when every element moves by < 1e-3)",
    },
    {
      name: 'stream',
      type: 'string',
      default: '',
      help: 'stochastic VI: read the outermost plate from this JSON-lines file, one element per line (--data holds the rest)',
    },
  ],
} as const satisfies EngineInfo;
