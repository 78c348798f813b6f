// Makes examples/lda/lda-small.json (and its vocabulary, lda-small-vocab.json) from the Debian
// package descriptions corpus: the first 200 documents, restricted to the 500 words most
// frequent in them, re-indexed 0..499 by decreasing frequency (ties: the corpus' own order).
// Documents left with fewer than 3 tokens are dropped.
//
//   npx tsx examples/lda/make-small.ts [/work/shared/data/debian-descriptions/corpus-small.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DOCS = 200;
const VOCAB = 500;
const MIN_TOKENS = 3;

interface Corpus {
  vocab: string[];
  names: string[];
  docs: number[][];
}

const input = process.argv[2] ?? '/work/shared/data/debian-descriptions/corpus-small.json';
const corpus = JSON.parse(readFileSync(input, 'utf8')) as Corpus;
const docs = corpus.docs.slice(0, DOCS);

const counts = new Map<number, number>();
for (const doc of docs) for (const w of doc) counts.set(w, (counts.get(w) ?? 0) + 1);
const top = [...counts.entries()]
  .sort((a, b) => b[1] - a[1] || a[0] - b[0])
  .slice(0, VOCAB)
  .map(([w]) => w);
const newId = new Map(top.map((w, i) => [w, i]));

const w: number[][] = [];
const names: string[] = [];
docs.forEach((doc, d) => {
  const kept = doc.filter((t) => newId.has(t)).map((t) => newId.get(t)!);
  if (kept.length >= MIN_TOKENS) {
    w.push(kept);
    names.push(corpus.names[d]!);
  }
});

const here = dirname(fileURLToPath(import.meta.url));
const data = { V: top.length, D: w.length, N: w.map((doc) => doc.length), w };
const text = `{\n  "V": ${data.V},\n  "D": ${data.D},\n  "N": ${JSON.stringify(data.N)},\n  "w": [\n${w
  .map((doc) => `    ${JSON.stringify(doc)}`)
  .join(',\n')}\n  ]\n}\n`;
writeFileSync(join(here, 'lda-small.json'), text);
writeFileSync(
  join(here, 'lda-small-vocab.json'),
  `{\n  "vocab": ${JSON.stringify(top.map((i) => corpus.vocab[i]!))},\n  "names": ${JSON.stringify(names)}\n}\n`,
);
const tokens = data.N.reduce((a, b) => a + b, 0);
console.log(`lda-small.json: V=${data.V} D=${data.D} tokens=${tokens} (${text.length} bytes)`);
