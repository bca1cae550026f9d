/**
 * The engine over a long life: what a client retains must not grow with the cycles of what a
 * long-running application does — connections lost and regained (failing over between two
 * servers, publishes in flight, subscriptions restored), connect()/disconnect(), requests that
 * complete with errors, topics subscribed and left, handlers added and removed. Each measured in
 * a child process (children/engine.mjs) as heap retained per cycle between N and 4N cycles: a
 * leak of one small object a cycle is a hundred bytes or more; the figures measured are under 5.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycleRunner } from './harness.js';
import { startLeanBroker } from './lean-broker.js';
import type { LeanBroker } from './lean-broker.js';

const run = cycleRunner();
let servers: LeanBroker[] = [];
beforeAll(async () => {
  servers = [await startLeanBroker(), await startLeanBroker()];
});
afterAll(() => Promise.all(servers.map((server) => server.stop())));

describe('engine: heap retained per cycle', () => {
  it.each([
    ['reconnects', 'connection lost with QoS 0/1/2 publishes in flight, regained on the other server, subscriptions restored, a new topic subscribed and left', 200],
    ['connects', 'connect(), subscribe, QoS 1 publish, disconnect() on one client', 150],
    ['refusals', 'publishes refused by a full offline queue (reject-new, drop-oldest), and requests on a client not connecting (-3)', 2_000],
    ['topics', 'on one connection: a new topic subscribed, a message received on it, unsubscribed; a message handler added and removed', 200],
  ])('%s: %s', async (scenario, _what, n) => {
    const result = await run('engine.mjs', { scenario, n, servers: servers.map((server) => server.url) });
    expect(result.bytesPerCycle, JSON.stringify(result)).toBeLessThan(64);
  });
});
