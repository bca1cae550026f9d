/** Decoding one packet body once its fixed header has been read. */
import { CLIENT_READERS } from './client-readers.js';
import { decodeWith, readEmpty } from './readers.js';
import type { Readers } from './readers.js';
import { checkFixedFlags } from './checks.js';
import { readConnect } from './connect.js';
import { MqttProtocolError, protocolError } from '../errors.js';
import { BODY_START, readRemainingLength } from './length.js';
import { bytesOfChunk } from './chunk.js';
import { readSubscribe, readUnsubscribe } from './subscribe.js';
import type { Packet } from './types.js';

/** Every packet type, both directions: a client's readers and those of what only a client sends. */
export const ALL_READERS: Readers = Object.assign([...CLIENT_READERS], { 1: readConnect, 8: readSubscribe, 10: readUnsubscribe, 12: readEmpty, 14: readEmpty });

/**
 * Decodes `bytes`, which must hold exactly one whole packet. Its errors are the sender's (origin
 * 'peer'). Payloads and binary fields are views of `bytes`, not copies.
 */
export function decodePacket(bytes: Uint8Array): Packet {
  const whole = bytesOfChunk(bytes);
  try {
    return decodeWhole(whole);
  } catch (error) {
    throw error instanceof MqttProtocolError ? MqttProtocolError.fromPeer(error) : error;
  }
}

function decodeWhole(bytes: Uint8Array): Packet {
  if (bytes.length < 2) protocolError('MALFORMED_PACKET', `A packet must be 2 bytes or more, got ${bytes.length}`);
  const typeCode = checkFixedFlags(bytes[0]!);
  const remainingLength = readRemainingLength(bytes, 1, bytes.length);
  if (remainingLength < 0) protocolError('MALFORMED_PACKET', 'Remaining Length is cut off');
  const bodyStart = BODY_START[0]!;
  if (bodyStart + remainingLength !== bytes.length) {
    protocolError('MALFORMED_PACKET', `Remaining Length is ${remainingLength}, not ${bytes.length - bodyStart}`);
  }
  return decodeWith(ALL_READERS, typeCode, bytes[0]!, bytes, bodyStart, bytes.length);
}
