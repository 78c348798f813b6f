// How many threads the wasm backend should run XNNPACK on: `plato --threads N`, else the
// environment variable PLATO_WASM_THREADS, else by the workload: every core Node may use
// (os.availableParallelism, at most MAX_WASM_THREADS) for a model with neural nets, one thread
// otherwise. Measured on every bench (2 cores, docs/benchmarks.md 2026-12-05): XNNPACK's pool
// wakes its workers for every op, so models built from many small ops ran 1.2–3.7× slower on two
// threads (hmm, em, cavi, forward sampling, noisy-OR); only the dense layers of a net
// (MNIST's 128 × 784 × 400 products) gained (1.3–1.4× faster). Imports no TensorFlow.js, so the
// CLI can set it before the backend loads. The count is read once, when the backend starts:
// later changes have no effect.
import { availableParallelism } from 'node:os';
import { userError } from '../diagnostics/diagnostics.js';

/**
 * XNNPACK's cap in tfjs-backend-wasm (backend.cc `max_num_threads`, also its emscripten
 * PTHREAD_POOL_SIZE): more threads than this are not used.
 */
export const MAX_WASM_THREADS = 8;

export const THREADS_ENV = 'PLATO_WASM_THREADS';

let requested: number | undefined;

/** A positive integer, or a PlatoError naming `what`. */
export function parseThreads(text: string, what: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isInteger(n) || n < 1)
    throw userError(
      `${what} must be a positive integer (1 = one thread), got '${text}'`,
      'unsupported',
    );
  return n;
}

/** `plato --threads N`: overrides PLATO_WASM_THREADS for this process. */
export function requestWasmThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1)
    throw userError(`--threads must be a positive integer, got ${n}`, 'unsupported');
  requested = n;
}

export interface ThreadsWanted {
  /** 1 … MAX_WASM_THREADS */
  readonly threads: number;
  /** where the count came from: an explicit request falls back loudly, the default quietly */
  readonly source: 'flag' | 'env' | 'default';
}

/**
 * The count for the process. `parallel`: the first model run has neural nets (large dense
 * products), so the default is every core; otherwise one thread.
 */
export function wasmThreadsWanted(parallel = false): ThreadsWanted {
  const env = process.env[THREADS_ENV];
  const [n, source]: [number, ThreadsWanted['source']] =
    requested !== undefined
      ? [requested, 'flag']
      : env !== undefined && env.trim() !== ''
        ? [parseThreads(env, `the environment variable ${THREADS_ENV}`), 'env']
        : [parallel ? availableParallelism() : 1, 'default'];
  return { threads: Math.min(n, MAX_WASM_THREADS), source };
}
