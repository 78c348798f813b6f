// Two ways to run the command line in tests: in this process (fast; for output layouts) and
// as a child process through bin/plato.js (for exit codes, stderr and the bin script itself).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { run } from '../../src/cli/program.js';
import type { EngineInfo } from '../../src/infer/options.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'plato.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

type WriteCallback = (err?: Error | null) => void;

/** `run(argv)` with stdout and stderr captured; `engines`: the engines whose flags it has. */
export async function runInProcess(
  args: readonly string[],
  engines?: readonly EngineInfo[],
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const capture = (sink: string[]) =>
    ((chunk: string | Uint8Array, a?: unknown, b?: unknown) => {
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const cb = (typeof a === 'function' ? a : b) as WriteCallback | undefined;
      if (cb) queueMicrotask(() => cb());
      return true;
    }) as typeof process.stdout.write;
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(capture(out));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(capture(err));
  try {
    const code = await run(args, engines);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** `node bin/plato.js …args` from the repository root. */
export function spawnCli(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A stack trace in text looks like `    at fn (file:line:col)`. */
export const STACK_LINE = /^\s+at .+[:(]/m;
