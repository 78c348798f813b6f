#!/usr/bin/env node
// `plato`: runs the TypeScript sources directly through tsx, so `npx plato …` works right
// after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
