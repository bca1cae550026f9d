/**
 * Packet bodies are decoded through a table of readers indexed by packet type, so a decoder
 * that serves one side (a client) carries only the readers of what the other side may send.
 */
import { protocolError } from '../errors.js';
import { Reader } from './reader.js';
import type { Packet } from './types.js';

/** Decodes one packet body; `flags` is the low nibble of the first byte. */
export type BodyReader = (r: Reader, flags: number) => Packet;
/** By packet type code 0–15; a missing reader means the type is not accepted. */
export type Readers = readonly (BodyReader | undefined)[];

// Decoding is synchronous and never re-entered, so one cursor serves every packet.
const reader = new Reader();

const NAMES = ['', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP', 'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT'];

/** Decodes the body bytes[start, end) of a packet of `typeCode` (its first byte already checked). */
export function decodeWith(readers: Readers, typeCode: number, firstByte: number, bytes: Uint8Array, start: number, end: number): Packet {
  const read = readers[typeCode];
  const name = NAMES[typeCode]!;
  if (read === undefined) return protocolError('UNEXPECTED_PACKET', `${name} is not a packet a client accepts from a broker`, 'MQTT-4.8.0-1');
  return read(reader.reset(bytes, start, end, name), firstByte & 0x0f);
}

export const readPingreq: BodyReader = (r) => (r.done_(), { type: 'pingreq' });
export const readPingresp: BodyReader = (r) => (r.done_(), { type: 'pingresp' });
export const readDisconnect: BodyReader = (r) => (r.done_(), { type: 'disconnect' });
