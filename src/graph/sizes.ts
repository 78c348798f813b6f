// Resolving sizes at binding (DESIGN.md §3): from the data, else the file's default, else
// inferred from the shapes of the arrays that use them (observed stochastic nodes, data,
// hypers and params given in the data). Disagreements name the size and both sources.
import type { GraphNode, ModelGraph, Plate, SizeNode } from './ir.js';
import { countText, MAX_RANK, MAX_VALUES } from './limits.js';
import type { Problems } from './problems.js';
import { isUnknownDim, type NodeShapeInfo, type ShapeAnalysis, type SizeValues } from './shapes.js';
import { describe, isDenseInput } from './values.js';

type Known =
  | {
      readonly how: 'data' | 'default' | 'inferred';
      readonly value: number;
      readonly source: string;
    }
  | {
      readonly how: 'data' | 'inferred';
      /** NaN where a row was null (its length is unknown) */
      readonly counts: readonly number[];
      readonly source: string;
    };

/** A symbolic axis of a node's nested value: a plate axis or an event axis. */
interface SymAxis {
  readonly dim: string | number;
  readonly plate?: Plate;
  readonly ragged: boolean;
}

function symAxes(graph: ModelGraph, node: GraphNode, info: NodeShapeInfo): SymAxis[] {
  const plates = node.plates.map((id) => graph.plates[id]);
  return [
    ...plates.map((p) => ({ dim: p.size, plate: p, ragged: p.raggedBy !== undefined })),
    ...info.event.map((d) => ({ dim: d, ragged: false })),
  ];
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

export function sizeNodes(graph: ModelGraph): SizeNode[] {
  const all = [graph, ...(graph.guide ? [graph.guide] : [])].flatMap((g) =>
    g.order.map((n) => g.nodes[n]).filter((n): n is SizeNode => n.kind === 'size'),
  );
  const seen = new Set<string>();
  return all.filter((s) => !seen.has(s.name) && seen.add(s.name));
}

/**
 * Resolve every size. `analysis` is the symbolic shape analysis (event shapes with size names).
 * Returns undefined if a size stays unknown or conflicts (the problems are reported).
 */
export function resolveSizes(
  graph: ModelGraph,
  analysis: ShapeAnalysis,
  data: Readonly<Record<string, unknown>>,
  problems: Problems,
): SizeValues | undefined {
  const sizes = sizeNodes(graph);
  const byName = new Map(sizes.map((s) => [s.name, s]));
  const known = new Map<string, Known>();
  /** a ragged size given (or defaulted) as one number for every outer element */
  const uniform = new Map<string, { value: number; how: 'data' | 'default' }>();
  const before = problems.errors.length;
  /** given in the data but unusable (already reported) */
  const invalid = new Set<string>();

  // 1. given in the data; 2. defaults
  for (const s of sizes) {
    if (!Object.hasOwn(data, s.name)) continue;
    const v = data[s.name];
    if (s.raggedOver) {
      if (isCount(v)) uniform.set(s.name, { value: v, how: 'data' });
      else if (Array.isArray(v) && v.every(isCount)) {
        known.set(s.name, { how: 'data', counts: v, source: `the data gives ${v.length} counts` });
      } else {
        invalid.add(s.name);
        // name the first bad count of an array, not just "an array of 2"
        const bad = Array.isArray(v) ? v.findIndex((c) => !isCount(c)) : -1;
        const got =
          bad >= 0 ? `${s.name}[${bad}] = ${describeSize((v as unknown[])[bad])}` : describeSize(v);
        problems.error(
          `size ${s.name}[${s.raggedOver}]: expected one non-negative integer per element of ${s.raggedOver} (or one for all), got ${got}`,
          s.name,
        );
      }
    } else if (isCount(v))
      known.set(s.name, { how: 'data', value: v, source: `the data says ${v}` });
    else {
      invalid.add(s.name);
      problems.error(
        `size ${s.name}: expected a non-negative integer, got ${describeSize(v)}`,
        s.name,
      );
    }
  }
  for (const s of sizes) {
    if (known.has(s.name) || uniform.has(s.name) || s.default === undefined) continue;
    if (s.raggedOver) uniform.set(s.name, { value: s.default, how: 'default' });
    else
      known.set(s.name, {
        how: 'default',
        value: s.default,
        source: `the model file says ${s.default}`,
      });
  }
  // a ragged size given as counts fixes its outer size
  for (const s of sizes) {
    const k = known.get(s.name);
    if (s.raggedOver && k && 'counts' in k) {
      note(
        s.raggedOver,
        k.counts.length,
        `${s.name} has ${k.counts.length} counts (one per element of ${s.raggedOver})`,
      );
    }
  }

  function note(size: string, length: number, source: string): void {
    const s = byName.get(size);
    if (!s || s.raggedOver) return;
    const k = known.get(size);
    if (!k) {
      known.set(size, { how: 'inferred', value: length, source });
      return;
    }
    if (!('value' in k) || k.value === length) return;
    problems.error(`size ${size}: ${k.source} but ${source}`, size);
  }

  function noteRagged(size: string, lengths: number[], variable: string): void {
    const s = byName.get(size);
    if (!s?.raggedOver) return;
    const k = known.get(size);
    if (!k) {
      known.set(size, { how: 'inferred', counts: lengths, source: variable });
      return;
    }
    if (!('counts' in k)) return;
    for (let d = 0; d < Math.min(lengths.length, k.counts.length); d++) {
      const a = k.counts[d];
      const b = lengths[d];
      if (Number.isNaN(a) || Number.isNaN(b) || a === b) continue;
      const said =
        k.how === 'data'
          ? `the data says ${size}[${d}] = ${a}`
          : `${k.source}[${d}] has ${a} entries`;
      problems.error(`size ${size}: ${said} but ${variable}[${d}] has ${b} entries`, size);
      return;
    }
  }

  // 3. inferred from the arrays that use them
  for (const name of graph.order) {
    const node = graph.nodes[name];
    const info = analysis.nodes[name];
    if (!info || !Object.hasOwn(data, name) || node.kind === 'deterministic') continue;
    const axes = symAxes(graph, node, info);
    const v = data[name];
    if (isDenseInput(v)) {
      if (v.shape.length === axes.length && !axes.some((a) => a.ragged)) {
        for (const [i, len] of v.shape.entries()) observe(name, axes, i, len);
      }
      continue;
    }
    if (!Array.isArray(v)) continue;
    // hypers and params broadcast: only a value of their full rank tells their sizes
    if ((node.kind === 'hyper' || node.kind === 'param') && depthOf(v) !== axes.length) continue;
    let cur: unknown = v;
    let prev: unknown[] = [];
    for (let depth = 0; depth < axes.length && Array.isArray(cur); depth++) {
      const a = axes[depth];
      let arr: unknown[] = cur;
      if (a.ragged && typeof a.dim === 'string') {
        noteRagged(
          a.dim,
          prev.map((row) => (Array.isArray(row) ? row.length : Number.NaN)),
          name,
        );
        const row = prev.find((r) => Array.isArray(r) && r.length > 0);
        if (!Array.isArray(row)) break;
        arr = row;
      } else observe(name, axes, depth, arr.length);
      prev = arr;
      cur = arr.find((x) => x !== null) ?? null;
    }
  }

  function observe(name: string, axes: SymAxis[], depth: number, length: number): void {
    const a = axes[depth];
    if (typeof a.dim !== 'string' || isUnknownDim(a.dim)) return;
    const along = a.plate ? `plate ${a.plate.index}` : `axis ${depth}`;
    note(a.dim, length, `${name} has ${length} entries along ${along}`);
  }

  // a size past what memory holds fails here, with its name, not later as an out-of-memory abort
  const tooLarge = (name: string, what: string, how: string) => {
    invalid.add(name);
    problems.error(
      `size ${name}: ${what} is too large (${how}); at most ${MAX_VALUES} values fit in one variable`,
      name,
    );
  };
  const origin = (how: string) =>
    how === 'default'
      ? 'set in the model file'
      : how === 'data'
        ? 'given in the data'
        : 'inferred from the data';
  for (const s of sizes) {
    const k = known.get(s.name);
    const u = uniform.get(s.name);
    if (k && 'value' in k && k.value > MAX_VALUES)
      tooLarge(s.name, `${s.name} = ${countText(k.value)}`, origin(k.how));
    else if (k && 'counts' in k) {
      const total = k.counts.reduce((a, b) => a + (Number.isNaN(b) ? 0 : b), 0);
      if (total > MAX_VALUES)
        tooLarge(s.name, `the counts add up to ${countText(total)}, which`, origin(k.how));
    }
    if (u && u.value > MAX_VALUES)
      tooLarge(s.name, `${s.name} = ${countText(u.value)}`, origin(u.how));
  }
  for (const s of sizes) {
    const u = uniform.get(s.name);
    const k = s.raggedOver ? known.get(s.raggedOver) : undefined;
    if (invalid.has(s.name) || !u || !k || !('value' in k) || invalid.has(s.raggedOver!)) continue;
    if (u.value * k.value > MAX_VALUES) {
      tooLarge(
        s.name,
        `${u.value} for each of ${s.raggedOver} = ${k.value} makes ${countText(u.value * k.value)}, which`,
        origin(u.how),
      );
    }
  }

  // expand uniform ragged sizes, check counts against their outer size, and require all
  const out: Record<string, number | number[]> = {};
  for (const s of sizes) {
    const k = known.get(s.name);
    if (k && 'value' in k && !invalid.has(s.name)) out[s.name] = k.value;
  }
  for (const s of sizes) {
    if (invalid.has(s.name)) continue;
    if (!s.raggedOver) {
      if (out[s.name] === undefined) {
        problems.error(
          `size ${s.name} is not given and cannot be inferred from the data: ${problems.giveIn(s.name)}`,
          s.name,
        );
      }
      continue;
    }
    const outer = out[s.raggedOver];
    const k = known.get(s.name);
    const u = uniform.get(s.name);
    if (k && 'counts' in k) {
      if (u && k.counts.some((c) => c !== u.value && !Number.isNaN(c))) {
        const d = k.counts.findIndex((c) => c !== u.value && !Number.isNaN(c));
        const said = u.how === 'data' ? 'the data says' : 'the model file says';
        problems.error(
          `size ${s.name}: ${said} ${u.value} for every ${s.raggedOver} but ${k.source}[${d}] has ${k.counts[d]} entries`,
          s.name,
        );
      }
      const d = k.counts.findIndex(Number.isNaN);
      if (d >= 0 && !u) {
        problems.error(
          `size ${s.name}[${d}] cannot be inferred (${k.source}[${d}] is null): ${problems.giveIn(s.name)}`,
          s.name,
        );
      }
      out[s.name] = u ? k.counts.map(() => u.value) : [...k.counts];
    } else if (u && typeof outer === 'number') out[s.name] = new Array<number>(outer).fill(u.value);
    else if (!u) {
      problems.error(
        `size ${s.name}[${s.raggedOver}] is not given and cannot be inferred from the data: ${problems.giveIn(s.name)}`,
        s.name,
      );
    }
    const counts = out[s.name];
    // (a disagreement was already reported when the counts or the arrays were noted)
    if (
      problems.errors.length === before &&
      Array.isArray(counts) &&
      typeof outer === 'number' &&
      counts.length !== outer
    ) {
      problems.error(
        `size ${s.name}[${s.raggedOver}]: ${s.raggedOver} = ${outer} but ${s.name} has ${counts.length} counts`,
        s.name,
      );
    }
  }
  return problems.errors.length > before ? undefined : out;
}

function depthOf(v: unknown): number {
  let d = 0;
  let cur = v;
  while (Array.isArray(cur) && d <= MAX_RANK) {
    d++;
    cur = cur.find((x) => x !== null) ?? null;
  }
  return d;
}

function describeSize(v: unknown): string {
  return typeof v === 'number' ? String(v) : describe(v);
}
