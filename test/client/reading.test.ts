/**
 * Inbound flow control (setReading): a face that stops reading must not break the connection's
 * own life cycle — a reconnect still reads its CONNACK, disconnect() still completes at once, and
 * a request in flight still gets the answer the broker sends behind the unread messages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeBroker } from '../support/fake-broker.js';
import { Cleanup, disconnectAsync, makeClient, publishAsync, subscribeAsync, waitFor } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** `promise`, or a rejection naming `what` after 5 s: a bound against a hang, not a timing. */
function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not come within 5 s`)), 5_000)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** A client connected to a fake broker (CONNACK 0 by acceptNext). */
async function connectedOnFake() {
  const broker = cleanup.broker(await startFakeBroker());
  const client = makeClient(cleanup, { url: broker.url });
  const connected = waitFor(client, 'connect');
  client.connect();
  const { conn } = await broker.acceptNext();
  await connected;
  return { client, conn };
}

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
    const { client, conn } = await connectedOnFake();
    client.setReading(false);
    await conn.send({ type: 'publish', topic: 't', payload: new Uint8Array(100), qos: 0, dup: false, retain: false });
    const closed = waitFor(client, 'close');
    // Bounded well under the 3 s grace a paused socket used to need.
    await disconnectAsync(client, undefined, 1_500);
    expect(await closed).toEqual({ reason: 'normal', error: undefined });
    expect((await conn.expect('disconnect')).type).toBe('disconnect');
  });

  it('disconnect() while paused lets a publish in flight complete: its PUBACK is read, not waited out (found in review)', async () => {
    const { client, conn } = await connectedOnFake();
    const result = publishAsync(client, 't', 'x', { qos: 1 });
    const publish = await conn.expect('publish');
    client.setReading(false);
    await conn.send({ type: 'puback', packetId: publish.packetId! });
    // Well under the 5 s linger a paused socket used to wait out, then -11 for a delivered message.
    await disconnectAsync(client, undefined, 1_500);
    expect(await result).toBe(0);
    expect((await conn.expect('disconnect')).type).toBe('disconnect');
  });

  it('requests in flight while paused get their answers, which come behind unread messages; then the pause holds again (found in review)', async () => {
    const { client, conn } = await connectedOnFake();
    let received = 0;
    client.on('message', () => received++);
    client.setReading(false);
    const message = { type: 'publish', topic: 't', payload: new Uint8Array([1]), qos: 0, dup: false, retain: false } as const;
    await conn.send(message); // unread: the pause holds
    const published = publishAsync(client, 'out', 'x', { qos: 1 });
    const subscribed = subscribeAsync(client, [{ topic: 'in', qos: 1 }]);
    const publish = await conn.expect('publish');
    const subscribe = await conn.expect('subscribe');
    await conn.send({ type: 'puback', packetId: publish.packetId! });
    await conn.send({ type: 'suback', packetId: subscribe.packetId, granted: [1] });
    // The answers are read (and with them the message before them), or these never settle.
    expect(await within(published, 'the PUBACK')).toBe(0);
    expect((await within(subscribed, 'the SUBACK')).granted).toEqual([1]);
    expect(received).toBe(1);
    // Nothing awaits an answer now: what the broker sends next stays unread until reading resumes.
    await conn.send(message);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toBe(1);
    client.setReading(true);
    await waitFor(client, 'message');
    expect(received).toBe(2);
  });
});
