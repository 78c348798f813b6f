// tfjs backend selection. wasm (SIMD WebAssembly; on every core for models with nets:
// threads.ts, wasmThreads.ts) is the default; cpu is pure JS; node and node-gpu are the optional native bindings, loaded by dynamic
// import so that a machine without them still runs everything else. The GPU path is untested
// here (no GPU).
import * as tf from '@tensorflow/tfjs';
import { userError } from '../diagnostics/diagnostics.js';
import { registerAdam } from './adam.js';
import { registerBernoulliLogits } from './bernoulliLogits.js';
import { registerFastColumnSum } from './colSum.js';
import { registerFastConcat } from './concat.js';
import { registerGatherGradient } from './gatherGrad.js';
import { registerFastMatMul } from './matMul.js';
import { registerFastMultiply } from './multiply.js';
import { registerNormal } from './normal.js';
import { registerNormalKl } from './normalKl.js';
import { registerReparam } from './reparam.js';
import { registerSafeSelect } from './select.js';
import { registerFastSlice } from './slice.js';
import { THREADS_ENV, wasmThreadsWanted } from './threads.js';
import { registerFastTile } from './tile.js';
import { registerFastTranspose } from './transpose.js';
import { initThreadedWasm } from './wasmThreads.js';

export type BackendName = 'wasm' | 'cpu' | 'node' | 'node-gpu';
export const BACKENDS: readonly BackendName[] = ['wasm', 'cpu', 'node', 'node-gpu'];

let current: BackendName | undefined;
let threads = 1;

export interface InitOptions {
  /**
   * the workload gains from XNNPACK's thread pool (a model with neural nets): the wasm backend's
   * default count is then every core instead of one (threads.ts). Only the first start counts.
   */
  readonly parallel?: boolean;
}

/** Select and initialise a backend once per process; later calls with the same name are free. */
export async function initBackend(
  name: BackendName = 'wasm',
  options: InitOptions = {},
): Promise<BackendName> {
  if (current === name) return name;
  if (!BACKENDS.includes(name)) {
    throw userError(
      `unknown backend '${name}'; expected one of ${BACKENDS.join(', ')}`,
      'unsupported',
    );
  }
  if (name === 'wasm') {
    await initWasm(options.parallel ?? false);
  } else if (name === 'node' || name === 'node-gpu') {
    const pkg = name === 'node' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
    try {
      await import(/* @vite-ignore */ pkg);
    } catch {
      throw userError(
        `backend '${name}' needs the optional package ${pkg}, which is not installed ` +
          `(npm install ${pkg}); use --backend wasm (the default) or cpu instead`,
        'unsupported',
      );
    }
  }
  const tfName = name === 'node' || name === 'node-gpu' ? 'tensorflow' : name;
  if (name !== 'wasm') {
    const ok = await tf.setBackend(tfName);
    if (!ok) throw userError(`backend '${name}' failed to initialise`, 'unsupported');
    await tf.ready();
    threads = 1;
  }
  registerGatherGradient(tfName);
  // before the matMul wrapper, which calls the Transpose kernel registered when it is made
  registerFastTranspose(tfName);
  registerFastMatMul(tfName, threads);
  registerFastTile(tfName);
  registerFastSlice(tfName);
  registerFastConcat(tfName);
  registerFastMultiply(tfName);
  registerAdam(tfName);
  registerBernoulliLogits(tfName);
  registerNormalKl(tfName);
  registerReparam(tfName);
  registerNormal(tfName);
  registerFastColumnSum(tfName);
  registerSafeSelect(tfName);
  current = name;
  return name;
}

export function currentBackend(): BackendName | undefined {
  return current;
}

/** The threads the current backend's kernels run on (wasm: XNNPACK's pool; others: 1). */
export function backendThreads(): number {
  return threads;
}

/**
 * The wasm backend on the threads asked for (threads.ts), else the one-thread SIMD build: a
 * threaded start that fails is reported on stderr when the count was asked for explicitly, and
 * only under PLATO_DEBUG when it was the default.
 */
async function initWasm(parallel: boolean): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const wanted = wasmThreadsWanted(parallel);
  if (wanted.threads > 1) {
    try {
      threads = await initThreadedWasm(wasm, wanted.threads);
      return;
    } catch (e) {
      if (wanted.source !== 'default' || process.env.PLATO_DEBUG)
        process.stderr.write(
          `warning: the wasm backend could not start ${wanted.threads} threads ` +
            `(${(e as Error).message}); running on one (set ${THREADS_ENV}=1 to skip the attempt)\n`,
        );
    }
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const ok = await tf.setBackend('wasm');
  if (!ok) throw userError(`backend 'wasm' failed to initialise`, 'unsupported');
  await tf.ready();
  threads = 1;
}
