/**
 * Shared by the sans-socket WebSocket suites (ws-frames, ws-client-frames, ws-handshake): an
 * independent server-side frame encoder, cuts at arbitrary points, a FrameParser run that
 * records what it reports, and the WEBSOCKET_ERROR assertion.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { MqttError } from '../support/internals.js';
import { FrameParser } from '../../src/transport/ws-frames.js';
import type { FrameSink } from '../../src/transport/ws-frames.js';
import { cutAt } from '../packet/arbitraries.js';

// ---------------------------------------------------------------------------------------------
// An independent server-side frame encoder (unmasked, as a server sends).

export interface FrameSpec {
  opcode: number;
  payload: Uint8Array;
  fin?: boolean;
  /** Reserved bits RSV1..3 as 0x40 | 0x20 | 0x10. */
  rsv?: number;
  /** A masking key: servers must not mask, so this makes an invalid frame. */
  mask?: Uint8Array;
}

export function serverFrame({ opcode, payload, fin = true, rsv = 0, mask }: FrameSpec): Uint8Array {
  const n = payload.length;
  const lengthBytes = n < 126 ? 0 : n < 65_536 ? 2 : 8;
  const maskBytes = mask === undefined ? 0 : 4;
  const out = new Uint8Array(2 + lengthBytes + maskBytes + n);
  out[0] = (fin ? 0x80 : 0) | rsv | opcode;
  const maskBit = mask === undefined ? 0 : 0x80;
  if (lengthBytes === 0) out[1] = maskBit | n;
  else if (lengthBytes === 2) {
    out[1] = maskBit | 126;
    out[2] = n >>> 8;
    out[3] = n & 0xff;
  } else {
    out[1] = maskBit | 127;
    new DataView(out.buffer).setBigUint64(2, BigInt(n));
  }
  const at = 2 + lengthBytes;
  if (mask !== undefined) out.set(mask, at);
  for (let i = 0; i < n; i++) out[at + maskBytes + i] = payload[i]! ^ (mask === undefined ? 0 : mask[i & 3]!);
  return out;
}

/** Cuts `bytes` at the given positions (any numbers; reduced modulo the length, deduplicated). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  if (bytes.length === 0) return [bytes];
  const points = [...new Set(cuts.map((c) => c % bytes.length))].filter((c) => c > 0).sort((a, b) => a - b);
  return cutAt(bytes, points);
}

export type Event = { kind: 'data'; hex: string } | { kind: 'ping'; hex: string } | { kind: 'close'; code: number | undefined; reason: string };

export const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');

/** Records what the parser reports; consecutive data pieces are merged (piece boundaries are not significant). */
export function recordingSink(): { sink: FrameSink; events: Event[] } {
  const events: Event[] = [];
  const sink: FrameSink = {
    data: (bytes) => {
      const last = events[events.length - 1];
      if (last?.kind === 'data') last.hex += hexOf(bytes);
      else events.push({ kind: 'data', hex: hexOf(bytes) });
    },
    ping: (payload) => events.push({ kind: 'ping', hex: hexOf(payload) }),
    close: (code, reason) => events.push({ kind: 'close', code, reason }),
  };
  return { sink, events };
}

/** Byte equality that stays fast for 70 kB arrays. */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(hexOf(actual)).toBe(hexOf(expected));
}

export function parseAll(chunks: readonly Uint8Array[]): Event[] {
  const parser = new FrameParser();
  const { sink, events } = recordingSink();
  for (const chunk of chunks) parser.push(chunk, sink);
  return events;
}

export function expectWsError(run: () => void, pattern: RegExp): MqttError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(MqttError);
    expect((error as MqttError).code).toBe('WEBSOCKET_ERROR');
    expect((error as MqttError).message).toMatch(pattern);
    return error as MqttError;
  }
  throw new Error('expected a WebSocket protocol error');
}

/** Cut points for splitAt: any numbers, reduced modulo the length. */
export const cuts = fc.array(fc.nat(), { maxLength: 24 });
