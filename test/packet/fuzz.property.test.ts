/**
 * Fuzzing the decoders: arbitrary and mutated bytes give packets or MqttProtocolError, nothing
 * else, in bounded time and independently of chunking; and the Remaining Length field at every
 * boundary of its 1–4 byte encoding (2.2.3, Table 2.4), plus the forbidden fifth byte.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_REMAINING_LENGTH, MqttProtocolError, PacketDecoder, decodePacket, encode, encodedLength } from '../../src/packet/index.js';
import type { Packet, PublishPacket } from '../../src/packet/index.js';
import { concatBytes, cutAt, cutFractions, cutPoints, normalize, packet, varint } from './arbitraries.js';

const RUNS = 1000;
/** Generous per-run time bound: a run that takes longer than this counts as a hang. */
const RUN_MS = 2_000;
/**
 * Random headers can announce packets of up to 256 MB; a modest cap keeps the fuzzer from
 * allocating (the cap itself is under test in stream.property.test.ts).
 */
const MAX_PACKET = 1 << 20;

interface Outcome {
  packets: Packet[];
  error: string | undefined;
  buffered: number;
}

/** Pushes chunks until the first error; anything but an MqttProtocolError fails the test. */
function run(chunks: readonly Uint8Array[]): Outcome {
  const decoder = new PacketDecoder({ maxPacketSize: MAX_PACKET });
  const packets: Packet[] = [];
  for (const chunk of chunks) {
    try {
      packets.push(...decoder.push(chunk));
    } catch (error) {
      if (!(error instanceof MqttProtocolError)) throw error;
      expect(error.code).not.toBe('DECODER_FAILED');
      return { packets, error: error.code, buffered: decoder.buffered };
    }
  }
  return { packets, error: undefined, buffered: decoder.buffered };
}

function oneByteChunks(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (x) => Uint8Array.of(x));
}

/**
 * Chunked and byte-at-a-time feeding agree: same error (or none); chunked packets are a prefix
 * of the byte-at-a-time ones (a chunk that throws loses the packets it completed); without an
 * error they are equal and so is `buffered`.
 */
function checkAgreement(bytes: Uint8Array, fractions: readonly number[]): void {
  const started = performance.now();
  const chunked = run(cutAt(bytes, cutPoints(bytes.length, fractions)));
  const reference = run(oneByteChunks(bytes));
  expect(chunked.error).toBe(reference.error);
  const n = chunked.packets.length;
  expect(normalize(chunked.packets)).toStrictEqual(normalize(reference.packets.slice(0, n)));
  if (reference.error === undefined) {
    expect(n).toBe(reference.packets.length);
    expect(chunked.buffered).toBe(reference.buffered);
  }
  expect(performance.now() - started).toBeLessThan(RUN_MS);
}

/** decodePacket on a single buffer: returns a packet or throws MqttProtocolError. */
function checkOneShot(bytes: Uint8Array): void {
  try {
    decodePacket(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(MqttProtocolError);
  }
}

/** First bytes the fixed-header check accepts, so fuzzed bodies reach the body decoders. */
const validFirstByte = fc.oneof(
  fc.constantFrom(0x10, 0x20, 0x40, 0x50, 0x62, 0x70, 0x82, 0x90, 0xa2, 0xb0, 0xc0, 0xd0, 0xe0),
  fc.integer({ min: 0x30, max: 0x3f }).filter((b) => (b & 0x06) !== 0x06),
);

/** A packet-shaped junk frame: valid first byte, correct Remaining Length, random body. */
const junkFrame = fc.tuple(validFirstByte, fc.uint8Array({ maxLength: 48 })).map(([first, body]) => Uint8Array.from([first, ...varint(body.length), ...body]));

const junkStream = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  fc.array(junkFrame, { minLength: 1, maxLength: 6 }).map(concatBytes),
);

type Mutation = { kind: 'flip'; at: number; bit: number } | { kind: 'truncate'; at: number } | { kind: 'insert'; at: number; byte: number } | { kind: 'delete'; at: number } | { kind: 'set'; at: number; byte: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
);

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = [...bytes];
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + (m.kind === 'insert' ? 1 : 0));
    if (m.kind === 'flip' && out.length > 0) out[at] = out[at]! ^ (1 << m.bit);
    else if (m.kind === 'set' && out.length > 0) out[at] = m.byte;
    else if (m.kind === 'truncate') out = out.slice(0, at);
    else if (m.kind === 'insert') out.splice(at, 0, m.byte);
    else if (m.kind === 'delete') out.splice(at, 1);
  }
  return Uint8Array.from(out);
}

const mutatedStream = fc
  .tuple(fc.array(packet({ maxLarge: 0 }), { minLength: 1, maxLength: 4 }), fc.array(mutation, { minLength: 1, maxLength: 3 }))
  .map(([packets, mutations]) => mutate(concatBytes(packets.map(encode)), mutations));

/** The sender-side statement a decoded packet breaks, if any (see the test using it). */
function senderOnlyRule(p: Packet): string | undefined {
  if (p.type === 'publish' && p.qos === 0 && p.dup) return 'MQTT-3.3.1-2';
  if (p.type === 'connack' && p.sessionPresent && p.returnCode !== 0) return 'MQTT-3.2.2-4';
  if (p.type === 'connect' && p.clientId === '' && !p.cleanSession) return 'MQTT-3.1.3-7';
  return undefined;
}

describe('fuzz', () => {
  it('[MQTT-4.8.0-1] arbitrary bytes in arbitrary chunks give packets or MqttProtocolError, the same whatever the chunking', () => {
    fc.assert(fc.property(junkStream, cutFractions, (bytes, fractions) => checkAgreement(bytes, fractions)), { numRuns: RUNS });
  });

  it('[MQTT-4.8.0-1] mutated valid encodings (bit flips, truncation, insertion, deletion) give packets or MqttProtocolError', () => {
    fc.assert(fc.property(mutatedStream, cutFractions, (bytes, fractions) => checkAgreement(bytes, fractions)), { numRuns: RUNS });
  });

  it('[MQTT-4.8.0-1] decodePacket of arbitrary or mutated bytes returns a packet or throws MqttProtocolError', () => {
    fc.assert(
      fc.property(fc.oneof(junkFrame, junkStream, mutatedStream), (bytes) => {
        checkOneShot(bytes);
      }),
      { numRuns: RUNS },
    );
  });

  it('[MQTT-3.3.1-2] [MQTT-3.2.2-4] [MQTT-3.1.3-7] a mutated packet that still decodes re-encodes and decodes the same, unless it breaks only a sender-side rule', () => {
    fc.assert(
      fc.property(packet({ maxLarge: 0 }), fc.array(mutation, { minLength: 1, maxLength: 2 }), (p, mutations) => {
        const bytes = mutate(encode(p), mutations);
        let decoded: Packet;
        try {
          decoded = decodePacket(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(MqttProtocolError);
          return;
        }
        // Whatever the decoder accepts re-encodes, except where a receiver is lenient about a
        // rule that binds only the sender; those three cases are pinned exactly here.
        let again: Uint8Array;
        try {
          again = encode(decoded);
        } catch (error) {
          expect(error).toBeInstanceOf(MqttProtocolError);
          expect(senderOnlyRule(decoded)).toBe((error as MqttProtocolError).statement);
          return;
        }
        expect(normalize(decodePacket(again))).toStrictEqual(normalize(decoded));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('Remaining Length boundaries (Table 2.4)', () => {
  /** Table 2.4 digits, written out by hand. */
  const TABLE: [number, number[]][] = [
    [0, [0x00]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [16_383, [0xff, 0x7f]],
    [16_384, [0x80, 0x80, 0x01]],
    [2_097_151, [0xff, 0xff, 0x7f]],
    [2_097_152, [0x80, 0x80, 0x80, 0x01]],
    [268_435_455, [0xff, 0xff, 0xff, 0x7f]],
  ];

  /** A QoS 0 PUBLISH to 'a' whose Remaining Length is exactly `rl` (2 + 1 + payload). */
  const publishWithRemainingLength = (rl: number): PublishPacket => ({
    type: 'publish',
    topic: 'a',
    payload: new Uint8Array(rl - 3),
    qos: 0,
    dup: false,
    retain: false,
  });

  it('our own varint helper reproduces Table 2.4 (so the properties below check against the spec)', () => {
    for (const [rl, digits] of TABLE) expect(varint(rl)).toEqual(digits);
  });

  it('Remaining Length 0: PINGREQ, PINGRESP and DISCONNECT are two bytes, and decode from two bytes', () => {
    for (const type of ['pingreq', 'pingresp', 'disconnect'] as const) {
      const bytes = encode({ type });
      expect(bytes.length).toBe(2);
      expect(bytes[1]).toBe(0x00);
      expect(decodePacket(bytes)).toStrictEqual({ type });
    }
  });

  it.each(TABLE.filter(([rl]) => rl > 0 && rl <= 2_097_152))('a PUBLISH with Remaining Length %i has header digits %j and round-trips', (rl, digits) => {
    const p = publishWithRemainingLength(rl);
    const bytes = encode(p);
    expect([...bytes.subarray(0, 1 + digits.length)]).toEqual([0x30, ...digits]);
    expect(bytes.length).toBe(1 + digits.length + rl);
    expect(encodedLength(p)).toBe(bytes.length);
    const decoded = decodePacket(bytes) as PublishPacket;
    expect(decoded.payload.length).toBe(rl - 3);
    const streamed = new PacketDecoder().push(bytes) as PublishPacket[];
    expect(streamed).toHaveLength(1);
    expect(streamed[0]!.payload.length).toBe(rl - 3);
  });

  it.each(TABLE.filter(([rl]) => rl >= 2 && rl <= 16_384))('a SUBACK with Remaining Length %i has header digits %j and round-trips', (rl, digits) => {
    const granted = Array.from({ length: rl - 2 }, (_, i) => ([0, 1, 2, 0x80] as const)[i % 4]!);
    const bytes = encode({ type: 'suback', packetId: 1, granted });
    expect([...bytes.subarray(0, 1 + digits.length)]).toEqual([0x90, ...digits]);
    expect(bytes.length).toBe(1 + digits.length + rl);
    expect(decodePacket(bytes)).toStrictEqual({ type: 'suback', packetId: 1, granted });
  });

  it('the largest packet, Remaining Length 268,435,455, encodes with header FF FF FF 7F and decodes (as a view)', () => {
    let p: PublishPacket | null = publishWithRemainingLength(MAX_REMAINING_LENGTH);
    expect(encodedLength(p)).toBe(1 + 4 + MAX_REMAINING_LENGTH);
    let bytes: Uint8Array | null = encode(p);
    expect([...bytes.subarray(0, 5)]).toEqual([0x30, 0xff, 0xff, 0xff, 0x7f]);
    expect(bytes.length).toBe(1 + 4 + MAX_REMAINING_LENGTH);
    const decoded = decodePacket(bytes) as PublishPacket;
    expect(decoded.topic).toBe('a');
    expect(decoded.payload.length).toBe(MAX_REMAINING_LENGTH - 3);
    expect(decoded.payload.buffer).toBe(bytes.buffer);
    p = null;
    bytes = null;
  });

  it('a decoder reads the 4-byte header FF FF FF 7F as 268,435,455 and then waits for the body', () => {
    const header = Uint8Array.of(0x30, 0xff, 0xff, 0xff, 0x7f);
    const exact = new PacketDecoder({ maxPacketSize: 5 + MAX_REMAINING_LENGTH });
    expect(exact.push(header)).toEqual([]);
    expect(exact.buffered).toBe(5);
    const tooSmall = new PacketDecoder({ maxPacketSize: 5 + MAX_REMAINING_LENGTH - 1 });
    expect(() => tooSmall.push(header)).toThrow(expect.objectContaining({ code: 'PACKET_TOO_LARGE' }));
  });

  it('the decoder reads any Remaining Length exactly: accepted at maxPacketSize = its total, refused one below', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_REMAINING_LENGTH }), fc.boolean(), (rl, byteByByte) => {
        const header = Uint8Array.from([0x30, ...varint(rl)]);
        const total = header.length + rl;
        const chunks = byteByByte ? oneByteChunks(header) : [header];
        if (rl <= 1 << 16) {
          // Accepting allocates the whole packet, so only for small lengths.
          const exact = new PacketDecoder({ maxPacketSize: total });
          for (const c of chunks) expect(exact.push(c)).toEqual([]);
          expect(exact.buffered).toBe(header.length);
        }
        const under = new PacketDecoder({ maxPacketSize: total - 1 });
        for (const c of chunks.slice(0, -1)) expect(under.push(c)).toEqual([]);
        expect(() => under.push(chunks[chunks.length - 1]!)).toThrow(expect.objectContaining({ code: 'PACKET_TOO_LARGE' }));
      }),
      { numRuns: RUNS },
    );
  });

  it('the encoder writes the Table 2.4 digits for arbitrary Remaining Lengths', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 300_000 }), (rl) => {
        const bytes = encode(publishWithRemainingLength(rl));
        const digits = varint(rl);
        expect([...bytes.subarray(0, 1 + digits.length)]).toEqual([0x30, ...digits]);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses to encode Remaining Length 268,435,456 (PACKET_TOO_LARGE)', () => {
    const p = publishWithRemainingLength(MAX_REMAINING_LENGTH + 1);
    expect(() => encodedLength(p)).toThrow(expect.objectContaining({ code: 'PACKET_TOO_LARGE' }));
    expect(() => encode(p)).toThrow(expect.objectContaining({ code: 'PACKET_TOO_LARGE' }));
  });

  it('a fifth Remaining Length byte is MALFORMED_REMAINING_LENGTH, found as soon as the fourth byte says "more"', () => {
    fc.assert(
      fc.property(
        validFirstByte,
        fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 4, maxLength: 4 }),
        fc.uint8Array({ maxLength: 8 }),
        fc.boolean(),
        (first, continued, rest, byteByByte) => {
          const bytes = Uint8Array.from([first, ...continued, ...rest]);
          expect(() => decodePacket(bytes)).toThrow(expect.objectContaining({ code: 'MALFORMED_REMAINING_LENGTH' }));
          const header = bytes.subarray(0, 5);
          const decoder = new PacketDecoder();
          const chunks = byteByByte ? oneByteChunks(header) : [header];
          for (const c of chunks.slice(0, -1)) expect(decoder.push(c)).toEqual([]);
          expect(() => decoder.push(chunks[chunks.length - 1]!)).toThrow(expect.objectContaining({ code: 'MALFORMED_REMAINING_LENGTH' }));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
