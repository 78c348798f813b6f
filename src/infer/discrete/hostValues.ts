// The values a discrete analysis needs (values.ts), answered from the bound data without tensors
// where that is plain: a Bernoulli has 2 states; a Categorical whose argument selects rows of a
// known array (`p`, `T[z]`, `[0.2, 0.8]`) has as many states as that array's last axis; a
// Binomial whose n is a literal or a known name has max n + 1, with n read as the plan reads it
// (float32: Math.fround). Anything else — a computed argument, noisy-OR weights (one evaluation
// of the finding's exponent) — throws NeedsTensors: the caller then asks the compiled plan.
import type { Reason } from '../../diagnostics/reason.js';
import type { BoundModel } from '../../graph/bound.js';
import { selectedArray } from '../../graph/fixedArgs.js';
import type { StochasticNode } from '../../graph/ir.js';
import { reasonAt } from '../engine.js';
import type { DiscreteValues } from './prepare.js';

/** This answer needs expressions evaluated with tensors. */
export class NeedsTensors extends Error {
  constructor(what: string) {
    super(`${what} needs the compiled plan`);
    this.name = 'NeedsTensors';
  }
}

function categoricalStates(model: BoundModel, node: StochasticNode): number {
  const e = node.args.p ?? node.args.logits;
  const target = e?.kind === 'index' ? e.target : e;
  // a ragged pair of axes is stored flattened: its shape is not the evaluated one
  const flattened =
    target?.kind === 'name' && (model.axes[target.name] ?? []).some((a) => a.plates.length > 1);
  const a = e && !flattened ? selectedArray(model, e) : undefined;
  if (!a || a.shape.length === 0) throw new NeedsTensors(`the number of states of ${node.name}`);
  return a.shape[a.shape.length - 1];
}

function binomialStates(model: BoundModel, node: StochasticNode): number | Reason {
  const e = node.args.n;
  // every entry of a literal or a whole known array is read (broadcast); a selection may not be
  const a = e && e.kind !== 'index' ? selectedArray(model, e) : undefined;
  if (!a) throw new NeedsTensors(`the number of trials of ${node.name}`);
  let max = 0;
  for (const x of a.data) {
    // beyond 2^24 float32 and an integer tensor would read n differently: let the plan decide
    if (Math.abs(x) > 2 ** 24) throw new NeedsTensors(`the number of trials of ${node.name}`);
    const v = Math.fround(x);
    if (!Number.isInteger(v) || v < 0) {
      return reasonAt(
        model,
        node.name,
        `${node.name} ~ Binomial(n, …) needs a non-negative integer n, got ${v}`,
      );
    }
    max = Math.max(max, v);
  }
  return max + 1;
}

export function hostValues(model: BoundModel): DiscreteValues {
  return {
    cardinality: (node) => {
      if (node.distribution === 'Bernoulli') return 2;
      if (node.distribution === 'Categorical') return categoricalStates(model, node);
      return binomialStates(model, node);
    },
    noisyOr: (f) => {
      throw new NeedsTensors(`the noisy-OR weights of ${f.name}`);
    },
  };
}
