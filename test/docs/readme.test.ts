/**
 * The README's quick starts, run as written (see readme-support.ts for how): each block is saved
 * as a module and run by node on the built package against an aedes broker started here on a
 * free loopback port. The only edit is the broker's address: `mqtt://127.0.0.1:1883` and its
 * spellings become the broker's own URL (each test names the strings it replaces).
 *
 * A block that never ends by itself (a client that stays connected, a `for await` over messages)
 * is run until it has done and printed what its prose says, then ended by the harness with
 * SIGTERM to its own process (`stop()`); every process still running is killed in afterAll.
 *
 * This file also holds the inventory: every fenced block of the README is run by one of
 * test/docs/readme*.test.ts or excluded with its reason (readme-support.ts, BLOCKS).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, exitCode } from '../support/examples.js';
import { BLOCKS, ReadmeSuite, brokerPublish, printed, readmeBlocks, stop, until } from './readme-support.js';

describe('README inventory', () => {
  it('lists every fenced block, each run by a test here or excluded with a reason', () => {
    const blocks = readmeBlocks();
    expect(blocks.map((b) => b.key)).toEqual(Object.keys(BLOCKS));
    for (const [key, disposition] of Object.entries(BLOCKS)) {
      if ('excluded' in disposition) {
        expect(disposition.excluded.length, key).toBeGreaterThan(40);
      } else {
        // The named file runs it: it names the key (readmeBlock refuses keys not listed as run).
        const source = readFileSync(join(import.meta.dirname, disposition.runBy), 'utf8');
        expect(source, `${disposition.runBy} runs ${key}`).toContain(JSON.stringify(key).slice(1, -1));
      }
    }
  });

  it('every JavaScript block is run but for the one fragment, and every block is js, sh or plain output', () => {
    const blocks = readmeBlocks();
    expect(new Set(blocks.map((b) => b.lang))).toEqual(new Set(['sh', '', 'js']));
    const excludedJs = blocks.filter((b) => b.lang === 'js' && 'excluded' in BLOCKS[b.key]!).map((b) => b.key);
    expect(excludedJs).toEqual(['Clustered brokers (RabbitMQ) #1']);
  });
});

describe('README quick starts, run on dist/ against aedes', () => {
  const suite = new ReadmeSuite();
  const start = suite.start.bind(suite);

  it('the codec: encodes a PUBLISH and decodes it back', async () => {
    const run = start('Quick start: the codec #1', []);
    expect(await exitCode(run, 'the codec block')).toBe(0);
    expect(run.stderr()).toBe('');
    expect(run.stdout()).toMatch(/^publish \{/);
    expect(run.stdout()).toContain("topic: 'a/b'");
    expect(run.stdout()).toContain('packetId: 7');
    expect(run.stdout()).toContain('qos: 1');
    // Its last line's claim (`topicMatches('a/+', 'a/b'); // true`), which it does not print:
    const packet = await import(join(ROOT, 'dist/node/packet/index.js'));
    expect(packet.topicMatches('a/+', 'a/b')).toBe(true);
  });

  it('the core client: subscribes, publishes, is delivered and receives its own message', async () => {
    const run = start('Quick start: the core client #1', [['mqtt://127.0.0.1:1883', suite.broker.url]]);
    await printed(run, 'sensors/1/temp 21.5\n');
    expect(run.stdout()).toContain('subscribed 0 [ 1 ]\n');
    expect(run.stdout()).toContain('delivered\n');
    expect(run.stderr()).toBe('');
    expect(suite.seen.clients).toContain('sensor-1');
    expect(suite.seen.subscriptions).toContainEqual({ topic: 'sensors/+/temp', qos: 1, clientId: 'sensor-1' });
    expect(suite.seen.publishes).toContainEqual({ topic: 'sensors/1/temp', text: '21.5', qos: 1, retain: false, clientId: 'sensor-1' });
    await stop(run); // it stays connected (and would reconnect): the harness ends it
  });

  it('the async API: publishes, subscribes, and its for-await loop reads what arrives', async () => {
    // `await using` is lowered by esbuild (Node 20 has no explicit resource management).
    const run = start('Quick start: the async API (promises and async iterators) #1', [['mqtt://127.0.0.1:1883', suite.broker.url]], { lower: true });
    await printed(run, '28.4 0 false\n');
    expect(suite.seen.clients).toContain('c1');
    expect(suite.seen.subscriptions).toContainEqual({ topic: 'temperature/#', qos: 1, clientId: 'c1' });
    expect(suite.seen.publishes).toContainEqual({ topic: 'temperature/outside', text: '28.4', qos: 0, retain: false, clientId: 'c1' });
    expect(suite.seen.publishes.find((p) => p.topic === 'a/b')).toMatchObject({ qos: 1, retain: true, clientId: 'c1' });
    // The loop goes on reading: a message from elsewhere is printed too.
    await brokerPublish(suite.broker.broker, 'temperature/inside', '21', 1);
    await printed(run, '21 1 false\n');
    expect(run.stderr()).toBe('');
    await stop(run); // the for-await loop never ends by itself: the harness ends it
  });

  it('the message-queue face: sends ABC123, receives it, closes and exits', async () => {
    const run = start("Quick start: the message-queue face (Pip.Services' MqttMessageQueue) #1", [
      ["'connection.host': 'localhost'", "'connection.host': '127.0.0.1'"],
      ["'connection.port': 1883", `'connection.port': ${suite.broker.port}`],
    ]);
    expect(await exitCode(run, 'the queue block')).toBe(0);
    expect(run.stdout()).toBe('ABC123\n');
    expect(run.stderr()).toBe('');
    const envelope = suite.seen.publishes.find((p) => p.topic === 'myqueue');
    expect(JSON.parse(envelope!.text)).toMatchObject({ correlation_id: '123', message_type: 'mymessage', message: Buffer.from('ABC123').toString('base64') });
  });

  it('the imp-style API: subscribes, publishes at QoS 1, reports it published and receives it', async () => {
    const run = start('Quick start: the imp-style API #1', [['tcp://127.0.0.1:1883', suite.broker.url.replace('mqtt://', 'tcp://')]]);
    await until(run, () => run.stdout().includes('The message was published\n') && run.stdout().includes('imp.mqtt.test.pings This is a test message\n'), 'publishing and receiving');
    expect(run.stdout()).not.toContain('not published');
    expect(run.stderr()).toBe('');
    expect(suite.seen.subscriptions).toContainEqual({ topic: 'imp.mqtt.test.pings', qos: 0, clientId: 'imp.mqtt.test.device1' });
    expect(suite.seen.publishes).toContainEqual({ topic: 'imp.mqtt.test.pings', text: 'This is a test message', qos: 1, retain: false, clientId: 'imp.mqtt.test.device1' });
    await stop(run); // it stays connected: the harness ends it
  });

  it('the session, with its own I/O: connects, subscribes, publishes, receives, disconnects and exits', async () => {
    const run = start('Bring your own I/O: the session #1', [['connect(1883, ', `connect(${suite.broker.port}, `]]);
    expect(await exitCode(run, 'the session block')).toBe(0); // nothing left to wait for once it disconnected
    expect(run.stdout()).toBe('edge/1 hello\n');
    expect(run.stderr()).toBe('');
    expect(suite.seen.clients).toContain('edge-1');
    expect(suite.seen.subscriptions).toContainEqual({ topic: 'edge/#', qos: 1, clientId: 'edge-1' });
    expect(suite.seen.publishes).toContainEqual({ topic: 'edge/1', text: 'hello', qos: 1, retain: false, clientId: 'edge-1' });
  });
});
