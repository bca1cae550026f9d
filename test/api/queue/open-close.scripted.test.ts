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
