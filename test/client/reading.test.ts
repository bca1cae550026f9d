/**
 * Inbound flow control (setReading): a face that stops reading must not break the connection's
 * own life cycle — a reconnect still reads its CONNACK, and disconnect() still completes at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeBroker } from '../support/fake-broker.js';
import { Cleanup, disconnectAsync, makeClient, publishAsync, waitFor } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('setReading(false)', () => {
  it('a connection opened while reading is paused still reads its CONNACK, then pauses', async () => {
    const broker = cleanup.broker(await startFakeBroker());
    const client = makeClient(cleanup, { url: broker.url, connectTimeout: 5_000 });
    client.setReading(false);
    const connected = waitFor(client, 'connect');
    client.connect();
    const { conn } = await broker.acceptNext();
    await connected;
    // Paused now: a message the broker sends stays unread until reading resumes.
    let received = 0;
    client.on('message', () => received++);
    await conn.send({ type: 'publish', topic: 't', payload: new Uint8Array([1]), qos: 0, dup: false, retain: false });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toBe(0);
    client.setReading(true);
    await waitFor(client, 'message');
  });

  it('disconnect() while paused with unread bytes closes at once, normally', async () => {
    const broker = cleanup.broker(await startFakeBroker());
    const client = makeClient(cleanup, { url: broker.url });
    const connected = waitFor(client, 'connect');
    client.connect();
    const { conn } = await broker.acceptNext();
    await connected;
    client.setReading(false);
    await conn.send({ type: 'publish', topic: 't', payload: new Uint8Array(100), qos: 0, dup: false, retain: false });
    const closed = waitFor(client, 'close');
    // Bounded well under the 3 s grace a paused socket used to need.
    await disconnectAsync(client, undefined, 1_500);
    expect(await closed).toEqual({ reason: 'normal', error: undefined });
    expect((await conn.expect('disconnect')).type).toBe('disconnect');
  });

  it('disconnect() while paused lets a publish in flight complete: its PUBACK is read, not waited out (found in review)', async () => {
    const broker = cleanup.broker(await startFakeBroker());
    const client = makeClient(cleanup, { url: broker.url });
    const connected = waitFor(client, 'connect');
    client.connect();
    const { conn } = await broker.acceptNext();
    await connected;
    const result = publishAsync(client, 't', 'x', { qos: 1 });
    const publish = await conn.expect('publish');
    client.setReading(false);
    await conn.send({ type: 'puback', packetId: publish.packetId! });
    // Well under the 5 s linger a paused socket used to wait out, then -11 for a delivered message.
    await disconnectAsync(client, undefined, 1_500);
    expect(await result).toBe(0);
    expect((await conn.expect('disconnect')).type).toBe('disconnect');
  });
});
