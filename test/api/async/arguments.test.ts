/**
 * The async face's per-call arguments from plain JavaScript (found in review): an operation's
 * timeout and signal are checked like the client's own (INVALID_OPTIONS, never "no limit"), a
 * filter that is not a string or Wildcard is refused rather than stringified, and whenConnected()
 * after disconnect() rejects at once. A disconnect() refused for its arguments (or with a signal
 * already aborted) does nothing, as every other operation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Client, MqttError } from '../../../src/api/async/index.js';
import type { AsyncClientOptions } from '../../../src/api/async/index.js';
import { startFakeBroker } from '../../support/fake-broker.js';
import type { FakeBroker, FakeConnection } from '../../support/fake-broker.js';
import { Cleanup, uniqueId, until } from '../../client/helpers.js';
import { bounded, connectedOnFake, unconnected } from './async-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function connectFake(options: AsyncClientOptions = {}): Promise<{ broker: FakeBroker; client: Client; conn: FakeConnection }> {
  const broker = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
  return { broker, ...(await connectedOnFake(cleanup, broker, options)) };
}

/** How `promise` settles within `ms`: 'pending' if it has not. */
async function outcome(promise: Promise<unknown>, ms: number): Promise<unknown> {
  return bounded(promise, 'the operation', ms).then(
    (value) => ({ resolved: value }),
    (error: unknown) => (error instanceof MqttError ? { mqttError: error.code } : (error as Error).message.startsWith('Timed out after') ? 'pending' : { other: String(error) }),
  );
}

describe('async: OperationOptions.timeout from plain JavaScript', () => {
  for (const [label, timeout] of [['NaN', Number.NaN], ["'200' (a string, as from a config file)", '200'], ['0', 0], ['-1', -1]] as const) {
    it(`publish(…, { qos: 1, timeout: ${label} }) is refused with INVALID_OPTIONS and nothing is sent (never "no limit")`, async () => {
      const { client, conn } = await connectFake({ timeout: 300 });
      const settled = await outcome(client.publish('t', 'x', { qos: 1, timeout: timeout as never }), 1_500);
      expect(settled).toEqual({ mqttError: 'INVALID_OPTIONS' });
      await client.disconnect();
      expect(conn.received.map((p) => p.type)).toEqual(['connect', 'disconnect']);
    });
  }

  it('a limit past setTimeout\'s range (30 days) is kept, not fired after a millisecond', async () => {
    const { client, conn } = await connectFake({ timeout: 2_000 });
    const publishing = client.publish('t', 'x', { qos: 1, timeout: 30 * 24 * 3600 * 1000 });
    const publish = await conn.expect('publish');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await conn.send({ type: 'puback', packetId: publish.packetId! });
    expect(await outcome(publishing, 1_500)).toEqual({ resolved: undefined });
  });
});

describe('async: the constructor from plain JavaScript', () => {
  it("a timeout that is a numeric string ('5000', from a config file) is INVALID_OPTIONS at construction, as an operation's own is", () => {
    for (const timeout of ['5000', '1e3', Number.NaN]) {
      expect(() => new Client({ url: 'mqtt://127.0.0.1:1', timeout: timeout as never })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', origin: 'caller' }));
    }
  });

  it("[MQTT-3.1.2-4] cleanSession, manualAck, queueQoS0 and reconnect that are not booleans ('false', 0) are INVALID_OPTIONS at construction", () => {
    for (const key of ['cleanSession', 'manualAck', 'queueQoS0', 'reconnect']) {
      for (const value of ['false', 0, 1]) {
        expect(() => new Client({ url: 'mqtt://127.0.0.1:1', [key]: value })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', origin: 'caller' }));
      }
    }
  });
});

describe('async: topic filters from plain JavaScript', () => {
  it('subscribe(undefined) is refused; it must not subscribe to the filter "undefined"', async () => {
    const { client, conn } = await connectFake({ timeout: 1_000 });
    const subscribing = client.subscribe(undefined as never);
    subscribing.catch(() => {});
    const sent = await Promise.race([conn.expect('subscribe').then((s) => s.subscriptions), new Promise((r) => setTimeout(() => r('nothing sent'), 300))]);
    expect(sent).toBe('nothing sent'); // today: [{ topic: 'undefined', qos: 0 }]
    await expect(subscribing).rejects.toBeInstanceOf(Error);
  });

  it('unsubscribe({}) is refused; it must not unsubscribe from "[object Object]"', async () => {
    const { client, conn } = await connectFake({ timeout: 1_000 });
    const unsubscribing = client.unsubscribe({} as never);
    unsubscribing.catch(() => {});
    const sent = await Promise.race([conn.expect('unsubscribe').then((s) => s.topics), new Promise((r) => setTimeout(() => r('nothing sent'), 300))]);
    expect(sent).toBe('nothing sent');
    await expect(unsubscribing).rejects.toBeInstanceOf(Error);
  });
});

describe('async: whenConnected()', () => {
  it('after disconnect() (no connection will come) rejects at once, even with timeout: Infinity', async () => {
    const { client } = await connectFake({ timeout: Infinity });
    await client.disconnect();
    expect(await outcome(client.whenConnected(), 1_000)).toEqual({ mqttError: 'CONNECTION_LOST' });
  });
});

describe('async: options objects', () => {
  it('publish with a signal that is not an AbortSignal: a rejected promise (typed), not a synchronous TypeError', async () => {
    const { client } = await connectFake();
    let result: unknown;
    try {
      result = client.publish('t', 'x', { signal: {} as never });
    } catch (error) {
      result = { threwSynchronously: String(error) };
    }
    expect(result).toBeInstanceOf(Promise);
    await expect(result).rejects.toBeInstanceOf(MqttError);
  });
});

describe('disconnect() while connect() waits for CONNACK (found in review)', () => {
  it('connect() rejects CONNECTION_LOST, and a loop over client.messages ends normally, as disconnect() promises', async () => {
    const broker = await startFakeBroker();
    cleanup.add(broker, (b) => b.stop());
    const client = new Client(broker.url, { clientId: uniqueId('p'), timeout: 5_000 });
    const loop = (async () => {
      for await (const _ of client.messages) void _;
      return 'ended normally';
    })().catch((error: unknown) => `threw ${(error as { code?: string }).code}: ${(error as Error).message}`);
    const connecting = client.connect();
    connecting.catch(() => {});
    const conn = await broker.nextConnection();
    await conn.next(); // CONNECT, never answered
    await client.disconnect();
    await expect(connecting).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    await expect(bounded(loop, 'loop', 2_000)).resolves.toBe('ended normally');
  });
});

describe('disconnect() refused for its arguments (found in review)', () => {
  it('with an already aborted signal it does nothing: a pending connect() goes on and resolves', async () => {
    const broker = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const client = unconnected(cleanup, broker.url);
    const connecting = outcome(client.connect(), 2_000);
    const conn = await broker.nextConnection();
    await conn.expect('connect');
    expect(await outcome(client.disconnect({ signal: AbortSignal.abort() }), 1_000)).toEqual({ mqttError: 'ABORTED' });
    await conn.send({ type: 'connack', sessionPresent: false, returnCode: 0 });
    expect(await connecting).toEqual({ resolved: client });
    expect(client.connected).toBe(true);
  });

  it('with a timeout that is not a number it does nothing: whenConnected() during a later outage waits for the reconnection', async () => {
    const { broker, client, conn } = await connectFake({ reconnect: { initialDelay: 10, maxDelay: 20 } });
    expect(await outcome(client.disconnect({ timeout: 'soon' as never }), 1_000)).toEqual({ mqttError: 'INVALID_OPTIONS' });
    expect(client.connected).toBe(true);
    conn.close();
    await until(() => !client.connected, 'the connection to drop');
    const waiting = outcome(client.whenConnected(), 2_000);
    const again = (await broker.nextConnection()) as FakeConnection;
    await again.expect('connect');
    await again.send({ type: 'connack', sessionPresent: false, returnCode: 0 });
    expect(await waiting).toEqual({ resolved: undefined });
  });
});
