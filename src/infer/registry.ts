// The engine registry (DESIGN.md §4). Engines register themselves by name (engines.ts wires
// the built-in ones); `auto` picks the first applicable engine in the order of §4:
//   params or nets to learn (not fixed by the data): em, cavi, avi
//   nothing to learn:                                exact, cavi, avi
// Engines not registered yet are skipped. `sample` is registered but is not an inference
// engine (`inference: false`): auto never picks it and `infer` should refuse it.

import { PlatoError, userError } from '../diagnostics/diagnostics.js';
import type { Reason } from '../diagnostics/reason.js';
import type { BoundModel } from '../graph/bound.js';
import type { Engine } from './engine.js';
import { accepts, type EngineInfo, type OptionSpec, SHARED_OPTIONS } from './options.js';

const engines = new Map<string, Engine>();

/**
 * Register (or replace) an engine. Its option names must be camelCase, declared once, and
 * distinct from the shared ones (`seed`), so that each maps to one flag.
 */
export function registerEngine<S extends readonly OptionSpec[]>(engine: Engine<S>): void {
  checkDeclarations(engine);
  // stored without its option types: infer hands each engine only options resolved against its
  // own declarations (options.ts resolveOptions), so `run` gets the values its type promises
  engines.set(engine.name, engine as unknown as Engine);
}

function checkDeclarations(engine: EngineInfo): void {
  const seen = new Set<string>(SHARED_OPTIONS.map((s) => s.name));
  for (const o of engine.options) {
    if (!/^[a-z][a-zA-Z0-9]*$/.test(o.name) || seen.has(o.name))
      throw new Error(
        `engine '${engine.name}': option '${o.name}' is not camelCase or declared twice`,
      );
    if (!accepts(o, o.default))
      throw new Error(
        `engine '${engine.name}': option '${o.name}' has a default outside its bounds`,
      );
    seen.add(o.name);
  }
}

/** The engine of that name; a user error listing the known ones otherwise. */
export function getEngine(name: string): Engine {
  const e = engines.get(name);
  if (!e) {
    throw userError(
      `unknown engine '${name}'; known engines: ${['auto', ...engines.keys()].join(', ')}`,
      'unsupported',
    );
  }
  return e;
}

/** Every registered engine, in registration order. */
export function listEngines(): Engine[] {
  return [...engines.values()];
}

/** false for engines that only draw from the prior (`sample`). */
export function isInferenceEngine(name: string): boolean {
  return engines.get(name)?.inference ?? false;
}

/** Params not fixed by the data, and nets: what an engine would have to learn. */
export function learnables(model: BoundModel): string[] {
  return model.graph.order.filter((n) => {
    const node = model.graph.nodes[n];
    return (node.kind === 'param' && !model.fixedParams.includes(n)) || node.kind === 'net';
  });
}

/** The engines `auto` tries for this model, in order (DESIGN.md §4). */
export function autoOrder(model: BoundModel): string[] {
  return learnables(model).length > 0 ? ['em', 'cavi', 'avi'] : ['exact', 'cavi', 'avi'];
}

export interface AutoAttempt {
  readonly name: string;
  readonly registered: boolean;
  readonly reasons: readonly Reason[];
}

/** What auto tried and why each candidate was rejected; `engine` is the choice, if any. */
export function explainAuto(model: BoundModel): { engine?: Engine; attempts: AutoAttempt[] } {
  return explainAutoWith(model, (name) => engines.get(name));
}

/**
 * explainAuto over any engines known by name (`find`: undefined for one not available): the
 * registered ones, or applicability checks that need no tensors (applicability.ts).
 */
export function explainAutoWith<E extends Pick<Engine, 'applicability'>>(
  model: BoundModel,
  find: (name: string) => E | undefined,
): { engine?: E; attempts: AutoAttempt[] } {
  const attempts: AutoAttempt[] = [];
  for (const name of autoOrder(model)) {
    const e = find(name);
    if (!e) {
      attempts.push({ name, registered: false, reasons: [] });
      continue;
    }
    const app = e.applicability(model);
    if (app.ok) return { engine: e, attempts };
    attempts.push({ name, registered: true, reasons: app.reasons });
  }
  return { attempts };
}

/** The engine `auto` runs; a PlatoError saying why no candidate applies otherwise. */
export function chooseAuto(model: BoundModel): Engine {
  const { engine, attempts } = explainAuto(model);
  if (engine) return engine;
  const learn = learnables(model);
  const head =
    learn.length > 0
      ? `no engine can learn ${learn.map((n) => `'${n}'`).join(', ')} for this model`
      : 'no inference engine applies to this model';
  const lines = attempts.map((a) =>
    a.registered
      ? `${a.name}: ${a.reasons.map((r) => `${r.node} (line ${r.line}): ${r.message}`).join('; ') || 'does not apply'}`
      : `${a.name}: not available in this version`,
  );
  throw new PlatoError(
    [
      {
        kind: 'unsupported',
        severity: 'error',
        message: `${head} (tried ${autoOrder(model).join(', ')})`,
        hints: lines,
      },
    ],
    model.graph.source,
    model.graph.filename,
  );
}
