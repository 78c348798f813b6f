// Regenerates src/lang/cst.ts (the CST node types the visitor in toAst.ts is written against)
// from the parser's grammar: `npx tsx grammar/cst-dts.ts`. test/lang/cst.test.ts checks that the
// committed file is up to date.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cstDtsSource } from '../src/lang/cstDts.js';

const target = fileURLToPath(new URL('../src/lang/cst.ts', import.meta.url));
writeFileSync(target, cstDtsSource());
console.log(`wrote ${target}`);
