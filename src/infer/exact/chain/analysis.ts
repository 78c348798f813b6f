// Which chains the exact engine solves (tensor-free, so `plato engines` answers without tfjs).
// A discrete chain — one Categorical latent z per step, reading only its previous step
// (`z[t] ~ Categorical(t == 0 ? init : A[z[t - 1]])`), with observed children at the same step —
// is a clique tree whose cliques are (z[t-1], z[t]): forward–backward (Rabiner 1989) solves it
// exactly, vectorised over sequences. A linear-Gaussian chain — scalar Normal latents per step,
// each affine in earlier steps and in the ones before it at its own step, observed Normal
// children affine in them, every sd known — is solved by the Kalman filter and RTS smoother on
// a small state (gaussian.ts plans it, gaussian/stateSpace.ts solves it).
// Everything else is refused with a reason at its node.
import type { Reason } from '../../../diagnostics/reason.js';
import type { BoundModel } from '../../../graph/bound.js';
import { type Chain, chains } from '../../../graph/chains.js';
import type { StochasticNode } from '../../../graph/ir.js';
import type { Expr } from '../../../lang/ast.js';
import { reasonAt } from '../../engine.js';
import { type GaussianChainPlan, gaussianChainPlan } from './gaussian.js';

export type { GaussianChainPlan, LinearTerm, StateEntry } from './gaussian.js';

export interface DiscreteChainPlan {
  readonly kind: 'discrete';
  readonly chain: Chain;
  /** the Categorical latent of every step */
  readonly latent: StochasticNode;
  /** the observed nodes that read it (the emissions), same plates as the latent */
  readonly emissions: readonly string[];
  /** the other observed stochastic nodes: their log-likelihood is added to the evidence */
  readonly rest: readonly string[];
}

/** `discrete`: forward–backward; `gaussian`: the Kalman smoother */
export type ChainPlan = DiscreteChainPlan | GaussianChainPlan;

export type ChainAnalysis =
  | { readonly ok: true; readonly plan: ChainPlan }
  | { readonly ok: false; readonly reasons: readonly Reason[] };

const WHAT = 'exact solves a chain of one Categorical latent per step by forward–backward';

/** The forward–backward or Kalman plan of the model's chain, or the reasons it has none. */
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
      `the model has ${cs.length} chain plates; exact solves one chain plate (by forward–backward or the Kalman smoother)`,
    );
  }
  const chain = cs[0]!;
  const stochastic = graph.order
    .map((n) => graph.nodes[n]!)
    .filter((n): n is StochasticNode => n.kind === 'stochastic');
  const latents = stochastic.filter((n) => bound.observation[n.name]?.kind !== 'observed');
  // latent at every step: a node observed in part is an observation with missing entries
  const hidden = latents.filter((n) => bound.observation[n.name]?.kind !== 'partial');
  const inChain = hidden.filter((n) => chain.members.includes(n.name));
  const latent = inChain.find((n) => n.distribution === 'Categorical') ?? inChain[0];
  if (!latent) {
    const partial = latents.find((n) => chain.members.includes(n.name));
    if (partial)
      return fail(
        partial.name,
        `${partial.name} is observed in part and the chain has no other latent node; exact solves a chain whose latents are latent at every step (give all of it or none)`,
      );
    const lag = chain.lags[0]!;
    return fail(lag.node, `the chain over '${chain.plate.index}' has no latent node; ${WHAT}`);
  }
  if (latent.distribution === 'Normal' && inChain.every((n) => n.distribution === 'Normal')) {
    const g = gaussianChainPlan(bound, chain, inChain, hidden);
    return 'reason' in g ? fail(g.node, g.reason, g.at) : { ok: true, plan: g };
  }
  if (latent.distribution !== 'Categorical') {
    return fail(
      latent.name,
      `${latent.name} is ${latent.distribution === 'MvNormal' ? 'an' : 'a'} ${latent.distribution} chain; ${WHAT}, or of scalar Normal latents by the Kalman smoother`,
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
  return { ok: true, plan: { chain, kind: 'discrete', latent, emissions, rest } };
}

/** `t == 0`, `0 == t`, `t < 1` or `t <= 0` for the chain's index t: true exactly at step 0. */
export function isFirstStep(test: Expr, index: string): boolean {
  if (test.kind !== 'binary') return false;
  const isT = (e: Expr) => e.kind === 'name' && e.name === index;
  const lit = (e: Expr, v: number) => e.kind === 'num' && e.value === v;
  const { op, left, right } = test;
  if (op === '==') return (isT(left) && lit(right, 0)) || (lit(left, 0) && isT(right));
  if (op === '<') return isT(left) && lit(right, 1);
  if (op === '<=') return isT(left) && lit(right, 0);
  return false;
}
