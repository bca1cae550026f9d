/**
 * MessageEnvelope (src/api/queue/envelope.ts) without a broker: the golden bytes captured from
 * pip-services3-mqtt-node 3.1.6 on the wire (shared/reference/pip-mqtt-queue.md, Addendum §3.1
 * #1-#3), parsing what other Pip ports write (§3.2: a hand-written external envelope, the minimal
 * `{"message":"aGk="}`, v4's `trace_id`, Python's spaced JSON with a zone-less `sent_time`), and
 * the accessors (§4.1). The same bytes on a real broker: integration.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageEnvelope, MqttError } from '../../../src/api/queue/index.js';
import { GOLDEN, goldenEnvelope } from './queue-helpers.js';

const utf8 = new TextEncoder();

describe('MessageEnvelope: golden bytes (reference Addendum §3.1)', () => {
  it('#1 captured hex: JSON.stringify of the tutorial envelope is the 159 captured bytes exactly', () => {
    const envelope = goldenEnvelope(1);
    const json = JSON.stringify(envelope);
    expect(Buffer.from(json, 'utf8').toString('hex')).toBe(GOLDEN[1].hex);
    expect(json).toBe(GOLDEN[1].json);
    expect(utf8.encode(json).length).toBe(159);
  });

  it('#2 object body {a:1,s:"é"}: base64 of its UTF-8 JSON, correlation_id null (168 bytes)', () => {
    const json = JSON.stringify(goldenEnvelope(2));
    expect(json).toBe(GOLDEN[2].json);
    expect(utf8.encode(json).length).toBe(168);
  });

  it('#3 null body: "message":null (145 bytes)', () => {
    const json = JSON.stringify(goldenEnvelope(3));
    expect(json).toBe(GOLDEN[3].json);
    expect(utf8.encode(json).length).toBe(145);
  });

  it('toJSON() keeps Pip\'s key order: message_id, correlation_id, message_type, sent_time, message', () => {
    expect(Object.keys(goldenEnvelope(1).toJSON())).toEqual(['message_id', 'correlation_id', 'message_type', 'sent_time', 'message']);
  });

  it('each golden payload parses back to the same envelope (fromJSON ∘ JSON.stringify is the identity on the wire)', () => {
    for (const n of [1, 2, 3] as const) {
      const parsed = MessageEnvelope.fromJSON(GOLDEN[n].json)!;
      expect(JSON.stringify(parsed)).toBe(GOLDEN[n].json);
    }
    expect(MessageEnvelope.fromJSON(GOLDEN[2].json)!.getMessageAs()).toEqual({ a: 1, s: 'é' });
  });

  it('a sent_time not yet set is written as the current time, ISO 8601 with milliseconds and Z', () => {
    const envelope = new MessageEnvelope('c', 't', 'x');
    expect(envelope.sent_time).toBeNull();
    const before = Date.now();
    const written = envelope.toJSON().sent_time;
    expect(written).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(written)).toBeGreaterThanOrEqual(before - 1);
  });

  it('base64 is standard with padding, for every remainder length, and round-trips all 256 byte values', () => {
    expect(new MessageEnvelope(null, 't', 'buffered-1').toJSON().message).toBe('YnVmZmVyZWQtMQ==');
    expect(new MessageEnvelope(null, 't', 'ab').toJSON().message).toBe('YWI=');
    expect(new MessageEnvelope(null, 't', 'abc').toJSON().message).toBe('YWJj');
    expect(new MessageEnvelope(null, 't', '').toJSON().message).toBe('');
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const json = JSON.stringify(new MessageEnvelope(null, 't', all));
    expect(JSON.parse(json).message).toBe(Buffer.from(all).toString('base64'));
    expect(Array.from(MessageEnvelope.fromJSON(json)!.message!)).toEqual(Array.from(all));
  });
});

describe('MessageEnvelope.toJSONText: the queue\'s fast path writes what JSON.stringify writes', () => {
  const text = fc.option(fc.string({ unit: 'binary', maxLength: 40 }), { nil: null });
  const body = fc.option(fc.uint8Array({ maxLength: 200 }), { nil: null });
  const time = fc.option(fc.date({ min: new Date(0), max: new Date(253402300799999), noInvalidDate: true }), { nil: null });

  it('for any ids, types, times and bodies (quotes, controls, lone surrogates included)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), text, text, time, body, (id, correlation, type, sent, message) => {
      const envelope = new MessageEnvelope(correlation, type, message);
      envelope.message_id = id;
      envelope.sent_time = sent ?? new Date(1_700_000_000_000);
      expect(envelope.toJSONText()).toBe(JSON.stringify(envelope));
      // and it parses back to the same fields
      const back = MessageEnvelope.fromJSON(envelope.toJSONText())!;
      expect([back.message_id, back.correlation_id, back.message_type, back.sent_time!.getTime()]).toEqual([id, correlation, type, envelope.sent_time.getTime()]);
      expect(back.message === null ? null : Array.from(back.message)).toEqual(message === null ? null : Array.from(message));
    }));
  });

  it('many envelopes in one millisecond each carry their own sent_time (the cached ISO text follows the time)', () => {
    const a = new MessageEnvelope(null, 't', 'a');
    const b = new MessageEnvelope(null, 't', 'b');
    a.sent_time = new Date(Date.UTC(2026, 10, 27, 22, 0, 0, 1));
    b.sent_time = new Date(Date.UTC(2026, 10, 27, 22, 0, 0, 2));
    expect(JSON.parse(a.toJSONText()).sent_time).toBe('2026-11-27T22:00:00.001Z');
    expect(JSON.parse(b.toJSONText()).sent_time).toBe('2026-11-27T22:00:00.002Z');
    expect(JSON.parse(a.toJSONText()).sent_time).toBe('2026-11-27T22:00:00.001Z');
  });

  it('an invalid sent_time is a typed error when written, and is read as null (not an Invalid Date)', () => {
    const envelope = new MessageEnvelope(null, 't', 'x');
    envelope.sent_time = new Date(Number.NaN);
    expect(() => envelope.toJSONText()).toThrow(expect.objectContaining({ code: 'INVALID_PAYLOAD' }));
    expect(() => JSON.stringify(envelope)).toThrow(expect.objectContaining({ code: 'INVALID_PAYLOAD' }));
    expect(MessageEnvelope.fromJSON('{"message_id":"m","sent_time":"yesterday","message":"aGk="}')!.sent_time).toBeNull();
  });
});

describe('MessageEnvelope.fromJSON: what other Pip ports write (reference §3.2, §4.2)', () => {
  it('the hand-written external envelope: every field read, sent_time a Date, text "hello"', () => {
    const envelope = MessageEnvelope.fromJSON(
      '{"message_id":"ext1","correlation_id":"x","message_type":"ext","sent_time":"2024-01-02T03:04:05.000Z","message":"aGVsbG8="}',
    )!;
    expect(envelope.message_id).toBe('ext1');
    expect(envelope.correlation_id).toBe('x');
    expect(envelope.message_type).toBe('ext');
    expect(envelope.sent_time).toBeInstanceOf(Date);
    expect(envelope.sent_time!.toISOString()).toBe('2024-01-02T03:04:05.000Z');
    expect(envelope.getMessageAsString()).toBe('hello');
  });

  it('the minimal {"message":"aGk="}: every other field optional, text "hi", sent_time null', () => {
    const envelope = MessageEnvelope.fromJSON('{"message":"aGk="}')!;
    expect(envelope.getMessageAsString()).toBe('hi');
    expect(envelope.correlation_id ?? null).toBeNull();
    expect(envelope.message_type ?? null).toBeNull();
    expect(envelope.sent_time).toBeNull();
    // Pip leaves message_id undefined; a string id (fresh or absent) is what we require.
    expect(envelope.message_id === undefined || typeof envelope.message_id === 'string').toBe(true);
  });

  it('v4 (pip-services4) writes trace_id: read as correlation_id', () => {
    const envelope = MessageEnvelope.fromJSON(
      '{"message_id":"2a46ec9ef86744aab0c4f41a4920b21c","trace_id":"t-42","message_type":"v4msg","sent_time":"2026-11-27T14:50:41.844Z","message":"QUJDMTIz"}',
    )!;
    expect(envelope.correlation_id).toBe('t-42');
    expect(envelope.message_type).toBe('v4msg');
    expect(envelope.getMessageAsString()).toBe('ABC123');
  });

  it('Python json.dumps (spaced separators) with a zone-less isoformat sent_time (local time, microseconds)', () => {
    const envelope = MessageEnvelope.fromJSON(
      '{"message_id": "abc", "correlation_id": "123", "message_type": "mymessage", "sent_time": "2024-01-02T03:04:05.123456", "message": "QUJDMTIz"}',
    )!;
    expect(envelope.message_id).toBe('abc');
    expect(envelope.correlation_id).toBe('123');
    expect(envelope.getMessageAsString()).toBe('ABC123');
    const sent = envelope.sent_time!;
    expect(sent).toBeInstanceOf(Date);
    expect(Number.isNaN(sent.getTime())).toBe(false);
    // Python's naive datetime is local time: the same wall-clock reading here, whatever TZ is.
    expect([sent.getFullYear(), sent.getMonth(), sent.getDate(), sent.getHours(), sent.getMinutes(), sent.getSeconds(), sent.getMilliseconds()]).toEqual([
      2024, 0, 2, 3, 4, 5, 123,
    ]);
  });

  it('null in, null out; text that is not an envelope throws an MqttError', () => {
    expect(MessageEnvelope.fromJSON(null)).toBeNull();
    expect(() => MessageEnvelope.fromJSON('not json')).toThrow(MqttError);
    expect(() => MessageEnvelope.fromJSON('[1,2]')).toThrow(MqttError);
  });
});

describe('MessageEnvelope: construction and accessors (reference §4.1)', () => {
  it('message_id is 32 lowercase hex digits, fresh per envelope', () => {
    const a = new MessageEnvelope('c', 't', 'x');
    const b = new MessageEnvelope('c', 't', 'x');
    expect(a.message_id).toMatch(/^[0-9a-f]{32}$/);
    expect(a.message_id).not.toBe(b.message_id);
  });

  it('strings are UTF-8; objects are JSON; null/undefined are null; correlation id and type default to null', () => {
    const s = new MessageEnvelope('c', 't', 'RAW-é');
    expect(Array.from(s.message!)).toEqual([0x52, 0x41, 0x57, 0x2d, 0xc3, 0xa9]);
    expect(new MessageEnvelope(null, 't', { a: 1 }).getMessageAsString()).toBe('{"a":1}');
    expect(new MessageEnvelope(null, 't', 42).getMessageAs()).toBe(42);
    expect(new MessageEnvelope(null, 't', null).message).toBeNull();
    expect(new MessageEnvelope(null, 't', undefined).getMessageAsString()).toBeNull();
    const bare = new MessageEnvelope(undefined, undefined);
    expect([bare.correlation_id, bare.message_type, bare.sent_time, bare.message]).toEqual([null, null, null, null]);
  });

  it('not Pip\'s bug: a Uint8Array or Buffer body stays bytes, not {"type":"Buffer",...}', () => {
    const raw = Uint8Array.of(0, 1, 2, 0xff);
    expect(Array.from(new MessageEnvelope(null, 't', raw).message!)).toEqual([0, 1, 2, 255]);
    const buffer = Buffer.from('ABC123');
    const fromBuffer = new MessageEnvelope(null, 't', buffer);
    expect(fromBuffer.getMessageAsString()).toBe('ABC123');
    expect(JSON.stringify(fromBuffer)).not.toContain('Buffer');
    expect(fromBuffer.toJSON().message).toBe('QUJDMTIz');
  });

  it('getMessageAsString/setMessageAsString, getMessageAs/setMessageAsObject and the v3 Json aliases', () => {
    const envelope = new MessageEnvelope('c', 't', null);
    expect(envelope.getMessageAsString()).toBeNull();
    expect(envelope.getMessageAs()).toBeNull();
    envelope.setMessageAsString('héllo');
    expect(envelope.getMessageAsString()).toBe('héllo');
    envelope.setMessageAsObject({ n: [1, 2] });
    expect(envelope.getMessageAs<{ n: number[] }>()).toEqual({ n: [1, 2] });
    expect(envelope.getMessageAsJson()).toEqual({ n: [1, 2] });
    envelope.setMessageAsJson('s');
    expect(envelope.getMessageAsString()).toBe('"s"');
    envelope.setMessageAsObject(null);
    expect(envelope.message).toBeNull();
  });

  it('toString() is [cid|---,type|---,first 50 bytes|---]', () => {
    expect(new MessageEnvelope('123', 'mymessage', 'ABC123').toString()).toBe('[123,mymessage,ABC123]');
    expect(new MessageEnvelope(null, null, null).toString()).toBe('[---,---,---]');
    const long = 'x'.repeat(60);
    expect(new MessageEnvelope('c', 't', long).toString()).toBe(`[c,t,${'x'.repeat(50)}]`);
  });

  it('getReference()/setReference() hold any value, undefined at first, and are not serialised', () => {
    const envelope = new MessageEnvelope('c', 't', 'x');
    expect(envelope.getReference()).toBeUndefined();
    const token = { lock: 1 };
    envelope.setReference(token);
    expect(envelope.getReference()).toBe(token);
    expect(JSON.stringify(envelope)).not.toContain('lock');
  });
});
