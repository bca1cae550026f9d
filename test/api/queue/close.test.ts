/**
 * What close() does with messages (found in review): nothing the broker was told the queue has is
 * dropped, and nothing the queue did not hand over is acknowledged. With ack_on 'receive' (and for
 * QoS 0) a buffered message, or one arriving while close() lingers, stays for the next open();
 * with ack_on 'complete' a QoS 1/2 message whose ack is owed is left to the broker, which sends
 * it again to a session it kept.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MessageEnvelope } from '../../../src/api/queue/index.js';
import type { MqttMessageQueue } from '../../../src/api/queue/index.js';
import { startFakeBroker } from '../../support/fake-broker.js';
import type { FakeBroker, FakeConnection } from '../../support/fake-broker.js';
import { Cleanup, settle, until } from '../../client/helpers.js';
import { bounded, makeQueue, untilBuffered } from './queue-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A queue on `topic`, opened against the scripted broker, its subscription granted. */
async function openedOn(fake: FakeBroker, queue: MqttMessageQueue): Promise<FakeConnection> {
  const opening = queue.open('c');
  const { conn } = await fake.acceptNext();
  const subscribe = await conn.expect('subscribe');
  await conn.send({ type: 'suback', packetId: subscribe.packetId, granted: [1] });
  await bounded(opening, 'open()');
  return conn;
}

/** close() while a send is in flight, so the engine lingers; `meanwhile` runs once UNSUBSCRIBE is out. */
async function closeWhileSending(queue: MqttMessageQueue, conn: FakeConnection, meanwhile: () => Promise<void>): Promise<void> {
  const sending = queue.send('c', new MessageEnvelope(null, 't', 'mine'));
  const publish = await conn.expect('publish');
  const closing = queue.close('c');
  await conn.expect('unsubscribe');
  await meanwhile();
  await settle();
  await conn.send({ type: 'puback', packetId: publish.packetId! });
  await bounded(sending, 'send()');
  await hangUpAfterDisconnect(conn);
  await bounded(closing, 'close()');
}

/** The client's DISCONNECT arrived (after whatever else it sent); the broker hangs up. */
async function hangUpAfterDisconnect(conn: FakeConnection): Promise<void> {
  await until(() => conn.received.some((p) => p.type === 'disconnect'), 'DISCONNECT');
  conn.close();
}

const pubacks = (conn: FakeConnection): number[] => conn.received.flatMap((p) => (p.type === 'puback' ? [p.packetId] : []));

describe('queue face: close() and the messages it holds', () => {
  it("ack_on 'complete': a QoS 1 message arriving while close() lingers is not acknowledged (nobody received it)", async () => {
    const fake = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const queue = makeQueue(cleanup, fake.url, { topic: 'queue/x', 'options.autosubscribe': true, 'options.qos': 1, 'options.ack_on': 'complete' });
    const conn = await openedOn(fake, queue);
    await closeWhileSending(queue, conn, () => conn.send({ type: 'publish', topic: 'queue/x', payload: text('theirs'), qos: 1, dup: false, retain: false, packetId: 77 }));
    expect(pubacks(conn)).toEqual([]);
    await bounded(openedOn(fake, queue), 'reopen');
    expect(await queue.readMessageCount()).toBe(0);
  });

  it("ack_on 'receive': a message the engine acknowledged while close() lingered is received after the next open()", async () => {
    const fake = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const queue = makeQueue(cleanup, fake.url, { topic: 'queue/r', 'options.autosubscribe': true, 'options.qos': 1 });
    const conn = await openedOn(fake, queue);
    await closeWhileSending(queue, conn, () => conn.send({ type: 'publish', topic: 'queue/r', payload: text('late'), qos: 1, dup: false, retain: false, packetId: 78 }));
    expect(pubacks(conn)).toEqual([78]);
    await openedOn(fake, queue);
    expect((await queue.receive('c', 1_000))?.getMessageAsString()).toBe('late');
  });

  it("ack_on 'receive': messages buffered (and so acknowledged) at close() are still there after a reopen", async () => {
    const fake = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const queue = makeQueue(cleanup, fake.url, { topic: 'queue/y', 'options.autosubscribe': true, 'options.qos': 1 });
    const conn = await openedOn(fake, queue);
    await conn.send({ type: 'publish', topic: 'queue/y', payload: text('m'), qos: 1, dup: false, retain: false, packetId: 9 });
    expect((await conn.expect('puback')).packetId).toBe(9);
    expect(await queue.readMessageCount()).toBe(1);
    const closing = queue.close('c');
    await hangUpAfterDisconnect(conn);
    await bounded(closing, 'close()');
    await openedOn(fake, queue);
    expect(await queue.readMessageCount()).toBe(1);
    expect((await queue.receive('c', 1_000))?.getMessageAsString()).toBe('m');
  });

  it("ack_on 'complete': at close() the QoS 1 messages still owing their ack are let go (the broker keeps them), QoS 0 ones stay", async () => {
    const fake = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const queue = makeQueue(cleanup, fake.url, { topic: 'queue/z', 'options.autosubscribe': true, 'options.qos': 1, 'options.ack_on': 'complete' });
    const conn = await openedOn(fake, queue);
    await conn.send({ type: 'publish', topic: 'queue/z', payload: text('owed'), qos: 1, dup: false, retain: false, packetId: 5 });
    await conn.send({ type: 'publish', topic: 'queue/z', payload: text('zero'), qos: 0, dup: false, retain: false });
    expect(await untilBuffered(queue, 2)).toBe(2);
    const closing = queue.close('c');
    await hangUpAfterDisconnect(conn);
    await bounded(closing, 'close()');
    expect(pubacks(conn)).toEqual([]);
    await openedOn(fake, queue);
    expect((await queue.peekBatch('c', 5)).map((envelope) => envelope.getMessageAsString())).toEqual(['zero']);
  });
});
