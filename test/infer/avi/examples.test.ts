// Every example (test/report/examples.ts) on which avi applies: a short run either succeeds
// or throws a PlatoError, never an internal error (a tfjs exception, a missing value) — the
// bugs this caught: gmm and factor_analysis crashed building their params, and hmm's chain over
// z passed applicability and then failed inside the run.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/backend/index.js';
import { PlatoError } from '../../../src/diagnostics/diagnostics.js';
import { aviEngine } from '../../../src/infer/avi/index.js';
import { EXAMPLES, readData, readExample } from '../../report/examples.js';
import { boundModel } from '../../support/models.js';
import { AVI_DEFAULTS } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('avi on every example', () => {
  it.each(EXAMPLES.map((ex) => [ex.name, ex] as const))(
    '%s: applies and runs, or is refused with reasons',
    async (_, ex) => {
      const bound = boundModel(readExample(ex.model), readData(ex.data), ex.model);
      const app = aviEngine.applicability(bound);
      if (!app.ok) {
        // refused at a node, with a message
        expect(app.reasons.length).toBeGreaterThan(0);
        for (const r of app.reasons) expect(r.message.length).toBeGreaterThan(0);
        return;
      }
      const before = tf.memory().numTensors;
      try {
        const r = await aviEngine.run(bound, { ...AVI_DEFAULTS, epochs: 1, seed: 1 });
        expect(Number.isFinite(r.logEvidence as number), ex.name).toBe(true);
      } catch (e) {
        expect(e, `${ex.name}: ${(e as Error).message}`).toBeInstanceOf(PlatoError);
      }
      expect(tf.memory().numTensors).toBe(before);
    },
    120_000,
  );
});
