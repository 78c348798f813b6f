// The batched tables of a group's factors: one row per copy (component instance), one column
// per joint state of the factor's scope. They come from the node tables (one compiled
// evaluation per node, kept in a cache) by a gather of the copies' elements, or for a noisy-OR
// finding from its parameters, with log1mexp for positive findings (precise where p is near 1).
import * as tf from '@tensorflow/tfjs';
import type { ModelPlan } from '../../compile/model.js';
import type { BoundModel } from '../../graph/bound.js';
import type { NoisyOrParams } from './noisyOr.js';
import type { Prepared } from './prepare.js';
import type { Group, GroupFactor } from './structure.js';
import type { LogTable } from './table.js';
import { nodeColumn, nodeTable } from './tables.js';

/** The node tables, evaluated on first use; dispose when done. */
export class Tables {
  private readonly cache = new Map<number, tf.Tensor2D>();
  private readonly hostData = new Map<number, Float32Array>();
  private readonly column = new Map<number, Float32Array | null>();
  constructor(
    private readonly model: BoundModel,
    private readonly plan: ModelPlan,
    private readonly prep: Prepared,
  ) {}

  tensor(fi: number): tf.Tensor2D {
    let t = this.cache.get(fi);
    if (!t) {
      const f = this.prep.nodes.factors[fi];
      t = nodeTable(this.model, this.plan, this.prep.nodes, f, !this.prep.generic);
      this.cache.set(fi, t);
    }
    return t;
  }

  /**
   * Node `fi`'s table on the host as [S × E] with E its elements, or [S] with E = 1 when every
   * element has the same column (a mixture's weights: tables.ts nodeColumn).
   */
  host(fi: number): { readonly data: Float32Array; readonly E: number } {
    let c = this.column.get(fi);
    if (c === undefined) {
      const f = this.prep.nodes.factors[fi];
      c = this.prep.generic
        ? null
        : (nodeColumn(this.model, this.plan, this.prep.nodes, f) ?? null);
      this.column.set(fi, c);
    }
    if (c) return { data: c, E: 1 };
    return { data: this.data(fi), E: this.prep.nodes.factors[fi].elements };
  }

  data(fi: number): Float32Array {
    let d = this.hostData.get(fi);
    if (!d) {
      d = this.tensor(fi).dataSync() as Float32Array;
      this.hostData.set(fi, d);
    }
    return d;
  }

  dispose(): void {
    for (const t of this.cache.values()) t.dispose();
    this.cache.clear();
  }
}

/**
 * The batched table [C, states] of one group factor for the copies `elems` (its elements).
 * `probe` replaces the node's table: a node-level table [S, E] (`node`), or for a noisy-OR
 * finding the value it is scored at (a missing finding's predictive, solve.ts).
 */
export function groupTable(
  p: GroupFactor,
  group: Group,
  elems: Int32Array,
  tables: Tables,
  params: NoisyOrParams | undefined,
  nSlots: number,
  probe?: { readonly node?: tf.Tensor2D; readonly value?: number },
): LogTable {
  const cards = p.scope.map((v) => group.cards[v]);
  const C = elems.length;
  if (!params) {
    const T = probe?.node ?? tables.tensor(p.node);
    // the copies often are the node's elements in order (one per case): no gather then
    const all = C === T.shape[1] && elems.every((e, c) => e === c);
    const t = tf.tidy(
      () => tf.transpose(all ? T : tf.gather(T, tf.tensor1d(elems, 'int32'), 1)) as tf.Tensor2D,
    );
    return { vars: p.scope, cards, t };
  }
  // a noisy-OR finding from its parameters: log P(s = 0 | d) = log A - w·d, P(s = 1) = 1 - P(s = 0)
  const k = p.slots.length;
  const w = new Float32Array(C * k);
  const logA = new Float32Array(C);
  const value = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const e = elems[c];
    logA[c] = params.logA[e];
    value[c] = probe?.value ?? params.value[e];
    for (let i = 0; i < k; i++) w[c * k + i] = params.w[e * nSlots + p.slots[i]];
  }
  const t = tf.tidy(() => {
    const S = 2 ** k;
    let neg: tf.Tensor = tf.tile(tf.tensor2d(logA, [C, 1]), [1, S]);
    if (k > 0) {
      const range = tf.range(0, S, 1, 'int32');
      const bits = Array.from({ length: k }, (_, i) =>
        tf.cast(
          tf.mod(tf.floorDiv(range, tf.scalar(2 ** (k - 1 - i), 'int32')), tf.scalar(2, 'int32')),
          'float32',
        ),
      );
      neg = tf.sub(neg, tf.matMul(tf.tensor2d(w, [C, k]), tf.stack(bits, 0)));
    }
    const pos = tf.log(tf.neg(tf.expm1(neg)));
    const v = tf.tensor2d(value, [C, 1]);
    const scored = tf.where(tf.equal(v, 1), pos, neg);
    // a missing finding sums out: log 1
    return tf.where(tf.isNaN(v), tf.zerosLike(scored), scored) as tf.Tensor2D;
  });
  return { vars: p.scope, cards, t };
}
