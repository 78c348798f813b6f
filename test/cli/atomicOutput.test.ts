// `-o F` is written to a temporary file beside F and renamed over it only when whole
// (src/cli/io.ts): a process killed mid-write leaves the old F exactly as it was.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runInProcess } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'plato-atomic-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * Start the killed-save script on `target`; resolves once it has written its first chunk, with
 * the child and a promise of its exit.
 */
function startSave(target: string): Promise<{ child: ChildProcess; exited: Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'test/support/killedSave.mjs'), target], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      err += s;
    });
    const exited = new Promise((done) => child.once('exit', done));
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      if (s.includes('mid-write')) resolve({ child, exited });
    });
    child.on('error', reject);
    void exited.then((code) =>
      reject(new Error(`the save exited (${code}) before it was written: ${err}`)),
    );
  });
}

describe('-o is atomic', () => {
  it('a save killed (SIGKILL) mid-write leaves the old file intact; a normal save replaces it', async () => {
    const dir = join(tmp, 'killed');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const target = join(dir, 'fit.json');
    const old = '{"engine":"old"}\n';
    writeFileSync(target, old);
    const { child, exited } = await startSave(target);
    // the first chunk is on disk, in the temporary file, not in the target
    const temps = readdirSync(dir).filter((f) => f !== 'fit.json');
    expect(temps).toHaveLength(1);
    expect(temps[0]).toMatch(/^\.fit\.json\.\d+-[0-9a-f]{8}\.tmp$/);
    expect(statSync(join(dir, temps[0])).size).toBeGreaterThan(0);
    child.kill('SIGKILL');
    expect(await exited).toBe(null); // killed by the signal, no exit code
    expect(readFileSync(target, 'utf8')).toBe(old);
    // what the kill leaves is only the marked temporary file, never a partial target
    expect(readdirSync(dir).sort()).toEqual(['fit.json', temps[0]].sort());

    // a normal save replaces the file whole and leaves no temporary file
    const r = await runInProcess([
      'sample',
      join(ROOT, 'examples/coin/coin.plato'),
      '--data',
      join(ROOT, 'examples/coin/coin.json'),
      '-n',
      '3',
      '-o',
      target,
    ]);
    expect(r.code).toBe(0);
    const saved = JSON.parse(readFileSync(target, 'utf8'));
    expect(saved.engine).toBe('sample');
    expect(saved.n).toBe(3);
    expect(readdirSync(dir).filter((f) => f !== temps[0])).toEqual(['fit.json']);
  });

  it('a run that fails while writing leaves the old file and no temporary file', async () => {
    const dir = join(tmp, 'failed');
    mkdirSync(dir);
    const target = join(dir, 'out.json');
    writeFileSync(target, 'before\n', { mode: 0o640 });
    const { openOutput } = await import('../../src/cli/io.js');
    const file = await openOutput(target);
    await file.write('{"partial":');
    await file.discard();
    expect(readFileSync(target, 'utf8')).toBe('before\n');
    expect(readdirSync(dir)).toEqual(['out.json']);
    // a committed save keeps the old file's permissions
    const again = await openOutput(target);
    await again.write('after\n');
    await again.commit();
    expect(readFileSync(target, 'utf8')).toBe('after\n');
    expect(statSync(target).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['out.json']);
  });

  it('a directory as the target is a user error', async () => {
    const r = await runInProcess([
      'sample',
      join(ROOT, 'examples/coin/coin.plato'),
      '--data',
      join(ROOT, 'examples/coin/coin.json'),
      '-n',
      '2',
      '-o',
      tmp,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot write output file '.*': is a directory\n$/);
  });
});
