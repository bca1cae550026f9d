/** PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK: a fixed header and a packet identifier. */
import { checkPacketId } from './checks.js';
import type { IdOnlyPacket } from './types.js';

export function writeIdOnly(firstByte: number, packetId: number, target: Uint8Array, offset: number): number {
  target[offset] = firstByte;
  target[offset + 1] = 2;
  target[offset + 2] = packetId >>> 8;
  target[offset + 3] = packetId & 0xff;
  return offset + 4;
}

export function idOnlyRemainingLength(p: IdOnlyPacket): number {
  checkPacketId(p.packetId, p.type.toUpperCase());
  return 2;
}
