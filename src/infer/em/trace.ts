// The log-likelihood trace of an EM run, shared by the mixture loop (run.ts) and factor
// analysis (fa/run.ts): EM never decreases ℓ (Dempster, Laird & Rubin 1977, Theorem 1), so a
// decrease beyond float tolerance is reported as a warning naming the iteration — it signals a
// numerical problem or a wrong update — and the run stops when the relative change of ℓ falls
// below `tol`.
import type { Diagnostic } from '../../diagnostics/diagnostics.js';

/** A decrease of ℓ beyond this (relative) is a warning (the E-step's tables are float32). */
export const DECREASE_TOLERANCE = 1e-6;

export interface TraceOptions {
  readonly tol: number;
  readonly restarts: number;
  readonly onWarning?: (warning: Diagnostic) => void;
}

/**
 * Append ℓ after M-step `t` of restart `r` (0-based) to the trace; warn on a decrease. Returns
 * whether the run has converged (|ℓ_t − ℓ_{t−1}| < tol·|ℓ_t|; tol = 0 never converges).
 */
export function recordStep(
  trace: number[],
  logLik: number,
  t: number,
  r: number,
  options: TraceOptions,
): boolean {
  const prev = trace[trace.length - 1];
  trace.push(logLik);
  if (logLik - prev < -DECREASE_TOLERANCE * Math.abs(prev))
    options.onWarning?.({
      kind: 'data',
      severity: 'warning',
      message: `em: the log-likelihood decreased at iteration ${t} (from ${prev} to ${logLik}${options.restarts > 1 ? `, restart ${r + 1}` : ''}); EM never decreases it, so this is a numerical problem`,
    });
  return Math.abs(logLik - prev) < options.tol * Math.abs(logLik);
}
