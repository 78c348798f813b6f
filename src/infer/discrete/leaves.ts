// Barren leaves (analysis.ts, barrenLeaves): a missing element of a leaf sums out of the factor
// product (its table is 0 = log 1), so missing data never changes the method used for the rest.
// Each missing element is reported afterwards by its predictive given the data,
//
//   P(x | data) = Σ_s P(S = s | data) p(x | s),   S the variables its factor reads,
//
// found in one of four ways, cheapest first:
//  - S is one variable: its posterior marginal is P(S | data);
//  - a noisy-OR finding of a copy solved by Quickscore: one more Quickscore sum with the finding
//    negative gives P(s = 0, data) / P(data) (solve.ts);
//  - a copy solved by the clique tree: the element's factor is assigned to a clique, so the
//    calibrated belief of that clique gives P(S | data) in the same pass (calibrate.ts), and
//    the sum above is done here in float64 (for noisy-OR, P(s = 0 | S) = A e^{-w·S});
//  - otherwise (enumeration, conditioning on a cutset) probes: the copy is solved again with the element's table replaced by
//    log p(x | S) for each state x (finite leaves), or by the indicator of each state s of S
//    (leaves of infinite support, whose mean and variance are then mixed in float64). Since
//    Σ_x p(x | S) = 1, Z_x / Σ_x' Z_x' = P(x | data); likewise Z_s / Σ Z = P(S = s | data).
//    The probes are batched over the copies that miss the same template factor, and use the
//    group's own method, so they cost a few more solves of the copies with missing entries.
import * as tf from '@tensorflow/tfjs';
import type { ModelPlan } from '../../compile/model.js';
import type { BoundModel } from '../../graph/bound.js';
import { prod as prodOf } from '../../util/shape.js';
import { groupTable, type Tables } from './groupTables.js';
import type { GroupPlan, Prepared } from './prepare.js';
import type { Group, GroupFactor } from './structure.js';
import type { LogTable } from './table.js';
import { leafTables } from './tables.js';

/** A table substituted for the elements `elems` of factor node `node` in one probe solve. */
export interface Probe {
  readonly node: number;
  readonly elems: ReadonlySet<number>;
  /** a noisy-OR finding scored at this value */
  readonly value?: number;
  /** a finite leaf's node-level table [S, E] of log p(x | s) for one state x */
  readonly table?: tf.Tensor2D;
  /** the indicator (log: 0 or -∞) of this template state */
  readonly state?: number;
}

/** The probe's table for the copies `elems` of group factor `p`: [C, states], a new tensor. */
export function probeTable(
  probe: Probe,
  p: GroupFactor,
  group: Group,
  elems: Int32Array,
  tables: Tables,
  prep: Prepared,
  base: LogTable,
): tf.Tensor2D {
  const nSlots = prep.nodes.factors[p.node].slotCards.length;
  if (probe.state !== undefined) {
    const states = base.t.shape[1];
    const row = new Float32Array(states).fill(Number.NEGATIVE_INFINITY);
    row[probe.state] = 0;
    return tf.tidy(() => tf.tile(tf.tensor2d(row, [1, states]), [elems.length, 1]) as tf.Tensor2D);
  }
  return groupTable(p, group, elems, tables, prep.noisyOr[p.node], nSlots, {
    node: probe.table,
    value: probe.value,
  }).t;
}

/** A solve of `copies` of a group whose log Z per copy goes to `sink`, with `probe` applied. */
export type ProbeRun = (gp: GroupPlan, copies: Int32Array, sink: ProbeSink, probe: Probe) => void;

/** Collects the log Z of each copy of a probe solve, in the order of the copies. */
export class ProbeSink {
  readonly logZ: number[] = [];
  /** copies arrive in order: the position in `logZ` is the copy's */
  addCopyLogZ(_copy: number, x: number): void {
    this.logZ.push(x);
  }
  set(): void {}
}

interface LeafState {
  readonly fi: number;
  readonly card: number;
  readonly noisyOr: boolean;
  /** finite: [E × card] probabilities */
  readonly p?: Float64Array;
  /** infinite support: per element */
  readonly mean?: Float64Array;
  readonly sd?: Float64Array;
  /** from leafTables, on first use */
  logP?: tf.Tensor3D;
  logPHost?: Float32Array;
  moments?: { readonly mean: Float32Array; readonly variance: Float32Array };
}

/** How many missing elements each way of answering filled (tests and reports). */
export interface PredictivePaths {
  /** from the posterior marginal of the one variable the element reads */
  marginal: number;
  /** by one more Quickscore sum */
  quickscore: number;
  /** from the calibrated clique beliefs, in the same pass */
  beliefs: number;
  /** by probe solves */
  probes: number;
}

/** The reported values of every barren leaf: observed entries as themselves, missing ones filled by the solve. */
export class LeafResults {
  private readonly byFactor = new Map<number, LeafState>();
  readonly paths: PredictivePaths = { marginal: 0, quickscore: 0, beliefs: 0, probes: 0 };

  constructor(
    private readonly model: BoundModel,
    private readonly plan: ModelPlan,
    private readonly prep: Prepared,
  ) {
    prep.nodes.factors.forEach((f, fi) => {
      if (!f.missing) return;
      const card = f.leafCard ?? 0;
      const E = f.elements;
      const value = model.values[f.name]?.data;
      const st: LeafState =
        card > 0
          ? {
              fi,
              card,
              noisyOr: !!prep.noisyOr[fi],
              p: new Float64Array(E * card).fill(Number.NaN),
            }
          : {
              fi,
              card,
              noisyOr: false,
              mean: new Float64Array(E).fill(Number.NaN),
              sd: new Float64Array(E).fill(Number.NaN),
            };
      for (let e = 0; e < E; e++) {
        if (f.missing[e] || !value) continue;
        if (st.p) {
          st.p.fill(0, e * card, (e + 1) * card);
          st.p[e * card + value[e]] = 1;
        } else if (st.mean && st.sd) {
          st.mean[e] = value[e];
          st.sd[e] = 0;
        }
      }
      this.byFactor.set(fi, st);
    });
    // missing elements that read no variable: their predictive is their distribution
    const { constants } = prep.structure;
    for (let i = 0; i < constants.length; i += 2) {
      const fi = constants[i];
      const e = constants[i + 1];
      const st = this.byFactor.get(fi);
      if (!st || !prep.nodes.factors[fi].missing?.[e]) continue;
      const params = prep.noisyOr[fi];
      if (params) this.setFinite(fi, e, [Math.exp(params.logA[e])], true);
      else this.setMixture(fi, e, [1]);
    }
  }

  /** the nodes and their values, for the report */
  entries(): {
    fi: number;
    p?: Float64Array;
    card: number;
    mean?: Float64Array;
    sd?: Float64Array;
  }[] {
    return [...this.byFactor.values()];
  }

  has(fi: number): boolean {
    return this.byFactor.has(fi);
  }

  /** whether element e of factor node fi already has its predictive */
  answered(fi: number, e: number): boolean {
    const st = this.byFactor.get(fi);
    if (!st) return false;
    return st.p ? !Number.isNaN(st.p[e * st.card]) : !Number.isNaN(st.mean?.[e] ?? Number.NaN);
  }

  /**
   * The predictive of element e of group factor `p` from the posterior of its scope, `b[at …
   * at + states)` in the order of the factor's table (groupTables.ts): for a noisy-OR finding the
   * states are the bits of `p.slots` (first slot most significant) and
   *   P(s = 0 | data) = Σ_S P(S | data) A e^{-w·S},  P(s = 1 | data) = Σ_S P(S | data) (1 - A e^{-w·S});
   * otherwise they are the node's template states, mixed by setMixture. Float64 sums.
   */
  setFromBelief(p: GroupFactor, e: number, b: ArrayLike<number>, at: number, states: number): void {
    const params = this.prep.noisyOr[p.node];
    if (params) {
      const nSlots = this.prep.nodes.factors[p.node].slotCards.length;
      const k = p.slots.length;
      let q0 = 0;
      let q1 = 0;
      for (let s = 0; s < states; s++) {
        const w = b[at + s];
        if (!(w > 0)) continue;
        let x = params.logA[e];
        for (let i = 0; i < k; i++)
          if ((s >> (k - 1 - i)) & 1) x -= params.w[e * nSlots + p.slots[i]];
        q0 += w * Math.exp(x);
        q1 += w * -Math.expm1(x);
      }
      const z = q0 + q1;
      this.setFinite(p.node, e, [q0 / z, q1 / z]);
    } else {
      const w = new Float64Array(states);
      let z = 0;
      for (let s = 0; s < states; s++) {
        w[s] = b[at + s];
        z += w[s];
      }
      for (let s = 0; s < states; s++) w[s] /= z;
      this.setMixture(p.node, e, w);
    }
    this.paths.beliefs++;
  }

  /** P(x) of element e; with `zeroOnly`, p holds P(s = 0) of a Bernoulli finding */
  setFinite(fi: number, e: number, p: ArrayLike<number>, zeroOnly = false): void {
    const st = this.byFactor.get(fi);
    if (!st?.p) throw new Error('internal: not a finite barren leaf');
    if (zeroOnly) {
      const q = Math.min(1, Math.max(0, p[0]));
      st.p[e * 2] = q;
      st.p[e * 2 + 1] = 1 - q;
      return;
    }
    for (let x = 0; x < st.card; x++) st.p[e * st.card + x] = p[x];
  }

  /** The predictive of element e given the posterior weights of its template states (float64). */
  setMixture(fi: number, e: number, w: ArrayLike<number>): void {
    const st = this.byFactor.get(fi);
    if (!st) throw new Error('internal: not a barren leaf');
    const f = this.prep.nodes.factors[fi];
    const E = f.elements;
    const S = w.length;
    if (st.p) {
      const T = this.hostLogP(st);
      for (let x = 0; x < st.card; x++) {
        let q = 0;
        for (let s = 0; s < S; s++)
          if (w[s] > 0) q += w[s] * Math.exp(T[(s * st.card + x) * E + e]);
        st.p[e * st.card + x] = q;
      }
      return;
    }
    const m = this.hostMoments(st);
    let mean = 0;
    for (let s = 0; s < S; s++) if (w[s] > 0) mean += w[s] * m.mean[s * E + e];
    // law of total variance: E[Var(y | s)] + Var(E[y | s]), no cancellation
    let v = 0;
    for (let s = 0; s < S; s++) {
      if (w[s] <= 0) continue;
      const d = m.mean[s * E + e] - mean;
      v += w[s] * (m.variance[s * E + e] + d * d);
    }
    (st.mean as Float64Array)[e] = mean;
    (st.sd as Float64Array)[e] = Math.sqrt(Math.max(0, v));
  }

  /** node-level log p(x | s) for state x: [S, E] (the caller disposes it) */
  stateTable(fi: number, x: number): tf.Tensor2D {
    const st = this.byFactor.get(fi);
    if (!st) throw new Error('internal: not a barren leaf');
    const T = this.tensorLogP(st);
    return tf.tidy(() => tf.squeeze(tf.slice(T, [0, x, 0], [-1, 1, -1]), [1]) as tf.Tensor2D);
  }

  private tensorLogP(st: LeafState): tf.Tensor3D {
    if (!st.logP) {
      const t = leafTables(this.model, this.plan, this.prep.nodes, this.prep.nodes.factors[st.fi]);
      if (!('logP' in t)) throw new Error('internal: a finite leaf without a table');
      st.logP = t.logP;
    }
    return st.logP;
  }

  private hostLogP(st: LeafState): Float32Array {
    if (!st.logPHost) st.logPHost = this.tensorLogP(st).dataSync() as Float32Array;
    return st.logPHost;
  }

  private hostMoments(st: LeafState): { mean: Float32Array; variance: Float32Array } {
    if (!st.moments) {
      const t = leafTables(this.model, this.plan, this.prep.nodes, this.prep.nodes.factors[st.fi]);
      if (!('mean' in t)) throw new Error('internal: a leaf of infinite support without moments');
      st.moments = t;
    }
    return st.moments;
  }

  /** Every missing element must have been answered: no silent gaps. */
  finish(): void {
    for (const st of this.byFactor.values()) {
      const arr = st.p ?? st.mean;
      if (arr?.some((x) => Number.isNaN(x))) {
        const name = this.prep.nodes.factors[st.fi].name;
        throw new Error(`internal: a missing entry of ${name} has no predictive`);
      }
    }
  }

  dispose(): void {
    for (const st of this.byFactor.values()) st.logP?.dispose();
  }
}

export function leafResults(model: BoundModel, plan: ModelPlan, prep: Prepared): LeafResults {
  return new LeafResults(model, plan, prep);
}

/**
 * The predictives of the missing leaf elements of a solved group: from the marginals where the
 * element reads one variable (all `copies`), by probes where it reads more (`probeCopies`) and
 * the solve has not answered it already (Quickscore, clique beliefs). The
 * probes of one leaf node run in rounds: round r probes the r-th missing element of every copy
 * that has one, all copies in one batched solve per state.
 */
export function solveLeaves(
  gp: GroupPlan,
  copies: Int32Array,
  probeCopies: Int32Array,
  prep: Prepared,
  leaves: LeafResults,
  marginal: (id: number) => ArrayLike<number>,
  run: ProbeRun,
): void {
  const { group } = gp;
  const n = group.cards.length;
  const nF = group.factors.length;
  const probed = new Map<number, number[][]>();
  group.factors.forEach((p, f) => {
    const fn = prep.nodes.factors[p.node];
    const missing = fn.missing;
    if (!missing || !leaves.has(p.node)) return;
    const params = prep.noisyOr[p.node];
    const nSlots = fn.slotCards.length;
    if (p.scope.length === 1) {
      for (const c of copies) {
        const e = group.copyElems[c * nF + f];
        if (!missing[e]) continue;
        const m = marginal(group.copyVars[c * n + p.scope[0]]);
        if (params) {
          // P(s = 0) = Σ_d P(d) A e^{-w d}
          const w = params.w[e * nSlots + p.slots[0]];
          const q = m[0] * Math.exp(params.logA[e]) + m[1] * Math.exp(params.logA[e] - w);
          leaves.setFinite(p.node, e, [q], true);
        } else leaves.setMixture(p.node, e, m);
        leaves.paths.marginal++;
      }
      return;
    }
    let lists = probed.get(p.node);
    if (!lists) {
      lists = probeCopies.length > 0 ? Array.from(probeCopies, () => []) : [];
      probed.set(p.node, lists);
    }
    probeCopies.forEach((c, j) => {
      const e = group.copyElems[c * nF + f];
      if (missing[e] && !leaves.answered(p.node, e)) (lists as number[][])[j].push(e);
    });
  });
  for (const [fi, lists] of probed) {
    const fn = prep.nodes.factors[fi];
    const params = prep.noisyOr[fi];
    // one probe per state x of a finite leaf, per template state of one of infinite support
    const card = fn.leafCard ?? 0;
    const K = card > 0 ? card : prodOf(fn.slotCards);
    const rounds = Math.max(0, ...lists.map((l) => l.length));
    for (let r = 0; r < rounds; r++) {
      const js = lists.flatMap((l, j) => (l.length > r ? [j] : []));
      const miss = Int32Array.from(js, (j) => probeCopies[j]);
      const elemsOf = Int32Array.from(js, (j) => lists[j][r]);
      const elems = new Set(elemsOf);
      const logZ = new Float64Array(miss.length * K);
      for (let k = 0; k < K; k++) {
        const table = card > 0 && !params ? leaves.stateTable(fi, k) : undefined;
        const probe: Probe =
          card > 0
            ? { node: fi, elems, ...(params ? { value: k } : { table }) }
            : { node: fi, elems, state: k };
        const sink = new ProbeSink();
        try {
          run(gp, miss, sink, probe);
        } finally {
          table?.dispose();
        }
        sink.logZ.forEach((z, j) => {
          logZ[j * K + k] = z;
        });
      }
      const w = new Float64Array(K);
      miss.forEach((_, j) => {
        let mx = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < K; k++) mx = Math.max(mx, logZ[j * K + k]);
        let z = 0;
        for (let k = 0; k < K; k++) {
          w[k] = Math.exp(logZ[j * K + k] - mx);
          z += w[k];
        }
        for (let k = 0; k < K; k++) w[k] /= z;
        if (card > 0) leaves.setFinite(fi, elemsOf[j], w);
        else leaves.setMixture(fi, elemsOf[j], w);
        leaves.paths.probes++;
      });
    }
  }
}
