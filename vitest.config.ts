import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The clustered-broker suite boots RabbitMQ nodes: opt-in, `npm run test:cluster`.
    exclude: [...configDefaults.exclude, 'test/cluster/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: broker suites spawn processes, so keep file parallelism modest.
    maxWorkers: 2,
  },
});
