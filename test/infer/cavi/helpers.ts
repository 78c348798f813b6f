// Shared helpers of the cavi tests: run the engine on source + data through the real compiler
// and binder, asserting it applies, leaves no tensor behind and reports no ELBO decrease.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { DataInput } from '../../../src/graph/bound.js';
import { caviEngine } from '../../../src/infer/cavi/index.js';
import type { Posterior } from '../../../src/infer/result.js';
import { posteriorJson } from '../../../src/report/json.js';
import type { PosteriorJson } from '../../../src/report/result.js';
import { boundModel } from '../../support/models.js';

/** Every cavi option at its declared default (a test overrides the ones it is about). */
export const CAVI_DEFAULTS = {
  seed: 0,
  iters: 200,
  tol: 1e-6,
  batchSize: 0,
  epochs: 10,
  tau0: 1,
  kappa: 0.7,
  localIters: 100,
  rounds: 3,
  stream: '',
};

export interface CaviRun {
  readonly json: PosteriorJson;
  readonly posterior: Posterior;
  readonly warnings: string[];
}

export async function runCavi(
  source: string,
  data: DataInput,
  options: { iters?: number; tol?: number; seed?: number } = {},
): Promise<CaviRun> {
  const bound = boundModel(source, data);
  const app = caviEngine.applicability(bound);
  if (!app.ok) throw new Error(`cavi does not apply: ${JSON.stringify(app.reasons)}`);
  const warnings: string[] = [];
  const before = tf.memory().numTensors;
  const posterior = await caviEngine.run(bound, {
    ...CAVI_DEFAULTS,
    seed: options.seed ?? 0,
    iters: options.iters ?? 200,
    tol: options.tol ?? 1e-6,
    onWarning: (w) => warnings.push(w.message),
  });
  expect(tf.memory().numTensors).toBe(before);
  return { json: posteriorJson(posterior), posterior, warnings };
}

/** The reasons cavi gives for not applying (fails the test if it applies). */
export function caviRefusal(
  source: string,
  data: DataInput,
): { node: string; line: number; message: string }[] {
  const app = caviEngine.applicability(boundModel(source, data));
  if (app.ok) throw new Error('cavi applies, but a refusal was expected');
  return app.reasons.map((r) => ({ node: r.node, line: r.line, message: r.message }));
}

/** The trace never decreases by more than `rel` of its magnitude (plus `abs`) between sweeps. */
export function expectNonDecreasing(trace: readonly number[], rel: number, abs = 0): void {
  for (let t = 1; t < trace.length; t++) {
    const drop = trace[t - 1] - trace[t];
    if (drop > rel * Math.abs(trace[t - 1]) + abs)
      throw new Error(`ELBO decreased at sweep ${t + 1}: ${trace[t - 1]} → ${trace[t]}`);
  }
}
