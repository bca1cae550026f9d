/**
 * Connection handlers of the imp API against the scripted fake broker: single-slot onconnect and
 * onconnectionlost (replace, null clears) [imp §2.6, §2.7, §9.2], onconnectionlost's arity rule
 * and reason codes -1/-3/-4 [imp §2.7, §9.3, §9.7], and handlers that call back into the client
 * (connect, disconnect, send, subscribe from inside a handler). onmessage is in
 * handlers-onmessage.test.ts, disconnect() and the state accessors in disconnect-state.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encode, openTransport } from '../../support/internals.js';
import type { ImpMqttClient, TransportFactory } from '../../support/internals.js';
import type { FakeConnection } from '../../support/fake-broker.js';
import { Calls, fakeBrokerPerTest, Inbox, connectFake, disconnectFake, impUrl, newDevice, sleep, waitFor, within } from './helpers.js';

const fx = fakeBrokerPerTest();
afterEach(() => {
  vi.useRealTimers();
});

/** A connected client whose onconnectionlost records argument counts and values. */
async function connectedWithLost(config: Parameters<typeof newDevice>[0] = {}): Promise<{ client: ImpMqttClient; conn: FakeConnection; lost: Calls<unknown[]> }> {
  const client = fx.device(config);
  const lost = new Calls<unknown[]>();
  client.onconnectionlost(function (reason: number) {
    lost.args.push([...arguments]);
    lost.argc.push(arguments.length);
    void reason;
  });
  const { conn } = await connectFake(fx.broker, client, 'lost');
  return { client, conn, lost };
}

describe('onconnect [imp §2.6]', () => {
  it('fires 0 on CONNACK 0; a new handler replaces the old one; null clears the slot', async () => {
    const client = fx.device();
    const first = new Calls<[number]>();
    const second = new Calls<[number]>();
    client.onconnect((rc) => first.record(rc));
    client.onconnect((rc) => second.record(rc));
    client.connect(impUrl(fx.broker.url), 'h');
    const { conn } = await fx.broker.acceptNext();
    await second.waitForCount(1);
    expect(second.args).toEqual([[0]]);
    expect(first.count).toBe(0);

    await disconnectFake(client, conn);
    client.onconnect(null);
    client.connect(impUrl(fx.broker.url), 'h');
    await fx.broker.acceptNext();
    await expect.poll(() => client.isconnected()).toBe(true);
    expect(first.count + second.count).toBe(1); // nothing fired for the second connect
  });

  it('passes exactly one argument', async () => {
    const client = fx.device();
    const argc: number[] = [];
    client.onconnect(function () {
      argc.push(arguments.length);
    });
    client.connect(impUrl(fx.broker.url), 'h');
    await fx.broker.acceptNext();
    await expect.poll(() => argc).toEqual([1]);
  });
});

describe('onconnectionlost [imp §2.7, §9.3]', () => {
  it('function() is called with no argument, function(reason) with the reason code', async () => {
    for (const declared of [0, 1]) {
      const client = fx.device();
      const argc: number[] = [];
      const values: unknown[] = [];
      if (declared === 0) {
        client.onconnectionlost(function () {
          argc.push(arguments.length);
        });
      } else {
        client.onconnectionlost(function (reason: number) {
          argc.push(arguments.length);
          values.push(reason);
        });
      }
      const { conn } = await connectFake(fx.broker, client, `arity-${declared}`);
      conn.close();
      await expect.poll(() => argc.length).toBe(1);
      expect(argc).toEqual([declared]);
      expect(values).toEqual(declared === 0 ? [] : [-1]);
      expect(client.connectionstate()).toBe(0);
    }
  });

  it('function(reason = null), as EI\'s GoogleIoTCore library declares it, and (...args) get the reason too: a declared parameter with a default is still declared [imp §2.7, §7c, §9.3] (found in review)', async () => {
    // JavaScript's fn.length stops at the first parameter with a default (and counts no rest
    // parameter); Squirrel's declared parameters, which the imp reads, include both.
    for (const i of [0, 1]) {
      const client = fx.device();
      const seen: unknown[] = [];
      client.onconnectionlost(i === 0 ? function (reason: number | null = null) { seen.push(reason); } : (...args: unknown[]) => seen.push(...args));
      const { conn } = await connectFake(fx.broker, client, `default-${i}`);
      conn.close();
      await expect.poll(() => seen).toEqual([-1]);
    }
  });

  it('a new handler replaces the old one; null clears it', async () => {
    const client = fx.device();
    const old = new Calls<[number]>();
    const current = new Calls<[number]>();
    client.onconnectionlost((r: number) => old.record(r));
    client.onconnectionlost((r: number) => current.record(r));
    let { conn } = await connectFake(fx.broker, client, 'r');
    conn.close();
    await current.waitForCount(1);
    expect(old.count).toBe(0);

    client.onconnectionlost(null);
    ({ conn } = await connectFake(fx.broker, client, 'r'));
    conn.close();
    await expect.poll(() => client.connectionstate()).toBe(0);
    await sleep(20);
    expect(old.count + current.count).toBe(1);
  });

  it('-1 when the broker drops the socket', async () => {
    const { conn, lost } = await connectedWithLost();
    conn.close();
    await lost.waitForCount(1);
    expect(lost.args).toEqual([[-1]]);
  });

  it('-1 when the broker closes gracefully (FIN) without DISCONNECT', async () => {
    const { conn, lost } = await connectedWithLost();
    conn.end();
    await lost.waitForCount(1);
    expect(lost.args).toEqual([[-1]]);
  });

  it('[MQTT-4.8.0-2] -4 for a malformed frame from the broker: reserved packet type 0, bad flags, bad length', async () => {
    const malformed: [string, number[]][] = [
      ['reserved packet type 0', [0x00, 0x00]],
      ['reserved packet type 15', [0xf0, 0x00]],
      ['PUBLISH with QoS 3 [MQTT-3.3.1-4]', [0x36, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01]],
      ['PUBACK with reserved flags set [MQTT-2.2.2-2]', [0x41, 0x02, 0x00, 0x01]],
      ['five-byte Remaining Length', [0x30, 0xff, 0xff, 0xff, 0xff, 0x01]],
      ['PUBLISH topic with invalid UTF-8 [MQTT-1.5.3-1]', [0x30, 0x04, 0x00, 0x02, 0xc3, 0x28]],
    ];
    for (const [what, bytes] of malformed) {
      const { client, conn, lost } = await connectedWithLost();
      const inbox = new Inbox();
      client.onmessage(inbox.handler);
      await conn.sendRaw(new Uint8Array(bytes));
      await lost.waitForCount(1, what);
      expect(lost.args, what).toEqual([[-4]]);
      expect(inbox.items, what).toEqual([]);
      await within(conn.closed, `${what}: the client closing the socket`);
    }
  });

  it('-4 for a packet a broker may not send (CONNECT, or a second CONNACK) [MQTT-4.8.0-1]', async () => {
    for (const packet of [encode({ type: 'connect', clientId: 'x', keepalive: 0, cleanSession: true }), encode({ type: 'connack', sessionPresent: false, returnCode: 0 })]) {
      const { conn, lost } = await connectedWithLost();
      await conn.sendRaw(packet);
      await lost.waitForCount(1);
      expect(lost.args).toEqual([[-4]]);
    }
  });

  it('-3 for an inbound message over 256 KB, and that message is never acknowledged [imp §2.7, §9.7]', async () => {
    const { client, conn, lost } = await connectedWithLost();
    const inbox = new Inbox();
    client.onmessage(inbox.handler);
    // One at the limit is fine (and acknowledged)...
    await conn.send({ type: 'publish', topic: 'big', payload: new Uint8Array(256 * 1024), qos: 1, dup: false, retain: false, packetId: 1 });
    expect(await conn.expect('puback')).toEqual({ type: 'puback', packetId: 1 });
    expect(inbox.items.map((i) => i.message.len())).toEqual([262_144]);
    // ...one byte more drops the connection before the session sees it.
    await conn.send({ type: 'publish', topic: 'big', payload: new Uint8Array(256 * 1024 + 1), qos: 1, dup: false, retain: false, packetId: 2 });
    await lost.waitForCount(1);
    expect(lost.args).toEqual([[-3]]);
    await within(conn.closed, 'the client closing the socket');
    expect(conn.received.filter((p) => p.type === 'puback')).toEqual([{ type: 'puback', packetId: 1 }]);
    expect(inbox.items).toHaveLength(1);
  });

  it('-3 also for QoS 0 and for a packet far above the limit (refused by the decoder)', async () => {
    for (const size of [256 * 1024 + 1, 400 * 1024]) {
      const { client, conn, lost } = await connectedWithLost();
      const inbox = new Inbox();
      client.onmessage(inbox.handler);
      await conn.send({ type: 'publish', topic: 'big', payload: new Uint8Array(size), qos: 0, dup: false, retain: false });
      await lost.waitForCount(1);
      expect(lost.args).toEqual([[-3]]);
      expect(inbox.items).toEqual([]);
    }
  });

  it('the inbound limit is the maxInboundMessageSize config option', async () => {
    const { conn, lost } = await connectedWithLost({ maxInboundMessageSize: 10 });
    await conn.send({ type: 'publish', topic: 't', payload: new Uint8Array(10), qos: 1, dup: false, retain: false, packetId: 7 });
    await conn.expect('puback');
    await conn.send({ type: 'publish', topic: 't', payload: new Uint8Array(11), qos: 1, dup: false, retain: false, packetId: 8 });
    await lost.waitForCount(1);
    expect(lost.args).toEqual([[-3]]);
    expect(conn.received.filter((p) => p.type === 'puback')).toHaveLength(1);
  });

  it('-1 when the keepalive expires: PINGREQ unanswered (fake timers and clock)', async () => {
    let now = 1_000_000;
    // Fake setTimeout (still advancing with real time, so the test's own waits work) and a
    // fake clock: the session's 60 s keepalive and 5 s PINGRESP wait pass in an instant.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
    const { conn, lost } = await connectedWithLost({ clock: () => now, pingTimeout: 5_000 });
    conn.autoPingresp = false;
    now += 60_000;
    vi.advanceTimersByTime(60_000);
    await conn.expect('pingreq');
    expect(lost.count).toBe(0);
    now += 5_000;
    vi.advanceTimersByTime(5_000);
    await lost.waitForCount(1);
    expect(lost.args).toEqual([[-1]]);
    await within(conn.closed, 'the client closing the socket');
  });

  it('a PINGRESP keeps the connection: no onconnectionlost (keepalive 30, the minimum)', async () => {
    let now = 1_000_000;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
    // Counts the bytes the client has read: each PINGRESP must be in before the clock moves on.
    let read = 0;
    const reading: TransportFactory = (endpoint, options, events) =>
      openTransport(endpoint, options, {
        open: () => events.open(),
        data: (chunk) => {
          events.data(chunk);
          read += chunk.length;
        },
        drain: () => events.drain(),
        close: (error) => events.close(error),
      });
    const client = fx.device({ clock: () => now, transport: reading });
    const lost = new Calls<[number]>();
    client.onconnectionlost((r: number) => lost.record(r));
    const { conn, connect } = await connectFake(fx.broker, client, 'alive', { keepalive: 30 });
    expect(connect.keepalive).toBe(30);
    conn.autoPingresp = false;
    for (let i = 0; i < 3; i++) {
      now += 30_000;
      vi.advanceTimersByTime(30_000);
      await conn.expect('pingreq');
      const before = read;
      await conn.send({ type: 'pingresp' });
      await waitFor(() => read >= before + 2, 'the client reading the PINGRESP');
    }
    expect(lost.count).toBe(0);
    expect(client.isconnected()).toBe(true);
  });
});

describe('re-entrant handlers', () => {
  it('connect() from inside onconnectionlost reconnects (the client is fully disconnected by then)', async () => {
    const client = fx.device();
    const events: string[] = [];
    client.onconnectionlost(() => {
      events.push(`lost, state ${client.connectionstate()}`);
      client.connect(impUrl(fx.broker.url), 'again');
    });
    const { conn } = await connectFake(fx.broker, client, 'again');
    client.onconnect((rc) => events.push(`onconnect(${rc})`));
    conn.close();
    const second = await fx.broker.acceptNext();
    expect(second.connect.clientId).toBe('again');
    await expect.poll(() => events).toEqual(['lost, state 0', 'onconnect(0)']);
    expect(client.isconnected()).toBe(true);
  });

  it('disconnect() from inside onmessage: the message is still acknowledged, before DISCONNECT', async () => {
    const client = fx.device();
    const done = new Calls<unknown[]>();
    client.onmessage(() => client.disconnect(() => done.record()));
    const { conn } = await connectFake(fx.broker, client, 'bye');
    await conn.send({ type: 'publish', topic: 'x', payload: new Uint8Array([1]), qos: 1, dup: false, retain: false, packetId: 5 });
    expect(await conn.expect('puback')).toEqual({ type: 'puback', packetId: 5 });
    await conn.expect('disconnect');
    await done.waitForCount(1);
  });

  it('sendasync() and subscribe() from inside onconnect work at once', async () => {
    const client = fx.device();
    const results: number[] = [];
    client.onconnect((rc) => {
      results.push(rc);
      results.push(client.subscribe('in/onconnect', 1));
      client.createmessage('from/onconnect', 'hi').sendasync((code) => results.push(code));
    });
    client.connect(impUrl(fx.broker.url), 'eager');
    const { conn } = await fx.broker.acceptNext();
    expect((await conn.expect('subscribe')).subscriptions).toEqual([{ topic: 'in/onconnect', qos: 1 }]);
    expect((await conn.expect('publish')).topic).toBe('from/onconnect');
    await expect.poll(() => results).toEqual([0, 0, 0]);
  });
});
