// Docs that run: every `npx plato …` command shown in the README and docs/ is run here, in
// process. A command in a transcript (`$ npx plato …` followed by its output) must exit as the
// transcript shows (1 when it shows `error:`) and print the transcript's first line; every other
// command must succeed. Commands naming files that do not exist (placeholders such as
// `coin-typo.plato`, `MODEL`) are illustrations and are skipped.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runInProcess } from '../cli/helpers.js';

interface DocCommand {
  file: string;
  line: number;
  args: string[];
  /** the transcript's output lines, when the command is shown with `$` */
  output?: string[];
}

const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  ...readdirSync(join(ROOT, 'docs', 'engines'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/engines/${f}`),
];

function commandsIn(file: string): DocCommand[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const found: DocCommand[] = [];
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('```')) {
      inFence = !inFence;
      continue;
    }
    const m = inFence ? /^(\$ )?npx plato (.*)$/.exec(lines[i]) : null;
    if (!m) continue;
    const args = m[2]
      .replace(/\s#.*$/, '')
      .trim()
      .split(/\s+/);
    const cmd: DocCommand = { file, line: i + 1, args };
    if (m[1]) {
      const output: string[] = [];
      for (let j = i + 1; j < lines.length && !lines[j].startsWith('```'); j++) {
        if (lines[j].startsWith('$ ')) break;
        output.push(lines[j]);
      }
      cmd.output = output;
    }
    found.push(cmd);
  }
  return found;
}

const runnable = (c: DocCommand) =>
  c.args.every((a) => !/^[A-Z]+$|^</.test(a)) &&
  c.args.filter((a) => /\.(plato|json|csv)$/.test(a)).every((a) => existsSync(join(ROOT, a)));

const commands = DOCS.flatMap(commandsIn).filter(runnable);

describe('commands shown in the docs', () => {
  it('finds the documented commands', () => {
    expect(commands.length).toBeGreaterThan(20);
  });

  it.each(commands.map((c) => [`${c.file}:${c.line} plato ${c.args.join(' ')}`, c] as const))(
    '%s',
    async (_, c) => {
      const r = await runInProcess(c.args);
      const first = c.output?.find((l) => l.trim() !== '');
      const failing = first?.includes('error:') ?? false;
      expect(r.code, r.stderr).toBe(failing ? 1 : 0);
      if (first !== undefined && !first.startsWith('{')) {
        const printed = failing ? r.stderr : r.stdout;
        expect(printed.split('\n').map((l) => l.trimEnd())).toContain(first.trimEnd());
      }
    },
  );
});
