// The parameter domains of the distributions (Stan's): Normal(mu, sigma) needs sigma > 0,
// Uniform(lo, hi) needs lo < hi, and so on. Arguments are expressions evaluated at run time
// (a hyper of the wrong sign, the log of a negative number), so the checker cannot see these
// mistakes; drawing from a distribution outside its domain does not fail in tfjs but returns
// wrong numbers (Gamma(-0.5) draws positive values, Bernoulli(1.5) always 1). Checked before
// drawing, with the argument named and a caret under it.
import * as tf from '@tensorflow/tfjs';
import {
  ARG_DOMAINS,
  type Domain,
  float32SimplexTolerance,
  NON_NEGATIVE,
  POSITIVE,
  SIMPLEX_ARGS,
} from '../distributions/domains.js';
import type { BoundModel } from '../graph/bound.js';
import type { StochasticNode } from '../graph/ir.js';
import { planError } from './errors.js';

/** The domain as a tfjs predicate (true where an entry lies inside it). */
function inside(d: Domain, x: tf.Tensor): tf.Tensor {
  let ok: tf.Tensor = tf.logicalNot(tf.isNaN(x));
  if (d.lo !== undefined)
    ok = tf.logicalAnd(ok, d.loOpen ? tf.greater(x, d.lo) : tf.greaterEqual(x, d.lo));
  if (d.hi !== undefined) ok = tf.logicalAnd(ok, tf.lessEqual(x, d.hi));
  if (d.integer) ok = tf.logicalAnd(ok, tf.equal(x, tf.round(x)));
  return ok;
}

/** The first entry where `bad` holds, as the value of `x` there (a small download, only on error). */
function firstBad(bad: tf.Tensor, x: tf.Tensor): number | undefined {
  if (!tf.any(bad).dataSync()[0]) return undefined;
  const flags = bad.dataSync();
  const values = tf.broadcastTo(x, bad.shape).dataSync();
  const i = flags.findIndex((f) => f !== 0);
  return values[i];
}

/**
 * Throw a PlatoError at the argument if any entry of it is outside its domain (or NaN).
 * `args` are the node's arguments as the distribution receives them; `fromDraws`: they depend
 * on drawn (latent) values. Call inside tidy.
 */
export function checkArgDomains(
  model: BoundModel,
  node: StochasticNode,
  args: Readonly<Record<string, tf.Tensor>>,
  fromDraws: boolean,
): void {
  const domains = ARG_DOMAINS[node.distribution] ?? {};
  const fail = (arg: string, message: string) => {
    throw planError(
      model,
      node.args[arg]?.range ?? node.range,
      `${node.name} ~ ${node.distribution}: ${message}`,
      'data',
    );
  };
  for (const [name, x] of Object.entries(args)) {
    const nan = firstBad(tf.isNaN(x), x);
    if (nan !== undefined) fail(name, `the argument ${name} is NaN (not a number)`);
    const found = domains[name];
    if (!found) continue;
    // a float32 draw may underflow to exactly 0 (Gamma with a small shape): from draws, 0 passes
    const d = fromDraws && found === POSITIVE ? NON_NEGATIVE : found;
    const v = firstBad(tf.logicalNot(inside(d, x)), x);
    if (v !== undefined)
      fail(name, `the argument ${name} = ${v} is outside its domain: expected ${name} ${d.text}`);
  }
  // a probability vector fixed before running must be a simplex: nothing renormalises it
  const simplex = SIMPLEX_ARGS[node.distribution];
  const p = simplex ? args[simplex] : undefined;
  if (p && !fromDraws && p.rank > 0) {
    const k = p.shape[p.rank - 1];
    const sums = tf.sum(p, -1);
    const off = firstBad(tf.greater(tf.abs(tf.sub(sums, 1)), float32SimplexTolerance(k)), sums);
    if (off !== undefined)
      fail(
        simplex,
        `the argument ${simplex} is not a simplex: its entries sum to ${off}; a probability vector must sum to 1 (nothing renormalises it)`,
      );
  }
  if (node.distribution === 'Uniform' && args.lo && args.hi) {
    const bad = tf.greaterEqual(args.lo, args.hi);
    const lo = firstBad(bad, args.lo);
    if (lo !== undefined) {
      const hi = firstBad(bad, args.hi);
      fail('hi', `lo = ${lo} is not below hi = ${hi}: expected lo < hi`);
    }
  }
}

// the fixed/latent-dependent split is tensor-free (graph/fixedArgs.ts): `plato engines` reads it
export { latentDependent } from '../graph/fixedArgs.js';
