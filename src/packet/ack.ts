/**
 * The packets whose encoding is fixed but for a packet identifier (PUBACK, PUBREC, PUBREL,
 * PUBCOMP, UNSUBACK) or that have no body at all (PINGREQ, PINGRESP, DISCONNECT).
 */
import { checkPacketId } from './checks.js';
import { PACKET_TYPE_CODES } from './types.js';
import type { EmptyPacket, IdOnlyPacket } from './types.js';

/** 2 for a packet identifier, 0 for no body (PINGREQ, PINGRESP, DISCONNECT: type codes 12 and up). */
export function fixedRemainingLength(p: IdOnlyPacket | EmptyPacket): number {
  if (PACKET_TYPE_CODES[p.type] >= 12) return 0;
  checkPacketId((p as IdOnlyPacket).packetId, p.type); // its name only if refused: no string per ack
  return 2;
}

/** Writes a packet measured by fixedRemainingLength: its first byte (PUBREL's flags 0010 [MQTT-3.6.1-1]) and length, then any id. */
export function writeFixed(p: IdOnlyPacket | EmptyPacket, target: Uint8Array, offset: number, remainingLength: number): number {
  const code = PACKET_TYPE_CODES[p.type];
  target[offset] = (code << 4) | (code === 6 ? 2 : 0);
  target[offset + 1] = remainingLength;
  if (remainingLength === 0) return offset + 2;
  const packetId = (p as IdOnlyPacket).packetId;
  target[offset + 2] = packetId >>> 8;
  target[offset + 3] = packetId & 0xff;
  return offset + 4;
}
