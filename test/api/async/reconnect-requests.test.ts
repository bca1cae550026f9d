/**
 * With `reconnect` on, a subscribe or unsubscribe cut off by a lost connection (sent, its ack not
 * yet back) survives the outage as publishes do: it is sent again on the next connection and
 * resolves with that connection's acknowledgement (found in review). Without reconnect it rejects
 * CONNECTION_LOST at once (integration-faults.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from '../../../src/api/async/index.js';
import { startFakeBroker } from '../../support/fake-broker.js';
import type { FakeBroker, FakeConnection } from '../../support/fake-broker.js';
import { Cleanup } from '../../client/helpers.js';
import { bounded, unconnected } from './async-helpers.js';
import { MemorySessionStore } from '../../../src/session/store.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function connectFake(): Promise<{ broker: FakeBroker; client: Client; conn: FakeConnection }> {
  const broker = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
  const client = unconnected(cleanup, broker.url, { reconnect: { initialDelay: 10, maxDelay: 20 } });
  const [conn] = await Promise.all([broker.acceptNext().then((a) => a.conn), client.connect()]);
  return { broker, client, conn };
}

describe('reconnect: requests cut off by the loss', () => {
  it('a subscribe whose SUBACK never came is sent again after reconnecting and resolves with the new grant', async () => {
    const { broker, client, conn } = await connectFake();
    const subscribing = client.subscribe('cut/#', { qos: 1 }).catch((error: unknown) => error);
    await conn.expect('subscribe');
    conn.close();
    const { conn: second } = await broker.acceptNext();
    const again = await second.expect('subscribe');
    expect(again.subscriptions).toEqual([{ topic: 'cut/#', qos: 1 }]);
    await second.send({ type: 'suback', packetId: again.packetId, granted: [1] });
    expect(await bounded(subscribing, 'subscribe()')).toBe(1);
  });

  it('an unsubscribe whose UNSUBACK never came is sent again after reconnecting and resolves', async () => {
    const { broker, client, conn } = await connectFake();
    const unsubscribing = client.unsubscribe('gone/#').catch((error: unknown) => error);
    await conn.expect('unsubscribe');
    conn.close();
    const { conn: second } = await broker.acceptNext();
    const again = await second.expect('unsubscribe');
    expect(again.topics).toEqual(['gone/#']);
    await second.send({ type: 'unsuback', packetId: again.packetId });
    expect(await bounded(unsubscribing, 'unsubscribe()')).toBeUndefined();
  });
});

describe('publish options reach the engine whole', () => {
  it("a QoS 0 publish's properties (no qos, retain or messageId given) are kept with the message a store queues", async () => {
    const broker = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const queued: unknown[] = [];
    const store = new (class extends MemorySessionStore<never> {
      queued(request: { topic: string; properties?: Record<string, string> }): void {
        queued.push({ topic: request.topic, properties: request.properties });
      }
    })();
    const client = unconnected(cleanup, broker.url, { queueQoS0: true, store });
    const connecting = client.connect();
    const conn = await broker.nextConnection();
    await conn.expect('connect');
    // Still connecting: the QoS 0 publish waits in the session's queue, where the store sees it.
    const publishing = client.publish('q/0', 'x', { properties: { order: '42' } });
    expect(queued).toEqual([{ topic: 'q/0', properties: { order: '42' } }]);
    await conn.send({ type: 'connack', sessionPresent: false, returnCode: 0 });
    await bounded(connecting, 'connect()');
    await bounded(publishing, 'publish()');
  });
});
