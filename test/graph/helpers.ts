import { expect } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/diagnostics.js';
import { PlatoError } from '../../src/diagnostics/diagnostics.js';
import { buildGraph } from '../../src/graph/build.js';
import type { ModelGraph } from '../../src/graph/ir.js';
import { frontend, parse } from '../../src/lang/index.js';

const errorsOf = (ds: readonly Diagnostic[]) => ds.filter((d) => d.severity === 'error');

/** Parse, check and build; fails the test on any error. */
export function graphOf(source: string, filename = 'model.plato'): ModelGraph {
  const fe = frontend(source, filename);
  expect(errorsOf(fe.diagnostics).map((d) => d.message)).toEqual([]);
  const built = buildGraph(fe.program!, source, filename);
  expect(errorsOf(built.diagnostics).map((d) => d.message)).toEqual([]);
  return built.graph!;
}

/** Parse (without the checker) and build; the build's diagnostics. */
export function buildDiagnostics(source: string): Diagnostic[] {
  const fe = frontend(source, 'model.plato');
  expect(fe.program).toBeDefined();
  return buildGraph(fe.program!, source, 'model.plato').diagnostics;
}

/** The messages of the PlatoError `f` throws (fails if it does not throw one). */
export function thrownMessages(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof PlatoError) return e.diagnostics.map((d) => d.message);
    throw e;
  }
  throw new Error('expected a PlatoError');
}

/** Parse and build without the checker (for mistakes the checker would also report). */
export function uncheckedGraphOf(source: string, filename = 'model.plato'): ModelGraph {
  const fe = parse(source, filename);
  expect(fe.diagnostics.map((d) => d.message)).toEqual([]);
  const built = buildGraph(fe.program!, source, filename);
  expect(errorsOf(built.diagnostics).map((d) => d.message)).toEqual([]);
  return built.graph!;
}
