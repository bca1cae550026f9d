/**
 * Golden vectors: bytes written by hand from the MQTT 3.1.1 tables (fixed header Table 2.2,
 * the variable header and payload figures of chapter 3), checked both ways — encode gives
 * exactly these bytes, decodePacket of these bytes gives exactly this packet.
 */
import { describe, expect, it } from 'vitest';
import { decodePacket, encode, encodeInto, encodedLength } from '../../src/packet/index.js';
import type { Packet } from '../../src/packet/index.js';
import { normalize } from './arbitraries.js';

const b = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

function expectBothWays(packet: Packet, bytes: Uint8Array): void {
  expect([...encode(packet)]).toEqual([...bytes]);
  expect(encodedLength(packet)).toBe(bytes.length);
  expect(normalize(decodePacket(bytes))).toStrictEqual(normalize(packet));
}

interface Vector {
  name: string;
  packet: Packet;
  bytes: Uint8Array;
}

// "MQTT" + level 4, the first seven bytes of every CONNECT variable header (3.1.2.1, 3.1.2.2).
const MQTT4 = [0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04];

const VECTORS: Vector[] = [
  {
    name: '[MQTT-3.1.3-3] CONNECT, clean session, client id "c1", keep alive 60',
    packet: { type: 'connect', clientId: 'c1', keepalive: 60, cleanSession: true },
    bytes: b(0x10, 0x0e, ...MQTT4, 0x02, 0x00, 0x3c, 0x00, 0x02, 0x63, 0x31),
  },
  {
    name: '[MQTT-3.1.3-1] [MQTT-3.1.2-9] [MQTT-3.1.2-19] [MQTT-3.1.2-21] CONNECT with will (QoS 1, retain), user name and password, CleanSession=0',
    packet: {
      type: 'connect',
      clientId: 'cli',
      keepalive: 10,
      cleanSession: false,
      will: { topic: 'w/t', payload: b(0xde, 0xad), qos: 1, retain: true },
      username: 'u',
      password: b(0x70),
    },
    bytes: b(
      0x10, 0x1e, ...MQTT4,
      0xec, // user name, password, will retain, will QoS 01, will flag; CleanSession 0; reserved 0
      0x00, 0x0a,
      0x00, 0x03, ...ascii('cli'),
      0x00, 0x03, ...ascii('w/t'),
      0x00, 0x02, 0xde, 0xad,
      0x00, 0x01, ...ascii('u'),
      0x00, 0x01, 0x70,
    ),
  },
  {
    name: '[MQTT-3.1.2-9] [MQTT-3.1.2-14] CONNECT with will QoS 2, no retain, empty will message',
    packet: { type: 'connect', clientId: 'a', keepalive: 0, cleanSession: true, will: { topic: 'x', payload: b(), qos: 2, retain: false } },
    bytes: b(0x10, 0x12, ...MQTT4, 0x16, 0x00, 0x00, 0x00, 0x01, 0x61, 0x00, 0x01, 0x78, 0x00, 0x00),
  },
  {
    name: '[MQTT-3.1.2-19] [MQTT-3.1.2-20] CONNECT with an empty user name and no password',
    packet: { type: 'connect', clientId: 'a', keepalive: 0, cleanSession: true, username: '' },
    bytes: b(0x10, 0x0f, ...MQTT4, 0x82, 0x00, 0x00, 0x00, 0x01, 0x61, 0x00, 0x00),
  },
  {
    name: '[MQTT-3.1.2-19] [MQTT-3.1.2-21] CONNECT with user name and binary password, keep alive 65535',
    packet: { type: 'connect', clientId: 'id', keepalive: 65_535, cleanSession: true, username: 'me', password: b(0x00, 0xff) },
    bytes: b(0x10, 0x16, ...MQTT4, 0xc2, 0xff, 0xff, 0x00, 0x02, ...ascii('id'), 0x00, 0x02, ...ascii('me'), 0x00, 0x02, 0x00, 0xff),
  },
  {
    name: '[MQTT-3.1.3-3] CONNECT with an empty client id',
    packet: { type: 'connect', clientId: '', keepalive: 0, cleanSession: true },
    bytes: b(0x10, 0x0c, ...MQTT4, 0x02, 0x00, 0x00, 0x00, 0x00),
  },
  { name: 'CONNACK accepted', packet: { type: 'connack', sessionPresent: false, returnCode: 0 }, bytes: b(0x20, 0x02, 0x00, 0x00) },
  { name: 'CONNACK session present', packet: { type: 'connack', sessionPresent: true, returnCode: 0 }, bytes: b(0x20, 0x02, 0x01, 0x00) },
  { name: 'CONNACK not authorized', packet: { type: 'connack', sessionPresent: false, returnCode: 5 }, bytes: b(0x20, 0x02, 0x00, 0x05) },
  {
    name: '[MQTT-2.3.1-5] [MQTT-4.3.1-1] PUBLISH QoS 0',
    packet: { type: 'publish', topic: 'a/b', payload: b(0x68, 0x69), qos: 0, dup: false, retain: false },
    bytes: b(0x30, 0x07, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x68, 0x69),
  },
  {
    name: '[MQTT-3.3.2-1] PUBLISH QoS 1 with DUP and RETAIN, packet id 10',
    packet: { type: 'publish', topic: 'a', payload: b(0x01), qos: 1, dup: true, retain: true, packetId: 10 },
    bytes: b(0x3b, 0x06, 0x00, 0x01, 0x61, 0x00, 0x0a, 0x01),
  },
  {
    name: 'PUBLISH QoS 2, packet id 65535, empty payload',
    packet: { type: 'publish', topic: 'tt', payload: b(), qos: 2, dup: false, retain: false, packetId: 65_535 },
    bytes: b(0x34, 0x06, 0x00, 0x02, 0x74, 0x74, 0xff, 0xff),
  },
  {
    name: '[MQTT-1.5.3-1] PUBLISH to a non-ASCII topic with an astral character',
    packet: { type: 'publish', topic: 'é/😀', payload: b(), qos: 0, dup: false, retain: false },
    bytes: b(0x30, 0x09, 0x00, 0x07, 0xc3, 0xa9, 0x2f, 0xf0, 0x9f, 0x98, 0x80),
  },
  {
    name: 'PUBLISH whose Remaining Length 128 takes two bytes (0x80 0x01)',
    packet: { type: 'publish', topic: 'a', payload: new Uint8Array(125).fill(0x5a), qos: 0, dup: false, retain: false },
    bytes: b(0x30, 0x80, 0x01, 0x00, 0x01, 0x61, ...new Array<number>(125).fill(0x5a)),
  },
  { name: 'PUBACK', packet: { type: 'puback', packetId: 1 }, bytes: b(0x40, 0x02, 0x00, 0x01) },
  { name: 'PUBREC', packet: { type: 'pubrec', packetId: 0x1234 }, bytes: b(0x50, 0x02, 0x12, 0x34) },
  { name: '[MQTT-3.6.1-1] PUBREL', packet: { type: 'pubrel', packetId: 0xabcd }, bytes: b(0x62, 0x02, 0xab, 0xcd) },
  { name: 'PUBCOMP', packet: { type: 'pubcomp', packetId: 0xffff }, bytes: b(0x70, 0x02, 0xff, 0xff) },
  {
    name: '[MQTT-3.8.1-1] [MQTT-3.8.3-1] SUBSCRIBE with three filters',
    packet: {
      type: 'subscribe',
      packetId: 1,
      subscriptions: [
        { topic: 'a/+', qos: 1 },
        { topic: '#', qos: 2 },
        { topic: '$SYS/x', qos: 0 },
      ],
    },
    bytes: b(0x82, 0x15, 0x00, 0x01, 0x00, 0x03, ...ascii('a/+'), 0x01, 0x00, 0x01, 0x23, 0x02, 0x00, 0x06, ...ascii('$SYS/x'), 0x00),
  },
  {
    name: 'SUBACK with granted QoS 1, 2, failure, 0',
    packet: { type: 'suback', packetId: 1, granted: [1, 2, 0x80, 0] },
    bytes: b(0x90, 0x06, 0x00, 0x01, 0x01, 0x02, 0x80, 0x00),
  },
  {
    name: '[MQTT-3.10.1-1] [MQTT-3.10.3-1] UNSUBSCRIBE with two filters',
    packet: { type: 'unsubscribe', packetId: 2, topics: ['a/+', '#'] },
    bytes: b(0xa2, 0x0a, 0x00, 0x02, 0x00, 0x03, ...ascii('a/+'), 0x00, 0x01, 0x23),
  },
  { name: 'UNSUBACK', packet: { type: 'unsuback', packetId: 7 }, bytes: b(0xb0, 0x02, 0x00, 0x07) },
  { name: 'PINGREQ', packet: { type: 'pingreq' }, bytes: b(0xc0, 0x00) },
  { name: 'PINGRESP', packet: { type: 'pingresp' }, bytes: b(0xd0, 0x00) },
  { name: 'DISCONNECT', packet: { type: 'disconnect' }, bytes: b(0xe0, 0x00) },
];

describe('golden vectors, both directions', () => {
  it.each(VECTORS.map((v) => [v.name, v] as const))('%s', (_name, { packet, bytes }) => {
    expectBothWays(packet, bytes);
  });

  it('every vector also encodes in place with encodeInto', () => {
    for (const { packet, bytes } of VECTORS) {
      const target = new Uint8Array(bytes.length + 3).fill(0xee);
      expect(encodeInto(packet, target, 3)).toBe(bytes.length);
      expect([...target]).toEqual([0xee, 0xee, 0xee, ...bytes]);
    }
  });
});

describe('fixed header first bytes (Table 2.2)', () => {
  const FIRST: [string, Packet, number][] = [
    ['CONNECT', { type: 'connect', clientId: 'x', keepalive: 0, cleanSession: true }, 0x10],
    ['CONNACK', { type: 'connack', sessionPresent: false, returnCode: 0 }, 0x20],
    ['PUBLISH QoS 0', { type: 'publish', topic: 't', payload: b(), qos: 0, dup: false, retain: false }, 0x30],
    ['PUBLISH QoS 0 RETAIN', { type: 'publish', topic: 't', payload: b(), qos: 0, dup: false, retain: true }, 0x31],
    ['PUBLISH QoS 1', { type: 'publish', topic: 't', payload: b(), qos: 1, dup: false, retain: false, packetId: 1 }, 0x32],
    ['PUBLISH QoS 2', { type: 'publish', topic: 't', payload: b(), qos: 2, dup: false, retain: false, packetId: 1 }, 0x34],
    ['PUBLISH QoS 1 DUP', { type: 'publish', topic: 't', payload: b(), qos: 1, dup: true, retain: false, packetId: 1 }, 0x3a],
    ['PUBLISH QoS 2 DUP RETAIN', { type: 'publish', topic: 't', payload: b(), qos: 2, dup: true, retain: true, packetId: 1 }, 0x3d],
    ['PUBACK', { type: 'puback', packetId: 1 }, 0x40],
    ['PUBREC', { type: 'pubrec', packetId: 1 }, 0x50],
    ['PUBREL', { type: 'pubrel', packetId: 1 }, 0x62],
    ['PUBCOMP', { type: 'pubcomp', packetId: 1 }, 0x70],
    ['SUBSCRIBE', { type: 'subscribe', packetId: 1, subscriptions: [{ topic: 't', qos: 0 }] }, 0x82],
    ['SUBACK', { type: 'suback', packetId: 1, granted: [0] }, 0x90],
    ['UNSUBSCRIBE', { type: 'unsubscribe', packetId: 1, topics: ['t'] }, 0xa2],
    ['UNSUBACK', { type: 'unsuback', packetId: 1 }, 0xb0],
    ['PINGREQ', { type: 'pingreq' }, 0xc0],
    ['PINGRESP', { type: 'pingresp' }, 0xd0],
    ['DISCONNECT', { type: 'disconnect' }, 0xe0],
  ];

  const rows = FIRST.map(([name, packet, first]) => [name, `0x${first.toString(16).toUpperCase()}`, packet, first] as const);

  it.each(rows)('[MQTT-2.2.2-1] %s is sent with its Table 2.2 first byte %s', (_name, _hex, packet, first) => {
    expect(encode(packet)[0]).toBe(first);
    // And the same byte is accepted on the way in.
    expect(decodePacket(encode(packet)).type).toBe(packet.type);
  });

  it('[MQTT-3.6.1-1] PUBREL is sent with flags 0010 (first byte 0x62)', () => {
    expect(encode({ type: 'pubrel', packetId: 300 })[0]).toBe(0x62);
    expect(decodePacket(b(0x62, 0x02, 0x01, 0x2c))).toStrictEqual({ type: 'pubrel', packetId: 300 });
  });

  it('[MQTT-3.8.1-1] SUBSCRIBE is sent with flags 0010 (first byte 0x82)', () => {
    expect(encode({ type: 'subscribe', packetId: 9, subscriptions: [{ topic: '#', qos: 1 }] })[0]).toBe(0x82);
  });

  it('[MQTT-3.10.1-1] UNSUBSCRIBE is sent with flags 0010 (first byte 0xA2)', () => {
    expect(encode({ type: 'unsubscribe', packetId: 9, topics: ['#'] })[0]).toBe(0xa2);
  });
});

describe('CONNECT flags and payload', () => {
  const FLAGS_AT = 1 + 1 + MQTT4.length; // first byte, one-byte Remaining Length, protocol header

  it('[MQTT-3.1.3-1] payload fields appear in the order client id, will topic, will message, user name, password', () => {
    const bytes = encode({
      type: 'connect',
      clientId: 'C',
      keepalive: 0,
      cleanSession: true,
      will: { topic: 'T', payload: b(0x4d), qos: 0, retain: false },
      username: 'U',
      password: b(0x50),
    });
    expect([...bytes.subarray(FLAGS_AT + 3)]).toEqual([0, 1, 0x43, 0, 1, 0x54, 0, 1, 0x4d, 0, 1, 0x55, 0, 1, 0x50]);
  });

  it('[MQTT-3.1.3-3] an empty client id is still sent, as a zero-length string, first in the payload', () => {
    const bytes = encode({ type: 'connect', clientId: '', keepalive: 5, cleanSession: true, username: 'u' });
    expect([...bytes.subarray(FLAGS_AT + 3)]).toEqual([0x00, 0x00, 0x00, 0x01, 0x75]);
    expect(decodePacket(bytes)).toMatchObject({ clientId: '', username: 'u' });
  });

  it('[MQTT-3.1.2-9] Will Flag 1 puts Will Topic and Will Message into the payload', () => {
    const bytes = encode({ type: 'connect', clientId: 'c', keepalive: 0, cleanSession: true, will: { topic: 'wt', payload: b(7, 8, 9), qos: 0, retain: false } });
    expect(bytes[FLAGS_AT]).toBe(0x06);
    expect([...bytes.subarray(FLAGS_AT + 3)]).toEqual([0, 1, 0x63, 0, 2, 0x77, 0x74, 0, 3, 7, 8, 9]);
  });

  it('[MQTT-3.1.2-11] [MQTT-3.1.2-13] [MQTT-3.1.2-15] without a will, Will Flag, Will QoS and Will Retain are 0 and no will fields follow', () => {
    const bytes = encode({ type: 'connect', clientId: 'c', keepalive: 0, cleanSession: false });
    expect(bytes[FLAGS_AT]).toBe(0x00);
    expect([...bytes.subarray(FLAGS_AT + 3)]).toEqual([0, 1, 0x63]);
  });

  it('[MQTT-3.1.2-14] will QoS 0, 1 and 2 land in bits 4-3 with the Will Flag; Will Retain in bit 5', () => {
    const flagsFor = (qos: 0 | 1 | 2, retain: boolean): number =>
      encode({ type: 'connect', clientId: 'c', keepalive: 0, cleanSession: false, will: { topic: 't', payload: b(), qos, retain } })[FLAGS_AT]!;
    expect(flagsFor(0, false)).toBe(0x04);
    expect(flagsFor(1, false)).toBe(0x0c);
    expect(flagsFor(2, false)).toBe(0x14);
    expect(flagsFor(2, true)).toBe(0x34);
  });

  it('[MQTT-3.1.2-18] [MQTT-3.1.2-20] no user name and no password: flags 7 and 6 clear, nothing after the client id', () => {
    const bytes = encode({ type: 'connect', clientId: 'c', keepalive: 0, cleanSession: true });
    expect(bytes[FLAGS_AT]! & 0xc0).toBe(0);
    expect(bytes.length).toBe(FLAGS_AT + 3 + 3);
  });

  it('[MQTT-3.1.2-19] [MQTT-3.1.2-20] user name without password: flag 7 set, flag 6 clear, user name last', () => {
    const bytes = encode({ type: 'connect', clientId: 'c', keepalive: 0, cleanSession: true, username: 'ab' });
    expect(bytes[FLAGS_AT]! & 0xc0).toBe(0x80);
    expect([...bytes.subarray(FLAGS_AT + 3)]).toEqual([0, 1, 0x63, 0, 2, 0x61, 0x62]);
  });

  it('[MQTT-3.1.2-19] [MQTT-3.1.2-21] user name and password: flags 7 and 6 set, both present, password last', () => {
    const bytes = encode({ type: 'connect', clientId: 'c', keepalive: 0, cleanSession: true, username: 'ab', password: b() });
    expect(bytes[FLAGS_AT]! & 0xc0).toBe(0xc0);
    expect([...bytes.subarray(FLAGS_AT + 3)]).toEqual([0, 1, 0x63, 0, 2, 0x61, 0x62, 0, 0]);
  });

  it('[MQTT-3.1.2-3] the reserved flag bit 0 is never set', () => {
    const bytes = encode({
      type: 'connect',
      clientId: 'c',
      keepalive: 0,
      cleanSession: true,
      will: { topic: 't', payload: b(), qos: 2, retain: true },
      username: 'u',
      password: b(1),
    });
    expect(bytes[FLAGS_AT]).toBe(0xf6);
  });
});

describe('PUBLISH variable header', () => {
  it('[MQTT-2.3.1-5] [MQTT-3.3.1-2] [MQTT-4.3.1-1] a QoS 0 PUBLISH has no packet identifier and DUP 0; decoding gives no packetId key', () => {
    const bytes = b(0x30, 0x05, 0x00, 0x01, 0x74, 0xab, 0xcd);
    const p = { type: 'publish', topic: 't', payload: b(0xab, 0xcd), qos: 0, dup: false, retain: false } as const;
    expect([...encode(p)]).toEqual([...bytes]);
    const decoded = decodePacket(bytes);
    expect(decoded).not.toHaveProperty('packetId');
    expect(normalize(decoded)).toStrictEqual(normalize(p));
  });

  it('[MQTT-3.3.2-1] the topic name is the first field of the variable header, then the packet id', () => {
    const bytes = encode({ type: 'publish', topic: 'ab', payload: b(0xff), qos: 1, dup: false, retain: false, packetId: 0x0102 });
    expect([...bytes]).toEqual([0x32, 0x07, 0x00, 0x02, 0x61, 0x62, 0x01, 0x02, 0xff]);
  });

  it('[MQTT-1.5.3-3] a leading EF BB BF is decoded to U+FEFF and kept, and encoded back', () => {
    const bytes = b(0x30, 0x06, 0x00, 0x04, 0xef, 0xbb, 0xbf, 0x61);
    const decoded = decodePacket(bytes);
    expect(decoded.type === 'publish' && decoded.topic).toBe('\ufeffa');
    expect(decoded.type === 'publish' && decoded.topic.length).toBe(2);
    expect([...encode({ type: 'publish', topic: '\ufeffa', payload: b(), qos: 0, dup: false, retain: false })]).toEqual([...bytes]);
  });

  it('[MQTT-1.5.3-3] U+FEFF is kept in every string field of CONNECT, SUBSCRIBE and UNSUBSCRIBE', () => {
    const bom = [0xef, 0xbb, 0xbf];
    const connect = b(
      0x10, 0x1e, ...MQTT4, 0xc6, 0x00, 0x00,
      0x00, 0x03, ...bom, // client id
      0x00, 0x03, ...bom, // will topic
      0x00, 0x00, // will message
      0x00, 0x04, ...bom, 0x75, // user name
      0x00, 0x00, // password
    );
    expect(normalize(decodePacket(connect))).toStrictEqual(
      normalize({
        type: 'connect',
        clientId: '\ufeff',
        keepalive: 0,
        cleanSession: true,
        will: { topic: '\ufeff', payload: b(), qos: 0, retain: false },
        username: '\ufeffu',
        password: b(),
      }),
    );
    expect(decodePacket(b(0x82, 0x08, 0x00, 0x01, 0x00, 0x03, ...bom, 0x00))).toStrictEqual({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [{ topic: '\ufeff', qos: 0 }],
    });
    expect(decodePacket(b(0xa2, 0x07, 0x00, 0x01, 0x00, 0x03, ...bom))).toStrictEqual({ type: 'unsubscribe', packetId: 1, topics: ['\ufeff'] });
  });
});
