// Posterior predictive draws from a saved fit (`plato sample --load fit.json --posterior`):
// each latent the fit reports is drawn from its reported posterior (its `family` and that
// family's parameters, DESIGN §5), and every other node — the observed ones included — from the
// model given those draws:
//   z^(s) ~ q(z)   (the fit's posterior, node by node),   x_rep^(s) ~ p(x | z^(s), θ̂),
// the replicated data of a posterior predictive check (Gelman et al., BDA3 §6.3), and for a VAE
// the reconstructions of its data: z from the encoder's q(z | x_i), x from the decoder.
// Latents are drawn independently of one another: exact for the factorised posteriors of
// cavi and avi (mean-field), while the correlations between nodes an exact posterior has (a
// Normal–Gamma's mean and precision) are lost; within a node (an MvNormal) they are kept.
import * as tf from '@tensorflow/tfjs';
import { PlatoError, warning } from '../../diagnostics/diagnostics.js';
import { makeDistribution } from '../../distributions/index.js';
import type { Rng } from '../../distributions/rng.js';
import { isDistName } from '../../distributions/signatures.js';
import type { BoundModel } from '../../graph/bound.js';
import type { InitialContext } from '../initial.js';
import type { SavedLatents } from '../options.js';

const showShape = (s: readonly number[]) => `[${s.join(', ')}]`;

function error(message: string, file?: string): PlatoError {
  return new PlatoError([{ kind: 'data', severity: 'error', message, file }]);
}

/**
 * The saved posteriors of the model's stochastic nodes; other names are a warning (and
 * dropped), a family the sampler does not know is an error naming the node.
 */
export function checkPosterior(
  bound: BoundModel,
  latents: SavedLatents,
  context: InitialContext = {},
): SavedLatents {
  const out: Record<string, SavedLatents[string]> = {};
  for (const [name, q] of Object.entries(latents)) {
    const node = bound.graph.nodes[name];
    if (node?.kind !== 'stochastic') {
      const what = node ? `${name} is a ${node.kind} node` : `the model has no node ${name}`;
      context.onWarning?.({
        ...warning('data', `the posterior of ${name} is ignored: ${what}`),
        file: context.file,
      });
      continue;
    }
    if (!isDistName(q.family))
      throw error(
        `the posterior of ${name} is a ${q.family}, which the sampler cannot draw`,
        context.file,
      );
    out[name] = q;
  }
  return out;
}

/**
 * n draws [n, ...full shape] of a node from its saved posterior. The family's parameters must
 * make the node's full shape (batch then event): a PlatoError names both shapes otherwise.
 */
export function drawPosterior(
  bound: BoundModel,
  name: string,
  q: SavedLatents[string],
  n: number,
  rng: Rng,
  file?: string,
): tf.Tensor {
  const s = bound.shapes[name];
  const full = [...s.batch, ...s.event];
  if (!isDistName(q.family)) throw error(`the posterior of ${name} is a ${q.family}`, file);
  const family = q.family;
  const args: Record<string, tf.Tensor> = {};
  try {
    for (const [arg, v] of Object.entries(q.params))
      args[arg] = tf.tensor(Float32Array.from(v.data), [...v.shape]);
    let dist: ReturnType<typeof makeDistribution>;
    try {
      dist = makeDistribution(family, args);
    } catch (e) {
      throw error(
        `the posterior of ${name}: ${family} with params ${Object.keys(q.params).join(', ')}: ${e instanceof Error ? e.message : String(e)}`,
        file,
      );
    }
    try {
      const got = [...dist.batchShape, ...dist.eventShape];
      if (got.length !== full.length || got.some((d, i) => d !== full[i]))
        throw error(
          `the posterior of ${name} has shape ${showShape(got)}; the model's ${name} has shape ${showShape(full)} (was the fit run on data of other sizes?)`,
          file,
        );
      return tf.tidy(() => tf.cast(dist.sample([n], rng), 'float32'));
    } finally {
      dist.dispose?.();
    }
  } finally {
    tf.dispose(Object.values(args));
  }
}
