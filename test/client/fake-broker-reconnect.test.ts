/**
 * MqttClient against the scripted fake broker: the test plays the broker packet by packet and
 * checks what the client puts on the wire (down to the raw bytes) and what it reports. Here:
 * reconnecting: re-sending unacknowledged flows, connect timeout and failover between servers,
 * and the backoff between attempts.
 * Reconnection is off unless the test is about it; waits are bounded, never timed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backoff, ResultCode } from '../support/internals.js';
import type { ClientOptions } from '../support/internals.js';
import { LOOPBACK, deadPort } from '../support/ports.js';
import { makeClient, publishAsync, until, utf8, waitFor } from './helpers.js';
import { FAST_RECONNECT, dupBit, frameOf, useFakeBroker } from './fake-broker-setup.js';

const { cleanup, fakeBroker, connectClient } = useFakeBroker();

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
