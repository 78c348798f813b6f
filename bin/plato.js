#!/usr/bin/env node
// `plato`: runs the compiled command line in dist/. An installed package ships dist/ built; in a
// development checkout (tsconfig.build.json present) dist/ is rebuilt first when src/ is newer,
// so `npx plato` never runs stale code (`npm ci` builds it once through the `prepare` script).
import { existsSync } from 'node:fs';

if (existsSync(new URL('../tsconfig.build.json', import.meta.url))) {
  const { build, stale } = await import('../scripts/build.mjs');
  if (stale()) {
    process.stderr.write('plato: src/ changed since the last build; rebuilding dist/ …\n');
    build(process.stderr);
  }
}
await import('../dist/cli/main.js');
