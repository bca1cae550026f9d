/**
 * The imp API's disconnect() against the scripted fake broker [imp §2.2, §9.10]: DISCONNECT then
 * the callback, in-flight publishes let finish for a bounded time, disconnect while connecting,
 * while disconnected and twice; and the state accessors connectionstate(), isconnected(), id()
 * and url() [imp §2.3–2.5, §9.11], with a throwing user handler that leaves the client working.
 */
import { describe, expect, it } from 'vitest';
import { Calls, fakeBrokerPerTest, connectFake, disconnectFake, impUrl, sleep, within } from './helpers.js';

const fx = fakeBrokerPerTest();

describe('disconnect() [imp §2.2, §9.10]', () => {
  it('sends DISCONNECT, then calls back with no arguments once the socket is closed; no onconnectionlost', async () => {
    const client = fx.device();
    const lost = new Calls<unknown[]>();
    client.onconnectionlost(() => lost.record());
    const { conn } = await connectFake(fx.broker, client, 'd');
    const argc: number[] = [];
    let stateAtCallback = -1;
    client.disconnect(function () {
      argc.push(arguments.length);
      stateAtCallback = client.connectionstate();
    });
    expect(client.connectionstate()).toBe(3);
    expect(client.isconnected()).toBe(false);
    await conn.expect('disconnect');
    expect(argc).toEqual([]); // not before the socket has closed
    await within(conn.closed, 'the socket closing');
    await expect.poll(() => argc).toEqual([0]);
    expect(stateAtCallback).toBe(0);
    await sleep(20);
    expect(lost.count).toBe(0);
    // DISCONNECT was the last thing the client said [MQTT-3.14.4-1].
    expect(conn.received.at(-1)?.type).toBe('disconnect');
  });

  it('lets an in-flight QoS 1 publish finish before DISCONNECT', async () => {
    const client = fx.device();
    const { conn } = await connectFake(fx.broker, client, 'd');
    const order: string[] = [];
    client.createmessage('t', 'x', { qos: 1 }).sendasync((rc) => order.push(`sendasync ${rc}`));
    const publish = await conn.expect('publish');
    client.disconnect(() => order.push('disconnected'));
    expect(client.connectionstate()).toBe(3);
    await sleep(20);
    expect(conn.pending).toEqual([]); // no DISCONNECT while the publish is open
    await conn.send({ type: 'puback', packetId: publish.packetId! });
    await conn.expect('disconnect');
    await expect.poll(() => order).toEqual(['sendasync 0', 'disconnected']);
  });

  it('waits for in-flight publishes only for a bounded time; they then complete -11', async () => {
    const client = fx.device();
    const { conn } = await connectFake(fx.broker, client, 'd');
    const results = new Calls<[number]>();
    client.createmessage('t', 'x', { qos: 1 }).sendasync((rc) => results.record(rc));
    await conn.expect('publish');
    const done = new Promise<void>((resolve) => client.disconnect(() => resolve()));
    // The broker never acknowledges; DISCONNECT still comes (the bound is 5 s).
    await conn.expect('disconnect', { timeoutMs: 10_000 });
    await within(done, 'disconnect callback', 10_000);
    expect(results.args).toEqual([[-11]]);
  });

  it('while connecting (TCP not yet open): onconnect(-1), then the callback', async () => {
    const client = fx.device();
    const order: string[] = [];
    client.onconnect((rc) => order.push(`onconnect(${rc})`));
    client.connect(impUrl(fx.broker.url), 'early');
    client.disconnect(() => order.push('disconnected'));
    await expect.poll(() => order).toEqual(['onconnect(-1)', 'disconnected']);
    expect(client.connectionstate()).toBe(0);
  });

  it('while connecting (CONNECT sent, no CONNACK yet): onconnect(-1), then the callback; no onconnectionlost', async () => {
    const client = fx.device();
    const order: string[] = [];
    client.onconnect((rc) => order.push(`onconnect(${rc})`));
    client.onconnectionlost(() => order.push('lost'));
    client.connect(impUrl(fx.broker.url), 'mid');
    const conn = await fx.broker.nextConnection();
    await conn.expect('connect');
    client.disconnect(() => order.push('disconnected'));
    await within(conn.closed, 'the socket closing');
    await expect.poll(() => order).toEqual(['onconnect(-1)', 'disconnected']);
    // DISCONNECT follows the CONNECT at once, so a broker that accepts it publishes no will.
    expect(conn.received.map((p) => p.type)).toEqual(['connect', 'disconnect']);
  });

  it('while disconnected: the callback runs asynchronously (before the first connect and after a disconnect)', async () => {
    const client = fx.device();
    let called = 0;
    client.disconnect(() => called++);
    expect(called).toBe(0);
    await expect.poll(() => called).toBe(1);

    const { conn } = await connectFake(fx.broker, client, 'd');
    await disconnectFake(client, conn);
    client.disconnect(() => called++);
    expect(called).toBe(1);
    await expect.poll(() => called).toBe(2);
    // Without a callback it is a no-op.
    expect(() => client.disconnect()).not.toThrow();
  });

  it('a second disconnect() while disconnecting also gets its callback', async () => {
    const client = fx.device();
    const { conn } = await connectFake(fx.broker, client, 'd');
    const calls: string[] = [];
    client.disconnect(() => calls.push('first'));
    client.disconnect(() => calls.push('second'));
    await conn.expect('disconnect');
    await expect.poll(() => calls).toEqual(['first', 'second']);
  });
});

describe('state accessors [imp §2.3–2.5, §9.11]', () => {
  it('connectionstate() goes 0 → 1 → 2 → 3 → 0 and isconnected() is true only in 2', async () => {
    const client = fx.device();
    const seen: [number, boolean][] = [];
    const sample = (): void => {
      seen.push([client.connectionstate(), client.isconnected()]);
    };
    sample();
    client.onconnect(() => sample());
    client.connect(impUrl(fx.broker.url), 's');
    sample();
    const { conn } = await fx.broker.acceptNext();
    await expect.poll(() => seen.length).toBe(3);
    const done = new Promise<void>((resolve) =>
      client.disconnect(() => {
        sample();
        resolve();
      }),
    );
    sample();
    await conn.expect('disconnect');
    await within(done, 'disconnect callback');
    expect(seen).toEqual([
      [0, false],
      [1, false],
      [2, true],
      [3, false],
      [0, false],
    ]);
  });

  it('id() and url() are null before the first connect(), then echo it, scheme included, and survive disconnect', async () => {
    const client = fx.device();
    expect(client.id()).toBeNull();
    expect(client.url()).toBeNull();
    const url = impUrl(fx.broker.url);
    expect(url.startsWith('tcp://')).toBe(true);
    const { conn } = await connectFake(fx.broker, client, 'device-123');
    expect(client.id()).toBe('device-123');
    expect(client.url()).toBe(url);
    await disconnectFake(client, conn);
    expect(client.id()).toBe('device-123');
    expect(client.url()).toBe(url);
    // A failed connect still records what was asked for.
    const refused = `tcp://127.0.0.1:${fx.broker.port}`;
    client.onconnect(null);
    client.connect(refused, 'other-id');
    expect(client.url()).toBe(refused);
    expect(client.id()).toBe('other-id');
  });

  it('a user handler that throws does not break the client', async () => {
    const client = fx.device();
    const errors: unknown[] = [];
    const onError = (error: unknown): void => {
      errors.push(error);
    };
    process.on('uncaughtException', onError);
    try {
      client.onmessage(() => {
        throw new Error('handler bug');
      });
      const { conn } = await connectFake(fx.broker, client, 'boom');
      await conn.send({ type: 'publish', topic: 'x', payload: new Uint8Array([1]), qos: 1, dup: false, retain: false, packetId: 3 });
      expect(await conn.expect('puback')).toEqual({ type: 'puback', packetId: 3 });
      expect(client.isconnected()).toBe(true);
    } finally {
      await sleep(10);
      process.off('uncaughtException', onError);
    }
  });
});
