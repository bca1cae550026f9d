/** SUBSCRIBE, SUBACK and UNSUBSCRIBE (3.8–3.10). */
import { checkPacketId, checkQos } from './checks.js';
import { protocolError, typeOf, usageError } from '../errors.js';
import { writeFixedHeader } from './length.js';
import type { Reader } from './reader.js';
import { measureTopicFilter } from './topic.js';
import type { SubackCode, SubackPacket, SubscribePacket, Subscription, UnsubscribePacket } from './types.js';
import { writeText } from './utf8.js';

function checkNotEmpty(list: unknown, packet: string, statement: string): void {
  // A lone filter where a list belongs (MQTT.js's subscribe('a/b')) is told as that, not as "no filters".
  if (list !== undefined && list !== null && !Array.isArray(list)) {
    throw usageError('INVALID_ARGUMENT', `${packet}'s topic filters must be an array, got ${typeof list === 'string' ? `"${list}"` : typeof list}`);
  }
  if (!Array.isArray(list) || list.length === 0) {
    protocolError('EMPTY_SUBSCRIPTION', `${packet} needs at least one topic filter`, statement);
  }
}

export function subscribeRemainingLength(p: SubscribePacket): number {
  checkPacketId(p.packetId, 'SUBSCRIBE');
  checkNotEmpty(p.subscriptions, 'SUBSCRIBE', 'MQTT-3.8.3-3');
  let length = 2;
  for (const s of p.subscriptions) {
    if (typeof s !== 'object' || s === null) protocolError('INVALID_TOPIC_FILTER', `A subscription must be an object, got ${typeOf(s)}`);
    checkQos(s.qos, 'Requested QoS');
    length += 2 + measureTopicFilter(s.topic) + 1;
  }
  return length;
}

export function writeSubscribe(p: SubscribePacket, target: Uint8Array, offset: number, remainingLength: number): number {
  offset = writeFixedHeader(target, offset, 0x82, remainingLength);
  offset = writeU16(target, offset, p.packetId);
  for (const s of p.subscriptions) {
    offset = writeText(target, offset, s.topic);
    target[offset++] = s.qos;
  }
  return offset;
}

export function readSubscribe(r: Reader): SubscribePacket {
  const packetId = r.packetId_();
  const subscriptions: Subscription[] = [];
  while (r.pos_ < r.end_) {
    const topic = readFilter(r);
    subscriptions.push({ topic, qos: checkQos(r.u8_('Requested QoS'), 'Requested QoS', 'MQTT-3.8.3-4') });
  }
  checkNotEmpty(subscriptions, 'SUBSCRIBE', 'MQTT-3.8.3-3');
  return { type: 'subscribe', packetId, subscriptions };
}

export function subackRemainingLength(p: SubackPacket): number {
  checkPacketId(p.packetId, 'SUBACK');
  return 2 + checkGranted(p.granted).length;
}

export function writeSuback(p: SubackPacket, target: Uint8Array, offset: number, remainingLength: number): number {
  offset = writeFixedHeader(target, offset, 0x90, remainingLength);
  offset = writeU16(target, offset, p.packetId);
  for (const code of p.granted) target[offset++] = code;
  return offset;
}

export function readSuback(r: Reader): SubackPacket {
  const packetId = r.packetId_();
  const granted: SubackCode[] = [];
  while (r.pos_ < r.end_) granted.push(r.u8_('return code') as SubackCode);
  return { type: 'suback', packetId, granted: checkGranted(granted) };
}

/** SUBACK's return codes, sent or received: one at least, each a granted QoS or 0x80 [MQTT-3.9.3-2]. */
function checkGranted(granted: SubackCode[]): SubackCode[] {
  if (!Array.isArray(granted) || granted.length === 0) protocolError('INVALID_SUBACK_CODE', 'SUBACK needs at least one return code');
  for (const code of granted) {
    if (code !== 0 && code !== 1 && code !== 2 && code !== 0x80) protocolError('INVALID_SUBACK_CODE', `SUBACK return code must be 0, 1, 2 or 0x80, got ${String(code)}`, 'MQTT-3.9.3-2');
  }
  return granted;
}

export function unsubscribeRemainingLength(p: UnsubscribePacket): number {
  checkPacketId(p.packetId, 'UNSUBSCRIBE');
  checkNotEmpty(p.topics, 'UNSUBSCRIBE', 'MQTT-3.10.3-2');
  let length = 2;
  for (const topic of p.topics) length += 2 + measureTopicFilter(topic);
  return length;
}

export function writeUnsubscribe(p: UnsubscribePacket, target: Uint8Array, offset: number, remainingLength: number): number {
  offset = writeFixedHeader(target, offset, 0xa2, remainingLength);
  offset = writeU16(target, offset, p.packetId);
  for (const topic of p.topics) offset = writeText(target, offset, topic);
  return offset;
}

export function readUnsubscribe(r: Reader): UnsubscribePacket {
  const packetId = r.packetId_();
  const topics: string[] = [];
  while (r.pos_ < r.end_) topics.push(readFilter(r));
  checkNotEmpty(topics, 'UNSUBSCRIBE', 'MQTT-3.10.3-2');
  return { type: 'unsubscribe', packetId, topics };
}

function readFilter(r: Reader): string {
  const filter = r.string_('Topic filter');
  measureTopicFilter(filter);
  return filter;
}

function writeU16(target: Uint8Array, offset: number, value: number): number {
  target[offset] = value >>> 8;
  target[offset + 1] = value & 0xff;
  return offset + 2;
}
