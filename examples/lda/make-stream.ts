// Makes the streaming form of examples/lda/lda-small.json for cavi's stochastic VI:
// lda-small.jsonl (one document per line: {"w": [...]}) and lda-small.meta.json (the rest: the
// vocabulary size; K, alpha and eta keep the model's defaults). The number of documents is the
// number of lines, and each document's length N[d] is its array's.
//
//   npx tsx examples/lda/make-stream.ts
//   npx plato infer examples/lda/lda.plato --data examples/lda/lda-small.meta.json \
//     --stream examples/lda/lda-small.jsonl --engine cavi --batch-size 50 --epochs 5
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const data = JSON.parse(readFileSync(join(here, 'lda-small.json'), 'utf8')) as {
  V: number;
  w: number[][];
};
writeFileSync(
  join(here, 'lda-small.jsonl'),
  data.w.map((w) => `${JSON.stringify({ w })}\n`).join(''),
);
writeFileSync(join(here, 'lda-small.meta.json'), `${JSON.stringify({ V: data.V })}\n`);
console.log(`lda-small.jsonl: ${data.w.length} documents; lda-small.meta.json: V=${data.V}`);
