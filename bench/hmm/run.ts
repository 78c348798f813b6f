// bench/hmm: exact forward–backward on a 4-state Gaussian HMM, 1,000 sequences of 200 steps
// (/work/shared/peers.md workload 7, `hmm_fb`): Plato's `exact` engine through the public
// `infer()` beside a vectorised float64 numpy forward–backward (numpy_fb.py, /usr/bin/python3),
// in one run. Target (issue 13): ≥ 0.5× numpy's speed (steps per second), log evidence within
// 1e-4 relative of the float64 value stored with the data.
//
//   bash bench/setup.sh && npx tsx bench/hmm/run.ts [--repeats R] [--data FILE]
//
// Plato's time is `infer()`'s wall time as a library user calls it (binding the data, evaluating
// the emissions and transitions, the recursions and the result included); numpy's is its
// forward–backward on arrays already in memory. Both are medians of R runs, taken alternately.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { compile, infer } from '../../src/index.js';
import { BENCH_DIR } from '../lib/index.js';

const { values: opt } = parseArgs({
  options: {
    repeats: { type: 'string', default: '7' },
    data: {
      type: 'string',
      default: join(BENCH_DIR, '..', '..', 'shared', 'data', 'hmm', 'hmm-1000x200.json'),
    },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const HERE = join(BENCH_DIR, 'hmm');
const TARGET = 0.5;
const repeats = Number(opt.repeats);

interface HmmData {
  S: number;
  M: number;
  T: number;
  y: number[][];
  log_evidence: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const data = JSON.parse(readFileSync(opt.data!, 'utf8')) as HmmData;
  const model = compile(readFileSync(join(HERE, 'hmm.plato'), 'utf8'), { filename: 'hmm.plato' });
  const run = async () => {
    const t0 = performance.now();
    const post = await infer(model, { data: data as never, engine: 'exact' });
    return { seconds: (performance.now() - t0) / 1000, post };
  };
  const warm = await run(); // backend start-up and kernel compilation are not measured
  const before = tf.memory().numTensors;
  const plato: number[] = [];
  const numpy: number[] = [];
  let logZ = warm.post.logEvidence ?? Number.NaN;
  let numpyLogZ = Number.NaN;
  for (let r = 0; r < repeats; r++) {
    const p = await run();
    plato.push(p.seconds);
    logZ = p.post.logEvidence ?? Number.NaN;
    const out = JSON.parse(
      execFileSync(opt.python!, [join(HERE, 'numpy_fb.py'), opt.data!, '1'], { encoding: 'utf8' }),
    ) as { seconds: number; log_evidence: number };
    numpy.push(out.seconds);
    numpyLogZ = out.log_evidence;
  }
  const leaked = tf.memory().numTensors - before;
  const steps = data.M * data.T;
  const tp = median(plato);
  const tn = median(numpy);
  const rel = Math.abs(logZ - data.log_evidence) / Math.abs(data.log_evidence);
  console.log(
    `bench/hmm: ${data.S} states, ${data.M} sequences × ${data.T} steps; median of ${repeats}`,
  );
  console.log('system        seconds   steps/s     log evidence');
  console.log(
    `plato exact   ${tp.toFixed(4)}    ${(steps / tp / 1e6).toFixed(2)} M     ${logZ.toFixed(4)}`,
  );
  console.log(
    `numpy fb      ${tn.toFixed(4)}    ${(steps / tn / 1e6).toFixed(2)} M     ${numpyLogZ.toFixed(4)}`,
  );
  console.log(
    `speed ratio (plato / numpy steps per second): ${(tn / tp).toFixed(3)}× (target ≥ ${TARGET}×: ${tn / tp >= TARGET ? 'met' : 'missed'})`,
  );
  console.log(
    `log evidence relative error vs the stored float64 value: ${rel.toExponential(2)} (target ≤ 1e-4: ${rel <= 1e-4 ? 'met' : 'missed'}); tensors leaked: ${leaked}`,
  );
}

await main();
