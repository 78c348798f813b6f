// Checks of a truncation `T[lo, hi]` after a distribution: the marker is `T`, at least one bound
// is given, the family is continuous, scalar and has a CDF Plato can evaluate (signatures.ts
// TRUNCATABLE; Gamma, Beta and StudentT only with fixed arguments and bounds, which binding
// checks: graph/bind.ts), and literal bounds are ordered. The bound expressions themselves are checked like arguments.

import { type Diagnostic, error } from '../diagnostics/diagnostics.js';
import type { DistCall, Expr } from './ast.js';
import { numericValue } from './literalShape.js';
import { DISTRIBUTIONS, HOST_TRUNCATED, isDistName, TRUNCATABLE } from './signatures.js';

const TRUNCATABLE_TEXT = `the families that can be truncated: ${[...TRUNCATABLE]
  .filter((f) => !HOST_TRUNCATED.has(f))
  .join(
    ', ',
  )}; and ${[...HOST_TRUNCATED].join(', ')} when their arguments and bounds are fixed by the data`;

export function checkTruncation(
  diags: Diagnostic[],
  dist: DistCall,
  visit: (e: Expr) => void,
): void {
  const t = dist.truncation;
  if (!t) return;
  if (t.lower) visit(t.lower);
  if (t.upper) visit(t.upper);
  if (t.marker.name !== 'T') {
    diags.push(
      error(
        'syntax',
        `a truncation is written T[lo, hi], not ${t.marker.name}[…]`,
        t.marker.range,
        ['either bound may be left out: T[0, ] or T[, 1]'],
      ),
    );
    return;
  }
  if (!t.lower && !t.upper) {
    diags.push(
      error(
        'syntax',
        'T[, ] truncates nothing: give a lower bound, an upper bound or both',
        t.range,
      ),
    );
    return;
  }
  const family = dist.name.name;
  if (!isDistName(family)) return; // reported with the call
  const sig = DISTRIBUTIONS[family];
  if (sig.discrete) {
    diags.push(
      error(
        'type',
        `${family} is discrete: only a continuous family can be truncated with T[lo, hi]`,
        t.range,
        [TRUNCATABLE_TEXT],
      ),
    );
    return;
  }
  if (sig.eventRank > 0) {
    diags.push(
      error(
        'type',
        `${family} draws vectors: only a scalar continuous family can be truncated with T[lo, hi]`,
        t.range,
        [TRUNCATABLE_TEXT],
      ),
    );
    return;
  }
  if (!TRUNCATABLE.has(family)) {
    diags.push(
      error(
        'unsupported',
        `${family} cannot be truncated: Plato has no ${family} CDF to normalise the truncated density`,
        t.range,
        [TRUNCATABLE_TEXT],
      ),
    );
    return;
  }
  const lo = t.lower ? numericValue(t.lower) : undefined;
  const hi = t.upper ? numericValue(t.upper) : undefined;
  if (lo !== undefined && hi !== undefined && !(lo < hi)) {
    diags.push(
      error(
        'type',
        `the truncation T[${lo}, ${hi}] is empty: its lower bound must be below its upper`,
        t.range,
      ),
    );
  }
}
