// The reference models of DESIGN.md §2, read from examples/<name>/<name>.plato (verbatim copies
// of §2), and source + data → BoundModel through the real compiler and binder.
import { readFileSync } from 'node:fs';
import { bind } from '../../src/graph/bind.js';
import type { BoundModel, DataInput } from '../../src/graph/bound.js';
import { compile } from '../../src/index.js';

export const MODEL_NAMES = [
  'noisy_or',
  'lda',
  'coin',
  'blr',
  'gmm',
  'factor_analysis',
  'vae',
  'hmm',
  'kalman',
] as const;

export type ModelName = (typeof MODEL_NAMES)[number];

const read = (name: ModelName): string =>
  readFileSync(new URL(`../../examples/${name}/${name}.plato`, import.meta.url), 'utf8');

/** The source of each reference model. */
export const MODELS: Readonly<Record<ModelName, string>> = Object.fromEntries(
  MODEL_NAMES.map((name) => [name, read(name)]),
) as Record<ModelName, string>;

/** Compile `source` and bind it to `data`; throws PlatoError on any error. */
export function boundModel(source: string, data: DataInput, filename = 'test.plato'): BoundModel {
  return bind(compile(source, { filename }).graph, data);
}
