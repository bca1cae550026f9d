/**
 * Assertions shared by the refusal and rejection suites (test/packet/errors-*.test.ts): a call
 * throws MqttProtocolError with a code (and statement); the encoder refuses a packet through all
 * three entry points; the decoder rejects bytes whole and streamed. And the packets they build on.
 */
import { expect } from 'vitest';
import { MqttProtocolError, PacketDecoder, decodePacket, encode, encodeInto, encodedLength } from '../../src/packet/index.js';
import type { Packet, ProtocolErrorCode } from '../../src/packet/index.js';

export function expectError(fn: () => unknown, code: ProtocolErrorCode, statement?: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(MqttProtocolError);
  expect((caught as MqttProtocolError).code).toBe(code);
  if (statement !== undefined) expect((caught as MqttProtocolError).statement).toBe(statement);
}

/** encode, encodedLength and encodeInto all refuse `p` the same way (before any size check). */
export function expectEncodeError(p: unknown, code: ProtocolErrorCode, statement?: string): void {
  expectError(() => encode(p as Packet), code, statement);
  expectError(() => encodedLength(p as Packet), code, statement);
  const target = new Uint8Array(8);
  expectError(() => encodeInto(p as Packet, target, 0), code, statement);
  expect(target.every((x) => x === 0)).toBe(true);
}

/** decodePacket and a fresh PacketDecoder both reject the whole-packet `bytes`. */
export function expectDecodeError(bytes: Uint8Array, code: ProtocolErrorCode, statement?: string): void {
  expectError(() => decodePacket(bytes), code, statement);
  expectError(() => new PacketDecoder().push(bytes), code, statement);
}

export const EMPTY = new Uint8Array(0);
export const publish = (topic: string): Packet => ({ type: 'publish', topic, payload: EMPTY, qos: 0, dup: false, retain: false });
export const conn = (extra: Record<string, unknown> = {}): Packet => ({ type: 'connect', clientId: 'c', keepalive: 0, cleanSession: true, ...extra }) as Packet;
