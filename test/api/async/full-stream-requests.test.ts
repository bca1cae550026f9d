/**
 * A consumer that awaits its own request — a QoS 1/2 publish, a subscribe — for each message it
 * takes from a full stream (found in review). The stream being full, the client has stopped
 * reading, and the broker's answer comes behind the messages it sent first: unless the client
 * reads on while a request awaits its answer, the consumer waits for an answer nobody reads,
 * and takes no message that would let reading resume — a deadlock, cut only by the timeout
 * (MQTTnet #731, rumqtt #1025 and fusesource/mqtt-client #21 are this bug in other clients).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encode } from '../../../src/packet/index.js';
import { startAedes } from '../../support/aedes.js';
import { startFakeBroker } from '../../support/fake-broker.js';
import { Cleanup, uniqueId } from '../../client/helpers.js';
import { bounded, connected, connectedOnFake } from './async-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const utf8 = new TextEncoder();

describe('a consumer awaiting its own requests while its stream is full', () => {
  it('gets the PUBACK, PUBCOMP and SUBACK the broker sends behind the messages it has not read', async () => {
    const broker = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    // No time limit: a deadlock shows as the bound below, not as a TIMEOUT the loop would absorb.
    const { client, conn } = await connectedOnFake(cleanup, broker, { maxQueuedMessages: 2, timeout: Infinity });
    const handled: string[] = [];
    const loop = (async () => {
      for await (const message of client.messages) {
        const n = Number(message.text());
        if (n % 3 === 2) await client.subscribe(`more/${n}`, { qos: 1 });
        else await client.publish('out', message.payload, { qos: n % 3 === 0 ? 1 : 2 });
        handled.push(message.text());
        if (handled.length === 6) return;
      }
    })();
    // Six messages in one read: one to the consumer, the rest fill the stream (capacity 2) and more.
    const messages = [0, 1, 2, 3, 4, 5].map((n) => encode({ type: 'publish', topic: 'in', payload: utf8.encode(String(n)), qos: 0, dup: false, retain: false }));
    await conn.sendRaw(Buffer.concat(messages));
    for (let n = 0; n < 6; n++) {
      const request = await conn.next();
      if (request.type === 'subscribe') {
        await conn.send({ type: 'suback', packetId: request.packetId, granted: [1] });
      } else if (request.type === 'publish' && request.qos === 1) {
        await conn.send({ type: 'puback', packetId: request.packetId! });
      } else if (request.type === 'publish') {
        await conn.send({ type: 'pubrec', packetId: request.packetId! });
        await conn.expect('pubrel');
        await conn.send({ type: 'pubcomp', packetId: request.packetId! });
      } else {
        throw new Error(`unexpected ${request.type}`);
      }
    }
    await bounded(loop, 'the consumer to handle all six messages');
    expect(handled).toEqual(['0', '1', '2', '3', '4', '5']);
  });

  it('on aedes: a burst ten times the stream, each message answered with a QoS 1 publish, all handled in order', async () => {
    const broker = cleanup.broker(await startAedes());
    const topic = `burst/${uniqueId()}`;
    const consumer = await connected(cleanup, broker.url, { maxQueuedMessages: 5, timeout: Infinity });
    await consumer.subscribe(topic, { qos: 0 });
    const producer = await connected(cleanup, broker.url);
    const COUNT = 50;
    const handled: number[] = [];
    const loop = (async () => {
      for await (const message of consumer.messages) {
        await consumer.publish(`${topic}/reply`, message.payload, { qos: 1 });
        handled.push(Number(message.text()));
        if (handled.length === COUNT) return;
      }
    })();
    await Promise.all(Array.from({ length: COUNT }, (_, i) => producer.publish(topic, i)));
    await bounded(loop, `the consumer to handle ${COUNT} messages`);
    expect(handled).toEqual(Array.from({ length: COUNT }, (_, i) => i));
  });
});
