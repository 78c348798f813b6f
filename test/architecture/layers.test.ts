// Layers only look down (DESIGN.md §1, docs/architecture.md): every relative import in src/ is
// read and each must point at the same layer or one below it. A new folder under src/ must be
// given a place in LAYERS before it can land.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/** From the bottom. Diagnostics are a base module any layer may use. */
const LAYERS: readonly (readonly string[])[] = [
  ['util', 'diagnostics'],
  ['backend'],
  ['linalg'],
  ['distributions'],
  ['lang'],
  ['graph'],
  ['compile'],
  ['infer'],
  ['report'],
  ['model.ts', 'applies.ts', 'index.ts'], // the library facade: compile and check (tensor-free), the tensor-free engines report, sample, infer, engines
  ['cli'], // the `plato` command, a client of the library
];

const rank = new Map<string, number>(LAYERS.flatMap((names, i) => names.map((n) => [n, i])));

/** The layer of a path relative to src/ (its first segment). */
const layerOf = (pathInSrc: string): string => pathInSrc.split('/')[0]!;

/** Every module specifier in a TypeScript source: static, side-effect, re-export and dynamic. */
function importsOf(source: string): string[] {
  const out: string[] = [];
  const patterns = [/\bfrom\s+'([^']+)'/g, /\bimport\s+'([^']+)'/g, /\bimport\(\s*'([^']+)'\s*\)/g];
  for (const re of patterns) for (const m of source.matchAll(re)) out.push(m[1]!);
  return out;
}

interface Violation {
  readonly file: string;
  readonly imports: string;
  readonly why: string;
}

/** The imports of one file (path relative to src/) that break the layering. */
function violations(file: string, source: string): Violation[] {
  const from = layerOf(file);
  const out: Violation[] = [];
  const fromRank = rank.get(from);
  if (fromRank === undefined) {
    return [{ file, imports: '', why: `'${from}' has no place in LAYERS` }];
  }
  for (const spec of importsOf(source)) {
    if (!spec.startsWith('.')) continue; // packages
    const target = normalize(join(dirname(file), spec));
    if (target.startsWith('..')) {
      out.push({ file, imports: spec, why: 'reaches outside src/' });
      continue;
    }
    const to = layerOf(target.replace(/\.js$/, '.ts'));
    const toRank = rank.get(to);
    if (toRank === undefined) out.push({ file, imports: spec, why: `'${to}' has no layer` });
    else if (toRank > fromRank) {
      out.push({ file, imports: spec, why: `${from} may not import ${to} (a layer above it)` });
    }
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('layers', () => {
  const src = join(import.meta.dirname, '..', '..', 'src');

  it('every import in src/ looks down', () => {
    const files = sourceFiles(src);
    expect(files.length).toBeGreaterThan(50);
    const found = files.flatMap((f) =>
      violations(relative(src, f).split('\\').join('/'), readFileSync(f, 'utf8')),
    );
    expect(found.map((v) => `${v.file}: ${v.imports}: ${v.why}`)).toEqual([]);
  });

  it('catches an import from a layer above, of every form', () => {
    const above = [
      "import type { Posterior } from '../report/result.js';",
      "export { toNested } from '../../report/nested.js';",
      "const m = await import('../cli/program.js');",
      "import '../compile/model.js';",
    ];
    expect(violations('graph/x.ts', above[0]!)).toHaveLength(1);
    expect(violations('infer/exact/x.ts', above[1]!)).toHaveLength(1);
    expect(violations('report/x.ts', above[2]!)).toHaveLength(1);
    expect(violations('lang/x.ts', above[3]!)).toHaveLength(1);
    expect(violations('newlayer/x.ts', '')[0]?.why).toMatch(/no place/);
  });

  it('allows imports from the same layer, from below and from packages', () => {
    const ok = [
      "import * as tf from '@tensorflow/tfjs';",
      "import { PlatoError } from '../diagnostics/diagnostics.js';",
      "import { prod } from '../../util/shape.js';",
      "import { thing } from './sibling.js';",
    ].join('\n');
    expect(violations('infer/exact/x.ts', ok)).toEqual([]);
    expect(violations('cli/x.ts', "import { infer } from '../index.js';")).toEqual([]);
    expect(violations('index.ts', "import { run } from './cli/program.js';")).toHaveLength(1);
  });
});
