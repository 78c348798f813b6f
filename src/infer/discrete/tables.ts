// Factor tables by compiled evaluation. The sample axis S of the compiled model is the
// enumeration axis: sample s assigns to the factor's template slots the digits of s (mixed radix,
// first slot slowest), every variable node read gets a tensor [S, ...shape] built from its slots
// (tied axes broadcast: each plate element reads its own position), and ONE evaluation of the
// node's log-probability gives the table of every plate element at once: [S, elements].
import * as tf from '@tensorflow/tfjs';
import type { ModelPlan } from '../../compile/model.js';
import { userError } from '../../diagnostics/diagnostics.js';
import type { BoundModel } from '../../graph/bound.js';
import { prod, strides } from '../../util/shape.js';
import type { FactorNode, NodeAnalysis } from './analysis.js';
import { withFloat64Probabilities } from './precision.js';
import { constantAcrossElements, type SharedPlan, sharedLogProb, sharedPlan } from './shared.js';
import { withDeterministic } from './values.js';

/** Table entries (states × elements × work per entry) per evaluation chunk. */
const CHUNK_ENTRIES = 1 << 22;
/** The same for the shared path (shared.ts), whose intermediates are fewer (≈ 64 MB each). */
const SHARED_CHUNK_ENTRIES = 1 << 24;

/** float32 [len] digit of slot `i` for the states s0 … s0+len-1 */
function slotDigit(
  range: tf.Tensor,
  str: readonly number[],
  cards: readonly number[],
  i: number,
): tf.Tensor {
  const q = str[i] === 1 ? range : tf.floorDiv(range, tf.scalar(str[i], 'int32'));
  return tf.cast(i === 0 ? q : tf.mod(q, tf.scalar(cards[i], 'int32')), 'float32');
}

/**
 * The variables `f` reads, for the template states `range` (len of them): [len, ...shape] each;
 * with `collapse`, the tied axes (each element reads its own position) keep length 1.
 */
function templateEnv(
  nodes: NodeAnalysis,
  f: FactorNode,
  range: tf.Tensor,
  str: readonly number[],
  len: number,
  collapse = false,
): Record<string, tf.Tensor> {
  const env: Record<string, tf.Tensor> = {};
  for (const g of f.groups) {
    const v = nodes.varByName.get(g.node);
    if (!v) throw new Error(`internal: ${g.node} is not a variable`);
    const digits = Array.from({ length: g.count }, (_, i) =>
      slotDigit(range, str, f.slotCards, g.first + i),
    );
    const slots = g.count === 1 ? tf.expandDims(digits[0], 1) : tf.stack(digits, 1);
    const shape = v.shape.map((len2, ax) => (g.freeAxes.includes(ax) ? len2 : 1));
    const own = tf.reshape(slots, [len, ...shape]);
    env[g.node] = collapse ? own : tf.broadcastTo(own, [len, ...v.shape]);
  }
  return env;
}

/**
 * What a barren leaf's predictive needs, for every state of its template (its parents' slots) and
 * every element: a finite leaf's log p(x | s) for each of its `leafCard` states x, float32
 * [S, card, E]; a leaf of infinite support, the mean and variance of its distribution, [S, E]
 * each (host arrays).
 */
export function leafTables(
  model: BoundModel,
  plan: ModelPlan,
  nodes: NodeAnalysis,
  f: FactorNode,
):
  | { readonly logP: tf.Tensor3D }
  | { readonly mean: Float32Array; readonly variance: Float32Array } {
  const S = prod(f.slotCards);
  const E = f.elements;
  const card = f.leafCard ?? 0;
  const str = strides(f.slotCards);
  const shape = [...model.shapes[f.name].batch, ...model.shapes[f.name].event];
  return tf.tidy(() => {
    const range = tf.range(0, S, 1, 'int32');
    const env = withDeterministic(plan, model, f.name, templateEnv(nodes, f, range, str, S));
    const { dist, lead } = plan.distribution(f.name, env);
    if (card > 0) {
      // x in front: [card, S?, ...shape] → [S, card, E]
      const xShape = [card, ...(lead ? [S] : []), ...shape];
      const xs = tf.broadcastTo(
        tf.reshape(tf.range(0, card, 1, 'float32'), [card, ...xShape.slice(1).map(() => 1)]),
        xShape,
      );
      const lp0 = tf.reshape(dist.logProb(xs), [card, lead ? S : 1, ...shape]);
      const lp = tf.reshape(tf.broadcastTo(lp0, [card, S, ...shape]), [card, S, E]);
      return { logP: tf.keep(tf.transpose(lp, [1, 0, 2]) as tf.Tensor3D) };
    }
    const full = (t: tf.Tensor) =>
      tf.reshape(tf.broadcastTo(t, [S, ...shape]), [S * E]).dataSync() as Float32Array;
    return { mean: full(dist.mean()), variance: full(dist.variance()) };
  });
}

/**
 * log-potential of every state of the template of `f` for every element: float32 [S, E].
 * A partially observed node's own factor carries its evidence (-∞ off the observed value).
 * A barren leaf's missing elements are identically 1 (log-potential 0). `shared`: evaluate a
 * node whose elements share their distribution once per state (shared.ts; default); false: per
 * state and element, as every node (the reference the shared path is tested against).
 */
export function nodeTable(
  model: BoundModel,
  plan: ModelPlan,
  nodes: NodeAnalysis,
  f: FactorNode,
  shared = true,
): tf.Tensor2D {
  const nSlots = f.slotCards.length;
  const S = prod(f.slotCards);
  const E = f.elements;
  const str = strides(f.slotCards);
  // per state: the variables' tensors, and intermediates up to elements × slots (a dot product)
  let work = E * (8 + Math.max(0, ...f.groups.map((g) => g.count)));
  for (const g of f.groups) work += prod(nodes.varByName.get(g.node)?.shape ?? []);
  const chunk = Math.max(1, Math.min(S, Math.floor(CHUNK_ENTRIES / work)));
  const own = f.own ? nodes.varByName.get(f.name) : undefined;
  // a latent barren leaf has no observed element: nothing to evaluate
  if (model.observation[f.name]?.kind === 'latent' && f.missing) return tf.zeros([S, E]);
  const sp = shared ? sharedPlan(model, f, (n) => nodes.varByName.has(n)) : undefined;
  const fast = sp && sharedTable(model, plan, nodes, f, sp);
  if (fast) return checkedTable(fast, f);
  const observed = own ? undefined : model.values[f.name]?.data;
  const parts: tf.Tensor[] = [];
  try {
    for (let s0 = 0; s0 < S; s0 += chunk) {
      const len = Math.min(chunk, S - s0);
      parts.push(
        tf.tidy(() => {
          const range = tf.range(s0, s0 + len, 1, 'int32');
          const env = templateEnv(nodes, f, range, str, len);
          let lp: tf.Tensor;
          if (own) {
            const x = slotDigit(range, str, f.slotCards, nSlots - 1);
            const xv = tf.broadcastTo(tf.reshape(x, [len, ...own.shape.map(() => 1)]), [
              len,
              ...own.shape,
            ]);
            const full = withDeterministic(plan, model, f.name, env);
            const { dist } = plan.distribution(f.name, full);
            lp = tf.reshape(dist.logProb(xv), [len, E]);
            if (own.partial) {
              // evidence: an observed entry keeps only its observed value
              const mask = tf.tensor1d(own.partial.mask, 'bool');
              const value = tf.tensor1d(
                Float32Array.from(own.partial.values, (v) => (Number.isNaN(v) ? 0 : v)),
              );
              const off = tf.logicalAnd(mask, tf.notEqual(tf.expandDims(x, 1), value));
              lp = tf.where(off, tf.fill([len, E], Number.NEGATIVE_INFINITY), lp);
            }
          } else {
            const full = withDeterministic(plan, model, f.name, env);
            const out = plan.logProb(f.name, full);
            lp = tf.broadcastTo(tf.reshape(out, [out.shape[0], E]), [len, E]);
          }
          // probabilities selected from float64 values: corrected in float64 (precision.ts)
          const card = own ? f.slotCards[nSlots - 1] : 1;
          const x = own
            ? (i: number) => Math.floor((s0 + Math.floor(i / E)) / str[nSlots - 1]) % card
            : (i: number) => (observed ? observed[i % E] : Number.NaN);
          const full = withDeterministic(plan, model, f.name, env);
          return withFloat64Probabilities(model, plan, f.name, full, lp, x);
        }),
      );
    }
    const table = (parts.length === 1 ? tf.clone(parts[0]) : tf.concat(parts, 0)) as tf.Tensor2D;
    return checkedTable(table, f);
  } finally {
    for (const p of parts) p.dispose();
  }
}

/**
 * The table of a node whose every element has the same table column (constantAcrossElements):
 * float32 [S] on the host; undefined for any other node.
 */
export function nodeColumn(
  model: BoundModel,
  plan: ModelPlan,
  nodes: NodeAnalysis,
  f: FactorNode,
): Float32Array | undefined {
  const sp = sharedPlan(model, f, (n) => nodes.varByName.has(n));
  if (!constantAcrossElements(f, sp)) return undefined;
  const t = sharedTable(model, plan, nodes, f, sp as SharedPlan, true);
  if (!t) return undefined;
  const d = checkedTable(t, f).dataSync() as Float32Array;
  t.dispose();
  return d;
}

/** `table` itself, or a PlatoError (the table disposed) when it holds a NaN. */
function checkedTable(table: tf.Tensor2D, f: FactorNode): tf.Tensor2D {
  // one reduction: a NaN makes the sum NaN (so does -∞ + ∞, then the entries are looked at)
  const nan = tf.tidy(
    () => Number.isNaN(tf.sum(table).dataSync()[0]) && tf.any(tf.isNaN(table)).dataSync()[0] !== 0,
  );
  if (nan) {
    table.dispose();
    throw userError(
      `the log-probability of ${f.name} is NaN for some values of the variables it depends on; check its arguments (probabilities in [0, 1], positive scales)`,
      'unsupported',
    );
  }
  return table;
}

/**
 * The table [S, E] of a node whose elements share their distribution given the template's
 * variables (shared.ts): one distribution per state, every element scored against it. Undefined
 * when an argument turns out to vary along a plate axis (then the generic table is built).
 */
function sharedTable(
  model: BoundModel,
  plan: ModelPlan,
  nodes: NodeAnalysis,
  f: FactorNode,
  shared: SharedPlan,
  compact = false,
): tf.Tensor2D | undefined {
  const S = prod(f.slotCards);
  const E = f.elements;
  const str = strides(f.slotCards);
  // per state: the elements' values and the intermediates of scoring them (an MvNormal's
  // whitened values, E × D per state); each state's distribution is built once per chunk, so
  // the chunks are larger than the generic path's
  const work = E * (2 + prod(model.shapes[f.name].event));
  const chunk = Math.max(1, Math.min(S, Math.floor(SHARED_CHUNK_ENTRIES / work)));
  const parts: tf.Tensor[] = [];
  try {
    for (let s0 = 0; s0 < S; s0 += chunk) {
      const len = Math.min(chunk, S - s0);
      const part = tf.tidy(() => {
        const range = tf.range(s0, s0 + len, 1, 'int32');
        const env = templateEnv(nodes, f, range, str, len, true);
        const own = f.own ? slotDigit(range, str, f.slotCards, f.slotCards.length - 1) : undefined;
        return sharedLogProb(plan, f, shared, env, len, own, compact);
      });
      if (!part) return undefined;
      parts.push(part);
    }
    return (parts.length === 1 ? tf.clone(parts[0]) : tf.concat(parts, 0)) as tf.Tensor2D;
  } finally {
    for (const p of parts) p.dispose();
  }
}
