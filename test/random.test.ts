import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fillRandom, randomHex, randomUuidHex, toHex } from '../src/random.js';

describe('random ids from the pooled CSPRNG', () => {
  it('randomHex gives two lower-case hex digits per byte, for any length (across pool refills)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), (bytes) => {
        expect(randomHex(bytes)).toMatch(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
      }),
    );
  });

  it('never hands out the same pool bytes twice: 20,000 ids of 16 bytes are all distinct', () => {
    const ids = new Set(Array.from({ length: 20_000 }, () => randomHex(16)));
    expect(ids.size).toBe(20_000);
  });

  it('fillRandom draws small targets from the pool, never the same bytes twice: 20,000 of 16 bytes are all distinct', () => {
    const draws = new Set(Array.from({ length: 20_000 }, () => toHex(fillRandom(new Uint8Array(16)))));
    expect(draws.size).toBe(20_000);
  });

  it('fills targets larger than the pool directly, and returns the target', () => {
    const target = new Uint8Array(10_000);
    expect(fillRandom(target)).toBe(target);
    // 10,000 random bytes all zero has probability 2^-80000.
    expect(target.some((byte) => byte !== 0)).toBe(true);
  });

  it('toHex matches the byte values', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      expect(toHex(bytes)).toBe(Buffer.from(bytes).toString('hex'));
    }));
  });

  it('randomUuidHex is a version 4 UUID with the RFC 4122 variant, as 32 lower-case hex digits, never repeated', () => {
    const ids = Array.from({ length: 5_000 }, () => randomUuidHex());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // The other 122 bits are random: each of the 16 digits turns up at every free position.
    for (const position of [0, 11, 13, 17, 31]) expect(new Set(ids.map((id) => id[position])).size).toBe(16);
  });
});
