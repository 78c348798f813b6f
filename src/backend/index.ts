// tfjs backend selection. wasm (SIMD, one thread in Node) is the default; cpu is pure JS;
// node and node-gpu are the optional native bindings, loaded by dynamic import so that a
// machine without them still runs everything else. The GPU path is untested here (no GPU).
import * as tf from '@tensorflow/tfjs';
import { userError } from '../diagnostics/diagnostics.js';
import { registerGatherGradient } from './gatherGrad.js';
import { registerFastMatMul } from './matMul.js';
import { registerFastSlice } from './slice.js';
import { registerFastTile } from './tile.js';

export type BackendName = 'wasm' | 'cpu' | 'node' | 'node-gpu';
export const BACKENDS: readonly BackendName[] = ['wasm', 'cpu', 'node', 'node-gpu'];

let current: BackendName | undefined;

/** Select and initialise a backend once per process; later calls with the same name are free. */
export async function initBackend(name: BackendName = 'wasm'): Promise<BackendName> {
  if (current === name) return name;
  if (!BACKENDS.includes(name)) {
    throw userError(
      `unknown backend '${name}'; expected one of ${BACKENDS.join(', ')}`,
      'unsupported',
    );
  }
  if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
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
  const ok = await tf.setBackend(tfName);
  if (!ok) throw userError(`backend '${name}' failed to initialise`, 'unsupported');
  await tf.ready();
  registerGatherGradient(tfName);
  registerFastMatMul(tfName);
  registerFastTile(tfName);
  registerFastSlice(tfName);
  current = name;
  return name;
}

export function currentBackend(): BackendName | undefined {
  return current;
}
