// docs/library.md stays true: its example program runs (with `plato` resolved to this
// repository's library) and prints exactly the output the page shows.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { ROOT } from '../cli/helpers.js';

/** The fenced block that follows `marker` in `text` (its lines without the fences). */
function blockAfter(text: string, marker: string): string {
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`docs/library.md has no '${marker}'`);
  const open = text.indexOf('```', at);
  const start = text.indexOf('\n', open) + 1;
  return text.slice(start, text.indexOf('```', start));
}

it('the example program of docs/library.md prints what the page shows', async () => {
  const page = readFileSync(join(ROOT, 'docs', 'library.md'), 'utf8');
  const program = blockAfter(page, '<!-- the program and its output');
  const expected = blockAfter(page, 'It prints:');
  expect(program).toContain("from 'plato'");
  const dir = mkdtempSync(join(tmpdir(), 'plato-library-doc-'));
  const file = join(dir, 'app.mjs');
  const library = pathToFileURL(join(ROOT, 'src', 'index.ts')).href;
  writeFileSync(file, program.replace("from 'plato'", `from '${library}'`));
  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
  const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(tsx, [file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => {
        stdout += s;
      });
      child.stderr.setEncoding('utf8').on('data', (s: string) => {
        stderr += s;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    },
  );
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  expect(out.stdout).toBe(expected);
}, 60_000);
