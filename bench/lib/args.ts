// The command-line options every bench/<workload>/run.ts shares, for node:util's parseArgs:
// spread them into its `options` beside the workload's own.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BENCH_DIR } from './report.js';

/**
 * The workloads' data sets (peers.md): ../shared/data beside the repository, or beside a
 * parent folder of it (a git worktree under another folder).
 */
export const SHARED_DATA = sharedData();

function sharedData(): string {
  let d = BENCH_DIR;
  for (let i = 0; i < 5; i++) {
    d = dirname(d);
    if (existsSync(join(d, 'shared', 'data'))) return join(d, 'shared', 'data');
  }
  return join(BENCH_DIR, '..', '..', 'shared', 'data');
}

/** --quick, --repeats R, --wait-quiet and --wait-minutes M (waitIfAsked reads the last two). */
export const COMMON_OPTIONS = {
  quick: { type: 'boolean', default: false },
  repeats: { type: 'string' },
  'wait-quiet': { type: 'boolean', default: false },
  'wait-minutes': { type: 'string', default: '10' },
} as const;

/** The peer's interpreter: Debian's python3, as peers.md prescribes. */
export const PYTHON_OPTION = { python: { type: 'string', default: '/usr/bin/python3' } } as const;

/** --python and --data FILE (default: `data` under SHARED_DATA). */
export function peerOptions(data: string) {
  return { data: { type: 'string', default: join(SHARED_DATA, data) }, ...PYTHON_OPTION } as const;
}
