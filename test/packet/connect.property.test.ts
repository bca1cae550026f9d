/**
 * The CONNECT encoder against the spec's layout, over every valid CONNECT (fast-check): the
 * flags byte follows exactly which fields are present, and the payload holds exactly those
 * fields, in the order 3.1.3 fixes. The expected bytes are built here from the spec's figures
 * (Buffer for UTF-8), never by our encoder, so a flag that disagrees with the payload, a field
 * that goes missing or one in the wrong place fails the property.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/packet/index.js';
import type { ConnectPacket } from '../../src/packet/index.js';
import { CONNECT_PROTOCOL, connect, field } from './arbitraries.js';

/** How many bytes the Remaining Length after the first byte of `bytes` takes (2.2.3). */
function remainingLengthSizeOf(bytes: Uint8Array): number {
  let size = 1;
  while (bytes[size]! & 0x80) size++;
  return size;
}

/** The payload 3.1.3 describes: ClientId, Will Topic, Will Message, User Name, Password, each present one length-prefixed. */
function specPayload(p: ConnectPacket): number[] {
  const utf8 = (s: string): number[] => [...Buffer.from(s, 'utf8')];
  const out = field(utf8(p.clientId));
  if (p.will !== undefined) out.push(...field(utf8(p.will.topic)), ...field(p.will.payload));
  if (p.username !== undefined) out.push(...field(utf8(p.username)));
  if (p.password !== undefined) out.push(...field(p.password));
  return out;
}

describe('CONNECT flags and payload, every valid CONNECT', () => {
  it('[MQTT-3.1.2-9] [MQTT-3.1.2-11] [MQTT-3.1.2-13] [MQTT-3.1.2-15] [MQTT-3.1.2-18] [MQTT-3.1.2-19] [MQTT-3.1.2-20] [MQTT-3.1.2-21] [MQTT-3.1.3-1] [MQTT-3.1.3-3] flags follow the fields present; the payload is exactly those fields in spec order', () => {
    fc.assert(
      fc.property(connect({ maxLarge: 0 }), (p) => {
        const bytes = encode(p);
        const body = bytes.subarray(1 + remainingLengthSizeOf(bytes));
        expect([...body.subarray(0, 7)]).toEqual(CONNECT_PROTOCOL);
        const flags = body[7]!;
        const will = p.will;
        // Will Flag, and with it Will QoS and Will Retain; all three 0 without a will.
        expect((flags & 0x04) !== 0).toBe(will !== undefined);
        expect((flags >>> 3) & 0x03).toBe(will?.qos ?? 0);
        expect((flags & 0x20) !== 0).toBe(will?.retain ?? false);
        // User Name and Password flags.
        expect((flags & 0x80) !== 0).toBe(p.username !== undefined);
        expect((flags & 0x40) !== 0).toBe(p.password !== undefined);
        expect((flags & 0x02) !== 0).toBe(p.cleanSession);
        expect(flags & 0x01).toBe(0);
        expect((body[8]! << 8) | body[9]!).toBe(p.keepalive);
        // The client id always comes first (an empty one as a zero-length string), then the rest.
        expect([...body.subarray(10)]).toEqual(specPayload(p));
      }),
      { numRuns: 500 },
    );
  });
});
