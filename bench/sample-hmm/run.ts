// bench/sample-hmm: the ancestral sampler's scan over a chain (issue 13, DESIGN §2 "Sequences"):
// the public `sample()` on examples/hmm (4 states) with T steps and n draws, the median of R
// runs after a warm-up. The scan is linear in T: each step draws the states of that step only
// (docs/language.md, Sequences), so the time per step should stay flat as T grows.
//
//   npx tsx bench/sample-hmm/run.ts [--steps 200,1000,5000] [--n 100] [--repeats 3]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_DIR, describeMachine, machineLine, median } from '../lib/index.js';

const { values: opt } = parseArgs({
  options: {
    steps: { type: 'string', default: '200,1000,5000' },
    n: { type: 'string', default: '100' },
    repeats: { type: 'string', default: '3' },
  },
});

async function main(): Promise<void> {
  const { compile, sample } = await import('../../src/index.js');
  const tf = await import('@tensorflow/tfjs');
  const dir = join(BENCH_DIR, '..', 'examples', 'hmm');
  const model = compile(readFileSync(join(dir, 'hmm.plato'), 'utf8'), { filename: 'hmm.plato' });
  const { y: _y, ...data } = JSON.parse(readFileSync(join(dir, 'hmm.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const n = Number(opt.n);
  const repeats = Number(opt.repeats);
  console.log(`sample-hmm: ${machineLine(describeMachine())}`);
  console.log('| T | n | median s | ms per step | leaked tensors |');
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  await sample(model, { data: { ...data, T: 10 }, n, seed: 1 });
  for (const T of String(opt.steps).split(',').map(Number)) {
    const before = tf.memory().numTensors;
    const times: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      await sample(model, { data: { ...data, T }, n, seed: 1 });
      times.push((performance.now() - t0) / 1000);
    }
    const s = median(times);
    const leaked = tf.memory().numTensors - before;
    console.log(`| ${T} | ${n} | ${s.toFixed(3)} | ${((1000 * s) / T).toFixed(2)} | ${leaked} |`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
