/**
 * MqttClient against the scripted fake broker: the test plays the broker packet by packet and
 * checks what the client puts on the wire (down to the raw bytes) and what it reports.
 * Reconnection is off unless the test is about it; waits are bounded, never timed.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Backoff, MqttClient, PacketDecoder, ResultCode, encode } from '../support/internals.js';
import type { ClientOptions, ConnectPacket, MqttError, Packet, PublishPacket, Transport, TransportEvents, TransportFactory } from '../support/internals.js';
import { startFakeBroker } from '../support/fake-broker.js';
import type { FakeBroker, FakeConnection } from '../support/fake-broker.js';
import { LOOPBACK, deadPort } from '../support/ports.js';
import {
  Cleanup,
  WAIT_MS,
  bytes,
  collectMessages,
  disconnectAsync,
  makeClient,
  publishAsync,
  settle,
  sleep,
  subscribeAsync,
  unsubscribeAsync,
  until,
  utf8,
  waitFor,
} from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Reconnection with tiny delays, for the tests about reconnecting. */
const FAST_RECONNECT = { initialDelay: 10, maxDelay: 20 } as const;

async function fakeBroker(options: Parameters<typeof startFakeBroker>[0] = {}): Promise<FakeBroker> {
  return cleanup.broker(await startFakeBroker(options));
}

interface Connected {
  client: MqttClient;
  conn: FakeConnection;
  connect: ConnectPacket;
}

/** A client on `broker`, connected: CONNECT received, CONNACK sent, 'connect' seen. */
async function connectClient(broker: FakeBroker, options: Partial<ClientOptions> = {}, sessionPresent = false): Promise<Connected> {
  const client = makeClient(cleanup, { url: broker.url, clientId: 'fake-test', ...options });
  const connected = waitFor(client, 'connect');
  client.connect();
  const { conn, connect } = await broker.acceptNext({ sessionPresent });
  await connected;
  return { client, conn, connect };
}

/** The raw bytes of a packet the connection received (the object expect() returned). */
function frameOf(conn: FakeConnection, packet: Packet): Uint8Array {
  const index = conn.received.indexOf(packet);
  if (index < 0) throw new Error('packet not received on this connection');
  return conn.receivedFrames[index]!;
}

const dupBit = (frame: Uint8Array): number => frame[0]! & 0x08;

/** CONNECT's variable header and the length-prefixed payload fields, read from the raw bytes. */
function connectLayout(frame: Uint8Array): { protocol: string; level: number; flags: number; keepalive: number; fields: string[] } {
  expect(frame[0]).toBe(0x10);
  let i = 1;
  while (frame[i]! & 0x80) i++;
  i++;
  const protocol = utf8(frame.subarray(i + 2, i + 6));
  const level = frame[i + 6]!;
  const flags = frame[i + 7]!;
  const keepalive = (frame[i + 8]! << 8) | frame[i + 9]!;
  i += 10;
  const fields: string[] = [];
  while (i < frame.length) {
    const length = (frame[i]! << 8) | frame[i + 1]!;
    fields.push(utf8(frame.subarray(i + 2, i + 2 + length)));
    i += 2 + length;
  }
  expect(i).toBe(frame.length);
  return { protocol, level, flags, keepalive, fields };
}

function publishPacket(topic: string, payload: string | Uint8Array, qos: 0 | 1 | 2, packetId?: number, extra: Partial<PublishPacket> = {}): PublishPacket {
  const packet: PublishPacket = { type: 'publish', topic, payload: typeof payload === 'string' ? bytes(payload) : payload, qos, dup: false, retain: false, ...extra };
  if (packetId !== undefined) packet.packetId = packetId;
  return packet;
}

// ---------------------------------------------------------------------------------------------

describe('CONNECT', () => {
  it('[MQTT-3.1.0-1] sends CONNECT first; a publish made while the transport is still opening follows the CONNACK', async () => {
    const broker = await fakeBroker();
    const client = makeClient(cleanup, { url: broker.url, clientId: 'first-packet' });
    client.connect();
    const result = publishAsync(client, 'early/pub', 'p', { qos: 1 });
    const conn = await broker.nextConnection();
    const connect = await conn.expect('connect');
    expect(conn.receivedFrames[0]![0]).toBe(0x10);
    expect(connect.clientId).toBe('first-packet');
    expect(conn.pending).toEqual([]); // nothing else before the CONNACK
    await conn.send({ type: 'connack', sessionPresent: false, returnCode: 0 });
    const publish = await conn.expect('publish');
    expect(publish.topic).toBe('early/pub');
    await conn.send({ type: 'puback', packetId: publish.packetId! });
    expect(await result).toBe(0);
  });

  it('[MQTT-3.1.0-1] a subscription made right after connect() (transport still opening) is sent after the CONNACK', async () => {
    const broker = await fakeBroker();
    const client = makeClient(cleanup, { url: broker.url, clientId: 'early-subscribe' });
    let completion: { result: number; granted: number[] } | undefined;
    client.connect();
    client.subscribe([{ topic: 'early/sub', qos: 1 }], (result, granted) => {
      completion = { result, granted };
    });
    const conn = await broker.nextConnection();
    await conn.expect('connect');
    expect(conn.pending).toEqual([]);
    await conn.send({ type: 'connack', sessionPresent: false, returnCode: 0 });
    // The usual `client.connect(); client.subscribe(...)` must not lose the subscription.
    const subscribe = await conn.expect('subscribe').catch((error: Error) => {
      throw new Error(`${error.message} (subscribe callback got ${JSON.stringify(completion)})`);
    });
    expect(subscribe.subscriptions).toEqual([{ topic: 'early/sub', qos: 1 }]);
    await conn.send({ type: 'suback', packetId: subscribe.packetId, granted: [1] });
    await until(() => completion !== undefined, 'the subscribe completion');
    expect(completion).toEqual({ result: 0, granted: [1] });
  });

  it('[MQTT-3.1.2-6] CleanSession=1 by default: flags 0x02, client id as the only payload field', async () => {
    const broker = await fakeBroker();
    const { conn, connect } = await connectClient(broker, { clientId: 'clean-one', keepalive: 30 });
    expect(connect.cleanSession).toBe(true);
    const layout = connectLayout(conn.receivedFrames[0]!);
    expect(layout.protocol).toBe('MQTT');
    expect(layout.level).toBe(4);
    expect(layout.flags).toBe(0x02);
    expect(layout.keepalive).toBe(30);
    expect(layout.fields).toEqual(['clean-one']);
  });

  it('[MQTT-3.1.2-4] CleanSession=0 clears the flag', async () => {
    const broker = await fakeBroker();
    const { conn, connect } = await connectClient(broker, { clientId: 'persistent-one', cleanSession: false });
    expect(connect.cleanSession).toBe(false);
    expect(connectLayout(conn.receivedFrames[0]!).flags).toBe(0x00);
  });

  it('[MQTT-3.1.2-11] [MQTT-3.1.2-13] [MQTT-3.1.2-15] [MQTT-3.1.2-18] [MQTT-3.1.2-20] without will and credentials every such flag is 0', async () => {
    const broker = await fakeBroker();
    const { conn, connect } = await connectClient(broker);
    expect(connect.will).toBeUndefined();
    expect(connect.username).toBeUndefined();
    expect(connect.password).toBeUndefined();
    expect(connectLayout(conn.receivedFrames[0]!).flags & 0xfc).toBe(0);
  });

  it('[MQTT-3.1.2-9] [MQTT-3.1.2-14] will with QoS 1 and retain: flag bits and topic + message in the payload', async () => {
    const broker = await fakeBroker();
    const { conn, connect } = await connectClient(broker, { clientId: 'w1', will: { topic: 'will/t', payload: 'gone', qos: 1, retain: true } });
    expect(connect.will).toEqual({ topic: 'will/t', payload: bytes('gone'), qos: 1, retain: true });
    const layout = connectLayout(conn.receivedFrames[0]!);
    expect(layout.flags).toBe(0x02 | 0x04 | (1 << 3) | 0x20);
    expect(layout.fields).toEqual(['w1', 'will/t', 'gone']);
  });

  it('[MQTT-3.1.2-9] [MQTT-3.1.2-14] will with QoS 2, not retained', async () => {
    const broker = await fakeBroker();
    const { conn } = await connectClient(broker, { clientId: 'w2', will: { topic: 'will/2', payload: new Uint8Array(0), qos: 2 } });
    const layout = connectLayout(conn.receivedFrames[0]!);
    expect(layout.flags).toBe(0x02 | 0x04 | (2 << 3));
    expect(layout.fields).toEqual(['w2', 'will/2', '']);
  });

  it('[MQTT-3.1.2-19] [MQTT-3.1.2-21] user name and password: both flags, both fields', async () => {
    const broker = await fakeBroker();
    const { conn, connect } = await connectClient(broker, { clientId: 'up', username: 'alice', password: 'pa55' });
    expect(connect.username).toBe('alice');
    expect(utf8(connect.password!)).toBe('pa55');
    const layout = connectLayout(conn.receivedFrames[0]!);
    expect(layout.flags).toBe(0x02 | 0x80 | 0x40);
    expect(layout.fields).toEqual(['up', 'alice', 'pa55']);
  });

  it('[MQTT-3.1.2-19] [MQTT-3.1.2-20] a user name without a password', async () => {
    const broker = await fakeBroker();
    const { conn } = await connectClient(broker, { clientId: 'u', username: 'bob' });
    const layout = connectLayout(conn.receivedFrames[0]!);
    expect(layout.flags).toBe(0x02 | 0x80);
    expect(layout.fields).toEqual(['u', 'bob']);
  });

  it('[MQTT-3.1.3-1] payload order: client id, will topic, will message, user name, password', async () => {
    const broker = await fakeBroker();
    const { conn } = await connectClient(broker, {
      clientId: 'order',
      cleanSession: false,
      will: { topic: 'w/t', payload: 'w-msg', qos: 0 },
      username: 'user',
      password: 'pass',
    });
    const layout = connectLayout(conn.receivedFrames[0]!);
    expect(layout.flags).toBe(0x04 | 0x80 | 0x40);
    expect(layout.fields).toEqual(['order', 'w/t', 'w-msg', 'user', 'pass']);
  });

  const invalidConnects: [string, Partial<ClientOptions>][] = [
    ['[MQTT-3.1.2-22] a password without a user name', { password: 'orphan' }],
    ['[MQTT-4.7.1-1] a will topic with a wildcard', { will: { topic: 'will/#', payload: 'x' } }],
  ];

  for (const [what, options] of invalidConnects) {
    it(`${what} is refused cleanly (options error or connectfailed), never thrown from a socket event`, async () => {
      const broker = await fakeBroker();
      let client: MqttClient | undefined;
      let failure: unknown;
      try {
        client = makeClient(cleanup, { url: broker.url, connectTimeout: 1_000, ...options });
      } catch (error) {
        failure = error; // refusing the options up front is fine too
      }
      if (client !== undefined) {
        const failed = waitFor(client, 'connectfailed');
        client.connect();
        const info = await failed;
        expect(info.returnCode).toBeUndefined();
        expect(info.error.code).not.toBe('CONNECT_TIMEOUT'); // refused for what it is, not after a timeout
        failure = info.error;
      }
      expect(failure).toBeInstanceOf(Error);
      for (const conn of broker.connections) expect(conn.received).toEqual([]);
    });
  }
});

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

// ---------------------------------------------------------------------------------------------

describe('reconnect and re-send', () => {
  const options = (clientId: string): Partial<ClientOptions> => ({ clientId, cleanSession: false, reconnect: FAST_RECONNECT });

  it('[MQTT-3.3.1-1] [MQTT-4.4.0-1] [MQTT-4.6.0-1] re-sends unacknowledged QoS 1 PUBLISHes after reconnect, in order, with DUP=1 and the same ids', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker, options('resend-q1'));
    const results: number[] = [];
    for (const n of [1, 2, 3]) client.publish(`q1/${n}`, `m${n}`, { qos: 1 }, (r) => results.push(r));
    const originals = [await conn.expect('publish'), await conn.expect('publish'), await conn.expect('publish')];
    for (const p of originals) expect(dupBit(frameOf(conn, p))).toBe(0);
    await conn.send({ type: 'puback', packetId: originals[0]!.packetId! });
    await until(() => results.length === 1, 'the first PUBACK to be handled');
    conn.close(); // the broker drops the connection in the middle of the flows

    const { conn: again, connect } = await broker.acceptNext({ sessionPresent: true });
    expect(connect.cleanSession).toBe(false);
    expect(connect.clientId).toBe('resend-q1');
    const resent = [await again.expect('publish'), await again.expect('publish')];
    resent.forEach((p, i) => {
      const original = originals[i + 1]!;
      expect(p.packetId).toBe(original.packetId);
      expect(p.topic).toBe(original.topic);
      expect(utf8(p.payload)).toBe(utf8(original.payload));
      expect(p.qos).toBe(1);
      expect(p.dup).toBe(true);
      expect(dupBit(frameOf(again, p))).toBe(0x08);
    });
    for (const p of resent) await again.send({ type: 'puback', packetId: p.packetId! });
    await until(() => results.length === 3, 'all completions');
    expect(results).toEqual([0, 0, 0]);
    expect(client.inflightCount).toBe(0);
  });

  it('[MQTT-3.3.1-1] [MQTT-4.4.0-1] QoS 2 dropped before PUBREC: the PUBLISH is re-sent with DUP=1 and the same id, then the flow completes', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker, options('resend-q2a'));
    const result = publishAsync(client, 'q2/a', 'exactly once', { qos: 2 });
    const original = await conn.expect('publish');
    expect(dupBit(frameOf(conn, original))).toBe(0);
    conn.close();

    const { conn: again } = await broker.acceptNext({ sessionPresent: true });
    const resent = await again.expect('publish');
    expect(resent.packetId).toBe(original.packetId);
    expect(resent.qos).toBe(2);
    expect(dupBit(frameOf(again, resent))).toBe(0x08);
    await again.send({ type: 'pubrec', packetId: resent.packetId! });
    expect(await again.expect('pubrel')).toEqual({ type: 'pubrel', packetId: original.packetId });
    await again.send({ type: 'pubcomp', packetId: original.packetId! });
    expect(await result).toBe(0);
  });

  it('[MQTT-4.4.0-1] [MQTT-4.3.3-1] QoS 2 dropped after PUBREC: the PUBREL is re-sent with the same id, never the PUBLISH', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker, options('resend-q2b'));
    const result = publishAsync(client, 'q2/b', 'exactly once', { qos: 2 });
    const original = await conn.expect('publish');
    await conn.send({ type: 'pubrec', packetId: original.packetId! });
    await conn.expect('pubrel');
    conn.close();

    const { conn: again } = await broker.acceptNext({ sessionPresent: true });
    const next = await again.next();
    expect(next).toEqual({ type: 'pubrel', packetId: original.packetId });
    expect(frameOf(again, next)[0]).toBe(0x62);
    await again.send({ type: 'pubcomp', packetId: original.packetId! });
    expect(await result).toBe(0);
    expect(again.received.some((p) => p.type === 'publish')).toBe(false);
  });

  it('[MQTT-3.1.2-6] without a session at the broker: a flow still at PUBLISH is re-sent, a flow at PUBREL re-sends PUBREL and completes 0 on PUBCOMP', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker, options('resend-nosession'));
    const atPubrel = publishAsync(client, 'q2/rel', 'x', { qos: 2 });
    const first = await conn.expect('publish');
    await conn.send({ type: 'pubrec', packetId: first.packetId! });
    await conn.expect('pubrel');
    const atPublish = publishAsync(client, 'q1/pub', 'y', { qos: 1 });
    const second = await conn.expect('publish');
    conn.close();

    const { conn: again } = await broker.acceptNext({ sessionPresent: false });
    // PUBREC made the broker the owner: telling the application -11 would invite a duplicate.
    const pubrel = await again.expect('pubrel');
    expect(pubrel.packetId).toBe(first.packetId);
    const resent = await again.expect('publish');
    expect(resent.packetId).toBe(second.packetId);
    expect(resent.dup).toBe(true);
    await again.send({ type: 'pubcomp', packetId: pubrel.packetId });
    await again.send({ type: 'puback', packetId: resent.packetId! });
    expect(await atPubrel).toBe(0);
    expect(await atPublish).toBe(0);
  });

  it('a client with reconnect off reports close and stays disconnected; pending QoS 1 completes -11', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker);
    const result = publishAsync(client, 'gone', 'x', { qos: 1 });
    await conn.expect('publish');
    const closed = waitFor(client, 'close');
    conn.close();
    const info = await closed;
    expect(info.reason).toBe('transport');
    expect(info.error?.code).toBeDefined();
    expect(await result).toBe(ResultCode.INCOMPLETE);
    expect(client.reconnecting).toBe(false);
    expect(client.state).toBe('disconnected');
  });
});

// ---------------------------------------------------------------------------------------------

describe('CONNACK refusals', () => {
  for (const code of [1, 2, 3, 4, 5]) {
    it(`return code ${code}: connectfailed with that code and a CONNECTION_REFUSED error`, async () => {
      const broker = await fakeBroker();
      const client = makeClient(cleanup, { url: broker.url });
      let connected = false;
      client.on('connect', () => {
        connected = true;
      });
      const failed = waitFor(client, 'connectfailed');
      client.connect();
      const conn = await broker.nextConnection();
      await conn.expect('connect');
      await conn.send({ type: 'connack', sessionPresent: false, returnCode: code });
      const info = await failed;
      expect(info.returnCode).toBe(code);
      expect(info.error.code).toBe('CONNECTION_REFUSED');
      expect(info.error.message).toContain(`return code ${code}`);
      expect(connected).toBe(false);
      await conn.expectClosed();
    });
  }

  for (const code of [1, 2, 4, 5]) {
    it(`return code ${code} with reconnect enabled: no reconnection (retrying cannot help)`, async () => {
      const broker = await fakeBroker();
      const client = makeClient(cleanup, { url: broker.url, reconnect: FAST_RECONNECT });
      let reconnects = 0;
      client.on('reconnect', () => reconnects++);
      const failed = waitFor(client, 'connectfailed');
      client.connect();
      await broker.acceptNext({ returnCode: code });
      expect((await failed).returnCode).toBe(code);
      await settle();
      expect(client.reconnecting).toBe(false);
      expect(reconnects).toBe(0);
      expect(client.state).toBe('disconnected');
    });
  }

  it('return code 3 (server unavailable) with reconnect enabled: reconnects and then connects', async () => {
    const broker = await fakeBroker();
    const client = makeClient(cleanup, { url: broker.url, reconnect: FAST_RECONNECT });
    const failed = waitFor(client, 'connectfailed');
    const reconnect = waitFor(client, 'reconnect');
    const connected = waitFor(client, 'connect');
    client.connect();
    await broker.acceptNext({ returnCode: 3 });
    expect((await failed).returnCode).toBe(3);
    expect((await reconnect).attempt).toBe(1);
    await broker.acceptNext();
    await connected;
    expect(client.connected).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

describe('protocol errors and limits', () => {
  const malformed: [string, number[]][] = [
    ['a reserved packet type 0', [0x00, 0x00]],
    ['PUBREL with flags 0000 [MQTT-3.6.1-1]', [0x60, 0x02, 0x00, 0x01]],
    ['a five-byte Remaining Length', [0x30, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ['a PUBLISH with QoS 3 [MQTT-3.3.1-4]', [0x36, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01]],
    ['a PUBLISH whose topic is not well-formed UTF-8 (C3 28) [MQTT-1.5.3-1]', [0x30, 0x04, 0x00, 0x02, 0xc3, 0x28]],
    ['a PUBLISH whose topic holds U+0000 [MQTT-1.5.3-2]', [0x30, 0x04, 0x00, 0x02, 0x61, 0x00]],
  ];

  for (const [what, raw] of malformed) {
    it(`[MQTT-4.8.0-1] ${what} closes the connection with protocol-error; the client reconnects and keeps working`, async () => {
      const broker = await fakeBroker();
      const { client, conn } = await connectClient(broker, { reconnect: FAST_RECONNECT });
      const closed = waitFor(client, 'close');
      await conn.sendRaw(Uint8Array.from(raw));
      const info = await closed;
      expect(info.reason).toBe('protocol-error');
      expect(info.error).toBeDefined();
      await conn.expectClosed();

      const { conn: again } = await broker.acceptNext();
      await until(() => client.connected, 'the reconnection');
      const result = publishAsync(client, 'after/error', 'ok', { qos: 1 });
      const publish = await again.expect('publish');
      await again.send({ type: 'puback', packetId: publish.packetId! });
      expect(await result).toBe(0);
    });
  }

  const unexpected: [string, Packet][] = [
    ['CONNECT', { type: 'connect', clientId: 'x', keepalive: 0, cleanSession: true }],
    ['a second CONNACK', { type: 'connack', sessionPresent: false, returnCode: 0 }],
    ['SUBSCRIBE', { type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'a', qos: 0 }] }],
    ['PINGREQ', { type: 'pingreq' }],
    ['DISCONNECT', { type: 'disconnect' }],
  ];

  for (const [what, packet] of unexpected) {
    it(`[MQTT-4.8.0-1] ${what} from the broker is a protocol violation: the client closes with protocol-error`, async () => {
      const broker = await fakeBroker();
      const { client, conn } = await connectClient(broker);
      const closed = waitFor(client, 'close');
      await conn.send(packet);
      const info = await closed;
      expect(info.reason).toBe('protocol-error');
      await conn.expectClosed();
    });
  }

  it('[MQTT-4.8.0-1] a packet other than CONNACK before CONNACK fails the attempt', async () => {
    const broker = await fakeBroker();
    const client = makeClient(cleanup, { url: broker.url });
    const failed = waitFor(client, 'connectfailed');
    client.connect();
    const conn = await broker.nextConnection();
    await conn.expect('connect');
    await conn.send(publishPacket('early', 'x', 0));
    const info = await failed;
    expect(info.returnCode).toBeUndefined();
    await conn.expectClosed();
  });

  it('[MQTT-4.8.0-2] an inbound packet over maxPacketSize closes with packet-too-large; one at the limit is accepted', async () => {
    const broker = await fakeBroker();
    const limit = 64;
    const { client, conn } = await connectClient(broker, { maxPacketSize: limit });
    const inbox = collectMessages(client);
    const fits = publishPacket('big', new Uint8Array(limit - 7).fill(1), 0);
    expect(encode(fits).length).toBe(limit);
    await conn.send(fits);
    await inbox.wait(1);
    const closed = waitFor(client, 'close');
    await conn.send(publishPacket('big', new Uint8Array(limit - 6).fill(2), 0));
    const info = await closed;
    expect(info.reason).toBe('packet-too-large');
    expect(info.error?.code).toBe('PACKET_TOO_LARGE');
    expect(inbox.messages).toHaveLength(1);
    await conn.expectClosed();
  });
});

// ---------------------------------------------------------------------------------------------

describe('connecting: timeout and failover', () => {
  it('a broker that never answers CONNACK: connectfailed with CONNECT_TIMEOUT', async () => {
    const broker = await fakeBroker();
    const client = makeClient(cleanup, { url: broker.url, connectTimeout: 300 });
    const failed = waitFor(client, 'connectfailed');
    client.connect();
    const conn = await broker.nextConnection();
    await conn.expect('connect');
    const info = await failed;
    expect(info.returnCode).toBeUndefined();
    expect(info.error.code).toBe('CONNECT_TIMEOUT');
    expect(info.error.message).toContain(broker.url);
    await conn.expectClosed();
    expect(client.state).toBe('disconnected');
  });

  it('servers: [dead, alive] fails over to the second server', async () => {
    const refusing = await deadPort();
    const broker = await fakeBroker();
    const dead = `mqtt://${LOOPBACK}:${refusing}`;
    const client = makeClient(cleanup, { servers: [dead, broker.url], reconnect: FAST_RECONNECT });
    expect(client.url).toBe(dead);
    const failed = waitFor(client, 'connectfailed');
    const reconnect = waitFor(client, 'reconnect');
    const connected = waitFor(client, 'connect');
    client.connect();
    expect((await failed).error.code).toBe('SOCKET_ERROR');
    expect((await reconnect).url).toBe(broker.url);
    await broker.acceptNext();
    await connected;
    expect(client.url).toBe(broker.url);
  });

  it('after a lost stable connection the client tries the same server first; a failed attempt moves on', async () => {
    const a = await fakeBroker();
    const b = await fakeBroker();
    // stableAfter 0: every connection counts as stable (an unstable one moves on: failover.test.ts).
    const client = makeClient(cleanup, { servers: [a.url, b.url], reconnect: { ...FAST_RECONNECT, stableAfter: 0 } });
    const urls: string[] = [];
    client.on('reconnect', ({ url }) => urls.push(url));
    client.connect();
    const { conn } = await a.acceptNext();
    await until(() => client.connected, 'the first connection');
    conn.close();
    await a.acceptNext({ returnCode: 3 }); // the same server, which is now unavailable
    await b.acceptNext();
    await until(() => client.connected && client.url === b.url, 'the failover');
    expect(urls).toEqual([a.url, b.url]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('backoff', () => {
  it('Backoff: every delay is an integer within [0, min(maxDelay, initialDelay·2^attempt)] (property; initialDelay 0 grows from 100 ms)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 0, max: 200_000 }),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 40 }),
        (initialDelay, extra, randoms) => {
          const maxDelay = initialDelay + extra;
          let i = 0;
          const backoff = new Backoff({ initialDelay, maxDelay }, () => randoms[i++ % randoms.length]!);
          for (let attempt = 0; attempt < randoms.length; attempt++) {
            const base = initialDelay > 0 || attempt === 0 ? initialDelay : 100; // 0 grows from 100 ms after the first retry
            const cap = Math.min(maxDelay, base * 2 ** attempt);
            const delay = backoff.nextDelay(attempt * 1_000);
            expect(Number.isInteger(delay)).toBe(true);
            expect(delay).toBeGreaterThanOrEqual(0);
            expect(delay).toBeLessThanOrEqual(cap);
            expect(backoff.attempt).toBe(attempt + 1);
          }
        },
      ),
    );
  });

  it('Backoff: the cap doubles up to maxDelay (with random → 1 the delay tracks the cap)', () => {
    const backoff = new Backoff({ initialDelay: 100, maxDelay: 1_000 }, () => 0.999_999);
    const delays = Array.from({ length: 7 }, () => backoff.nextDelay(0));
    expect(delays).toEqual([99, 199, 399, 799, 999, 999, 999]);
  });

  it('Backoff: initialDelay 0 retries at once the first time, then backs off from 100 ms toward maxDelay (found in review)', () => {
    const backoff = new Backoff({ initialDelay: 0, maxDelay: 1_000 }, () => 0.999_999);
    const delays = Array.from({ length: 6 }, () => backoff.nextDelay(0));
    expect(delays).toEqual([0, 199, 399, 799, 999, 999]);
  });

  it('Backoff: growth resets only after a connection stayed up for stableAfter (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: 0, max: 120_000 }), (failures, stableAfter, upFor) => {
        const backoff = new Backoff({ initialDelay: 100, maxDelay: 1_000_000, stableAfter }, () => 0.999_999);
        for (let i = 0; i < failures; i++) backoff.nextDelay(0);
        backoff.connected(1_000);
        const delay = backoff.nextDelay(1_000 + upFor);
        if (upFor >= stableAfter) {
          expect(backoff.attempt).toBe(1);
          expect(delay).toBeLessThan(100);
        } else {
          expect(backoff.attempt).toBe(failures + 1);
          expect(delay).toBe(Math.floor(0.999_999 * 100 * 2 ** failures));
        }
      }),
    );
  });

  it('Backoff: reset() starts over; bad bounds are refused', () => {
    const backoff = new Backoff({ initialDelay: 10, maxDelay: 100 }, () => 0.5);
    backoff.nextDelay(0);
    backoff.nextDelay(0);
    backoff.reset();
    expect(backoff.attempt).toBe(0);
    expect(backoff.nextDelay(0)).toBe(5);
    expect(() => new Backoff({ initialDelay: 100, maxDelay: 10 })).toThrow(expect.objectContaining({ name: 'MqttError', code: 'INVALID_OPTIONS', origin: 'caller' }));
    expect(() => new Backoff({ initialDelay: -1 })).toThrow(expect.objectContaining({ name: 'MqttError', code: 'INVALID_OPTIONS', origin: 'caller' }));
  });

  it("the client's 'reconnect' events count attempts and stay within [0, cap]", async () => {
    const refusing = await deadPort();
    const url = `mqtt://${LOOPBACK}:${refusing}`;
    const initialDelay = 20;
    const maxDelay = 50;
    const client = makeClient(cleanup, { url, reconnect: { initialDelay, maxDelay } });
    const events: { attempt: number; delay: number; url: string }[] = [];
    client.on('reconnect', (info) => events.push(info));
    client.connect();
    await until(() => events.length >= 6, 'six reconnect events');
    client.destroy();
    expect(client.reconnecting).toBe(false);
    events.slice(0, 6).forEach((event, i) => {
      expect(event.attempt).toBe(i + 1);
      expect(event.url).toBe(url);
      expect(Number.isInteger(event.delay)).toBe(true);
      expect(event.delay).toBeGreaterThanOrEqual(0);
      expect(event.delay).toBeLessThanOrEqual(Math.min(maxDelay, initialDelay * 2 ** i));
    });
  });

  it('a broker that accepts and drops at once keeps the attempt count growing; with stableAfter 0 every connection resets it', async () => {
    for (const [stableAfter, expected] of [
      [10_000, [1, 2, 3]],
      [0, [1, 1, 1]],
    ] as const) {
      const broker = await fakeBroker();
      const client = makeClient(cleanup, { url: broker.url, reconnect: { initialDelay: 10, maxDelay: 40, stableAfter } });
      const attempts: number[] = [];
      client.on('reconnect', ({ attempt }) => attempts.push(attempt));
      client.connect();
      for (let i = 0; i < 3; i++) {
        const { conn } = await broker.acceptNext();
        await until(() => client.connected, 'the connection');
        conn.close();
        await until(() => attempts.length === i + 1, 'the reconnect event');
      }
      client.destroy();
      expect(attempts).toEqual(expected);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('credentials stay secret', () => {
  it("'packetsend' shows a redacted CONNECT while the broker receives the real credentials", async () => {
    const broker = await fakeBroker();
    const client = makeClient(cleanup, { url: broker.url, username: 'alice', password: 'pa$$w0rd-secret' });
    const sent: Packet[] = [];
    client.on('packetsend', (packet) => sent.push(packet));
    const received: Packet[] = [];
    client.on('packetreceive', (packet) => received.push(packet));
    const connected = waitFor(client, 'connect');
    client.connect();
    const { connect } = await broker.acceptNext();
    await connected;
    expect(connect.username).toBe('alice');
    expect(utf8(connect.password!)).toBe('pa$$w0rd-secret');
    const shown = sent.find((p): p is ConnectPacket => p.type === 'connect')!;
    expect(shown.username).toBe('<redacted>');
    expect(utf8(shown.password!)).toBe('<redacted>');
    expect(JSON.stringify(sent)).not.toContain('alice');
    expect(received.map((p) => p.type)).toEqual(['connack']);
  });

  it('credentials from the URL reach the broker but never the url, errors or events', async () => {
    const broker = await fakeBroker();
    const secretUrl = `mqtt://carol:hunter2-secret@${LOOPBACK}:${broker.port}`;
    const client = makeClient(cleanup, { url: secretUrl, reconnect: FAST_RECONNECT, connectTimeout: 300 });
    const seen: string[] = [];
    const record = (thing: unknown): void => {
      seen.push(JSON.stringify(thing, (_k, v: unknown) => (v instanceof Uint8Array ? utf8(v) : v)));
      if (thing && typeof thing === 'object' && 'error' in thing) {
        const error = (thing as { error?: MqttError }).error;
        if (error) seen.push(error.message, String(error.stack), String((error as { cause?: unknown }).cause));
      }
    };
    client.on('connectfailed', record);
    client.on('reconnect', record);
    client.on('close', record);
    client.on('packetsend', record);
    client.connect();
    // Refused (5), timed out, then accepted and dropped: every error path is exercised.
    const { connect } = await broker.acceptNext({ returnCode: 5 });
    expect(connect.username).toBe('carol');
    expect(utf8(connect.password!)).toBe('hunter2-secret');
    await until(() => seen.length > 0, 'the refusal');
    client.destroy();

    const again = makeClient(cleanup, { url: secretUrl, reconnect: { initialDelay: 10, maxDelay: 20 }, connectTimeout: 300 });
    again.on('connectfailed', record);
    again.on('reconnect', record);
    again.on('close', record);
    again.on('packetsend', record);
    again.connect();
    const silent = await broker.nextConnection();
    await silent.expect('connect');
    await until(() => seen.some((s) => s.includes('CONNECT_TIMEOUT') || s.includes('within 300 ms')), 'the connect timeout');
    const { conn } = await broker.acceptNext();
    await until(() => again.connected, 'the connection');
    conn.close();
    await until(() => seen.some((s) => s.includes('"reason":"transport"')), 'the close event');
    again.destroy();

    expect(client.url).toBe(`mqtt://${LOOPBACK}:${broker.port}`);
    expect(seen.length).toBeGreaterThan(5);
    for (const text of seen) {
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('carol:');
    }
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

// ---------------------------------------------------------------------------------------------

/** A transport the test drives by hand: write() answers `writable`, drain is manual. */
function manualTransport(): { factory: TransportFactory; writes: Uint8Array[]; packets: () => Packet[]; setWritable(w: boolean): void; events(): TransportEvents } {
  const writes: Uint8Array[] = [];
  let writable = true;
  let events: TransportEvents | undefined;
  const factory: TransportFactory = (_endpoint, _options, e) => {
    events = e;
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      queueMicrotask(() => e.close());
    };
    const transport: Transport = {
      write: (chunk) => {
        writes.push(Uint8Array.from(chunk));
        return writable;
      },
      end: close,
      destroy: close,
    };
    queueMicrotask(() => e.open());
    return transport;
  };
  return {
    factory,
    writes,
    packets: () => {
      const decoder = new PacketDecoder();
      return writes.flatMap((w) => decoder.push(w));
    },
    setWritable: (w) => {
      writable = w;
    },
    events: () => events!,
  };
}

describe('backpressure', () => {
  async function connectedManual(manual: ReturnType<typeof manualTransport>): Promise<MqttClient> {
    const client = makeClient(cleanup, { url: `mqtt://${LOOPBACK}:1`, transport: manual.factory });
    const connected = waitFor(client, 'connect');
    client.connect();
    await until(() => manual.writes.length === 1, 'the CONNECT write');
    expect(manual.packets()[0]!.type).toBe('connect');
    manual.events().data(encode({ type: 'connack', sessionPresent: false, returnCode: 0 }));
    await connected;
    return client;
  }

  it('a QoS 0 callback fires only once its bytes are handed to the transport (after a pending drain)', async () => {
    const manual = manualTransport();
    manual.setWritable(false); // the CONNECT write already asks to wait for drain
    const client = await connectedManual(manual);
    let result: number | undefined;
    client.publish('bp/0', 'x', { qos: 0 }, (r) => {
      result = r;
    });
    await settle();
    await settle();
    expect(manual.writes).toHaveLength(1); // still waiting for drain: nothing written
    expect(result).toBeUndefined();
    manual.setWritable(true);
    manual.events().drain();
    await until(() => result !== undefined, 'the QoS 0 completion');
    expect(result).toBe(0);
    expect(manual.packets().map((p) => p.type)).toEqual(['connect', 'publish']);
  });

  it('a QoS 0 callback waits for drain when the write carrying it returns false', async () => {
    const manual = manualTransport();
    const client = await connectedManual(manual);
    manual.setWritable(false);
    let result: number | undefined;
    client.publish('bp/1', 'x', { qos: 0 }, (r) => {
      result = r;
    });
    await until(() => manual.writes.length === 2, 'the PUBLISH write');
    await settle();
    expect(result).toBeUndefined(); // written, but the transport is over its high-water mark
    // More publishes meanwhile accumulate and go out as one write after the drain.
    client.publish('bp/2', 'y', { qos: 0 });
    client.publish('bp/3', 'z', { qos: 0 });
    await settle();
    expect(manual.writes).toHaveLength(2);
    manual.setWritable(true);
    manual.events().drain();
    await until(() => result !== undefined, 'the completion');
    expect(result).toBe(0);
    expect(manual.writes).toHaveLength(3);
    expect(manual.packets().map((p) => (p.type === 'publish' ? p.topic : p.type))).toEqual(['connect', 'bp/1', 'bp/2', 'bp/3']);
  });

  it('QoS 0 callbacks waiting for drain complete -3 if the connection closes first', async () => {
    const manual = manualTransport();
    const client = await connectedManual(manual);
    manual.setWritable(false);
    const first = publishAsync(client, 'bp/a', 'x', { qos: 0 });
    await until(() => manual.writes.length === 2, 'the PUBLISH write');
    const second = publishAsync(client, 'bp/b', 'x', { qos: 0 });
    await settle();
    manual.events().close(new Error('gone'));
    expect(await first).toBe(ResultCode.DISCONNECTED);
    expect(await second).toBe(ResultCode.DISCONNECTED);
    await until(() => client.state === 'disconnected', 'the close');
  });

  it('the core publish path does not deliver inbound messages split across chunks until complete', async () => {
    const manual = manualTransport();
    const client = await connectedManual(manual);
    const inbox = collectMessages(client);
    const bytesOut = encode(publishPacket('split/in', 'abcdef', 1, 42));
    for (let i = 0; i < bytesOut.length; i++) {
      manual.events().data(bytesOut.subarray(i, i + 1));
      if (i < bytesOut.length - 1) expect(inbox.messages).toHaveLength(0);
    }
    await inbox.wait(1);
    expect(utf8(inbox.messages[0]!.payload)).toBe('abcdef');
    await until(() => manual.packets().some((p) => p.type === 'puback'), 'the PUBACK');
    expect(manual.packets().find((p) => p.type === 'puback')).toEqual({ type: 'puback', packetId: 42 });
  });
});
