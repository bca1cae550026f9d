/**
 * Payloads other producers publish to a serialize_envelope queue (found in review): what is not
 * an envelope — JSON without one envelope field, a `message` that is not base64 text, fields of
 * the wrong type — is a typed INVALID_PAYLOAD, so the queue reports it and hands the bytes on
 * raw, instead of an envelope whose body is silently lost or garbage. And what send() writes is
 * always JSON a Pip consumer can parse, whatever a JavaScript caller left undefined.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MessageEnvelope, MqttError } from '../../../src/api/queue/index.js';
import { startAedes } from '../../support/aedes.js';
import { Cleanup } from '../../client/helpers.js';
import { connected, openQueue, receiveOne, sniffer, uniqueId } from './queue-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const invalid = (json: string): void => {
  expect(() => MessageEnvelope.fromJSON(json), json).toThrow(expect.objectContaining({ code: 'INVALID_PAYLOAD' }));
};

describe('MessageEnvelope.fromJSON: what is not an envelope is a typed error, not a lost or garbled body', () => {
  it('JSON objects with no envelope field ({"temp":21}, {}) are not envelopes', () => {
    invalid('{"temp":21}');
    invalid('{}');
  });

  it('a `message` that is not a string (object, number, array, boolean) is refused', () => {
    for (const body of ['{"a":1}', '123', '[1,2]', 'true']) invalid(`{"message_id":"m","message":${body}}`);
  });

  it('a `message` that is not base64 text is refused; standard, URL-safe, unpadded and wrapped base64 are read', () => {
    for (const body of ['hello world!', 'aGk=aGk=', 'a', 'aGk===', '%%%%']) invalid(`{"message":${JSON.stringify(body)}}`);
    const read = (body: string): string | null => MessageEnvelope.fromJSON(`{"message":${JSON.stringify(body)}}`)!.getMessageAsString();
    expect([read('aGk='), read('aGk'), read(''), read('-_8='), read('QUJD\nMTIz')]).toEqual(['hi', 'hi', '', '\ufffd\ufffd', 'ABC123']);
  });

  it('ids and type of an object or boolean type are refused; numbers are read as their text', () => {
    invalid('{"message":"aGk=","correlation_id":{"x":1}}');
    invalid('{"message":"aGk=","message_type":["a"]}');
    invalid('{"message":"aGk=","message_id":true}');
    const envelope = MessageEnvelope.fromJSON('{"message_id":7,"correlation_id":42,"message":"aGk="}')!;
    expect([envelope.message_id, envelope.correlation_id]).toEqual(['7', '42']);
  });

  it('a sent_time given as epoch milliseconds is read as that time (as Pip\'s DateTimeConverter does)', () => {
    const envelope = MessageEnvelope.fromJSON('{"message":"aGk=","sent_time":1700000000000}')!;
    expect(envelope.sent_time?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
  });
});

describe('MessageEnvelope.toJSONText: always JSON, as JSON.stringify(envelope) reads', () => {
  it('fields a JavaScript caller left undefined are written as null, not as the bare word undefined', () => {
    const envelope = new MessageEnvelope('c', 't', 'x');
    envelope.sent_time = new Date('2026-11-27T14:50:41.844Z');
    const loose = envelope as unknown as Record<string, unknown>;
    loose.correlation_id = undefined;
    loose.message_type = undefined;
    const text = envelope.toJSONText();
    const parsed = JSON.parse(text) as Record<string, unknown>;
    expect([parsed.correlation_id, parsed.message_type, parsed.message]).toEqual([null, null, 'eA==']);
    expect(JSON.parse(JSON.stringify(envelope))).toEqual(parsed);
  });
});

describe('a serialize_envelope queue on aedes: foreign JSON is reported and handed on raw', () => {
  it('{"temp":21} and a non-base64 message arrive as raw-bytes envelopes of the topic, each reported', async () => {
    const broker = cleanup.broker(await startAedes());
    const topic = `queue/foreign-json/${uniqueId()}`;
    const queue = await openQueue(cleanup, broker.url, { topic, 'options.serialize_envelope': true });
    const errors: unknown[] = [];
    queue.on('error', (error) => errors.push(error));
    const publisher = await connected(cleanup, broker.url);
    const foreign = ['{"temp":21}', '{"message":"hello world!"}', '{"message":{"a":1}}'];
    for (const payload of foreign) await publisher.publish(topic, payload, { qos: 1 });
    for (const payload of foreign) {
      const raw = await receiveOne(queue, payload);
      expect([raw.message_type, raw.correlation_id, raw.getMessageAsString()]).toEqual([topic, null, payload]);
    }
    expect(errors.length).toBe(foreign.length);
    for (const error of errors) expect((error as MqttError).code).toBe('INVALID_PAYLOAD');
  });

  it('send() of an envelope with an undefined correlation_id publishes JSON (what a Pip consumer parses)', async () => {
    const broker = cleanup.broker(await startAedes());
    const topic = `queue/undefined-field/${uniqueId()}`;
    const queue = await openQueue(cleanup, broker.url, { topic, 'options.serialize_envelope': true });
    const wire = await sniffer(cleanup, broker.url, topic);
    const envelope = new MessageEnvelope('c', 't', 'x');
    (envelope as unknown as Record<string, unknown>).correlation_id = undefined;
    await queue.send('c', envelope);
    const parsed = JSON.parse((await wire.next()).text()) as Record<string, unknown>;
    expect(parsed.correlation_id).toBeNull();
  });
});
