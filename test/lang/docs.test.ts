// Every ```plato block in docs/language.md is a valid model (parses and checks cleanly), and
// every ```plato bad block is followed by a ```text block holding exactly its rendered errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frontend } from '../../src/lang/index.js';
import { ROOT, render } from './helpers.js';

const doc = readFileSync(join(ROOT, 'docs', 'language.md'), 'utf8');
const blocks = [...doc.matchAll(/```(\w+)( bad)?\n([\s\S]*?)```/g)].map((m) => ({
  lang: m[1]!,
  bad: m[2] !== undefined,
  body: m[3]!,
}));
const good = blocks
  .filter((b) => b.lang === 'plato' && !b.bad)
  .map((b) => [b.body.split('\n')[0]!, b.body]);

describe('docs/language.md', () => {
  it('has examples', () => {
    expect(good.length).toBeGreaterThan(10);
  });

  it.each(good)('%s', (_, body) => {
    const r = frontend(body, 'doc.plato');
    expect(
      r.diagnostics.map((d) => `${d.range?.start.line}:${d.range?.start.column} ${d.message}`),
    ).toEqual([]);
    expect(r.program).toBeDefined();
  });

  it('error examples show the exact output', () => {
    let checked = 0;
    blocks.forEach((b, i) => {
      if (!b.bad) return;
      const next = blocks[i + 1];
      expect(next?.lang).toBe('text');
      expect(`${render(b.body, 'model.plato')}\n`).toBe(next!.body);
      checked++;
    });
    expect(checked).toBeGreaterThanOrEqual(2);
  });

  it('documents every distribution and function of signatures.ts', async () => {
    const { DISTRIBUTIONS, FUNCTIONS } = await import('../../src/lang/signatures.js');
    for (const d of Object.keys(DISTRIBUTIONS)) expect(doc).toContain(`\`${d}(`);
    for (const f of Object.keys(FUNCTIONS)) expect(doc).toContain(`\`${f}(`);
  });
});
