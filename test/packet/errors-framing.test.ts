/**
 * Decoder rejections of the frame itself: fixed-header flags outside Table 2.2 (2.2.2), reserved
 * type codes, and truncated or overlong variable headers (MALFORMED_PACKET), whole and streamed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketDecoder, decodePacket } from '../../src/packet/index.js';
import { CONNECT_PROTOCOL, frame, str, u16, varint } from './arbitraries.js';
import { EMPTY, expectDecodeError, expectEncodeError, expectError } from './refusals.js';

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
