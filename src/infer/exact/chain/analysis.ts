// Which chains the exact engine solves (tensor-free, so `plato engines` answers without tfjs).
// A discrete chain — one Categorical latent z per step, reading only its previous step
// (`z[t] ~ Categorical(t == 0 ? init : A[z[t - 1]])`), with observed children at the same step —
// is a clique tree whose cliques are (z[t-1], z[t]): forward–backward (Rabiner 1989) solves it
// exactly, vectorised over sequences. Everything else is refused with a reason at its node.
import type { Reason } from '../../../diagnostics/reason.js';
import type { BoundModel } from '../../../graph/bound.js';
import { type Chain, chains } from '../../../graph/chains.js';
import type { StochasticNode } from '../../../graph/ir.js';
import { reasonAt } from '../../engine.js';

export interface ChainPlan {
  readonly chain: Chain;
  /** the Categorical latent of every step */
  readonly latent: StochasticNode;
  /** the observed nodes that read it (the emissions), same plates as the latent */
  readonly emissions: readonly string[];
  /** the other observed stochastic nodes: their log-likelihood is added to the evidence */
  readonly rest: readonly string[];
}

export type ChainAnalysis =
  | { readonly ok: true; readonly plan: ChainPlan }
  | { readonly ok: false; readonly reasons: readonly Reason[] };

const WHAT = 'exact solves a chain of one Categorical latent per step by forward–backward';

/** The forward–backward plan of the model's chain, or the reasons it has none. */
export function analyseChain(bound: BoundModel): ChainAnalysis {
  const { graph } = bound;
  const cs = chains(graph);
  const fail = (node: string, message: string, at?: Reason): ChainAnalysis => ({
    ok: false,
    reasons: [at ? { ...at, message } : reasonAt(bound, node, message)],
  });
  if (cs.length !== 1) {
    return fail(
      cs[1]!.lags[0]!.node,
      `the model has ${cs.length} chain plates; ${WHAT}, in one plate`,
    );
  }
  const chain = cs[0]!;
  const stochastic = graph.order
    .map((n) => graph.nodes[n]!)
    .filter((n): n is StochasticNode => n.kind === 'stochastic');
  const latents = stochastic.filter((n) => bound.observation[n.name]?.kind !== 'observed');
  const latent = latents.find((n) => chain.members.includes(n.name));
  if (!latent) {
    const lag = chain.lags[0]!;
    return fail(lag.node, `the chain over '${chain.plate.index}' has no latent node; ${WHAT}`);
  }
  if (bound.observation[latent.name]?.kind === 'partial') {
    return fail(
      latent.name,
      `${latent.name} is observed in part; ${WHAT}, latent at every step (give all of it or none)`,
    );
  }
  if (latent.distribution !== 'Categorical') {
    const continuous = latent.distribution === 'Normal' || latent.distribution === 'MvNormal';
    return fail(
      latent.name,
      continuous
        ? `${latent.name} is a ${latent.distribution} chain (a state-space model); ${WHAT}, and has no Kalman smoother for it yet`
        : `${latent.name} is a ${latent.distribution} chain; ${WHAT}`,
    );
  }
  const other = latents.find((n) => n !== latent);
  if (other) {
    return fail(
      other.name,
      `${other.name} is latent besides the chain's ${latent.name}; ${WHAT} and every other stochastic node observed`,
    );
  }
  for (const lag of chain.lags) {
    const readsLatent = lag.reads === latent.name;
    if (!readsLatent) continue; // a read of an observed node's earlier step is data
    const where = {
      node: lag.node,
      line: lag.range.start.line,
      column: lag.range.start.column,
      message: '',
    };
    if (lag.node !== latent.name) {
      return fail(
        lag.node,
        `${lag.node} reads ${latent.name} at an earlier step; forward–backward needs the steps linked only through ${latent.name}'s own transition`,
        where,
      );
    }
    if (lag.k !== 1) {
      return fail(
        lag.node,
        `${latent.name} reads itself ${lag.k} steps back; forward–backward handles first-order chains (t - 1)`,
        where,
      );
    }
  }
  const emissions: string[] = [];
  const rest: string[] = [];
  for (const n of graph.order) {
    const node = graph.nodes[n]!;
    if (n === latent.name || !node.parents.includes(latent.name)) {
      if (node.kind === 'stochastic' && n !== latent.name) rest.push(n);
      continue;
    }
    if (node.kind !== 'stochastic') {
      return fail(
        n,
        `${n} is a deterministic function of ${latent.name}; forward–backward reads ${latent.name} only in observed nodes`,
      );
    }
    if (node.plates.join() !== latent.plates.join()) {
      return fail(
        n,
        `${n} reads ${latent.name} but is not in the same plates; forward–backward needs one emission per step`,
      );
    }
    emissions.push(n);
  }
  return { ok: true, plan: { chain, latent, emissions, rest } };
}
