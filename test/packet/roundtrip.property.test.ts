/**
 * Round trips over arbitrary valid packets of every type: decodePacket(encode(p)) is p,
 * encodedLength agrees with encode, and encodeInto writes the same bytes at any offset — or
 * nothing at all when the packet does not fit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MqttError, MqttProtocolError, decodePacket, encode, encodeInto, encodedLength } from '../../src/packet/index.js';
import { PACKET_TYPES, hex, normalize, packet, packetOfType } from './arbitraries.js';

const RUNS = 500;

describe('decodePacket(encode(p)) equals p', () => {
  it.each(PACKET_TYPES)('[MQTT-2.2.2-1] [MQTT-2.3.1-5] round-trips arbitrary valid %s packets', (type) => {
    fc.assert(
      fc.property(packetOfType(type), (p) => {
        const bytes = encode(p);
        expect(normalize(decodePacket(bytes))).toStrictEqual(normalize(p));
        // The same from a plain Uint8Array (not a Node Buffer) holding the same bytes.
        expect(normalize(decodePacket(Uint8Array.from(bytes)))).toStrictEqual(normalize(p));
      }),
      { numRuns: RUNS },
    );
  });

  it('[MQTT-1.5.3-3] round-trips mixed packets, and re-encoding the decoded packet gives the same bytes', () => {
    fc.assert(
      fc.property(packet(), (p) => {
        const bytes = encode(p);
        expect(hex(encode(decodePacket(bytes)))).toBe(hex(bytes));
      }),
      { numRuns: RUNS },
    );
  });

  it('encoding leaves the packet untouched and is deterministic', () => {
    fc.assert(
      fc.property(packet(), (p) => {
        const before = normalize(p);
        const first = hex(encode(p));
        expect(hex(encode(p))).toBe(first);
        expect(normalize(p)).toStrictEqual(before);
      }),
      { numRuns: RUNS },
    );
  });

  it('decodePacket returns payload and binary fields as views of its input, not copies', () => {
    fc.assert(
      fc.property(packet(), (p) => {
        const bytes = Uint8Array.from(encode(p));
        const d = decodePacket(bytes);
        const views = d.type === 'publish' ? [d.payload] : d.type === 'connect' ? [d.will?.payload, d.password] : [];
        for (const v of views) if (v !== undefined) expect(v.buffer).toBe(bytes.buffer);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('encodedLength', () => {
  it('equals encode(p).length for arbitrary packets', () => {
    fc.assert(
      fc.property(packet(), (p) => {
        expect(encodedLength(p)).toBe(encode(p).length);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('encodeInto', () => {
  it('writes exactly the encode(p) bytes at a random offset, returns their count and touches nothing else', () => {
    fc.assert(
      fc.property(packet(), fc.nat(64), fc.nat(64), fc.boolean(), fc.integer({ min: 0, max: 255 }), (p, offset, slack, asBuffer, fill) => {
        const expected = encode(p);
        const size = offset + expected.length + slack;
        const target = asBuffer ? Buffer.alloc(size, fill) : new Uint8Array(size).fill(fill);
        expect(encodeInto(p, target, offset)).toBe(expected.length);
        expect(hex(target.subarray(offset, offset + expected.length))).toBe(hex(expected));
        expect(target.subarray(0, offset).every((x) => x === fill)).toBe(true);
        expect(target.subarray(offset + expected.length).every((x) => x === fill)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('batches several packets back to back into one buffer', () => {
    fc.assert(
      fc.property(fc.array(packet({ maxLarge: 0 }), { minLength: 1, maxLength: 8 }), (ps) => {
        const total = ps.reduce((n, p) => n + encodedLength(p), 0);
        const target = new Uint8Array(total);
        let offset = 0;
        for (const p of ps) offset += encodeInto(p, target, offset);
        expect(offset).toBe(total);
        expect(hex(target)).toBe(ps.map((p) => hex(encode(p))).join(''));
      }),
      { numRuns: RUNS },
    );
  });

  it('throws BUFFER_TOO_SMALL and writes nothing when the packet does not fit', () => {
    fc.assert(
      fc.property(
        packet(),
        fc.nat(64),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 0, max: 255 }),
        (p, offset, shortBy, fill) => {
          const size = encodedLength(p);
          const length = Math.max(0, offset + size - shortBy);
          const target = new Uint8Array(length).fill(fill);
          let caught: unknown;
          try {
            encodeInto(p, target, offset);
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(MqttError);
          expect(caught).not.toBeInstanceOf(MqttProtocolError);
          expect((caught as MqttError).code).toBe('BUFFER_TOO_SMALL');
          expect(target.every((x) => x === fill)).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses a non-integer or NaN offset rather than report bytes it did not write', () => {
    for (const offset of [1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const target = new Uint8Array(16);
      expect(() => encodeInto({ type: 'puback', packetId: 0x0102 }, target, offset)).toThrow();
      expect(target.every((x) => x === 0)).toBe(true);
    }
  });

  it('throws BUFFER_TOO_SMALL for a negative offset, writing nothing', () => {
    fc.assert(
      fc.property(packet({ maxLarge: 0 }), fc.integer({ min: -100, max: -1 }), (p, offset) => {
        const target = new Uint8Array(encodedLength(p) + 200);
        expect(() => encodeInto(p, target, offset)).toThrow(expect.objectContaining({ code: 'BUFFER_TOO_SMALL' }));
        expect(target.every((x) => x === 0)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
