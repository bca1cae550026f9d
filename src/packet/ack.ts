/**
 * The packets whose encoding is fixed but for a packet identifier (PUBACK, PUBREC, PUBREL,
 * PUBCOMP, UNSUBACK) or that have no body at all (PINGREQ, PINGRESP, DISCONNECT).
 */
import { checkPacketId } from './checks.js';
import { unknownPacketType } from './encoder.js';
import type { IdOnlyPacket, Packet } from './types.js';

/** Their first bytes; any other type has no entry (a number only for its own keys). */
const FIRST_BYTE: { readonly [type: string]: unknown } = {
  puback: 0x40,
  pubrec: 0x50,
  pubrel: 0x62, // [MQTT-3.6.1-1]
  pubcomp: 0x70,
  unsuback: 0xb0,
  pingreq: 0xc0,
  pingresp: 0xd0,
  disconnect: 0xe0,
};

/** 2 for a packet identifier, 0 for no body; any other type is refused. */
export function fixedRemainingLength(p: Packet): number {
  const first = FIRST_BYTE[p.type];
  if (typeof first !== 'number') return unknownPacketType(p);
  if (first >= 0xc0) return 0;
  checkPacketId((p as IdOnlyPacket).packetId, p.type.toUpperCase());
  return 2;
}

/** Writes a packet measured by fixedRemainingLength. */
export function writeFixed(p: Packet, target: Uint8Array, offset: number, remainingLength: number): number {
  target[offset] = FIRST_BYTE[p.type] as number;
  target[offset + 1] = remainingLength;
  if (remainingLength === 0) return offset + 2;
  const packetId = (p as { packetId: number }).packetId;
  target[offset + 2] = packetId >>> 8;
  target[offset + 3] = packetId & 0xff;
  return offset + 4;
}
