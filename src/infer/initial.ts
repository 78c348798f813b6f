// Loaded values (`--load fit.json`, the library's `initial`) checked against the model before
// any engine or the sampler sees them. Names are those of a fit's result `params` (DESIGN §5):
// a param, a net weight `f.W0` / `f.b0` … (src/compile/net.ts: W_l [in, out], b_l [out]), or a
// guide's learned value `guide.…` (its engine, avi, checks those). Rules:
// - a name the model has none of: a warning, and the value is dropped (a fit of another
//   version of the model still loads what matches);
// - a param the data fixes: a warning, and the data's value stands;
// - a shape other than the model's: a PlatoError naming the key and both shapes;
// - a param's value outside its declared type (`real(0,)` negative, a simplex row not summing
//   to 1): a PlatoError naming the key and entry, as the data's checks do.
// This module loads no tensors.
import { PlatoError, warning } from '../diagnostics/diagnostics.js';
import type { BoundModel } from '../graph/bound.js';
import type { NetNode } from '../graph/ir.js';
import { Problems } from '../graph/problems.js';
import { checkType } from '../graph/support.js';
import { prod, unravelIndex } from '../util/shape.js';
import type { InitialValues } from './options.js';

/** The prefix of a guide's learned values in a saved fit. */
export const GUIDE_PREFIX = 'guide.';

const showShape = (s: readonly number[]) => `[${s.join(', ')}]`;

/** The shape of net weight `f.W0` / `f.b0` of the model, undefined if it has no such weight. */
export function netWeightShape(bound: BoundModel, name: string): number[] | undefined {
  const m = /^(.+)\.([Wb])(\d+)$/.exec(name);
  if (!m) return undefined;
  const net = bound.graph.nodes[m[1]];
  if (net?.kind !== 'net') return undefined;
  const layers = (net as NetNode).layers.map((d) =>
    typeof d === 'number' ? d : (bound.sizes[d] as number),
  );
  const l = Number(m[3]);
  if (l + 1 >= layers.length || String(l) !== m[3]) return undefined;
  return m[2] === 'W' ? [layers[l], layers[l + 1]] : [layers[l + 1]];
}

/**
 * The library's `initial` option as given by a program: an object keyed by name whose entries
 * are `{ shape, data }` with float typed-array data. Anything else is a PlatoError naming the
 * key (a saved result's JSON goes through `savedParams` first).
 */
export function checkInitialShape(initial: unknown): InitialValues {
  const bad = (what: string) =>
    new PlatoError([
      { kind: 'unsupported', severity: 'error', message: `option 'initial' ${what}` },
    ]);
  if (typeof initial !== 'object' || initial === null || Array.isArray(initial))
    throw bad('must be an object keyed by name (savedParams(result) makes one from a saved fit)');
  for (const [name, v] of Object.entries(initial)) {
    const e = v as { shape?: unknown; data?: unknown } | null;
    const ok =
      typeof e === 'object' &&
      e !== null &&
      Array.isArray(e.shape) &&
      e.shape.every((d) => Number.isSafeInteger(d) && d >= 0) &&
      (e.data instanceof Float32Array || e.data instanceof Float64Array);
    if (!ok)
      throw bad(
        `"${name}" must be { shape: number[], data: Float32Array | Float64Array } (savedParams(result) makes these from a saved fit)`,
      );
  }
  return initial as InitialValues;
}

export interface InitialContext {
  /** the file the values came from (`--load fit.json`), for messages */
  readonly file?: string;
  /** called with each warning (an unknown name, a param the data fixes) */
  readonly onWarning?: (w: ReturnType<typeof warning>) => void;
}

/**
 * The loaded values the model can take (see the rules above): params it does not fix, net
 * weights, guide values; each at the model's full shape. Throws a PlatoError for a wrong shape
 * or a value outside a param's type, naming the key.
 */
export function checkInitial(
  bound: BoundModel,
  initial: InitialValues,
  context: InitialContext = {},
): InitialValues {
  const problems = new Problems(context.file, 'the loaded values');
  // messages are rendered under the file's name (`fit.json: error: …`)
  const warn = (message: string) =>
    context.onWarning?.({ ...warning('data', message), file: context.file });
  const fixed = new Set(bound.fixedParams);
  const out: Record<string, InitialValues[string]> = {};
  for (const [name, value] of Object.entries(initial)) {
    if (prod(value.shape) !== value.data.length) {
      problems.error(
        `loaded ${name}: ${value.data.length} values for shape ${showShape(value.shape)}`,
        name,
      );
      continue;
    }
    if (name.startsWith(GUIDE_PREFIX)) {
      out[name] = value; // the guide's engine checks its own values
      continue;
    }
    const node = bound.graph.nodes[name];
    let want: number[] | undefined;
    if (node?.kind === 'param') {
      if (fixed.has(name)) {
        warn(`loaded param ${name} is given in the data; the data's value is used`);
        continue;
      }
      const s = bound.shapes[name];
      want = [...s.batch, ...s.event];
    } else want = netWeightShape(bound, name);
    if (!want) {
      const what = node
        ? `${name} is a ${node.kind} node, not a param or net weight`
        : `the model has no param or net weight ${name}`;
      warn(`loaded ${name} is ignored: ${what}`);
      continue;
    }
    if (want.length !== value.shape.length || want.some((d, i) => d !== value.shape[i])) {
      problems.error(
        `loaded ${name} has shape ${showShape(value.shape)}; the model's ${name} has shape ${showShape(want)}`,
        name,
      );
      continue;
    }
    if (node?.kind === 'param') {
      const before = problems.errors.length;
      checkType(
        node.type,
        {
          name,
          prefix: 'loaded ',
          array: { shape: want, data: Float64Array.from(value.data) },
          indexOf: (i) => unravelIndex(i, want),
          problems,
        },
        { sizes: bound.sizes, values: bound.values },
      );
      if (problems.errors.length > before) continue;
    }
    out[name] = value;
  }
  if (problems.failed) throw new PlatoError(problems.errors);
  return out;
}
