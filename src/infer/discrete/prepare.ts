// Everything about a discrete model that needs no factor table: the node analysis, noisy-OR
// parameters, the element-level structure, and a method per group of components with its cost.
// Computed once per bound model (applicability and run share it). Tensor-free: the values it
// needs evaluated (cardinalities, noisy-OR weights) come from a DiscreteValues — the compiled
// plan's (values.ts) or, where the bound data decide them, the host's (hostValues.ts).
import type { Reason } from '../../diagnostics/reason.js';
import type { BoundModel } from '../../graph/bound.js';
import type { StochasticNode } from '../../graph/ir.js';
import { maxOf } from '../../util/array.js';
import { prod } from '../../util/shape.js';
import { reasonAt } from '../engine.js';
import {
  type Analysed,
  analyseNodes,
  type Cardinality,
  describeSlots,
  type FactorNode,
  MAX_LOG2_STATES,
  MAX_LOG2_TABLE,
  type NodeAnalysis,
  type UnknownValueReason,
} from './analysis.js';
import { chooseCutset, type Partition, partition } from './cutset.js';
import { matchNoisyOr, type NoisyOrForm, type NoisyOrParams } from './noisyOr.js';
import { type CliqueTree, cliqueTree } from './order.js';
import { buildStructure, type Group, type Structure, slotIds } from './structure.js';

export type Method = 'quickscore' | 'enumerate' | 'cliques';

/** Largest number of joint parent states a missing leaf of infinite support is mixed over. */
const MAX_LOG2_MIXTURE = 10;

/** Largest number of positive findings Quickscore accepts (2^25 terms). */
export const MAX_POSITIVES = 25;

export interface GroupPlan {
  readonly group: Group;
  readonly method: Method;
  /** the clique tree (also for 'enumerate', which is the single-clique case) */
  readonly tree?: CliqueTree;
  /** for 'cliques' after conditioning on hub variables: the parts */
  readonly partition?: Partition;
  /** log2 of the largest clique (or, for Quickscore, of the number of terms) */
  readonly log2Cost: number;
}

export interface Prepared {
  readonly nodes: NodeAnalysis;
  /** per factor node: its noisy-OR parameters when it is a recognised noisy-OR finding */
  readonly noisyOr: readonly (NoisyOrParams | undefined)[];
  readonly structure: Structure;
  readonly plans: readonly GroupPlan[];
  /** does the solve report the predictives of missing leaf entries (PrepareOptions)? */
  readonly predictives: boolean;
  /** PrepareOptions.generic: no shared tables (shared.ts), no host pass for one-variable groups */
  readonly generic: boolean;
}

/** What the analysis reads from evaluated arguments. */
export interface DiscreteValues {
  readonly cardinality: Cardinality;
  /** the parameters of a noisy-OR finding; undefined when its values are not a proper noisy-OR */
  readonly noisyOr: (f: FactorNode, form: NoisyOrForm) => NoisyOrParams | undefined;
}

export interface PrepareOptions {
  /** force a method where it applies (tests and benchmarks); default: the cheapest */
  readonly method?: Method | 'auto';
  /** the caller's wording for a param without a value (or a net) the model reads */
  readonly unknown?: UnknownValueReason;
  /**
   * Will the solve report the predictive of every missing leaf entry (leaves.ts)? Default true
   * (the exact engine). An E-step (estep.ts) needs only the latents' posterior and log Z.
   */
  readonly predictives?: boolean;
  /**
   * evaluate every table per element (tables.ts's generic path) and solve every group by the
   * batched methods: the reference the fast paths are tested against; default false
   */
  readonly generic?: boolean;
}

/** Positive findings of each copy of a group (-1 when a factor is neither unary nor noisy-OR). */
function quickscorePositives(
  group: Group,
  noisyOr: readonly (NoisyOrParams | undefined)[],
): Int32Array | undefined {
  if (group.cards.some((c) => c !== 2)) return undefined;
  const nF = group.factors.length;
  for (const p of group.factors) {
    if (p.scope.length > 1 && !noisyOr[p.node]) return undefined;
  }
  const pos = new Int32Array(group.copies);
  group.factors.forEach((p, i) => {
    const params = noisyOr[p.node];
    if (!params || p.scope.length === 0) return;
    for (let c = 0; c < group.copies; c++)
      if (params.value[group.copyElems[c * nF + i]] === 1) pos[c]++;
  });
  return pos;
}

function planGroup(
  model: BoundModel,
  nodes: NodeAnalysis,
  group: Group,
  noisyOr: readonly (NoisyOrParams | undefined)[],
  options: PrepareOptions,
): GroupPlan | Reason {
  const positives = quickscorePositives(group, noisyOr);
  const maxPos = positives ? maxOf(positives, 0) : Number.POSITIVE_INFINITY;
  const qsOk = maxPos <= MAX_POSITIVES;
  const n = group.cards.length;
  const want = options.method ?? 'auto';
  if (qsOk && want === 'quickscore') return { group, method: 'quickscore', log2Cost: maxPos };
  // the generic methods: variable elimination's clique tree (a single clique: enumeration),
  // after conditioning on a few hub variables when they split the component into small parts
  const totalLog2 = group.cards.reduce((a, c) => a + Math.log2(c), 0);
  const scopes = group.factors.map((p) => p.scope);
  const cut = want === 'enumerate' ? undefined : chooseCutset(group.cards, scopes);
  let parts: Partition | undefined;
  let tree: CliqueTree | undefined;
  let cliqueLog2: number;
  let partLog2 = 0;
  if (cut) {
    const kindOf = (f: number) => `${group.factors[f].node}/${group.factors[f].slots.join('.')}`;
    parts = partition(group.cards, scopes, kindOf, cut);
    const cutLog2 = parts.cutCards.reduce((a, c) => a + Math.log2(c), 0);
    partLog2 = Math.max(0, ...parts.groups.map((g) => cliqueTree(g.cards, g.scopes).maxLog2States));
    cliqueLog2 = partLog2 + cutLog2;
  } else {
    tree = n <= 4000 || !qsOk ? cliqueTree(group.cards, scopes) : undefined;
    cliqueLog2 = tree?.maxLog2States ?? totalLog2;
  }
  if (qsOk && (want === 'auto' || cliqueLog2 > MAX_LOG2_STATES)) {
    // Quickscore costs 2^P · K per copy; a clique tree about 2^(largest clique) · factors
    const qsCost = maxPos + Math.log2(n + 1);
    const treeCost = cliqueLog2 + Math.log2(group.factors.length + 1);
    if (cliqueLog2 > MAX_LOG2_STATES || qsCost <= treeCost)
      return { group, method: 'quickscore', log2Cost: maxPos };
  }
  if (parts && partLog2 <= MAX_LOG2_STATES) {
    return { group, method: 'cliques', partition: parts, log2Cost: cliqueLog2 };
  }
  if (!tree || cliqueLog2 > MAX_LOG2_STATES) {
    const v = nodes.vars.find(
      (x) => group.copyVars[0] >= x.offset && group.copyVars[0] < x.offset + x.size,
    );
    return reasonAt(
      model,
      v?.name ?? '',
      `exact discrete inference would need a table of 2^${cliqueLog2.toFixed(1)} joint states for one connected group of ${n} discrete variables (the limit is 2^${MAX_LOG2_STATES}); no elimination order does better`,
    );
  }
  const single = Math.abs(cliqueLog2 - totalLog2) < 1e-9;
  const enumerate =
    (want === 'enumerate' && totalLog2 <= MAX_LOG2_STATES) || (want === 'auto' && single);
  const method: Method = enumerate ? 'enumerate' : 'cliques';
  return { group, method, tree, log2Cost: method === 'enumerate' ? totalLog2 : cliqueLog2 };
}

/** Analyse `model` for exact discrete inference (`values`: cardinalities and noisy-OR weights). */
export function prepare(
  model: BoundModel,
  values: DiscreteValues,
  options: PrepareOptions = {},
): Analysed<Prepared> {
  const analysed = analyseNodes(model, values.cardinality, options.unknown);
  if (!analysed.ok) return analysed;
  const nodes = analysed.value;
  const reasons: Reason[] = [];

  const noisyOr = nodes.factors.map((f) => {
    const node = model.graph.nodes[f.name] as StochasticNode;
    const form = matchNoisyOr(model, node, nodes);
    return form ? values.noisyOr(f, form) : undefined;
  });
  // tables are evaluated for every factor node that is not a noisy-OR finding
  const predictives = options.predictives ?? true;
  nodes.factors.forEach((f, i) => {
    // leaves.ts reports one predictive per element: a scalar one
    if (predictives && f.missing) {
      const s = model.shapes[f.name];
      const obs = model.observation[f.name];
      if (prod(s.event) > 1 && obs?.kind === 'partial' && obs.mask.includes(0)) {
        reasons.push(
          reasonAt(
            model,
            f.name,
            `${f.name} has missing entries in its [${s.event.join(', ')}] values: the predictive of a missing entry is reported for scalar nodes only`,
          ),
        );
        return;
      }
    }
    // a missing entry of a leaf of infinite support mixes over its parents' joint states (leaves.ts)
    if (
      predictives &&
      f.missing &&
      f.leafCard === 0 &&
      f.slotCards.length > 1 &&
      f.log2States > MAX_LOG2_MIXTURE
    ) {
      reasons.push(
        reasonAt(
          model,
          f.name,
          `the predictive of a missing entry of ${f.name} mixes over the 2^${f.log2States.toFixed(1)} joint states of ${describeSlots(f)} (the limit is 2^${MAX_LOG2_MIXTURE})`,
        ),
      );
    }
    if (noisyOr[i]) return;
    const log2Table = f.log2States + Math.log2(Math.max(1, f.elements));
    if (f.log2States > MAX_LOG2_STATES || log2Table > MAX_LOG2_TABLE) {
      reasons.push(
        reasonAt(
          model,
          f.name,
          `the factor of each element of ${f.name} reads ${describeSlots(f)}: 2^${f.log2States.toFixed(1)} joint states ` +
            `(${f.elements} elements; the limits are 2^${MAX_LOG2_STATES} states and 2^${MAX_LOG2_TABLE} table entries)`,
        ),
      );
    }
  });
  if (reasons.length > 0) return { ok: false, reasons };

  const ids = nodes.factors.map((f) => slotIds(model, nodes, f));
  // a noisy-OR finding reads only the causes with a non-zero weight
  const read = (fi: number, e: number, s: number): boolean => {
    const p = noisyOr[fi];
    return p?.w[e * nodes.factors[fi].slotCards.length + s] !== 0;
  };
  const structure = buildStructure(nodes, ids, noisyOr.some((p) => p) ? read : undefined);
  const plans: GroupPlan[] = [];
  for (const group of structure.groups) {
    const p = planGroup(model, nodes, group, noisyOr, options);
    if ('method' in p) plans.push(p);
    else if (!reasons.some((r) => r.message === p.message)) reasons.push(p);
  }
  if (reasons.length > 0) return { ok: false, reasons };
  return {
    ok: true,
    value: { nodes, noisyOr, structure, plans, predictives, generic: options.generic ?? false },
  };
}
