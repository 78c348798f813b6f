// The unconstrained coordinates of a learnable param, chosen from its declared type and use
// (tensor-free: the em and cavi planners read it); transforms.ts gives the maps θ = T(u):
//   real                 identity
//   real(lo,)            lo + softplus(u)
//   real(,hi)            hi − softplus(u)
//   real(lo, hi)         lo + (hi − lo)·sigmoid(u)
//   simplex[…, K]        softmax over the last axis
//   real[…, D, D] read as an MvNormal's Sigma: L Lᵀ with L lower triangular, diagonal softplus
import type { BoundModel } from '../../graph/bound.js';
import type { Expr } from '../../lang/ast.js';

export type Transform =
  | { readonly kind: 'identity' }
  | { readonly kind: 'lower'; readonly lower: number }
  | { readonly kind: 'upper'; readonly upper: number }
  | { readonly kind: 'interval'; readonly lower: number; readonly upper: number }
  | { readonly kind: 'simplex' }
  | { readonly kind: 'cholesky' };

/** A bound: a number (signed), a size or a scalar hyper; undefined: absent; NaN: unreadable. */
function boundValue(bound: BoundModel, e: Expr | undefined): number | undefined {
  if (!e) return undefined;
  if (e.kind === 'num') return e.value;
  if (e.kind === 'unary') {
    const v = boundValue(bound, e.arg);
    return v === undefined ? Number.NaN : e.op === '-' ? -v : v;
  }
  if (e.kind === 'name') {
    const size = bound.sizes[e.name];
    if (typeof size === 'number') return size;
    const v = bound.values[e.name];
    if (bound.graph.nodes[e.name]?.kind === 'hyper' && v?.data.length === 1) return v.data[0];
  }
  return Number.NaN;
}

/** Does `e` name `param` (itself or indexed)? */
function reads(e: Expr | undefined, param: string): boolean {
  if (!e) return false;
  switch (e.kind) {
    case 'name':
      return e.name === param;
    case 'vector':
      return e.items.some((x) => reads(x, param));
    case 'unary':
      return reads(e.arg, param);
    case 'cond':
      return [e.test, e.whenTrue, e.whenFalse].some((x) => reads(x, param));
    case 'binary':
      return reads(e.left, param) || reads(e.right, param);
    case 'index':
      return (
        reads(e.target, param) ||
        e.indices.some((a) => (a.kind === 'at' ? reads(a.expr, param) : false))
      );
    case 'call':
      return e.args.some((a) => reads(a.value, param));
    default:
      return false;
  }
}

/** The transform of one param from its declared type and use, or why there is none. */
export function transformOf(bound: BoundModel, name: string, who: string): Transform | string {
  const node = bound.graph.nodes[name];
  if (node.kind !== 'param') return `${name} is not a param`;
  const { type } = node;
  const s = bound.shapes[name];
  const shape = [...s.batch, ...s.event];
  if (type.base === 'simplex') return { kind: 'simplex' };
  if (type.base !== 'real')
    return `param ${name}: ${who} learns real and simplex params, not ${type.base}`;
  const lo = boundValue(bound, type.lower);
  const hi = boundValue(bound, type.upper);
  if (Number.isNaN(lo) || Number.isNaN(hi))
    return `param ${name}: ${who} needs its bounds as numbers, sizes or scalar hypers`;
  const covariance = bound.graph.order.some((n) => {
    const x = bound.graph.nodes[n];
    return x.kind === 'stochastic' && x.distribution === 'MvNormal' && reads(x.args.Sigma, name);
  });
  if (covariance && lo === undefined && hi === undefined) {
    const D = shape[shape.length - 1];
    if (shape.length < 2 || shape[shape.length - 2] !== D)
      return `param ${name} is an MvNormal covariance but its shape [${shape.join(', ')}] does not end in two equal axes`;
    return { kind: 'cholesky' };
  }
  if (lo !== undefined && hi !== undefined) return { kind: 'interval', lower: lo, upper: hi };
  if (lo !== undefined) return { kind: 'lower', lower: lo };
  if (hi !== undefined) return { kind: 'upper', upper: hi };
  return { kind: 'identity' };
}
