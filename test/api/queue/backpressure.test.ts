/**
 * Beyond the anchor, on mosquitto and aedes: the bounded receive buffer (options.max_buffered)
 * with backpressure — when it is full the queue stops reading from the broker, so a backlog
 * waits in the broker and the socket buffers, and nothing is lost: every message arrives, in
 * order, once the application drains — a slow listen() receiver held to one message at a time,
 * and the counters.
 *
 * The buffer bound is checked as a bound, not a timing: the queue stops reading as soon as the
 * buffer is full, but the messages already decoded from the socket read in hand still land, so
 * it may exceed max_buffered by what one read holds (Node reads at most 64 KiB at a time).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MessageEnvelope } from '../../../src/api/queue/index.js';
import { startAedes } from '../../support/aedes.js';
import { describeWithMosquitto, startMosquitto } from '../../support/mosquitto.js';
import { describeOnBroker } from '../../support/broker-suite.js';
import type { Describe, RunningBroker } from '../../support/broker-suite.js';
import { Cleanup, sleep } from '../../client/helpers.js';
import { WAIT_MS, bounded, openQueue, receiveOne, uniqueId, until, untilBuffered } from './queue-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const COUNT = 500;
const MAX_BUFFERED = 10;
const PAYLOAD_BYTES = 1_024;
/** Messages of PAYLOAD_BYTES (plus header and topic) one 64 KiB socket read can hold, twice over for slack. */
const PER_READ = 2 * Math.ceil(65_536 / PAYLOAD_BYTES);

/** Payload i: its index as text, padded to PAYLOAD_BYTES. */
const payload = (i: number): string => String(i).padEnd(PAYLOAD_BYTES, '.');
const indexOf = (envelope: MessageEnvelope): number => Number.parseInt(envelope.getMessageAsString()!, 10);

function backpressureScenarios(name: string, describeFn: Describe, start: () => Promise<RunningBroker>): void {
  describeOnBroker(`queue face on ${name}: bounded buffer, backpressure, counters`, describeFn, start, (broker) => {
    it(`max_buffered ${MAX_BUFFERED}, ${COUNT} QoS 1 messages of 1 KiB: the buffer stays bounded while nobody reads; drained, all arrive in order, once`, { timeout: 60_000 }, async () => {
      const topic = `queue/bp/${uniqueId()}`;
      const consumer = await openQueue(cleanup, broker().url, { topic, 'options.qos': 1, 'options.max_buffered': MAX_BUFFERED });
      const producer = await openQueue(cleanup, broker().url, { topic, 'options.qos': 1, 'options.autosubscribe': false });

      // All sends at once; they complete as the broker takes them (it may wait for the consumer).
      const sending = Promise.all(Array.from({ length: COUNT }, (_, i) => producer.send('c', new MessageEnvelope('c', 'bp', payload(i)))));
      await untilBuffered(consumer, MAX_BUFFERED, 'a full buffer');
      // Let whatever would still come in do so (the bound is on what is held, not on a time).
      let peak = 0;
      for (let i = 0; i < 50; i++) {
        peak = Math.max(peak, await consumer.readMessageCount());
        await sleep(10);
      }
      expect(peak).toBeLessThanOrEqual(MAX_BUFFERED + PER_READ);
      expect(peak).toBeLessThan(COUNT);

      const seen: number[] = [];
      while (seen.length < COUNT) seen.push(indexOf(await receiveOne(consumer, `message ${seen.length}`)));
      expect(seen).toEqual(Array.from({ length: COUNT }, (_, i) => i));
      await bounded(sending, 'every send() to complete', WAIT_MS);
      expect(producer.counters.sent).toBe(COUNT);
      expect(consumer.counters.received).toBe(COUNT);
      expect(await consumer.receive('c', 0)).toBeNull();
    });

    it('a slow listen() receiver gets one message at a time, in order; none lost while it lags (max_buffered 5)', { timeout: 60_000 }, async () => {
      const total = 100;
      const topic = `queue/bp-listen/${uniqueId()}`;
      const consumer = await openQueue(cleanup, broker().url, { topic, 'options.qos': 1, 'options.max_buffered': 5 });
      const producer = await openQueue(cleanup, broker().url, { topic, 'options.qos': 1, 'options.autosubscribe': false });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const got: number[] = [];
      let active = 0;
      let maxActive = 0;
      consumer.listen('c', {
        receiveMessage: async (envelope) => {
          active++;
          maxActive = Math.max(maxActive, active);
          got.push(indexOf(envelope));
          await gate; // the first one holds everything up until released
          active--;
        },
      });
      const sending = Promise.all(Array.from({ length: total }, (_, i) => producer.send('c', new MessageEnvelope('c', 'bp', payload(i)))));
      await until(() => got.length >= 1, 'the first message in the receiver');
      await sleep(100); // room for others to (wrongly) be handed over concurrently
      expect(got).toEqual([0]);
      release();
      await until(() => got.length >= total, `${total} messages in the receiver`);
      expect(got).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(maxActive).toBe(1);
      await bounded(sending, 'every send() to complete');
    });

    it('counters: sent counts what send()/sendAsObject() published, received what arrived; peeking and receiving count nothing more', async () => {
      const queue = await openQueue(cleanup, broker().url, { 'options.qos': 1 });
      expect(queue.counters).toEqual({ sent: 0, received: 0 });
      await queue.send('c', new MessageEnvelope('c', 't', 'one'));
      await queue.sendAsObject('c', 't', { two: 2 });
      await queue.send('c', new MessageEnvelope('c', 't', null));
      expect(queue.counters.sent).toBe(3);
      await untilBuffered(queue, 3);
      await queue.peek('c');
      await queue.peekBatch('c', 3);
      expect(queue.counters.received).toBe(3);
      for (let i = 0; i < 3; i++) await receiveOne(queue);
      expect(queue.counters).toEqual({ sent: 3, received: 3 });
      // A failed send counts nothing.
      await queue.close('c');
      await expect(queue.send('c', new MessageEnvelope('c', 't', 'x'))).rejects.toThrow();
      expect(queue.counters.sent).toBe(3);
    });
  });
}

backpressureScenarios('mosquitto', describeWithMosquitto, () => startMosquitto());
backpressureScenarios('aedes', describe, () => startAedes());

// -------------------------------------------------------------------------------------------

describeWithMosquitto("queue face on mosquitto (max_inflight_messages 5): clear() with ack_on 'complete'", () => {
  // Regression (src/api/queue/mqtt-message-queue.ts, clear()): expected the queue to keep receiving after clear() — the cleared messages acknowledged as discarded, or delivered again — so '…
  it("after clear() of unacknowledged QoS 1 messages the queue keeps receiving", async () => {
    const broker = cleanup.broker(await startMosquitto({ maxInflightMessages: 5 }));
    const queue = await openQueue(cleanup, broker.url, { 'options.qos': 1, 'options.ack_on': 'complete' });
    for (let i = 0; i < 5; i++) await queue.send('c', new MessageEnvelope('c', 't', `m${i}`));
    await untilBuffered(queue, 5);
    await queue.clear('c');
    await queue.send('c', new MessageEnvelope('c', 't', 'after'));
    let after: MessageEnvelope | null = null;
    for (let message = await queue.receive('c', 2_000); message !== null; message = await queue.receive('c', 2_000)) {
      await queue.complete(message);
      if (message.getMessageAsString() === 'after') {
        after = message;
        break;
      }
    }
    expect(after?.getMessageAsString()).toBe('after');
  });
});

describe('queue face on aedes: send() while the receive buffer is full (found in review)', () => {
  it('a QoS 1 send() completes: its PUBACK, behind messages the full queue has not read, is read', async () => {
    const broker = cleanup.broker(await startAedes());
    const queue = await openQueue(cleanup, broker.url, { 'options.qos': 1, 'options.max_buffered': 2 });
    for (const text of ['a', 'b']) await queue.send('c', new MessageEnvelope('c', 't', text));
    await untilBuffered(queue, 2, 'a full buffer');
    // It comes back to this queue too: the broker sends it ahead of, or with, the PUBACK.
    await bounded(queue.send('c', new MessageEnvelope('c', 't', 'c')), 'send() to a queue whose buffer is full');
    const texts: (string | null)[] = [];
    for (let i = 0; i < 3; i++) texts.push((await receiveOne(queue)).getMessageAsString());
    expect(texts).toEqual(['a', 'b', 'c']);
  });
});
