/**
 * The async face (src/api/async) against real brokers: the same scenarios run on aedes
 * (in-process) and mosquitto (a child process, when installed): QoS 0/1/2 round trips, retained
 * messages, wills, concurrent iterators and filtered streams, reconnection through an outage,
 * and a client connecting again after disconnect(). Connections are cut from outside with a
 * loopback TCP proxy (test/support/tcp-proxy.ts), which works the same for both brokers.
 *
 * Fault injection with a scripted broker: integration-faults.test.ts,
 * integration-timeouts-errors.test.ts and integration-acks-disposal.test.ts. Backpressure with
 * 100,000 messages: integration-backpressure.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MqttError } from '../../../src/api/async/index.js';
import type { Message } from '../../../src/api/async/index.js';
import { startAedes } from '../../support/aedes.js';
import type { AedesBroker } from '../../support/aedes.js';
import { describeWithMosquitto, startMosquitto } from '../../support/mosquitto.js';
import { Cleanup, uniqueId, until } from '../../client/helpers.js';
import { WAIT_MS, bounded, connected, expectMqttError, nextMessage, unconnected } from './async-helpers.js';
import { describeOnBroker } from '../../support/broker-suite.js';
import type { Describe, RunningBroker } from '../../support/broker-suite.js';
import { startTcpProxy } from '../../support/tcp-proxy.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const RECONNECT = { initialDelay: 10, maxDelay: 50 } as const;

/** Every byte value, so a round trip proves the payload is carried as bytes, not text. */
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

/** Reads `stream` in the background until `last` arrives; resolves with every text read (bounded by the caller). */
function readUntil(stream: AsyncIterable<Message>, last: string, seen: string[] = []): Promise<string[]> {
  return (async () => {
    for await (const message of stream) {
      seen.push(message.text());
      if (message.text() === last) break;
    }
    return seen;
  })();
}

function brokerScenarios(name: string, describeFn: Describe, start: () => Promise<RunningBroker>): void {
  describeOnBroker(`async face on ${name}`, describeFn, start, (broker) => {
    // ---- 1. QoS round trips ----------------------------------------------------------------

    for (const qos of [0, 1, 2] as const) {
      it(`QoS ${qos} round trip: publish resolves, the bytes arrive unchanged at QoS ${qos} [MQTT-4.3.${qos + 1}-1]`, async () => {
        const topic = `async/rt/${uniqueId()}/q${qos}`;
        const subscriber = await connected(cleanup, broker().url);
        const publisher = await connected(cleanup, broker().url);
        expect(await subscriber.subscribe(topic, { qos: 2 })).toBe(2);
        const inbox = subscriber.messages[Symbol.asyncIterator]();
        await expect(publisher.publish(topic, ALL_BYTES, { qos })).resolves.toBeUndefined();
        const message = await nextMessage(inbox, `the QoS ${qos} message`);
        expect(message.topic.value).toBe(topic);
        expect(message.topic.matches('async/rt/#')).toBe(true);
        expect(Array.from(message.payload)).toEqual(Array.from(ALL_BYTES));
        expect(message.qos).toBe(qos);
        expect(message.retain).toBe(false);
        expect(message.dup).toBe(false);
        expect(message.packetId === undefined).toBe(qos === 0);
      });
    }

    it('delivers at the lower of the publish and subscription QoS [MQTT-3.8.4-6]; payload values are sent as text', async () => {
      const base = `async/min/${uniqueId()}`;
      const subscriber = await connected(cleanup, broker().url);
      const publisher = await connected(cleanup, broker().url);
      expect(await subscriber.subscribe([[`${base}/q0`, 0], [`${base}/q1`, 1]])).toEqual([0, 1]);
      const inbox = subscriber.messages[Symbol.asyncIterator]();
      await publisher.publish(`${base}/q1`, 28.4, { qos: 2 });
      await publisher.publish(`${base}/q0`, 12345678901234567890n, { qos: 1 });
      await publisher.publish(`${base}/q1`, JSON.stringify({ t: 1 }), { qos: 1 });
      const first = await nextMessage(inbox);
      expect([first.topic.value, first.qos, first.text()]).toEqual([`${base}/q1`, 1, '28.4']);
      const second = await nextMessage(inbox);
      expect([second.topic.value, second.qos, second.text()]).toEqual([`${base}/q0`, 0, '12345678901234567890']);
      const third = await nextMessage(inbox);
      expect(third.json()).toEqual({ t: 1 });
    });

    // ---- 2. Retained messages --------------------------------------------------------------

    it('a retained message reaches a later subscriber with retain set [MQTT-3.3.1-6, MQTT-3.3.1-8]; an empty retained publish deletes it [MQTT-3.3.1-10]', async () => {
      const topic = `async/retain/${uniqueId()}`;
      const publisher = await connected(cleanup, broker().url);
      await publisher.publish(topic, 'kept', { qos: 1, retain: true });

      const late = await connected(cleanup, broker().url);
      expect(await late.subscribe(topic, { qos: 1 })).toBe(1);
      const retained = await nextMessage(late.messages[Symbol.asyncIterator](), 'the retained message');
      expect(retained.text()).toBe('kept');
      expect(retained.retain).toBe(true);
      expect(retained.qos).toBe(1);

      // Deleting: a zero-byte retained publish (null payload).
      await publisher.publish(topic, null, { qos: 1, retain: true });
      const later = await connected(cleanup, broker().url);
      expect(await later.subscribe(topic, { qos: 1 })).toBe(1);
      // The broker sends retained messages on SUBSCRIBE, ahead of anything published after the
      // SUBACK: so the first message must be this (non-retained) sentinel.
      await later.publish(topic, 'sentinel', { qos: 1 });
      const first = await nextMessage(later.messages[Symbol.asyncIterator](), 'the sentinel');
      expect(first.text()).toBe('sentinel');
      expect(first.retain).toBe(false);
    });

    // ---- 3. Wills --------------------------------------------------------------------------

    it('publishes the will when the connection ends without DISCONNECT [MQTT-3.1.2-8]', async () => {
      const willTopic = `async/will/${uniqueId()}`;
      const watcher = await connected(cleanup, broker().url);
      await watcher.subscribe(willTopic, { qos: 1 });
      const proxy = cleanup.broker(await startTcpProxy(broker().url));
      const doomed = await connected(cleanup, proxy.url, { will: { topic: willTopic, payload: 'gone', qos: 1 } });
      const closed = new Promise<{ reason: string; error: MqttError | undefined }>((resolve) => doomed.on('close', resolve));
      proxy.cut();
      const will = await nextMessage(watcher.messages[Symbol.asyncIterator](), 'the will');
      expect(will.topic.value).toBe(willTopic);
      expect(will.text()).toBe('gone');
      expect(will.qos).toBe(1);
      const info = await bounded(closed, 'the close event');
      expect(info.reason).not.toBe('normal');
      expect(doomed.connected).toBe(false);
    });

    it('does not publish the will after disconnect() [MQTT-3.1.2-10]', async () => {
      const willTopic = `async/will/${uniqueId()}`;
      const watcher = await connected(cleanup, broker().url);
      await watcher.subscribe(willTopic, { qos: 1 });
      const polite = await connected(cleanup, broker().url, { will: { topic: willTopic, payload: 'gone', qos: 1 } });
      await polite.disconnect();
      expect(polite.connected).toBe(false);
      // A will would have been published as the connection closed, before disconnect() resolved:
      // the first message on the topic must be this sentinel.
      await watcher.publish(willTopic, 'sentinel', { qos: 1 });
      const first = await nextMessage(watcher.messages[Symbol.asyncIterator](), 'the sentinel');
      expect(first.text()).toBe('sentinel');
    });

    // ---- 4. Concurrent iterators, filtered streams -----------------------------------------

    it('two for-await loops over client.messages share the messages: disjoint, together all of them', async () => {
      const topic = `async/share/${uniqueId()}`;
      const subscriber = await connected(cleanup, broker().url);
      const publisher = await connected(cleanup, broker().url);
      await subscriber.subscribe(topic, { qos: 1 });
      // Each loop stops at the first 'end' it gets; two are sent, one for each.
      const a = readUntil(subscriber.messages, 'end');
      const b = readUntil(subscriber.messages, 'end');
      const count = 200;
      for (let i = 0; i < count; i++) await publisher.publish(topic, `m${i}`, { qos: 1 });
      await publisher.publish(topic, 'end', { qos: 1 });
      await publisher.publish(topic, 'end', { qos: 1 });
      const [seenA, seenB] = await bounded(Promise.all([a, b]), 'both loops to end');
      const gotA = seenA.filter((t) => t !== 'end');
      const gotB = seenB.filter((t) => t !== 'end');
      expect(gotA.length).toBeGreaterThan(0);
      expect(gotB.length).toBeGreaterThan(0);
      expect(gotA.filter((t) => gotB.includes(t))).toEqual([]);
      const all = Array.from({ length: count }, (_, i) => `m${i}`);
      expect([...gotA, ...gotB].sort()).toEqual(all.sort());
      // Each loop sees its share in publish order.
      const index = (t: string): number => Number(t.slice(1));
      for (const got of [gotA, gotB]) expect(got.map(index)).toEqual([...got.map(index)].sort((x, y) => x - y));
    });

    it('client.filter() takes the matching messages; the rest go to client.messages [MQTT-4.7.1-2, MQTT-4.7.1-3]', async () => {
      const base = `async/filter/${uniqueId()}`;
      const subscriber = await connected(cleanup, broker().url);
      const publisher = await connected(cleanup, broker().url);
      const temperatures = subscriber.filter(`${base}/sensors/+/temp`);
      await subscriber.subscribe(`${base}/#`, { qos: 1 });
      const filtered = readUntil(temperatures, 'end-temp');
      const rest = readUntil(subscriber.messages, 'end-rest');
      const sends: [string, string][] = [
        ['sensors/kitchen/temp', 't1'],
        ['sensors/kitchen/humidity', 'h1'],
        ['sensors/hall/temp', 't2'],
        ['sensors/hall/temp/raw', 'r1'],
        ['other', 'o1'],
        ['sensors/attic/temp', 'end-temp'],
        ['other', 'end-rest'],
      ];
      for (const [suffix, text] of sends) await publisher.publish(`${base}/${suffix}`, text, { qos: 1 });
      expect(await bounded(filtered, 'the filtered stream')).toEqual(['t1', 't2', 'end-temp']);
      expect(await bounded(rest, 'client.messages')).toEqual(['h1', 'r1', 'o1', 'end-rest']);

      // Breaking out of the filtered loop closed that stream: its topics now reach client.messages.
      const inbox = subscriber.messages[Symbol.asyncIterator]();
      await publisher.publish(`${base}/sensors/kitchen/temp`, 't3', { qos: 1 });
      expect((await nextMessage(inbox, 't3 on client.messages')).text()).toBe('t3');
    });

    // ---- 6. Reconnection -------------------------------------------------------------------

    it('reconnect: iteration goes on across an outage, subscriptions come back, a QoS 1 publish made during the outage completes', async () => {
      const base = `async/reconnect/${uniqueId()}`;
      const proxy = cleanup.broker(await startTcpProxy(broker().url));
      const watcher = await connected(cleanup, broker().url);
      await watcher.subscribe(`${base}/out`, { qos: 1 });
      const watched = watcher.messages[Symbol.asyncIterator]();

      const client = await connected(cleanup, proxy.url, { reconnect: RECONNECT });
      const events: string[] = [];
      client.on('close', ({ reason }) => events.push(`close:${reason}`));
      client.on('reconnect', () => events.push('reconnect'));
      client.on('connect', ({ sessionPresent }) => events.push(`connect:${String(sessionPresent)}`));
      expect(await client.subscribe(`${base}/in`, { qos: 1 })).toBe(1);
      const seen: string[] = [];
      const loop = readUntil(client.messages, 'last', seen);

      await watcher.publish(`${base}/in`, 'before', { qos: 1 });
      await until(() => seen.includes('before'), "'before' in the loop");

      // The outage: the connection is cut and new ones are dropped for a while.
      proxy.refusing = true;
      proxy.cut();
      await until(() => !client.connected, 'the client to notice the cut');
      let settled = false;
      const during = client.publish(`${base}/out`, 'during', { qos: 1 }).finally(() => (settled = true));
      await until(() => proxy.refused >= 1, 'a reconnection attempt during the outage');
      expect(settled).toBe(false);
      expect(client.connected).toBe(false);

      proxy.refusing = false;
      await client.whenConnected({ timeout: WAIT_MS });
      await bounded(during, 'the publish made during the outage');
      expect((await nextMessage(watched, "'during' at the watcher")).text()).toBe('during');

      // Subscriptions are restored: SUBSCRIBE went out with the CONNACK, ahead of this publish.
      await client.publish(`${base}/in`, 'self-after', { qos: 1 });
      await watcher.publish(`${base}/in`, 'after', { qos: 1 });
      await watcher.publish(`${base}/in`, 'last', { qos: 1 });
      expect(await bounded(loop, 'the loop to reach the last message')).toEqual(['before', 'self-after', 'after', 'last']);
      expect(events[0]).toMatch(/^close:(?!normal)/);
      expect(events).toContain('reconnect');
      expect(events.at(-1)).toBe('connect:false');
    });

    it('with reconnect on, connect() keeps trying through an outage and resolves once the broker is reachable', async () => {
      const proxy = cleanup.broker(await startTcpProxy(broker().url));
      proxy.refusing = true;
      const client = unconnected(cleanup, proxy.url, { reconnect: RECONNECT });
      let settled = false;
      const connecting = client.connect().finally(() => (settled = true));
      await until(() => proxy.refused >= 2, 'two refused attempts');
      expect(settled).toBe(false);
      proxy.refusing = false;
      await expect(bounded(connecting, 'connect()')).resolves.toBe(client);
      expect(client.connected).toBe(true);
    });

    it('with reconnect on, connect() gives up at its timeout (TIMEOUT) and stops trying', async () => {
      const proxy = cleanup.broker(await startTcpProxy(broker().url));
      proxy.refusing = true;
      const client = unconnected(cleanup, proxy.url, { reconnect: RECONNECT });
      const error = await client.connect({ timeout: 300 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expectMqttError(error, 'TIMEOUT');
      expect(proxy.refused).toBeGreaterThanOrEqual(1);
      proxy.refusing = false;
      // Had it kept trying, it would connect now (the delays are at most 50 ms): a bounded look.
      // (A connection the kernel queued before the give-up may still reach the proxy late on a
      // loaded machine; the client has closed it, so it cannot stay open.)
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(proxy.open).toBe(0);
      expect(client.connected).toBe(false);
    });

    // Regression: waiting to reconnect, the engine is already 'disconnected' and emits no 'close'
    // on disconnect(); the face must still end the loop.
    it('disconnect() during an outage (waiting to reconnect) ends an active loop', async () => {
      const proxy = cleanup.broker(await startTcpProxy(broker().url));
      const client = await connected(cleanup, proxy.url, { reconnect: RECONNECT });
      const loop = readUntil(client.messages, 'never');
      proxy.refusing = true;
      proxy.cut();
      await until(() => !client.connected, 'the client to notice the cut');
      await until(() => proxy.refused >= 1, 'a reconnection attempt');
      await client.disconnect();
      expect(await bounded(loop, 'the loop to end after disconnect()', 1_000)).toEqual([]);
    });

    // ---- 10. Connecting again --------------------------------------------------------------

    it('a disconnected client connects again and iterates again; connect() while connected is INVALID_STATE', async () => {
      const topic = `async/again/${uniqueId()}`;
      const client = unconnected(cleanup, broker().url);
      const publisher = await connected(cleanup, broker().url);
      for (const round of [1, 2]) {
        await client.connect();
        expect(client.connected).toBe(true);
        expectMqttError(await client.connect().catch((e: unknown) => e), 'INVALID_STATE');
        expect(client.connected).toBe(true);
        await client.subscribe(topic, { qos: 1 });
        const loop = readUntil(client.messages, `round ${round}`);
        await publisher.publish(topic, `round ${round}`, { qos: 1 });
        expect(await bounded(loop, `round ${round}`)).toEqual([`round ${round}`]);
        // An iteration still running when disconnect() is called ends normally.
        const open = readUntil(client.messages, 'never');
        await client.disconnect();
        expect(await bounded(open, 'the loop to end at disconnect')).toEqual([]);
        expect(client.connected).toBe(false);
      }
    });
  });
}

brokerScenarios('mosquitto', describeWithMosquitto, () => startMosquitto());
brokerScenarios('aedes', describe, () => startAedes());

// -------------------------------------------------------------------------------------------

describe('async face on aedes: the broker closes the connection', () => {
  const aedesClients = (broker: AedesBroker): Record<string, { close(): void }> =>
    (broker.broker as unknown as { clients: Record<string, { close(): void }> }).clients;

  it('reconnects after the broker drops it: the loop continues, the subscription is restored, the will is published', async () => {
    const broker = cleanup.broker(await startAedes());
    const base = `async/aedes-drop/${uniqueId()}`;
    const watcher = await connected(cleanup, broker.url);
    await watcher.subscribe(`${base}/will`, { qos: 1 });
    const client = await connected(cleanup, broker.url, { reconnect: RECONNECT, will: { topic: `${base}/will`, payload: 'dropped', qos: 1 } });
    await client.subscribe(`${base}/in`, { qos: 1 });
    const seen: string[] = [];
    const loop = readUntil(client.messages, 'last', seen);
    const resubscribed = new Promise<void>((resolve) => {
      broker.broker.on('subscribe', (subscriptions, from) => {
        if (from.id === client.clientId && subscriptions.some((s) => s.topic === `${base}/in`)) resolve();
      });
    });
    await watcher.publish(`${base}/in`, 'before', { qos: 1 });
    await until(() => seen.includes('before'), "'before' in the loop");

    aedesClients(broker)[client.clientId]!.close();
    expect((await nextMessage(watcher.messages[Symbol.asyncIterator](), 'the will')).text()).toBe('dropped');
    await bounded(resubscribed, 'the subscription to be restored');
    expect(client.connected).toBe(true);
    await watcher.publish(`${base}/in`, 'after', { qos: 1 });
    await watcher.publish(`${base}/in`, 'last', { qos: 1 });
    expect(await bounded(loop, 'the loop')).toEqual(['before', 'after', 'last']);
  });

  it('without reconnect, the broker closing the connection ends an active loop with CONNECTION_LOST', async () => {
    const broker = cleanup.broker(await startAedes());
    const client = await connected(cleanup, broker.url);
    await client.subscribe(`async/aedes-lost/${uniqueId()}`);
    const loop = readUntil(client.messages, 'never').then(
      () => undefined,
      (error: unknown) => error,
    );
    aedesClients(broker)[client.clientId]!.close();
    const error = expectMqttError(await bounded(loop, 'the loop to throw'), 'CONNECTION_LOST');
    expect(error).toBeInstanceOf(MqttError);
    expect(client.connected).toBe(false);
  });
});
