// `sample` in the engine registry. It draws from the prior (or clamps observed nodes and
// draws the rest forward): that is not conditioning on data, so it is registered as a
// sampler, never chosen by auto, and refuses to stand in for an inference engine.

import { userError } from '../../diagnostics/diagnostics.js';
import type { BoundModel } from '../../graph/bound.js';
import { stochasticNodes } from '../../graph/query.js';
import { type Applicability, type Engine, reasonAt } from '../engine.js';
import type { Posterior } from '../result.js';
import { sampleInfo } from './info.js';

const NOT_INFERENCE = 'sample draws from the prior; it does not condition on data';

export const sampleEngine: Engine<typeof sampleInfo.options> = {
  ...sampleInfo,
  applicability(model: BoundModel): Applicability {
    // observed and partially observed nodes alike: sampling ignores (or clamps) their data
    const observed = stochasticNodes(model.graph)
      .map((n) => n.name)
      .filter((n) => model.observation[n]?.kind !== 'latent');
    if (observed.length === 0) return { ok: true };
    return { ok: false, reasons: observed.map((n) => reasonAt(model, n, NOT_INFERENCE)) };
  },
  run(): Promise<Posterior> {
    return Promise.reject(
      userError(
        `${NOT_INFERENCE}: use 'plato sample' (or the library's sample()) to draw from a model`,
        'unsupported',
      ),
    );
  },
};
