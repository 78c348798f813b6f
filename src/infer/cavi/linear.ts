// A linear-Gaussian block of cavi at run time (linearPlan.ts decides it): q(w) = N(m, S) jointly
// over every entry of the Normal latent w, and the messages between w and the noise precision τ
// (a Gamma factor of run.ts). With the children's rows whitened at τ = 1 (sd = (c τ)^-1/2 →
// rows √c (y − xᵀw): src/infer/gaussian, accumulated once, XᵀX in float64 blocks)
//   J₀, h₀   the prior's information: Λ₀, Λ₀ m₀        J₁, h₁   Σ c x xᵀ, Σ c x y
// the mean-field updates (Bishop PRML §10.1.1; §10.3 with τ learned) are
//   q(w):  S⁻¹ = J₀ + E[τ] J₁,   m = S (h₀ + E[τ] h₁)
//   q(τ):  η_τ += (n/2, −½ E‖y − Xw‖²_c),   E‖y − Xw‖²_c = R₁(m) + tr(J₁ S)
// where R₁(m) = Σ c (y − xᵀm)² = yᵀCy − 2 mᵀh₁ + mᵀJ₁m, all P × P on the host. The ELBO's parts:
//   E_q[log p(y | w, τ)] = ½ n E[log τ] + Σ ½ log c − ½ n log 2π − ½ E[τ] (R₁(m) + tr(J₁ S))
//   −KL(q(w) ‖ p(w)) = ½ (log|S| + log|Λ₀| + P − tr(Λ₀ S) − R₀(m)),  R₀(m) = (m − m₀)ᵀΛ₀(m − m₀)
// (with a known sd, E[τ] = 1 and E[log τ] = 0 there: q(w) is then exact after one update).
import type { ExprEvaluator } from '../../compile/evaluator.js';
import {
  choleskyBlocks,
  inverseBlocks,
  logDetBlocks,
  solveBlocks,
  symmetrizeBlocks,
} from '../../linalg/dense64.js';
import { accumulateFactors, gaussianLayout, residualSumOfSquares } from '../gaussian/index.js';
import type { LinearBlock } from './linearPlan.js';

/** J, h, ½ log|W|, Σ b² and n of a set of factors' whitened rows (dense, float64). */
interface Info {
  readonly J: Float64Array;
  readonly h: Float64Array;
  readonly logDetW: number;
  readonly bb: number;
  readonly n: number;
}

function info(block: LinearBlock, factors: LinearBlock['children'], ev: ExprEvaluator): Info {
  const layout = gaussianLayout(ev.model, [block.latent], false);
  const fixed = block.precision ? { [block.precision]: 1 } : {};
  const sys = accumulateFactors(factors, layout, ev, { fixed });
  try {
    const bb = residualSumOfSquares(sys, new Float64Array(layout.cols));
    return { J: sys.J, h: sys.h, logDetW: sys.logDetW, bb, n: sys.n };
  } finally {
    sys.dispose();
  }
}

/** xᵀ A x for a P × P matrix A. */
function quad(A: Float64Array, x: Float64Array): number {
  const P = x.length;
  let s = 0;
  for (let i = 0; i < P; i++) {
    let r = 0;
    for (let j = 0; j < P; j++) r += A[i * P + j] * x[j];
    s += x[i] * r;
  }
  return s;
}

/** tr(A B) for symmetric P × P matrices. */
function traceProduct(A: Float64Array, B: Float64Array): number {
  let s = 0;
  for (let i = 0; i < A.length; i++) s += A[i] * B[i];
  return s;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export class LinearBlockRt {
  readonly P: number;
  private readonly prior: Info;
  private readonly data: Info;
  /** q(w): mean, covariance, log|S| */
  m: Float64Array;
  S: Float64Array;
  private logDetS = 0;

  constructor(
    readonly block: LinearBlock,
    ev: ExprEvaluator,
  ) {
    this.prior = info(block, [block.prior], ev);
    this.data = info(block, block.children, ev);
    this.P = this.prior.h.length;
    // start at the prior
    this.m = new Float64Array(this.P);
    this.S = new Float64Array(this.P * this.P);
    this.solve(this.prior.J, this.prior.h);
  }

  private solve(J: Float64Array, h: Float64Array): void {
    const P = this.P;
    const Js = symmetrizeBlocks(Float64Array.from(J), P);
    const L = choleskyBlocks(Js, P, 1, `the posterior precision of ${this.block.latent}`);
    this.m = solveBlocks(L, h, P);
    this.S = inverseBlocks(L, P);
    this.logDetS = -logDetBlocks(L, P)[0];
  }

  /** q(w)'s optimum given E[τ] (1 for a known sd). */
  update(eTau: number): void {
    const { J: J0, h: h0 } = this.prior;
    const { J: J1, h: h1 } = this.data;
    this.solve(
      J0.map((v, i) => v + eTau * J1[i]),
      h0.map((v, i) => v + eTau * h1[i]),
    );
  }

  /** E_q ‖y − Xw‖²_c = R₁(m) + tr(J₁ S). */
  expectedSS(): number {
    const { J, h, bb } = this.data;
    return bb - 2 * dot(this.m, h) + quad(J, this.m) + traceProduct(J, this.S);
  }

  /** The increment of q(τ)'s natural parameters (log τ, τ): (n/2, −½ E‖y − Xw‖²_c). */
  precisionMessage(): [number, number] {
    return [this.data.n / 2, -0.5 * this.expectedSS()];
  }

  /** E_q[log p(y | w, τ)] of the children, given E[log τ] and E[τ] (0 and 1 for a known sd). */
  logLik(eLogTau: number, eTau: number): number {
    const n = this.data.n;
    return (
      0.5 * n * eLogTau +
      this.data.logDetW -
      0.5 * n * Math.log(2 * Math.PI) -
      0.5 * eTau * this.expectedSS()
    );
  }

  /** −KL(q(w) ‖ p(w)) in float64. */
  negKl(): number {
    const { J, h, bb, logDetW } = this.prior;
    const r0 = bb - 2 * dot(this.m, h) + quad(J, this.m);
    return 0.5 * (this.logDetS + 2 * logDetW + this.P - traceProduct(J, this.S) - r0);
  }

  /** The marginal sds of q(w). */
  sds(): Float64Array {
    return Float64Array.from({ length: this.P }, (_, i) => Math.sqrt(this.S[i * this.P + i]));
  }
}
