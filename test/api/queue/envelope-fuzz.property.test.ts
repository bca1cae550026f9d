/**
 * The queue reads payloads other producers wrote: any bytes, any JSON. Each either parses as an
 * envelope or throws INVALID_PAYLOAD, and the queue's reading of a payload (envelopeOf) never
 * throws: what is not an envelope is reported and handed on as its own bytes, unchanged. What
 * parses keeps what it said: written again and read back, the same fields and body.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageEnvelope, MqttError } from '../../../src/api/queue/index.js';
import { envelopeOf } from '../../../src/api/queue/wire.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Field values as other ports (and broken producers) write them. */
const fieldValue = fc.oneof(
  fc.constant(null),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constantFrom('aGk=', 'aGk', 'aGl=', 'a', 'a===', '====', 'YWJj\nZGVm', 'a-_b', '2024-01-02T03:04:05.678Z', '2024-01-02T03:04:05.678901', ''),
  fc.jsonValue({ maxDepth: 1 }),
);
const envelopeLike = fc
  .dictionary(fc.constantFrom('message_id', 'correlation_id', 'trace_id', 'message_type', 'sent_time', 'message', 'other'), fieldValue, { maxKeys: 6 })
  .map((object) => JSON.stringify(object));
const payloadText = fc.oneof(envelopeLike, fc.json({ maxDepth: 2 }), fc.string({ maxLength: 60 }), envelopeLike.map((t) => `\ufeff${t}`));
const payloadBytes = fc.oneof(payloadText.map(utf8), fc.uint8Array({ maxLength: 80 }));

function parsed(payload: Uint8Array): MessageEnvelope | MqttError | null {
  try {
    return MessageEnvelope.fromBytes_(payload);
  } catch (error) {
    if (!(error instanceof MqttError)) throw error;
    return error;
  }
}

describe("MessageEnvelope from other producers' payloads", () => {
  it('any bytes: an envelope or INVALID_PAYLOAD; an envelope written again reads back the same (property)', () => {
    fc.assert(
      fc.property(payloadBytes, (payload) => {
        const result = parsed(payload);
        if (result instanceof MqttError) {
          expect([result.code, result.origin]).toEqual(['INVALID_PAYLOAD', 'caller']);
          return;
        }
        expect(result).not.toBeNull();
        const envelope = result!;
        const again = MessageEnvelope.fromJSON(envelope.toJSONText())!;
        expect([again.message_id, again.correlation_id, again.message_type]).toEqual([envelope.message_id, envelope.correlation_id, envelope.message_type]);
        expect(again.message === null ? null : [...again.message]).toEqual(envelope.message === null ? null : [...envelope.message]);
        if (envelope.sent_time !== null) expect(again.sent_time!.getTime()).toBe(envelope.sent_time.getTime());
      }),
      { numRuns: 10_000 },
    );
  });

  it("the queue's reading never throws: what is not an envelope is reported once and handed on byte for byte (property)", () => {
    fc.assert(
      fc.property(payloadBytes, fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }), (payload, packetId) => {
        const reports: unknown[] = [];
        const inbound = { topic: 't/x', payload, qos: packetId === undefined ? 0 : 1, retain: false, dup: false, ...(packetId === undefined ? {} : { packetId }) } as const;
        const envelope = envelopeOf(inbound, true, (error) => reports.push(error));
        if (parsed(payload) instanceof MqttError) {
          expect(reports).toHaveLength(1);
          expect(reports[0]).toBeInstanceOf(MqttError);
          expect([...envelope.message!]).toEqual([...payload]);
          expect(envelope.message_type).toBe('t/x');
        } else {
          expect(reports).toHaveLength(0);
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it('a base64 body is read as Buffer (and so Pip) reads it, for any bytes in standard or URL-safe digits (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), fc.boolean(), (bytes, urlSafe, unpadded) => {
        let body = Buffer.from(bytes).toString(urlSafe ? 'base64url' : 'base64');
        if (!urlSafe && unpadded) body = body.replace(/=+$/, '');
        const envelope = MessageEnvelope.fromJSON(JSON.stringify({ message: body }))!;
        expect([...envelope.message!]).toEqual([...bytes]);
      }),
      { numRuns: 2_000 },
    );
  });
});
