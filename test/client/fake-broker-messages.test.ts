/**
 * MqttClient against the scripted fake broker: the test plays the broker packet by packet and
 * checks what the client puts on the wire (down to the raw bytes) and what it reports. Here:
 * subscribe and unsubscribe, inbound publishes (QoS 0/1/2 acknowledgements), outbound publishes.
 * Reconnection is off unless the test is about it; waits are bounded, never timed.
 */
import { describe, expect, it } from 'vitest';
import { ResultCode } from '../support/internals.js';
import { collectMessages, disconnectAsync, makeClient, publishAsync, subscribeAsync, unsubscribeAsync, until, utf8, waitFor } from './helpers.js';
import { FAST_RECONNECT, frameOf, publishPacket, useFakeBroker } from './fake-broker-setup.js';

const { cleanup, fakeBroker, connectClient } = useFakeBroker();

// ---------------------------------------------------------------------------------------------

describe('subscribe and unsubscribe', () => {
  it('[MQTT-3.8.4-5] subscribes at QoS 0/1/2 and reports SUBACK codes per filter, including 0x80', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker);
    const subscriptions = [
      { topic: 'a/0', qos: 0 as const },
      { topic: 'b/1', qos: 1 as const },
      { topic: 'c/+/2', qos: 2 as const },
      { topic: 'denied/#', qos: 2 as const },
    ];
    const result = subscribeAsync(client, subscriptions);
    const subscribe = await conn.expect('subscribe');
    expect(frameOf(conn, subscribe)[0]).toBe(0x82); // SUBSCRIBE flags 0010 [MQTT-3.8.1-1]
    expect(subscribe.packetId).toBeGreaterThan(0);
    expect(subscribe.subscriptions).toEqual(subscriptions);
    await conn.send({ type: 'suback', packetId: subscribe.packetId, granted: [0, 1, 1, 0x80] });
    expect(await result).toEqual({ result: 0, granted: [0, 1, 1, 0x80] });
  });

  it('unsubscribes and completes on UNSUBACK with the same id', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker);
    const result = unsubscribeAsync(client, ['a/0', 'b/#']);
    const unsubscribe = await conn.expect('unsubscribe');
    expect(frameOf(conn, unsubscribe)[0]).toBe(0xa2); // [MQTT-3.10.1-1]
    expect(unsubscribe.topics).toEqual(['a/0', 'b/#']);
    await conn.send({ type: 'unsuback', packetId: unsubscribe.packetId });
    expect(await result).toBe(0);
  });

  it('[MQTT-2.3.1-2] uses distinct packet ids for requests in flight together', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker);
    const done = [subscribeAsync(client, [{ topic: 's/1', qos: 1 }]), subscribeAsync(client, [{ topic: 's/2', qos: 2 }])];
    const unsubscribed = unsubscribeAsync(client, ['s/3']);
    const first = await conn.expect('subscribe');
    const second = await conn.expect('subscribe');
    const third = await conn.expect('unsubscribe');
    expect(new Set([first.packetId, second.packetId, third.packetId]).size).toBe(3);
    // Answered out of order: each completion follows its own id.
    await conn.send({ type: 'unsuback', packetId: third.packetId });
    await conn.send({ type: 'suback', packetId: second.packetId, granted: [2] });
    await conn.send({ type: 'suback', packetId: first.packetId, granted: [0] });
    expect(await Promise.all(done)).toEqual([
      { result: 0, granted: [0] },
      { result: 0, granted: [2] },
    ]);
    expect(await unsubscribed).toBe(0);
  });

  it('[MQTT-3.8.4-5] a SUBACK with the wrong number of codes fails the request and closes with protocol-error', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker);
    const closed = waitFor(client, 'close');
    const result = subscribeAsync(client, [
      { topic: 'x', qos: 1 },
      { topic: 'y', qos: 1 },
    ]);
    const subscribe = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: subscribe.packetId, granted: [1] });
    expect((await result).result).toBe(ResultCode.FAILURE);
    expect((await closed).reason).toBe('protocol-error');
    await conn.expectClosed();
  });

  it('a subscription in flight when the connection drops completes -11', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker);
    const result = subscribeAsync(client, [{ topic: 'lost', qos: 1 }]);
    await conn.expect('subscribe');
    conn.close();
    expect((await result).result).toBe(ResultCode.INCOMPLETE);
    expect(client.state).toBe('disconnected');
  });

  it('subscribe and unsubscribe while disconnected complete -3', async () => {
    const broker = await fakeBroker();
    const client = makeClient(cleanup, { url: broker.url });
    expect((await subscribeAsync(client, [{ topic: 'x', qos: 0 }])).result).toBe(ResultCode.DISCONNECTED);
    expect(await unsubscribeAsync(client, ['x'])).toBe(ResultCode.DISCONNECTED);
    expect(broker.connections).toHaveLength(0);
  });

  it('re-subscribes after a reconnect when the broker kept no session', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker, { reconnect: FAST_RECONNECT });
    const result = subscribeAsync(client, [
      { topic: 'keep/1', qos: 1 },
      { topic: 'keep/2', qos: 2 },
    ]);
    const subscribe = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: subscribe.packetId, granted: [1, 2] });
    await result;
    conn.close();
    const { conn: again } = await broker.acceptNext({ sessionPresent: false });
    const resubscribe = await again.expect('subscribe');
    expect(resubscribe.subscriptions).toEqual([
      { topic: 'keep/1', qos: 1 },
      { topic: 'keep/2', qos: 2 },
    ]);
    await again.send({ type: 'suback', packetId: resubscribe.packetId, granted: [1, 2] });
    expect(client.connected).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

describe('inbound publishes', () => {
  it('[MQTT-3.3.4-1] delivers QoS 0 without acknowledging it', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker);
    const inbox = collectMessages(client);
    await conn.send(publishPacket('in/0', 'zero', 0));
    await conn.send(publishPacket('in/1', 'one', 1, 3));
    const messages = await inbox.wait(2);
    expect(messages.map((m) => [m.topic, utf8(m.payload), m.qos])).toEqual([
      ['in/0', 'zero', 0],
      ['in/1', 'one', 1],
    ]);
    // The first packet from the client after both is the PUBACK of the QoS 1: nothing for the QoS 0.
    expect(await conn.expect('puback')).toEqual({ type: 'puback', packetId: 3 });
  });

  it('[MQTT-2.3.1-6] [MQTT-4.3.2-2] answers QoS 1 with PUBACK carrying the same packet id', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker);
    const inbox = collectMessages(client);
    for (const id of [7, 65_535, 1]) {
      await conn.send(publishPacket('q1/in', `id ${id}`, 1, id));
      expect(await conn.expect('puback')).toEqual({ type: 'puback', packetId: id });
    }
    const messages = await inbox.wait(3);
    expect(messages.map((m) => m.packetId)).toEqual([7, 65_535, 1]);
    expect(messages.every((m) => m.qos === 1 && !m.dup)).toBe(true);
  });

  it('[MQTT-4.3.3-2] [MQTT-2.3.1-6] QoS 2: PUBREC, a re-sent PUBLISH before PUBREL is not delivered twice, PUBREL → PUBCOMP', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker);
    const inbox = collectMessages(client);
    await conn.send(publishPacket('q2/in', 'once', 2, 9));
    expect(await conn.expect('pubrec')).toEqual({ type: 'pubrec', packetId: 9 });
    // The broker did not see the PUBREC (say) and sends the PUBLISH again, DUP=1.
    await conn.send(publishPacket('q2/in', 'once', 2, 9, { dup: true }));
    expect(await conn.expect('pubrec')).toEqual({ type: 'pubrec', packetId: 9 });
    await conn.send({ type: 'pubrel', packetId: 9 });
    expect(await conn.expect('pubcomp')).toEqual({ type: 'pubcomp', packetId: 9 });
    expect(inbox.messages.map((m) => utf8(m.payload))).toEqual(['once']);
    // After PUBCOMP the id starts a new message.
    await conn.send(publishPacket('q2/in', 'again', 2, 9));
    expect(await conn.expect('pubrec')).toEqual({ type: 'pubrec', packetId: 9 });
    expect((await inbox.wait(2)).map((m) => utf8(m.payload))).toEqual(['once', 'again']);
  });

  it('delivers a zero-length payload and the retain flag', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker);
    const inbox = collectMessages(client);
    await conn.send(publishPacket('empty', new Uint8Array(0), 1, 4, { retain: true }));
    await conn.send(publishPacket('plain', 'x', 0));
    const [empty, plain] = await inbox.wait(2);
    expect(empty!.payload.length).toBe(0);
    expect(empty!.retain).toBe(true);
    expect(plain!.retain).toBe(false);
    await conn.expect('puback');
  });

  it('stays connected after an unexpected PUBACK, PUBCOMP and PUBREL, and answers the PUBREL with PUBCOMP', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker);
    let closed = false;
    client.on('close', () => {
      closed = true;
    });
    await conn.send({ type: 'puback', packetId: 100 });
    await conn.send({ type: 'pubcomp', packetId: 101 });
    await conn.send({ type: 'pubrec', packetId: 103 });
    await conn.send({ type: 'pubrel', packetId: 102 });
    expect(await conn.expect('pubcomp')).toEqual({ type: 'pubcomp', packetId: 102 });
    // Still working: a QoS 1 round trip.
    const result = publishAsync(client, 'still/here', 'x', { qos: 1 });
    const publish = await conn.expect('publish');
    await conn.send({ type: 'puback', packetId: publish.packetId! });
    expect(await result).toBe(0);
    expect(closed).toBe(false);
    expect(client.connected).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

describe('outbound publishes', () => {
  it('[MQTT-4.3.2-1] QoS 0, 1 and 2 flows complete with 0; QoS 1 and 2 go out with DUP=0', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker);
    expect(await publishAsync(client, 'out/0', 'a', { qos: 0 })).toBe(0);
    const q0 = await conn.expect('publish');
    expect(q0.packetId).toBeUndefined();
    expect(frameOf(conn, q0)[0]).toBe(0x30);

    const r1 = publishAsync(client, 'out/1', 'b', { qos: 1 });
    const q1 = await conn.expect('publish');
    expect(frameOf(conn, q1)[0]).toBe(0x32);
    await conn.send({ type: 'puback', packetId: q1.packetId! });
    expect(await r1).toBe(0);

    const r2 = publishAsync(client, 'out/2', 'c', { qos: 2 });
    const q2 = await conn.expect('publish');
    expect(frameOf(conn, q2)[0]).toBe(0x34);
    await conn.send({ type: 'pubrec', packetId: q2.packetId! });
    expect(await conn.expect('pubrel')).toEqual({ type: 'pubrel', packetId: q2.packetId }); // [MQTT-4.3.3-1]
    expect(frameOf(conn, conn.received[conn.received.length - 1]!)[0]).toBe(0x62); // [MQTT-3.6.1-1]
    await conn.send({ type: 'pubcomp', packetId: q2.packetId! });
    expect(await r2).toBe(0);
  });

  it('sends a zero-length payload', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker);
    const result = publishAsync(client, 'empty/out', '', { qos: 1 });
    const publish = await conn.expect('publish');
    expect(publish.payload.length).toBe(0);
    await conn.send({ type: 'puback', packetId: publish.packetId! });
    expect(await result).toBe(0);
  });

  it('sets the RETAIN bit only when asked', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker);
    client.publish('r/yes', 'x', { qos: 0, retain: true });
    client.publish('r/no', 'x', { qos: 0 });
    const yes = await conn.expect('publish');
    const no = await conn.expect('publish');
    expect(yes.retain).toBe(true);
    expect(frameOf(conn, yes)[0]! & 0x01).toBe(1);
    expect(no.retain).toBe(false);
    expect(frameOf(conn, no)[0]! & 0x01).toBe(0);
  });

  it('publish while disconnected and not reconnecting completes -3 (before connect and after disconnect)', async () => {
    const broker = await fakeBroker();
    const never = makeClient(cleanup, { url: broker.url });
    expect(await publishAsync(never, 't', 'x', { qos: 0 })).toBe(ResultCode.DISCONNECTED);
    expect(await publishAsync(never, 't', 'x', { qos: 2 })).toBe(ResultCode.DISCONNECTED);
    const { client } = await connectClient(broker);
    await disconnectAsync(client);
    expect(await publishAsync(client, 't', 'x', { qos: 1 })).toBe(ResultCode.DISCONNECTED);
  });

  it('a publish made while waiting to reconnect is queued and sent after the reconnect', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker, { reconnect: FAST_RECONNECT });
    const results: number[] = [];
    client.once('reconnect', () => {
      expect(client.reconnecting).toBe(true);
      client.publish('queued/1', 'during the gap', { qos: 1 }, (r) => results.push(r));
      client.publish('queued/0', 'qos 0 too', { qos: 0 }, (r) => results.push(r));
    });
    conn.close();
    const { conn: again } = await broker.acceptNext();
    const first = await again.expect('publish');
    const second = await again.expect('publish');
    expect([first.topic, second.topic]).toEqual(['queued/1', 'queued/0']);
    expect(first.dup).toBe(false);
    await again.send({ type: 'puback', packetId: first.packetId! });
    await until(() => results.length === 2, 'both completions');
    expect(results.sort()).toEqual([0, 0]);
  });
});
