// Data streamed from a JSON-lines file (stochastic VI over the outermost plate): each non-blank
// line is one element of that plate, a JSON object holding the element of every key the plate
// indexes (`{"w": [3, 17, 4]}` for a document of LDA; a ragged size such as `N` may be given or
// is inferred from the arrays); everything else (sizes, hypers, vocabularies) is the ordinary
// data file. The plate's size is the number of lines.
import { PlatoError } from '../diagnostics/diagnostics.js';
import { countLines, firstLine, type NumberedLine } from '../util/jsonl.js';
import type { DataInput } from './bound.js';
import { readDataText } from './data.js';
import type { ModelGraph } from './ir.js';
import { minibatchData, type OuterRecord, outerKeys } from './minibatch.js';

function fail(message: string, file: string): never {
  throw new PlatoError([{ kind: 'data', severity: 'error', message, file }], undefined, file);
}

/** One line as a record of `plate` (its keys must be indexed by that plate). */
export function readRecord(
  graph: ModelGraph,
  plate: string | undefined,
  l: NumberedLine,
  path: string,
): OuterRecord {
  const where = `${path}:${l.line}`;
  const v = readDataText(l.text, where) as unknown;
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    fail(
      `line ${l.line} of ${path} is not a JSON object (one element of the outermost plate, keyed by variable name)`,
      path,
    );
  if (plate) {
    const keys = outerKeys(graph, plate);
    for (const k of Object.keys(v))
      if (!keys.has(k))
        fail(
          `line ${l.line} of ${path} gives '${k}', which the plate ${graph.plates[plate].index} in ${graph.plates[plate].size} does not index: a line holds one element of that plate (${[...keys].join(', ')}); put the rest in the data file`,
          path,
        );
  }
  return v as OuterRecord;
}

/** The top-level plate that indexes every key of `record`. */
export function plateOfRecord(graph: ModelGraph, record: OuterRecord, path: string): string {
  const keys = Object.keys(record);
  const top = Object.values(graph.plates).filter((p) => p.parent === undefined);
  const fits = top.filter((p) => {
    const k = outerKeys(graph, p.id);
    return keys.length > 0 && keys.every((x) => k.has(x));
  });
  if (fits.length !== 1)
    fail(
      fits.length === 0
        ? `the first line of ${path} (keys ${keys.join(', ') || 'none'}) is not one element of a top-level plate: each line holds, for one element of the outermost plate, the variables that plate indexes`
        : `the first line of ${path} fits the plates ${fits.map((p) => p.index).join(' and ')}: ambiguous`,
      path,
    );
  return fits[0].id;
}

/**
 * The data to bind before streaming: `meta` with the stream's first line as a plate of one
 * element, so the model is bound (shapes, observed nodes, engine choice) as it will be for
 * every minibatch; the engine then reads the file itself.
 */
export async function streamProbe(
  graph: ModelGraph,
  meta: DataInput,
  path: string,
): Promise<DataInput> {
  let l: NumberedLine | undefined;
  try {
    l = await firstLine(path);
  } catch (e) {
    fail(`cannot read the stream ${path}: ${(e as Error).message}`, path);
  }
  if (!l) fail(`the stream ${path} has no lines`, path);
  const r = readRecord(graph, undefined, l, path);
  const plate = plateOfRecord(graph, r, path);
  // the plate's size is the number of lines: a size the data file also gives must agree
  const size = graph.plates[plate].size;
  const given = (meta as Record<string, unknown>)[size];
  if (given !== undefined) {
    const n = await countLines(path);
    if (given !== n)
      fail(
        `the data file gives ${size} = ${JSON.stringify(given)}, but the stream ${path} has ${n} lines (elements of the plate ${graph.plates[plate].index} in ${size}): drop ${size} from the data file, or make it ${n}`,
        path,
      );
  }
  return minibatchData(graph, plate, meta, [r]);
}
