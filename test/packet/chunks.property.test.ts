/**
 * The streaming decoder against what transports really hand it: chunks of every byte type it
 * takes (Uint8Array, pooled Buffer slices, ArrayBuffer, DataView, views at an offset into a
 * larger buffer), Remaining Lengths sent in more bytes than needed, and several decoders at once
 * (they share module-level scratch state: a header-size cell, the body cursor, the topic cache).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketDecoder, decodePacket, encode } from '../../src/packet/index.js';
import type { Packet, PublishPacket } from '../../src/packet/index.js';
import { concatBytes, cutAt, cutFractions, cutPoints, hex, normalize, packet, publish } from './arbitraries.js';

const RUNS = 300;

type Kind = 'uint8array' | 'buffer' | 'arraybuffer' | 'dataview' | 'offset-view';
const kind: fc.Arbitrary<Kind> = fc.constantFrom('uint8array', 'buffer', 'arraybuffer', 'dataview', 'offset-view');

interface Chunk {
  /** A DataView too: push() is typed for the common two but takes any view (bytesOfChunk). */
  value: Uint8Array | ArrayBuffer;
  /** The memory the chunk's bytes live in, and where. */
  buffer: ArrayBufferLike;
  byteOffset: number;
}

/**
 * `bytes` as a chunk of the given kind. Views sit between 0xEE guard bytes in a larger buffer,
 * so a decoder that read past byteOffset/byteLength would see them.
 */
function asChunk(bytes: Uint8Array, k: Kind): Chunk {
  if (k === 'uint8array') {
    const value = Uint8Array.from(bytes);
    return { value, buffer: value.buffer, byteOffset: 0 };
  }
  if (k === 'buffer') {
    const value = Buffer.from(bytes); // small ones are slices of Node's shared pool
    return { value, buffer: value.buffer, byteOffset: value.byteOffset };
  }
  if (k === 'arraybuffer') {
    const value = Uint8Array.from(bytes).buffer;
    return { value, buffer: value, byteOffset: 0 };
  }
  const host = new Uint8Array(bytes.length + 7).fill(0xee);
  host.set(bytes, 3);
  const value = k === 'dataview' ? (new DataView(host.buffer, 3, bytes.length) as unknown as Uint8Array) : host.subarray(3, 3 + bytes.length);
  return { value, buffer: host.buffer, byteOffset: 3 };
}

/** Every Uint8Array in a decoded packet (payload, will message, password). */
function viewsOf(p: Packet): Uint8Array[] {
  if (p.type === 'publish') return [p.payload];
  if (p.type === 'connect') return [p.will?.payload, p.password].filter((v): v is Uint8Array => v !== undefined);
  return [];
}

describe('chunks of every byte type', () => {
  it('[MQTT-6.0.0-2] packets cut anywhere into chunks of mixed types (Uint8Array, Buffer, ArrayBuffer, DataView, offset views) decode to the same packets, and every decoded view still holds its bytes once all later chunks have arrived', () => {
    fc.assert(
      fc.property(fc.array(packet({ maxLarge: 20_000 }), { minLength: 1, maxLength: 8 }), cutFractions, fc.infiniteStream(kind), (packets, fractions, kinds) => {
        const stream = concatBytes(packets.map(encode));
        const chunks = cutAt(stream, cutPoints(stream.length, fractions)).map((c) => asChunk(c, kinds.next().value));
        const decoder = new PacketDecoder();
        const decoded: Packet[] = [];
        const snapshots: string[] = [];
        for (const c of chunks) {
          const out = decoder.push(c.value);
          decoded.push(...out);
          // What each view holds the moment it is handed out...
          for (const p of out) snapshots.push(...viewsOf(p).map(hex));
        }
        // ...is what it holds after every later chunk went through the decoder.
        expect(decoded.flatMap(viewsOf).map(hex)).toStrictEqual(snapshots);
        expect(normalize(decoded)).toStrictEqual(normalize(packets));
        expect(decoder.buffered).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('a PUBLISH wholly inside an ArrayBuffer, DataView or offset-view chunk is decoded as a view of that memory (zero-copy), within its bounds', () => {
    fc.assert(
      fc.property(publish({ maxLarge: 0 }).filter((p) => p.payload.length > 0), fc.constantFrom<Kind>('arraybuffer', 'dataview', 'offset-view'), (p, k) => {
        const bytes = encode(p);
        const c = asChunk(bytes, k);
        const [got] = new PacketDecoder().push(c.value) as [PublishPacket];
        expect(got.payload.buffer).toBe(c.buffer);
        const at = got.payload.byteOffset;
        expect(at - c.byteOffset).toBe(bytes.length - p.payload.length);
        const memory = new Uint8Array(c.buffer);
        memory[at] = memory[at]! ^ 0xff;
        expect(got.payload[0]).toBe(p.payload[0]! ^ 0xff);
      }),
      { numRuns: RUNS },
    );
  });
});

/** `digits` (a minimal Remaining Length) stretched to `size` bytes: 0x80 continuation digits, then 0x00. */
function stretched(digits: readonly number[], size: number): number[] {
  if (size <= digits.length) return [...digits];
  const out = [...digits];
  out[out.length - 1]! |= 0x80;
  while (out.length < size - 1) out.push(0x80);
  out.push(0x00);
  return out;
}

/** `bytes` (one encoded packet) with its Remaining Length re-sent in `size` bytes, value unchanged. */
function withLongHeader(bytes: Uint8Array, size: number): Uint8Array {
  let n = 1;
  while ((bytes[n]! & 0x80) !== 0) n++;
  const digits = Array.from(bytes.subarray(1, n + 1));
  return Uint8Array.from([bytes[0]!, ...stretched(digits, size), ...bytes.subarray(n + 1)]);
}

describe('Remaining Length in more bytes than needed', () => {
  // 2.2.3 of MQTT 3.1.1 gives the algorithm but no normative statement requiring the fewest
  // bytes (MQTT 5.0 added one, [MQTT-1.5.5-1] there); spec-notes.md lists accepting such a
  // header as deliberate receiver leniency. This pins it, and that the size limit counts the
  // header as sent.
  it('any packet with its Remaining Length stretched to up to 4 bytes decodes the same, whole and cut anywhere; maxPacketSize counts the bytes as sent', () => {
    fc.assert(
      fc.property(packet({ maxLarge: 0 }), fc.integer({ min: 1, max: 4 }), cutFractions, (p, size, fractions) => {
        const bytes = withLongHeader(encode(p), size);
        expect(normalize(decodePacket(bytes))).toStrictEqual(normalize(p));
        const chunks = cutAt(bytes, cutPoints(bytes.length, fractions));
        const exact = new PacketDecoder({ maxPacketSize: bytes.length });
        expect(normalize(chunks.flatMap((c) => exact.push(c)))).toStrictEqual(normalize([p]));
        if (bytes.length > 2) {
          const under = new PacketDecoder({ maxPacketSize: bytes.length - 1 });
          expect(() => chunks.forEach((c) => under.push(c))).toThrow(expect.objectContaining({ code: 'PACKET_TOO_LARGE' }));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a Remaining Length stretched to a fifth byte is still MALFORMED_REMAINING_LENGTH', () => {
    for (const first of [0xc0, 0xd0, 0xe0]) {
      expect(() => decodePacket(Uint8Array.of(first, 0x80, 0x80, 0x80, 0x80, 0x00))).toThrow(expect.objectContaining({ code: 'MALFORMED_REMAINING_LENGTH' }));
    }
  });
});

describe('several decoders at once', () => {
  it('[MQTT-4.8.0-1] decoders fed alternately, one failing mid-way, each decode their own stream; the failure stays with the decoder that saw it', () => {
    fc.assert(
      fc.property(
        fc.array(packet({ maxLarge: 5_000 }), { minLength: 1, maxLength: 5 }),
        fc.array(packet({ maxLarge: 5_000 }), { minLength: 1, maxLength: 5 }),
        cutFractions,
        cutFractions,
        (left, right, fa, fb) => {
          const a = concatBytes(left.map(encode));
          const b = concatBytes(right.map(encode));
          const chunksA = cutAt(a, cutPoints(a.length, fa));
          const chunksB = cutAt(b, cutPoints(b.length, fb));
          const da = new PacketDecoder();
          const db = new PacketDecoder();
          const broken = new PacketDecoder();
          // A header cut after its first length byte: the shared header-size cell is mid-use.
          broken.push(Uint8Array.of(0x30, 0x85));
          const outA: Packet[] = [];
          const outB: Packet[] = [];
          for (let i = 0; i < Math.max(chunksA.length, chunksB.length); i++) {
            if (i < chunksA.length) outA.push(...da.push(chunksA[i]!));
            if (i === 0) expect(() => broken.push(Uint8Array.of(0x80, 0x80, 0x80))).toThrow(expect.objectContaining({ code: 'MALFORMED_REMAINING_LENGTH' }));
            if (i < chunksB.length) outB.push(...db.push(chunksB[i]!));
          }
          expect(normalize(outA)).toStrictEqual(normalize(left));
          expect(normalize(outB)).toStrictEqual(normalize(right));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
