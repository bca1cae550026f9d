/**
 * The faces over a long life: each cycle of what a long-running application does, measured in
 * a child process (children/<face>.mjs) as heap retained per cycle between N and 4N cycles. A
 * leak of one small object a cycle is a hundred bytes or more; the figures measured are under
 * 30 (a few KB allocated once, spread over the cycles), most under 5.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycleRunner } from './harness.js';
import type { CycleResult } from './harness.js';
import { startLeanBroker } from './lean-broker.js';
import type { LeanBroker } from './lean-broker.js';

const run = cycleRunner();
let broker: LeanBroker;
/** Never answers a SUBSCRIBE. */
let silent: LeanBroker;
/** Refuses every connection once a client publishes 'cut/outage' (one test's outage). */
let failing: LeanBroker;
beforeAll(async () => {
  [broker, silent, failing] = await Promise.all([startLeanBroker(), startLeanBroker({ silentOnSubscribe: true }), startLeanBroker()]);
});
afterAll(() => Promise.all([broker, silent, failing].map((b) => b?.stop())));

const under = (result: CycleResult): void => expect(result.bytesPerCycle, JSON.stringify(result)).toBeLessThan(64);

describe('async face: heap retained per cycle', () => {
  // Was ~970 B until the client's `timeout` passed: the shared deadline timer held the closed client.
  it('clients made, connected, used and disconnected (timeout 60 s): none held after its disconnect()', async () => {
    under(await run('async.mjs', { scenario: 'clients', url: broker.url, n: 120 }));
  });

  // Was ~370 B per publish for as long as the pending one lasted (up to `timeout`).
  it('publishes completed one after another behind an operation that stays pending (timeout 60 s): not kept behind it', async () => {
    under(await run('async.mjs', { scenario: 'behindPending', url: silent.url, n: 300 }));
  });

  it('operations aborted, with limits and signals of their own, and for-await loops left by break, throw and return()', async () => {
    under(await run('async.mjs', { scenario: 'operations', url: broker.url, n: 150 }));
  });
});

describe('queue face: heap retained per cycle', () => {
  // Was ~1 KB per call until the broker came back: each receive() left a reaction on the subscription.
  it('receive() with a short wait, polled while the broker cannot be reached', async () => {
    under(await run('queue.mjs', { scenario: 'outage', url: failing.url, n: 300 }));
  });

  it('open() and close(), with a receive() that expires, listen()/endListen() and a send each time', async () => {
    under(await run('queue.mjs', { scenario: 'opens', url: broker.url, n: 100 }));
  });
});

describe('imp face: heap retained per cycle', () => {
  // Was ~300 B per client id, for good: a clean session's store was kept per id.
  it('connect() and disconnect() under a new client id each time, handlers set again and a message sent', async () => {
    under(await run('imp.mjs', { scenario: 'connects', url: broker.url, n: 120, ids: 'new' }));
  });
});
