// The restart loop shared by em's paths (mixtures run.ts, factor analysis fa/run.ts, Baum–Welch
// chain/run.ts): restart r runs from seed + r, the run with the best final log-likelihood is
// kept (its own trace, iteration count and convergence are reported: EM from different starts
// reaches different local maxima of ℓ, Dempster, Laird & Rubin 1977 §3), and when a run's start
// did not depend on the seed every restart would repeat it, so only one is made.

export interface RestartOptions {
  readonly restarts: number;
  readonly iters: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** One restart's outcome: its final log-likelihood, and whether its start depended on the seed. */
export interface RestartRun<T> {
  readonly result: T;
  readonly logLik: number;
  readonly random: boolean;
}

/**
 * Run restarts r = 0, 1, … (`run(r, step)`, `step()` after each M-step reports progress out of
 * iters × restarts) and return the result with the highest final ℓ (the first on a tie).
 */
export async function bestOfRestarts<T>(
  options: RestartOptions,
  run: (r: number, step: () => void) => Promise<RestartRun<T>>,
): Promise<T> {
  const total = options.iters * options.restarts;
  let done = 0;
  let best: RestartRun<T> | undefined;
  const step = () => options.onProgress?.(++done, total);
  for (let r = 0; r < options.restarts; r++) {
    const out = await run(r, step);
    done = (r + 1) * options.iters;
    if (!best || out.logLik > best.logLik) best = out;
    if (!out.random) break;
  }
  options.onProgress?.(total, total);
  return (best as RestartRun<T>).result;
}
