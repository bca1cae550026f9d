/**
 * The async client across connect / disconnect cycles: streams that ended stay ended (a new
 * filter() stream gets the messages), and waiters learn at once that no connection will come.
 * The end of one connection never ends the streams of a connection connect() began meanwhile
 * (a disconnect() not awaited, or connect() from a 'close' listener).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '../../../src/api/async/index.js';
import { startAedes } from '../../support/aedes.js';
import { deadPort } from '../../support/ports.js';
import { startFakeBroker } from '../../support/fake-broker.js';
import { Cleanup, uniqueId, until } from '../../client/helpers.js';
import { bounded, nextMessage } from './async-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('across connections', () => {
  it('a filtered stream that ended with disconnect() takes nothing from the next connection: a new filter() gets it all', async () => {
    const broker = cleanup.broker(await startAedes());
    const client = cleanup.add(new Client(broker.url, { clientId: uniqueId('life') }), (c) => c.disconnect());
    await client.connect();
    const first = client.filter('a/#');
    const firstLoop = (async () => {
      for await (const _ of first) void _;
    })();
    await client.disconnect();
    await bounded(firstLoop, 'the first loop to end');
    await client.connect();
    await client.subscribe('a/#', { qos: 1 });
    const second = client.filter('a/#')[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) await client.publish(`a/${i}`, i, { qos: 1 });
    for (let i = 0; i < 3; i++) expect((await nextMessage(second)).text()).toBe(String(i));
  });

  it('without reconnect, whenConnected() and a running loop end as soon as connect() fails', async () => {
    const port = await deadPort();
    const client = new Client(`mqtt://127.0.0.1:${port}`, { clientId: uniqueId('life'), timeout: 10_000 });
    const loop = (async () => {
      for await (const _ of client.messages) void _;
    })();
    const waiting = client.whenConnected({ timeout: 10_000 });
    await expect(client.connect()).rejects.toMatchObject({ code: 'SOCKET_ERROR' });
    await expect(bounded(waiting, 'whenConnected() to reject', 2_000)).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    await expect(bounded(loop, 'the loop to end', 2_000)).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
  });

  it('disconnect() not awaited, then connect(): the late end of disconnect() leaves the new connection\'s loop and waiters alone (found in review)', async () => {
    const broker = cleanup.broker(await startAedes());
    const client = cleanup.add(new Client(broker.url, { clientId: uniqueId('life') }), (c) => c.disconnect());
    const disconnecting = client.disconnect(); // not connected: it completes a moment later
    const connecting = client.connect();
    const waiting = client.whenConnected();
    await connecting;
    await bounded(disconnecting, 'disconnect()');
    await expect(bounded(waiting, 'whenConnected()')).resolves.toBeUndefined();
    await client.subscribe('r/#', { qos: 1 });
    const messages = client.messages[Symbol.asyncIterator]();
    await client.publish('r/1', 'after', { qos: 1 });
    expect((await nextMessage(messages)).text()).toBe('after');
  });

  it('without reconnect, once the connection is lost whenConnected() rejects at once, even with timeout: Infinity (found in review)', async () => {
    const broker = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const client = cleanup.add(new Client(broker.url, { clientId: uniqueId('life'), timeout: Infinity }), (c) => c.disconnect());
    const [{ conn }] = await Promise.all([broker.acceptNext(), client.connect()]);
    conn.close();
    await until(() => !client.connected, 'the connection to drop');
    await expect(bounded(client.whenConnected(), 'whenConnected() to reject', 2_000)).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
  });

  it('a filtered stream made after the streams ended ends as client.messages does, instead of waiting forever (found in review)', async () => {
    const broker = cleanup.broker(await startAedes());
    const client = cleanup.add(new Client(broker.url, { clientId: uniqueId('life') }), (c) => c.disconnect());
    await client.connect();
    await client.disconnect();
    const late = client.filter('a/#')[Symbol.asyncIterator]();
    await expect(bounded(late.next(), "the late filtered stream's next()", 2_000)).resolves.toEqual({ value: undefined, done: true });
    await expect(bounded(client.messages[Symbol.asyncIterator]().next(), 'client.messages', 2_000)).resolves.toEqual({ value: undefined, done: true });
  });

  it("connect() from a 'close' listener (reconnecting by hand): the new connection's streams are open (found in review)", async () => {
    const broker = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const client = cleanup.add(new Client(broker.url, { clientId: uniqueId('life') }), (c) => c.disconnect());
    const [{ conn }] = await Promise.all([broker.acceptNext(), client.connect()]);
    let again: Promise<unknown> | undefined;
    client.on('close', () => (again = client.connect().catch((error: unknown) => error)));
    conn.close();
    const { conn: second } = await broker.acceptNext();
    expect(await bounded(again!, 'the connect() made in the listener')).toBe(client);
    const messages = client.messages[Symbol.asyncIterator]();
    await second.send({ type: 'publish', topic: 'back', payload: new TextEncoder().encode('again'), qos: 0, dup: false, retain: false });
    expect((await nextMessage(messages)).text()).toBe('again');
    await expect(bounded(client.whenConnected(), 'whenConnected()')).resolves.toBeUndefined();
  });
});
