// Which chains em learns by Baum–Welch (Baum et al. 1970; Rabiner 1989 §III.C), tensor-free: the
// exact engine's discrete chain (exact/chain/analysis.ts) whose transition is read from tables,
//   z[…, t] ~ Categorical(t == 0 ? init : A[z[…, t - 1]])
// and whose emissions are `Normal(mu[z[…]], sigma)` (sigma one number, or `sigma[z[…]]`) or
// `Categorical(B[z[…]])`; the learned params are among init, A and the emissions' tables. The
// E-step is forward–backward with the expected transition counts; every M-step is closed-form.
import type { Reason } from '../../../diagnostics/reason.js';
import type { BoundModel } from '../../../graph/bound.js';
import type { StochasticNode } from '../../../graph/ir.js';
import type { Expr } from '../../../lang/ast.js';
import { reasonAt } from '../../engine.js';
import { analyseChain, type DiscreteChainPlan, isFirstStep } from '../../exact/chain/analysis.js';
import { learnables } from '../../registry.js';

export type BaumWelchEmission =
  | {
      readonly node: string;
      readonly family: 'Normal';
      readonly mu: string;
      readonly sigma: string;
      /** `sigma[z[…]]`: one sd per state */
      readonly perState: boolean;
    }
  | { readonly node: string; readonly family: 'Categorical'; readonly table: string };

export interface BaumWelchPlan {
  readonly kind: 'baum-welch';
  readonly learn: readonly string[];
  readonly chain: DiscreteChainPlan;
  /** the names of the initial distribution and the transition matrix */
  readonly init: string;
  readonly A: string;
  readonly emissions: readonly BaumWelchEmission[];
}

export function isBaumWelch(plan: object): plan is BaumWelchPlan {
  return (plan as { kind?: string }).kind === 'baum-welch';
}

const WHAT = 'em learns a chain by Baum–Welch';

/** A bare name. */
const nameOf = (e: Expr | undefined): string | undefined =>
  e?.kind === 'name' ? e.name : undefined;

/** `X[z[…]]` with z read at its own element (plain indices): X's name. */
function tableOf(e: Expr | undefined, z: string, lagged: boolean): string | undefined {
  if (e?.kind !== 'index' || e.target.kind !== 'name' || e.indices.length !== 1) return undefined;
  const at = e.indices[0]!;
  if (at.kind !== 'at' || at.expr.kind !== 'index' || nameOf(at.expr.target) !== z)
    return undefined;
  const plain = at.expr.indices.every((i) => i.kind === 'at' && i.expr.kind === 'name');
  return lagged !== plain ? e.target.name : undefined;
}

/** The Baum–Welch plan of a model with a chain, or the reasons em cannot learn it. */
export function planBaumWelch(
  bound: BoundModel,
): { ok: true; plan: BaumWelchPlan } | { ok: false; reasons: Reason[] } {
  const a = analyseChain(bound);
  if (!a.ok) return { ok: false, reasons: [...a.reasons] };
  const chain = a.plan;
  const z = chain.latent;
  const fail = (node: string, why: string) => ({
    ok: false as const,
    reasons: [reasonAt(bound, node, `${why}; ${WHAT}`)],
  });
  if (chain.kind !== 'discrete') return fail(z.name, `${z.name} is a Normal chain`);
  const p = z.args.p;
  const init = p?.kind === 'cond' ? nameOf(p.whenTrue) : undefined;
  const A = p?.kind === 'cond' ? tableOf(p.whenFalse, z.name, true) : undefined;
  if (p?.kind !== 'cond' || !isFirstStep(p.test, chain.chain.plate.index) || !init || !A)
    return fail(
      z.name,
      `${z.name} is not 'Categorical(${chain.chain.plate.index} == 0 ? init : A[${z.name}[…, ${chain.chain.plate.index} - 1]])' with init and A named`,
    );
  const emissions: BaumWelchEmission[] = [];
  for (const e of chain.emissions) {
    const node = bound.graph.nodes[e] as StochasticNode;
    if (bound.observation[e]?.kind !== 'observed')
      return fail(e, `${e} is not observed at every step`);
    if (node.distribution === 'Normal') {
      const mu = tableOf(node.args.mu, z.name, false);
      const sigma = nameOf(node.args.sigma) ?? tableOf(node.args.sigma, z.name, false);
      if (!mu || !sigma)
        return fail(e, `${e} is not 'Normal(mu[${z.name}[…]], sigma)' (or sigma[${z.name}[…]])`);
      emissions.push({
        node: e,
        family: 'Normal',
        mu,
        sigma,
        perState: node.args.sigma?.kind === 'index',
      });
    } else if (node.distribution === 'Categorical' && (bound.shapes[e]?.event.length ?? 0) === 0) {
      const table = tableOf(node.args.p, z.name, false);
      if (!table) return fail(e, `${e} is not 'Categorical(B[${z.name}[…]])'`);
      emissions.push({ node: e, family: 'Categorical', table });
    } else return fail(e, `${e} is a ${node.distribution} emission (Normal or Categorical)`);
  }
  const learn = learnables(bound);
  const learnable = new Set<string>([init, A]);
  for (const e of emissions) {
    if (e.family === 'Normal') {
      learnable.add(e.mu).add(e.sigma);
      if (learn.includes(e.sigma) && !learn.includes(e.mu))
        return fail(e.node, `${e.sigma} is learned but ${e.mu} is not (learn both or neither)`);
    } else learnable.add(e.table);
  }
  const other = learn.find((n) => !learnable.has(n));
  if (other)
    return fail(
      other,
      `${other} is neither the chain's initial distribution, its transition matrix nor an emission's mean, sd or table`,
    );
  for (const n of learn) {
    const node = bound.graph.nodes[n];
    if (node?.kind === 'net') return fail(n, `${n} is a net`);
  }
  return { ok: true, plan: { kind: 'baum-welch', learn, chain, init, A, emissions } };
}
