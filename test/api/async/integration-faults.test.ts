/**
 * The async face against a scripted broker (test/support/fake-broker.ts), for what a real broker
 * will not do on demand: drop a connection with a QoS 1 flow in flight, never acknowledge, never
 * answer CONNECT, refuse a CONNECT or a subscription. Covers reconnection with re-sending,
 * failing fast on connection loss, timeouts, AbortSignal, CONNACK refusals, SUBACK 0x80,
 * manual acknowledgement and `await using`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MqttCodeError, connect } from '../../../src/api/async/index.js';
import type { AsyncClientOptions, Client, Message } from '../../../src/api/async/index.js';
import { startFakeBroker } from '../../support/fake-broker.js';
import type { FakeBroker, FakeConnection } from '../../support/fake-broker.js';
import { Cleanup, uniqueId, until, utf8 } from '../../client/helpers.js';
import { bounded, connectedOnFake, expectMqttError, nextMessage, rejectionOf, unconnected } from './async-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Well under the 10 s default operation timeout: a failure that must be immediate is bounded by this. */
const PROMPTLY = 2_000;

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

async function fakeBroker(): Promise<FakeBroker> {
  return cleanup.broker(await startFakeBroker({ autoPingresp: true }));
}

/** A client connected to the fake broker (CONNACK 0), and its connection. */
function connectFake(broker: FakeBroker, options: AsyncClientOptions = {}): Promise<{ client: Client; conn: FakeConnection }> {
  return connectedOnFake(cleanup, broker, options);
}

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

// ---- 8. Timeouts ----------------------------------------------------------------------------

describe('timeouts', () => {
  it("a QoS 1 publish nobody acknowledges rejects TIMEOUT naming the operation and the limit", async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker);
    const error = expectMqttError(await rejectionOf(client.publish('slow/topic', 'x', { qos: 1, timeout: 200 }), 'the publish'), 'TIMEOUT');
    expect(error.message).toContain("publish to 'slow/topic'");
    expect(error.message).toContain('200 ms');
    // The flow itself goes on in the engine: a late PUBACK completes it quietly.
    const publish = await conn.expect('publish');
    await conn.send({ type: 'puback', packetId: publish.packetId! });
    expect(client.connected).toBe(true);
  });

  it('the client-wide timeout applies to subscribe as well', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker, { timeout: 200 });
    const error = expectMqttError(await rejectionOf(client.subscribe('never/acked'), 'the subscribe'), 'TIMEOUT');
    expect(error.message).toContain("subscribe to 'never/acked'");
    expect(error.message).toContain('200 ms');
    const subscribe = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: subscribe.packetId, granted: [0] });
  });

  it('connect() to a broker that never sends CONNACK rejects TIMEOUT, and the client hangs up', async () => {
    const broker = await fakeBroker();
    const clientId = uniqueId('async-timeout');
    const connecting = connect(broker.url, { clientId, timeout: 200 });
    const rejection = rejectionOf(connecting, 'connect()'); // held at once: the limit may pass before the broker reads CONNECT
    const conn = await broker.nextConnection();
    expect((await conn.expect('connect')).clientId).toBe(clientId);
    const error = expectMqttError(await rejection, 'TIMEOUT');
    expect(error.message).toContain('connect to');
    expect(error.message).toContain('200 ms');
    await conn.expectClosed();
  });

  it('connect() timing out is always TIMEOUT, never the engine\'s CONNECT_TIMEOUT racing it (same limit, same code)', async () => {
    const broker = await fakeBroker();
    const codes: string[] = [];
    for (let i = 0; i < 12; i++) {
      const connecting = connect(broker.url, { clientId: uniqueId('async-timeout-race'), timeout: 30 });
      // Held at once: on a loaded machine the 30 ms limit can pass before the broker has even read
      // CONNECT (the engine's transport-open timer then races the face's: the same question).
      const rejection = rejectionOf(connecting, 'connect()');
      await broker.nextConnection();
      codes.push(((await rejection) as { code: string }).code);
    }
    expect(codes).toEqual(Array.from({ length: 12 }, () => 'TIMEOUT'));
  });

  it('connect({ timeout }) with a longer client-wide timeout: TIMEOUT at the call limit, and the client hangs up', async () => {
    const broker = await fakeBroker();
    const client = unconnected(cleanup, broker.url);
    const connecting = client.connect({ timeout: 200 });
    const rejection = rejectionOf(connecting, 'connect()'); // held at once, as above
    const conn = await broker.nextConnection();
    await conn.expect('connect');
    expectMqttError(await rejection, 'TIMEOUT');
    await conn.expectClosed();
    expect(client.connected).toBe(false);
  });
});

// ---- 9. AbortSignal -------------------------------------------------------------------------

describe('AbortSignal', () => {
  it('aborting cancels the wait for a pending publish (ABORTED)', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker);
    const controller = new AbortController();
    const publishing = client.publish('abort/me', 'x', { qos: 1, signal: controller.signal });
    const publish = await conn.expect('publish');
    controller.abort();
    const error = expectMqttError(await rejectionOf(publishing, 'the aborted publish', PROMPTLY), 'ABORTED');
    expect(error.message).toContain("publish to 'abort/me'");
    await conn.send({ type: 'puback', packetId: publish.packetId! });
  });

  it('an already aborted signal rejects at once and sends nothing', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker);
    expectMqttError(await rejectionOf(client.publish('abort/early', 'x', { qos: 1, signal: AbortSignal.abort() }), 'the publish', PROMPTLY), 'ABORTED');
    expectMqttError(await rejectionOf(client.subscribe('abort/early', { signal: AbortSignal.abort() }), 'the subscribe', PROMPTLY), 'ABORTED');
    // The next packet the broker sees is this probe: the aborted requests never went out.
    await client.publish('probe', 'p');
    expect(await conn.next()).toMatchObject({ type: 'publish', topic: 'probe' });
  });

  it('aborting a connect() waiting for CONNACK rejects ABORTED and the client hangs up', async () => {
    const broker = await fakeBroker();
    const client = unconnected(cleanup, broker.url);
    const controller = new AbortController();
    const connecting = client.connect({ signal: controller.signal });
    const conn = await broker.nextConnection();
    await conn.expect('connect');
    controller.abort();
    expectMqttError(await rejectionOf(connecting, 'connect()', PROMPTLY), 'ABORTED');
    await conn.expectClosed();
  });
});

// ---- 10. Connect errors ---------------------------------------------------------------------

describe('connect errors', () => {
  it('CONNACK 5 rejects an MqttCodeError with rc 5 and code CONNECTION_REFUSED', async () => {
    const broker = await fakeBroker();
    const connecting = connect(broker.url, { clientId: uniqueId('refused') });
    const { conn } = await broker.acceptNext({ returnCode: 5 });
    const error = await rejectionOf(connecting, 'connect()', PROMPTLY);
    expect(error).toBeInstanceOf(MqttCodeError);
    expect((error as MqttCodeError).rc).toBe(5);
    expectMqttError(error, 'CONNECTION_REFUSED');
    expect((error as Error).message).toContain('not authorized');
    await conn.expectClosed();
  });

  it('with reconnect on, a refusal retrying cannot fix (rc 5) still rejects at once', async () => {
    const broker = await fakeBroker();
    const client = unconnected(cleanup, broker.url, { reconnect: { initialDelay: 10, maxDelay: 50 } });
    const connecting = client.connect();
    await broker.acceptNext({ returnCode: 5 });
    const error = await rejectionOf(connecting, 'connect()', PROMPTLY);
    expect((error as MqttCodeError).rc).toBe(5);
    expect(broker.connections).toHaveLength(1);
  });

  it('with reconnect on, "server unavailable" (rc 3) is retried until accepted', async () => {
    const broker = await fakeBroker();
    const client = unconnected(cleanup, broker.url, { reconnect: { initialDelay: 10, maxDelay: 50 } });
    const connecting = client.connect();
    await broker.acceptNext({ returnCode: 3 });
    await broker.acceptNext({ returnCode: 0 });
    await expect(bounded(connecting, 'connect()')).resolves.toBe(client);
    expect(client.connected).toBe(true);
  });

  it('connect() while connected rejects INVALID_STATE and leaves the connection alone', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker);
    expectMqttError(await rejectionOf(client.connect(), 'the second connect()', PROMPTLY), 'INVALID_STATE');
    expect(client.connected).toBe(true);
    await client.publish('still/up', 'x');
    expect(await conn.next()).toMatchObject({ type: 'publish', topic: 'still/up' });
  });
});

// ---- 11. Refused subscriptions --------------------------------------------------------------

describe('SUBACK 0x80', () => {
  it('a refused single filter rejects an MqttCodeError naming the filter', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker);
    const subscribing = client.subscribe('forbidden/#', { qos: 1 });
    const subscribe = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: subscribe.packetId, granted: [0x80] });
    const error = await rejectionOf(subscribing, 'the subscribe', PROMPTLY);
    expect(error).toBeInstanceOf(MqttCodeError);
    expectMqttError(error, 'SUBSCRIPTION_REFUSED');
    expect((error as MqttCodeError).rc).toBe(0x80);
    expect((error as Error).message).toContain('forbidden/#');
  });

  it("one of two filters refused: resolves [1, 0x80], in the filters' order [MQTT-3.9.3-1]", async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker);
    const subscribing = client.subscribe([
      ['ok/#', 1],
      ['forbidden/#', 2],
    ]);
    const subscribe = await conn.expect('subscribe');
    expect(subscribe.subscriptions).toEqual([
      { topic: 'ok/#', qos: 1 },
      { topic: 'forbidden/#', qos: 2 },
    ]);
    await conn.send({ type: 'suback', packetId: subscribe.packetId, granted: [1, 0x80] });
    expect(await bounded(subscribing, 'the subscribe')).toEqual([1, 0x80]);
  });
});

// ---- 12. Manual acknowledgement -------------------------------------------------------------

describe('manualAck', () => {
  for (const qos of [1, 2] as const) {
    const ack = qos === 1 ? 'puback' : 'pubrec';
    it(`QoS ${qos}: no ${ack.toUpperCase()} until message.ack() [MQTT-4.3.${qos + 1}-2]`, async () => {
      const broker = await fakeBroker();
      const { client, conn } = await connectFake(broker, { manualAck: true });
      const inbox = client.messages[Symbol.asyncIterator]();
      await conn.send({ type: 'publish', topic: 'work/item', payload: bytes('job'), qos, dup: false, retain: false, packetId: 42 });
      const message = await nextMessage(inbox, 'the message');
      expect([message.text(), message.qos, message.packetId]).toEqual(['job', qos, 42]);
      // Had an acknowledgement gone out on receipt, it would come before this probe.
      await client.publish('probe', 'p');
      expect(await conn.next()).toMatchObject({ type: 'publish', topic: 'probe' });
      await message.ack();
      expect(await conn.next()).toEqual({ type: ack, packetId: 42 });
      if (qos === 2) {
        await conn.send({ type: 'pubrel', packetId: 42 });
        expect(await conn.next()).toEqual({ type: 'pubcomp', packetId: 42 });
      }
    });
  }

  it('without manualAck, QoS 1 is acknowledged on receipt and ack() is a no-op', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectFake(broker);
    const inbox = client.messages[Symbol.asyncIterator]();
    await conn.send({ type: 'publish', topic: 'work/item', payload: bytes('job'), qos: 1, dup: false, retain: false, packetId: 9 });
    expect(await conn.next()).toEqual({ type: 'puback', packetId: 9 });
    const message = await nextMessage(inbox);
    await expect(message.ack()).resolves.toBeUndefined();
    await client.publish('probe', 'p');
    expect(await conn.next()).toMatchObject({ type: 'publish', topic: 'probe' });
  });
});

// ---- 13. await using ------------------------------------------------------------------------

describe('await using', () => {
  it('disconnects at the end of the block: the broker sees DISCONNECT, then the client hangs up [MQTT-3.14.4-1]', async () => {
    const broker = await fakeBroker();
    const accepted = broker.acceptNext();
    let kept: Client | undefined;
    {
      await using client = await connect(broker.url, { clientId: uniqueId('using') });
      kept = client;
      const { conn } = await accepted;
      await client.publish('inside', 'x');
      expect(await conn.next()).toMatchObject({ type: 'publish', topic: 'inside' });
    }
    const { conn } = await accepted;
    expect(kept.connected).toBe(false);
    expect(conn.received.at(-1)).toEqual({ type: 'disconnect' });
    await conn.expectClosed();
  });

  it('disconnects when the block throws, too', async () => {
    const broker = await fakeBroker();
    const accepted = broker.acceptNext();
    const boom = new Error('boom');
    let kept: Client | undefined;
    const run = async (): Promise<void> => {
      await using client = await connect(broker.url, { clientId: uniqueId('using') });
      kept = client;
      throw boom;
    };
    await expect(run()).rejects.toBe(boom);
    const { conn } = await accepted;
    expect(kept?.connected).toBe(false);
    expect(conn.received.at(-1)).toEqual({ type: 'disconnect' });
  });
});
