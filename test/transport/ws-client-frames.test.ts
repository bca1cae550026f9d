/**
 * The builtin WebSocket client's own frames (RFC 6455), without sockets: masked binary frames
 * around the 7-bit, 16-bit and 64-bit length-encoding boundaries, any payload and mask key
 * round-tripping, and a fresh mask key from the random source for every frame.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OPCODE, encodeFrame } from '../../src/transport/ws-frames.js';
import type { RandomFill } from '../../src/transport/ws-frames.js';
import { filledBytes } from '../packet/arbitraries.js';
import { expectSameBytes } from './ws-frame-support.js';

/** Decodes one client frame: FIN/opcode, mask bit, length, key, unmasked payload. */
function decodeClientFrame(frame: Uint8Array): { fin: boolean; opcode: number; masked: boolean; key: Uint8Array; payload: Uint8Array; lengthForm: number } {
  const fin = (frame[0]! & 0x80) !== 0;
  const opcode = frame[0]! & 0x0f;
  const masked = (frame[1]! & 0x80) !== 0;
  const short = frame[1]! & 0x7f;
  let length = short;
  let at = 2;
  if (short === 126) {
    length = (frame[2]! << 8) | frame[3]!;
    at = 4;
  } else if (short === 127) {
    length = Number(new DataView(frame.buffer, frame.byteOffset).getBigUint64(2));
    at = 10;
  }
  const key = frame.slice(at, at + 4);
  const body = frame.subarray(at + 4);
  expect(body.length).toBe(length);
  const payload = body.map((b, i) => b ^ key[i & 3]!);
  return { fin, opcode, masked, key, payload, lengthForm: short };
}

const fixedMask = (key: Uint8Array): RandomFill => (target) => target.set(key.subarray(0, target.length));

describe('encodeFrame: client frames', () => {
  const lengths = [0, 1, 2, 3, 4, 5, 124, 125, 126, 127, 65_534, 65_535, 65_536, 65_537];

  for (const length of lengths) {
    it(`masks a ${length}-byte binary frame with the random key and unmasks back to the payload`, () => {
      const body = filledBytes(length, 7 + length);
      const key = Uint8Array.of(0xa1, 0x00, 0x5c, 0xff);
      const frame = encodeFrame(OPCODE.binary, body, fixedMask(key));
      const decoded = decodeClientFrame(frame);
      expect(decoded.fin).toBe(true);
      expect(decoded.opcode).toBe(OPCODE.binary);
      expect(decoded.masked).toBe(true);
      expect(decoded.lengthForm).toBe(length < 126 ? length : length < 65_536 ? 126 : 127);
      expect(decoded.key).toEqual(key);
      expectSameBytes(decoded.payload, body);
      expect(frame.length).toBe((length < 126 ? 2 : length < 65_536 ? 4 : 10) + 4 + length);
    });
  }

  it('round-trips any payload and mask key (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.record({ length: fc.integer({ min: 0, max: 70_000 }), seed: fc.integer() }).map(({ length, seed }) => filledBytes(length, seed))),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.constantFrom(OPCODE.binary, OPCODE.pong, OPCODE.close),
        (body, key, opcode) => {
          const decoded = decodeClientFrame(encodeFrame(opcode, body, fixedMask(key)));
          expect(decoded.opcode).toBe(opcode);
          expect(decoded.masked).toBe(true);
          expect(decoded.key).toEqual(key);
          expectSameBytes(decoded.payload, body);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('draws a fresh key from the random source for every frame', () => {
    let counter = 0;
    const random: RandomFill = (target) => {
      for (let i = 0; i < target.length; i++) target[i] = ++counter;
    };
    const a = decodeClientFrame(encodeFrame(OPCODE.binary, Uint8Array.of(1, 2, 3), random));
    const b = decodeClientFrame(encodeFrame(OPCODE.binary, Uint8Array.of(1, 2, 3), random));
    expect(a.key).not.toEqual(b.key);
    expect(a.payload).toEqual(b.payload);
  });
});
