import { defineConfig } from 'vitest/config';

// `npm run measure`: seeds a large channel through the public API and measures the client.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.perf.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 3_600_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
