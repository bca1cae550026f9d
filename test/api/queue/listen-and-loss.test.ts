/**
 * Found in the faces' review: endListen() hands back what a slow receiver had not been given yet
 * (it goes to the buffer, in order, for receive()); a queue whose connection is lost for good
 * (retry_connect false, or a reconnect the broker refuses) says so and closes, instead of staying
 * open and silent — receive() giving null for ever, listen() getting nothing, no error anywhere;
 * a subscription the loss cuts off before its SUBACK is made again on the reconnection; and
 * peek()/peekBatch() answer from what was received instead of waiting out an outage.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MessageEnvelope, MqttError } from '../../../src/api/queue/index.js';
import type { MessageReceiver } from '../../../src/api/queue/index.js';
import { startAedes } from '../../support/aedes.js';
import { startFakeBroker } from '../../support/fake-broker.js';
import { startTcpProxy } from '../../support/tcp-proxy.js';
import { Cleanup, until } from '../../client/helpers.js';
import { bounded, expectMqttError, makeQueue, openQueue, receiveOne, rejectionOf, untilBuffered } from './queue-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('queue face: endListen() with a backlog', () => {
  it('what the receiver was not yet handed goes back to the buffer, in order, ahead of what came after', async () => {
    const broker = cleanup.broker(await startAedes());
    const queue = await openQueue(cleanup, broker.url, { 'options.qos': 1 });
    const seen: (string | null)[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow: MessageReceiver = {
      receiveMessage: async (envelope) => {
        seen.push(envelope.getMessageAsString());
        await held;
      },
    };
    queue.listen('c', slow);
    for (const text of ['a', 'b', 'c']) await queue.send('c', new MessageEnvelope('c', 't', text));
    await until(() => seen.length === 1, 'the receiver to hold the first message');
    await untilBuffered(queue, 0); // the other two wait for the receiver, not in the buffer
    queue.endListen('c');
    await queue.send('c', new MessageEnvelope('c', 't', 'd'));
    release();
    await untilBuffered(queue, 3, 'b, c and d buffered');
    const texts: (string | null)[] = [];
    for (let i = 0; i < 3; i++) texts.push((await receiveOne(queue)).getMessageAsString());
    expect(texts).toEqual(['b', 'c', 'd']);
    expect(seen).toEqual(['a']);
  });

  it('listen() with another receiver: the new one gets what the first was not yet handed', async () => {
    const broker = cleanup.broker(await startAedes());
    const queue = await openQueue(cleanup, broker.url, { 'options.qos': 1 });
    const first: (string | null)[] = [];
    const second: (string | null)[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    queue.listen('c', {
      receiveMessage: async (envelope) => {
        first.push(envelope.getMessageAsString());
        await held;
      },
    });
    for (const text of ['a', 'b', 'c']) await queue.send('c', new MessageEnvelope('c', 't', text));
    await until(() => first.length === 1, 'the first receiver to hold a message');
    queue.listen('c', { receiveMessage: (envelope) => void second.push(envelope.getMessageAsString()) });
    release();
    await until(() => second.length === 2, 'the second receiver to get b and c');
    expect(first).toEqual(['a']);
    expect(second).toEqual(['b', 'c']);
  });
});

describe('queue face: the connection lost for good', () => {
  it("retry_connect false: 'error' reports CONNECTION_LOST, the queue closes (a waiting receive() gives null), and open() again works", async () => {
    const broker = cleanup.broker(await startAedes());
    const proxy = cleanup.add(await startTcpProxy(broker.url), (p) => p.stop());
    const queue = await openQueue(cleanup, proxy.url, { 'options.qos': 1, 'options.retry_connect': false });
    const errors: MqttError[] = [];
    queue.on('error', (error) => errors.push(error));
    const waiting = queue.receive('c', 60_000);
    proxy.cut();
    expect(await bounded(waiting, 'the waiting receive()')).toBeNull();
    expect(queue.isOpen()).toBe(false);
    expect(errors.map((error) => error.code)).toEqual(['CONNECTION_LOST']);
    expectMqttError(await rejectionOf(queue.receive('c', 100), 'receive() on the closed queue'), 'NOT_OPENED');
    await bounded(queue.open('c'), 'open() again');
    await queue.send('c', new MessageEnvelope('c', 't', 'again'));
    expect((await receiveOne(queue)).getMessageAsString()).toBe('again');
  });
});

/** A queue on `topic` (QoS 1, autosubscribe off, reconnecting after 10 ms) opened on a scripted broker. */
async function openedOnFake(topic: string) {
  const fake = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
  const queue = makeQueue(cleanup, fake.url, { topic, 'options.qos': 1, 'options.reconnect_timeout': 10 });
  const opening = queue.open('c');
  const first = (await fake.acceptNext()).conn;
  await bounded(opening, 'open()');
  return { fake, queue, first };
}

describe('queue face: the subscription cut off by a lost connection (retry_connect)', () => {
  it('is made again on the reconnection: listen() and a receive() waiting through the outage get what comes after', async () => {
    const { fake, queue, first } = await openedOnFake('queue/cut');
    const waiting = queue.receive('c', 60_000).then(
      (envelope) => ({ envelope }),
      (error: unknown) => ({ error }),
    );
    await first.expect('subscribe');
    first.close(); // before the SUBACK
    const second = (await fake.acceptNext()).conn;
    const subscribe = await second.expect('subscribe');
    expect(subscribe.subscriptions).toEqual([{ topic: 'queue/cut', qos: 1 }]);
    await second.send({ type: 'suback', packetId: subscribe.packetId, granted: [1] });
    await second.send({ type: 'publish', topic: 'queue/cut', payload: new TextEncoder().encode('after'), qos: 0, dup: false, retain: false });
    const outcome = await bounded(waiting, 'the receive() waiting through the outage');
    expect('envelope' in outcome ? outcome.envelope?.getMessageAsString() : outcome.error).toBe('after');
    const heard: (string | null)[] = [];
    queue.listen('c', { receiveMessage: (envelope) => void heard.push(envelope.getMessageAsString()) });
    await second.send({ type: 'publish', topic: 'queue/cut', payload: new TextEncoder().encode('listened'), qos: 0, dup: false, retain: false });
    await until(() => heard.length === 1, 'the receiver to get the next message');
    expect(heard).toEqual(['listened']);
  });
});

describe("queue face: open()'s autosubscribe cut off by a lost connection", () => {
  it('rejects open() (CONNECTION_LOST) and leaves the queue closed, rather than wait out the outage', async () => {
    const fake = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const queue = makeQueue(cleanup, fake.url, { topic: 'queue/open', 'options.autosubscribe': true, 'options.qos': 1, 'options.reconnect_timeout': 10 });
    const opening = queue.open('c');
    const { conn } = await fake.acceptNext();
    await conn.expect('subscribe');
    conn.close(); // before the SUBACK; the reconnection that follows is never accepted
    expectMqttError(await rejectionOf(opening, 'open()'), 'CONNECTION_LOST');
    expect(queue.isOpen()).toBe(false);
  });
});

describe('queue face: peek() and peekBatch() through an outage', () => {
  it('answer at once from what was received: cut off waiting for their SUBACK, or called while reconnecting', async () => {
    const { fake, queue, first } = await openedOnFake('queue/peek');
    const peeking = queue.peek('c'); // subscribes first (autosubscribe off)
    await first.expect('subscribe');
    first.close(); // before the SUBACK
    expect(await bounded(peeking, 'peek() cut off waiting for its SUBACK')).toBeNull();
    const second = await fake.nextConnection(); // reconnecting: no CONNACK yet
    expect(await bounded(queue.peekBatch('c', 3), 'peekBatch() while reconnecting')).toEqual([]);
    await second.expect('connect');
    await second.send({ type: 'connack', returnCode: 0, sessionPresent: false });
    const subscribe = await second.expect('subscribe');
    await second.send({ type: 'suback', packetId: subscribe.packetId, granted: [1] });
    await second.send({ type: 'publish', topic: 'queue/peek', payload: new TextEncoder().encode('seen'), qos: 0, dup: false, retain: false });
    await untilBuffered(queue, 1);
    expect((await bounded(queue.peek('c'), 'peek() once connected'))?.getMessageAsString()).toBe('seen');
  });
});
