/** The general-purpose encoder: every packet type, both directions. */
import { clientRemainingLength, clientWrite } from './client-encoder.js';
import { connackRemainingLength, writeConnack } from './connect.js';
import { encodeBatchWith, encodeWith, encodedLengthWith } from './encoder.js';
import type { EncodedBatch } from './encoder.js';
import { protocolError, typeOf, usageError } from '../errors.js';
import { remainingLengthSize } from './length.js';
import { subackRemainingLength, writeSuback } from './subscribe.js';
import type { Packet } from './types.js';

export type { EncodedBatch } from './encoder.js';

/** The client's encoder plus what only a broker sends. */
function remainingLengthOf(p: Packet): number {
  if (typeof p !== 'object' || p === null) protocolError('UNKNOWN_PACKET_TYPE', `A packet must be an object with a type, got ${typeOf(p)}`);
  if (p.type === 'connack') return connackRemainingLength(p);
  if (p.type === 'suback') return subackRemainingLength(p);
  return clientRemainingLength(p);
}

function write(p: Packet, target: Uint8Array, offset: number, remainingLength: number): number {
  if (p.type === 'connack') return writeConnack(p, target, offset);
  if (p.type === 'suback') return writeSuback(p, target, offset, remainingLength);
  return clientWrite(p, target, offset, remainingLength);
}

/** The exact number of bytes `encode(p)` produces; throws MqttProtocolError for anything a sender must not send. */
export function encodedLength(p: Packet): number {
  return encodedLengthWith(remainingLengthOf, p);
}

/** Encodes `p` into one new buffer of exactly its size. */
export function encode(p: Packet): Uint8Array {
  return encodeWith(remainingLengthOf, write, p);
}

/**
 * Encodes `p` into `target` at `offset` and returns the bytes written, for callers batching
 * several packets into one buffer. Nothing is written unless the whole packet fits.
 */
export function encodeInto(p: Packet, target: Uint8Array, offset: number): number {
  if (!(target instanceof Uint8Array)) throw usageError('INVALID_ARGUMENT', `encodeInto()'s target must be a Uint8Array, got ${typeOf(target)}`);
  const remainingLength = remainingLengthOf(p);
  const size = 1 + remainingLengthSize(remainingLength) + remainingLength;
  if (!Number.isInteger(offset) || offset < 0 || offset + size > target.length) {
    throw usageError('BUFFER_TOO_SMALL', `encodeInto() needs ${size} bytes from offset ${offset}, got ${target.length}`);
  }
  write(p, target, offset, remainingLength);
  return size;
}

/**
 * Encodes `packets` back to back into one buffer, measuring each once. A packet the codec
 * refuses is left out and reported, so one bad packet never takes the others down with it.
 */
export function encodeBatch(packets: readonly Packet[]): EncodedBatch {
  return encodeBatchWith(remainingLengthOf, write, packets);
}
