/** Decoding one packet body once its fixed header has been read. */
import { CLIENT_READERS } from './client-readers.js';
import { decodeWith, readEmpty } from './readers.js';
import type { Readers } from './readers.js';
import { checkFixedFlags } from './checks.js';
import { readConnect } from './connect.js';
import { MqttProtocolError, protocolError } from '../errors.js';
import { readRemainingLength } from './length.js';
import { bytesOfChunk } from './chunk.js';
import { readSubscribe, readUnsubscribe } from './subscribe.js';
import type { Packet } from './types.js';

const headerSize = new Int32Array(1);

/** What only a client sends: the rest of a general-purpose decoder's table. */
const SERVER_BOUND: Readers = [undefined, readConnect, undefined, undefined, undefined, undefined, undefined, undefined, readSubscribe, undefined, readUnsubscribe, undefined, readEmpty, undefined, readEmpty];

/** Every packet type, both directions: what a general-purpose codec decodes. */
export const ALL_READERS: Readers = CLIENT_READERS.map((read, type) => read ?? SERVER_BOUND[type]);

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
  if (bytes.length < 2) protocolError('MALFORMED_PACKET', `A packet is at least 2 bytes; got ${bytes.length}`);
  const typeCode = checkFixedFlags(bytes[0]!);
  const remainingLength = readRemainingLength(bytes, 1, bytes.length, headerSize);
  if (remainingLength < 0) protocolError('MALFORMED_PACKET', 'The Remaining Length field is cut off');
  const bodyStart = 1 + headerSize[0]!;
  if (bodyStart + remainingLength !== bytes.length) {
    protocolError('MALFORMED_PACKET', `Remaining Length says ${remainingLength} bytes follow the header, but ${bytes.length - bodyStart} do`);
  }
  return decodeWith(ALL_READERS, typeCode, bytes[0]!, bytes, bodyStart, bytes.length);
}
