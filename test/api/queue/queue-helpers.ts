/**
 * Shared by the queue face's suites (src/api/queue): the golden envelopes captured from
 * pip-services3-mqtt-node 3.1.6 (shared/reference/pip-mqtt-queue.md, Addendum §3.1), queues
 * opened against a broker and closed at cleanup, a sniffer (an async-face client) to see the
 * exact bytes on the wire, and bounded waits.
 */
import { expect } from 'vitest';
import { MessageEnvelope, MqttError, MqttMessageQueue } from '../../../src/api/queue/index.js';
import type { Message } from '../../../src/api/async/index.js';
import { WAIT_MS, uniqueId, until } from '../../client/helpers.js';
import type { Cleanup } from '../../client/helpers.js';
import { bounded, connected, nextMessage } from '../async/async-helpers.js';

export { WAIT_MS, bounded, connected, nextMessage, uniqueId, until };

export type QueueConfig = Record<string, unknown>;

// ---- Golden bytes (Addendum §3.1) -----------------------------------------------------------

/** #1 as captured, in hex (159 bytes, sent_time 2026-11-27T14:50:41.844Z). */
const HEX_1 =
  '7b226d6573736167655f6964223a223261343665633965663836373434616162306334663431613439323062323163222c22636f7272656c6174696f6e5f6964223a22313233222c226d6573736167655f74797065223a226d796d657373616765222c2273656e745f74696d65223a22' +
  '323032362d31312d32375431343a35303a34312e3834345a' +
  '222c226d657373616765223a2251554a444d54497a227d';

export const GOLDEN = {
  1: {
    hex: HEX_1,
    json: '{"message_id":"2a46ec9ef86744aab0c4f41a4920b21c","correlation_id":"123","message_type":"mymessage","sent_time":"2026-11-27T14:50:41.844Z","message":"QUJDMTIz"}',
    messageId: '2a46ec9ef86744aab0c4f41a4920b21c',
    sentTime: '2026-11-27T14:50:41.844Z',
    make: () => new MessageEnvelope('123', 'mymessage', 'ABC123'),
  },
  2: {
    hex: '',
    json: '{"message_id":"00000000000000000000000000000001","correlation_id":null,"message_type":"obj","sent_time":"2026-11-27T14:50:41.947Z","message":"eyJhIjoxLCJzIjoiw6kifQ=="}',
    messageId: '00000000000000000000000000000001',
    sentTime: '2026-11-27T14:50:41.947Z',
    make: () => new MessageEnvelope(null, 'obj', { a: 1, s: 'é' }),
  },
  3: {
    hex: '',
    json: '{"message_id":"00000000000000000000000000000003","correlation_id":"c3","message_type":"t3","sent_time":"2026-11-27T14:50:42.048Z","message":null}',
    messageId: '00000000000000000000000000000003',
    sentTime: '2026-11-27T14:50:42.048Z',
    make: () => new MessageEnvelope('c3', 't3', null),
  },
} as const;

/** #4: serialize_envelope=false, QoS 1, new MessageEnvelope('c7','ignored-type','RAW-é') → these 6 bytes. */
export const GOLDEN_RAW = [0x52, 0x41, 0x57, 0x2d, 0xc3, 0xa9];

/** The reference envelope #n with message_id and sent_time set to the captured values. */
export function goldenEnvelope(n: 1 | 2 | 3): MessageEnvelope {
  const golden = GOLDEN[n];
  const envelope = golden.make();
  envelope.message_id = golden.messageId;
  envelope.sent_time = new Date(golden.sentTime);
  return envelope;
}

/**
 * The payload with its sent_time (24 bytes, set by send()) replaced by golden #n's captured one,
 * after checking it is an ISO 8601 UTC time with milliseconds.
 */
export function withGoldenSentTime(payload: string, n: 1 | 2 | 3): string {
  const match = /"sent_time":"([^"]*)"/.exec(payload);
  expect(match, `sent_time in ${payload}`).not.toBeNull();
  expect(match![1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  return payload.replace(match![0], `"sent_time":"${GOLDEN[n].sentTime}"`);
}

// ---- Queues ---------------------------------------------------------------------------------

/** connection.host/port of a mqtt://host:port url, as dotted keys. */
export function connectionOf(url: string): QueueConfig {
  const parsed = new URL(url);
  return { 'connection.protocol': 'mqtt', 'connection.host': parsed.hostname, 'connection.port': Number(parsed.port) };
}

/** A configured, not yet opened queue, closed at cleanup. */
export function makeQueue(cleanup: Cleanup, url: string | null, config: QueueConfig = {}, name: string | undefined = `queue/${uniqueId('q')}`): MqttMessageQueue {
  const queue = cleanup.add(new MqttMessageQueue(name), (q) => q.close('cleanup'));
  queue.configure({ ...(url === null ? {} : connectionOf(url)), ...config });
  return queue;
}

/** An opened queue (bounded), closed at cleanup. autosubscribe defaults to true here so the subscription exists once open() resolves. */
export async function openQueue(cleanup: Cleanup, url: string, config: QueueConfig = {}, name?: string): Promise<MqttMessageQueue> {
  const queue = makeQueue(cleanup, url, { 'options.autosubscribe': true, ...config }, name);
  await bounded(queue.open('test'), `open() of queue ${queue.getName()}`);
  return queue;
}

/** receive() with the standard bound; fails on null. */
export async function receiveOne(queue: MqttMessageQueue, what = 'a message', waitMs = WAIT_MS): Promise<MessageEnvelope> {
  const envelope = await bounded(queue.receive('test', waitMs), what, waitMs + 5_000);
  expect(envelope, `receive() of ${what}`).not.toBeNull();
  return envelope!;
}

/** Polls readMessageCount() until it reaches n (bounded); returns the count. */
export async function untilBuffered(queue: MqttMessageQueue, n: number, what = `${n} buffered message(s)`): Promise<number> {
  let count = 0;
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    count = await queue.readMessageCount();
    if (count >= n) return count;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what} (have ${count})`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// ---- The wire -------------------------------------------------------------------------------

export interface Sniffer {
  next(what?: string): Promise<Message>;
}

/** An async-face client subscribed (QoS 2) to `filter`, to see exactly what a queue publishes. */
export async function sniffer(cleanup: Cleanup, url: string, filter: string): Promise<Sniffer> {
  const client = await connected(cleanup, url);
  await client.subscribe(filter, { qos: 2 });
  const inbox = client.messages[Symbol.asyncIterator]();
  return { next: (what = `a message on ${filter}`) => nextMessage(inbox, what) };
}

/** Asserts `error` is an MqttError with `code` (when given); returns it typed. */
export function expectMqttError(error: unknown, code?: string): MqttError {
  expect(error).toBeInstanceOf(MqttError);
  if (code !== undefined) expect((error as MqttError).code).toBe(code);
  return error as MqttError;
}

/** The rejection of `promise` (bounded); fails if it resolves. */
export async function rejectionOf(promise: Promise<unknown>, what: string, ms = WAIT_MS): Promise<unknown> {
  const outcome = await bounded(
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    what,
    ms,
  );
  if ('value' in outcome) throw new Error(`Expected ${what} to reject, it resolved with ${String(outcome.value)}`);
  return outcome.error;
}

export const text = (bytes: Uint8Array | null): string | null => (bytes === null ? null : new TextDecoder().decode(bytes));
