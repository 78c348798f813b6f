// Every test/bad/*.plato against its golden .expected: the diagnostics exactly as the CLI
// renders them. UPDATE_GOLDEN=1 npx vitest run test/lang/bad.test.ts rewrites the goldens
// (then read the diff: they are the user-facing error messages).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frontend } from '../../src/lang/index.js';
import { FRONTEND_KINDS, ROOT, render } from './helpers.js';

const dir = join(ROOT, 'test', 'bad');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.plato'))
  .sort();
const update = process.env.UPDATE_GOLDEN === '1';

describe('bad programs', () => {
  it('there is at least one bad program per diagnostic kind', () => {
    const kinds = new Set(
      files.flatMap((f) =>
        frontend(readFileSync(join(dir, f), 'utf8'), f).diagnostics.map((d) => d.kind),
      ),
    );
    for (const k of FRONTEND_KINDS) expect(kinds, k).toContain(k);
  });

  it.each(files)('%s', (file) => {
    const source = readFileSync(join(dir, file), 'utf8');
    const rendered = `${render(source, file)}\n`;
    expect(rendered.trim(), 'a bad program must produce a diagnostic').not.toBe('');
    const golden = join(dir, file.replace(/\.plato$/, '.expected'));
    if (update || !existsSync(golden)) writeFileSync(golden, rendered);
    expect(rendered).toBe(readFileSync(golden, 'utf8'));
  });
});
