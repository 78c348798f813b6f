// Node-level analysis for exact discrete inference: which nodes hold discrete variables and how
// many states each has, and for every stochastic node the template of its factor — the latent
// elements ("slots") one plate element of it reads. Reasons are collected, never thrown, so that
// `plato engines` can list all of them; a caller words the reason for a missing param value.
import type { Reason } from '../../diagnostics/reason.js';
import {
  DISTRIBUTIONS,
  type DistName,
  scoresPartialEvents,
} from '../../distributions/signatures.js';
import type { BoundModel } from '../../graph/bound.js';
import type { StochasticNode } from '../../graph/ir.js';
import { ancestors, descendants, stochasticNodes } from '../../graph/query.js';
import { prod } from '../../util/shape.js';
import { reasonAt } from '../engine.js';
import { type AxisDep, DepAnalysis } from './deps.js';

/** Largest number of joint states of one factor or clique (DESIGN: say so beyond it). */
export const MAX_LOG2_STATES = 24;
/** Largest table (states × plate elements) evaluated for one node. */
export const MAX_LOG2_TABLE = 27;

export type FiniteFamily = 'Bernoulli' | 'Categorical' | 'Binomial';

/** A stochastic node whose elements are discrete variables (latent, or partially observed). */
export interface VarNode {
  readonly name: string;
  readonly family: FiniteFamily;
  /** number of states of each element: 2, K, or max(n) + 1 */
  readonly card: number;
  /** full shape: batch axes then event axes */
  readonly shape: readonly number[];
  readonly size: number;
  /** id of its first element among all variables (row-major over `shape`) */
  readonly offset: number;
  /** observed entries of a partially observed node (evidence) */
  readonly partial?: { readonly mask: Uint8Array; readonly values: Float64Array };
}

/** The slots one element of a factor reads from one variable node. */
export interface SlotGroup {
  readonly node: string;
  readonly pattern: readonly AxisDep[];
  /** axes of the variable's full shape that vary over the slots (the others are tied) */
  readonly freeAxes: readonly number[];
  readonly freeLens: readonly number[];
  /** number of slots: the product of freeLens */
  readonly count: number;
  /** index of the group's first slot in the factor's template */
  readonly first: number;
  readonly card: number;
}

/** The factor of a stochastic node: one per plate element, all with the same template. */
export interface FactorNode {
  readonly name: string;
  /** the node holds variables: its own value is the last slot */
  readonly own: boolean;
  /** the shape of the factor's elements: batch axes, plus the event axes of a variable node */
  readonly elementShape: readonly number[];
  readonly elements: number;
  /** slot groups of the variables read (topological order); the own slot is not in a group */
  readonly groups: readonly SlotGroup[];
  /** card of every slot, own slot last */
  readonly slotCards: readonly number[];
  readonly log2States: number;
  /**
   * A barren leaf (see barrenLeaves): 1 for every element whose entries are all missing. Such an
   * element sums out to 1: its factor is identically 1 (a table of zeros), and it is reported by
   * its predictive afterwards, never as a variable of the factor product.
   */
  readonly missing?: Uint8Array;
  /** of a barren leaf: its number of states when its family is finite, else 0 */
  readonly leafCard?: number;
}

export interface NodeAnalysis {
  readonly vars: readonly VarNode[];
  readonly varByName: ReadonlyMap<string, VarNode>;
  readonly nVars: number;
  readonly factors: readonly FactorNode[];
  readonly deps: DepAnalysis;
}

export type Analysed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reasons: Reason[] };

/**
 * The families whose latents are enumerated: finite support and scalar draws (a Multinomial
 * vector is finite too, but its states are compositions, not a product of scalar states).
 */
export const FINITE_FAMILIES: ReadonlySet<DistName> = new Set(
  Object.values(DISTRIBUTIONS)
    .filter((d) => d.finite && d.eventRank === 0)
    .map((d) => d.name),
);

/** The reason for a param without a value, or a net, that the model's stochastic nodes read. */
export type UnknownValueReason = (model: BoundModel, name: string, kind: 'param' | 'net') => Reason;

const unknownValue: UnknownValueReason = (model, name, kind) =>
  reasonAt(
    model,
    name,
    kind === 'param'
      ? `param ${name} has no value: give it in the data, a default, or the E-step's values`
      : `net ${name} has weights that are not known: discrete enumeration does not evaluate nets`,
  );

const barrenCache = new WeakMap<BoundModel, ReadonlySet<string>>();

/**
 * Barren leaves: stochastic nodes that no stochastic node depends on, with missing entries, and
 * whose every element is either all missing or all observed — partially observed nodes of any
 * family, and latent ones of infinite support (a Normal leaf under a discrete latent). A missing
 * element of a leaf sums out to 1 (Σ_x p(x | parents) = 1), so it takes no part in the product of
 * the other factors: an observed element is evidence like any observed node, and a missing one is
 * reported by its predictive, Σ_s P(parents = s | data) p(x | s). Latent leaves of finite support
 * stay variables (a leaf of a clique tree costs little, and gives its marginal directly).
 * An element observed in part is evidence too when its family scores the observed entries alone
 * (scoresPartialEvents: a Normal with a vector event, an MvNormal's observed sub-vector): its
 * factor is p(x_o | parents), the missing entries integrated out (compile/model.ts logProb).
 */
export function barrenLeaves(model: BoundModel): ReadonlySet<string> {
  const hit = barrenCache.get(model);
  if (hit) return hit;
  const out = new Set<string>();
  for (const n of stochasticNodes(model.graph)) {
    const obs = model.observation[n.name];
    if (!obs || obs.kind === 'observed') continue;
    if (obs.kind === 'latent' && FINITE_FAMILIES.has(n.distribution)) continue;
    const leaf = descendants(model.graph, n.name).every(
      (d) => model.graph.nodes[d]?.kind !== 'stochastic',
    );
    if (!leaf) continue;
    if (obs.kind === 'partial') {
      // each element (batch position) all missing or all observed
      const event = prod(model.shapes[n.name].event);
      let uniform = true;
      for (let e = 0; uniform && e < obs.mask.length; e += event) {
        for (let k = 1; k < event; k++) if (obs.mask[e + k] !== obs.mask[e]) uniform = false;
      }
      if (!uniform && !scoresPartialEvents(n.distribution)) continue;
    } else if (prod(model.shapes[n.name].event) !== 1) continue;
    out.add(n.name);
  }
  barrenCache.set(model, out);
  return out;
}

/** The stochastic nodes holding discrete variables: latent or partially observed, not barren leaves. */
export function isVariableNode(model: BoundModel, name: string): boolean {
  const node = model.graph.nodes[name];
  const obs = model.observation[name];
  return (
    node?.kind === 'stochastic' &&
    obs !== undefined &&
    obs.kind !== 'observed' &&
    !barrenLeaves(model).has(name)
  );
}

function familyReason(model: BoundModel, node: StochasticNode): Reason {
  const sig = DISTRIBUTIONS[node.distribution];
  const why =
    node.distribution === 'Multinomial'
      ? 'exact discrete inference enumerates scalar discrete latents (Bernoulli, Categorical, Binomial), not Multinomial vectors'
      : sig.discrete
        ? `exact discrete inference needs finite support, and ${node.distribution} has infinitely many values`
        : 'exact discrete inference needs finite support (Bernoulli, Categorical or Binomial latents)';
  return reasonAt(model, node.name, `${node.name} has a ${node.distribution} prior: ${why}`);
}

/**
 * The number of states of a variable node (Categorical: K of its argument; Binomial: max n + 1),
 * or the reason it has none. Evaluating arguments needs the compiled plan (values.ts); a
 * tensor-free caller answers from the bound data where it can (hostValues.ts).
 */
export type Cardinality = (node: StochasticNode, deps: DepAnalysis) => number | Reason;

/** Decide whether the model's latents are all finite and describe every factor's template. */
export function analyseNodes(
  model: BoundModel,
  cardinality: Cardinality,
  unknown: UnknownValueReason = unknownValue,
): Analysed<NodeAnalysis> {
  const g = model.graph;
  const reasons: Reason[] = [];
  const stoch = stochasticNodes(g);
  const variables = stoch.filter((n) => isVariableNode(model, n.name));
  for (const n of variables)
    if (!FINITE_FAMILIES.has(n.distribution)) reasons.push(familyReason(model, n));

  // params without a value and nets: nothing here learns them
  const needed = new Set<string>();
  for (const n of stoch) for (const a of ancestors(g, n.name)) needed.add(a);
  for (const name of needed) {
    const node = g.nodes[name];
    if (node?.kind === 'param' && !model.values[name]) reasons.push(unknown(model, name, 'param'));
    if (node?.kind === 'net') reasons.push(unknown(model, name, 'net'));
  }
  if (reasons.length > 0) return { ok: false, reasons };

  const deps = new DepAnalysis(model, (name) => isVariableNode(model, name));
  for (const n of variables) {
    const nArg = n.args.n;
    if (n.distribution === 'Binomial' && nArg && deps.ofExpr(nArg, n).size > 0) {
      reasons.push(
        reasonAt(
          model,
          n.name,
          `${n.name} ~ Binomial: its number of trials depends on a latent node`,
        ),
      );
    }
  }
  if (reasons.length > 0) return { ok: false, reasons };

  const vars: VarNode[] = [];
  const varByName = new Map<string, VarNode>();
  let offset = 0;
  for (const n of variables) {
    const card = cardinality(n, deps);
    if (typeof card !== 'number') {
      reasons.push(card);
      continue;
    }
    const s = model.shapes[n.name];
    const shape = [...s.batch, ...s.event];
    const size = prod(shape);
    const obs = model.observation[n.name];
    const partial =
      obs?.kind === 'partial'
        ? { mask: obs.mask, values: model.values[n.name]?.data ?? new Float64Array(size) }
        : undefined;
    const v: VarNode = {
      name: n.name,
      family: n.distribution as FiniteFamily,
      card,
      shape,
      size,
      offset,
      partial,
    };
    offset += size;
    vars.push(v);
    varByName.set(n.name, v);
  }
  if (reasons.length > 0) return { ok: false, reasons };

  const leaves = barrenLeaves(model);
  const factors: FactorNode[] = [];
  for (const n of stoch) {
    const own = varByName.has(n.name);
    let leaf: Pick<FactorNode, 'missing' | 'leafCard'> = {};
    if (leaves.has(n.name)) {
      const card = FINITE_FAMILIES.has(n.distribution) ? cardinality(n, deps) : 0;
      if (typeof card !== 'number') {
        reasons.push(card);
        continue;
      }
      const obs = model.observation[n.name];
      const s = model.shapes[n.name];
      const missing = new Uint8Array(prod(s.batch)).fill(1);
      if (obs?.kind === 'partial') {
        // missing: no entry of the element observed (one observed in part is evidence)
        const event = prod(s.event);
        for (let e = 0; e < missing.length; e++) {
          let any = 0;
          for (let k = 0; k < event; k++) any |= obs.mask[e * event + k];
          missing[e] = any ? 0 : 1;
        }
      }
      leaf = { missing, leafCard: card };
    }
    const s = model.shapes[n.name];
    const elementShape = own ? [...s.batch, ...s.event] : [...s.batch];
    const groups: SlotGroup[] = [];
    const slotCards: number[] = [];
    const read = deps.of(n.name);
    for (const y of g.order) {
      const pattern = read.get(y);
      const v = varByName.get(y);
      if (!pattern || !v) continue;
      const freeAxes = pattern.map((d, i) => (d.kind === 'free' ? i : -1)).filter((i) => i >= 0);
      const freeLens = freeAxes.map((a) => v.shape[a]);
      const count = prod(freeLens);
      groups.push({
        node: y,
        pattern,
        freeAxes,
        freeLens,
        count,
        first: slotCards.length,
        card: v.card,
      });
      for (let i = 0; i < count; i++) slotCards.push(v.card);
    }
    if (own) slotCards.push((varByName.get(n.name) as VarNode).card);
    const log2States = slotCards.reduce((a, c) => a + Math.log2(c), 0);
    factors.push({
      name: n.name,
      own,
      elementShape,
      elements: prod(elementShape),
      groups,
      slotCards,
      log2States,
      ...leaf,
    });
  }
  if (reasons.length > 0) return { ok: false, reasons };
  return { ok: true, value: { vars, varByName, nVars: offset, factors, deps } };
}

/** A short description of a factor's reach, for messages: "all 16 elements of d". */
export function describeSlots(f: FactorNode): string {
  return f.groups
    .map((gr) =>
      gr.count === 1 ? `one element of ${gr.node}` : `${gr.count} elements of ${gr.node}`,
    )
    .join(', ');
}
