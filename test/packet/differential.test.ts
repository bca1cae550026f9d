/**
 * Differential tests against mqtt-packet 9 (MQTT 3.1.1 mode): (a) mqtt-packet's parser reads
 * our encodings back to the same fields, (b) our decoder reads mqtt-packet's encodings back to
 * the same fields, (c) both encoders produce the same bytes.
 *
 * Generation needs no restriction for mqtt-packet: everything our arbitraries produce is valid
 * MQTT 3.1.1 and mqtt-packet accepts all of it. Where the two libraries differ, mqtt-packet is
 * the looser one, and the arbitraries already stay inside the stricter set:
 * - mqtt-packet's parser accepts any CONNACK return code and Session Present with a refusal;
 *   we generate return codes 0..5 and Session Present only with 0 (our encoder's rule).
 * - mqtt-packet neither validates UTF-8, U+0000, wildcards in topic names, filter syntax, nor
 *   packet id 0; we generate only valid strings, topics, filters and ids 1..65535.
 * - mqtt-packet's generate() treats keepalive 0 / clientId '' as "absent" (`|| 0`, `|| ''`),
 *   which encodes the same bytes, and like us refuses an empty client id without clean session.
 * - mqtt-packet needs Buffers (its Accumulator calls `.copy`) for payload, will message and
 *   password, so the mapping converts Uint8Array to Buffer.
 */
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { decodePacket, encode } from '../../src/packet/index.js';
import type { Packet, QoS, SubackCode } from '../../src/packet/index.js';
import { hex, normalize, packet } from './arbitraries.js';

const RUNS = 2_000;

/** mqtt-packet's packet objects, loosely typed: its own types do not model every field we set. */
type MqttObject = Record<string, unknown> & { cmd: string };

const toBuffer = (u: Uint8Array): Buffer => Buffer.from(u);

/** Our packet → mqtt-packet's object for generate(). */
function toMqtt(p: Packet): MqttObject {
  switch (p.type) {
    case 'connect': {
      const o: MqttObject = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: p.clientId, clean: p.cleanSession, keepalive: p.keepalive };
      if (p.will) o.will = { topic: p.will.topic, payload: toBuffer(p.will.payload), qos: p.will.qos, retain: p.will.retain };
      if (p.username !== undefined) o.username = p.username;
      if (p.password !== undefined) o.password = toBuffer(p.password);
      return o;
    }
    case 'connack':
      return { cmd: 'connack', sessionPresent: p.sessionPresent, returnCode: p.returnCode };
    case 'publish': {
      const o: MqttObject = { cmd: 'publish', topic: p.topic, payload: toBuffer(p.payload), qos: p.qos, dup: p.dup, retain: p.retain };
      if (p.packetId !== undefined) o.messageId = p.packetId;
      return o;
    }
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'unsuback':
      return { cmd: p.type, messageId: p.packetId };
    case 'subscribe':
      return { cmd: 'subscribe', messageId: p.packetId, subscriptions: p.subscriptions.map((s) => ({ topic: s.topic, qos: s.qos })) };
    case 'suback':
      return { cmd: 'suback', messageId: p.packetId, granted: [...p.granted] };
    case 'unsubscribe':
      return { cmd: 'unsubscribe', messageId: p.packetId, unsubscriptions: [...p.topics] };
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      return { cmd: p.type };
  }
}

/** mqtt-packet's parsed object → our packet shape, reading only the fields 3.1.1 defines. */
function fromMqtt(o: Record<string, unknown>): Packet {
  const cmd = o.cmd as Packet['type'];
  const id = o.messageId as number;
  switch (cmd) {
    case 'connect': {
      expect(o.protocolId).toBe('MQTT');
      expect(o.protocolVersion).toBe(4);
      const p: Packet = { type: 'connect', clientId: o.clientId as string, keepalive: o.keepalive as number, cleanSession: o.clean as boolean };
      const will = o.will as { topic: string; payload: Buffer; qos: QoS; retain: boolean } | undefined;
      if (will) p.will = { topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain };
      if (o.username !== undefined) p.username = o.username as string;
      if (o.password !== undefined) p.password = o.password as Buffer;
      return p;
    }
    case 'connack':
      return { type: 'connack', sessionPresent: o.sessionPresent as boolean, returnCode: o.returnCode as number };
    case 'publish': {
      const base = { type: 'publish', topic: o.topic as string, payload: o.payload as Buffer, dup: o.dup as boolean, retain: o.retain as boolean } as const;
      const qos = o.qos as QoS;
      return qos === 0 ? { ...base, qos } : { ...base, qos, packetId: id };
    }
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'unsuback':
      return { type: cmd, packetId: id };
    case 'subscribe':
      return { type: 'subscribe', packetId: id, subscriptions: (o.subscriptions as { topic: string; qos: QoS }[]).map((s) => ({ topic: s.topic, qos: s.qos })) };
    case 'suback':
      return { type: 'suback', packetId: id, granted: o.granted as SubackCode[] };
    case 'unsubscribe':
      return { type: 'unsubscribe', packetId: id, topics: o.unsubscriptions as string[] };
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      return { type: cmd };
  }
}

/** Runs mqtt-packet's 3.1.1 parser over `bytes`; fails on any parser error. */
function parseWithMqttPacket(bytes: Uint8Array): Record<string, unknown>[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: Record<string, unknown>[] = [];
  const errors: unknown[] = [];
  parser.on('packet', (p: unknown) => packets.push(p as Record<string, unknown>));
  parser.on('error', (e: unknown) => errors.push(e));
  const left = parser.parse(Buffer.from(bytes));
  expect(errors).toEqual([]);
  expect(left).toBe(0);
  return packets;
}

function generateWithMqttPacket(p: Packet): Buffer {
  return mqttPacket.generate(toMqtt(p) as unknown as Parameters<typeof mqttPacket.generate>[0]);
}

describe('differential against mqtt-packet 9', () => {
  it('(a) [MQTT-7.0.0-2] mqtt-packet parses our encodings back to the same fields', () => {
    fc.assert(
      fc.property(packet(), (p) => {
        const parsed = parseWithMqttPacket(encode(p));
        expect(parsed).toHaveLength(1);
        expect(normalize(fromMqtt(parsed[0]!))).toStrictEqual(normalize(p));
      }),
      { numRuns: RUNS },
    );
  });

  it('(b) [MQTT-7.0.0-2] we decode mqtt-packet encodings back to the same fields', () => {
    fc.assert(
      fc.property(packet(), (p) => {
        expect(normalize(decodePacket(generateWithMqttPacket(p)))).toStrictEqual(normalize(p));
      }),
      { numRuns: RUNS },
    );
  });

  it('(c) [MQTT-2.2.2-1] both encoders produce byte-identical packets', () => {
    fc.assert(
      fc.property(packet({ maxLarge: 0 }), (p) => {
        expect(hex(encode(p))).toBe(hex(generateWithMqttPacket(p)));
      }),
      { numRuns: RUNS },
    );
  });

  it('(a) mqtt-packet parses a stream of our packets, concatenated, to the same list', () => {
    fc.assert(
      fc.property(fc.array(packet({ maxLarge: 0 }), { minLength: 1, maxLength: 6 }), (ps) => {
        const parsed = parseWithMqttPacket(Buffer.concat(ps.map((p) => encode(p))));
        expect(normalize(parsed.map(fromMqtt))).toStrictEqual(normalize(ps));
      }),
      { numRuns: 500 },
    );
  });
});
