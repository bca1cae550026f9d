/**
 * MqttClient against the scripted fake broker: the test plays the broker packet by packet and
 * checks what the client puts on the wire (down to the raw bytes) and what it reports. Here:
 * DISCONNECT and destroy, keepalive, requests made from a close handler, and the graceful
 * disconnect that drains publishes in flight.
 * Reconnection is off unless the test is about it; waits are bounded, never timed.
 */
import { describe, expect, it } from 'vitest';
import { ResultCode } from '../support/internals.js';
import { WAIT_MS, disconnectAsync, makeClient, publishAsync, sleep, until, waitFor } from './helpers.js';
import { FAST_RECONNECT, useFakeBroker } from './fake-broker-setup.js';

const { cleanup, fakeBroker, connectClient } = useFakeBroker();

// ---------------------------------------------------------------------------------------------

describe('DISCONNECT and destroy', () => {
  it('[MQTT-3.14.4-1] [MQTT-3.14.4-2] disconnect() sends DISCONNECT, closes the socket, and sends nothing after it', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker);
    const closed = waitFor(client, 'close');
    client.publish('before/bye', 'x', { qos: 0 });
    let disconnected = false;
    client.disconnect(() => {
      disconnected = true;
    });
    expect(client.state).toBe('disconnecting');
    expect((await conn.expect('publish')).topic).toBe('before/bye');
    await conn.expect('disconnect');
    await conn.expectClosed(); // the client closed it: the fake broker never hangs up by itself
    expect((await closed).reason).toBe('normal');
    await until(() => disconnected, 'the disconnect callback');
    // Nothing after DISCONNECT, and a publish now completes -3 without touching the wire.
    expect(await publishAsync(client, 'after/bye', 'y', { qos: 1 })).toBe(ResultCode.DISCONNECTED);
    expect(conn.received.map((p) => p.type)).toEqual(['connect', 'publish', 'disconnect']);
    expect(conn.rawBytes().length).toBe(conn.receivedFrames.reduce((n, f) => n + f.length, 0));
    expect(client.state).toBe('disconnected');
  });

  it('destroy() closes at once without DISCONNECT (so the broker publishes the will)', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker, { will: { topic: 'w', payload: 'x' } });
    const closed = waitFor(client, 'close');
    client.destroy();
    await conn.expectClosed();
    expect(conn.received.map((p) => p.type)).toEqual(['connect']);
    expect((await closed).reason).toBe('normal');
    expect(client.state).toBe('disconnected');
  });

  it('[MQTT-3.14.4-1] disconnect() while waiting for CONNACK sends DISCONNECT after the CONNECT (so no will is published) and calls back', async () => {
    const broker = await fakeBroker();
    const client = makeClient(cleanup, { url: broker.url });
    client.connect();
    const conn = await broker.nextConnection();
    await conn.expect('connect');
    await disconnectAsync(client);
    await conn.expectClosed();
    expect(conn.received.map((p) => p.type)).toEqual(['connect', 'disconnect']);
    expect(client.state).toBe('disconnected');
  });
});

// ---------------------------------------------------------------------------------------------

describe('keepalive', () => {
  it('[MQTT-3.1.2-23] sends PINGREQ when idle for the keepalive interval, and keeps doing so', async () => {
    const broker = await fakeBroker();
    const { client, conn, connect } = await connectClient(broker, { keepalive: 1 });
    expect(connect.keepalive).toBe(1);
    await conn.expect('pingreq', { timeoutMs: WAIT_MS });
    await conn.send({ type: 'pingresp' });
    await conn.expect('pingreq', { timeoutMs: WAIT_MS });
    await conn.send({ type: 'pingresp' });
    expect(client.connected).toBe(true);
  });

  it('closes with reason keepalive-timeout when no PINGRESP comes', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker, { keepalive: 1, pingTimeout: 200 });
    const closed = waitFor(client, 'close');
    await conn.expect('pingreq', { timeoutMs: WAIT_MS });
    const { reason } = await closed;
    expect(reason).toBe('keepalive-timeout');
    await conn.expectClosed();
    expect(client.state).toBe('disconnected');
  });

  it('sends no PINGREQ with keepalive 0', async () => {
    const broker = await fakeBroker();
    const { client, conn, connect } = await connectClient(broker, { keepalive: 0 });
    expect(connect.keepalive).toBe(0);
    // A QoS 1 round trip after a pause shows the connection idle and the next packet is not a PINGREQ.
    await sleep(1_200);
    client.publish('ka/0', 'x', { qos: 1 });
    expect((await conn.expect('publish')).topic).toBe('ka/0');
  });
});

// ---------------------------------------------------------------------------------------------

describe('requests made from a close handler', () => {
  it("a publish made in 'close' when the client will reconnect is queued and sent after the reconnect, not refused -3", async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker, { reconnect: FAST_RECONNECT });
    const results: Promise<number>[] = [];
    client.once('close', () => results.push(publishAsync(client, 'from/close', 'x', { qos: 1 })));
    conn.close();
    const { conn: again } = await broker.acceptNext();
    const publish = await again.expect('publish');
    expect(publish.topic).toBe('from/close');
    await again.send({ type: 'puback', packetId: publish.packetId! });
    expect(await results[0]).toBe(ResultCode.SUCCESS);
  });

  it("disconnect() in 'close' stops the reconnect: a publish after it in the same handler completes -3", async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker, { reconnect: FAST_RECONNECT });
    const results: Promise<number>[] = [];
    client.once('close', () => {
      client.disconnect();
      results.push(publishAsync(client, 'after/disconnect', 'x', { qos: 1 }));
    });
    const closed = waitFor(client, 'close');
    conn.close();
    await closed;
    expect(await results[0]).toBe(ResultCode.DISCONNECTED);
    await sleep(FAST_RECONNECT.maxDelay * 3);
    expect(broker.connections).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------

describe('graceful disconnect with publishes in flight', () => {
  it('abandons a QoS 1 the broker never acknowledges: -11 after drainTimeout, then DISCONNECT', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker);
    const order: string[] = [];
    client.publish('never/acked', 'x', { qos: 1 }, (r) => order.push(`publish ${r}`));
    await conn.expect('publish');
    const done = new Promise<void>((resolve) =>
      client.disconnect(() => {
        order.push('disconnected');
        resolve();
      }, 200),
    );
    await conn.expect('disconnect', { timeoutMs: WAIT_MS });
    await conn.expectClosed();
    await done;
    expect(order).toEqual([`publish ${ResultCode.INCOMPLETE}`, 'disconnected']);
  });

  it('waits for an in-flight PUBACK before DISCONNECT; the publish completes 0', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker);
    const result = publishAsync(client, 'slow/ack', 'x', { qos: 1 });
    const publish = await conn.expect('publish');
    const done = disconnectAsync(client, 5_000);
    await sleep(100); // the broker takes its time
    expect(conn.received.map((p) => p.type)).toEqual(['connect', 'publish']); // no DISCONNECT yet
    expect(client.state).toBe('disconnecting');
    await conn.send({ type: 'puback', packetId: publish.packetId! });
    await conn.expect('disconnect');
    expect(await result).toBe(0);
    await done;
    await conn.expectClosed();
  });

  it('drains a QoS 2 flow and queued messages (maxInflight 1) before DISCONNECT', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker, { maxInflight: 1 });
    const results = [publishAsync(client, 'd/1', 'a', { qos: 2 }), publishAsync(client, 'd/2', 'b', { qos: 1 })];
    const done = disconnectAsync(client, 5_000);
    const first = await conn.expect('publish');
    expect(first.topic).toBe('d/1');
    await conn.send({ type: 'pubrec', packetId: first.packetId! });
    await conn.expect('pubrel');
    await conn.send({ type: 'pubcomp', packetId: first.packetId! });
    const second = await conn.expect('publish');
    expect(second.topic).toBe('d/2');
    await conn.send({ type: 'puback', packetId: second.packetId! });
    await conn.expect('disconnect');
    expect(await Promise.all(results)).toEqual([0, 0]);
    await done;
  });
});
