// The AST of each reference example, ranges stripped, against a reviewed golden JSON file.
// UPDATE_GOLDEN=1 npx vitest run test/lang/golden.test.ts rewrites them (then read the diff).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleFiles, mustParse, ROOT, stripRanges } from './helpers.js';

const update = process.env.UPDATE_GOLDEN === '1';

describe('golden ASTs of the examples', () => {
  it.each(exampleFiles().map(([name, , source]) => [name, source]))('%s', (name, source) => {
    const ast = `${JSON.stringify(stripRanges(mustParse(source)), null, 2)}\n`;
    const golden = join(ROOT, 'test', 'lang', 'golden', `${name}.json`);
    if (update || !existsSync(golden)) writeFileSync(golden, ast);
    expect(ast).toBe(readFileSync(golden, 'utf8'));
  });
});
