/**
 * Encoding: measure (which validates everything), then write once into exactly that many bytes.
 * An Encoder knows the packets one side sends, so a client carries no writer for what only a
 * broker sends (see client-encoder.ts; encode.ts has them all).
 */
import { allocBytes } from './bytes.js';
import { protocolError } from '../errors.js';
import { remainingLengthSize } from './length.js';
import type { Packet } from './types.js';

/** The Remaining Length of `p`; throws MqttProtocolError for anything a sender must not send. */
export type Measure = (p: Packet) => number;
/** Writes `p`, measured at `remainingLength`; returns the offset after it. */
export type Write = (p: Packet, target: Uint8Array, offset: number, remainingLength: number) => number;

export function unknownPacketType(p: Packet): never {
  return protocolError('UNKNOWN_PACKET_TYPE', `Packet type ${String((p as { type?: unknown }).type)} is not known`);
}

/** The exact number of bytes `p` encodes to. */
export function encodedLengthWith(measure: Measure, p: Packet): number {
  const remainingLength = measure(p);
  return 1 + remainingLengthSize(remainingLength) + remainingLength;
}

/** Encodes `p` into one new buffer of exactly its size. */
export function encodeWith(measure: Measure, write: Write, p: Packet): Uint8Array {
  const remainingLength = measure(p);
  const bytes = allocBytes(1 + remainingLengthSize(remainingLength) + remainingLength);
  write(p, bytes, 0, remainingLength);
  return bytes;
}

/** What encodeBatch produced: the bytes, and which packets (by index) could not be encoded. */
export interface EncodedBatch {
  bytes: Uint8Array;
  /** Indexes of the packets left out; absent when every packet was encoded. */
  failed?: Set<number>;
  /** The first refusal, when any packet was left out. */
  error?: unknown;
}

/**
 * Encodes `packets` back to back into one buffer, measuring each once. A packet the encoder
 * refuses is left out and reported, so one bad packet never takes the others down with it.
 */
export function encodeBatchWith(measure: Measure, write: Write, packets: readonly Packet[]): EncodedBatch {
  const count = packets.length;
  const lengths = new Array<number>(count);
  let total = 0;
  let failed: Set<number> | undefined;
  let error: unknown;
  for (let i = 0; i < count; i++) {
    try {
      const remainingLength = measure(packets[i]!);
      lengths[i] = remainingLength;
      total += 1 + remainingLengthSize(remainingLength) + remainingLength;
    } catch (cause) {
      lengths[i] = -1;
      (failed ??= new Set()).add(i);
      error ??= cause;
    }
  }
  const bytes = allocBytes(total);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (lengths[i]! >= 0) offset = write(packets[i]!, bytes, offset, lengths[i]!);
  }
  return failed === undefined ? { bytes } : { bytes, failed, error };
}
