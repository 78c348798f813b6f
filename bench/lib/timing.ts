// Timing for side-by-side benchmarks. Systems run interleaved (P, peer, P, peer, …) so that a
// burst of load from another process hits every system rather than one of them, and each
// system's figure is the median of its timed runs (peers.md, "Noise").
import { performance } from 'node:perf_hooks';

/** One timed run: the seconds of the timed region, plus anything the system reports. */
export interface Measurement {
  readonly seconds: number;
  readonly checks?: Readonly<Record<string, number>>;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** A system taking part in an interleaved comparison. */
export interface Contender {
  readonly name: string;
  /** untimed runs before the first timed one (JIT, kernel compilation, caches) */
  readonly warmup: number;
  readonly repeats: number;
  /** one run; `index` counts warm-up and timed runs together, e.g. to vary the seed */
  run(index: number): Promise<Measurement>;
}

export interface ContenderResult {
  readonly name: string;
  readonly runs: readonly Measurement[];
  readonly warmupRuns: readonly Measurement[];
  readonly medianSeconds: number;
  readonly minSeconds: number;
  readonly maxSeconds: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Wall-clock seconds of a synchronous or asynchronous function. */
export async function timeIt<T>(f: () => T | Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = performance.now();
  const value = await f();
  return { seconds: (performance.now() - t0) / 1000, value };
}

/**
 * Run every contender's warm-up, then the timed runs round-robin: round r runs each contender
 * that still has a repeat left, in the order given. `onRun` reports progress.
 */
export async function interleave(
  contenders: readonly Contender[],
  onRun?: (name: string, m: Measurement, timed: boolean) => void,
): Promise<ContenderResult[]> {
  const warm = contenders.map(() => [] as Measurement[]);
  const timed = contenders.map(() => [] as Measurement[]);
  for (const [i, c] of contenders.entries()) {
    for (let w = 0; w < c.warmup; w++) {
      const m = await c.run(w);
      warm[i].push(m);
      onRun?.(c.name, m, false);
    }
  }
  const rounds = Math.max(0, ...contenders.map((c) => c.repeats));
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of contenders.entries()) {
      if (r >= c.repeats) continue;
      const m = await c.run(c.warmup + r);
      timed[i].push(m);
      onRun?.(c.name, m, true);
    }
  }
  return contenders.map((c, i) => {
    const secs = timed[i].map((m) => m.seconds);
    return {
      name: c.name,
      runs: timed[i],
      warmupRuns: warm[i],
      medianSeconds: median(secs),
      minSeconds: Math.min(...secs),
      maxSeconds: Math.max(...secs),
    };
  });
}
