// Solving a prepared discrete model: factor tables for the nodes that need them, then each group
// of identical components by its method — Quickscore (float64, per copy), chunked enumeration or
// clique-tree calibration (tfjs, batched over the copies) — and log Z summed in float64.
import * as tf from '@tensorflow/tfjs';
import type { ModelPlan } from '../../compile/model.js';
import { userError } from '../../diagnostics/diagnostics.js';
import { log1mexp64 } from '../../distributions/special64.js';
import type { BoundModel } from '../../graph/bound.js';
import { prod, strides } from '../../util/shape.js';
import { enumerateOne } from './enumerate.js';
import {
  conditionTable,
  type FactorBelief,
  type PartGroup,
  type Partition,
  type Solved,
  solveTables,
} from './generic.js';
import { groupTable, Tables } from './groupTables.js';
import {
  type LeafResults,
  leafResults,
  type Probe,
  type ProbeRun,
  probeTable,
  solveLeaves,
} from './leaves.js';
import type { GroupPlan, Prepared } from './prepare.js';
import { type Finding, quickscore } from './quickscore.js';
import { aligned, type LogTable, splitScope } from './table.js';

export interface Solution {
  readonly logZ: number;
  /** per variable node (in `nodes.vars` order): posterior probabilities [size × card] */
  readonly marginals: Float64Array[];
  /**
   * per barren leaf (by factor index): observed entries as themselves, missing ones' predictive;
   * absent when the model was prepared without predictives (an E-step)
   */
  readonly leaves?: LeafResults;
  /** the method used for each group, with its number of copies (for reports and tests) */
  readonly methods: { method: string; copies: number; variables: number }[];
  /** per group plan (`prep.plans` order): log Z of each copy, i.e. of each component */
  readonly groupLogZ: Float64Array[];
  /** the log-factor of each constant element (`prep.structure.constants` pairs, in order) */
  readonly constantLogZ: Float64Array;
}

/** Largest Quickscore condition number (sum |terms| / |sum|) accepted: float64 rounding times it stays below 1e-6 relative; beyond it a copy is re-solved by the clique tree. */
const MAX_CONDITION = 1e9;
/** Table entries per batched chunk of copies. */
const CHUNK_ENTRIES = 1 << 23;

/** Where a solve puts log Z and the marginals: the model's Results, or a probe's log Z per copy. */
export interface Sink {
  /** log Z of one copy of the group being solved */
  addCopyLogZ(copy: number, x: number): void;
  set(id: number, src: ArrayLike<number>, at: number): void;
}

export class Results implements Sink {
  readonly marginals: Float64Array[];
  private readonly varNode: Int32Array;
  logZ = 0;
  readonly groupLogZ: Float64Array[];
  readonly constantLogZ: Float64Array;
  /** the group plan being solved (addCopyLogZ records under it) */
  group = 0;
  constructor(readonly prep: Prepared) {
    this.groupLogZ = prep.plans.map((gp) => new Float64Array(gp.group.copies));
    this.constantLogZ = new Float64Array(prep.structure.constants.length / 2);
    const { vars, nVars } = prep.nodes;
    this.marginals = vars.map((v) => new Float64Array(v.size * v.card));
    this.varNode = new Int32Array(nVars);
    vars.forEach((v, i) => {
      this.varNode.fill(i, v.offset, v.offset + v.size);
    });
  }

  /** marginal of global variable `id`: probabilities[0..card) read from `src` at `at` */
  set(id: number, src: ArrayLike<number>, at: number): void {
    const ni = this.varNode[id];
    const v = this.prep.nodes.vars[ni];
    const base = (id - v.offset) * v.card;
    for (let k = 0; k < v.card; k++) this.marginals[ni][base + k] = src[at + k];
  }

  /** log Z of one copy of the current group: added to the total and kept per copy */
  addCopyLogZ(copy: number, x: number): void {
    this.addLogZ(x);
    this.groupLogZ[this.group][copy] = x;
  }

  /**
   * The marginals of the global variables `ids` as one writable view, [ids.length × card], when
   * they are consecutive variables of one node (a plate's cases in order); else undefined.
   */
  slab(ids: ArrayLike<number>): Float64Array | undefined {
    const n = ids.length;
    if (n === 0) return undefined;
    const ni = this.varNode[ids[0]];
    const v = this.prep.nodes.vars[ni];
    if (this.varNode[ids[n - 1]] !== ni) return undefined;
    for (let j = 1; j < n; j++) if (ids[j] !== ids[0] + j) return undefined;
    const base = (ids[0] - v.offset) * v.card;
    return this.marginals[ni].subarray(base, base + n * v.card);
  }

  /** the marginal of global variable `id` (a view) */
  get(id: number): Float64Array {
    const ni = this.varNode[id];
    const v = this.prep.nodes.vars[ni];
    const base = (id - v.offset) * v.card;
    return this.marginals[ni].subarray(base, base + v.card);
  }

  addLogZ(x: number): void {
    if (x === Number.NEGATIVE_INFINITY || Number.isNaN(x)) {
      throw userError(
        'the data have probability zero under the model: every assignment of the discrete latents gives log-probability -Infinity',
        'data',
      );
    }
    this.logZ += x;
  }
}

/**
 * The batched table of group factor `f` for the copies `ids` (rows in the order of ids); the
 * elements a probe names get the probe's table instead.
 */
function tablesFor(
  gp: GroupPlan,
  f: number,
  elems: Int32Array,
  prep: Prepared,
  tables: Tables,
  probe?: Probe,
): LogTable {
  const p = gp.group.factors[f];
  const node = prep.nodes.factors[p.node];
  const nSlots = node.slotCards.length;
  const base = groupTable(p, gp.group, elems, tables, prep.noisyOr[p.node], nSlots);
  if (probe?.node !== p.node) return base;
  const hit = Float32Array.from(elems, (e) => (probe.elems.has(e) ? 1 : 0));
  if (!hit.includes(1)) return base;
  const alt = probeTable(probe, p, gp.group, elems, tables, prep, base);
  const t = tf.tidy(
    () => tf.where(tf.cast(tf.tensor2d(hit, [hit.length, 1]), 'bool'), alt, base.t) as tf.Tensor2D,
  );
  base.t.dispose();
  alt.dispose();
  return { ...base, t };
}

/**
 * The group factors whose missing leaf elements the clique tree answers from its beliefs: a
 * barren leaf reading more than one variable (one variable: its marginal suffices), all distinct.
 */
function beliefFactors(gp: GroupPlan, prep: Prepared, leaves: LeafResults): number[] {
  const out: number[] = [];
  gp.group.factors.forEach((p, f) => {
    const fn = prep.nodes.factors[p.node];
    if (!fn.missing || !leaves.has(p.node) || p.scope.length < 2) return;
    if (new Set(p.scope).size !== p.scope.length) return;
    out.push(f);
  });
  return out;
}

/** The element of group factor `f` in each of the copies `ids` (nF factors per copy). */
function copyElems(all: Int32Array, ids: Int32Array, nF: number, f: number): Int32Array {
  const out = new Int32Array(ids.length);
  for (let j = 0; j < ids.length; j++) out[j] = all[ids[j] * nF + f];
  return out;
}

/**
 * A group of one variable whose factors are node tables over that variable alone (a mixture's
 * cases: z[i] and x[i] given z[i]): solved on the host from the node tables (enumerateOne).
 */
function oneVariable(gp: GroupPlan, prep: Prepared): boolean {
  const { group } = gp;
  if (group.cards.length !== 1) return false;
  return group.factors.every((p) => {
    const f = prep.nodes.factors[p.node];
    return (
      !prep.noisyOr[p.node] &&
      p.scope.length === 1 &&
      f.slotCards.length === 1 &&
      f.slotCards[0] === group.cards[0]
    );
  });
}

function solveOne(gp: GroupPlan, copies: Int32Array, tables: Tables, res: Sink): void {
  const { group } = gp;
  const nF = group.factors.length;
  const K = group.cards[0];
  const C = copies.length;
  const vars = copyElems(group.copyVars, copies, 1, 0);
  // the posteriors straight into the results when the copies' variables lie in one block
  const out = res instanceof Results ? res.slab(vars) : undefined;
  const r = enumerateOne(
    K,
    group.factors.map((p) => tables.host(p.node).data),
    group.factors.map((_, f) => copyElems(group.copyElems, copies, nF, f)),
    C,
    out,
  );
  for (let j = 0; j < C; j++) res.addCopyLogZ(copies[j], r.logZ[j]);
  if (out) return;
  const p = r.marginals[0];
  for (let j = 0; j < C; j++) res.set(vars[j], p, j * K);
}

/**
 * Solve `copies` of a group by its generic method. With `leaves` (the model's solve, not a
 * probe), a clique-tree solve also fills the predictives of the missing leaf elements from the
 * calibrated beliefs (leaves.ts); what it leaves open is probed afterwards.
 */
export function solveGeneric(
  gp: GroupPlan,
  copies: Int32Array,
  prep: Prepared,
  tables: Tables,
  res: Sink,
  probe?: Probe,
  leaves?: LeafResults,
): void {
  if (gp.partition) {
    solveConditioned(gp, gp.partition, copies, prep, tables, res, probe);
    return;
  }
  if (!probe && !prep.generic && gp.method === 'enumerate' && oneVariable(gp, prep)) {
    solveOne(gp, copies, tables, res);
    return;
  }
  const { group } = gp;
  const n = group.cards.length;
  const nF = group.factors.length;
  const factorStates = group.factors.reduce(
    (a, p) => a + prod(p.scope.map((v) => group.cards[v])),
    0,
  );
  const chunk = Math.max(1, Math.floor(CHUNK_ENTRIES / factorStates));
  const method = gp.method === 'enumerate' ? 'enumerate' : 'cliques';
  const leafFactors = leaves && method === 'cliques' ? beliefFactors(gp, prep, leaves) : [];
  for (let c0 = 0; c0 < copies.length; c0 += chunk) {
    const ids = copies.subarray(c0, Math.min(copies.length, c0 + chunk));
    const C = ids.length;
    // only the factors with a missing element in this chunk
    const wanted = leafFactors.filter((f) => {
      const missing = prep.nodes.factors[group.factors[f].node].missing as Uint8Array;
      return ids.some((c) => missing[group.copyElems[c * nF + f]]);
    });
    const ts = group.factors.map((_, i) =>
      tablesFor(gp, i, copyElems(group.copyElems, ids, nF, i), prep, tables, probe),
    );
    try {
      const r = solveTables({
        cards: group.cards,
        tables: ts,
        copies: C,
        method,
        tree: gp.tree,
        beliefs: wanted,
      });
      for (let j = 0; j < C; j++) res.addCopyLogZ(ids[j], r.logZ[j]);
      for (let v = 0; v < n; v++) {
        const src = r.marginals[v];
        const card = group.cards[v];
        for (let j = 0; j < C; j++) res.set(group.copyVars[ids[j] * n + v], src, j * card);
      }
      if (leaves && r.beliefs) {
        wanted.forEach((f, q) => {
          const p = group.factors[f];
          const missing = prep.nodes.factors[p.node].missing as Uint8Array;
          const b = (r.beliefs as FactorBelief[])[q];
          const m = new Float64Array(b.factorStates);
          for (let j = 0; j < C; j++) {
            const e = group.copyElems[ids[j] * nF + f];
            if (!missing[e]) continue;
            // the clique's belief marginalised onto the factor's scope (float64)
            m.fill(0);
            const at = j * b.states;
            for (let s = 0; s < b.states; s++) m[b.map[s]] += b.clique[at + s];
            leaves.setFromBelief(p, e, m, 0, b.factorStates);
          }
        });
      }
    } finally {
      for (const t of ts) t.t.dispose();
    }
  }
}

/**
 * A component conditioned on its hub variables (generic.ts): every part group is solved
 * batched over (part, copy, cutset state), and the results are combined in float64.
 */
function solveConditioned(
  gp: GroupPlan,
  part: Partition,
  copies: Int32Array,
  prep: Prepared,
  tables: Tables,
  res: Sink,
  probe?: Probe,
): void {
  const { group } = gp;
  const n = group.cards.length;
  const nF = group.factors.length;
  const { cut, cutCards } = part;
  const cutSet = new Set(cut);
  const R = prod(cutCards);
  const cutStr = strides(cutCards);
  const factorStates = group.factors.reduce(
    (a, p) => a + prod(p.scope.map((v) => group.cards[v])),
    0,
  );
  const chunk = Math.max(1, Math.floor(CHUNK_ENTRIES / (R * factorStates)));
  for (let c0 = 0; c0 < copies.length; c0 += chunk) {
    const ids = copies.subarray(c0, Math.min(copies.length, c0 + chunk));
    const C = ids.length;
    // total[j, x]: the cutset's own factors plus every part's log Z given x (float64)
    const total = new Float64Array(C * R);
    const split = splitScope(cut, cutCards);
    for (const f of part.cutFactors) {
      const t = tablesFor(
        gp,
        f,
        Int32Array.from(ids, (c) => group.copyElems[c * nF + f]),
        prep,
        tables,
        probe,
      );
      const flat = tf.tidy(() =>
        tf.reshape(tf.add(tf.zeros([C, split.s1, split.s2]), aligned(t, split)), [C * R]),
      );
      const v = flat.dataSync();
      flat.dispose();
      t.t.dispose();
      for (let i = 0; i < C * R; i++) total[i] += v[i];
    }
    const solved: { g: PartGroup; s: Solved }[] = [];
    for (const g of part.groups) {
      const K = g.parts.length;
      const sub: LogTable[] = g.scopes.map((scope, q) => {
        const elems = new Int32Array(K * C);
        g.parts.forEach((pt, k) => {
          const f = pt.factors[q];
          for (let j = 0; j < C; j++) elems[k * C + j] = group.copyElems[ids[j] * nF + f];
        });
        const full = tablesFor(gp, g.parts[0].factors[q], elems, prep, tables, probe);
        const t = tf.tidy(() => conditionTable(full, cut, cutCards, cutSet) as tf.Tensor2D);
        full.t.dispose();
        return { vars: scope, cards: scope.map((l) => g.cards[l]), t };
      });
      try {
        const s = solveTables({
          cards: g.cards,
          tables: sub,
          copies: K * C * R,
          method: 'cliques',
        });
        for (let k = 0; k < K; k++) {
          for (let i = 0; i < C * R; i++) total[i] += s.logZ[k * C * R + i];
        }
        solved.push({ g, s });
      } finally {
        for (const t of sub) t.t.dispose();
      }
    }
    // per copy: log Z, the posterior of the cutset states, and the marginals mixed over them
    const w = new Float64Array(C * R);
    for (let j = 0; j < C; j++) {
      let m = Number.NEGATIVE_INFINITY;
      for (let x = 0; x < R; x++) m = Math.max(m, total[j * R + x]);
      let z = 0;
      if (m > Number.NEGATIVE_INFINITY)
        for (let x = 0; x < R; x++) z += Math.exp(total[j * R + x] - m);
      const logZ = m + Math.log(z);
      res.addCopyLogZ(ids[j], logZ);
      for (let x = 0; x < R; x++) w[j * R + x] = Math.exp(total[j * R + x] - logZ);
      cut.forEach((v, i) => {
        const q = new Float64Array(group.cards[v]);
        for (let x = 0; x < R; x++) q[Math.floor(x / cutStr[i]) % cutCards[i]] += w[j * R + x];
        res.set(group.copyVars[ids[j] * n + v], q, 0);
      });
    }
    for (const { g, s } of solved) {
      g.parts.forEach((pt, k) => {
        pt.vars.forEach((v, l) => {
          const card = g.cards[l];
          const src = s.marginals[l];
          const q = new Float64Array(card);
          for (let j = 0; j < C; j++) {
            q.fill(0);
            for (let x = 0; x < R; x++) {
              const wx = w[j * R + x];
              if (wx === 0) continue;
              const at = ((k * C + j) * R + x) * card;
              for (let c = 0; c < card; c++) q[c] += wx * src[at + c];
            }
            res.set(group.copyVars[ids[j] * n + v], q, 0);
          }
        });
      });
    }
  }
}

/**
 * Quickscore per copy. A missing finding sums out of the evidence; its predictive is
 * P(s = 0 | evidence) = P(evidence, s = 0) / P(evidence), one more Quickscore sum with s as a
 * negative finding (negatives cost O(K) each). Returns the copies Quickscore could not solve
 * within MAX_CONDITION, and those whose predictives it could not.
 */
function solveQuickscore(
  gp: GroupPlan,
  prep: Prepared,
  tables: Tables,
  res: Results,
  leaves: LeafResults | undefined,
): { failed: Int32Array; unprobed: Int32Array } {
  const { group } = gp;
  const n = group.cards.length;
  const nF = group.factors.length;
  const failed: number[] = [];
  const unprobed: number[] = [];
  const logPi0 = new Float64Array(n);
  const logPi1 = new Float64Array(n);
  const one = new Float64Array(2);
  for (let c = 0; c < group.copies; c++) {
    logPi0.fill(0);
    logPi1.fill(0);
    const negatives: Finding[] = [];
    const positives: Finding[] = [];
    const missing: { node: number; e: number; finding: Finding }[] = [];
    group.factors.forEach((p, i) => {
      const e = group.copyElems[c * nF + i];
      const params = prep.noisyOr[p.node];
      const nSlots = prep.nodes.factors[p.node].slotCards.length;
      if (params) {
        const finding: Finding = {
          logA: params.logA[e],
          vars: Int32Array.from(p.scope),
          w: Float64Array.from(p.slots, (s) => params.w[e * nSlots + s]),
        };
        if (Number.isNaN(params.value[e])) missing.push({ node: p.node, e, finding });
        else (params.value[e] === 1 ? positives : negatives).push(finding);
        return;
      }
      // a unary table (one slot of two states)
      const T = tables.data(p.node);
      const E = prep.nodes.factors[p.node].elements;
      logPi0[p.scope[0]] += T[e];
      logPi1[p.scope[0]] += T[E + e];
    });
    const sol = quickscore({ K: n, logPi0, logPi1, negatives, positives });
    if (!(sol.condition <= MAX_CONDITION) || !Number.isFinite(sol.logZ)) {
      failed.push(c);
      continue;
    }
    res.addCopyLogZ(c, sol.logZ);
    for (let v = 0; v < n; v++) {
      one[0] = 1 - sol.p1[v];
      one[1] = sol.p1[v];
      res.set(group.copyVars[c * n + v], one, 0);
    }
    let probed = true;
    if (leaves)
      for (const m of missing) {
        const q = quickscore({
          K: n,
          logPi0,
          logPi1,
          negatives: [...negatives, m.finding],
          positives,
        });
        if (!(q.condition <= MAX_CONDITION) || Number.isNaN(q.logZ)) probed = false;
        else {
          leaves.setFinite(m.node, m.e, [Math.exp(q.logZ - sol.logZ)], true);
          leaves.paths.quickscore++;
        }
      }
    if (!probed) unprobed.push(c);
  }
  return { failed: Int32Array.from(failed), unprobed: Int32Array.from(unprobed) };
}

/** Solve every group and collect log Z and the marginals. */
export function solve(
  model: BoundModel,
  plan: ModelPlan,
  prep: Prepared,
  onProgress?: (done: number, total: number) => void,
): Solution {
  const tables = new Tables(model, plan, prep);
  const res = new Results(prep);
  const leaves = prep.predictives ? leafResults(model, plan, prep) : undefined;
  const methods: Solution['methods'] = [];
  const marginal = (id: number) => res.get(id);
  const run: ProbeRun = (gp, copies, sink, probe) =>
    solveGeneric(gp, copies, prep, tables, sink, probe);
  try {
    // factor elements that read no variable contribute constants (a missing finding: log 1)
    const { constants } = prep.structure;
    for (let i = 0; i < constants.length; i += 2) {
      const fi = constants[i];
      const e = constants[i + 1];
      const params = prep.noisyOr[fi];
      if (params && Number.isNaN(params.value[e])) continue;
      const x = params
        ? params.value[e] === 1
          ? log1mexp64(params.logA[e])
          : params.logA[e]
        : tables.data(fi)[e];
      res.addLogZ(x);
      res.constantLogZ[i / 2] = x;
    }
    const total = prep.plans.length;
    prep.plans.forEach((gp, i) => {
      res.group = i;
      const all = new Int32Array(gp.group.copies);
      for (let c = 0; c < all.length; c++) all[c] = c;
      if (gp.method === 'quickscore') {
        const { failed, unprobed } = solveQuickscore(gp, prep, tables, res, leaves);
        methods.push({
          method: 'quickscore',
          copies: gp.group.copies - failed.length,
          variables: gp.group.cards.length,
        });
        const cliques: GroupPlan = { ...gp, method: 'cliques' };
        if (failed.length > 0) {
          solveGeneric(cliques, failed, prep, tables, res, undefined, leaves);
          methods.push({
            method: 'cliques',
            copies: failed.length,
            variables: gp.group.cards.length,
          });
        }
        const probe = Int32Array.from([...failed, ...unprobed]);
        if (leaves) solveLeaves(cliques, all, probe, prep, leaves, marginal, run);
      } else {
        solveGeneric(gp, all, prep, tables, res, undefined, leaves);
        methods.push({
          method: gp.partition ? 'conditioned' : gp.method,
          copies: gp.group.copies,
          variables: gp.group.cards.length,
        });
        if (leaves) solveLeaves(gp, all, all, prep, leaves, marginal, run);
      }
      onProgress?.(i + 1, total);
    });
    leaves?.finish();
  } finally {
    tables.dispose();
    leaves?.dispose();
  }
  return {
    logZ: res.logZ,
    marginals: res.marginals,
    leaves,
    methods,
    groupLogZ: res.groupLogZ,
    constantLogZ: res.constantLogZ,
  };
}
