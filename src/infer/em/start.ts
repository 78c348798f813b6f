// Starting values given by the user (the `init` option, `--init start.json`): a param given in
// the data is fixed (registry.ts learnables), so a value em should start from, yet still learn,
// comes through this option. Each value is read as the data reads a param — at its own shape,
// broadcast to the declared one (`psi: 1` for `real(0,)[P]`), every entry finite and inside the
// declared type — and every problem is a PlatoError naming the param and the entry.

import { fullShape } from '../../compile/evaluator.js';
import { PlatoError } from '../../diagnostics/diagnostics.js';
import type { BoundModel } from '../../graph/bound.js';
import { broadcastTo } from '../../graph/evaluate.js';
import { Problems } from '../../graph/problems.js';
import { checkType } from '../../graph/support.js';
import { apparentShape, readValue } from '../../graph/values.js';
import type { NamedValues } from '../options.js';

/** The row-major index of flat entry i of an array of `shape`. */
function indexOf(i: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return out;
}

/**
 * The starting values in `init` (float64, each at its param's full shape), checked against the
 * model: every name a param em learns, every value of the param's declared shape and type.
 */
export function startValues(
  bound: BoundModel,
  learn: readonly string[],
  init: NamedValues,
): Record<string, Float64Array> {
  const { graph } = bound;
  const problems = new Problems(undefined, 'the init option');
  const out: Record<string, Float64Array> = {};
  const learned = new Set(learn);
  for (const [name, value] of Object.entries(init)) {
    const node = graph.nodes[name];
    if (!learned.has(name)) {
      const why =
        node?.kind === 'param'
          ? `param ${name} is given in the data, so it is fixed, not learned; give it in init only`
          : node
            ? `${name} is a ${node.kind === 'stochastic' ? 'random variable' : node.kind}, not a param`
            : `the model has no param ${name}`;
      problems.error(
        `init: ${why} (em learns ${learn.map((p) => `'${p}'`).join(', ') || 'nothing'})`,
        name,
      );
      continue;
    }
    if (node?.kind !== 'param') continue;
    const full = fullShape(bound, name);
    const own = apparentShape(value);
    const expected = `${full.length ? `[${full.join(', ')}]` : 'a number'} (or a shape that broadcasts to it)`;
    const r = readValue(
      value,
      {
        name,
        prefix: 'init ',
        axes: own.map((length) => ({ kind: 'fixed', length })),
        allowMissing: false,
        expected,
      },
      problems,
    );
    if (!r) continue;
    const b = broadcastTo(r.array, full);
    if (!b) {
      problems.error(`init ${name}: expected ${expected}, got [${r.array.shape.join(', ')}]`, name);
      continue;
    }
    const before = problems.errors.length;
    checkType(
      node.type,
      {
        name,
        prefix: 'init ',
        array: b,
        indexOf: (i) => indexOf(i, full),
        problems,
      },
      { sizes: bound.sizes, values: bound.values },
    );
    if (problems.errors.length === before) out[name] = Float64Array.from(b.data);
  }
  if (problems.failed) throw new PlatoError(problems.errors);
  return out;
}
