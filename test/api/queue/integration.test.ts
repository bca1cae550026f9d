/**
 * The queue face (src/api/queue) against real brokers: the same scenarios run on mosquitto (a
 * child process, when installed) and aedes (in-process). The seed tutorial's flow end to end,
 * every read's empty-queue result, listen/endListen, both serialisation modes with the golden
 * bytes on the wire (reference Addendum §3.1 #1-#4), two queues in one process, and ack_on
 * 'complete' surviving a client crash (a persistent session: client_id fixed, clean session off).
 *
 * The anchor's bugs we do not copy: pip-bugs.test.ts. Backpressure and counters:
 * backpressure.test.ts. Configuration and state without a real broker: units.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MessageEnvelope, MqttMessageQueue } from '../../../src/api/queue/index.js';
import type { MessageReceiver } from '../../../src/api/queue/index.js';
import { startAedes } from '../../support/aedes.js';
import { describeWithMosquitto, startMosquitto } from '../../support/mosquitto.js';
import { describeOnBroker } from '../../support/broker-suite.js';
import type { Describe, RunningBroker } from '../../support/broker-suite.js';
import { Cleanup } from '../../client/helpers.js';
import { startTcpProxy } from '../../support/tcp-proxy.js';
import { startShapingProxy } from './shaping-proxy.js';
import {
  GOLDEN,
  GOLDEN_RAW,
  WAIT_MS,
  bounded,
  connected,
  goldenEnvelope,
  openQueue,
  receiveOne,
  sniffer,
  uniqueId,
  until,
  untilBuffered,
  withGoldenSentTime,
} from './queue-helpers.js';

/** How long the regression tests wait for what must come at once: a bound, kept short. */
const DEFECT_WAIT_MS = 2_000;

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A receiver that collects what it is handed. */
function collector(): MessageReceiver & { got: MessageEnvelope[]; texts(): (string | null)[] } {
  const got: MessageEnvelope[] = [];
  return {
    got,
    texts: () => got.map((e) => e.getMessageAsString()),
    receiveMessage: async (envelope, queue) => {
      expect(queue).toBeInstanceOf(MqttMessageQueue);
      got.push(envelope);
    },
  };
}

function queueScenarios(name: string, describeFn: Describe, start: () => Promise<RunningBroker>): void {
  describeOnBroker(`queue face on ${name}`, describeFn, start, (broker) => {
    // ---- 1. The seed tutorial ---------------------------------------------------------------

    it('the tutorial: create, configure, open, send "ABC123" as "mymessage", receive, peek, peekBatch, readMessageCount, close', async () => {
      const cid = '123';
      const queue = cleanup.add(new MqttMessageQueue(`myqueue/${uniqueId()}`), (q) => q.close(cid));
      const url = new URL(broker().url);
      queue.configure({
        'connection.protocol': 'mqtt',
        'connection.host': url.hostname,
        'connection.port': Number(url.port),
        'options.autosubscribe': true,
        'options.serialize_envelope': true,
      });
      expect(queue.isOpen()).toBe(false);
      await bounded(queue.open(cid), 'open()');
      expect(queue.isOpen()).toBe(true);

      await queue.send(cid, new MessageEnvelope(cid, 'mymessage', 'ABC123'));
      const received = await receiveOne(queue, 'ABC123');
      expect(received.getMessageAsString()).toBe('ABC123');
      expect(received.message_type).toBe('mymessage');
      expect(received.correlation_id).toBe(cid);

      // Two more: one to peek at, one behind it.
      await queue.send(cid, new MessageEnvelope(cid, 'mymessage', 'DEF456'));
      await queue.send(cid, new MessageEnvelope(cid, 'mymessage', 'GHI789'));
      expect(await untilBuffered(queue, 2)).toBe(2);
      expect((await queue.peek(cid))!.getMessageAsString()).toBe('DEF456');
      const batch = await queue.peekBatch(cid, 3);
      expect(batch.map((e) => e.getMessageAsString())).toEqual(['DEF456', 'GHI789']);
      expect((await queue.peekBatch(cid, 1)).length).toBe(1);
      expect(await queue.readMessageCount()).toBe(2); // peeking removes nothing
      expect((await receiveOne(queue)).getMessageAsString()).toBe('DEF456');
      expect(await queue.readMessageCount()).toBe(1);

      await queue.close(cid);
      expect(queue.isOpen()).toBe(false);
      // Not Pip's loss: close() keeps what the broker was told we have (Pip empties the buffer).
      expect(await queue.readMessageCount()).toBe(1);
      await bounded(queue.open(cid), 'reopen');
      expect((await receiveOne(queue)).getMessageAsString()).toBe('GHI789');
    });

    // ---- 2. Empty-queue results --------------------------------------------------------------

    it('an empty queue: receive → null after the wait, peek → null, peekBatch → [], readMessageCount → 0', async () => {
      const queue = await openQueue(cleanup, broker().url);
      const receiving = queue.receive('c', 200);
      expect(await bounded(receiving, 'receive() to give up')).toBeNull();
      expect(await queue.receive('c', 0)).toBeNull();
      expect(await queue.peek('c')).toBeNull();
      expect(await queue.peekBatch('c', 5)).toEqual([]);
      expect(await queue.readMessageCount()).toBe(0);
    });

    it('receive() waiting on an empty queue gets a message sent meanwhile (no polling interval to wait out)', async () => {
      const queue = await openQueue(cleanup, broker().url);
      const waiting = queue.receive('c', WAIT_MS);
      await queue.sendAsObject('c', 'late', { n: 1 });
      const envelope = await bounded(waiting, 'the waiting receive()');
      expect(envelope).not.toBeNull();
      expect(envelope!.getMessageAs()).toEqual({ n: 1 });
    });

    // ---- 3. listen / endListen ---------------------------------------------------------------

    it('listen() hands every message to the receiver in order, none buffered; after endListen() they are buffered again', async () => {
      const queue = await openQueue(cleanup, broker().url);
      const receiver = collector();
      queue.listen('c', receiver);
      for (const t of ['one', 'two', 'three']) await queue.send('c', new MessageEnvelope('c', 't', t));
      await until(() => receiver.got.length >= 3, 'three messages in the receiver');
      expect(receiver.texts()).toEqual(['one', 'two', 'three']);
      expect(await queue.readMessageCount()).toBe(0);

      queue.endListen('c');
      await queue.send('c', new MessageEnvelope('c', 't', 'four'));
      expect((await receiveOne(queue, 'four')).getMessageAsString()).toBe('four');
      expect(receiver.got.length).toBe(3);
    });

    it('beginListen() starts listening; a receiver that throws is reported on "error" and the next message still arrives', async () => {
      const queue = await openQueue(cleanup, broker().url);
      const errors: Error[] = [];
      queue.on('error', (error) => errors.push(error));
      const seen: string[] = [];
      queue.beginListen('c', {
        receiveMessage: async (envelope) => {
          const t = envelope.getMessageAsString()!;
          seen.push(t);
          if (t === 'boom') throw new Error('receiver failed');
        },
      });
      await new Promise((r) => setImmediate(r)); // beginListen is deferred: give it a turn
      await queue.send('c', new MessageEnvelope('c', 't', 'boom'));
      await queue.send('c', new MessageEnvelope('c', 't', 'fine'));
      await until(() => seen.length >= 2, 'both messages in the receiver');
      expect(seen).toEqual(['boom', 'fine']);
      await until(() => errors.length >= 1, 'the receiver failure on "error"');
      expect(errors[0]!.message).toContain('receiver failed');
    });

    // ---- 4. Serialisation modes, on the wire -------------------------------------------------

    it('serialize_envelope=true: golden #1-#3 are published byte for byte (sent_time set at send) and received back whole', async () => {
      const topic = `queue/golden/${uniqueId()}`;
      const wire = await sniffer(cleanup, broker().url, topic);
      const queue = await openQueue(cleanup, broker().url, { topic, 'options.serialize_envelope': true });
      for (const n of [1, 2, 3] as const) {
        const before = Date.now();
        await queue.send('c', goldenEnvelope(n));
        const message = await wire.next(`golden #${n}`);
        const payload = new TextDecoder().decode(message.payload);
        expect(message.topic.value).toBe(topic);
        expect(message.qos).toBe(0);
        expect(message.retain).toBe(false);
        expect(withGoldenSentTime(payload, n)).toBe(GOLDEN[n].json);
        if (n === 1) expect(Buffer.from(withGoldenSentTime(payload, 1), 'utf8').toString('hex')).toBe(GOLDEN[1].hex);
        expect(Date.parse(JSON.parse(payload).sent_time)).toBeGreaterThanOrEqual(before - 1);

        const back = await receiveOne(queue, `golden #${n} back`);
        expect(back.message_id).toBe(GOLDEN[n].messageId);
        expect(back.correlation_id).toBe(JSON.parse(GOLDEN[n].json).correlation_id);
        expect(back.message_type).toBe(JSON.parse(GOLDEN[n].json).message_type);
        expect(back.sent_time).toBeInstanceOf(Date);
        expect(back.message === null ? null : Buffer.from(back.message).toString('base64')).toBe(JSON.parse(GOLDEN[n].json).message);
      }
    });

    it('serialize_envelope=false (the default), QoS 1: golden #4 is the 6 raw bytes; received as an envelope of the topic, packet id as message_id', async () => {
      const topic = `queue/raw/${uniqueId()}`;
      const wire = await sniffer(cleanup, broker().url, topic);
      const queue = await openQueue(cleanup, broker().url, { topic, 'options.qos': 1 });
      await queue.send('c7', new MessageEnvelope('c7', 'ignored-type', 'RAW-é'));
      const message = await wire.next('golden #4');
      expect(Array.from(message.payload)).toEqual(GOLDEN_RAW);
      expect(message.qos).toBe(1);
      expect(message.retain).toBe(false);

      const back = await receiveOne(queue, 'golden #4 back');
      expect(Array.from(back.message!)).toEqual(GOLDEN_RAW);
      expect(back.getMessageAsString()).toBe('RAW-é');
      expect(back.message_type).toBe(topic);
      expect(back.correlation_id).toBeNull();
      expect(back.message_id).toMatch(/^[1-9]\d*$/);
      expect(Number(back.message_id)).toBeLessThanOrEqual(65_535);
    });

    it('serialize_envelope=false, QoS 0: a foreign publisher\'s bytes arrive intact with a fresh 32-hex message_id', async () => {
      const topic = `queue/raw0/${uniqueId()}`;
      const queue = await openQueue(cleanup, broker().url, { topic });
      const publisher = await connected(cleanup, broker().url);
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      await publisher.publish(topic, all, { qos: 0 });
      const back = await receiveOne(queue, 'the foreign bytes');
      expect(Array.from(back.message!)).toEqual(Array.from(all));
      expect(back.message_id).toMatch(/^[0-9a-f]{32}$/);
      expect(back.message_type).toBe(topic);
      expect(back.sent_time).toBeNull();
    });

    it("a Pip producer's serialized envelope (foreign client, exact golden #1 bytes) is read by a serialize_envelope queue", async () => {
      const topic = `queue/foreign/${uniqueId()}`;
      const queue = await openQueue(cleanup, broker().url, { topic, 'options.serialize_envelope': true });
      const publisher = await connected(cleanup, broker().url);
      await publisher.publish(topic, Buffer.from(GOLDEN[1].hex, 'hex'), { qos: 1 });
      const back = await receiveOne(queue);
      expect(JSON.stringify(back)).toBe(GOLDEN[1].json);
      expect(back.sent_time!.toISOString()).toBe(GOLDEN[1].sentTime);
    });

    it('an envelope a producer wrote with a UTF-8 byte-order mark in front is read as the envelope', async () => {
      const topic = `queue/bom/${uniqueId()}`;
      const queue = await openQueue(cleanup, broker().url, { topic, 'options.serialize_envelope': true });
      const publisher = await connected(cleanup, broker().url);
      await publisher.publish(topic, Buffer.concat([Buffer.of(0xef, 0xbb, 0xbf), Buffer.from(GOLDEN[1].hex, 'hex')]), { qos: 1 });
      expect(JSON.stringify(await receiveOne(queue))).toBe(GOLDEN[1].json);
    });

    // ---- 5. Two queues in one process --------------------------------------------------------

    it('two queues with default client ids on one topic: both stay connected, each gets what the other sends', async () => {
      const topic = `queue/two/${uniqueId()}`;
      const a = await openQueue(cleanup, broker().url, { topic, 'options.qos': 1 }, 'a');
      const b = await openQueue(cleanup, broker().url, { topic, 'options.qos': 1 }, 'b');
      for (let round = 0; round < 3; round++) {
        await a.send('c', new MessageEnvelope('c', 't', `from-a-${round}`));
        await b.send('c', new MessageEnvelope('c', 't', `from-b-${round}`));
        for (const queue of [a, b]) {
          expect((await receiveOne(queue)).getMessageAsString()).toBe(`from-a-${round}`);
          expect((await receiveOne(queue)).getMessageAsString()).toBe(`from-b-${round}`);
        }
      }
      expect([a.isOpen(), b.isOpen()]).toEqual([true, true]);
    });

    it('retry_connect (the default): a cut connection comes back and the queue keeps receiving (clean session: subscription restored)', async () => {
      const topic = `queue/retry/${uniqueId()}`;
      const proxy = cleanup.broker(await startTcpProxy(broker().url));
      const queue = await openQueue(cleanup, proxy.url, { topic, 'options.reconnect_timeout': 20, 'options.qos': 1 });
      const publisher = await connected(cleanup, broker().url);
      await publisher.publish(topic, 'before', { qos: 1 });
      expect((await receiveOne(queue)).getMessageAsString()).toBe('before');
      proxy.cut();
      // Probes until one gets through: then the queue is back and subscribed again.
      let probes = 0;
      let back: MessageEnvelope | null = null;
      const deadline = Date.now() + WAIT_MS;
      while (back === null && Date.now() < deadline) {
        await publisher.publish(topic, `probe-${probes++}`, { qos: 1 });
        back = await queue.receive('c', 50);
      }
      expect(back?.getMessageAsString()).toMatch(/^probe-\d+$/);
      expect(queue.isOpen()).toBe(true);
      expect(proxy.accepted).toBeGreaterThanOrEqual(2);
    });

    // ---- 6. ack_on 'complete' ----------------------------------------------------------------

    it("ack_on 'complete': abandon() puts the message back at the head; complete() acknowledges it", async () => {
      const queue = await openQueue(cleanup, broker().url, { 'options.qos': 1, 'options.ack_on': 'complete' });
      await queue.send('c', new MessageEnvelope('c', 't', 'first'));
      await queue.send('c', new MessageEnvelope('c', 't', 'second'));
      const first = await receiveOne(queue);
      expect(first.getMessageAsString()).toBe('first');
      await queue.abandon(first);
      const again = await receiveOne(queue);
      expect(again.getMessageAsString()).toBe('first');
      expect(again.message_id).toBe(first.message_id);
      await queue.complete(again);
      const second = await receiveOne(queue);
      expect(second.getMessageAsString()).toBe('second');
      await queue.complete(second);
      expect(await queue.receive('c', 100)).toBeNull();
    });

    it("QoS 2 with ack_on 'complete': each message once, in order, the packet id as message_id; completing lets the next ones through", async () => {
      const queue = await openQueue(cleanup, broker().url, { 'options.qos': 2, 'options.ack_on': 'complete' });
      for (let i = 0; i < 5; i++) await queue.send('c', new MessageEnvelope('c', 't', `q2-${i}`));
      for (let i = 0; i < 5; i++) {
        const envelope = await receiveOne(queue, `q2-${i}`);
        expect(envelope.getMessageAsString()).toBe(`q2-${i}`);
        expect(envelope.message_id).toMatch(/^[1-9]\d*$/);
        await queue.complete(envelope);
      }
      expect(queue.counters.received).toBe(5);
    });

    /**
     * The crash scenarios: the doomed queue reaches the broker through a proxy that is cut (no
     * DISCONNECT, no complete()); the next queue, same client_id, clean session off, resumes the
     * session. The broker redelivers at once after CONNACK, so the next queue connects through a
     * shaping proxy: 'split' (CONNACK handled before the redelivery arrives) or 'coalesce' (both in
     * one read, as when the broker writes them back to back).
     */
    const persistentSession = (extra: Record<string, unknown> = {}) => ({
      topic: `queue/crash/${uniqueId()}`,
      client_id: uniqueId('crash'),
      'options.clean_session': false,
      'options.qos': 1,
      ...extra,
    });

    async function crash(config: Record<string, unknown>, beforeCrash?: (queue: MqttMessageQueue) => Promise<void>): Promise<void> {
      const proxy = cleanup.broker(await startTcpProxy(broker().url));
      const doomed = await openQueue(cleanup, proxy.url, { ...config, 'options.retry_connect': false });
      await beforeCrash?.(doomed);
      proxy.refusing = true;
      proxy.cut();
    }

    async function resume(config: Record<string, unknown>, mode: 'split' | 'coalesce'): Promise<MqttMessageQueue> {
      const shaper = cleanup.broker(await startShapingProxy(broker().url, mode));
      return openQueue(cleanup, shaper.url, config);
    }

    it("ack_on 'complete' survives a crash: a message received but not completed is delivered again to the same client_id; once completed, never again", async () => {
      const config = persistentSession({ 'options.ack_on': 'complete' });
      const topic = config.topic;
      const publisher = await connected(cleanup, broker().url);
      await crash(config, async (doomed) => {
        await publisher.publish(topic, 'precious', { qos: 1 });
        expect((await receiveOne(doomed, 'precious')).getMessageAsString()).toBe('precious');
      });

      const survivor = await resume(config, 'split');
      const again = await receiveOne(survivor, 'precious, delivered again');
      expect(again.getMessageAsString()).toBe('precious');
      await survivor.complete(again);
      await publisher.publish(topic, 'sentinel', { qos: 1 });
      const sentinel = await receiveOne(survivor, 'sentinel');
      expect(sentinel.getMessageAsString()).toBe('sentinel');
      await survivor.complete(sentinel);

      // Completed means acknowledged: the next queue on the session gets only what is new.
      await survivor.close('c');
      const next = await resume(config, 'split');
      await publisher.publish(topic, 'after', { qos: 1 });
      expect((await receiveOne(next, 'after')).getMessageAsString()).toBe('after');
    });

    // Regression (src/api/queue/mqtt-message-queue.ts, open()/#arrived): expected the redelivered 'precious' to be received by the survivor; saw receive() give null. The broker sends it right…
    it("ack_on 'complete' survives a crash even when the redelivery arrives in the same read as CONNACK", async () => {
      const config = persistentSession({ 'options.ack_on': 'complete' });
      const publisher = await connected(cleanup, broker().url);
      await crash(config, async (doomed) => {
        await publisher.publish(config.topic, 'precious', { qos: 1 });
        await receiveOne(doomed, 'precious');
      });
      const survivor = await resume(config, 'coalesce');
      expect((await receiveOne(survivor, 'precious, delivered again', DEFECT_WAIT_MS)).getMessageAsString()).toBe('precious');
    });

    it('persistent session, ack_on receive: a message published while the queue was down is received after it reopens', async () => {
      const config = persistentSession();
      await crash(config);
      const publisher = await connected(cleanup, broker().url);
      await publisher.publish(config.topic, 'while-down', { qos: 1 });
      const back = await resume(config, 'split');
      expect((await receiveOne(back, 'while-down')).getMessageAsString()).toBe('while-down');
    });

    // Regression (same cause as above): expected 'while-down' to be received; saw it dropped by #arrived while !#opened, and, ack_on being 'receive', acknowledged by the engine all the same:…
    it('persistent session, ack_on receive: a message queued while down survives arriving in the same read as CONNACK', async () => {
      const config = persistentSession();
      await crash(config);
      const publisher = await connected(cleanup, broker().url);
      await publisher.publish(config.topic, 'while-down', { qos: 1 });
      const back = await resume(config, 'coalesce');
      expect((await receiveOne(back, 'while-down', DEFECT_WAIT_MS)).getMessageAsString()).toBe('while-down');
    });
  });
}

queueScenarios('mosquitto', describeWithMosquitto, () => startMosquitto());
queueScenarios('aedes', describe, () => startAedes());
