/**
 * The queue's state machine and acknowledgement under overlapping calls (found in review):
 * open() right after close() (not awaited) ends open; receive() whose subscription a close()
 * cuts gives null as documented; abandon() of a message that is already back in the buffer
 * (abandoned twice, or only peeked) does not duplicate it; abandon() while listening hands the
 * message to the receiver again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MessageEnvelope } from '../../../src/api/queue/index.js';
import type { MessageReceiver } from '../../../src/api/queue/index.js';
import { startAedes } from '../../support/aedes.js';
import { startFakeBroker } from '../../support/fake-broker.js';
import { Cleanup, settle, until } from '../../client/helpers.js';
import { bounded, makeQueue, openQueue, receiveOne, untilBuffered } from './queue-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const COMPLETE_QOS1 = { 'options.ack_on': 'complete', 'options.qos': 1 };

describe('queue face: open() and close() overlapping', () => {
  it('close() then open() without awaiting the close: open() resolves with the queue open, and it works', async () => {
    const broker = cleanup.broker(await startAedes());
    const queue = await openQueue(cleanup, broker.url);
    const closing = queue.close('c');
    await bounded(queue.open('c'), 'open() after close()');
    await bounded(closing, 'close()');
    expect(queue.isOpen()).toBe(true);
    await queue.send('c', new MessageEnvelope('c', 't', 'after reopen'));
    expect((await receiveOne(queue)).getMessageAsString()).toBe('after reopen');
  });

  it('close() while receive() waits for its subscription: receive() gives null, as for a close during its wait', async () => {
    const fake = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const queue = makeQueue(cleanup, fake.url);
    const opening = queue.open('c');
    const { conn } = await fake.acceptNext();
    await bounded(opening, 'open()');
    const receiving = queue.receive('c', 5_000).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    await conn.expect('subscribe'); // never acknowledged
    const closing = queue.close('c');
    await until(() => conn.received.some((p) => p.type === 'disconnect'), 'DISCONNECT');
    conn.close();
    await bounded(closing, 'close()');
    expect(await bounded(receiving, 'receive()')).toEqual({ value: null });
  });
});

describe("queue face: abandon() with ack_on 'complete'", () => {
  it('abandon() twice puts the message back once', async () => {
    const broker = cleanup.broker(await startAedes());
    const queue = await openQueue(cleanup, broker.url, COMPLETE_QOS1);
    await queue.send('c', new MessageEnvelope('c', 't', 'a'));
    const message = await receiveOne(queue);
    await queue.abandon(message);
    await queue.abandon(message);
    expect(await queue.readMessageCount()).toBe(1);
  });

  it('abandon() of a message only peeked (still in the buffer) does not add a second copy', async () => {
    const broker = cleanup.broker(await startAedes());
    const queue = await openQueue(cleanup, broker.url, COMPLETE_QOS1);
    await queue.send('c', new MessageEnvelope('c', 't', 'b'));
    await untilBuffered(queue, 1);
    await queue.abandon((await queue.peek('c'))!);
    expect(await queue.readMessageCount()).toBe(1);
  });

  it('abandon() then complete() of one message, then close(): close() completes; the completed message stays for the next open() (found in the faces\' review)', async () => {
    const broker = cleanup.broker(await startAedes());
    const queue = await openQueue(cleanup, broker.url, COMPLETE_QOS1);
    await queue.send('c', new MessageEnvelope('c', 't', 'done'));
    const message = await receiveOne(queue);
    await queue.abandon(message); // back in the buffer
    await queue.complete(message); // acknowledged after all: the copy in the buffer owes nothing
    await bounded(queue.close('c'), 'close()');
    await bounded(queue.open('c'), 'open() again');
    expect((await queue.peekBatch('c', 5)).map((envelope) => envelope.getMessageAsString())).toEqual(['done']);
  });

  it('abandon() by a listen() receiver hands the message to the receiver again (not left in the buffer)', async () => {
    const broker = cleanup.broker(await startAedes());
    const queue = await openQueue(cleanup, broker.url, COMPLETE_QOS1);
    const seen: (string | null)[] = [];
    const receiver: MessageReceiver = {
      receiveMessage: async (envelope, q) => {
        seen.push(envelope.getMessageAsString());
        if (seen.length === 1) await q.abandon(envelope);
        else await q.complete(envelope);
      },
    };
    queue.listen('c', receiver);
    await queue.send('c', new MessageEnvelope('c', 't', 'retry me'));
    await until(() => seen.length >= 2, 'the abandoned message handed over again');
    await settle();
    expect(seen).toEqual(['retry me', 'retry me']);
    expect(await queue.readMessageCount()).toBe(0);
  });
});
