// What a benchmark ran on, and how busy the machine was meanwhile. A figure without its
// machine and load is not comparable (peers.md: figures are "from one machine on one day").
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  readonly date: string;
  readonly nproc: number;
  readonly cpuModel: string;
  readonly memGiB: number;
  readonly os: string;
  readonly node: string;
  readonly gitCommit: string;
  readonly gitDirty: boolean;
  readonly loadAvg: readonly number[];
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return '';
  }
}

export function describeMachine(): MachineInfo {
  const cpuinfo = readOr('/proc/cpuinfo', '');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const release = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readOr('/etc/os-release', ''))?.[1];
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc: os.availableParallelism(),
    cpuModel: model.trim(),
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: release ?? `${os.type()} ${os.release()}`,
    node: process.version,
    gitCommit: git(['rev-parse', '--short', 'HEAD']),
    gitDirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
    loadAvg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** A one-line description for the head of a report. */
export function machineLine(m: MachineInfo): string {
  return (
    `${m.date}  nproc=${m.nproc}  ${m.cpuModel}  ${m.memGiB} GiB  ${m.os}  node ${m.node}` +
    `  commit ${m.gitCommit}${m.gitDirty ? '+dirty' : ''}  loadavg ${m.loadAvg.join(' ')}`
  );
}

// CPU time is read from /proc in clock ticks (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND = 100;

function procTicks(pid: number | 'self', withChildren: boolean): number {
  const stat = readOr(`/proc/${pid}/stat`, '');
  if (stat === '') return 0;
  // fields after the parenthesised command name: state is field 3, utime 14, stime 15, cutime 16, cstime 17
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const at = (field: number) => Number(f[field - 3]);
  return at(14) + at(15) + (withChildren ? at(16) + at(17) : 0);
}

function busyTicks(): number {
  const line = readOr('/proc/stat', '').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …: busy = all but idle and iowait
  return v.reduce((a, b) => a + b, 0) - (v[3] ?? 0) - (v[4] ?? 0);
}

/**
 * Measures the load from OTHER processes over an interval: all busy CPU time on the machine
 * minus that of this process, its finished children and the live helper processes named.
 */
export class OtherLoad {
  private t0 = 0;
  private busy0 = 0;
  private own0 = 0;
  private pids: number[] = [];

  start(livePids: readonly number[] = []): void {
    this.pids = [...livePids];
    this.t0 = Date.now();
    this.busy0 = busyTicks();
    this.own0 = this.ownTicks();
  }

  /** other processes' average busy cores since start() (0 when /proc is unavailable) */
  stop(): number {
    const seconds = (Date.now() - this.t0) / 1000;
    const other = busyTicks() - this.busy0 - (this.ownTicks() - this.own0);
    if (seconds <= 0) return 0;
    return Math.max(0, Math.round((other / TICKS_PER_SECOND / seconds) * 1000) / 1000);
  }

  private ownTicks(): number {
    return procTicks('self', true) + this.pids.reduce((a, p) => a + procTicks(p, false), 0);
  }
}

/**
 * Wait until other processes use at most `maxCores` on average over a `windowSeconds` window,
 * or until `timeoutSeconds` have passed. Returns the last window's load and whether it was quiet.
 */
export async function waitForQuiet(
  opts: { maxCores?: number; windowSeconds?: number; timeoutSeconds?: number } = {},
  onWait?: (load: number) => void,
): Promise<{ quiet: boolean; load: number }> {
  const maxCores = opts.maxCores ?? 0.2;
  const windowMs = (opts.windowSeconds ?? 5) * 1000;
  const deadline = Date.now() + (opts.timeoutSeconds ?? 600) * 1000;
  for (;;) {
    const probe = new OtherLoad();
    probe.start();
    await new Promise((r) => setTimeout(r, windowMs));
    const load = probe.stop();
    if (load <= maxCores) return { quiet: true, load };
    if (Date.now() >= deadline) return { quiet: false, load };
    onWait?.(load);
  }
}

/**
 * The `--wait-quiet [--wait-minutes M]` flags every run.ts offers: when asked, wait up to M
 * minutes for a quiet machine, saying so through `log`; run anyway when it stays busy.
 */
export async function waitIfAsked(
  opt: { 'wait-quiet'?: boolean; 'wait-minutes'?: string },
  log: (line: string) => void,
): Promise<void> {
  if (!opt['wait-quiet']) return;
  const minutes = Number(opt['wait-minutes']);
  log(`waiting up to ${minutes} min for other processes to use < 0.2 cores…`);
  const q = await waitForQuiet({ timeoutSeconds: minutes * 60 }, (l) =>
    log(`  other load ${l} cores`),
  );
  log(q.quiet ? `quiet (${q.load} cores)` : `still busy (${q.load} cores); running anyway`);
}
