import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real nodes and subprocesses; give them room on 2-core machines.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: run two test files at a time (each e2e file mostly waits on subprocesses).
    maxWorkers: 2,
    env: { DTX_LOG_LEVEL: 'silent' },
    setupFiles: ['test/_util/setup.ts'],
  },
});
