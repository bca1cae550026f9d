/** Packets as shown in debug events: credentials replaced, never echoed. */
import type { Packet } from '../packet/index.js';
import { utf8Encode } from '../packet/bytes.js';

const REDACTED_BYTES = utf8Encode('<redacted>');

export function redactPacket(packet: Packet): Packet {
  if (packet.type !== 'connect' || (packet.username === undefined && packet.password === undefined)) return packet;
  const copy = { ...packet };
  if (copy.username !== undefined) copy.username = '<redacted>';
  if (copy.password !== undefined) copy.password = REDACTED_BYTES;
  return copy;
}
