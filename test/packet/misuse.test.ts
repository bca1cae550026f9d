/**
 * The codec used directly from plain JavaScript (found in review): malformed packet objects,
 * non-string topics and non-byte inputs give typed MqttErrors, never raw TypeErrors, and a
 * decoder given an ArrayBuffer decodes it.
 */
import { describe, expect, it } from 'vitest';
import { encode, encodeInto, decodePacket, PacketDecoder, isValidTopicName, isValidTopicFilter, validateTopicName, MqttError } from '../../src/packet/index.js';

function typedError(fn: () => unknown): unknown {
  try { fn(); } catch (e) { return e; }
  return 'no error';
}

describe('packet boundary', () => {
  it('encode(null) gives an MqttError', () => {
    expect(typedError(() => encode(null as any))).toBeInstanceOf(MqttError);
  });
  it('SUBSCRIBE with a null subscription gives an MqttError', () => {
    expect(typedError(() => encode({ type: 'subscribe', packetId: 1, subscriptions: [null as any] }))).toBeInstanceOf(MqttError);
  });
  it("a lone filter where SUBSCRIBE's or UNSUBSCRIBE's list belongs is INVALID_ARGUMENT naming it, not \"no topic filters\"", () => {
    for (const packet of [
      { type: 'subscribe', packetId: 1, subscriptions: 'a/b' },
      { type: 'unsubscribe', packetId: 1, topics: 'a/b' },
    ]) {
      const e = typedError(() => encode(packet as any)) as MqttError;
      expect(e).toBeInstanceOf(MqttError);
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.origin).toBe('caller');
      expect(e.message).toContain('got "a/b"');
    }
    const e = typedError(() => encode({ type: 'subscribe', packetId: 1, subscriptions: { topic: 'a/b', qos: 0 } as any })) as MqttError;
    expect([e.code, e.message]).toEqual(['INVALID_ARGUMENT', "SUBSCRIBE's topic filters must be an array, got object"]);
  });
  it('UNSUBSCRIBE with a non-string topic gives an MqttError', () => {
    expect(typedError(() => encode({ type: 'unsubscribe', packetId: 1, topics: [undefined as any] }))).toBeInstanceOf(MqttError);
  });
  it('PUBLISH with a numeric topic gives an MqttError', () => {
    expect(typedError(() => encode({ type: 'publish', topic: 5 as any, payload: new Uint8Array(0), qos: 0, dup: false, retain: false }))).toBeInstanceOf(MqttError);
  });
  it('CONNECT without a clientId gives an MqttError', () => {
    expect(typedError(() => encode({ type: 'connect', keepalive: 10, cleanSession: true } as any))).toBeInstanceOf(MqttError);
  });
  it('CONNECT with will: null (or a will that is not an object) gives an MqttError, not a TypeError', () => {
    for (const will of [null, 'a/b', 5]) {
      const e = typedError(() => encode({ type: 'connect', clientId: 'a', keepalive: 10, cleanSession: true, will: will as any })) as MqttError;
      expect(e).toBeInstanceOf(MqttError);
      expect([e.code, e.origin]).toEqual(['INVALID_CONNECT', 'caller']);
    }
  });
  it('CONNECT with a numeric username: a clear code, not PACKET_TOO_LARGE', () => {
    const e = typedError(() => encode({ type: 'connect', clientId: 'a', keepalive: 10, cleanSession: true, username: 5 as any })) as MqttError;
    expect(e).toBeInstanceOf(MqttError);
    expect(e.code).not.toBe('PACKET_TOO_LARGE');
  });
  it('isValidTopicName(non-string) returns false rather than throwing TypeError', () => {
    expect(() => isValidTopicName(5 as any)).not.toThrow();
    expect(() => isValidTopicName(undefined as any)).not.toThrow();
    expect(() => isValidTopicFilter(undefined as any)).not.toThrow();
    expect(typedError(() => validateTopicName(null as any))).toBeInstanceOf(MqttError);
  });
  it('encodeInto an ArrayBuffer does not silently write nothing', () => {
    const target = new ArrayBuffer(64);
    const e = typedError(() => encodeInto({ type: 'pingreq' }, target as any, 0));
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
  it('decodePacket(null) gives an MqttError', () => {
    expect(typedError(() => decodePacket(null as any))).toBeInstanceOf(MqttError);
  });
  it('decodePacket of a plain array gives an MqttError (or decodes)', () => {
    const e = typedError(() => decodePacket([0x30, 5, 0, 1, 0x61, 1, 2] as any));
    expect(e === 'no error' || e instanceof MqttError).toBe(true);
  });
  it('PacketDecoder.push(ArrayBuffer) is a caller error, not a peer MALFORMED_PACKET that kills the decoder', () => {
    const d = new PacketDecoder();
    const e = typedError(() => d.push(new Uint8Array([0xc0, 0]).buffer as any)) as MqttError;
    if (e !== 'no error' as any) {
      expect(e).toBeInstanceOf(MqttError);
      expect(e.origin).toBe('caller');
    }
    expect(d.push(new Uint8Array([0xd0, 0]))).toEqual([{ type: 'pingresp' }]);
  });
});
