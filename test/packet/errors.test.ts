/**
 * Every encoder refusal and decoder rejection, with its error code and the normative statement
 * it reports. Decoder inputs are hand-built bytes (arbitraries.ts `frame`/`field`), never our
 * encoder's output, and go through both decodePacket and PacketDecoder.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { MqttError, MqttProtocolError, PacketDecoder, decodePacket, encode, encodeInto, encodedLength } from '../../src/packet/index.js';
import type { Packet, ProtocolErrorCode } from '../../src/packet/index.js';
import { CONNECT_PROTOCOL, connect, field, frame, mqttString, normalize, str, topicLevel, u16, varint } from './arbitraries.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function expectError(fn: () => unknown, code: ProtocolErrorCode, statement?: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(MqttProtocolError);
  expect((caught as MqttProtocolError).code).toBe(code);
  if (statement !== undefined) expect((caught as MqttProtocolError).statement).toBe(statement);
}

/** encode, encodedLength and encodeInto all refuse `p` the same way (before any size check). */
function expectEncodeError(p: unknown, code: ProtocolErrorCode, statement?: string): void {
  expectError(() => encode(p as Packet), code, statement);
  expectError(() => encodedLength(p as Packet), code, statement);
  const target = new Uint8Array(8);
  expectError(() => encodeInto(p as Packet, target, 0), code, statement);
  expect(target.every((x) => x === 0)).toBe(true);
}

/** decodePacket and a fresh PacketDecoder both reject the whole-packet `bytes`. */
function expectDecodeError(bytes: Uint8Array, code: ProtocolErrorCode, statement?: string): void {
  expectError(() => decodePacket(bytes), code, statement);
  expectError(() => new PacketDecoder().push(bytes), code, statement);
}

const EMPTY = new Uint8Array(0);
const publish = (topic: string): Packet => ({ type: 'publish', topic, payload: EMPTY, qos: 0, dup: false, retain: false });
const conn = (extra: Record<string, unknown> = {}): Packet => ({ type: 'connect', clientId: 'c', keepalive: 0, cleanSession: true, ...extra }) as Packet;

/** Packets with one string field set to `s`, for the encoder. */
const STRING_FIELDS: [string, string, (s: string) => Packet][] = [
  ['[MQTT-3.3.2-1]', 'PUBLISH topic name', publish],
  ['[MQTT-3.1.3-4]', 'CONNECT client id', (s) => conn({ clientId: s })],
  ['[MQTT-3.1.3-10]', 'CONNECT will topic', (s) => conn({ will: { topic: s, payload: EMPTY, qos: 0, retain: false } })],
  ['[MQTT-3.1.3-11]', 'CONNECT user name', (s) => conn({ username: s })],
  ['[MQTT-3.8.3-1]', 'SUBSCRIBE topic filter', (s) => ({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: s, qos: 0 }] })],
  ['[MQTT-3.10.3-1]', 'UNSUBSCRIBE topic filter', (s) => ({ type: 'unsubscribe', packetId: 1, topics: [s] })],
];

/** Packets with one string field holding the raw bytes `raw`, for the decoder. */
const RAW_STRING_FIELDS: [string, (raw: readonly number[]) => Uint8Array][] = [
  ['PUBLISH topic name', (raw) => frame(0x30, field(raw))],
  ['CONNECT client id', (raw) => frame(0x10, [...CONNECT_PROTOCOL, 0x02, 0, 0, ...field(raw)])],
  ['CONNECT will topic', (raw) => frame(0x10, [...CONNECT_PROTOCOL, 0x06, 0, 0, ...str('c'), ...field(raw), 0, 0])],
  ['CONNECT user name', (raw) => frame(0x10, [...CONNECT_PROTOCOL, 0x82, 0, 0, ...str('c'), ...field(raw)])],
  ['SUBSCRIBE topic filter', (raw) => frame(0x82, [0, 1, ...field(raw), 0x00])],
  ['UNSUBSCRIBE topic filter', (raw) => frame(0xa2, [0, 1, ...field(raw)])],
];

// ---------------------------------------------------------------------------------------------
// Strings (1.5.3)
// ---------------------------------------------------------------------------------------------

describe('UTF-8 strings', () => {
  const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff', 'a\ud83d', '\ude00b', '\udc00\ud800', 'x\ud83d\ud83d\ude00'];

  it.each(STRING_FIELDS)('[MQTT-1.5.3-1] %s the encoder refuses a lone surrogate in the %s', (_id, _name, make) => {
    for (const s of LONE_SURROGATES) expectEncodeError(make(s), 'INVALID_UTF8', 'MQTT-1.5.3-1');
  });

  it.each(STRING_FIELDS)('[MQTT-1.5.3-2] [MQTT-4.7.3-2] %s the encoder refuses U+0000 in the %s', (_id, _name, make) => {
    for (const s of ['\u0000', 'a\u0000', '\u0000b', 'é\u0000', '😀\u0000x']) expectEncodeError(make(s), 'NULL_CHARACTER', 'MQTT-1.5.3-2');
  });

  it('[MQTT-1.5.3-2] [MQTT-4.7.3-2] a freshly loaded codec refuses U+0000 as the very first topic name it sees', async () => {
    // Module state (a last-topic cache) must not let any string skip validation.
    vi.resetModules();
    const fresh = await import('../../src/packet/index.js');
    expect(fresh.isValidTopicName('\u0000')).toBe(false);
    expect(() => fresh.encode(publish('\u0000'))).toThrow(expect.objectContaining({ code: 'NULL_CHARACTER', statement: 'MQTT-1.5.3-2' }));
    expect(() => fresh.encode(conn({ will: { topic: '\u0000', payload: EMPTY, qos: 0, retain: false } }))).toThrow(
      expect.objectContaining({ code: 'NULL_CHARACTER', statement: 'MQTT-1.5.3-2' }),
    );
  });

  it('topic validation gives the same answer for a non-string (a JS caller\'s mistake) before and after a valid topic was seen', async () => {
    const outcome = (fn: () => unknown): string => {
      try {
        return `returned ${String(fn())}`;
      } catch (error) {
        return `threw ${(error as Error).name}`;
      }
    };
    for (const bad of [undefined, null, 42]) {
      vi.resetModules();
      const fresh = await import('../../src/packet/index.js');
      const cold = outcome(() => fresh.isValidTopicName(bad as unknown as string));
      const coldLength = outcome(() => fresh.encodedLength({ ...publish('x'), topic: bad } as unknown as Packet));
      fresh.validateTopicName('warm/up');
      expect(cold).toBe(outcome(() => fresh.isValidTopicName(bad as unknown as string)));
      expect(coldLength).toBe(outcome(() => fresh.encodedLength({ ...publish('x'), topic: bad } as unknown as Packet)));
      expect(cold).not.toBe('returned true');
    }
  });

  it('[MQTT-1.5.3-1] [MQTT-1.5.3-2] the encoder refuses a lone surrogate or U+0000 anywhere in any string field', () => {
    const bad = fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff');
    fc.assert(
      fc.property(fc.constantFrom(...STRING_FIELDS), topicLevel, bad, topicLevel, ([, , make], before, b, after) => {
        const s = before + b + after;
        if (b === '\u0000') expectEncodeError(make(s), 'NULL_CHARACTER', 'MQTT-1.5.3-2');
        else expectEncodeError(make(s), 'INVALID_UTF8', 'MQTT-1.5.3-1');
      }),
      { numRuns: 500 },
    );
  });

  const BAD_UTF8: [string, number[]][] = [
    ['encoded U+D800', [0xed, 0xa0, 0x80]],
    ['encoded U+DFFF', [0xed, 0xbf, 0xbf]],
    ['a CESU-8 surrogate pair', [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]],
    ['overlong U+0000 (C0 80)', [0xc0, 0x80]],
    ['overlong C1 BF', [0xc1, 0xbf]],
    ['overlong three-byte form', [0xe0, 0x80, 0xaf]],
    ['overlong four-byte form', [0xf0, 0x80, 0x80, 0xaf]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['lead byte F5', [0xf5, 0x80, 0x80, 0x80]],
    ['a five-byte form', [0xf8, 0x88, 0x80, 0x80, 0x80]],
    ['byte FF', [0x61, 0xff]],
    ['byte FE', [0xfe]],
    ['a lone continuation byte', [0x80]],
    ['a truncated two-byte sequence', [0x61, 0xc3]],
    ['a truncated three-byte sequence', [0xe2, 0x82]],
    ['a truncated four-byte sequence', [0xf0, 0x9f, 0x98]],
    ['a bad continuation byte', [0xc3, 0x61]],
  ];

  describe.each(RAW_STRING_FIELDS)('decoding the %s', (_name, make) => {
    it.each(BAD_UTF8)('[MQTT-1.5.3-1] rejects %s', (_what, raw) => {
      expectDecodeError(make(raw), 'INVALID_UTF8', 'MQTT-1.5.3-1');
    });

    it('[MQTT-1.5.3-2] [MQTT-4.7.3-2] rejects U+0000, before or after non-ASCII text', () => {
      for (const raw of [[0x00], [0x61, 0x00], [0xc3, 0xa9, 0x00], [0x00, 0xc3, 0xa9]]) expectDecodeError(make(raw), 'NULL_CHARACTER', 'MQTT-1.5.3-2');
    });
  });

  it('[MQTT-1.5.3-1] [MQTT-1.5.3-2] the decoder accepts exactly well-formed UTF-8 (agreeing with a fatal TextDecoder) without U+0000', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const interesting = fc.constantFrom(0x00, 0x23, 0x2b, 0x2f, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff);
    const bytes = fc.oneof(
      fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), interesting), { maxLength: 12 }),
      mqttString(8).map((s) => [...Buffer.from(s, 'utf8')]),
      fc
        .tuple(mqttString(8).filter((s) => s.length > 0), fc.nat(), fc.integer({ min: 0, max: 255 }))
        .map(([s, at, byte]) => {
          const b = [...Buffer.from(s, 'utf8')];
          b[at % b.length] = byte;
          return b;
        }),
    );
    fc.assert(
      fc.property(bytes, (raw) => {
        let text: string | undefined;
        try {
          text = fatal.decode(Uint8Array.from(raw));
        } catch {
          text = undefined;
        }
        const packet = frame(0x30, field(raw));
        if (text === undefined) {
          // The first problem in byte order is reported: a U+0000 may come before the bad byte.
          if (raw.includes(0)) expect(() => decodePacket(packet)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(INVALID_UTF8|NULL_CHARACTER)$/) }));
          else expectError(() => decodePacket(packet), 'INVALID_UTF8', 'MQTT-1.5.3-1');
        } else if (text.includes('\u0000')) {
          expectError(() => decodePacket(packet), 'NULL_CHARACTER', 'MQTT-1.5.3-2');
        } else if (text.length === 0) {
          expectError(() => decodePacket(packet), 'INVALID_TOPIC', 'MQTT-4.7.3-1');
        } else if (text.includes('+') || text.includes('#')) {
          expectError(() => decodePacket(packet), 'INVALID_TOPIC', 'MQTT-3.3.2-2');
        } else {
          expect(decodePacket(packet)).toMatchObject({ type: 'publish', topic: text });
        }
      }),
      { numRuns: 1000 },
    );
  });

  const TOO_LONG: [string, string][] = [
    ['65,536 ASCII bytes', 'a'.repeat(65_536)],
    ['32,768 two-byte characters (65,536 bytes)', 'é'.repeat(32_768)],
    ['21,846 three-byte characters (65,538 bytes)', '中'.repeat(21_846)],
    ['16,384 astral characters (65,536 bytes)', '😀'.repeat(16_384)],
  ];
  const LONGEST: [string, string][] = [
    ['65,535 ASCII bytes', 'a'.repeat(65_535)],
    ['32,767 two-byte characters and one ASCII', 'é'.repeat(32_767) + 'a'],
    ['16,383 astral characters and three ASCII', '😀'.repeat(16_383) + 'abc'],
  ];

  it.each(STRING_FIELDS)('[MQTT-4.7.3-3] %s the %s is refused over 65,535 bytes of UTF-8, accepted at exactly 65,535', (_id, _name, make) => {
    for (const [, s] of TOO_LONG) expectEncodeError(make(s), 'STRING_TOO_LONG');
    for (const [, s] of LONGEST) expect(normalize(decodePacket(encode(make(s))))).toStrictEqual(normalize(make(s)));
  });

  it('the will message and the password are refused over 65,535 bytes, accepted at exactly 65,535', () => {
    const max = new Uint8Array(65_535);
    const over = new Uint8Array(65_536);
    expectEncodeError(conn({ will: { topic: 't', payload: over, qos: 0, retain: false } }), 'STRING_TOO_LONG');
    expectEncodeError(conn({ username: 'u', password: over }), 'STRING_TOO_LONG');
    expect(encodedLength(conn({ will: { topic: 't', payload: max, qos: 0, retain: false }, username: 'u', password: max }))).toBeGreaterThan(131_070);
  });
});

// ---------------------------------------------------------------------------------------------
// Packet identifiers (2.3.1)
// ---------------------------------------------------------------------------------------------

describe('packet identifiers', () => {
  const WITH_ID: [string, (id: unknown) => unknown][] = [
    ['PUBLISH QoS 1', (id) => ({ type: 'publish', topic: 't', payload: EMPTY, qos: 1, dup: false, retain: false, packetId: id })],
    ['PUBLISH QoS 2', (id) => ({ type: 'publish', topic: 't', payload: EMPTY, qos: 2, dup: false, retain: false, packetId: id })],
    ['PUBACK', (id) => ({ type: 'puback', packetId: id })],
    ['PUBREC', (id) => ({ type: 'pubrec', packetId: id })],
    ['PUBREL', (id) => ({ type: 'pubrel', packetId: id })],
    ['PUBCOMP', (id) => ({ type: 'pubcomp', packetId: id })],
    ['SUBSCRIBE', (id) => ({ type: 'subscribe', packetId: id, subscriptions: [{ topic: 't', qos: 0 }] })],
    ['SUBACK', (id) => ({ type: 'suback', packetId: id, granted: [0] })],
    ['UNSUBSCRIBE', (id) => ({ type: 'unsubscribe', packetId: id, topics: ['t'] })],
    ['UNSUBACK', (id) => ({ type: 'unsuback', packetId: id })],
  ];

  it.each(WITH_ID)('[MQTT-2.3.1-1] the encoder refuses a %s with packet id 0 (or outside 1..65535, or missing)', (_name, make) => {
    for (const id of [0, 65_536, -1, 1.5, Number.NaN, undefined, '1']) expectEncodeError(make(id), 'INVALID_PACKET_ID', 'MQTT-2.3.1-1');
    expect(() => encode(make(1) as Packet)).not.toThrow();
    expect(() => encode(make(65_535) as Packet)).not.toThrow();
  });

  const ZERO_ID: [string, Uint8Array][] = [
    ['PUBLISH QoS 1', frame(0x32, [...str('t'), 0, 0])],
    ['PUBLISH QoS 2', frame(0x34, [...str('t'), 0, 0, 0xaa])],
    ['PUBACK', frame(0x40, [0, 0])],
    ['PUBREC', frame(0x50, [0, 0])],
    ['PUBREL', frame(0x62, [0, 0])],
    ['PUBCOMP', frame(0x70, [0, 0])],
    ['SUBSCRIBE', frame(0x82, [0, 0, ...str('t'), 0])],
    ['SUBACK', frame(0x90, [0, 0, 0])],
    ['UNSUBSCRIBE', frame(0xa2, [0, 0, ...str('t')])],
    ['UNSUBACK', frame(0xb0, [0, 0])],
  ];

  it.each(ZERO_ID)('[MQTT-2.3.1-1] the decoder rejects a %s with packet id 0', (_name, bytes) => {
    expectDecodeError(bytes, 'INVALID_PACKET_ID', 'MQTT-2.3.1-1');
  });

  it('[MQTT-2.3.1-5] the encoder refuses a packet id on a QoS 0 PUBLISH', () => {
    expectEncodeError({ type: 'publish', topic: 't', payload: EMPTY, qos: 0, dup: false, retain: false, packetId: 1 }, 'INVALID_PACKET_ID', 'MQTT-2.3.1-5');
  });
});

// ---------------------------------------------------------------------------------------------
// PUBLISH (3.3) and topic names / filters (4.7)
// ---------------------------------------------------------------------------------------------

describe('PUBLISH', () => {
  it('[MQTT-3.3.1-4] the encoder refuses QoS 3 (and any other non-QoS)', () => {
    for (const qos of [3, -1, 1.5, '1', undefined]) {
      expectEncodeError({ type: 'publish', topic: 't', payload: EMPTY, qos, dup: false, retain: false, packetId: 1 }, 'INVALID_QOS', 'MQTT-3.3.1-4');
    }
  });

  it('[MQTT-3.3.1-4] the decoder rejects both QoS bits set, from the first byte alone', () => {
    for (const first of [0x36, 0x37, 0x3e, 0x3f]) {
      expectDecodeError(frame(first, [...str('t'), 0, 1]), 'INVALID_QOS', 'MQTT-3.3.1-4');
      expectError(() => new PacketDecoder().push(Uint8Array.of(first)), 'INVALID_QOS', 'MQTT-3.3.1-4');
    }
  });

  it('[MQTT-3.3.1-2] the encoder refuses DUP on a QoS 0 PUBLISH', () => {
    expectEncodeError({ type: 'publish', topic: 't', payload: EMPTY, qos: 0, dup: true, retain: false }, 'MALFORMED_PACKET', 'MQTT-3.3.1-2');
  });

  it('the encoder refuses a payload that is not a Uint8Array', () => {
    expectEncodeError({ type: 'publish', topic: 't', payload: 'text', qos: 0, dup: false, retain: false }, 'MALFORMED_PACKET');
  });

  const WILDCARD_TOPICS = ['#', '+', 'a/#', 'a/+', '+/a', 'a+b', 'a#b', 'sport/tennis/#'];

  it('[MQTT-3.3.2-2] [MQTT-4.7.1-1] the encoder refuses wildcards in a PUBLISH topic name and in a will topic', () => {
    for (const t of WILDCARD_TOPICS) {
      expectEncodeError(publish(t), 'INVALID_TOPIC', 'MQTT-3.3.2-2');
      expectEncodeError(conn({ will: { topic: t, payload: EMPTY, qos: 0, retain: false } }), 'INVALID_TOPIC', 'MQTT-3.3.2-2');
    }
  });

  it('[MQTT-3.3.2-2] [MQTT-4.7.1-1] the decoder rejects wildcards in a PUBLISH topic name', () => {
    for (const t of WILDCARD_TOPICS) expectDecodeError(frame(0x30, str(t)), 'INVALID_TOPIC', 'MQTT-3.3.2-2');
  });

  it('[MQTT-4.7.1-1] the decoder rejects wildcards in a will topic', () => {
    for (const t of WILDCARD_TOPICS) {
      expectDecodeError(frame(0x10, [...CONNECT_PROTOCOL, 0x06, 0, 0, ...str('c'), ...str(t), 0, 0]), 'INVALID_TOPIC', 'MQTT-4.7.1-1');
    }
  });

  it('[MQTT-4.7.3-1] an empty topic name is refused by the encoder and rejected by the decoder', () => {
    expectEncodeError(publish(''), 'INVALID_TOPIC', 'MQTT-4.7.3-1');
    expectDecodeError(frame(0x30, [0, 0]), 'INVALID_TOPIC', 'MQTT-4.7.3-1');
    expectDecodeError(frame(0x32, [0, 0, 0, 1]), 'INVALID_TOPIC', 'MQTT-4.7.3-1');
  });

  it('[MQTT-4.7.3-1] an empty will topic is refused by the encoder', () => {
    expectEncodeError(conn({ will: { topic: '', payload: EMPTY, qos: 0, retain: false } }), 'INVALID_TOPIC', 'MQTT-4.7.3-1');
  });

  it('[MQTT-4.7.3-1] an empty will topic is rejected by the decoder, citing the empty-topic rule', () => {
    expectDecodeError(frame(0x10, [...CONNECT_PROTOCOL, 0x06, 0, 0, ...str('c'), 0, 0, 0, 0]), 'INVALID_TOPIC', 'MQTT-4.7.3-1');
  });
});

describe('topic filters in SUBSCRIBE and UNSUBSCRIBE', () => {
  const MISPLACED_HASH = ['a#', '#a', 'a/#/b', '#/', '##', 'a/b#', '#/#', '#+', 'a/#/'];
  const MISPLACED_PLUS = ['a+', '+a', 'a/+b', 'a/b+/c', '++', '+#', 'a/++', '+a/b'];

  const subscribe = (f: string): Packet => ({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'ok/+', qos: 0 }, { topic: f, qos: 1 }] });
  const unsubscribe = (f: string): Packet => ({ type: 'unsubscribe', packetId: 1, topics: ['ok/#', f] });

  it.each(MISPLACED_HASH)('[MQTT-4.7.1-2] "%s" is refused by the encoder and rejected by the decoder', (f) => {
    expectEncodeError(subscribe(f), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.1-2');
    expectEncodeError(unsubscribe(f), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.1-2');
    expectDecodeError(frame(0x82, [0, 1, ...str(f), 0]), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.1-2');
    expectDecodeError(frame(0xa2, [0, 1, ...str(f)]), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.1-2');
  });

  it.each(MISPLACED_PLUS)('[MQTT-4.7.1-3] "%s" is refused by the encoder and rejected by the decoder', (f) => {
    expectEncodeError(subscribe(f), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.1-3');
    expectEncodeError(unsubscribe(f), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.1-3');
    expectDecodeError(frame(0x82, [0, 1, ...str(f), 0]), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.1-3');
    expectDecodeError(frame(0xa2, [0, 1, ...str(f)]), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.1-3');
  });

  it('[MQTT-4.7.3-1] an empty topic filter is refused by the encoder and rejected by the decoder', () => {
    expectEncodeError(subscribe(''), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.3-1');
    expectEncodeError(unsubscribe(''), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.3-1');
    expectDecodeError(frame(0x82, [0, 1, 0, 0, 0]), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.3-1');
    expectDecodeError(frame(0xa2, [0, 1, 0, 0]), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.3-1');
  });

  it('[MQTT-3.8.3-3] an empty SUBSCRIBE is refused by the encoder and rejected by the decoder', () => {
    expectEncodeError({ type: 'subscribe', packetId: 1, subscriptions: [] }, 'EMPTY_SUBSCRIPTION', 'MQTT-3.8.3-3');
    expectEncodeError({ type: 'subscribe', packetId: 1 }, 'EMPTY_SUBSCRIPTION', 'MQTT-3.8.3-3');
    expectDecodeError(frame(0x82, [0, 1]), 'EMPTY_SUBSCRIPTION', 'MQTT-3.8.3-3');
  });

  it('[MQTT-3.10.3-2] an empty UNSUBSCRIBE is refused by the encoder and rejected by the decoder', () => {
    expectEncodeError({ type: 'unsubscribe', packetId: 1, topics: [] }, 'EMPTY_SUBSCRIPTION', 'MQTT-3.10.3-2');
    expectDecodeError(frame(0xa2, [0, 1]), 'EMPTY_SUBSCRIPTION', 'MQTT-3.10.3-2');
  });

  it('[MQTT-3.8.3-4] the decoder rejects every requested-QoS byte with reserved bits set or QoS 3', () => {
    for (let byte = 3; byte <= 0xff; byte++) {
      expectDecodeError(frame(0x82, [0, 1, ...str('a'), 0x01, ...str('b'), byte]), 'INVALID_QOS', 'MQTT-3.8.3-4');
    }
  });

  it('[MQTT-3.8.3-4] the encoder refuses a requested QoS other than 0, 1, 2', () => {
    for (const qos of [3, -1, 0x81, 1.5]) expectEncodeError({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 't', qos }] }, 'INVALID_QOS');
  });
});

// ---------------------------------------------------------------------------------------------
// SUBACK (3.9)
// ---------------------------------------------------------------------------------------------

describe('SUBACK', () => {
  const VALID = new Set([0x00, 0x01, 0x02, 0x80]);

  it('[MQTT-3.9.3-2] the decoder rejects every return code but 0x00, 0x01, 0x02, 0x80, in any position', () => {
    for (let code = 0; code <= 0xff; code++) {
      if (VALID.has(code)) continue;
      expectDecodeError(frame(0x90, [0, 1, code]), 'INVALID_SUBACK_CODE', 'MQTT-3.9.3-2');
      expectDecodeError(frame(0x90, [0, 1, 0x80, 0x02, code]), 'INVALID_SUBACK_CODE', 'MQTT-3.9.3-2');
    }
  });

  it('[MQTT-3.9.3-2] the encoder refuses return codes other than 0x00, 0x01, 0x02, 0x80', () => {
    for (const code of [3, 0x7f, 0x81, 0xff, -1, 1.5]) expectEncodeError({ type: 'suback', packetId: 1, granted: [0, code] }, 'INVALID_SUBACK_CODE', 'MQTT-3.9.3-2');
  });

  it('a SUBACK without return codes is refused by the encoder and rejected by the decoder', () => {
    expectEncodeError({ type: 'suback', packetId: 1, granted: [] }, 'INVALID_SUBACK_CODE');
    expectDecodeError(frame(0x90, [0, 1]), 'INVALID_SUBACK_CODE');
  });
});

// ---------------------------------------------------------------------------------------------
// CONNECT and CONNACK (3.1, 3.2)
// ---------------------------------------------------------------------------------------------

describe('CONNECT', () => {
  /** A CONNECT with the given flags byte and payload fields. */
  const connectBytes = (flags: number, payload: number[]): Uint8Array => frame(0x10, [...CONNECT_PROTOCOL, flags, 0, 0, ...payload]);

  it('[MQTT-3.1.2-22] a password without a user name is refused by the encoder and rejected by the decoder', () => {
    expectEncodeError(conn({ password: Uint8Array.of(1) }), 'INVALID_CONNECT', 'MQTT-3.1.2-22');
    expectDecodeError(connectBytes(0x42, [...str('c'), 0, 1, 0x70]), 'INVALID_CONNECT', 'MQTT-3.1.2-22');
  });

  it('[MQTT-3.1.2-14] will QoS 3 is refused by the encoder and rejected by the decoder', () => {
    expectEncodeError(conn({ will: { topic: 't', payload: EMPTY, qos: 3, retain: false } }), 'INVALID_QOS', 'MQTT-3.1.2-14');
    expectDecodeError(connectBytes(0x1e, [...str('c'), ...str('t'), 0, 0]), 'INVALID_QOS', 'MQTT-3.1.2-14');
  });

  it('the encoder refuses a will whose retain is not a boolean or whose message is not bytes', () => {
    expectEncodeError(conn({ will: { topic: 't', payload: EMPTY, qos: 0, retain: 1 } }), 'INVALID_CONNECT');
    expectEncodeError(conn({ will: { topic: 't', payload: 'x', qos: 0, retain: false } }), 'MALFORMED_PACKET');
    expectEncodeError(conn({ username: 'u', password: 'x' }), 'MALFORMED_PACKET');
  });

  it('[MQTT-3.1.2-11] [MQTT-3.1.2-13] [MQTT-3.1.2-15] the decoder rejects Will QoS or Will Retain set without the Will Flag', () => {
    for (const flags of [0x0a, 0x12, 0x1a, 0x22, 0x2a, 0x3a]) expectDecodeError(connectBytes(flags, str('c')), 'INVALID_CONNECT', 'MQTT-3.1.2-11');
  });

  it('[MQTT-3.1.3-7] the encoder refuses an empty client id with CleanSession 0', () => {
    expectEncodeError({ type: 'connect', clientId: '', keepalive: 0, cleanSession: false }, 'INVALID_CONNECT', 'MQTT-3.1.3-7');
  });

  it("[MQTT-3.1.2-4] the encoder refuses a CleanSession that is not a boolean ('false' was written as CleanSession 1)", () => {
    for (const cleanSession of ['false', 0, 1, undefined, null]) expectEncodeError(conn({ cleanSession }), 'INVALID_CONNECT');
  });

  it('[MQTT-3.1.2-1] the decoder rejects a protocol name other than "MQTT" or a level other than 4', () => {
    const rest = [0x02, 0, 0, ...str('c')];
    expectDecodeError(frame(0x10, [...str('MQIsdp'), 3, ...rest]), 'UNSUPPORTED_PROTOCOL', 'MQTT-3.1.2-1');
    expectDecodeError(frame(0x10, [...str('MQTT'), 3, ...rest]), 'UNSUPPORTED_PROTOCOL', 'MQTT-3.1.2-1');
    expectDecodeError(frame(0x10, [...str('MQTT'), 5, ...rest]), 'UNSUPPORTED_PROTOCOL', 'MQTT-3.1.2-1');
    expectDecodeError(frame(0x10, [...str('mqtt'), 4, ...rest]), 'UNSUPPORTED_PROTOCOL', 'MQTT-3.1.2-1');
  });

  it('[MQTT-3.1.2-3] the decoder rejects the reserved connect flag', () => {
    expectDecodeError(connectBytes(0x03, str('c')), 'INVALID_CONNECT', 'MQTT-3.1.2-3');
  });

  it('the encoder refuses a keep alive outside 0..65535 seconds', () => {
    for (const keepalive of [-1, 65_536, 1.5, Number.NaN]) expectEncodeError(conn({ keepalive }), 'INVALID_CONNECT');
  });

  it('[MQTT-3.1.3-1] the decoder rejects every strict prefix of a valid CONNECT body (all flagged fields are mandatory)', () => {
    fc.assert(
      fc.property(connect({ maxLarge: 0 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (p, f) => {
        const bytes = encode(p);
        const headerLength = bytes.length > 129 ? (bytes.length > 16_386 ? 4 : 3) : 2;
        const body = [...bytes.subarray(headerLength)];
        const prefix = body.slice(0, Math.floor(f * body.length));
        expectDecodeError(frame(0x10, prefix), 'MALFORMED_PACKET');
        expectDecodeError(frame(0x10, [...body, 0x00]), 'MALFORMED_PACKET');
      }),
      { numRuns: 500 },
    );
  });
});

describe('CONNACK', () => {
  it('the decoder rejects reserved acknowledge flags and undefined return codes', () => {
    for (let flags = 2; flags <= 0xff; flags++) expectDecodeError(frame(0x20, [flags, 0]), 'INVALID_CONNACK');
    for (let code = 6; code <= 0xff; code++) expectDecodeError(frame(0x20, [0, code]), 'INVALID_CONNACK');
  });

  it('the encoder refuses undefined return codes', () => {
    for (const returnCode of [6, 0x80, -1, 1.5]) expectEncodeError({ type: 'connack', sessionPresent: false, returnCode }, 'INVALID_CONNACK');
  });

  it('[MQTT-3.2.2-4] the encoder refuses Session Present with a non-zero return code', () => {
    for (let returnCode = 1; returnCode <= 5; returnCode++) {
      expectEncodeError({ type: 'connack', sessionPresent: true, returnCode }, 'INVALID_CONNACK', 'MQTT-3.2.2-4');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Fixed header (2.2)
// ---------------------------------------------------------------------------------------------

describe('fixed header', () => {
  /** A well-formed body for each type code, so only the flags are wrong. */
  const BODY: Record<number, number[]> = {
    1: [...CONNECT_PROTOCOL, 0x02, 0, 0, ...str('c')],
    2: [0, 0],
    4: [0, 1],
    5: [0, 1],
    6: [0, 1],
    7: [0, 1],
    8: [0, 1, ...str('t'), 0],
    9: [0, 1, 0],
    10: [0, 1, ...str('t')],
    11: [0, 1],
    12: [],
    13: [],
    14: [],
  };
  const REQUIRED_FLAGS: Record<number, number> = { 6: 0b0010, 8: 0b0010, 10: 0b0010 };
  const STATEMENT: Record<number, string> = { 6: 'MQTT-3.6.1-1', 8: 'MQTT-3.8.1-1', 10: 'MQTT-3.10.1-1' };
  const NAMES: Record<number, string> = { 1: 'CONNECT', 2: 'CONNACK', 4: 'PUBACK', 5: 'PUBREC', 6: 'PUBREL', 7: 'PUBCOMP', 8: 'SUBSCRIBE', 9: 'SUBACK', 10: 'UNSUBSCRIBE', 11: 'UNSUBACK', 12: 'PINGREQ', 13: 'PINGRESP', 14: 'DISCONNECT' };
  const TYPES = Object.keys(BODY).map(Number);

  it.each(TYPES.map((t) => [NAMES[t]!, STATEMENT[t] ?? 'MQTT-2.2.2-2', t] as const))(
    '[MQTT-2.2.2-2] %s with any flags but those of Table 2.2 is rejected from its first byte, citing %s',
    (_name, statement, type) => {
      const required = REQUIRED_FLAGS[type] ?? 0;
      expect(decodePacket(frame((type << 4) | required, BODY[type]!))).toBeDefined();
      for (let flags = 0; flags < 16; flags++) {
        if (flags === required) continue;
        const first = (type << 4) | flags;
        expectDecodeError(frame(first, BODY[type]!), 'RESERVED_FLAGS', statement);
        expectError(() => new PacketDecoder().push(Uint8Array.of(first)), 'RESERVED_FLAGS', statement);
      }
    },
  );

  it('[MQTT-3.6.1-1] [MQTT-3.8.1-1] [MQTT-3.10.1-1] PUBREL, SUBSCRIBE, UNSUBSCRIBE with flags 0000 are rejected', () => {
    expectDecodeError(frame(0x60, [0, 1]), 'RESERVED_FLAGS', 'MQTT-3.6.1-1');
    expectDecodeError(frame(0x80, [0, 1, ...str('t'), 0]), 'RESERVED_FLAGS', 'MQTT-3.8.1-1');
    expectDecodeError(frame(0xa0, [0, 1, ...str('t')]), 'RESERVED_FLAGS', 'MQTT-3.10.1-1');
  });

  it('packet types 0 and 15 are rejected with any flags, from the first byte alone', () => {
    for (const type of [0, 15]) {
      for (let flags = 0; flags < 16; flags++) {
        const first = (type << 4) | flags;
        expectDecodeError(Uint8Array.of(first, 0), 'UNKNOWN_PACKET_TYPE');
        expectError(() => new PacketDecoder().push(Uint8Array.of(first)), 'UNKNOWN_PACKET_TYPE');
      }
    }
  });

  it('the encoder refuses an unknown packet type', () => {
    for (const type of ['auth', 'reserved', undefined]) expectEncodeError({ type }, 'UNKNOWN_PACKET_TYPE');
  });

  it('a Remaining Length needing a fifth byte is MALFORMED_REMAINING_LENGTH', () => {
    expectDecodeError(Uint8Array.of(0x30, 0x80, 0x80, 0x80, 0x80, 0x01), 'MALFORMED_REMAINING_LENGTH');
    expectDecodeError(Uint8Array.of(0xc0, 0xff, 0xff, 0xff, 0xff, 0x7f), 'MALFORMED_REMAINING_LENGTH');
  });

  it('a packet over Remaining Length 268,435,455 is refused by the encoder (PACKET_TOO_LARGE)', () => {
    // 2 + 1 + payload = 268,435,456; the zeroed payload is never touched, so this costs no memory.
    expectEncodeError({ type: 'publish', topic: 'a', payload: new Uint8Array(268_435_453), qos: 0, dup: false, retain: false }, 'PACKET_TOO_LARGE');
  });
});

// ---------------------------------------------------------------------------------------------
// Truncated and overlong bodies
// ---------------------------------------------------------------------------------------------

describe('truncated and overlong variable headers', () => {
  const MALFORMED: [string, Uint8Array][] = [
    ['PUBACK with Remaining Length 3', Uint8Array.of(0x40, 0x03, 0x00, 0x01, 0x00)],
    ['PUBACK with Remaining Length 1', Uint8Array.of(0x40, 0x01, 0x00)],
    ['PUBACK with Remaining Length 0', Uint8Array.of(0x40, 0x00)],
    ['PUBREC with Remaining Length 3', Uint8Array.of(0x50, 0x03, 0x00, 0x01, 0x00)],
    ['PUBREL with Remaining Length 1', Uint8Array.of(0x62, 0x01, 0x01)],
    ['PUBCOMP with Remaining Length 4', Uint8Array.of(0x70, 0x04, 0x00, 0x01, 0x00, 0x02)],
    ['UNSUBACK with Remaining Length 3', Uint8Array.of(0xb0, 0x03, 0x00, 0x01, 0x00)],
    ['CONNACK with Remaining Length 1', Uint8Array.of(0x20, 0x01, 0x00)],
    ['CONNACK with Remaining Length 0', Uint8Array.of(0x20, 0x00)],
    ['CONNACK with Remaining Length 3', Uint8Array.of(0x20, 0x03, 0x00, 0x00, 0x00)],
    ['PINGREQ with Remaining Length 1', Uint8Array.of(0xc0, 0x01, 0x00)],
    ['PINGRESP with Remaining Length 1', Uint8Array.of(0xd0, 0x01, 0x00)],
    ['DISCONNECT with Remaining Length 1', Uint8Array.of(0xe0, 0x01, 0x00)],
    ['PUBLISH with half a topic length', Uint8Array.of(0x30, 0x01, 0x00)],
    ['PUBLISH whose topic overruns the packet', Uint8Array.of(0x30, 0x03, 0x00, 0x05, 0x61)],
    ['QoS 1 PUBLISH without a packet id', Uint8Array.of(0x32, 0x03, 0x00, 0x01, 0x61)],
    ['QoS 2 PUBLISH with half a packet id', Uint8Array.of(0x34, 0x04, 0x00, 0x01, 0x61, 0x00)],
    ['SUBSCRIBE with half a packet id', Uint8Array.of(0x82, 0x01, 0x00)],
    ['SUBSCRIBE with a filter but no QoS byte', Uint8Array.of(0x82, 0x05, 0x00, 0x01, 0x00, 0x01, 0x61)],
    ['SUBSCRIBE whose filter overruns the packet', Uint8Array.of(0x82, 0x06, 0x00, 0x01, 0x00, 0x09, 0x61, 0x00)],
    ['UNSUBSCRIBE whose filter overruns the packet', Uint8Array.of(0xa2, 0x05, 0x00, 0x01, 0x00, 0x02, 0x61)],
    ['UNSUBSCRIBE with a trailing half length', Uint8Array.of(0xa2, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00)],
    ['SUBACK with Remaining Length 1', Uint8Array.of(0x90, 0x01, 0x00)],
  ];

  it.each(MALFORMED)('%s is MALFORMED_PACKET', (_name, bytes) => {
    expectDecodeError(bytes, 'MALFORMED_PACKET');
  });

  it('id-only packets with any body length but 2 are MALFORMED_PACKET', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0x40, 0x50, 0x62, 0x70, 0xb0),
        fc.integer({ min: 1, max: 255 }),
        fc.uint8Array({ maxLength: 40 }).filter((b) => b.length !== 1),
        (first, idHigh, rest) => {
          const body = rest.length === 0 ? [] : [idHigh, ...rest];
          expectDecodeError(frame(first, body), 'MALFORMED_PACKET');
        },
      ),
      { numRuns: 500 },
    );
  });

  it('decodePacket rejects input whose length disagrees with the Remaining Length, or that is under 2 bytes', () => {
    expectError(() => decodePacket(EMPTY), 'MALFORMED_PACKET');
    expectError(() => decodePacket(Uint8Array.of(0xc0)), 'MALFORMED_PACKET');
    expectError(() => decodePacket(Uint8Array.of(0x40, 0x02, 0x00)), 'MALFORMED_PACKET');
    expectError(() => decodePacket(Uint8Array.of(0x40, 0x02, 0x00, 0x01, 0xc0, 0x00)), 'MALFORMED_PACKET');
    expectError(() => decodePacket(Uint8Array.of(0x30, 0x80)), 'MALFORMED_PACKET');
    expectError(() => decodePacket(Uint8Array.from([0x30, ...varint(200), ...u16(1), 0x61])), 'MALFORMED_PACKET');
  });
});

describe('error objects', () => {
  it("split by origin as h11 does: a packet the caller may not send is 'caller', the same rule broken in received bytes is 'peer', with one code", () => {
    const bad = { type: 'publish', topic: 'a/+', payload: new Uint8Array(0), qos: 0, dup: false, retain: false } as const;
    let local: unknown;
    try {
      encode(bad);
    } catch (error) {
      local = error;
    }
    // The same PUBLISH, as a broker could send it: topic "a/+" with a wildcard.
    const wire = Uint8Array.from([0x30, 0x05, 0x00, 0x03, 0x61, 0x2f, 0x2b]);
    let remote: unknown;
    try {
      decodePacket(wire);
    } catch (error) {
      remote = error;
    }
    let streamed: unknown;
    try {
      new PacketDecoder().push(wire);
    } catch (error) {
      streamed = error;
    }
    expect(local).toMatchObject({ code: 'INVALID_TOPIC', origin: 'caller', statement: 'MQTT-3.3.2-2' });
    expect(remote).toMatchObject({ code: 'INVALID_TOPIC', origin: 'peer', statement: 'MQTT-3.3.2-2' });
    expect(streamed).toMatchObject({ code: 'INVALID_TOPIC', origin: 'peer', statement: 'MQTT-3.3.2-2' });
    for (const e of [local, remote, streamed]) expect(e).toBeInstanceOf(MqttProtocolError);
  });

  it('carry code and statement, and are MqttError and Error', () => {
    let caught: unknown;
    try {
      decodePacket(Uint8Array.of(0x60, 0x02, 0x00, 0x01));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MqttProtocolError);
    expect(caught).toBeInstanceOf(MqttError);
    expect(caught).toBeInstanceOf(Error);
    const e = caught as MqttProtocolError;
    expect(e.name).toBe('MqttProtocolError');
    expect(e.statement).toBe('MQTT-3.6.1-1');
    expect(e.message).toContain('[MQTT-3.6.1-1]');
  });
});
