import { defineConfig } from 'vitest/config';

// Browser tests against the real server binary; run one file at a time on a small machine.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
