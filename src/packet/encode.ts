/** Encoding: measure (which validates everything), then write once into exactly that many bytes. */
import { idOnlyRemainingLength, writeIdOnly } from './ack.js';
import { allocBytes } from './bytes.js';
import { connackRemainingLength, connectRemainingLength, writeConnack, writeConnect } from './connect.js';
import { protocolError, usageError } from '../errors.js';
import { remainingLengthSize } from './length.js';
import { publishRemainingLength, writePublish } from './publish.js';
import {
  subackRemainingLength,
  subscribeRemainingLength,
  unsubscribeRemainingLength,
  writeSuback,
  writeSubscribe,
  writeUnsubscribe,
} from './subscribe.js';
import type { Packet } from './types.js';

/** First bytes of the packets whose whole encoding is fixed apart from a packet id. */
const FIXED_FIRST_BYTE = {
  puback: 0x40,
  pubrec: 0x50,
  pubrel: 0x62, // [MQTT-3.6.1-1]
  pubcomp: 0x70,
  unsuback: 0xb0,
  pingreq: 0xc0,
  pingresp: 0xd0,
  disconnect: 0xe0,
} as const;

/** The Remaining Length of `p`; throws MqttProtocolError for anything a sender must not send. */
function remainingLengthOf(p: Packet): number {
  switch (p.type) {
    case 'publish':
      return publishRemainingLength(p);
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'unsuback':
      return idOnlyRemainingLength(p);
    case 'connect':
      return connectRemainingLength(p);
    case 'connack':
      return connackRemainingLength(p);
    case 'subscribe':
      return subscribeRemainingLength(p);
    case 'suback':
      return subackRemainingLength(p);
    case 'unsubscribe':
      return unsubscribeRemainingLength(p);
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      return 0;
    default:
      return protocolError('UNKNOWN_PACKET_TYPE', `Cannot encode a packet of type ${String((p as { type?: unknown }).type)}`);
  }
}

function write(p: Packet, target: Uint8Array, offset: number, remainingLength: number): number {
  switch (p.type) {
    case 'publish':
      return writePublish(p, target, offset, remainingLength);
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'unsuback':
      return writeIdOnly(FIXED_FIRST_BYTE[p.type], p.packetId, target, offset);
    case 'connect':
      return writeConnect(p, target, offset, remainingLength);
    case 'connack':
      return writeConnack(p, target, offset);
    case 'subscribe':
      return writeSubscribe(p, target, offset, remainingLength);
    case 'suback':
      return writeSuback(p, target, offset, remainingLength);
    case 'unsubscribe':
      return writeUnsubscribe(p, target, offset, remainingLength);
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      target[offset] = FIXED_FIRST_BYTE[p.type];
      target[offset + 1] = 0;
      return offset + 2;
  }
}

/** The exact number of bytes `encode(p)` produces. */
export function encodedLength(p: Packet): number {
  const remainingLength = remainingLengthOf(p);
  return 1 + remainingLengthSize(remainingLength) + remainingLength;
}

/** Encodes `p` into one new buffer of exactly its size. */
export function encode(p: Packet): Uint8Array {
  const remainingLength = remainingLengthOf(p);
  const bytes = allocBytes(1 + remainingLengthSize(remainingLength) + remainingLength);
  write(p, bytes, 0, remainingLength);
  return bytes;
}

/**
 * Encodes `p` into `target` at `offset` and returns the bytes written, for callers batching
 * several packets into one buffer. Nothing is written unless the whole packet fits.
 */
export function encodeInto(p: Packet, target: Uint8Array, offset: number): number {
  const remainingLength = remainingLengthOf(p);
  const size = 1 + remainingLengthSize(remainingLength) + remainingLength;
  if (!Number.isInteger(offset) || offset < 0 || offset + size > target.length) {
    throw usageError('BUFFER_TOO_SMALL', `Packet needs ${size} bytes at offset ${offset}; the target holds ${target.length}`);
  }
  write(p, target, offset, remainingLength);
  return size;
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
 * Encodes `packets` back to back into one buffer, measuring each once. A packet the codec
 * refuses is left out and reported, so one bad packet never takes the others down with it.
 */
export function encodeBatch(packets: readonly Packet[]): EncodedBatch {
  const count = packets.length;
  const lengths = new Array<number>(count);
  let total = 0;
  let failed: Set<number> | undefined;
  let error: unknown;
  for (let i = 0; i < count; i++) {
    try {
      const remainingLength = remainingLengthOf(packets[i]!);
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
