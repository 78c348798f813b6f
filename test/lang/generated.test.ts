// Files generated from the grammar must match it: src/lang/cst.ts (the CST types the visitor
// is written against) and docs/grammar.html (the railroad diagrams).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSyntaxDiagramsCode } from 'chevrotain';
import { describe, expect, it } from 'vitest';
import { cstDtsSource } from '../../src/lang/cstDts.js';
import { platoParser } from '../../src/lang/parser.js';
import { ROOT } from './helpers.js';

describe('generated from the grammar', () => {
  it('src/lang/cst.ts is up to date (npx tsx grammar/cst-dts.ts)', () => {
    expect(readFileSync(join(ROOT, 'src', 'lang', 'cst.ts'), 'utf8')).toBe(cstDtsSource());
  });

  it('docs/grammar.html is up to date (npm run railroad)', () => {
    const html = createSyntaxDiagramsCode(platoParser().getSerializedGastProductions());
    expect(readFileSync(join(ROOT, 'docs', 'grammar.html'), 'utf8')).toBe(html);
  });

  it('grammar/plato.ebnf names every rule of the parser', () => {
    const ebnf = readFileSync(join(ROOT, 'grammar', 'plato.ebnf'), 'utf8');
    const defined = new Set(
      [...ebnf.matchAll(/^([a-z][a-z ]*?)\s+=/gm)].map((m) => m[1]!.replace(/ /g, '')),
    );
    // parser rule name → its EBNF name (words joined); rules that are inlined in the EBNF are skipped
    const alias: Record<string, string> = {
      sizeStmt: 'sizedecl',
      hyperStmt: 'hyperdecl',
      dataStmt: 'datadecl',
      paramStmt: 'paramdecl',
      netStmt: 'netdecl',
      plateStmt: 'plate',
      nodeStmt: 'node',
      distCall: 'distribution',
      typeExpr: 'type',
      modelBlock: 'modelblock',
      guideBlock: 'guideblock',
      argList: 'arguments',
      arg: 'argument',
      namedArg: 'argument',
      indexSuffix: 'postfix',
      nameOrCall: 'primary',
      parenExpr: 'primary',
      vectorLit: 'primary',
    };
    for (const rule of Object.keys(platoParser().getGAstProductions())) {
      expect(defined, rule).toContain(alias[rule] ?? rule.toLowerCase());
    }
  });
});
