// The linear-Gaussian accumulation shared by the engines: the information form of a Gaussian
// over the stacked latents θ of a block, from every factor's whitened rows.
//
//   const layout = gaussianLayout(model, ['beta'], false);
//   const sys = accumulateFactors(step.factors, layout, ev, { fixed: { tau: Etau } });
//   try { const { m, S } = solveSystem(sys); … residuals(sys, m) … } finally { sys.dispose(); }
//
// Exact inference fixes a Normal–Gamma precision at 1 (it is factored out of the rows and
// integrated analytically); CAVI passes E[τ] (regression with unknown noise); EM passes the
// current parameters through the model's values (factor analysis: the E-step over z).
import type { ExprEvaluator } from '../../compile/evaluator.js';
import type { GaussianFactor } from '../../graph/conjugacy.js';
import {
  choleskyBlocks,
  inverseBlocks,
  logDetBlocks,
  solveBlocks,
  symmetrizeBlocks,
} from '../../linalg/dense64.js';
import { type AccumulateOptions, accumulate, residualSS } from './accumulate.js';
import type { GaussianLayout } from './layout.js';
import { disposeRows, type FactorRows, type FixedValues, factorRows } from './rows.js';

export { type AccumulateOptions, accumulate, HOST_FLOPS, residualSS } from './accumulate.js';
export { type GaussianLayout, gaussianLayout, type LatentSlice } from './layout.js';
export { disposeRows, type FactorRows, type FixedValues, factorRows } from './rows.js';

export interface SystemOptions extends AccumulateOptions {
  /** values of the non-latent nodes the factors' sds read (a noise precision τ or E[τ]) */
  readonly fixed?: FixedValues;
  /**
   * A map applied to every factor's rows before they are accumulated (e.g. conditioning on
   * known coordinates of θ); it owns the rows it is given and disposes what it replaces.
   */
  readonly mapRows?: (r: FactorRows) => FactorRows;
}

/** J and h of every block, with the whitening terms the evidence needs and the rows themselves. */
export interface GaussianSystem {
  readonly layout: GaussianLayout;
  /** [blocks × cols × cols] information (precision) matrices Σ AᵀA */
  readonly J: Float64Array;
  /** [blocks × cols] information vectors Σ Aᵀb */
  readonly h: Float64Array;
  /** Σ log|W| over the factors: ½ log|Λ| of each (priors included) */
  readonly logDetW: number;
  /** observed scalars */
  readonly n: number;
  /** the whitened rows of every factor (for residuals); freed by dispose */
  readonly rows: readonly FactorRows[];
  readonly options: AccumulateOptions;
  dispose(): void;
}

/** Whiten every factor and accumulate its rows. Dispose the result (it holds tensors). */
export function accumulateFactors(
  factors: readonly GaussianFactor[],
  layout: GaussianLayout,
  ev: ExprEvaluator,
  options: SystemOptions = {},
): GaussianSystem {
  const B = layout.blocks;
  const D = layout.cols;
  const J = new Float64Array(B * D * D);
  const h = new Float64Array(B * D);
  const rows: FactorRows[] = [];
  let logDetW = 0;
  let n = 0;
  const acc: AccumulateOptions = { hostFlops: options.hostFlops, blockRows: options.blockRows };
  try {
    for (const f of factors) {
      const raw = factorRows(f, layout, ev, options.fixed);
      let r = raw;
      try {
        if (options.mapRows) r = options.mapRows(raw);
      } catch (e) {
        disposeRows(raw);
        throw e;
      }
      rows.push(r);
      logDetW += r.logDetW;
      n += r.n;
      accumulate(r, layout, J, h, acc);
    }
  } catch (e) {
    for (const r of rows) disposeRows(r);
    throw e;
  }
  return {
    layout,
    J,
    h,
    logDetW,
    n,
    rows,
    options: acc,
    dispose: () => {
      for (const r of rows) disposeRows(r);
    },
  };
}

export interface GaussianSolution {
  /** [blocks × cols] posterior means J⁻¹h */
  readonly m: Float64Array;
  /** [blocks × cols × cols] posterior covariances J⁻¹ (before any noise scaling) */
  readonly S: Float64Array;
  /** Σ over blocks of log|J| */
  readonly logDetJ: number;
}

/**
 * m = J⁻¹h, S = J⁻¹ and log|J| by one Cholesky per block (J is symmetrised first: sums of
 * float32 products drift apart; in place). Throws NotPositiveDefiniteError for a degenerate model.
 */
export function solveSystem(sys: GaussianSystem): GaussianSolution {
  const { J, h } = sys;
  const D = sys.layout.cols;
  const B = sys.layout.blocks;
  symmetrizeBlocks(J, D, B);
  const L = choleskyBlocks(J, D, B, 'a posterior precision matrix');
  const m = solveBlocks(L, h, D, B);
  const S = inverseBlocks(L, D, B);
  const logDetJ = logDetBlocks(L, D, B).reduce((a, x) => a + x, 0);
  return { m, S, logDetJ };
}

/** R = Σ ‖b − A m‖² over every factor's whitened rows. */
export function residualSumOfSquares(sys: GaussianSystem, m: Float64Array): number {
  let R = 0;
  for (const r of sys.rows) R += residualSS(r, sys.layout, m, sys.options);
  return R;
}
export { centredMoments, projectRows } from './moments.js';
