/**
 * PacketDecoder as a stream: the same packets whatever the chunking, zero-copy for packets that
 * lie inside one chunk, a size limit enforced from the fixed header alone, and a dead decoder
 * after the first error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MqttProtocolError, PacketDecoder, encode, encodedLength } from '../../src/packet/index.js';
import type { Packet, PublishPacket } from '../../src/packet/index.js';
import { concatBytes, cutAt, cutFractions, cutPoints, hex, normalize, packet, publish } from './arbitraries.js';

const RUNS = 500;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MqttProtocolError);
    return (error as MqttProtocolError).code;
  }
  return undefined;
}

/** The fixed header length (first byte + Remaining Length bytes) of an encoded packet. */
function headerLength(bytes: Uint8Array): number {
  let i = 1;
  while ((bytes[i]! & 0x80) !== 0) i++;
  return i + 1;
}

/** Offsets where packets end, i.e. the packet boundaries of a concatenated stream. */
function boundaries(encodings: readonly Uint8Array[]): number[] {
  const out = [0];
  for (const e of encodings) out.push(out[out.length - 1]! + e.length);
  return out;
}

/** Feeds chunks, checking after each push that exactly the bytes of the unfinished packet are held. */
function feed(decoder: PacketDecoder, chunks: readonly Uint8Array[], bounds: readonly number[]): Packet[] {
  const out: Packet[] = [];
  let position = 0;
  let next = 0; // index into bounds of the last boundary at or before position
  for (const chunk of chunks) {
    out.push(...decoder.push(chunk));
    position += chunk.length;
    while (next + 1 < bounds.length && bounds[next + 1]! <= position) next++;
    const held = position - bounds[next]!;
    if (decoder.buffered !== held) expect(decoder.buffered).toBe(held);
  }
  return out;
}

describe('chunking invariance', () => {
  it('[MQTT-6.0.0-2] a stream of packets cut at arbitrary points decodes to the same packets; buffered is 0 at packet boundaries', () => {
    fc.assert(
      fc.property(fc.array(packet({ maxLarge: 100_000 }), { maxLength: 10 }), cutFractions, (packets, fractions) => {
        const encodings = packets.map(encode);
        const stream = concatBytes(encodings);
        const chunks = cutAt(stream, cutPoints(stream.length, fractions));
        const decoder = new PacketDecoder();
        const decoded = feed(decoder, chunks, boundaries(encodings));
        expect(normalize(decoded)).toStrictEqual(normalize(packets));
        expect(decoder.buffered).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('[MQTT-6.0.0-2] 1-byte chunks decode to the same packets', () => {
    fc.assert(
      fc.property(fc.array(packet({ maxLarge: 0 }), { minLength: 1, maxLength: 4 }), (packets) => {
        const encodings = packets.map(encode);
        const stream = concatBytes(encodings);
        const chunks = Array.from(stream, (x) => Uint8Array.of(x));
        const decoded = feed(new PacketDecoder(), chunks, boundaries(encodings));
        expect(normalize(decoded)).toStrictEqual(normalize(packets));
      }),
      { numRuns: RUNS },
    );
  });

  it('[MQTT-6.0.0-2] empty chunks anywhere change nothing', () => {
    fc.assert(
      fc.property(fc.array(packet({ maxLarge: 0 }), { maxLength: 5 }), cutFractions, (packets, fractions) => {
        const stream = concatBytes(packets.map(encode));
        const chunks = cutAt(stream, cutPoints(stream.length, fractions)).flatMap((c) => [new Uint8Array(0), c]);
        const decoder = new PacketDecoder();
        const decoded = chunks.flatMap((c) => decoder.push(c));
        expect(normalize(decoded)).toStrictEqual(normalize(packets));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('zero-copy', () => {
  const surrounded = fc.tuple(
    fc.array(packet({ maxLarge: 0 }), { maxLength: 3 }),
    publish({ maxLarge: 0 }).filter((p) => p.payload.length > 0),
    fc.array(packet({ maxLarge: 0 }), { maxLength: 3 }),
  );

  it('a PUBLISH wholly inside one chunk gets a payload view of that chunk (mutating the chunk shows through)', () => {
    fc.assert(
      fc.property(surrounded, fc.boolean(), ([before, p, after], asBuffer) => {
        const bytes = concatBytes([...before, p, ...after].map(encode));
        const chunk = asBuffer ? Buffer.from(bytes) : Uint8Array.from(bytes);
        const decoded = new PacketDecoder().push(chunk);
        const got = decoded[before.length] as PublishPacket;
        expect(normalize(got)).toStrictEqual(normalize(p));
        expect(got.payload.buffer).toBe(chunk.buffer);
        const at = got.payload.byteOffset - chunk.byteOffset;
        chunk[at] = chunk[at]! ^ 0xff;
        expect(got.payload[0]).toBe(p.payload[0]! ^ 0xff);
      }),
      { numRuns: RUNS },
    );
  });

  it('a PUBLISH wholly inside a later chunk is still a view, after a packet straddled the earlier boundary', () => {
    fc.assert(
      fc.property(packet({ maxLarge: 0 }), publish({ maxLarge: 0 }).filter((p) => p.payload.length > 0), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (first, p, f) => {
        const firstBytes = encode(first);
        const cut = 1 + Math.floor(f * (firstBytes.length - 1)); // inside the first packet
        const chunk1 = firstBytes.slice(0, cut);
        const chunk2 = concatBytes([firstBytes.subarray(cut), encode(p)]);
        const decoder = new PacketDecoder();
        expect(decoder.push(chunk1)).toEqual([]);
        const [, got] = decoder.push(chunk2) as [Packet, PublishPacket];
        expect(got.payload.buffer).toBe(chunk2.buffer);
        expect(hex(got.payload)).toBe(hex(p.payload));
      }),
      { numRuns: RUNS },
    );
  });

  it('a PUBLISH straddling chunks is a copy: changing either chunk afterwards leaves the payload intact', () => {
    fc.assert(
      fc.property(publish({ maxLarge: 0 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (p, f) => {
        const bytes = encode(p);
        const cut = 1 + Math.floor(f * (bytes.length - 1));
        const [a, b] = cutAt(bytes, [cut]) as [Uint8Array, Uint8Array];
        const decoder = new PacketDecoder();
        const decoded = [...decoder.push(a), ...decoder.push(b)];
        expect(decoded).toHaveLength(1);
        const got = decoded[0] as PublishPacket;
        expect(got.payload.buffer).not.toBe(a.buffer);
        expect(got.payload.buffer).not.toBe(b.buffer);
        a.fill(0xa5);
        b.fill(0x5a);
        expect(normalize(got)).toStrictEqual(normalize(p));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('maxPacketSize', () => {
  const sized = packet({ maxLarge: 20_000 }).filter((p) => encodedLength(p) >= 3);

  it('accepts a packet of exactly maxPacketSize bytes', () => {
    fc.assert(
      fc.property(sized, (p) => {
        const decoder = new PacketDecoder({ maxPacketSize: encodedLength(p) });
        expect(normalize(decoder.push(encode(p)))).toStrictEqual(normalize([p]));
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects a packet one byte over the limit from its fixed header alone, whether the header comes whole or byte by byte', () => {
    fc.assert(
      fc.property(sized, fc.boolean(), (p, byteByByte) => {
        const bytes = encode(p);
        const header = bytes.subarray(0, headerLength(bytes));
        const decoder = new PacketDecoder({ maxPacketSize: bytes.length - 1 });
        if (byteByByte) {
          for (let i = 0; i < header.length - 1; i++) expect(decoder.push(header.subarray(i, i + 1))).toEqual([]);
          expect(codeOf(() => decoder.push(header.subarray(header.length - 1)))).toBe('PACKET_TOO_LARGE');
        } else {
          expect(codeOf(() => decoder.push(header))).toBe('PACKET_TOO_LARGE');
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects the 5-byte header of a 256 MB PUBLISH without its body', () => {
    const decoder = new PacketDecoder({ maxPacketSize: 1 << 20 });
    expect(codeOf(() => decoder.push(Uint8Array.of(0x30, 0xff, 0xff, 0xff, 0x7f)))).toBe('PACKET_TOO_LARGE');
    expect(decoder.buffered).toBe(0);
  });

  it('refuses a maxPacketSize below 2', () => {
    expect(() => new PacketDecoder({ maxPacketSize: 1 })).toThrow(expect.objectContaining({ name: 'MqttError', code: 'INVALID_OPTIONS', origin: 'caller' }));
    expect(() => new PacketDecoder({ maxPacketSize: Number.NaN })).toThrow(expect.objectContaining({ name: 'MqttError', code: 'INVALID_OPTIONS', origin: 'caller' }));
    expect(new PacketDecoder({ maxPacketSize: 2 }).push(Uint8Array.of(0xc0, 0x00))).toEqual([{ type: 'pingreq' }]);
  });
});

describe('after an error', () => {
  /** Inputs that each make the decoder throw. */
  const bad = fc.oneof(
    fc.constantFrom(
      Uint8Array.of(0x00, 0x00), // reserved type 0
      Uint8Array.of(0xf0, 0x00), // reserved type 15
      Uint8Array.of(0x60, 0x02, 0x00, 0x01), // PUBREL with flags 0000
      Uint8Array.of(0x36, 0x00), // PUBLISH QoS 3
      Uint8Array.of(0x30, 0x80, 0x80, 0x80, 0x80, 0x01), // fifth length byte
      Uint8Array.of(0x40, 0x02, 0x00, 0x00), // PUBACK packet id 0
      Uint8Array.of(0x30, 0x03, 0x00, 0x01, 0x23), // PUBLISH to '#'
    ),
    fc.tuple(fc.integer({ min: 0, max: 0xff }), fc.uint8Array({ maxLength: 8 })).map(([type, rest]) => Uint8Array.of(type, ...rest)),
  );

  it('[MQTT-4.8.0-1] refuses all further input with DECODER_FAILED, even valid packets', () => {
    let failures = 0;
    fc.assert(
      fc.property(fc.array(packet({ maxLarge: 0 }), { maxLength: 3 }), bad, (good, junk) => {
        const decoder = new PacketDecoder({ maxPacketSize: 1 << 20 });
        const goodBytes = concatBytes(good.map(encode));
        expect(normalize(decoder.push(goodBytes))).toStrictEqual(normalize(good));
        const first = codeOf(() => decoder.push(junk));
        if (first === undefined) return; // this junk happened to be (the start of) valid input
        failures++;
        expect(first).not.toBe('DECODER_FAILED');
        expect(decoder.buffered).toBe(0);
        expect(codeOf(() => decoder.push(Uint8Array.of(0xc0, 0x00)))).toBe('DECODER_FAILED');
        expect(codeOf(() => decoder.push(new Uint8Array(0)))).toBe('DECODER_FAILED');
      }),
      { numRuns: RUNS },
    );
    expect(failures).toBeGreaterThan(RUNS / 4);
  });
});
