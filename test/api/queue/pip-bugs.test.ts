/**
 * The anchor's bugs we do not copy (shared/reference/pip-mqtt-queue.md §10), one test each, named
 * "not Pip's bug: …", on mosquitto and aedes; the connect_timeout one on a listener that never
 * answers. Each test is what the anchor gets wrong, done right.
 */
import net from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MessageEnvelope, MqttError } from '../../../src/api/queue/index.js';
import type { MqttMessageQueue } from '../../../src/api/queue/index.js';
import { startAedes } from '../../support/aedes.js';
import { describeWithMosquitto, startMosquitto } from '../../support/mosquitto.js';
import { describeOnBroker } from '../../support/broker-suite.js';
import type { Describe, RunningBroker } from '../../support/broker-suite.js';
import { LOOPBACK } from '../../support/ports.js';
import { Cleanup } from '../../client/helpers.js';
import { WAIT_MS, bounded, connected, expectMqttError, makeQueue, openQueue, receiveOne, rejectionOf, sniffer, uniqueId, until, untilBuffered } from './queue-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
afterEach(() => vi.restoreAllMocks());

const texts = (envelopes: MessageEnvelope[]): (string | null)[] => envelopes.map((e) => e.getMessageAsString());

function pipBugScenarios(name: string, describeFn: Describe, start: () => Promise<RunningBroker>): void {
  describeOnBroker(`queue face on ${name}: Pip's bugs not copied`, describeFn, start, (broker) => {
    it("not Pip's bug: the queue opens with autosubscribe off (#1); it subscribes at the first read", async () => {
      const queue = await openQueue(cleanup, broker().url, { 'options.autosubscribe': false });
      expect(queue.isOpen()).toBe(true);
      expect(await queue.peek('c')).toBeNull(); // subscribes
      await queue.send('c', new MessageEnvelope('c', 't', 'hello'));
      expect((await receiveOne(queue)).getMessageAsString()).toBe('hello');
    });

    it("not Pip's bug: with both a name and `topic`, publish and subscribe use `topic` (#2)", async () => {
      const id = uniqueId();
      const qname = `qname/${id}`;
      const topic = `tst/${id}/e`;
      const onName = await sniffer(cleanup, broker().url, qname);
      const onTopic = await sniffer(cleanup, broker().url, topic);
      const queue = await openQueue(cleanup, broker().url, { topic }, qname);
      expect(queue.getName()).toBe(qname);
      await queue.send('c', new MessageEnvelope('c', 't', 'where'));
      expect((await onTopic.next('the message on `topic`')).text()).toBe('where');
      expect((await receiveOne(queue)).getMessageAsString()).toBe('where');
      // Nothing went to the name: the first message there is this sentinel.
      const publisher = await connected(cleanup, broker().url);
      await publisher.publish(qname, 'sentinel', { qos: 1 });
      expect((await onName.next('the sentinel on the name')).text()).toBe('sentinel');
    });

    for (const serialize of [false, true]) {
      it(`not Pip's bug: a Uint8Array/Buffer body stays bytes, not {"type":"Buffer",…} (#3; serialize_envelope=${serialize})`, async () => {
        const queue = await openQueue(cleanup, broker().url, { 'options.serialize_envelope': serialize, 'options.qos': 1 });
        const all = Uint8Array.from({ length: 256 }, (_, i) => i);
        await queue.send('c', new MessageEnvelope('c', 't', Buffer.from('ABC123')));
        await queue.send('c', new MessageEnvelope('c', 't', all));
        const first = await receiveOne(queue);
        expect(first.getMessageAsString()).toBe('ABC123');
        const second = await receiveOne(queue);
        expect(Array.from(second.message!)).toEqual(Array.from(all));
      });
    }

    it("not Pip's bug: listen() delivers the messages already buffered, in order, then the live ones (#4)", async () => {
      const queue = await openQueue(cleanup, broker().url);
      for (const t of ['b1', 'b2', 'b3']) await queue.send('c', new MessageEnvelope('c', 't', t));
      await untilBuffered(queue, 3);
      const got: MessageEnvelope[] = [];
      queue.listen('c', { receiveMessage: async (envelope) => void got.push(envelope) });
      await until(() => got.length >= 3, 'the buffered messages in the receiver');
      expect(await queue.readMessageCount()).toBe(0);
      await queue.send('c', new MessageEnvelope('c', 't', 'live'));
      await until(() => got.length >= 4, 'the live message in the receiver');
      expect(texts(got)).toEqual(['b1', 'b2', 'b3', 'live']);
    });

    for (const autosubscribe of [false, true]) {
      it(`not Pip's bug: re-opening a closed queue subscribes again (#6; autosubscribe ${autosubscribe})`, async () => {
        const queue = await openQueue(cleanup, broker().url, { 'options.autosubscribe': autosubscribe });
        for (const round of ['first', 'second', 'third']) {
          if (!queue.isOpen()) await bounded(queue.open('c'), 'the reopen');
          expect(await queue.peek('c')).toBeNull(); // subscribes, if not yet; and close() emptied the buffer
          await queue.send('c', new MessageEnvelope('c', 't', round));
          expect((await receiveOne(queue, round)).getMessageAsString()).toBe(round);
          await queue.close('c');
        }
      });
    }

    it("not Pip's bug: two queues with default client ids do not kick each other off (#9)", async () => {
      // Without retry_connect a queue the broker kicked off would stay off, and its receive() fail.
      const a = await openQueue(cleanup, broker().url, { 'options.retry_connect': false });
      const b = await openQueue(cleanup, broker().url, { 'options.retry_connect': false });
      for (let round = 0; round < 3; round++) {
        for (const [queue, label] of [[a, 'a'], [b, 'b']] as const) {
          await queue.send('c', new MessageEnvelope('c', 't', `${label}${round}`));
          expect((await receiveOne(queue, `${label}${round}`)).getMessageAsString()).toBe(`${label}${round}`);
        }
      }
    });

    it("not Pip's bug: one subscription only: many receive/peek/peekBatch calls, yet each message is buffered once (#5)", async () => {
      const topic = `queue/once/${uniqueId()}`;
      const queue = await openQueue(cleanup, broker().url, { topic, 'options.autosubscribe': false });
      for (let i = 0; i < 5; i++) {
        expect(await queue.receive('c', 0)).toBeNull();
        expect(await queue.peek('c')).toBeNull();
        expect(await queue.peekBatch('c', 3)).toEqual([]);
      }
      const publisher = await connected(cleanup, broker().url);
      await publisher.publish(topic, 'm1', { qos: 1 });
      await publisher.publish(topic, 'm2', { qos: 1 });
      await until(() => queue.counters.received >= 2, 'two messages');
      // A duplicate of m1 would come before m2, of m2 in the same dispatch as m2.
      expect(texts(await queue.peekBatch('c', 10))).toEqual(['m1', 'm2']);
      expect(queue.counters.received).toBe(2);
    });

    it("not Pip's bug: MQTT wildcards (+, #) in `topic` receive (#11); send on a wildcard topic rejects", async () => {
      const base = `queue/wild/${uniqueId()}`;
      const plus = await openQueue(cleanup, broker().url, { topic: `${base}/+` });
      const hash = await openQueue(cleanup, broker().url, { topic: `${base}/#` });
      const publisher = await connected(cleanup, broker().url);
      for (const t of ['a', 'b/c', 'd']) await publisher.publish(`${base}/${t}`, t, { qos: 1 });
      const viaPlus = [await receiveOne(plus), await receiveOne(plus)];
      expect(viaPlus.map((e) => [e.message_type, e.getMessageAsString()])).toEqual([
        [`${base}/a`, 'a'],
        [`${base}/d`, 'd'],
      ]);
      expect(texts([await receiveOne(hash), await receiveOne(hash), await receiveOne(hash)])).toEqual(['a', 'b/c', 'd']);
      expectMqttError(await rejectionOf(plus.send('c', new MessageEnvelope('c', 't', 'x')), 'send on +'));
      expectMqttError(await rejectionOf(hash.sendAsObject('c', 't', { x: 1 }), 'send on #'));
      await publisher.publish(`${base}/e`, 'still', { qos: 1 });
      expect((await receiveOne(plus)).getMessageAsString()).toBe('still');
    });

    it("not Pip's bug: receive() on an empty queue gives null, not undefined (#12); the packet id is a string (#14)", async () => {
      const queue = await openQueue(cleanup, broker().url, { 'options.qos': 1 });
      expect(await queue.receive('c', 50)).toBe(null);
      await queue.send('c', new MessageEnvelope('c', 't', 'x'));
      expect(typeof (await receiveOne(queue)).message_id).toBe('string');
    });

    describe("not Pip's bug: a payload that is not an envelope, on a serialize_envelope queue, does not crash the process", () => {
      const foreign = ['not json', '123', '[1,2]', ''];

      async function scenario(queue: MqttMessageQueue, topic: string): Promise<void> {
        const publisher = await connected(cleanup, broker().url);
        for (const payload of foreign) await publisher.publish(topic, payload, { qos: 1 });
        await publisher.publish(topic, JSON.stringify(new MessageEnvelope('ok', 'good', 'fine')), { qos: 1 });
        // Handed on as raw-bytes envelopes of the topic, in order, then the good one.
        for (const payload of foreign) {
          const raw = await receiveOne(queue, JSON.stringify(payload));
          expect([raw.message_type, raw.correlation_id, raw.getMessageAsString() ?? '']).toEqual([topic, null, payload]);
        }
        const good = await receiveOne(queue, 'the good envelope');
        expect([good.correlation_id, good.message_type, good.getMessageAsString()]).toEqual(['ok', 'good', 'fine']);
      }

      it("reported to an 'error' listener as an MqttError; the queue keeps working", async () => {
        const topic = `queue/foreign/${uniqueId()}`;
        const queue = await openQueue(cleanup, broker().url, { topic, 'options.serialize_envelope': true });
        const errors: unknown[] = [];
        queue.on('error', (error) => errors.push(error));
        const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
        await scenario(queue, topic);
        expect(errors.length).toBe(foreign.length);
        for (const error of errors) expect(error).toBeInstanceOf(MqttError);
        expect(warn).not.toHaveBeenCalled();
      });

      it("with no 'error' listener, a console.warn; the queue keeps working", async () => {
        const topic = `queue/foreign/${uniqueId()}`;
        const queue = await openQueue(cleanup, broker().url, { topic, 'options.serialize_envelope': true });
        const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
        await scenario(queue, topic);
        expect(warn).toHaveBeenCalledTimes(foreign.length);
      });
    });
  });
}

pipBugScenarios('mosquitto', describeWithMosquitto, () => startMosquitto());
pipBugScenarios('aedes', describe, () => startAedes());

// -------------------------------------------------------------------------------------------

describe("not Pip's bug: connect_timeout is honoured (#7: Pip reads options.max_reconnect, so it stays 30 s)", () => {
  /** A listener that accepts TCP connections and never says anything: no CONNACK, ever. */
  async function silentListener(): Promise<{ url: string; accepted: () => number; stop(): Promise<void> }> {
    const sockets = new Set<Socket>();
    let accepted = 0;
    const server = net.createServer((socket) => {
      accepted++;
      sockets.add(socket);
      socket.on('error', () => {});
      socket.once('close', () => sockets.delete(socket));
    });
    const port = await new Promise<number>((resolve) => server.listen({ port: 0, host: LOOPBACK }, () => resolve((server.address() as net.AddressInfo).port)));
    return {
      url: `mqtt://${LOOPBACK}:${port}`,
      accepted: () => accepted,
      stop: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        }),
    };
  }

  for (const retry of [true, false]) {
    it(`open() against a listener that never answers CONNACK rejects within about connect_timeout (retry_connect ${retry})`, async () => {
      const silent = cleanup.broker(await silentListener());
      const queue = makeQueue(cleanup, silent.url, { 'options.connect_timeout': 300, 'options.retry_connect': retry });
      // Bound, not a timing assertion: well under Pip's effective 30 s, generous over the 300 ms asked.
      const error = await rejectionOf(queue.open('c'), 'open() to give up', WAIT_MS);
      expect(error).toBeInstanceOf(MqttError);
      expect(queue.isOpen()).toBe(false);
      expect(silent.accepted()).toBeGreaterThanOrEqual(1);
      expectMqttError(await rejectionOf(queue.send('c', new MessageEnvelope('c', 't', 'x')), 'send after the failed open'), 'NOT_OPENED');
    });
  }
});
