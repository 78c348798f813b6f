// Shared helpers for the language tests.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import {
  type Diagnostic,
  type DiagnosticKind,
  renderDiagnostic,
} from '../../src/diagnostics/diagnostics.js';
import type { Program } from '../../src/lang/ast.js';
import { frontend, parse } from '../../src/lang/index.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Every example model: [name, path, source]. */
export function exampleFiles(): [string, string, string][] {
  const dir = join(ROOT, 'examples');
  const out: [string, string, string][] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name, `${name}.plato`);
    try {
      out.push([name, path, readFileSync(path, 'utf8')]);
    } catch {
      // a folder without a model of its own name
    }
  }
  return out;
}

/** Every kind of diagnostic the frontend reports (each must be covered by the tests). */
export const FRONTEND_KINDS: readonly DiagnosticKind[] = [
  'lex',
  'syntax',
  'unknown-name',
  'duplicate',
  'cycle',
  'plate-index',
  'arity',
  'unknown-argument',
  'shape',
  'size-order',
  'type',
  'unsupported',
];

const RANGE_KEYS = new Set(['range', 'nameRange', 'calleeRange']);

/** The AST without source positions, for structural comparison. */
export function stripRanges<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (k, v) => (RANGE_KEYS.has(k) ? undefined : v))) as T;
}

/** Parse a program that must parse and check cleanly. */
export function mustParse(source: string): Program {
  const r = frontend(source, 'test.plato');
  expect(r.diagnostics.map((d) => d.message)).toEqual([]);
  expect(r.program).toBeDefined();
  return r.program!;
}

/** Parse (syntax only) a program that must parse. */
export function mustParseSyntax(source: string): Program {
  const r = parse(source, 'test.plato');
  expect(r.diagnostics.map((d) => d.message)).toEqual([]);
  return r.program!;
}

/** All diagnostics of parse + check. */
export function diagnose(source: string): Diagnostic[] {
  return frontend(source, 'test.plato').diagnostics;
}

/** Rendered diagnostics, as the CLI prints them. */
export function render(source: string, file: string): string {
  const r = frontend(source, basename(file));
  return r.diagnostics.map((d) => renderDiagnostic(d, source, d.file)).join('\n\n');
}

/** Wrap statements in a model block. */
export const model = (body: string): string => `model m {\n${body}\n}\n`;
