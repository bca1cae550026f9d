/**
 * Backpressure of the async face on mosquitto: a consumer holding at most maxQueuedMessages
 * (10) stops reading from the broker while it lags, so 100,000 QoS 0 messages published faster
 * than it consumes all arrive, in order, and its memory stays bounded — the messages wait in
 * the broker and in the kernel's socket buffers, not in this process.
 *
 * mosquitto runs with max_queued_messages 0 (no limit), so the broker drops nothing for the
 * stalled subscriber. The publisher is flood-publisher.mjs, raw MQTT in a child process, so this
 * process's memory is the consumer's alone. Memory is sampled, never timed; the bound is
 * generous, a guard against the queue growing with the backlog, not a measurement. Payloads
 * live in ArrayBuffers (socket chunks), outside the V8 heap: with backpressure disabled
 * (maxQueuedMessages 1,000,000) the same run grew arrayBuffers by ~104 MB while stalled but
 * heapUsed by only ~30–40 MB, so both are bounded here — arrayBuffers is the one that catches a
 * lost backpressure (with it, both grew by under 1 MB while stalled).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { startMosquitto, describeWithMosquitto } from '../../support/mosquitto.js';
import { Cleanup, sleep, uniqueId } from '../../client/helpers.js';
import { bounded, connected } from './async-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const COUNT = 100_000;
const PAYLOAD_BYTES = 1_024;
const CAPACITY = 10;
const MB = 1024 * 1024;
/** Allowed growth of the consumer process's V8 heap, and separately of its ArrayBuffer memory (socket chunks). */
const MEMORY_BOUND = 64 * MB;
const PUBLISHER = fileURLToPath(new URL('./flood-publisher.mjs', import.meta.url));

interface Sample {
  heapUsed: number;
  arrayBuffers: number;
}

function sample(): Sample {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return { heapUsed, arrayBuffers };
}

/** Runs flood-publisher.mjs to completion (bounded); resolves with its output. */
function flood(port: number, topic: string, count: number): Promise<string> {
  const child = spawn(process.execPath, [PUBLISHER, String(port), topic, String(count), String(PAYLOAD_BYTES)], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.add(child, (c) => {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const done = new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(output.trim()) : reject(new Error(`flood-publisher exited with ${String(code)}: ${output}`))));
  });
  return bounded(done, 'the publisher to finish', 30_000);
}

const indexOf = (payload: Uint8Array): number => new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0);

describeWithMosquitto('async face backpressure on mosquitto', () => {
  it(`a slow consumer with maxQueuedMessages ${CAPACITY} gets all ${COUNT.toLocaleString('en')} QoS 0 messages in order; its memory stays bounded`, { timeout: 60_000 }, async () => {
    const broker = cleanup.broker(await startMosquitto({ maxQueuedMessages: 0, maxInflightMessages: 0 }));
    const topic = `async/backpressure/${uniqueId()}`;
    const consumer = await connected(cleanup, broker.url, { maxQueuedMessages: CAPACITY });
    expect(await consumer.subscribe(topic, { qos: 0 })).toBe(0);
    const inbox = consumer.messages[Symbol.asyncIterator]();

    const baseline = sample();
    let peak = { ...baseline };
    const note = (): void => {
      const now = sample();
      peak = { heapUsed: Math.max(peak.heapUsed, now.heapUsed), arrayBuffers: Math.max(peak.arrayBuffers, now.arrayBuffers) };
    };
    const started = performance.now();

    // The publisher sends everything while the consumer takes nothing: the backlog builds up.
    const sampling = setInterval(note, 5);
    cleanup.add(sampling, clearInterval);
    expect(await flood(broker.port, topic, COUNT)).toBe(`published ${COUNT}`);
    const publishedAt = performance.now();
    await sleep(50); // the consumer's process keeps reading only what its queue has room for
    clearInterval(sampling);
    note();
    const stalled = { ...peak };
    expect(consumer.connected).toBe(true);

    // Now the consumer drains, slowly (a macrotask pause every 100 messages), checking the order.
    let expected = 0;
    while (expected < COUNT) {
      const result = await bounded(inbox.next(), `message ${expected}`);
      if (result.done === true) throw new Error(`The iteration ended after ${expected} messages`);
      const { payload } = result.value;
      const index = indexOf(payload);
      if (index !== expected || payload.length !== PAYLOAD_BYTES || payload[PAYLOAD_BYTES - 1] !== (expected & 0xff)) {
        throw new Error(`Message ${expected}: got index ${index} (${payload.length} bytes): lost, reordered or corrupted`);
      }
      expected++;
      if (expected % 100 === 0) await sleep(0);
      if (expected % 1_000 === 0) note();
    }
    const finished = performance.now();
    expect(expected).toBe(COUNT);

    // Nothing more than the COUNT messages arrives: the next one is this marker.
    await consumer.publish(topic, 'marker');
    const marker = await bounded(inbox.next(), 'the marker');
    expect(marker.value!.text()).toBe('marker');

    const growth = { heap: peak.heapUsed - baseline.heapUsed, arrayBuffers: peak.arrayBuffers - baseline.arrayBuffers };
    const stalledGrowth = { heap: stalled.heapUsed - baseline.heapUsed, arrayBuffers: stalled.arrayBuffers - baseline.arrayBuffers };
    console.log(
      `[backpressure] ${COUNT} × ${PAYLOAD_BYTES} B: published in ${(publishedAt - started).toFixed(0)} ms, drained in ${(finished - publishedAt).toFixed(0)} ms; ` +
        `peak growth heapUsed ${(growth.heap / MB).toFixed(1)} MB, arrayBuffers ${(growth.arrayBuffers / MB).toFixed(1)} MB ` +
        `(while stalled: ${(stalledGrowth.heap / MB).toFixed(1)} MB, ${(stalledGrowth.arrayBuffers / MB).toFixed(1)} MB)`,
    );
    expect(growth.heap).toBeLessThan(MEMORY_BOUND);
    expect(growth.arrayBuffers).toBeLessThan(MEMORY_BOUND);
    // While stalled there is not even decoding garbage: the backlog must not be here.
    expect(stalledGrowth.arrayBuffers).toBeLessThan(MEMORY_BOUND / 2);
  });

  // Regression: while a full queue has paused reading, PINGRESPs wait unread; the engine must not
  // take that for a silent broker (KEEPALIVE_TIMEOUT) and drop a healthy connection.
  it('a consumer paused longer than 1.5 × keepalive keeps its connection and gets every message', { timeout: 30_000 }, async () => {
    const broker = cleanup.broker(await startMosquitto({ maxQueuedMessages: 0, maxInflightMessages: 0 }));
    const topic = `async/keepalive/${uniqueId()}`;
    const consumer = await connected(cleanup, broker.url, { maxQueuedMessages: CAPACITY, keepalive: 1 });
    await consumer.subscribe(topic, { qos: 0 });
    const count = 2_000;
    expect(await flood(broker.port, topic, count)).toBe(`published ${count}`);
    await sleep(3_500); // the consumer is busy elsewhere: its queue is full, reading is paused
    let expected = 0;
    for await (const message of consumer.messages) {
      expect(indexOf(message.payload)).toBe(expected);
      if (++expected === count) break;
    }
    expect(consumer.connected).toBe(true);
  });
});
