/**
 * The async face against a scripted broker (test/support/fake-broker.ts), for what a real broker
 * will not do on demand: drop a connection with a QoS 1 flow in flight. Covers reconnection with
 * re-sending, failing fast on connection loss without reconnect, and what works after a loss.
 * Timeouts, AbortSignal and CONNACK refusals are in integration-timeouts-errors.test.ts, SUBACK
 * 0x80, manual acknowledgement and `await using` in integration-acks-disposal.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { MqttCodeError } from '../../../src/api/async/index.js';
import type { Message } from '../../../src/api/async/index.js';
import { bytes, until, utf8 } from '../../client/helpers.js';
import { PROMPTLY, bounded, expectMqttError, rejectionOf, unconnected, useScriptedBroker } from './async-helpers.js';

const { cleanup, fakeBroker, connectFake } = useScriptedBroker();

/** Catches a background loop's error (undefined when it ends normally). */
function loopOutcome(stream: AsyncIterable<Message>, seen: string[] = []): Promise<unknown> {
  return (async () => {
    for await (const message of stream) seen.push(message.text());
  })().then(
    () => undefined,
    (error: unknown) => error,
  );
}

// ---- 6. Reconnection with a flow in flight --------------------------------------------------

describe('reconnect (scripted broker)', () => {
  it('re-sends an in-flight QoS 1 PUBLISH with DUP after reconnecting, restores the subscription, and the loop goes on [MQTT-3.3.1-1]', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker, { reconnect: { initialDelay: 10, maxDelay: 50 } });
    const subscribing = client.subscribe('in/#', { qos: 1 });
    const subscribe = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: subscribe.packetId, granted: [1] });
    expect(await subscribing).toBe(1);
    const seen: string[] = [];
    const loop = loopOutcome(client.messages, seen);
    await conn.send({ type: 'publish', topic: 'in/a', payload: bytes('before'), qos: 0, dup: false, retain: false });
    await until(() => seen.includes('before'), "'before' in the loop");

    let settled = false;
    const publishing = client.publish('out', 'in flight', { qos: 1 }).finally(() => (settled = true));
    const first = await conn.expect('publish');
    expect(first.dup).toBe(false);
    conn.close(); // no PUBACK: the flow is cut off part way

    const { conn: second } = await broker.acceptNext();
    const resent = await second.expect('publish');
    expect(resent).toMatchObject({ topic: 'out', qos: 1, dup: true, packetId: first.packetId });
    expect(utf8(resent.payload)).toBe('in flight');
    const resubscribe = await second.expect('subscribe');
    expect(resubscribe.subscriptions).toEqual([{ topic: 'in/#', qos: 1 }]);
    expect(settled).toBe(false);
    await second.send({ type: 'puback', packetId: resent.packetId! });
    await bounded(publishing, 'the re-sent publish to complete');
    await second.send({ type: 'suback', packetId: resubscribe.packetId, granted: [1] });

    await second.send({ type: 'publish', topic: 'in/b', payload: bytes('after'), qos: 1, dup: false, retain: false, packetId: 7 });
    expect(await second.expect('puback')).toMatchObject({ packetId: 7 });
    await until(() => seen.includes('after'), "'after' in the loop");
    expect(seen).toEqual(['before', 'after']);
    expect(client.connected).toBe(true);

    await client.disconnect();
    expect(await bounded(loop, 'the loop to end')).toBeUndefined();
  });
});

// ---- 7. Connection loss without reconnect ---------------------------------------------------

describe('connection loss without reconnect', () => {
  it('rejects every pending operation at once with CONNECTION_LOST, and an active loop throws it', { timeout: 5_000 }, async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker);
    const filtered = client.filter('only/this');
    const mainLoop = loopOutcome(client.messages);
    const filteredLoop = loopOutcome(filtered);
    const qos1 = client.publish('t', 'one', { qos: 1 });
    const qos2 = client.publish('t', 'two', { qos: 2 });
    const subscribing = client.subscribe('s/#', { qos: 1 });
    const unsubscribing = client.unsubscribe('u/#');
    await conn.expect('publish');
    await conn.expect('publish');
    await conn.expect('subscribe');
    await conn.expect('unsubscribe');

    conn.close(); // never acknowledged: the broker vanishes

    for (const [what, pending] of [
      ['QoS 1 publish', qos1],
      ['QoS 2 publish', qos2],
      ['subscribe', subscribing],
      ['unsubscribe', unsubscribing],
    ] as const) {
      const error = expectMqttError(await rejectionOf(pending, what, PROMPTLY), 'CONNECTION_LOST');
      expect(error).toBeInstanceOf(MqttCodeError);
    }
    expectMqttError(await bounded(mainLoop, 'client.messages to throw', PROMPTLY), 'CONNECTION_LOST');
    expectMqttError(await bounded(filteredLoop, 'the filtered stream to throw', PROMPTLY), 'CONNECTION_LOST');
    expect(client.connected).toBe(false);
    // Nothing is queued for a connection nobody will make.
    expectMqttError(await rejectionOf(client.publish('t', 'later', { qos: 1 }), 'a publish after the loss', PROMPTLY), 'CONNECTION_LOST');
  });
});

describe('after a connection loss', () => {
  it('the client connects again and a new loop receives', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker);
    const lost = loopOutcome(client.messages);
    conn.close();
    expectMqttError(await bounded(lost, 'the loop to throw', PROMPTLY), 'CONNECTION_LOST');
    const [{ conn: again }] = await Promise.all([broker.acceptNext(), client.connect()]);
    const seen: string[] = [];
    const loop = loopOutcome(client.messages, seen);
    await again.send({ type: 'publish', topic: 'back', payload: bytes('again'), qos: 0, dup: false, retain: false });
    await until(() => seen.length === 1, 'the message on the new connection');
    expect(seen).toEqual(['again']);
    await client.disconnect();
    expect(await bounded(loop, 'the loop to end at disconnect()')).toBeUndefined();
  });

  it('disconnect() while connect() waits for CONNACK: connect() rejects CONNECTION_LOST, the client hangs up', async () => {
    const broker = await fakeBroker();
    const client = unconnected(cleanup, broker.url);
    const connecting = client.connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    const conn = await broker.nextConnection();
    await conn.expect('connect');
    await bounded(client.disconnect(), 'disconnect()', PROMPTLY);
    expectMqttError(await bounded(connecting, 'connect()', PROMPTLY), 'CONNECTION_LOST');
    await conn.expectClosed();
    expect(client.connected).toBe(false);
  });
});
