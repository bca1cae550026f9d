/**
 * The error objects the codec throws: MqttProtocolError (an MqttError and an Error) with a code,
 * the statement it cites and its origin, 'caller' for a packet refused on encode, 'peer' for the
 * same rule broken in received bytes.
 */
import { describe, expect, it } from 'vitest';
import { MqttError, MqttProtocolError, PacketDecoder, decodePacket, encode } from '../../src/packet/index.js';

describe('error objects', () => {
  it("split by origin as h11 does: a packet the caller may not send is 'caller', the same rule broken in received bytes is 'peer', with one code", () => {
    const bad = { type: 'publish', topic: 'a/+', payload: new Uint8Array(0), qos: 0, dup: false, retain: false } as const;
    let local: unknown;
    try {
      encode(bad);
    } catch (error) {
      local = error;
    }
    // The same PUBLISH, as a broker could send it: topic "a/+" with a wildcard.
    const wire = Uint8Array.from([0x30, 0x05, 0x00, 0x03, 0x61, 0x2f, 0x2b]);
    let remote: unknown;
    try {
      decodePacket(wire);
    } catch (error) {
      remote = error;
    }
    let streamed: unknown;
    try {
      new PacketDecoder().push(wire);
    } catch (error) {
      streamed = error;
    }
    expect(local).toMatchObject({ code: 'INVALID_TOPIC', origin: 'caller', statement: 'MQTT-3.3.2-2' });
    expect(remote).toMatchObject({ code: 'INVALID_TOPIC', origin: 'peer', statement: 'MQTT-3.3.2-2' });
    expect(streamed).toMatchObject({ code: 'INVALID_TOPIC', origin: 'peer', statement: 'MQTT-3.3.2-2' });
    for (const e of [local, remote, streamed]) expect(e).toBeInstanceOf(MqttProtocolError);
  });

  it('carry code and statement, and are MqttError and Error', () => {
    let caught: unknown;
    try {
      decodePacket(Uint8Array.of(0x60, 0x02, 0x00, 0x01));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MqttProtocolError);
    expect(caught).toBeInstanceOf(MqttError);
    expect(caught).toBeInstanceOf(Error);
    const e = caught as MqttProtocolError;
    expect(e.name).toBe('MqttProtocolError');
    expect(e.statement).toBe('MQTT-3.6.1-1');
    expect(e.message).toContain('[MQTT-3.6.1-1]');
  });
});
