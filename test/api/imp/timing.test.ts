/**
 * sendasync(), subscribe() and unsubscribe() report through their callbacks, never from inside
 * the call [imp §3.1 "asynchronously", §9.2]: a callback that runs before the call returns sees
 * the caller's bookkeeping half done (a pending count not yet raised, a variable not yet set).
 * Refusals the engine decides at once (-12 past maxBuffered; -10 with every packet id taken, until
 * such a request waited for an id instead) are the cases that used to come back synchronously.
 */
import { describe, expect, it } from 'vitest';
import { fakeBrokerPerTest, connectFake, sleep } from './helpers.js';

const fx = fakeBrokerPerTest();

/** Runs `start(callback)`, recording whether the callback ran before `start` returned. */
function timed(start: (callback: (...args: unknown[]) => void) => void): { log: string[] } {
  const log: string[] = [];
  let inside = true;
  start((...args) => log.push(`${inside ? 'sync' : 'async'} ${JSON.stringify(args)}`));
  inside = false;
  return { log };
}

describe('callbacks are never called from inside the call (found in review)', () => {
  it('sendasync: -12 past maxBuffered arrives after sendasync() has returned', async () => {
    const client = fx.device({ maxInflight: 1, maxBuffered: 1 });
    await connectFake(fx.broker, client, 'buffered');
    client.createmessage('a', '1', { qos: 1 }).sendasync();
    client.createmessage('b', '2', { qos: 1 }).sendasync();
    const { log } = timed((cb) => client.createmessage('c', '3', { qos: 1 }).sendasync((rc) => cb(rc)));
    expect(log).toEqual([]);
    await sleep(20);
    expect(log).toEqual(['async [-12]']);
  });

  it('with the buffer full behind maxInflight: subscribe() callback (-12, 0x80) and unsubscribe() callback -1, after the call', async () => {
    const client = fx.device({ maxInflight: 1, maxBuffered: 1 });
    await connectFake(fx.broker, client, 'ids');
    const message = client.createmessage('t', 'x', { qos: 1 });
    message.sendasync();
    message.sendasync();
    let returned: number | undefined;
    const sub = timed((cb) => {
      returned = client.subscribe('s', 0, (rc: number, qosMode: number | number[]) => cb(rc, qosMode));
    });
    const unsub = timed((cb) => client.unsubscribe('s', (rc) => cb(rc)));
    expect([sub.log, unsub.log]).toEqual([[], []]);
    expect(returned).toBe(0);
    await sleep(20);
    expect([sub.log, unsub.log]).toEqual([['async [-12,128]'], ['async [-1]']]);
  });
});
