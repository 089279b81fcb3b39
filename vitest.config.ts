import { defineConfig } from 'vitest/config';

// In CI the JSON report feeds the closing "N passed, N failed" line printed by .ci/run.
const ci = Boolean(process.env.CI);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: keep the worker count small so multi-threaded native tests are not starved.
    maxWorkers: 2,
    reporters: ci ? ['default', 'json'] : ['default'],
    outputFile: ci ? { json: 'test-results/vitest.json' } : undefined,
  },
});
