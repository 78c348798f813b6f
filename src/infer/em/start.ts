// Starting values given by the user (the `init` option, `--init start.json`): a param given in
// the data is fixed (registry.ts learnables), so a value em should start from, yet still learn,
// comes through this option. Each value is read as the data reads a param — at its own shape,
// broadcast to the declared one (`psi: 1` for `real(0,)[P]`), every entry finite and inside the
// declared type — and every problem is a PlatoError naming the param and the entry.
// A saved fit's params (`--load fit.json`, the shared `initial` option, checked against the model
// in src/infer/initial.ts) start the params em learns that `init` does not name.

import { fullShape } from '../../compile/evaluator.js';
import { PlatoError } from '../../diagnostics/diagnostics.js';
import type { BoundModel } from '../../graph/bound.js';
import { broadcastTo } from '../../graph/evaluate.js';
import { Problems } from '../../graph/problems.js';
import { checkType } from '../../graph/support.js';
import { apparentShape, readValue } from '../../graph/values.js';
import { unravelIndex } from '../../util/shape.js';
import type { InitialValues, NamedValues } from '../options.js';

/**
 * The starting values in `init` (float64, each at its param's full shape), checked against the
 * model: every name a param em learns, every value of the param's declared shape and type;
 * then the loaded `initial` values of the learned params `init` leaves out. Loaded values of
 * names em does not learn (net weights, a guide's) are not em's: they are left out.
 */
export function startValues(
  bound: BoundModel,
  learn: readonly string[],
  init: NamedValues,
  initial: InitialValues = {},
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
        indexOf: (i) => unravelIndex(i, full),
        problems,
      },
      { sizes: bound.sizes, values: bound.values },
    );
    if (problems.errors.length === before) out[name] = Float64Array.from(b.data);
  }
  if (problems.failed) throw new PlatoError(problems.errors);
  for (const name of learn)
    if (!out[name] && initial[name]) out[name] = Float64Array.from(initial[name].data);
  return out;
}
