// The engine registry and auto's choice (DESIGN.md §4), with stand-in engines.
import { describe, expect, it } from 'vitest';
import { PlatoError } from '../../src/diagnostics/diagnostics.js';
import type { BoundModel } from '../../src/graph/bound.js';
import type { Applicability, Engine } from '../../src/infer/engine.js';
import { reasonAt } from '../../src/infer/engine.js';
import {
  autoOrder,
  chooseAuto,
  getEngine,
  isInferenceEngine,
  learnables,
  listEngines,
  registerEngine,
} from '../../src/infer/engines.js';
import { boundModel, MODELS } from '../support/models.js';

function fake(name: string, applies: (m: BoundModel) => boolean): Engine {
  return {
    name,
    description: `stand-in ${name}`,
    inference: true,
    options: [],
    applicability(m): Applicability {
      return applies(m)
        ? { ok: true }
        : { ok: false, reasons: [reasonAt(m, 'y', `${name} says no`)] };
    },
    run: () => Promise.reject(new Error('not run in this test')),
  };
}

function thrown(f: () => unknown): PlatoError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PlatoError);
    return e as PlatoError;
  }
  throw new Error('expected a PlatoError');
}

const coin = () => boundModel(MODELS.coin, { N: 2, y: [1, 0] });
const noisyOr = () => boundModel(MODELS.noisy_or, { K: 2, M: 2, s: [1, 0] });

describe('registry', () => {
  it('has the sample engine, which is not an inference engine', () => {
    expect(listEngines().map((e) => e.name)).toContain('sample');
    expect(isInferenceEngine('sample')).toBe(false);
    const app = getEngine('sample').applicability(coin());
    expect(app.ok).toBe(false);
    if (!app.ok) {
      expect(app.reasons[0].node).toBe('y');
      expect(app.reasons[0].message).toMatch(/does not condition on data/);
    }
    expect(getEngine('sample').applicability(boundModel(MODELS.coin, { N: 2 })).ok).toBe(true);
  });

  it('an unknown engine is a user error naming the known ones', () => {
    expect(() => getEngine('nuts')).toThrow(PlatoError);
    expect(() => getEngine('nuts')).toThrow(/known engines: auto, sample/);
  });

  it('learnables: params not fixed by the data, and nets', () => {
    expect(learnables(noisyOr())).toEqual(['rho', 'W']);
    expect(
      learnables(boundModel(MODELS.noisy_or, { K: 2, M: 2, s: [1, 0], rho: [0.1, 0.2] })),
    ).toEqual(['W']);
    expect(learnables(coin())).toEqual([]);
    expect(autoOrder(noisyOr())).toEqual(['em', 'cavi', 'avi']);
    expect(autoOrder(coin())).toEqual(['exact', 'cavi', 'avi']);
  });

  it('with nothing registered that applies, auto says why', () => {
    // stand in for the real exact, cavi and avi engines (which handle coin) with ones that refuse
    registerEngine(fake('exact', () => false));
    registerEngine(fake('cavi', () => false));
    registerEngine(fake('avi', () => false));
    expect(() => chooseAuto(coin())).toThrow(
      /no inference engine applies to this model \(tried exact, cavi, avi\)/,
    );
    const err = thrown(() => chooseAuto(noisyOr()));
    expect(err.message).toMatch(/no engine can learn 'rho', 'W'/);
    const hints = err.diagnostics[0].hints?.join('\n');
    // em says why (one patient: no plate of cases); the stand-in avi refuses
    expect(hints).toMatch(/em: d \(line \d+\): d is not in a single plate of independent cases/);
    expect(hints).toMatch(/avi: \S+ \(line \d+\): avi says no/);
  });

  it('auto follows the order of DESIGN.md §4, skipping engines that do not apply', () => {
    registerEngine(fake('avi', () => true));
    expect(chooseAuto(coin()).name).toBe('avi');
    registerEngine(fake('cavi', () => true));
    expect(chooseAuto(coin()).name).toBe('cavi');
    registerEngine(fake('exact', (m) => learnables(m).length === 0));
    expect(chooseAuto(coin()).name).toBe('exact');
    expect(chooseAuto(noisyOr()).name).toBe('cavi');
    registerEngine(fake('em', () => false));
    expect(chooseAuto(noisyOr()).name).toBe('cavi');
    registerEngine(fake('em', () => true));
    expect(chooseAuto(noisyOr()).name).toBe('em');
    expect(isInferenceEngine('em')).toBe(true);
    // auto never picks the sampler
    registerEngine(fake('exact', () => false));
    registerEngine(fake('cavi', () => false));
    registerEngine(fake('avi', () => false));
    const err = thrown(() => chooseAuto(coin()));
    expect(err.diagnostics[0].hints).toEqual([
      expect.stringMatching(/^exact: y \(line \d+\): exact says no$/),
      expect.stringMatching(/^cavi: y \(line \d+\): cavi says no$/),
      expect.stringMatching(/^avi: y \(line \d+\): avi says no$/),
    ]);
  });
});
