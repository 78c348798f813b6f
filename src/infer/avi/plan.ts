// What avi does with a bound model, decided without tensors (plato engines reads it): the
// latents and their bijectors, which latents are local to the outermost plate and which of
// those an encoder network can amortise, the params to learn, and the refusals (Reasons at
// nodes). A latent is any stochastic node the data does not hold.
//
// Local latents: a latent whose only plate is the outermost plate holding observed data
// (`plate i in N { z[i] ~ …; x[i] ~ …(z[i]) }`) is amortised by an encoder from element i's
// observed values: the observed stochastic nodes reached from z through deterministic nodes
// whose plates start with that plate and have no ragged axis (flattened, concatenated). Latents
// in nested plates, or with nothing observed to encode, get free mean and scale per element.
import type { Reason } from '../../diagnostics/reason.js';
import { DISTRIBUTIONS } from '../../distributions/signatures.js';
import type { BoundModel } from '../../graph/bound.js';
import { mentions } from '../../graph/build.js';
import { chainOf } from '../../graph/chains.js';
import { truncationText } from '../../graph/print.js';
import { descendants } from '../../graph/query.js';
import { concreteShape, inferShapes, type ShapeAnalysis } from '../../graph/shapes.js';
import type { Expr } from '../../lang/ast.js';
import { subExprs } from '../../lang/walk.js';
import { prod } from '../../util/shape.js';
import { chainReasons } from '../chains.js';
import { reasonAt } from '../engine.js';
import { type Transform, transformOf } from '../learn/transform.js';
import { learnables } from '../registry.js';
import { type GuideFamily, type GuidePlan, guideBound, planGuide } from './guideBlock.js';

/**
 * The supports avi reparameterises, each with its bijector (bijectors.ts). `lower-bounded` and
 * `upper-bounded` are [lo, ∞) and (-∞, hi]: a truncated latent (`T[lo, ]`) on the real line;
 * a truncated latent takes `interval` when both ends are finite (its bounds, or its family's).
 */
export type AviSupport =
  | 'real'
  | 'positive'
  | 'unit-interval'
  | 'interval'
  | 'lower-bounded'
  | 'upper-bounded'
  | 'simplex';

export interface AviLatent {
  readonly name: string;
  readonly support: AviSupport;
  /** the node's batch and event shapes */
  readonly batch: readonly number[];
  readonly event: readonly number[];
  /** the event on the unconstrained space (a simplex of K entries has K − 1 coordinates) */
  readonly uevent: readonly number[];
  /** inside the outermost plate (its first batch axis is that plate) */
  readonly local: boolean;
  /** the observed nodes an encoder reads (empty: free mean and scale per element) */
  readonly inputs: readonly string[];
  /** the number of values per element the encoder reads */
  readonly inDim: number;
  /** drawn from the guide block's family (guideBlock.ts) instead of the default guide */
  readonly guided?: GuideFamily;
}

/**
 * A discrete latent summed out of the ELBO exactly: local to the outermost plate (one value per
 * element), Bernoulli or Categorical. Every plate element's terms are evaluated at each joint
 * state of these latents and combined by log-sum-exp (model.ts).
 */
export interface AviDiscrete {
  readonly name: string;
  readonly family: 'Bernoulli' | 'Categorical';
}

/**
 * A global discrete latent (outside the outermost plate holding the data) summed out of the ELBO
 * jointly with the other global ones: q over them is one Categorical over their joint states
 * (free logits, guide.{…}.logits: the exact posterior family for a few discrete latents), and
 * the ELBO's expectation over them is an exact sum, weighted by q, of the rest of the ELBO with
 * the globals clamped to each joint state (model.ts).
 */
export interface AviGlobalDiscrete {
  readonly name: string;
  readonly family: 'Bernoulli' | 'Categorical';
  /** each value's number of states */
  readonly states: number;
  /** the node's batch shape (its values, each with `states` states, enter the joint states) */
  readonly batch: readonly number[];
}

/**
 * A discrete latent whose ELBO gradient is the score-function estimator (score.ts): drawn from a
 * q of its own family (Bernoulli logit, Categorical logits, Poisson log-rate), without
 * reparameterisation. Local ones (one value per element of the outermost plate, nothing outside
 * the plate depending on them) are amortised like the continuous latents; global ones have free
 * parameters.
 */
export interface AviScored {
  readonly name: string;
  readonly family: 'Bernoulli' | 'Categorical' | 'Poisson';
  /** a Categorical's number of states (Bernoulli: 2; Poisson: 0, unbounded) */
  readonly states: number;
  /** the node's batch shape (a local latent's first axis is the plate's) */
  readonly batch: readonly number[];
  readonly local: boolean;
  /** the observed nodes its encoder reads (empty: free parameters) */
  readonly inputs: readonly string[];
  readonly inDim: number;
  /** why it is not summed out (plato engines says so) */
  readonly why: string;
}

/** The name of q's logits over the global summed-out latents' joint states, [J]. */
export const globalLogitsName = (plan: Pick<AviPlan, 'globalEnumerated'>): string =>
  `guide.{${plan.globalEnumerated.map((d) => d.name).join(',')}}.logits`;

/**
 * Each global summed-out latent's values at every joint state, [J, ...batch] flattened: joint
 * state s is row-major over the latents in order and their values in order (the last fastest).
 */
export function globalStateValues(gl: readonly AviGlobalDiscrete[], J: number): Float32Array[] {
  const sizes = gl.map((d) => prod(d.batch));
  const rows = sizes.map((n) => new Float32Array(J * n));
  for (let s = 0; s < J; s++) {
    let r = s;
    for (let k = gl.length - 1; k >= 0; k--)
      for (let e = sizes[k] - 1; e >= 0; e--) {
        rows[k][s * sizes[k] + e] = r % gl[k].states;
        r = Math.floor(r / gl[k].states);
      }
  }
  return rows;
}

/** How discrete latents enter the ELBO: `auto` sums out those with few states, scores the rest. */
export type DiscreteMode = 'auto' | 'enumerate' | 'score';

export interface AviParam {
  readonly name: string;
  readonly transform: Transform;
  readonly shape: readonly number[];
}

export interface AviPlan {
  readonly latents: readonly AviLatent[];
  /** the discrete latents summed out (enumerated) per element */
  readonly enumerated: readonly AviDiscrete[];
  /** the global discrete latents summed out jointly (q: a Categorical over their joint states) */
  readonly globalEnumerated: readonly AviGlobalDiscrete[];
  /** their number of joint states (1: none) */
  readonly globalStates: number;
  /** the discrete latents with a score-function gradient (score.ts) */
  readonly scored: readonly AviScored[];
  readonly params: readonly AviParam[];
  /** the nets of the model, in graph order */
  readonly nets: readonly string[];
  /** the outermost plate holding observed data (its id), if there is exactly one */
  readonly plate?: string;
  /** its size */
  readonly N: number;
  /**
   * Data outside the plate read row by row inside it (`X[i]` with `data X: real[N, P]`): a
   * minibatch gathers their rows like the plate's own values
   */
  readonly rowData: readonly string[];
  /** why minibatches (or held-out elements) cannot be bound, if they cannot */
  readonly noMinibatch?: string;
  /** the guide block, if the file has one: its params (named `guide.NAME`) and nets */
  readonly guide?: GuidePlan & { readonly learned: readonly AviParam[] };
}

export type AviPlanResult =
  | { readonly ok: true; readonly plan: AviPlan }
  | { readonly ok: false; readonly reasons: readonly Reason[] };

/**
 * The most joint states of the summed-out discrete latents per element: the global ones' joint
 * states times the local ones' per element.
 */
export const MAX_STATES = 256;

const raggedNode = (bound: BoundModel, n: string) =>
  (bound.axes[n] ?? []).some((a) => a.plates.length > 1);

/** What an encoder of the local latent `name` reads: its observed descendants in the plate. */
function localInputs(bound: BoundModel, name: string, plate: string): string[] {
  const g = bound.graph;
  if (g.nodes[name].plates.length !== 1 || raggedNode(bound, name)) return [];
  return observedDescendants(bound, name).filter(
    (c) => g.nodes[c].plates[0] === plate && !raggedNode(bound, c),
  );
}

/** The number of values per element those inputs hold. */
function inDimOf(bound: BoundModel, inputs: readonly string[], N: number): number {
  return inputs.reduce((a, c) => {
    const cs = bound.shapes[c];
    return a + prod([...cs.batch, ...cs.event]) / N;
  }, 0);
}

/** The top-level plate holding the observed data, when exactly one does. */
function outerPlate(bound: BoundModel): string | undefined {
  const g = bound.graph;
  const holding = new Set<string>();
  for (const [name, o] of Object.entries(bound.observation)) {
    const p = g.nodes[name].plates[0];
    if (o.kind !== 'latent' && p !== undefined && g.plates[p].parent === undefined) holding.add(p);
  }
  return holding.size === 1 ? [...holding][0] : undefined;
}

/** The observed stochastic nodes reached from `name` through deterministic nodes. */
function observedDescendants(bound: BoundModel, name: string): string[] {
  const g = bound.graph;
  const out: string[] = [];
  const seen = new Set<string>([name]);
  const stack = [name];
  while (stack.length > 0) {
    const n = stack.pop() as string;
    for (const c of g.order) {
      const node = g.nodes[c];
      if (seen.has(c) || !('parents' in node) || !node.parents.includes(n)) continue;
      seen.add(c);
      if (node.kind === 'deterministic') stack.push(c);
      else if (node.kind === 'stochastic' && bound.observation[c]?.kind === 'observed') out.push(c);
    }
  }
  return out.sort((a, b) => g.order.indexOf(a) - g.order.indexOf(b));
}

/**
 * Every expression of the model's definitions (arguments, deterministic values), with its node,
 * and the arguments of the guide block's latents (under the model latent's name: same plates).
 */
function definitions(bound: BoundModel, guide?: GuidePlan): { node: string; expr: Expr }[] {
  const out: { node: string; expr: Expr }[] = [];
  for (const name of guide?.latents.keys() ?? []) {
    const n = bound.graph.guide?.nodes[name];
    if (n?.kind === 'stochastic')
      for (const e of Object.values(n.args)) out.push({ node: name, expr: e });
  }
  for (const name of bound.graph.order) {
    const n = bound.graph.nodes[name];
    if (n.kind === 'stochastic')
      for (const e of Object.values(n.args)) out.push({ node: name, expr: e });
    if (n.kind === 'deterministic') out.push({ node: name, expr: n.value });
  }
  return out;
}

/**
 * Data and hypers outside `plate` mentioned inside it: those read only as `X[i, …]` (i the
 * plate's index, inside the plate) are row data; any other reading of an array with N rows
 * means a minibatch cannot be bound by gathering rows.
 */
function rowDataOf(
  bound: BoundModel,
  plate: string,
  N: number,
  guide?: GuidePlan,
): { rows: string[]; why?: string } {
  const g = bound.graph;
  const index = g.plates[plate].index;
  const rows = new Set<string>();
  let why: string | undefined;
  const outside = (n: string) => {
    const k = g.nodes[n]?.kind;
    return (
      (k === 'data' || k === 'hyper') &&
      g.nodes[n].plates[0] !== plate &&
      bound.shapes[n]?.event[0] === N
    );
  };
  const visit = (e: Expr, inside: boolean, owner: string) => {
    if (e.kind === 'index' && e.target.kind === 'name' && outside(e.target.name)) {
      const first = e.indices[0];
      if (
        inside &&
        first?.kind === 'at' &&
        first.expr.kind === 'name' &&
        first.expr.name === index
      ) {
        rows.add(e.target.name);
        for (const i of e.indices.slice(1))
          for (const x of i.kind === 'at' ? [i.expr] : [i.lo, i.hi]) if (x) visit(x, inside, owner);
        return;
      }
    }
    if (e.kind === 'name' && outside(e.name))
      why ??= `${owner} reads ${e.name} (${N} rows) other than row by row as ${e.name}[${index}, …]`;
    for (const c of subExprs(e)) visit(c, inside, owner);
  };
  for (const { node, expr } of definitions(bound, guide))
    visit(expr, g.nodes[node].plates[0] === plate, node);
  return { rows: why ? [] : [...rows], why };
}

/** The support of a latent avi can reparameterise, or why not. */
function supportOf(bound: BoundModel, name: string): AviSupport | string {
  const node = bound.graph.nodes[name];
  if (node.kind !== 'stochastic') return `${name} is not a stochastic node`;
  const sig = DISTRIBUTIONS[node.distribution];
  const t = node.truncation;
  if (t) {
    // the truncation's bounds enter the bijector: they must not move with the draws
    const moving = [t.lower, t.upper, node.args.lo, node.args.hi]
      .flatMap((e) => mentions(e, new Set(node.indices)))
      .find((m) => {
        const k = bound.graph.nodes[m.name]?.kind;
        return k === 'stochastic' || k === 'deterministic';
      });
    if (moving) {
      return `the truncation bounds of ${name} ~ ${node.distribution}(…) ${truncationText(node)} depend on ${moving.name}; avi needs fixed bounds to map the real line onto them`;
    }
    // each end is the truncation's, else the family's own
    const famLo = sig.support !== 'real';
    const famHi = sig.support === 'unit-interval' || sig.support === 'interval';
    const lo = !!t.lower || famLo;
    const hi = !!t.upper || famHi;
    if (lo && hi) return 'interval';
    return lo ? 'lower-bounded' : 'upper-bounded';
  }
  switch (sig.support) {
    case 'real':
    case 'positive':
    case 'unit-interval':
    case 'simplex':
      return sig.support;
    case 'interval': {
      // the bounds enter the bijector: they must not move with the draws
      const moving = [node.args.lo, node.args.hi]
        .flatMap((e) => mentions(e, new Set(node.indices)))
        .find((m) => {
          const k = bound.graph.nodes[m.name]?.kind;
          return k === 'stochastic' || k === 'deterministic';
        });
      return moving
        ? `the bounds of ${name} ~ ${node.distribution}(…) depend on ${moving.name}; avi needs fixed bounds to map the real line onto them`
        : 'interval';
    }
    default:
      return `${name} is a discrete latent (${node.distribution}); avi reparameterises continuous latents only and does not sum out discrete ones yet`;
  }
}

/**
 * Can the discrete latent `name` be summed out per element of the outermost plate? Exact
 * enumeration rather than a variational q over its states (with a score-function gradient):
 * summing a local discrete latent out of p gives the ELBO of the best q(c_i | z_i, x_i) there
 * is, p(c_i | z_i, x_i), with no gradient variance, at the cost of one evaluation of the
 * element's terms per state. It needs the latent's states to be few and local: one value per
 * element, and no node outside the plate depending on it. Else: why not.
 */
function enumerable(
  bound: BoundModel,
  name: string,
  plate: string | undefined,
): AviDiscrete | string {
  const g = bound.graph;
  const node = g.nodes[name];
  if (node.kind !== 'stochastic') return `${name} is not a stochastic node`;
  const family = node.distribution;
  if (family !== 'Bernoulli' && family !== 'Categorical') return 'of an unsupported family';
  if (plate === undefined || node.plates[0] !== plate || node.plates.length !== 1)
    return 'outside the outermost plate holding the data, or in a nested plate';
  const s = bound.shapes[name];
  if (s.event.length > 0 || s.batch.length !== 1) return 'with more than one value per element';
  const outside = descendants(g, name).find((d) => g.nodes[d].plates[0] !== plate);
  if (outside) return `that ${outside}, outside its plate, depends on`;
  return { name, family };
}

/**
 * Can the discrete latent `name` be summed out jointly with the other global ones? A Bernoulli
 * or Categorical (known number of states) with a scalar event, outside the outermost plate
 * holding the data. Anything may depend on it: each joint state is evaluated on the whole
 * model. Else (undefined: not global) why not.
 */
function globalEnumerable(
  bound: BoundModel,
  name: string,
  plate: string | undefined,
  states: (name: string) => number | undefined,
): AviGlobalDiscrete | string | undefined {
  const node = bound.graph.nodes[name];
  if (node.kind !== 'stochastic') return `${name} is not a stochastic node`;
  if (plate !== undefined && node.plates.includes(plate)) return undefined;
  const family = node.distribution;
  if (family !== 'Bernoulli' && family !== 'Categorical') return 'of an unsupported family';
  const s = bound.shapes[name];
  if (s.event.length > 0) return 'with a vector value';
  const K = family === 'Bernoulli' ? 2 : states(name);
  if (K === undefined) return 'whose number of states is unknown';
  return { name, family, states: K, batch: [...s.batch] };
}

/**
 * Can the discrete latent `name` take the score-function estimator (score.ts)? A Bernoulli,
 * Categorical or Poisson with a scalar event, either global (in no plate holding the data) or
 * with one value per element of that plate and nothing outside the plate depending on it (its
 * learning signal is then its element's terms). Else: why not.
 */
function scoreable(
  bound: BoundModel,
  name: string,
  plate: string | undefined,
  states: (name: string) => number | undefined,
  why: string,
): Omit<AviScored, 'inputs' | 'inDim'> | string {
  const g = bound.graph;
  const node = g.nodes[name];
  if (node.kind !== 'stochastic') return `${name} is not a stochastic node`;
  const family = node.distribution;
  if (family !== 'Bernoulli' && family !== 'Categorical' && family !== 'Poisson')
    return 'of an unsupported family';
  const s = bound.shapes[name];
  if (s.event.length > 0) return 'with a vector value';
  const K = family === 'Bernoulli' ? 2 : family === 'Poisson' ? 0 : states(name);
  if (K === undefined) return 'whose number of states is unknown';
  const base = { name, family, states: K, batch: [...s.batch], why };
  if (plate === undefined || !node.plates.includes(plate))
    return {
      ...base,
      // enumeration is per element of the plate: a global latent has none
      why,
      local: false,
    };
  if (node.plates[0] !== plate || node.plates.length !== 1 || s.batch.length !== 1)
    return 'in a plate nested in the outermost plate holding the data';
  const outside = descendants(g, name).find((d) => g.nodes[d].plates[0] !== plate);
  if (outside) return `that ${outside}, outside its plate, depends on`;
  return { ...base, local: true };
}

/** The discrete latents' refusal: what avi does with them, and the option that changes it. */
function discreteRefusal(name: string, family: string, why: string, mode: DiscreteMode): string {
  return mode === 'enumerate'
    ? `${name} ~ ${family} is a discrete latent ${why}; with --discrete enumerate avi sums out only Bernoulli and Categorical latents with one value per element of the outermost plate holding the data, and global ones jointly, within ${MAX_STATES} joint states (--discrete auto or score gives the others a score-function gradient)`
    : `${name} ~ ${family} is a discrete latent ${why}; avi sums out Bernoulli and Categorical latents with one value per element of the outermost plate holding the data, and global ones jointly, within ${MAX_STATES} joint states, and gives a score-function gradient to global Bernoulli, Categorical and Poisson latents and to those with one value per element on which nothing outside the plate depends`;
}

/** avi's plan for the model, or the reasons it does not apply. */
export function planAvi(
  bound: BoundModel,
  localGuide: 'amortised' | 'free' = 'amortised',
  discrete: DiscreteMode = 'auto',
): AviPlanResult {
  const g = bound.graph;
  const reasons: Reason[] = [];
  let guide: GuidePlan | undefined;
  if (g.guide) {
    const gp = planGuide(bound, (n) => supportOf(bound, n));
    guide = gp.plan;
    reasons.push(...gp.reasons);
  }
  const plate = outerPlate(bound);
  const N = plate ? (bound.sizes[g.plates[plate].size] as number) : 1;
  const latents: AviLatent[] = [];
  const enumerated: AviDiscrete[] = [];
  const scored: AviScored[] = [];
  const globalEnumerated: AviGlobalDiscrete[] = [];
  let globalStates = 1;
  // each Categorical's number of states (graph/shapes.ts), once
  let shapeInfo: ShapeAnalysis | undefined;
  const states = (name: string): number | undefined => {
    shapeInfo ??= inferShapes(g, bound.sizes);
    const d = shapeInfo.nodes[name]?.states;
    return d === undefined ? undefined : concreteShape([d], bound.sizes)?.[0];
  };
  let joint = 1;
  // A discrete latent in a chain (`z[t] ~ Categorical(A[z[t - 1]])`) is not independent across
  // the plate's elements, so summing it out element by element (model.ts) would drop the
  // dependence between steps: it needs the forward algorithm over the chain, which avi lacks.
  // Continuous latents in a chain are fine on the whole plate: any q gives a valid ELBO, and the
  // log joint is evaluated over every step at once (minibatches are refused below).
  const chainedPlates = new Set<string>();
  for (const name of g.order) {
    const node = g.nodes[name];
    const chain = chainOf(g, name);
    if (
      !chain ||
      chainedPlates.has(chain.plate.id) ||
      node.kind !== 'stochastic' ||
      !DISTRIBUTIONS[node.distribution].discrete ||
      bound.observation[name]?.kind !== 'latent'
    )
      continue;
    chainedPlates.add(chain.plate.id);
    reasons.push(
      ...chainReasons(
        bound,
        `avi sums a discrete latent out per element of the plate, independently of the other steps, and has no forward algorithm over a chain`,
      ).filter((r) => chain.members.includes(r.node)),
    );
  }
  for (const name of g.order) {
    const node = g.nodes[name];
    if (node.kind !== 'stochastic') continue;
    const obs = bound.observation[name];
    if (obs?.kind === 'partial') {
      reasons.push(
        reasonAt(
          bound,
          name,
          `${name} is observed in part (null entries); avi does not infer missing entries yet`,
        ),
      );
      continue;
    }
    if (obs?.kind !== 'latent') continue;
    if (DISTRIBUTIONS[node.distribution].discrete) {
      if (chainOf(g, name)) continue; // refused above, at the chain's lagged read
      // a global one: summed out jointly with the other globals while the joint states (globals
      // times locals per element, in graph order) stay within MAX_STATES
      const gl = discrete === 'score' ? undefined : globalEnumerable(bound, name, plate, states);
      if (gl && typeof gl !== 'string') {
        const J = gl.states ** prod(gl.batch);
        if (joint * J <= MAX_STATES) {
          globalEnumerated.push(gl);
          joint *= J;
          globalStates *= J;
          continue;
        }
      }
      // auto: sum out while the joint states per element stay within MAX_STATES, in graph order
      const en =
        discrete === 'score' ? 'forced off (--discrete score)' : enumerable(bound, name, plate);
      const K = typeof en === 'string' ? 0 : en.family === 'Bernoulli' ? 2 : (states(name) ?? 0);
      // (a Categorical whose states the shapes do not tell is summed out: model.ts checks them)
      if (
        typeof en !== 'string' &&
        (discrete === 'enumerate' || K === 0 || joint * K <= MAX_STATES)
      ) {
        enumerated.push(en);
        joint *= Math.max(1, K);
        continue;
      }
      const why =
        typeof en !== 'string'
          ? `${K} states would make ${joint * K} joint states per element with the latents summed out before it, more than ${MAX_STATES}`
          : node.distribution === 'Poisson'
            ? 'unbounded support'
            : gl && typeof gl !== 'string'
              ? `outside the plate holding the data, with ${gl.states ** prod(gl.batch)} joint states that would make ${joint * gl.states ** prod(gl.batch)} with the latents summed out before it, more than ${MAX_STATES}`
              : (gl ?? en);
      // (with --discrete enumerate, a global latent is refused for its joint states)
      const enWhy = gl && typeof gl !== 'string' ? why : en;
      // (with --discrete enumerate, en is the reason it cannot be summed out)
      const sc =
        discrete === 'enumerate' ? (enWhy as string) : scoreable(bound, name, plate, states, why);
      if (typeof sc === 'string') {
        reasons.push(reasonAt(bound, name, discreteRefusal(name, node.distribution, sc, discrete)));
        continue;
      }
      const inputs =
        sc.local && localGuide === 'amortised' ? localInputs(bound, name, plate as string) : [];
      scored.push({ ...sc, inputs, inDim: inDimOf(bound, inputs, N) });
      continue;
    }
    const support = supportOf(bound, name);
    if (
      support !== 'real' &&
      support !== 'positive' &&
      support !== 'unit-interval' &&
      support !== 'interval' &&
      support !== 'lower-bounded' &&
      support !== 'upper-bounded' &&
      support !== 'simplex'
    ) {
      reasons.push(reasonAt(bound, name, support));
      continue;
    }
    const s = bound.shapes[name];
    const event = [...s.event];
    const uevent =
      support === 'simplex' ? [...event.slice(0, -1), (event[event.length - 1] ?? 1) - 1] : event;
    const local = plate !== undefined && node.plates[0] === plate;
    const guided = guide?.latents.get(name);
    const inputs =
      !guided && local && localGuide === 'amortised' ? localInputs(bound, name, plate) : [];
    const inDim = inDimOf(bound, inputs, N);
    latents.push({
      name,
      support,
      batch: [...s.batch],
      event,
      uevent,
      local,
      inputs,
      inDim,
      ...(guided ? { guided } : {}),
    });
  }
  // drawing order: global latents, then local ones; the guide's latents in its order among
  // them (a guided latent may read those drawn before it; default guides read only data)
  const rank = (l: AviLatent) => {
    const k = guide ? [...guide.latents.keys()].indexOf(l.name) : -1;
    return (l.local ? 1e6 : 0) + k;
  };
  latents.sort((a, b) => rank(a) - rank(b));
  const params: AviParam[] = [];
  const nets: string[] = [];
  for (const name of learnables(bound)) {
    if (g.nodes[name].kind === 'net') {
      nets.push(name);
      continue;
    }
    const t = transformOf(bound, name, 'avi');
    if (typeof t === 'string') {
      reasons.push(reasonAt(bound, name, t));
      continue;
    }
    const s = bound.shapes[name];
    params.push({ name, transform: t, shape: [...s.batch, ...s.event] });
  }
  const guideLearned: AviParam[] = [];
  if (guide && reasons.length === 0) {
    const gb = guideBound(bound, guide);
    for (const name of guide.params) {
      if (bound.fixedParams.includes(name)) continue;
      const t = transformOf(gb, name, 'avi');
      if (typeof t === 'string') {
        reasons.push(reasonAt(gb, name, t));
        continue;
      }
      const s = gb.shapes[name];
      guideLearned.push({ name: `guide.${name}`, transform: t, shape: [...s.batch, ...s.event] });
    }
  }
  if (reasons.length > 0) return { ok: false, reasons };
  const rd = plate ? rowDataOf(bound, plate, N, guide) : { rows: [] };
  const ragged = Object.keys(g.nodes).some(
    (n) => g.nodes[n].plates[0] === plate && (bound.axes[n] ?? []).some((a) => a.plates.length > 1),
  );
  const where = plate ? `the plate ${g.plates[plate].index} in ${g.plates[plate].size}` : '';
  // a block of a chain's steps lacks the earlier steps its first elements read
  const noMinibatch = ragged
    ? `${where} holds a ragged plate, whose minibatches avi does not bind yet`
    : plate && (g.plates[plate].lags?.length ?? 0) > 0
      ? `${where} is a chain (its steps read earlier steps), whose terms do not split into blocks of steps`
      : rd.why;
  return {
    ok: true,
    plan: {
      latents,
      enumerated,
      globalEnumerated,
      globalStates,
      scored,
      params,
      nets,
      plate,
      N,
      rowData: rd.rows,
      noMinibatch,
      ...(guide ? { guide: { ...guide, learned: guideLearned } } : {}),
    },
  };
}

/**
 * avi applies; its notes say how each discrete latent enters the ELBO (`plato engines`): summed
 * out, or drawn with a score-function gradient and why.
 */
export function aviApplies(plan: AviPlan): { ok: true; notes?: string[] } {
  const gl = plan.globalEnumerated;
  const notes = [
    ...(gl.length > 0
      ? [
          `avi sums the global ${gl.map((d) => d.name).join(', ')} out of the ELBO jointly (enumeration over ${plan.globalStates} joint states, q a Categorical over them)`,
        ]
      : []),
    ...plan.enumerated.map((d) => `avi sums ${d.name} out of the ELBO (enumeration, per element)`),
    ...plan.scored.map(
      (d) =>
        `avi gives ${d.name} ~ ${d.family} a score-function gradient with a moving-average baseline (${d.why})`,
    ),
  ];
  return notes.length > 0 ? { ok: true, notes } : { ok: true };
}
