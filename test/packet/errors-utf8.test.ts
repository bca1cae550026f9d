/**
 * Encoder refusals and decoder rejections of MQTT strings (1.5.3, 4.7.3): lone surrogates,
 * U+0000, ill-formed UTF-8 and over-long strings, in every string field of every packet.
 * Decoder inputs are hand-built bytes (arbitraries.ts `frame`/`field`), never our encoder's output.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { decodePacket, encode, encodedLength } from '../../src/packet/index.js';
import type { Packet } from '../../src/packet/index.js';
import { CONNECT_PROTOCOL, field, frame, mqttString, normalize, str, topicLevel } from './arbitraries.js';
import { EMPTY, conn, expectDecodeError, expectEncodeError, expectError, publish } from './refusals.js';

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
