// Before any test: rebuild dist/ when src/ is newer than it. Tests that spawn bin/plato.js or
// pack the package (test/cli, test/package) then run the code under test, as a user would run
// it, never a stale build. A fresh dist/ costs only a walk over src/'s modification times.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}
