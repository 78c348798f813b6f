// Engine-neutral refusals of truncated nodes (`x ~ Normal(0, 1) T[0, ]`): a truncated density
// is no exponential family with the parent's conjugate statistics (its normaliser
// log(F(hi) - F(lo)) depends on the arguments), so the engines built on closed forms and
// conjugate updates (exact, em, cavi) refuse the node, each in its own words, and the sample
// engine handles it. Tensor-free.
import type { Reason } from '../diagnostics/reason.js';
import type { BoundModel } from '../graph/bound.js';
import { mentions } from '../graph/build.js';
import { latentDependent } from '../graph/fixedArgs.js';
import { truncationText } from '../graph/print.js';
import { reasonAt } from './engine.js';

/** One reason per truncated stochastic node: "`name` is a truncated Family (T[…]): `why`", at the node. */
export function truncatedReasons(bound: BoundModel, why: string): Reason[] {
  const out: Reason[] = [];
  for (const name of bound.graph.order) {
    const n = bound.graph.nodes[name];
    if (n?.kind !== 'stochastic' || !n.truncation) continue;
    out.push(
      reasonAt(
        bound,
        name,
        `${name} is a truncated ${n.distribution} (${truncationText(n)}): ${why}; of the engines, sample and avi support truncation`,
      ),
    );
  }
  return out;
}

/**
 * The observed truncated nodes whose bounds read a latent node (`y ~ Normal(mu, 1) T[mu - 1, ]`):
 * binding cannot check their values against the bounds, so a draw of the latents that puts an
 * observation outside gives it probability zero and the log joint -Infinity. An engine whose log
 * evidence or ELBO comes out -Infinity names them, as the likely cause: "y (T[mu - 1, ] reads mu)".
 */
export function latentBoundNodes(bound: BoundModel): string[] {
  const moving = latentDependent(bound);
  const out: string[] = [];
  for (const name of bound.graph.order) {
    const n = bound.graph.nodes[name];
    if (n?.kind !== 'stochastic' || !n.truncation) continue;
    if (bound.observation[name]?.kind === 'latent') continue;
    const reads = [n.truncation.lower, n.truncation.upper]
      .flatMap((e) => mentions(e, new Set(n.indices)))
      .find((m) => moving.has(m.name));
    if (reads) out.push(`${name} (${truncationText(n)} reads ${reads.name})`);
  }
  return out;
}

/**
 * The words an engine adds to a log evidence (or ELBO) of -Infinity when observed truncated
 * nodes have latent bounds ('' when none): the observations then have probability zero under
 * some draws, which is no numerical accident to be fixed by a smaller step.
 */
export function zeroProbabilityNote(bound: BoundModel): string {
  const nodes = latentBoundNodes(bound);
  if (nodes.length === 0) return '';
  return `: an observed value outside its truncation bounds has probability zero, and the bounds of ${nodes.join(', ')} depend on latent nodes, so binding could not check them; check that every observation lies within its bounds for plausible values of those latents`;
}
