// Writes docs/grammar.html: railroad (syntax) diagrams of every rule, generated from the
// parser itself so the picture cannot drift from the grammar. Run: `npm run railroad`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createSyntaxDiagramsCode } from 'chevrotain';
import { platoParser } from '../src/lang/parser.js';

const target = fileURLToPath(new URL('../docs/grammar.html', import.meta.url));
const html = createSyntaxDiagramsCode(platoParser().getSerializedGastProductions());
mkdirSync(fileURLToPath(new URL('../docs/', import.meta.url)), { recursive: true });
writeFileSync(target, html);
console.log(`wrote ${target}`);
