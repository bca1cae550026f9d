/**
 * The imp's MQTT rate limits (seed 001; imp-api.md §6, §9.13) as the client applies them: token
 * buckets on an injected clock, every packet costing one credit each way, acknowledgements
 * included. Inbound overrun drops the connection with onconnectionlost(-2) before the offending
 * packet is acknowledged; outbound overrun gives sendasync -4 and subscribe() returns -4
 * (impmqtt's documented choice: Paho's "max messages in flight"). Off unless configured; `true` =
 * 40 credits, +2/s out, +8/s in. The bucket itself is tested in token-bucket.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImpClientConfig, ImpMqttClient } from '../../support/internals.js';
import { startFakeBroker } from '../../support/fake-broker.js';
import type { FakeBroker, FakeConnection } from '../../support/fake-broker.js';
import { Calls, Inbox, closeAll, connectFake, disconnectFake, newDevice, sleep } from './helpers.js';

// ---------------------------------------------------------------------------------------------
// The limits applied by the client, on a fake clock.

let broker: FakeBroker;
const clients: ImpMqttClient[] = [];
let now = 0;
const clock = (): number => now;

beforeEach(async () => {
  now = 5_000_000;
  broker = await startFakeBroker();
});

afterEach(async () => {
  await broker.stop();
  await closeAll(clients.splice(0));
});

async function connected(config: ImpClientConfig): Promise<{ client: ImpMqttClient; conn: FakeConnection; lost: Calls<[number]>; inbox: Inbox }> {
  const client = newDevice({ clock, ...config });
  clients.push(client);
  const lost = new Calls<[number]>();
  const inbox = new Inbox();
  client.onconnectionlost((reason: number) => lost.record(reason));
  client.onmessage(inbox.handler);
  // keepalive 0: no PINGREQ/PINGRESP to count.
  const { conn } = await connectFake(broker, client, 'rate', { keepalive: 0 });
  return { client, conn, lost, inbox };
}

const publish = (packetId: number, qos: 0 | 1 = 1) =>
  qos === 0
    ? ({ type: 'publish', topic: 'in', payload: new Uint8Array([packetId & 0xff]), qos: 0, dup: false, retain: false } as const)
    : ({ type: 'publish', topic: 'in', payload: new Uint8Array([packetId & 0xff]), qos: 1, dup: false, retain: false, packetId } as const);

describe('inbound limit: the connection drops with onconnectionlost(-2) [seed 001, imp §2.7]', () => {
  it('the packet over the limit is neither delivered nor acknowledged', async () => {
    const { conn, lost, inbox } = await connected({ rateLimits: { inbound: { credits: 5, refillPerSecond: 1 } } });
    // CONNACK took one credit: four more packets fit.
    for (let id = 1; id <= 4; id++) {
      await conn.send(publish(id));
      expect(await conn.expect('puback')).toEqual({ type: 'puback', packetId: id });
    }
    expect(lost.count).toBe(0);
    await conn.send(publish(5));
    await lost.waitForCount(1);
    expect(lost.args).toEqual([[-2]]);
    await conn.expectClosed();
    expect(conn.received.filter((p) => p.type === 'puback').map((p) => (p as { packetId: number }).packetId)).toEqual([1, 2, 3, 4]);
    expect(inbox.items).toHaveLength(4);
  });

  it('credits come back with time on the injected clock', async () => {
    const { conn, lost, inbox } = await connected({ rateLimits: { inbound: { credits: 3, refillPerSecond: 1 } } });
    await conn.send(publish(1));
    await conn.expect('puback');
    await conn.send(publish(2));
    await conn.expect('puback'); // bucket empty now
    now += 2_000; // two credits back
    await conn.send(publish(3));
    await conn.expect('puback');
    await conn.send(publish(4));
    await conn.expect('puback');
    expect(lost.count).toBe(0);
    await conn.send(publish(5));
    await lost.waitForCount(1);
    expect(lost.args).toEqual([[-2]]);
    expect(inbox.items).toHaveLength(4);
  });

  it('acknowledgements from the broker count: PUBACKs for our publishes use inbound credits', async () => {
    const { client, conn, lost } = await connected({ rateLimits: { inbound: { credits: 3, refillPerSecond: 1 } } });
    const results = new Calls<[number]>();
    client.createmessage('out', 'a', { qos: 1 }).sendasync((rc) => results.record(rc));
    client.createmessage('out', 'b', { qos: 1 }).sendasync((rc) => results.record(rc));
    const first = await conn.expect('publish');
    const second = await conn.expect('publish');
    await conn.send({ type: 'puback', packetId: first.packetId! });
    await conn.send({ type: 'puback', packetId: second.packetId! });
    await results.waitForCount(2);
    expect(results.args).toEqual([[0], [0]]);
    // CONNACK + 2 PUBACKs = 3 credits: even a QoS 0 message is now one too many.
    await conn.send(publish(9, 0));
    await lost.waitForCount(1);
    expect(lost.args).toEqual([[-2]]);
  });

  it('rateLimits: true allows 40 packets at once (CONNACK included), then drops on the 41st', async () => {
    const { conn, lost, inbox } = await connected({ rateLimits: true });
    for (let i = 0; i < 39; i++) await conn.send(publish(i, 0));
    await inbox.waitForCount(39);
    expect(lost.count).toBe(0);
    await conn.send(publish(40, 0));
    await lost.waitForCount(1);
    expect(lost.args).toEqual([[-2]]);
    expect(inbox.items).toHaveLength(39);
  });

  it('rateLimits: true refills 8 per second inbound', async () => {
    const { conn, lost, inbox } = await connected({ rateLimits: true });
    for (let i = 0; i < 39; i++) await conn.send(publish(i, 0));
    await inbox.waitForCount(39);
    now += 1_000;
    for (let i = 0; i < 8; i++) await conn.send(publish(100 + i, 0));
    await inbox.waitForCount(47);
    expect(lost.count).toBe(0);
    await conn.send(publish(200, 0));
    await lost.waitForCount(1);
    expect(lost.args).toEqual([[-2]]);
  });

  it('is off by default: 200 packets at one instant are all accepted', async () => {
    const { conn, lost, inbox } = await connected({});
    for (let i = 0; i < 200; i++) await conn.send(publish(i, 0));
    await inbox.waitForCount(200);
    expect(lost.count).toBe(0);
  });
});

describe('outbound limit: sendasync -4, subscribe() returns -4 [seed 001, imp §9.13]', () => {
  it('refuses once the credits are spent (CONNECT included), without dropping the connection', async () => {
    const { client, conn, lost } = await connected({ rateLimits: { outbound: { credits: 3, refillPerSecond: 2 } } });
    const results = new Calls<[string, number]>();
    client.createmessage('o', '1').sendasync((rc) => results.record('1', rc));
    client.createmessage('o', '2').sendasync((rc) => results.record('2', rc));
    let refusedSync = true;
    client.createmessage('o', '3').sendasync((rc) => {
      results.record('3', rc);
    });
    refusedSync = results.args.some(([name]) => name === '3');
    expect(refusedSync).toBe(false); // the -4 arrives through the callback, asynchronously
    await results.waitForCount(3);
    expect(results.args.sort()).toEqual([
      ['1', 0],
      ['2', 0],
      ['3', -4],
    ]);
    const subscribed = new Calls<unknown[]>();
    expect(client.subscribe('s', 0, () => subscribed.record())).toBe(-4);
    const unsubscribed = new Calls<[number]>();
    client.unsubscribe('s', (rc) => unsubscribed.record(rc));
    await unsubscribed.waitForCount(1);
    expect(unsubscribed.args).toEqual([[-1]]);
    await sleep(20);
    expect(subscribed.count).toBe(0);
    // Only the two publishes reached the broker.
    expect(conn.received.map((p) => p.type)).toEqual(['connect', 'publish', 'publish']);
    expect(client.isconnected()).toBe(true);
    expect(lost.count).toBe(0);

    now += 500; // one credit at 2/s
    const later = new Calls<[number]>();
    client.createmessage('o', '4').sendasync((rc) => later.record(rc));
    client.createmessage('o', '5').sendasync((rc) => later.record(rc));
    await later.waitForCount(2);
    expect(later.args).toEqual([[0], [-4]]);
    expect((await conn.expect('publish', { timeoutMs: 1000 })).topic).toBe('o');
  });

  it('acknowledgements we send count: a PUBACK for an inbound message spends an outbound credit', async () => {
    const { client, conn } = await connected({ rateLimits: { outbound: { credits: 3, refillPerSecond: 2 } } });
    await conn.send(publish(1));
    await conn.expect('puback'); // CONNECT + PUBACK: one credit left
    const results = new Calls<[number]>();
    client.createmessage('o', 'a').sendasync((rc) => results.record(rc));
    client.createmessage('o', 'b').sendasync((rc) => results.record(rc));
    await results.waitForCount(2);
    expect(results.args).toEqual([[0], [-4]]);
  });

  it('acknowledgements are never held back: with the bucket empty, PUBACKs still go out (as debt)', async () => {
    const { client, conn, lost } = await connected({ rateLimits: { outbound: { credits: 1, refillPerSecond: 2 } } });
    // CONNECT spent the only credit.
    for (let id = 1; id <= 3; id++) {
      await conn.send(publish(id));
      expect(await conn.expect('puback')).toEqual({ type: 'puback', packetId: id });
    }
    expect(lost.count).toBe(0);
    const results = new Calls<[number]>();
    now += 1_500; // three credits: the debt of three PUBACKs is repaid, nothing more
    client.createmessage('o', 'x').sendasync((rc) => results.record(rc));
    now += 500;
    client.createmessage('o', 'y').sendasync((rc) => results.record(rc));
    await results.waitForCount(2);
    expect(results.args).toEqual([[-4], [0]]);
  });

  it('QoS 2 spends a credit for PUBLISH and one for PUBREL', async () => {
    const { client, conn } = await connected({ rateLimits: { outbound: { credits: 4, refillPerSecond: 2 } } });
    const results = new Calls<[string, number]>();
    client.createmessage('q2', 'x', { qos: 2 }).sendasync((rc) => results.record('q2', rc));
    const pub = await conn.expect('publish');
    await conn.send({ type: 'pubrec', packetId: pub.packetId! });
    await conn.expect('pubrel');
    await conn.send({ type: 'pubcomp', packetId: pub.packetId! });
    await results.waitForCount(1);
    // CONNECT, PUBLISH, PUBREL: one credit left.
    client.createmessage('o', 'a').sendasync((rc) => results.record('a', rc));
    client.createmessage('o', 'b').sendasync((rc) => results.record('b', rc));
    await results.waitForCount(3);
    expect(results.args).toEqual([
      ['q2', 0],
      ['a', 0],
      ['b', -4],
    ]);
  });

  it('rateLimits: true allows 39 sends after CONNECT, then -4 until 500 ms have passed (2/s)', async () => {
    const { client } = await connected({ rateLimits: true });
    const results: number[] = [];
    for (let i = 0; i < 40; i++) client.createmessage('o', String(i)).sendasync((rc) => results.push(rc));
    await expect.poll(() => results.length).toBe(40);
    expect(results.filter((rc) => rc === 0)).toHaveLength(39);
    expect(results.filter((rc) => rc === -4)).toHaveLength(1);
    expect(client.subscribe('s')).toBe(-4);
    now += 500;
    expect(client.subscribe('s')).toBe(0);
    expect(client.subscribe('s')).toBe(-4);
  });

  it('each connect() starts with full buckets', async () => {
    const { client, conn } = await connected({ rateLimits: { outbound: { credits: 2, refillPerSecond: 1 } } });
    expect(client.subscribe('a')).toBe(0);
    expect(client.subscribe('b')).toBe(-4);
    await disconnectFake(client, conn);
    await connectFake(broker, client, 'rate', { keepalive: 0 });
    expect(client.subscribe('c')).toBe(0);
  });

  it('a send that ends -12 without reaching the wire gets its credit back', async () => {
    const { client, conn } = await connected({ rateLimits: { outbound: { credits: 4, refillPerSecond: 1 } }, maxInflight: 1, maxBuffered: 0 });
    const results = new Calls<[string, number]>();
    client.createmessage('o', 'a', { qos: 1 }).sendasync((rc) => results.record('a', rc));
    client.createmessage('o', 'b', { qos: 1 }).sendasync((rc) => results.record('b', rc)); // no room: -12
    await results.waitForCount(1);
    expect(results.args).toEqual([['b', -12]]);
    const pub = await conn.expect('publish');
    await conn.send({ type: 'puback', packetId: pub.packetId! });
    await results.waitForCount(2);
    // CONNECT and 'a' spent two of four credits; 'b' was refunded, so two sends still fit.
    client.createmessage('o', 'c').sendasync((rc) => results.record('c', rc));
    client.createmessage('o', 'd').sendasync((rc) => results.record('d', rc));
    client.createmessage('o', 'e').sendasync((rc) => results.record('e', rc));
    await results.waitForCount(5);
    expect(results.args.slice(2)).toEqual([
      ['c', 0],
      ['d', 0],
      ['e', -4],
    ]);
  });

  it('a DUP re-send after a reconnect is charged as it goes out, not paid from the credit of a send still waiting', async () => {
    const client = newDevice({ clock, rateLimits: { outbound: { credits: 5, refillPerSecond: 1 } }, maxInflight: 1 });
    clients.push(client);
    const { conn } = await connectFake(broker, client, 'rate', { keepalive: 0, cleansession: false, reconnect: { initialDelay: 5, maxDelay: 10 } });
    const results = new Calls<[string, number]>();
    client.createmessage('o', 'a', { qos: 1 }).sendasync((rc) => results.record('a', rc)); // in flight
    client.createmessage('o', 'b', { qos: 1 }).sendasync((rc) => results.record('b', rc)); // waits behind it
    await conn.expect('publish');
    conn.close();
    // CONNECT, a, b: 3 credits; the reconnect's CONNECT and the DUP of 'a' spend the last 2.
    const { conn: again } = await broker.acceptNext({ sessionPresent: true });
    expect((await again.expect('publish')).dup).toBe(true);
    const refused = new Calls<[number]>();
    client.createmessage('o', 'c').sendasync((rc) => refused.record(rc));
    await refused.waitForCount(1);
    expect(refused.args).toEqual([[-4]]);
  });

  it('is off by default: 500 sends at one instant all succeed', async () => {
    const { client } = await connected({});
    const results: number[] = [];
    for (let i = 0; i < 500; i++) client.createmessage('o', 'x').sendasync((rc) => results.push(rc));
    await expect.poll(() => results.length).toBe(500);
    expect(new Set(results)).toEqual(new Set([0]));
  });
});
