/**
 * MqttClient against the scripted fake broker: the test plays the broker packet by packet and
 * checks what the client puts on the wire (down to the raw bytes) and what it reports. Here:
 * CONNECT on the wire (flags, fields, order, bad options), CONNACK refusals, and credentials that
 * never leak into urls, errors or events.
 * Reconnection is off unless the test is about it; waits are bounded, never timed.
 */
import { describe, expect, it } from 'vitest';
import { MqttClient } from '../support/internals.js';
import type { ClientOptions, ConnectPacket, MqttError, Packet } from '../support/internals.js';
import { LOOPBACK } from '../support/ports.js';
import { bytes, makeClient, publishAsync, settle, until, utf8, waitFor } from './helpers.js';
import { FAST_RECONNECT, connectLayout, useFakeBroker } from './fake-broker-setup.js';

const { cleanup, fakeBroker, connectClient } = useFakeBroker();

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
