import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The clustered-broker suite boots RabbitMQ nodes: opt-in, `npm run test:cluster`.
    exclude: [...configDefaults.exclude, 'test/cluster/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // expect.poll waits on sockets and processes here: its default 1 s bound is a timing assertion
    // a loaded machine can miss. 10 s, as the helpers' WAIT_MS: a guard against hangs, nothing more.
    expect: { poll: { timeout: 10_000 } },
    // Two cores: broker suites spawn processes, so keep file parallelism modest.
    maxWorkers: 2,
  },
});
