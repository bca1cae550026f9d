/**
 * Encoder refusals and decoder rejections of packet identifiers (2.3.1), PUBLISH and topic
 * names (3.3, 4.7), topic filters in SUBSCRIBE and UNSUBSCRIBE (3.8, 3.10, 4.7) and SUBACK return
 * codes (3.9), each with its error code and the normative statement it reports.
 */
import { describe, expect, it } from 'vitest';
import { PacketDecoder, encode } from '../../src/packet/index.js';
import type { Packet } from '../../src/packet/index.js';
import { CONNECT_PROTOCOL, frame, str } from './arbitraries.js';
import { EMPTY, conn, expectDecodeError, expectEncodeError, expectError, publish } from './refusals.js';

// ---------------------------------------------------------------------------------------------
// Packet identifiers (2.3.1)
// ---------------------------------------------------------------------------------------------

describe('packet identifiers', () => {
  const WITH_ID: [string, (id: unknown) => unknown][] = [
    ['PUBLISH QoS 1', (id) => ({ type: 'publish', topic: 't', payload: EMPTY, qos: 1, dup: false, retain: false, packetId: id })],
    ['PUBLISH QoS 2', (id) => ({ type: 'publish', topic: 't', payload: EMPTY, qos: 2, dup: false, retain: false, packetId: id })],
    ['PUBACK', (id) => ({ type: 'puback', packetId: id })],
    ['PUBREC', (id) => ({ type: 'pubrec', packetId: id })],
    ['PUBREL', (id) => ({ type: 'pubrel', packetId: id })],
    ['PUBCOMP', (id) => ({ type: 'pubcomp', packetId: id })],
    ['SUBSCRIBE', (id) => ({ type: 'subscribe', packetId: id, subscriptions: [{ topic: 't', qos: 0 }] })],
    ['SUBACK', (id) => ({ type: 'suback', packetId: id, granted: [0] })],
    ['UNSUBSCRIBE', (id) => ({ type: 'unsubscribe', packetId: id, topics: ['t'] })],
    ['UNSUBACK', (id) => ({ type: 'unsuback', packetId: id })],
  ];

  it.each(WITH_ID)('[MQTT-2.3.1-1] the encoder refuses a %s with packet id 0 (or outside 1..65535, or missing)', (_name, make) => {
    for (const id of [0, 65_536, -1, 1.5, Number.NaN, undefined, '1']) expectEncodeError(make(id), 'INVALID_PACKET_ID', 'MQTT-2.3.1-1');
    expect(() => encode(make(1) as Packet)).not.toThrow();
    expect(() => encode(make(65_535) as Packet)).not.toThrow();
  });

  const ZERO_ID: [string, Uint8Array][] = [
    ['PUBLISH QoS 1', frame(0x32, [...str('t'), 0, 0])],
    ['PUBLISH QoS 2', frame(0x34, [...str('t'), 0, 0, 0xaa])],
    ['PUBACK', frame(0x40, [0, 0])],
    ['PUBREC', frame(0x50, [0, 0])],
    ['PUBREL', frame(0x62, [0, 0])],
    ['PUBCOMP', frame(0x70, [0, 0])],
    ['SUBSCRIBE', frame(0x82, [0, 0, ...str('t'), 0])],
    ['SUBACK', frame(0x90, [0, 0, 0])],
    ['UNSUBSCRIBE', frame(0xa2, [0, 0, ...str('t')])],
    ['UNSUBACK', frame(0xb0, [0, 0])],
  ];

  it.each(ZERO_ID)('[MQTT-2.3.1-1] the decoder rejects a %s with packet id 0', (_name, bytes) => {
    expectDecodeError(bytes, 'INVALID_PACKET_ID', 'MQTT-2.3.1-1');
  });

  it('[MQTT-2.3.1-5] the encoder refuses a packet id on a QoS 0 PUBLISH', () => {
    expectEncodeError({ type: 'publish', topic: 't', payload: EMPTY, qos: 0, dup: false, retain: false, packetId: 1 }, 'INVALID_PACKET_ID', 'MQTT-2.3.1-5');
  });
});

// ---------------------------------------------------------------------------------------------
// PUBLISH (3.3) and topic names / filters (4.7)
// ---------------------------------------------------------------------------------------------

describe('PUBLISH', () => {
  it('[MQTT-3.3.1-4] the encoder refuses QoS 3 (and any other non-QoS)', () => {
    for (const qos of [3, -1, 1.5, '1', undefined]) {
      expectEncodeError({ type: 'publish', topic: 't', payload: EMPTY, qos, dup: false, retain: false, packetId: 1 }, 'INVALID_QOS', 'MQTT-3.3.1-4');
    }
  });

  it('[MQTT-3.3.1-4] the decoder rejects both QoS bits set, from the first byte alone', () => {
    for (const first of [0x36, 0x37, 0x3e, 0x3f]) {
      expectDecodeError(frame(first, [...str('t'), 0, 1]), 'INVALID_QOS', 'MQTT-3.3.1-4');
      expectError(() => new PacketDecoder().push(Uint8Array.of(first)), 'INVALID_QOS', 'MQTT-3.3.1-4');
    }
  });

  it('[MQTT-3.3.1-2] the encoder refuses DUP on a QoS 0 PUBLISH', () => {
    expectEncodeError({ type: 'publish', topic: 't', payload: EMPTY, qos: 0, dup: true, retain: false }, 'MALFORMED_PACKET', 'MQTT-3.3.1-2');
  });

  it('the encoder refuses a payload that is not a Uint8Array', () => {
    expectEncodeError({ type: 'publish', topic: 't', payload: 'text', qos: 0, dup: false, retain: false }, 'MALFORMED_PACKET');
  });

  const WILDCARD_TOPICS = ['#', '+', 'a/#', 'a/+', '+/a', 'a+b', 'a#b', 'sport/tennis/#'];

  it('[MQTT-3.3.2-2] [MQTT-4.7.1-1] the encoder refuses wildcards in a PUBLISH topic name and in a will topic', () => {
    for (const t of WILDCARD_TOPICS) {
      expectEncodeError(publish(t), 'INVALID_TOPIC', 'MQTT-3.3.2-2');
      expectEncodeError(conn({ will: { topic: t, payload: EMPTY, qos: 0, retain: false } }), 'INVALID_TOPIC', 'MQTT-3.3.2-2');
    }
  });

  it('[MQTT-3.3.2-2] [MQTT-4.7.1-1] the decoder rejects wildcards in a PUBLISH topic name', () => {
    for (const t of WILDCARD_TOPICS) expectDecodeError(frame(0x30, str(t)), 'INVALID_TOPIC', 'MQTT-3.3.2-2');
  });

  it('[MQTT-4.7.1-1] the decoder rejects wildcards in a will topic', () => {
    for (const t of WILDCARD_TOPICS) {
      expectDecodeError(frame(0x10, [...CONNECT_PROTOCOL, 0x06, 0, 0, ...str('c'), ...str(t), 0, 0]), 'INVALID_TOPIC', 'MQTT-4.7.1-1');
    }
  });

  it('[MQTT-4.7.3-1] an empty topic name is refused by the encoder and rejected by the decoder', () => {
    expectEncodeError(publish(''), 'INVALID_TOPIC', 'MQTT-4.7.3-1');
    expectDecodeError(frame(0x30, [0, 0]), 'INVALID_TOPIC', 'MQTT-4.7.3-1');
    expectDecodeError(frame(0x32, [0, 0, 0, 1]), 'INVALID_TOPIC', 'MQTT-4.7.3-1');
  });

  it('[MQTT-4.7.3-1] an empty will topic is refused by the encoder', () => {
    expectEncodeError(conn({ will: { topic: '', payload: EMPTY, qos: 0, retain: false } }), 'INVALID_TOPIC', 'MQTT-4.7.3-1');
  });

  it('[MQTT-4.7.3-1] an empty will topic is rejected by the decoder, citing the empty-topic rule', () => {
    expectDecodeError(frame(0x10, [...CONNECT_PROTOCOL, 0x06, 0, 0, ...str('c'), 0, 0, 0, 0]), 'INVALID_TOPIC', 'MQTT-4.7.3-1');
  });
});

describe('topic filters in SUBSCRIBE and UNSUBSCRIBE', () => {
  const MISPLACED_HASH = ['a#', '#a', 'a/#/b', '#/', '##', 'a/b#', '#/#', '#+', 'a/#/'];
  const MISPLACED_PLUS = ['a+', '+a', 'a/+b', 'a/b+/c', '++', '+#', 'a/++', '+a/b'];

  const subscribe = (f: string): Packet => ({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'ok/+', qos: 0 }, { topic: f, qos: 1 }] });
  const unsubscribe = (f: string): Packet => ({ type: 'unsubscribe', packetId: 1, topics: ['ok/#', f] });

  it.each(MISPLACED_HASH)('[MQTT-4.7.1-2] "%s" is refused by the encoder and rejected by the decoder', (f) => {
    expectEncodeError(subscribe(f), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.1-2');
    expectEncodeError(unsubscribe(f), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.1-2');
    expectDecodeError(frame(0x82, [0, 1, ...str(f), 0]), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.1-2');
    expectDecodeError(frame(0xa2, [0, 1, ...str(f)]), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.1-2');
  });

  it.each(MISPLACED_PLUS)('[MQTT-4.7.1-3] "%s" is refused by the encoder and rejected by the decoder', (f) => {
    expectEncodeError(subscribe(f), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.1-3');
    expectEncodeError(unsubscribe(f), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.1-3');
    expectDecodeError(frame(0x82, [0, 1, ...str(f), 0]), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.1-3');
    expectDecodeError(frame(0xa2, [0, 1, ...str(f)]), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.1-3');
  });

  it('[MQTT-4.7.3-1] an empty topic filter is refused by the encoder and rejected by the decoder', () => {
    expectEncodeError(subscribe(''), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.3-1');
    expectEncodeError(unsubscribe(''), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.3-1');
    expectDecodeError(frame(0x82, [0, 1, 0, 0, 0]), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.3-1');
    expectDecodeError(frame(0xa2, [0, 1, 0, 0]), 'INVALID_TOPIC_FILTER', 'MQTT-4.7.3-1');
  });

  it('[MQTT-3.8.3-3] an empty SUBSCRIBE is refused by the encoder and rejected by the decoder', () => {
    expectEncodeError({ type: 'subscribe', packetId: 1, subscriptions: [] }, 'EMPTY_SUBSCRIPTION', 'MQTT-3.8.3-3');
    expectEncodeError({ type: 'subscribe', packetId: 1 }, 'EMPTY_SUBSCRIPTION', 'MQTT-3.8.3-3');
    expectDecodeError(frame(0x82, [0, 1]), 'EMPTY_SUBSCRIPTION', 'MQTT-3.8.3-3');
  });

  it('[MQTT-3.10.3-2] an empty UNSUBSCRIBE is refused by the encoder and rejected by the decoder', () => {
    expectEncodeError({ type: 'unsubscribe', packetId: 1, topics: [] }, 'EMPTY_SUBSCRIPTION', 'MQTT-3.10.3-2');
    expectDecodeError(frame(0xa2, [0, 1]), 'EMPTY_SUBSCRIPTION', 'MQTT-3.10.3-2');
  });

  it('[MQTT-3.8.3-4] the decoder rejects every requested-QoS byte with reserved bits set or QoS 3', () => {
    for (let byte = 3; byte <= 0xff; byte++) {
      expectDecodeError(frame(0x82, [0, 1, ...str('a'), 0x01, ...str('b'), byte]), 'INVALID_QOS', 'MQTT-3.8.3-4');
    }
  });

  it('[MQTT-3.8.3-4] the encoder refuses a requested QoS other than 0, 1, 2', () => {
    for (const qos of [3, -1, 0x81, 1.5]) expectEncodeError({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 't', qos }] }, 'INVALID_QOS');
  });
});

// ---------------------------------------------------------------------------------------------
// SUBACK (3.9)
// ---------------------------------------------------------------------------------------------

describe('SUBACK', () => {
  const VALID = new Set([0x00, 0x01, 0x02, 0x80]);

  it('[MQTT-3.9.3-2] the decoder rejects every return code but 0x00, 0x01, 0x02, 0x80, in any position', () => {
    for (let code = 0; code <= 0xff; code++) {
      if (VALID.has(code)) continue;
      expectDecodeError(frame(0x90, [0, 1, code]), 'INVALID_SUBACK_CODE', 'MQTT-3.9.3-2');
      expectDecodeError(frame(0x90, [0, 1, 0x80, 0x02, code]), 'INVALID_SUBACK_CODE', 'MQTT-3.9.3-2');
    }
  });

  it('[MQTT-3.9.3-2] the encoder refuses return codes other than 0x00, 0x01, 0x02, 0x80', () => {
    for (const code of [3, 0x7f, 0x81, 0xff, -1, 1.5]) expectEncodeError({ type: 'suback', packetId: 1, granted: [0, code] }, 'INVALID_SUBACK_CODE', 'MQTT-3.9.3-2');
  });

  it('a SUBACK without return codes is refused by the encoder and rejected by the decoder', () => {
    expectEncodeError({ type: 'suback', packetId: 1, granted: [] }, 'INVALID_SUBACK_CODE');
    expectDecodeError(frame(0x90, [0, 1]), 'INVALID_SUBACK_CODE');
  });
});
