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
    // one wasm thread per test process: vitest already runs one fork per core, and wasm threads
    // on top oversubscribe the cores (pthreadpool spins while it waits). Tests that are about
    // threads (test/backend/threads.test.ts) set the count of the processes they start.
    env: { PLATO_WASM_THREADS: process.env.PLATO_WASM_THREADS ?? '1' },
    reporters: json ? ['default', ['json', { outputFile: json }]] : ['default'],
  },
});
