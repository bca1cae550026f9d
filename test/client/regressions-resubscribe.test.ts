/**
 * Regressions found by review and fault testing of the core client (issue 8), in resubscribing
 * after a reconnect: UNSUBSCRIBEs cut off or queued are not undone, a late SUBACK does not bring
 * a filter back, and the re-SUBSCRIBE gets past a full offline queue. Each test fails
 * on the code before its fix; the waits are bounds against hangs, never timing assertions.
 */
import { describe, expect, it } from 'vitest';
import { ResultCode } from '../support/internals.js';
import { settle, subscribeAsync, unsubscribeAsync, waitFor } from './helpers.js';
import { useFakeBroker } from './fake-broker-setup.js';

const { fakeBroker, connectClient } = useFakeBroker();

describe('resubscribe after reconnect', () => {
  const FAST = { initialDelay: 5, maxDelay: 10 } as const;

  it('an UNSUBSCRIBE cut off by a lost connection is not undone: the filter is not subscribed again', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker, { clientId: 'unsub-cut', reconnect: FAST });
    const subscribed = subscribeAsync(client, [{ topic: 'keep/#', qos: 1 }, { topic: 'drop/#', qos: 1 }]);
    const sub = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: sub.packetId, granted: [1, 1] });
    expect((await subscribed).result).toBe(0);
    const unsubscribed = unsubscribeAsync(client, ['drop/#']);
    await conn.expect('unsubscribe');
    conn.close(); // before UNSUBACK
    expect(await unsubscribed).toBe(ResultCode.INCOMPLETE);
    const { conn: again } = await broker.acceptNext({ sessionPresent: false });
    const resub = await again.expect('subscribe');
    expect(resub.subscriptions).toEqual([{ topic: 'keep/#', qos: 1 }]);
  });

  it('an UNSUBSCRIBE queued while reconnecting is not followed by a re-SUBSCRIBE of the same filter', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker, { clientId: 'unsub-queued', reconnect: FAST });
    const subscribed = subscribeAsync(client, [{ topic: 'a', qos: 0 }, { topic: 'b', qos: 0 }]);
    const sub = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: sub.packetId, granted: [0, 0] });
    await subscribed;
    const lost = waitFor(client, 'close');
    conn.close();
    await lost;
    const unsubscribed = unsubscribeAsync(client, ['a']);
    const { conn: again } = await broker.acceptNext({ sessionPresent: false });
    const first = await again.expect('unsubscribe');
    expect(first.topics).toEqual(['a']);
    const resub = await again.expect('subscribe');
    expect(resub.subscriptions).toEqual([{ topic: 'b', qos: 0 }]);
    await again.send({ type: 'unsuback', packetId: first.packetId });
    expect(await unsubscribed).toBe(0);
  });

  it('a SUBACK for a subscribe made before an unsubscribe of the same filter does not bring it back', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker, { clientId: 'sub-unsub', reconnect: FAST });
    const subscribed = subscribeAsync(client, [{ topic: 'x', qos: 0 }, { topic: 'y', qos: 0 }]);
    const unsubscribed = unsubscribeAsync(client, ['x']);
    const sub = await conn.expect('subscribe');
    const unsub = await conn.expect('unsubscribe');
    await conn.send({ type: 'suback', packetId: sub.packetId, granted: [0, 0] });
    await conn.send({ type: 'unsuback', packetId: unsub.packetId });
    await subscribed;
    await unsubscribed;
    conn.close();
    const { conn: again } = await broker.acceptNext({ sessionPresent: false });
    expect((await again.expect('subscribe')).subscriptions).toEqual([{ topic: 'y', qos: 0 }]);
  });
});

describe('resubscribe with a full offline queue (found in review)', () => {
  it('the re-SUBSCRIBE on a fresh session is neither evicted by drop-oldest nor queued behind the held-back publishes', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker, { clientId: 'resub-full', maxInflight: 1, maxBuffered: 3, dropPolicy: 'drop-oldest', reconnect: { initialDelay: 5, maxDelay: 10 } });
    const subscribed = subscribeAsync(client, [{ topic: 'alerts/#', qos: 1 }]);
    const sub = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: sub.packetId, granted: [1] });
    expect((await subscribed).result).toBe(0);
    const lost = waitFor(client, 'close');
    conn.close();
    await lost;
    const results: number[] = [];
    for (let i = 0; i < 3; i++) client.publish(`out/${i}`, 'x', { qos: 1 }, (rc) => results.push(rc));
    const { conn: again } = await broker.acceptNext({ sessionPresent: false });
    // Before any PUBACK frees the one flow slot: the first publish, then the SUBSCRIBE.
    expect((await again.expect('publish')).topic).toBe('out/0');
    expect((await again.expect('subscribe')).subscriptions).toEqual([{ topic: 'alerts/#', qos: 1 }]);
    for (let i = 0; i < 3; i++) client.publish(`more/${i}`, 'y', { qos: 1 }, (rc) => results.push(rc));
    await settle();
    // The queue held out/1 and out/2 and takes 3 more with room for 3: both are evicted, and told so.
    expect(results).toEqual([ResultCode.MAX_BUFFERED, ResultCode.MAX_BUFFERED]);
  });
});
