// Minibatches of the outermost plate (stochastic VI, Hoffman et al. 2013): a bound model's data
// split into the part that does not depend on one plate (the "meta": sizes, hypers, everything
// outside the plate) and one record per element of that plate (a document's words), and a
// minibatch of records joined with the meta into ordinary data that `bind` reads with the
// plate's size set to the minibatch's. So an engine binds one minibatch at a time through the
// same binder as the whole data set, and a JSON-lines file of records is read the same way.

import { type NestAxis, type Nested, toNested } from '../util/nested.js';
import type { BoundModel, DataInput, DataValue } from './bound.js';
import type { ModelGraph } from './ir.js';

/** One element of the outermost plate: each key indexed by the plate, at that element. */
export type OuterRecord = Readonly<Record<string, DataValue>>;

/** The names whose values are indexed by the top-level plate `plate`: its nodes, ragged sizes. */
export function outerKeys(graph: ModelGraph, plate: string): Set<string> {
  const size = graph.plates[plate].size;
  const out = new Set<string>();
  for (const n of Object.values(graph.nodes)) {
    if (n.plates[0] === plate) out.add(n.name);
    else if (n.kind === 'size' && n.raggedOver === size) out.add(n.name);
  }
  return out;
}

/** Float64 leaves as themselves; a missing entry (NaN) as null, as the data gave it. */
const leaf = (v: number): number | null => (Number.isNaN(v) ? null : v);

/** The nesting of a bound value: its plate axes (ragged pairs unflattened), then its event axes. */
function nestAxes(bound: BoundModel, name: string): NestAxis[] {
  const axes: NestAxis[] = (bound.axes[name] ?? []).map((a) =>
    a.plates.length === 2
      ? { kind: 'ragged', offsets: bound.ragged[a.plates[1]].offsets }
      : { kind: 'fixed', length: a.length },
  );
  for (const e of bound.shapes[name]?.event ?? []) axes.push({ kind: 'fixed', length: e });
  return axes;
}

/**
 * Everything the data gave (or defaults fixed) that is not indexed by `plate`: every size but
 * the plate's own and the ragged sizes over it, and every known value outside the plate.
 */
export function metaOf(bound: BoundModel, plate: string): Record<string, DataValue> {
  const keys = outerKeys(bound.graph, plate);
  const own = bound.graph.plates[plate].size;
  const out: Record<string, DataValue> = {};
  for (const [name, v] of Object.entries(bound.sizes)) {
    if (name === own || keys.has(name)) continue;
    out[name] = typeof v === 'number' ? v : [...v];
  }
  for (const [name, v] of Object.entries(bound.values)) {
    if (keys.has(name) || name in out) continue;
    out[name] = toNested(v.data, nestAxes(bound, name), leaf) as DataValue;
  }
  return out;
}

/**
 * Element i of the plate as a record (the known values indexed by it, the ragged sizes over it):
 * what one line of a JSON-lines file holds. Values whose only ragged axis is the plate's pair.
 */
export function recordOf(bound: BoundModel, plate: string, i: number): Record<string, DataValue> {
  const keys = outerKeys(bound.graph, plate);
  const out: Record<string, DataValue> = {};
  for (const name of keys) {
    const s = bound.sizes[name];
    if (s !== undefined) {
      if (typeof s !== 'number') out[name] = s[i];
      continue;
    }
    const v = bound.values[name];
    if (!v) continue;
    const [first, ...rest] = nestAxes(bound, name);
    const stride = rest.reduce((a, x) => a * (x.kind === 'fixed' ? x.length : Number.NaN), 1);
    if (Number.isNaN(stride))
      throw new Error(`recordOf: ${name} has a ragged axis inside the plate ${plate}`);
    const [lo, hi] =
      first.kind === 'ragged' ? [first.offsets[i], first.offsets[i + 1]] : [i, i + 1];
    const slice = v.data.subarray(lo * stride, hi * stride);
    out[name] = (first.kind === 'ragged'
      ? toNested(slice, [{ kind: 'fixed', length: hi - lo }, ...rest], leaf)
      : toNested(slice, rest, leaf)) as Nested as DataValue;
  }
  return out;
}

/**
 * The data of a minibatch: the meta, the plate's size set to the number of records, and each
 * record key stacked over the records (a key absent from some record is left to the binder:
 * a ragged size is inferred from the arrays that use it).
 */
export function minibatchData(
  graph: ModelGraph,
  plate: string,
  meta: DataInput,
  records: readonly OuterRecord[],
): DataInput {
  const keys = outerKeys(graph, plate);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) if (!keys.has(k)) out[k] = v;
  out[graph.plates[plate].size] = records.length;
  const present = new Set(records.flatMap((r) => Object.keys(r)));
  for (const k of present) {
    if (records.every((r) => r[k] !== undefined)) out[k] = records.map((r) => r[k]);
  }
  return out;
}
