/**
 * Packet-identifier exhaustion end to end through the imp API [imp §3.1, §4, §9.6]: with a
 * broker that does not acknowledge QoS 1, 65,535 sendasync() calls put 65,535 publishes in
 * flight with distinct ids [MQTT-2.3.1-1] [MQTT-2.3.1-2]; the 65,536th reports -10 and a
 * subscribe() calls back with -10, as the imp documents (the engine underneath would wait for an
 * id: the face keeps the imp's code); once the broker acknowledges them all, every earlier
 * callback reports 0 and ids are free again.
 *
 * A client given an explicit maxInflight of 65,535 queues the next send instead (shown next).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, mqtt } from '../../support/internals.js';
import type { ImpMqttClient } from '../../support/internals.js';
import { acceptConnect, startFakeBroker } from '../../support/fake-broker.js';
import type { FakeBroker } from '../../support/fake-broker.js';
import { closeAll, connectFake, impUrl, newDevice, sleep, waitFor } from './helpers.js';

const MAX_IDS = 65_535;

let broker: FakeBroker;
const clients: ImpMqttClient[] = [];

beforeAll(async () => {
  broker = await startFakeBroker({ autoPingresp: true });
});

afterAll(async () => {
  await broker.stop();
  await closeAll(clients);
});

describe('packet id exhaustion through sendasync()', () => {
  it('[MQTT-2.3.1-2] default configuration: 65,535 QoS 1 publishes in flight; the next send reports -10 and a subscribe() calls back -10 (the imp\'s code); acks complete every one with 0', async () => {
    const client = newDevice();
    clients.push(client);
    const { conn } = await connectFake(broker, client, 'exhaust');

    const results = new Int32Array(MAX_IDS).fill(1); // 1 = no callback yet
    let calls = 0;
    const message = client.createmessage('exhaust/t', 'x', { qos: mqtt.AT_LEAST_ONCE });
    for (let i = 0; i < MAX_IDS; i++) {
      const index = i;
      message.sendasync((rc) => {
        calls++;
        results[index] = rc;
      });
    }
    await waitFor(() => conn.received.length >= 1 + MAX_IDS, `${MAX_IDS} PUBLISH packets at the broker`, 20_000);
    // One more, and a subscribe(), with every id held by an open flow.
    const overflow: number[] = [];
    message.sendasync((rc) => overflow.push(rc));
    const subscribed: [number, number | number[]][] = [];
    expect(client.subscribe('exhaust/s', 1, (rc: number, qosMode: number | number[]) => subscribed.push([rc, qosMode]))).toBe(0);
    await waitFor(() => overflow.length === 1 && subscribed.length === 1, 'the 65,536th callback and the subscribe callback');
    expect([overflow, subscribed]).toEqual([[-10], [[-10, 0x80]]]);
    expect(calls).toBe(0); // nothing else completed: the broker has acknowledged nothing
    await sleep(20);
    expect(conn.received.length).toBe(1 + MAX_IDS); // neither went out
    const publishes = conn.received.slice(1);
    expect(publishes.every((p) => p.type === 'publish' && p.qos === 1 && !p.dup)).toBe(true);
    const ids = publishes.map((p) => (p as { packetId: number }).packetId);
    expect(new Set(ids).size).toBe(MAX_IDS);
    expect(Math.min(...ids)).toBe(1);
    expect(Math.max(...ids)).toBe(MAX_IDS);

    // The broker acknowledges everything at once, in reverse order.
    const pubacks = ids.reverse().map((packetId) => encode({ type: 'puback', packetId }));
    await conn.sendRaw(Buffer.concat(pubacks));
    await waitFor(() => calls === MAX_IDS, 'every sendasync callback', 20_000);
    expect(results.every((rc) => rc === 0)).toBe(true);

    // Ids are free again: a new publish goes out and completes.
    const again: number[] = [];
    message.sendasync((rc) => again.push(rc));
    await waitFor(() => conn.received.length === 2 + MAX_IDS, 'the next PUBLISH');
    const last = conn.received.at(-1) as { type: string; packetId: number };
    expect(last.type).toBe('publish');
    await conn.send({ type: 'puback', packetId: last.packetId });
    await waitFor(() => again.length === 1, 'the last callback');
    expect(again).toEqual([0]);
    expect(client.isconnected()).toBe(true);
  });

  it('with maxInflight 65,535 the 65,536th waits for a free id, then goes out with it and completes 0 (no loss, no hang)', async () => {
    const client = newDevice({ maxInflight: MAX_IDS });
    clients.push(client);
    const { conn } = await connectFake(broker, client, 'exhaust-queued');
    const message = client.createmessage('exhaust/q', 'x', { qos: 1 });
    for (let i = 0; i < MAX_IDS; i++) message.sendasync();
    const overflow: number[] = [];
    message.sendasync((rc) => overflow.push(rc));
    await waitFor(() => conn.received.length >= 1 + MAX_IDS, `${MAX_IDS} PUBLISH packets at the broker`, 20_000);
    expect(overflow).toEqual([]);
    await conn.send({ type: 'puback', packetId: 4242 });
    await waitFor(() => conn.received.length === 2 + MAX_IDS, 'the held PUBLISH');
    const held = conn.received.at(-1) as { type: string; packetId: number };
    expect(held).toMatchObject({ type: 'publish', packetId: 4242 });
    await conn.send({ type: 'puback', packetId: 4242 });
    await waitFor(() => overflow.length === 1, 'the held publish completing');
    expect(overflow).toEqual([0]);
  });

  // The core completes what it gives up on before it reports the loss, so a connect() from
  // inside the handler builds the next core on a store with no stale flows.
  it('reconnecting from onconnectionlost with a publish in flight leaks no packet id', async () => {
    const client = newDevice({ maxInflight: MAX_IDS + 1 });
    clients.push(client);
    const { conn } = await connectFake(broker, client, 'leak');
    const first: number[] = [];
    client.createmessage('leak/t', 'x', { qos: 1 }).sendasync((rc) => first.push(rc));
    await conn.expect('publish');
    const reconnected: number[] = [];
    client.onconnectionlost(() => {
      client.onconnect((rc) => reconnected.push(rc));
      client.connect(impUrl(broker.url), 'leak');
    });
    conn.close();
    const next = await broker.nextConnection();
    await acceptConnect(next);
    await waitFor(() => reconnected.length === 1 && first.length === 1, 'the reconnect');
    expect(first).toEqual([-11]);

    const results: number[] = [];
    const message = client.createmessage('leak/t', 'x', { qos: 1 });
    for (let i = 0; i < MAX_IDS; i++) message.sendasync((rc) => results.push(rc));
    // All 65,535 ids are free on the new connection: every publish goes out at once (a leaked id would hold one back).
    await waitFor(() => next.received.length >= 1 + MAX_IDS, 'every publish sent', 20_000);
    expect(results).toEqual([]);
    expect(next.received.length - 1).toBe(MAX_IDS);
  });
});
