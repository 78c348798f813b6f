#!/usr/bin/env node
// Builds dist/: ESM JavaScript and declarations from src/ (tsconfig.build.json), what the
// package's `exports` and bin/plato.js run. `npm ci` runs it (the `prepare` script).
//   node scripts/build.mjs             clean build: dist/ removed first, so no stale module stays
//   node scripts/build.mjs --if-stale  build only when a source is newer than the last build
//                                      (vitest's globalSetup: tests that spawn bin/plato.js
//                                      must run the code under test, never an old dist/)
// bin/plato.js imports `stale` and `build` in a development checkout, so `npx plato` after an edit
// runs the edited code. Plain Node on purpose: it runs before anything is compiled, and tsx is a dev dependency.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
// written when a build starts and dated to its start, so an edit made during the build counts
// as newer than the build
const STAMP = join(DIST, '.build-stamp');
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

/** The newest modification time under `path`; directories count (a deleted file changes its directory). */
function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const e of readdirSync(path)) t = Math.max(t, newest(join(path, e)));
  return t;
}

/** Whether dist/ is missing or older than a source or build setting. */
export function stale() {
  if (!existsSync(STAMP)) return true;
  const built = statSync(STAMP).mtimeMs;
  return INPUTS.some((p) => newest(join(ROOT, p)) > built);
}

/** A clean build; tsc's output goes to `out` (bin/plato.js passes stderr: its stdout is the result). */
export function build(out = 'inherit') {
  const start = new Date();
  rmSync(DIST, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], {
    cwd: ROOT,
    stdio: ['ignore', out, out],
  });
  writeFileSync(STAMP, '');
  utimesSync(STAMP, start, start);
}

const direct =
  process.argv[1] !== undefined && join(process.argv[1]) === fileURLToPath(import.meta.url);
if (direct && (!process.argv.includes('--if-stale') || stale())) build();
