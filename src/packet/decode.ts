/** Decoding one packet body once its fixed header has been read. */
import { readIdOnly } from './ack.js';
import { checkFixedFlags } from './checks.js';
import { readConnack, readConnect } from './connect.js';
import { MqttProtocolError, protocolError } from '../errors.js';
import { readRemainingLength } from './length.js';
import { readPublish } from './publish.js';
import { Reader } from './reader.js';
import { readSuback, readSubscribe, readUnsubscribe } from './subscribe.js';
import type { Packet } from './types.js';

// Decoding is synchronous and never re-entered, so one cursor serves every packet.
const reader = new Reader();
const headerSize = new Int32Array(1);

const NAMES = ['', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP', 'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT'];

/**
 * Decodes the body bytes[start, end) of a packet whose first byte is `firstByte`. Payloads and
 * binary fields are views of `bytes`, not copies.
 */
export function decodeBody(firstByte: number, bytes: Uint8Array, start: number, end: number): Packet {
  return decodeChecked(checkFixedFlags(firstByte), firstByte, bytes, start, end);
}

/** decodeBody for a first byte already passed through checkFixedFlags, which gave `typeCode`. */
export function decodeChecked(typeCode: number, firstByte: number, bytes: Uint8Array, start: number, end: number): Packet {
  const r = reader.reset(bytes, start, end, NAMES[typeCode]!);
  switch (typeCode) {
    case 3:
      return readPublish(r, firstByte & 0x0f);
    case 4:
      return readIdOnly(r, 'puback');
    case 5:
      return readIdOnly(r, 'pubrec');
    case 6:
      return readIdOnly(r, 'pubrel');
    case 7:
      return readIdOnly(r, 'pubcomp');
    case 11:
      return readIdOnly(r, 'unsuback');
    case 1:
      return readConnect(r);
    case 2:
      return readConnack(r);
    case 8:
      return readSubscribe(r);
    case 9:
      return readSuback(r);
    case 10:
      return readUnsubscribe(r);
    case 12:
      r.done();
      return { type: 'pingreq' };
    case 13:
      r.done();
      return { type: 'pingresp' };
    default:
      r.done();
      return { type: 'disconnect' };
  }
}

/** Decodes `bytes`, which must hold exactly one whole packet. Its errors are the sender's (origin 'peer'). */
export function decodePacket(bytes: Uint8Array): Packet {
  try {
    return decodeWhole(bytes);
  } catch (error) {
    throw error instanceof MqttProtocolError ? MqttProtocolError.fromPeer(error) : error;
  }
}

function decodeWhole(bytes: Uint8Array): Packet {
  if (bytes.length < 2) protocolError('MALFORMED_PACKET', `A packet is at least 2 bytes; got ${bytes.length}`);
  checkFixedFlags(bytes[0]!);
  const remainingLength = readRemainingLength(bytes, 1, bytes.length, headerSize);
  if (remainingLength < 0) protocolError('MALFORMED_PACKET', 'The Remaining Length field is cut off');
  const bodyStart = 1 + headerSize[0]!;
  if (bodyStart + remainingLength !== bytes.length) {
    protocolError('MALFORMED_PACKET', `Remaining Length says ${remainingLength} bytes follow the header, but ${bytes.length - bodyStart} do`);
  }
  return decodeBody(bytes[0]!, bytes, bodyStart, bytes.length);
}
