// Start-up of the `plato` command as a user types it: the wall time of `npx plato check` and
// `npx plato infer` on the coin example, from process start to exit (node, npx, module loading,
// the work, the output), and the same through `node bin/plato.js` (without npx's own start-up).
// `npx plato --version` is npx's own start-up (npm's CLI, finding the bin), which every `npx plato`
// pays. Runs interleaved; prints the median, min and max wall time of each, the median CPU time
// (user + system of the child: on a busy machine, close to what the wall time would be on an idle
// one, as the command runs on one thread) and the machine's load meanwhile.
// Targets (issue 8): check < 0.5 s, infer on the coin < 1 s.
//   npx tsx bench/startup/run.ts [--repeats R] [--wait-quiet]     (npm run bench:startup)
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BENCH_DIR,
  type Contender,
  describeMachine,
  interleave,
  machineLine,
  median,
  OtherLoad,
  secs,
  textTable,
  timeIt,
  waitForQuiet,
} from '../lib/index.js';

const ROOT = join(BENCH_DIR, '..');
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
const repeats = Number(arg('--repeats') ?? 11);

const COIN = ['examples/coin/coin.plato'];
const DATA = ['--data', 'examples/coin/coin.json'];
const commands: { name: string; file: string; args: string[] }[] = [
  { name: 'npx plato --version', file: 'npx', args: ['plato', '--version'] },
  { name: 'npx plato check', file: 'npx', args: ['plato', 'check', ...COIN] },
  { name: 'npx plato infer', file: 'npx', args: ['plato', 'infer', ...COIN, ...DATA] },
  {
    name: 'node bin/plato.js check',
    file: process.execPath,
    args: ['bin/plato.js', 'check', ...COIN],
  },
  {
    name: 'node bin/plato.js infer',
    file: process.execPath,
    args: ['bin/plato.js', 'infer', ...COIN, ...DATA],
  },
];

/** CPU seconds of this process's finished children (Linux /proc; clock ticks of 1/100 s). */
function childCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[16 - 3]) + Number(f[17 - 3])) / 100;
  } catch {
    return Number.NaN;
  }
}

// dist/ must be current, or the first run would time a rebuild
execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], {
  cwd: ROOT,
  stdio: 'inherit',
});
if (process.argv.includes('--wait-quiet'))
  await waitForQuiet({}, (l) => console.log(`waiting: load ${l}`));

const contenders: Contender[] = commands.map((c) => ({
  name: c.name,
  warmup: 1,
  repeats,
  async run() {
    const cpu0 = childCpuSeconds();
    const { seconds, value } = await timeIt(() =>
      spawnSync(c.file, c.args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] }),
    );
    if (value.status !== 0) throw new Error(`${c.name} failed: ${value.stderr}`);
    return { seconds, extra: { cpuSeconds: childCpuSeconds() - cpu0 } };
  },
}));

const load = new OtherLoad();
load.start();
const before = describeMachine();
const results = await interleave(contenders);
const other = load.stop();
console.log(machineLine(before));
console.log(
  `other processes' load during the runs: ${other} cores; loadavg after ${describeMachine().loadAvg.join(' ')}`,
);
console.log(
  textTable(
    ['command (coin example)', 'median', 'min', 'max', 'median CPU', 'runs'],
    results.map((r) => [
      r.name,
      secs(r.medianSeconds),
      secs(r.minSeconds),
      secs(r.maxSeconds),
      secs(median(r.runs.map((m) => Number(m.extra?.cpuSeconds)))),
      `${r.runs.length}`,
    ]),
  ),
);
