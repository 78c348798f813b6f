// Which chains the exact engine solves (tensor-free, so `plato engines` answers without tfjs).
// A discrete chain — one Categorical latent z per step, reading only its previous step
// (`z[t] ~ Categorical(t == 0 ? init : A[z[t - 1]])`), with observed children at the same step —
// is a clique tree whose cliques are (z[t-1], z[t]): forward–backward (Rabiner 1989) solves it
// exactly, vectorised over sequences. A linear-Gaussian chain — one scalar Normal latent x per
// step, `x[t] ~ Normal(t == 0 ? m0 : a * x[t - 1] + b, q)`, observed Normal children affine in
// x[t] with known sds — is solved by the Kalman filter and RTS smoother (gaussian/kalman.ts).
// Everything else is refused with a reason at its node.
import type { Reason } from '../../../diagnostics/reason.js';
import type { BoundModel } from '../../../graph/bound.js';
import { type Chain, chains } from '../../../graph/chains.js';
import type { StochasticNode } from '../../../graph/ir.js';
import { affine, isKnownExpr, type LinearityScope } from '../../../graph/linearity.js';
import type { Expr } from '../../../lang/ast.js';
import { reasonAt } from '../../engine.js';

export interface ChainPlan {
  readonly chain: Chain;
  /** `discrete`: forward–backward; `gaussian`: the Kalman smoother */
  readonly kind: 'discrete' | 'gaussian';
  /** the Categorical (or Normal) latent of every step */
  readonly latent: StochasticNode;
  /** a Gaussian chain's coefficients as expressions (linear parts evaluated at x = 1) */
  readonly gaussian?: GaussianChainPlan;
  /** the observed nodes that read it (the emissions), same plates as the latent */
  readonly emissions: readonly string[];
  /** the other observed stochastic nodes: their log-likelihood is added to the evidence */
  readonly rest: readonly string[];
}

export interface GaussianChainPlan {
  /** the mean at step 0 */
  readonly first: Expr;
  /** the mean at later steps, and its part linear in x[t - 1] */
  readonly later: Expr;
  readonly laterLinear: Expr;
  /** the transition's sd */
  readonly sd: Expr;
  /** per emission: its mean, the part linear in x[t], its sd */
  readonly emissions: readonly {
    readonly node: string;
    readonly mean: Expr;
    readonly linear: Expr;
    readonly sd: Expr;
  }[];
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
  if (latent.distribution !== 'Categorical' && latent.distribution !== 'Normal') {
    return fail(
      latent.name,
      latent.distribution === 'MvNormal'
        ? `${latent.name} is an MvNormal chain; ${WHAT}, or of one scalar Normal per step by the Kalman smoother`
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
  if (latent.distribution === 'Normal') {
    const g = gaussianPlan(bound, chain, latent, emissions);
    return 'reason' in g
      ? fail(g.node, g.reason)
      : { ok: true, plan: { chain, kind: 'gaussian', latent, emissions, rest, gaussian: g } };
  }
  return { ok: true, plan: { chain, kind: 'discrete', latent, emissions, rest } };
}

const KALMAN = 'exact solves a Normal chain by the Kalman smoother';

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

/**
 * The linear-Gaussian form of a Normal chain: `x[t] ~ Normal(t == 0 ? m0 : a * x[t - 1] + b, q)`
 * with m0 and q known, and every emission `y ~ Normal(c * x[…] + d, r)` observed, scalar, with r
 * known.
 */
function gaussianPlan(
  bound: BoundModel,
  chain: Chain,
  x: StochasticNode,
  emissions: readonly string[],
): GaussianChainPlan | { node: string; reason: string } {
  const { graph } = bound;
  const isKnown = (name: string): boolean => {
    const node = graph.nodes[name];
    if (!node) return true;
    if (node.kind === 'stochastic') return bound.observation[name]?.kind === 'observed';
    if (node.kind === 'param') return bound.values[name] !== undefined;
    if (node.kind === 'deterministic') return node.parents.every(isKnown);
    return node.kind !== 'net';
  };
  const scope = (plates: readonly string[]): LinearityScope => ({
    graph,
    latents: new Set([x.name]),
    isKnown,
    plates,
  });
  const refuse = (node: string, why: string) => ({ node, reason: `${why}; ${KALMAN}` });
  if ((bound.shapes[x.name]?.event.length ?? 0) > 0)
    return refuse(x.name, `${x.name} is a vector per step`);
  const mu = x.args.mu!;
  const sd = x.args.sigma!;
  const sc = scope(x.plates);
  if (!isKnownExpr(sd, sc)) return refuse(x.name, `the sd of ${x.name} depends on a latent value`);
  if (
    mu.kind !== 'cond' ||
    !isFirstStep(mu.test, chain.plate.index) ||
    !isKnownExpr(mu.whenTrue, sc)
  )
    return refuse(
      x.name,
      `the mean of ${x.name} is not of the form '${chain.plate.index} == 0 ? m0 : a * ${x.name}[…, ${chain.plate.index} - 1] + b' with m0 known`,
    );
  const later = affine(mu.whenFalse, sc);
  if (!later.ok)
    return refuse(x.name, `the transition of ${x.name} is not linear: ${later.message}`);
  const out: GaussianChainPlan['emissions'][number][] = [];
  for (const e of emissions) {
    const node = graph.nodes[e] as StochasticNode;
    if (node.distribution !== 'Normal')
      return refuse(e, `${e} is a ${node.distribution} reading ${x.name}, not a Normal`);
    if (bound.observation[e]?.kind === 'latent')
      return refuse(e, `${e} reads ${x.name} and is not observed`);
    if ((bound.shapes[e]?.event.length ?? 0) > 0) return refuse(e, `${e} is a vector per step`);
    const es = scope(node.plates);
    if (!isKnownExpr(node.args.sigma!, es)) return refuse(e, `the sd of ${e} depends on ${x.name}`);
    const lin = affine(node.args.mu!, es);
    if (!lin.ok) return refuse(e, `the mean of ${e} is not linear in ${x.name}: ${lin.message}`);
    out.push({
      node: e,
      mean: node.args.mu!,
      linear: lin.known ? { kind: 'num', value: 0, isInt: true, range: node.range } : lin.linear,
      sd: node.args.sigma!,
    });
  }
  return {
    first: mu.whenTrue,
    later: mu.whenFalse,
    laterLinear: later.known
      ? { kind: 'num', value: 0, isInt: true, range: mu.range }
      : later.linear,
    sd,
    emissions: out,
  };
}
