// Engine-neutral refusals of truncated nodes (`x ~ Normal(0, 1) T[0, ]`): a truncated density
// is no exponential family with the parent's conjugate statistics (its normaliser
// log(F(hi) - F(lo)) depends on the arguments), so the engines built on closed forms and
// conjugate updates (exact, em, cavi) refuse the node, each in its own words, and the sample
// engine handles it. Tensor-free.
import type { Reason } from '../diagnostics/reason.js';
import type { BoundModel } from '../graph/bound.js';
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
