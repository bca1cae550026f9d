/** The fixed header: type-and-flags byte plus the variable-length Remaining Length (2.2.3). */
import { protocolError } from '../errors.js';
import { MAX_REMAINING_LENGTH } from './types.js';

/** How many bytes the Remaining Length field takes for `length`. */
export function remainingLengthSize(length: number): number {
  if (length < 128) return 1;
  if (length < 16_384) return 2;
  if (length < 2_097_152) return 3;
  return length <= MAX_REMAINING_LENGTH ? 4 : tooLarge(length);
}

function tooLarge(length: number): never {
  return protocolError('PACKET_TOO_LARGE', `Remaining Length must be ${MAX_REMAINING_LENGTH} or less, got ${length}`);
}

/** Writes the first byte and the Remaining Length; returns the offset of the variable header. */
export function writeFixedHeader(target: Uint8Array, offset: number, firstByte: number, length: number): number {
  target[offset++] = firstByte;
  do {
    let digit = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) digit |= 0x80;
    target[offset++] = digit;
  } while (length > 0);
  return offset;
}

/**
 * Where readRemainingLength reports where the body starts, read straight after each call. One
 * for every decoder: decoding is synchronous and never re-entered, and a typed array per decoder
 * costs about 190 bytes per connection.
 */
export const BODY_START = new Int32Array(1);

/**
 * Reads the Remaining Length starting at bytes[offset] (just after the first byte). Returns
 * -1 when the field is cut off by `end`, else the length; the offset just after the field, where
 * the body starts, is written to `BODY_START[0]`. A fifth length byte is malformed.
 */
export function readRemainingLength(bytes: Uint8Array, offset: number, end: number): number {
  let value = 0;
  let multiplier = 1;
  for (let i = offset; i < offset + 4; i++) {
    if (i >= end) return -1;
    const digit = bytes[i]!;
    value += (digit & 0x7f) * multiplier;
    if ((digit & 0x80) === 0) {
      BODY_START[0] = i + 1;
      return value;
    }
    multiplier *= 128;
  }
  return protocolError('MALFORMED_REMAINING_LENGTH', 'Remaining Length must be 4 bytes or less');
}
