import { defineConfig } from 'vitest/config';

// PLATO_VITEST_JSON=path also writes a JSON report (used by .ci/run for its summary line).
const json = process.env.PLATO_VITEST_JSON;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // rebuilds dist/ if src/ is newer: the spawned `plato` and the packed package run dist/
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: json ? ['default', ['json', { outputFile: json }]] : ['default'],
  },
});
