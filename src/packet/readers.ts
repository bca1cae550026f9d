/**
 * Packet bodies are decoded through a table of readers indexed by packet type, so a decoder
 * that serves one side (a client) carries only the readers of what the other side may send.
 */
import { protocolError } from '../errors.js';
import { Reader } from './reader.js';
import { PACKET_TYPES, packetName } from './types.js';
import type { EmptyPacket, IdOnlyPacket, Packet } from './types.js';

/** Decodes one packet body; `flags` is the low nibble of the first byte. */
export type BodyReader = (r: Reader, flags: number) => Packet;
/** By packet type code 0–15; a missing reader means the type is not accepted. */
export type Readers = readonly (BodyReader | undefined)[];

// Decoding is synchronous and never re-entered, so one cursor serves every packet.
const reader = new Reader();

/** Decodes the body bytes[start, end) of a packet of `typeCode` (its first byte already checked). */
export function decodeWith(readers: Readers, typeCode: number, firstByte: number, bytes: Uint8Array, start: number, end: number): Packet {
  const read = readers[typeCode];
  if (read === undefined) return protocolError('UNEXPECTED_PACKET', `${packetName(typeCode)} is not a packet a broker sends`, 'MQTT-4.8.0-1');
  return read(reader.reset_(bytes, start, end, typeCode), firstByte & 0x0f);
}

/** PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK: a packet identifier and nothing else. */
export const readIdOnly: BodyReader = (r) => {
  const packetId = r.packetId_();
  r.done_();
  return { type: PACKET_TYPES[r.type_ - 1] as IdOnlyPacket['type'], packetId };
};

/** PINGREQ, PINGRESP and DISCONNECT: no body at all. */
export const readEmpty: BodyReader = (r) => (r.done_(), { type: PACKET_TYPES[r.type_ - 1] as EmptyPacket['type'] });
