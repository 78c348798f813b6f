// The avi engine's name and options, apart from its implementation (which loads tfjs): the
// command line builds its flags (`--particles`, `--iw`, `--lr`, …) from these declarations.
import type { EngineInfo } from '../options.js';

export const aviInfo = {
  name: 'avi',
  description:
    'amortised variational inference: Adam on the reparameterised ELBO, inference networks for the latents of the outermost plate, mean-field Gaussians (through bijectors) for the rest; learns params and nets; logEvidence is the final ELBO (or the importance-weighted bound with --iw)',
  inference: true,
  options: [
    {
      name: 'epochs',
      type: 'int',
      default: 300,
      minimum: 1,
      help: 'passes over the outermost plate (without --batch-size, each pass is one Adam step on the whole data)',
    },
    {
      name: 'batchSize',
      type: 'int',
      default: 0,
      minimum: 0,
      help: 'minibatches of this many elements of the outermost plate, the ELBO scaled by N/B (0: the whole plate)',
    },
    {
      name: 'lr',
      type: 'number',
      default: 0.05,
      exclusiveMinimum: 0,
      help: "Adam's step size (nets often want 0.003–0.01)",
    },
    {
      name: 'lrDecay',
      type: 'number',
      default: 0.02,
      exclusiveMinimum: 0,
      maximum: 1,
      help: 'the step size falls geometrically from --lr to --lr times this over the epochs (1: constant), so that the last steps jitter less',
    },
    {
      name: 'particles',
      type: 'int',
      default: 1,
      minimum: 1,
      help: 'Monte Carlo draws from q per ELBO estimate (per Adam step)',
    },
    {
      name: 'iw',
      type: 'int',
      default: 1,
      minimum: 1,
      help: 'report the importance-weighted bound with this many samples (Burda et al. 2016) as logEvidence (1: the ELBO); with --objective iw, also train on it',
    },
    {
      name: 'objective',
      type: 'enum',
      values: ['elbo', 'iw'],
      default: 'elbo',
      help: "what Adam ascends: the ELBO ('elbo'), or the importance-weighted bound with --iw draws per element, reparameterised ('iw', Burda et al. 2016's IWAE; --particles groups of --iw draws per step)",
    },
    {
      name: 'heldOut',
      type: 'number',
      default: 0,
      minimum: 0,
      exclusiveMaximum: 0.5,
      help: 'hold out this fraction of the outermost plate and stop when its ELBO has not improved for --patience epochs (0: no early stopping)',
    },
    {
      name: 'patience',
      type: 'int',
      default: 10,
      minimum: 1,
      help: 'early stopping: epochs without a better held-out ELBO before stopping',
    },
    {
      name: 'localGuide',
      type: 'enum',
      values: ['amortised', 'free'],
      default: 'amortised',
      help: "latents of the outermost plate: an encoder network from each element's observed values ('amortised'), or free mean and scale per element ('free')",
    },
    {
      name: 'hidden',
      type: 'int',
      default: 0,
      minimum: 0,
      help: "the encoders' hidden width (0: min(400, 2·max(inputs, outputs)))",
    },
    {
      name: 'netInit',
      type: 'enum',
      values: ['glorot', 'torch'],
      default: 'glorot',
      help: "starting weights of nets and encoders: Glorot-uniform with zero biases ('glorot'), or PyTorch's nn.Linear default W, b ~ U(±1/√fan_in) ('torch')",
    },
    {
      name: 'tol',
      type: 'number',
      default: 1e-3,
      minimum: 0,
      help: 'converged: the mean ELBO of the last tenth of the epochs changed by less than this (relative) from the tenth before',
    },
  ],
} as const satisfies EngineInfo;
