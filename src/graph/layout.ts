// The tensor layout of plates (src/graph/bound.ts): one batch axis per plate, outermost first,
// except that a ragged plate `n in N[d]` and the plate `d` selecting its size share ONE
// flattened axis of length sum_d N[d], d-major. In that order the flattened layout is exactly
// the depth-first order of the nested JSON arrays, so reading data needs no reordering.
import type { PlateAxis, RaggedSegments } from './bound.js';
import type { ModelGraph, Plate } from './ir.js';
import type { SizeValues } from './shapes.js';

/** Segments of every ragged plate (sizes must be resolved and consistent). */
export function raggedSegments(
  graph: ModelGraph,
  sizes: SizeValues,
): Record<string, RaggedSegments> {
  const out: Record<string, RaggedSegments> = {};
  for (const p of Object.values(graph.plates)) {
    if (!p.raggedBy) continue;
    const counts = sizes[p.size];
    if (!Array.isArray(counts)) continue;
    const offsets = new Int32Array(counts.length + 1);
    for (let d = 0; d < counts.length; d++) offsets[d + 1] = offsets[d] + counts[d];
    const outerIndex = new Int32Array(offsets[counts.length]);
    for (let d = 0; d < counts.length; d++) outerIndex.fill(d, offsets[d], offsets[d + 1]);
    out[p.id] = { plate: p.id, outer: p.raggedBy, counts: [...counts], outerIndex, offsets };
  }
  return out;
}

/** One axis of the nested (JSON) form of a node's value: a fixed length, or ragged counts. */
export type NestedAxis =
  | { readonly kind: 'fixed'; readonly length: number; readonly plate?: Plate }
  /** lengths indexed by the position along the previous axis (the outer plate) */
  | { readonly kind: 'ragged'; readonly counts: readonly number[]; readonly plate: Plate };

/** The nested axes of a node living in `plates` (ids) with event shape `event`. */
export function nestedAxes(
  graph: ModelGraph,
  plates: readonly string[],
  event: readonly number[],
  sizes: SizeValues,
): NestedAxis[] {
  const axes: NestedAxis[] = plates.map((id) => {
    const plate = graph.plates[id];
    const s = sizes[plate.size];
    return plate.raggedBy && Array.isArray(s)
      ? { kind: 'ragged', counts: s, plate }
      : { kind: 'fixed', length: typeof s === 'number' ? s : 0, plate };
  });
  for (const length of event) axes.push({ kind: 'fixed', length });
  return axes;
}

/** The batch axes of a node in the tensor layout (ragged pairs flattened). */
export function plateAxes(
  graph: ModelGraph,
  plates: readonly string[],
  sizes: SizeValues,
): PlateAxis[] {
  const axes: PlateAxis[] = [];
  for (const id of plates) {
    const plate = graph.plates[id];
    const s = sizes[plate.size];
    if (plate.raggedBy && Array.isArray(s)) {
      // the outer plate's axis (always the previous one) becomes the flattened pair
      const prev = axes.pop()!;
      axes.push({
        plates: [...prev.plates, id],
        length: s.reduce((a: number, b: number) => a + b, 0),
      });
    } else axes.push({ plates: [id], length: typeof s === 'number' ? s : 0 });
  }
  return axes;
}

/**
 * The nested (JSON) index of the element at row-major position `flat` of the tensor layout,
 * e.g. token 7 of document 0 of LDA's `w` → [0, 7]. Used only to name entries in messages.
 */
export function nestedIndex(
  flat: number,
  axes: readonly PlateAxis[],
  event: readonly number[],
  ragged: Readonly<Record<string, RaggedSegments>>,
): number[] {
  const lengths = [...axes.map((a) => a.length), ...event];
  const pos: number[] = new Array(lengths.length);
  let rest = flat;
  for (let i = lengths.length - 1; i >= 0; i--) {
    pos[i] = lengths[i] ? rest % lengths[i] : 0;
    rest = lengths[i] ? Math.floor(rest / lengths[i]) : 0;
  }
  const out: number[] = [];
  axes.forEach((a, i) => {
    const seg = a.plates.length === 2 ? ragged[a.plates[1]] : undefined;
    if (!seg) {
      out.push(pos[i]);
      return;
    }
    // binary search for the outer element whose segment holds pos[i]
    let lo = 0;
    let hi = seg.counts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (seg.offsets[mid] <= pos[i]) lo = mid;
      else hi = mid - 1;
    }
    out.push(lo, pos[i] - seg.offsets[lo]);
  });
  return [...out, ...pos.slice(axes.length)];
}
