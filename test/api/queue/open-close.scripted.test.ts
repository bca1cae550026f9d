/**
 * open() and close() around an autosubscribe the broker does not answer (found by the queue's
 * interleaving property test), on the scripted transport with fake timers.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { flushMicrotasks as flush, scriptedFactory, sendTo } from '../../support/scripted-transport.js';
import type { Fake } from '../../support/scripted-transport.js';
import { MqttMessageQueue } from '../../../src/api/queue/index.js';

let fakes: Fake[];
let factory: ReturnType<typeof scriptedFactory>;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
  fakes = [];
  factory = scriptedFactory([{ throws: false, syncOpen: true, style: 'microtask' }], fakes);
});
afterEach(() => {
  vi.useRealTimers();
});

/** An autosubscribing queue, connected, its SUBSCRIBE written and not answered. */
async function subscribing(): Promise<{ queue: InstanceType<typeof MqttMessageQueue>; opening: { settled: string | null } }> {
  const queue = new MqttMessageQueue('q');
  queue.useEngineOptions_({ transport: factory, clock: () => Date.now() }); // the scripted transport, which no Pip key can name
  queue.configure({ 'connection.uri': 'mqtt://127.0.0.1:1883', 'options.qos': 1, 'options.autosubscribe': true, 'options.retry_connect': false, 'options.keepalive_timeout': 0 });
  const opening = { settled: null as string | null };
  queue.open(null).then(
    () => (opening.settled = 'resolved'),
    (error: { code?: string }) => (opening.settled = `rejected ${error.code}`),
  );
  await flush();
  sendTo(fakes[0], { type: 'connack', returnCode: 0, sessionPresent: false });
  await flush();
  expect(fakes[0]!.packets.map((p) => p.type)).toEqual(['connect', 'subscribe']);
  return { queue, opening };
}

it('close() while open() waits for the SUBACK closes: it does not wait for an answer that may never come', async () => {
  const { queue, opening } = await subscribing();
  let closed = false;
  void queue.close(null).then(() => (closed = true));
  await vi.advanceTimersByTimeAsync(10_000);
  expect(closed).toBe(true);
  expect(opening.settled).toMatch(/^rejected/);
  expect(queue.isOpen()).toBe(false);
  expect(fakes[0]!.closed).toBe(true);
});

it('an autosubscribe the broker refuses rejects open() (and leaves the queue closed)', async () => {
  const { queue, opening } = await subscribing();
  const subscribe = fakes[0]!.packets[1]!;
  sendTo(fakes[0], { type: 'suback', packetId: (subscribe as { packetId: number }).packetId, granted: [0x80] });
  await vi.advanceTimersByTimeAsync(10_000);
  expect(opening.settled).toBe('rejected SUBSCRIPTION_REFUSED');
  expect(queue.isOpen()).toBe(false);
});

it('receive() calls are served in the order they were made, also one made just as the subscription completes', async () => {
  const queue = new MqttMessageQueue('q');
  queue.useEngineOptions_({ transport: factory, clock: () => Date.now() }); // the scripted transport, which no Pip key can name
  queue.configure({ 'connection.uri': 'mqtt://127.0.0.1:1883', 'options.qos': 1, 'options.retry_connect': false, 'options.keepalive_timeout': 0 });
  const opening = queue.open(null);
  await flush();
  sendTo(fakes[0], { type: 'connack', returnCode: 0, sessionPresent: false });
  await opening;
  const got: (string | null)[] = [];
  // The first waits for the subscription it starts; a message comes before the SUBACK.
  void queue.receive(null, 1_000).then((e) => got.push(`first: ${e?.getMessageAsString() ?? null}`));
  await flush();
  const subscribe = fakes[0]!.packets.find((p) => p.type === 'subscribe') as { packetId: number };
  sendTo(fakes[0], { type: 'publish', topic: 'q', payload: new TextEncoder().encode('M'), qos: 0, dup: false, retain: false });
  sendTo(fakes[0], { type: 'suback', packetId: subscribe.packetId, granted: [1] });
  // The second, a microtask after the SUBACK: it must not overtake the first.
  await Promise.resolve();
  void queue.receive(null, 0).then((e) => got.push(`second: ${e?.getMessageAsString() ?? null}`));
  await vi.advanceTimersByTimeAsync(10);
  expect(got.sort()).toEqual(['first: M', 'second: null']);
  await queue.close(null);
});
