import { defineConfig } from 'vitest/config';

// The opt-in clustered-broker suite (`npm run test:cluster`): real RabbitMQ nodes, booted once
// per file, so hooks get minutes rather than seconds. Not part of `npm test` (vitest.config.ts
// excludes test/cluster).
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    // One cluster at a time: each node is a whole Erlang VM and the machine may have two cores.
    maxWorkers: 1,
    fileParallelism: false,
  },
});
