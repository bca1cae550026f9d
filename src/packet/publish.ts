/** PUBLISH (3.3): the one packet on the hot path, so it avoids every avoidable step. */
import { checkBinary, checkPacketId, checkQos } from './checks.js';
import { protocolError } from '../errors.js';
import { writeFixedHeader } from './length.js';
import type { Reader } from './reader.js';
import { checkTopicName, measureTopicName } from './topic.js';
import type { PublishPacket, QoS } from './types.js';
import { readAsciiBytes } from './bytes.js';
import { readUtf8, writeString } from './utf8.js';

export function publishRemainingLength(p: PublishPacket): number {
  const qos = checkQos(p.qos, 'PUBLISH QoS', 'MQTT-3.3.1-4');
  if (qos !== 0) checkPacketId(p.packetId, 'PUBLISH');
  else if (p.dup || p.packetId !== undefined) qos0Refusal(p);
  // The payload (refused before the topic) fills the packet: its only limit is the Remaining Length's.
  return (qos === 0 ? 2 : 4) + checkBinary(p.payload, 'PUBLISH payload', Infinity).length + measureTopicName(p.topic);
}

/** What a QoS 0 PUBLISH must not have (a function of its own: the measure stays small enough to inline). */
function qos0Refusal(p: PublishPacket): never {
  if (p.dup) protocolError('MALFORMED_PACKET', "A QoS 0 PUBLISH's DUP must be 0", 'MQTT-3.3.1-2');
  return protocolError('INVALID_PACKET_ID', 'A QoS 0 PUBLISH has no packet identifier', 'MQTT-2.3.1-5');
}

export function writePublish(p: PublishPacket, target: Uint8Array, offset: number, remainingLength: number): number {
  const { qos, payload } = p;
  const length = payload.length;
  offset = writeFixedHeader(target, offset, 0x30 | (p.dup ? 0x08 : 0) | (qos << 1) | (p.retain ? 0x01 : 0), remainingLength);
  // The topic's UTF-8 length is what the measured Remaining Length leaves for it.
  offset = writeString(target, offset, p.topic, remainingLength - (qos === 0 ? 2 : 4) - length);
  if (qos !== 0) {
    const id = p.packetId!;
    target[offset++] = id >>> 8;
    target[offset++] = id & 0xff;
  }
  if (length < 64) {
    for (let i = 0; i < length; i++) target[offset + i] = payload[i]!;
  } else {
    target.set(payload, offset);
  }
  return offset + length;
}

// Subscribers mostly receive a few topics over and over: keep the last one's bytes and string,
// so a repeat costs a byte comparison instead of a validation scan and a string allocation.
const CACHED_TOPIC_MAX = 256;
const lastTopicBytes = new Uint8Array(CACHED_TOPIC_MAX);
let lastTopicLength = -1;
let lastTopic = '';

function readTopic(r: Reader): string {
  const bytes = r.bytes_;
  const start = r.field_('Topic name');
  const end = r.pos_;
  const length = end - start;
  if (length === lastTopicLength) {
    let i = 0;
    while (i < length && bytes[start + i] === lastTopicBytes[i]) i++;
    if (i === length) return lastTopic;
  }
  // One pass copies the topic for the cache (which holds nothing valid until it is checked) and
  // looks for what plain ASCII excludes: a plain topic (not empty) needs no other check.
  lastTopicLength = -1;
  const cached = length <= CACHED_TOPIC_MAX;
  let plain = cached && length > 0;
  if (cached) {
    for (let i = 0; i < length; i++) {
      const c = (lastTopicBytes[i] = bytes[start + i]!);
      if (c === 0 || c >= 0x80 || c === 0x2b || c === 0x23) plain = false;
    }
  }
  const topic = plain ? readAsciiBytes(bytes, start, end) : readUtf8(bytes, start, end, 'Topic name');
  if (!plain) checkTopicName(topic, 'Topic name');
  if (cached) {
    lastTopicLength = length;
    lastTopic = topic;
  }
  return topic;
}

export function readPublish(r: Reader, flags: number): PublishPacket {
  const qos = (flags >>> 1) & 0x03; // never 3: checkFixedFlags refused it [MQTT-3.3.1-4]
  const topic = readTopic(r);
  const dup = (flags & 0x08) !== 0;
  const retain = (flags & 0x01) !== 0;
  if (qos === 0) {
    return { type: 'publish', topic, payload: r.rest_(), qos: 0, dup, retain };
  }
  const packetId = r.packetId_();
  return { type: 'publish', topic, payload: r.rest_(), qos: qos as QoS, dup, retain, packetId };
}
