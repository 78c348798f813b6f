// A plate of independent cases with its repeated cases merged: cases whose observed values are
// equal entry for entry have the same posterior and the same log-likelihood, so an E-step (or
// any per-case computation) on the U distinct cases, weighted by their counts, gives the
// answer for all N. Discrete data repeat a lot — 5,000 noisy-OR patients with 8 binary
// symptoms show at most 2^8 = 256 distinct cases — so the work drops by N/U.
//
// The merged model is the bound model with the case plate's size set to U and every node of
// the plate (its outermost axis is the case axis) cut to the first case of each kind. It
// applies only when that is the same model: the case size is mentioned by no expression, no
// array outside the plate has an axis of that size (data, params and hypers are shared by all
// cases), the plate and those nested in it are not ragged, and every valued node of the plate
// is discrete (continuous data hardly repeat: then nothing is merged and nothing is spent
// building keys).

import { DISTRIBUTIONS } from '../../distributions/signatures.js';
import type { BoundModel, NDArray, NodeShape, Observation, PlateAxis } from '../../graph/bound.js';
import { prod } from '../../util/shape.js';

export interface UniqueCases {
  /** the model on the U distinct cases */
  readonly bound: BoundModel;
  /** N */
  readonly cases: number;
  /** U */
  readonly unique: number;
  /** [N]: the distinct case of every case */
  readonly caseOf: Int32Array;
  /** [U]: how many cases each distinct case stands for */
  readonly counts: Float64Array;
  /** [U]: the first case of each kind */
  readonly first: Int32Array;
}

/** The merged model, or undefined when merging does not apply or merges nothing. */
export function uniqueCases(bound: BoundModel, plateIndex: string): UniqueCases | undefined {
  const { graph } = bound;
  const plates = Object.values(graph.plates);
  const home = plates.find((p) => p.index === plateIndex);
  if (!home || home.parent || home.raggedBy) return undefined;
  const ids = new Set(
    plates.filter((p) => p.index === home.index && p.size === home.size).map((p) => p.id),
  );
  const N = bound.sizes[home.size];
  if (typeof N !== 'number' || N < 2) return undefined;
  if (Object.keys(bound.ragged).length > 0) return undefined;
  // the nodes of the case plate, and the conditions under which they are all that varies by case
  const inPlate: string[] = [];
  for (const name of graph.order) {
    const node = graph.nodes[name];
    if (node.kind === 'size') continue;
    if (node.parents.includes(home.size)) return undefined;
    if (node.kind === 'deterministic' && (node.plates.length === 0 || !ids.has(node.plates[0]))) {
      // shared by all cases, unless it reads them (`sum(y)`)
      if (node.parents.some((p) => inPlate.includes(p))) return undefined;
      continue;
    }
    if (node.kind === 'stochastic' || node.kind === 'deterministic') {
      if (node.plates.length === 0 || !ids.has(node.plates[0])) return undefined;
      inPlate.push(name);
      if (node.kind === 'stochastic' && node.declaredType?.shape.includes(home.size))
        return undefined;
      if (
        node.kind === 'stochastic' &&
        bound.values[name] &&
        !DISTRIBUTIONS[node.distribution].discrete
      )
        return undefined;
    } else if (node.kind === 'net') return undefined;
    else if (node.type.shape.includes(home.size)) return undefined;
  }
  const valued = inPlate.filter((n) => bound.values[n]);
  const width = valued.map((n) => bound.values[n].data.length / N);
  // one key per case: its observed values (NaN for a missing entry), node after node
  const index = new Map<string, number>();
  const caseOf = new Int32Array(N);
  const first: number[] = [];
  const parts: number[] = [];
  for (let i = 0; i < N; i++) {
    parts.length = 0;
    valued.forEach((n, v) => {
      const d = bound.values[n].data;
      for (let e = 0; e < width[v]; e++) parts.push(d[i * width[v] + e]);
    });
    const key = parts.join(',');
    let u = index.get(key);
    if (u === undefined) {
      u = first.length;
      index.set(key, u);
      first.push(i);
    }
    caseOf[i] = u;
  }
  const U = first.length;
  if (U === N) return undefined;
  const counts = new Float64Array(U);
  for (let i = 0; i < N; i++) counts[caseOf[i]]++;
  const rows = <T extends Float64Array | Uint8Array>(src: T, per: number, out: T): T => {
    first.forEach((i, u) => {
      out.set(src.subarray(i * per, (i + 1) * per), u * per);
    });
    return out;
  };
  const shapes: Record<string, NodeShape> = { ...bound.shapes };
  const axes: Record<string, readonly PlateAxis[]> = { ...bound.axes };
  const values: Record<string, NDArray> = { ...bound.values };
  const observation: Record<string, Observation> = { ...bound.observation };
  for (const name of inPlate) {
    const s = bound.shapes[name];
    shapes[name] = { batch: [U, ...s.batch.slice(1)], event: s.event };
    const a = bound.axes[name];
    if (a?.length) axes[name] = [{ ...a[0], length: U }, ...a.slice(1)];
    const per = prod([...s.batch, ...s.event]) / N;
    const v = bound.values[name];
    if (v)
      values[name] = {
        shape: [U, ...v.shape.slice(1)],
        data: rows(v.data, per, new Float64Array(U * per)),
      };
    const o = bound.observation[name];
    if (o?.kind === 'partial')
      observation[name] = { kind: 'partial', mask: rows(o.mask, per, new Uint8Array(U * per)) };
  }
  return {
    bound: {
      ...bound,
      sizes: { ...bound.sizes, [home.size]: U },
      shapes,
      axes,
      values,
      observation,
    },
    cases: N,
    unique: U,
    caseOf,
    counts,
    first: Int32Array.from(first),
  };
}
