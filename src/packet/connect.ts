/** CONNECT and CONNACK (3.1, 3.2): opening a connection. */
import { checkBinary, checkQos } from './checks.js';
import { protocolError, typeOf } from '../errors.js';
import { writeFixedHeader } from './length.js';
import type { Reader } from './reader.js';
import { checkTopicName, measureTopicName } from './topic.js';
import type { ConnackPacket, ConnectPacket, Will } from './types.js';
import { measureString, writeBinary, writeText } from './utf8.js';

/** Protocol Name "MQTT" and Protocol Level 4, the variable header's first seven bytes (3.1.2.1-2). */
const PROTOCOL_HEADER = [0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04];

export function connectRemainingLength(p: ConnectPacket): number {
  if (!Number.isInteger(p.keepalive) || p.keepalive < 0 || p.keepalive > 65_535) {
    protocolError('INVALID_CONNECT', `Keep Alive must be 0..65535, got ${String(p.keepalive)}`);
  }
  const clientIdBytes = measureString(p.clientId, 'Client identifier'); // first: it refuses what is not a string
  // Written by truthiness, 'false' from plain JavaScript would be CleanSession 1.
  checkBoolean(p.cleanSession, 'CleanSession');
  if (clientIdBytes === 0 && !p.cleanSession) {
    protocolError('INVALID_CONNECT', 'An empty Client identifier needs CleanSession 1', 'MQTT-3.1.3-7');
  }
  // The protocol name and level (7 bytes), the flags (1), Keep Alive (2), the client id's length (2) and it.
  let length = 12 + clientIdBytes;
  if (p.will !== undefined) length += willLength(p.will);
  if (p.username !== undefined) length += 2 + measureString(p.username, 'User name');
  if (p.password !== undefined) {
    if (p.username === undefined) passwordWithoutUserName();
    length += 2 + checkBinary(p.password, 'Password').length;
  }
  return length;
}

function willLength(will: Will): number {
  // From plain JavaScript `will: null` reached `will.qos` as a TypeError.
  if (typeof will !== 'object' || will === null) protocolError('INVALID_CONNECT', `The will must be an object, got ${typeOf(will)}`);
  checkQos(will.qos, 'Will QoS', 'MQTT-3.1.2-14');
  checkBoolean(will.retain, 'Will retain');
  // A will carries both its topic and its message [MQTT-3.1.2-9].
  return 2 + measureTopicName(will.topic, 'Will topic') + 2 + checkBinary(will.payload, 'Will message').length;
}

function checkBoolean(value: unknown, what: string): void {
  if (typeof value !== 'boolean') protocolError('INVALID_CONNECT', `${what} must be a boolean, got ${typeOf(value)}`);
}

function passwordWithoutUserName(): never {
  return protocolError('INVALID_CONNECT', 'Password needs a User name', 'MQTT-3.1.2-22');
}

export function writeConnect(p: ConnectPacket, target: Uint8Array, offset: number, remainingLength: number): number {
  offset = writeFixedHeader(target, offset, 0x10, remainingLength);
  for (const byte of PROTOCOL_HEADER) target[offset++] = byte;
  const will = p.will;
  // The flags follow from which fields are present, so they cannot disagree with the payload
  // [MQTT-3.1.2-9, -11, -13, -15, -18 … -21]; bit 0 stays reserved at 0.
  let flags = p.cleanSession ? 0x02 : 0;
  if (will !== undefined) flags |= 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0);
  if (p.password !== undefined) flags |= 0x40;
  if (p.username !== undefined) flags |= 0x80;
  target[offset++] = flags;
  target[offset++] = p.keepalive >>> 8;
  target[offset++] = p.keepalive & 0xff;
  // Payload order: client id, will topic, will message, user name, password [MQTT-3.1.3-1].
  offset = writeText(target, offset, p.clientId);
  if (will !== undefined) {
    offset = writeText(target, offset, will.topic);
    offset = writeBinary(target, offset, will.payload);
  }
  if (p.username !== undefined) offset = writeText(target, offset, p.username);
  if (p.password !== undefined) offset = writeBinary(target, offset, p.password);
  return offset;
}

export function readConnect(r: Reader): ConnectPacket {
  for (let i = 0; i < PROTOCOL_HEADER.length; i++) {
    if (r.u8_('protocol') !== PROTOCOL_HEADER[i]) {
      protocolError('UNSUPPORTED_PROTOCOL', 'CONNECT\'s protocol must be "MQTT" level 4', 'MQTT-3.1.2-1');
    }
  }
  const flags = r.u8_('connect flags');
  if (flags & 0x01) protocolError('INVALID_CONNECT', "CONNECT's reserved flag must be 0", 'MQTT-3.1.2-3');
  const hasWill = (flags & 0x04) !== 0;
  // Will QoS (bits 4-3) and Will Retain (bit 5) only with the Will Flag; a Password (bit 6) only with a User Name (bit 7).
  if (!hasWill && flags & 0x38) protocolError('INVALID_CONNECT', 'Will QoS and Retain need the Will Flag', 'MQTT-3.1.2-11');
  const willQos = checkQos((flags >>> 3) & 0x03, 'Will QoS', 'MQTT-3.1.2-14');
  if ((flags & 0xc0) === 0x40) passwordWithoutUserName();
  const keepalive = r.u16_('Keep Alive');
  const packet: ConnectPacket = { type: 'connect', clientId: r.string_('Client identifier'), keepalive, cleanSession: (flags & 0x02) !== 0 };
  if (hasWill) {
    const topic = r.string_('Will topic');
    checkTopicName(topic, 'Will topic', 'MQTT-4.7.1-1');
    packet.will = { topic, payload: r.binary_('Will message'), qos: willQos, retain: (flags & 0x20) !== 0 };
  }
  if (flags & 0x80) packet.username = r.string_('User name');
  if (flags & 0x40) packet.password = r.binary_('Password');
  r.done_();
  return packet;
}

export function connackRemainingLength(p: ConnackPacket): number {
  checkReturnCode(p.returnCode);
  if (p.sessionPresent && p.returnCode !== 0) {
    protocolError('INVALID_CONNACK', "A refusing CONNACK's Session Present must be 0", 'MQTT-3.2.2-4');
  }
  return 2;
}

export function writeConnack(p: ConnackPacket, target: Uint8Array, offset: number): number {
  target[offset] = 0x20;
  target[offset + 1] = 2;
  target[offset + 2] = p.sessionPresent ? 1 : 0;
  target[offset + 3] = p.returnCode;
  return offset + 4;
}

export function readConnack(r: Reader): ConnackPacket {
  const flags = r.u8_('acknowledge flags');
  if (flags > 1) protocolError('INVALID_CONNACK', `CONNACK's acknowledge flags must be 0 or 1, got ${flags}`);
  const returnCode = checkReturnCode(r.u8_('return code'));
  r.done_();
  return { type: 'connack', sessionPresent: flags > 0, returnCode };
}

function checkReturnCode(code: number): number {
  if (!Number.isInteger(code) || code < 0 || code > 5) protocolError('INVALID_CONNACK', `CONNACK's return code must be 0..5, got ${String(code)}`);
  return code;
}
