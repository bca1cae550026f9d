/**
 * fast-check arbitraries for valid MQTT 3.1.1 packets of all 14 types, the `normalize` helper
 * that makes decoded packets comparable with `toStrictEqual`, and a few hand-rolled wire-format
 * builders (from the spec, not from our encoder) for tests that craft bytes.
 */
import fc from 'fast-check';
import type {
  ConnackPacket,
  ConnectPacket,
  IdOnlyPacket,
  Packet,
  PacketType,
  PublishPacket,
  QoS,
  SubackCode,
  SubackPacket,
  SubscribePacket,
  UnsubscribePacket,
  Will,
} from '../../src/packet/index.js';

// ---------------------------------------------------------------------------------------------
// Characters and strings
// ---------------------------------------------------------------------------------------------

/** Never U+0000 (1.5.3) and never a lone surrogate; everything else is fair game. */
const SPECIAL_CHARS = [
  'é', 'ß', 'Ω', '中', '\u00a0', '\u007f', '\u0080', '\u07ff', '\u0800', '\ud7ff', '\ue000',
  '\ufffd', '\uffff', '\ufeff', '😀', '𝄞', '\u{10000}', '\u{10ffff}', ' ', '$', '\u0001',
];
const ASCII_CHARS = 'abcdefxyzABZ0189-_.:'.split('');

const anyCodePoint = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => c !== '\u0000');

/** One character of a general MQTT string (client id, user name): may include '/', '+', '#'. */
export const stringChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ASCII_CHARS, '/', '+', '#') },
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL_CHARS) },
  { weight: 2, arbitrary: anyCodePoint },
);

/** A valid MQTT UTF-8 string of 0..maxChars code points. */
export function mqttString(maxChars = 12): fc.Arbitrary<string> {
  return fc.array(stringChar, { maxLength: maxChars }).map((cs) => cs.join(''));
}

/** One character inside a topic level: no '/', '+', '#', U+0000. */
const levelChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ASCII_CHARS) },
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL_CHARS) },
  { weight: 1, arbitrary: anyCodePoint.filter((c) => c !== '/' && c !== '+' && c !== '#') },
);

/** A topic level, possibly empty ('a//b', '/a', 'a/'). */
export const topicLevel: fc.Arbitrary<string> = fc.array(levelChar, { maxLength: 6 }).map((cs) => cs.join(''));

/**
 * A valid topic name: 1..6 levels, at least one character, no wildcards; sometimes with a
 * leading '$' level or a leading U+FEFF (which must survive [MQTT-1.5.3-3]).
 */
export const topicName: fc.Arbitrary<string> = fc
  .tuple(fc.array(topicLevel, { minLength: 1, maxLength: 6 }), fc.constantFrom('', '', '', '\ufeff', '$', '$SYS/', '/'))
  .map(([levels, prefix]) => prefix + levels.join('/'))
  .filter((t) => t.length > 0);

/** A valid topic filter: levels, whole-level '+', and optionally a final '#'. */
export const topicFilter: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(fc.oneof({ weight: 3, arbitrary: topicLevel }, { weight: 1, arbitrary: fc.constant('+') }), { maxLength: 5 }),
    fc.boolean(),
    fc.constantFrom('', '', '\ufeff', '$'),
  )
  .map(([levels, hash, prefix]) => {
    const all = hash ? [...levels, '#'] : levels;
    const joined = all.join('/');
    // A prefix glued to a wildcard level would make it invalid; only prefix a plain first level.
    return all[0] === '+' || all[0] === '#' || all.length === 0 ? joined : prefix + joined;
  })
  .filter((f) => f.length > 0);

// ---------------------------------------------------------------------------------------------
// Fields
// ---------------------------------------------------------------------------------------------

export const qos: fc.Arbitrary<QoS> = fc.constantFrom(0, 1, 2);
export const packetId: fc.Arbitrary<number> = fc.integer({ min: 1, max: 65_535 });

/** Deterministic filler so large byte arrays cost nothing to generate or shrink. */
export function filledBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export interface PayloadOptions {
  /** Occasionally generate payloads well past 2,000 bytes (up to this many). 0 disables. */
  maxLarge?: number;
}

/** PUBLISH payloads: usually 0..2000 bytes, occasionally (1 in 20) up to `maxLarge`. */
export function payload({ maxLarge = 300_000 }: PayloadOptions = {}): fc.Arbitrary<Uint8Array> {
  const small = fc.uint8Array({ maxLength: 2_000 });
  if (maxLarge <= 2_000) return small;
  return fc.oneof(
    { weight: 19, arbitrary: small },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 2_001, max: maxLarge }), fc.integer()).map(([n, seed]) => filledBytes(n, seed)),
    },
  );
}

/**
 * Binary fields with a 16-bit length (will message, password): usually 0..300 bytes, sometimes
 * up to the 65,535 limit (unless `maxLarge` is 2,000 or less).
 */
export function binaryField({ maxLarge = 300_000 }: PayloadOptions = {}): fc.Arbitrary<Uint8Array> {
  const small = fc.uint8Array({ maxLength: 300 });
  if (maxLarge <= 2_000) return small;
  return fc.oneof(
    { weight: 9, arbitrary: small },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 300, max: Math.min(65_535, maxLarge) }), fc.integer()).map(([n, seed]) => filledBytes(n, seed)),
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Packets
// ---------------------------------------------------------------------------------------------

export function will(options: PayloadOptions = {}): fc.Arbitrary<Will> {
  return fc
    .tuple(topicName, binaryField(options), qos, fc.boolean())
    .map(([topic, payload, qos, retain]) => ({ topic, payload, qos, retain }));
}

export function connect(options: PayloadOptions = {}): fc.Arbitrary<ConnectPacket> {
  return fc
    .tuple(
      fc.oneof({ weight: 1, arbitrary: fc.constant('') }, { weight: 4, arbitrary: mqttString(23) }),
      fc.integer({ min: 0, max: 65_535 }),
      fc.boolean(),
      fc.option(will(options), { nil: undefined }),
      fc.option(mqttString(16), { nil: undefined }),
      fc.option(binaryField(options), { nil: undefined }),
    )
    .map(([clientId, keepalive, clean, w, username, password]) => {
      // An empty client id needs CleanSession=1 [MQTT-3.1.3-7].
      const p: ConnectPacket = { type: 'connect', clientId, keepalive, cleanSession: clean || clientId === '' };
      if (w !== undefined) p.will = w;
      if (username !== undefined) {
        p.username = username;
        // A password only with a user name [MQTT-3.1.2-22].
        if (password !== undefined) p.password = password;
      }
      return p;
    });
}

export const connack: fc.Arbitrary<ConnackPacket> = fc
  .tuple(fc.boolean(), fc.integer({ min: 0, max: 5 }))
  // A refusal carries Session Present 0 [MQTT-3.2.2-4]; our encoder enforces it.
  .map(([sp, returnCode]) => ({ type: 'connack', sessionPresent: sp && returnCode === 0, returnCode }));

export function publish(options: PayloadOptions = {}): fc.Arbitrary<PublishPacket> {
  return fc
    .tuple(topicName, payload(options), qos, fc.boolean(), fc.boolean(), packetId)
    .map(([topic, body, q, dup, retain, id]): PublishPacket =>
      q === 0
        ? // No packet id and DUP=0 at QoS 0 [MQTT-2.3.1-5, MQTT-3.3.1-2].
          { type: 'publish', topic, payload: body, qos: 0, dup: false, retain }
        : { type: 'publish', topic, payload: body, qos: q, dup, retain, packetId: id },
    );
}

const ID_ONLY_TYPES = ['puback', 'pubrec', 'pubrel', 'pubcomp', 'unsuback'] as const;

export const idOnly: fc.Arbitrary<IdOnlyPacket> = fc
  .tuple(fc.constantFrom(...ID_ONLY_TYPES), packetId)
  .map(([type, id]) => ({ type, packetId: id }) as IdOnlyPacket);

export const subscribe: fc.Arbitrary<SubscribePacket> = fc
  .tuple(packetId, fc.array(fc.tuple(topicFilter, qos), { minLength: 1, maxLength: 8 }))
  .map(([id, subs]) => ({ type: 'subscribe', packetId: id, subscriptions: subs.map(([topic, q]) => ({ topic, qos: q })) }));

export const subackCode: fc.Arbitrary<SubackCode> = fc.constantFrom(0, 1, 2, 0x80);

export const suback: fc.Arbitrary<SubackPacket> = fc
  .tuple(packetId, fc.array(subackCode, { minLength: 1, maxLength: 20 }))
  .map(([id, granted]) => ({ type: 'suback', packetId: id, granted }));

export const unsubscribe: fc.Arbitrary<UnsubscribePacket> = fc
  .tuple(packetId, fc.array(topicFilter, { minLength: 1, maxLength: 8 }))
  .map(([id, topics]) => ({ type: 'unsubscribe', packetId: id, topics }));

export const empty: fc.Arbitrary<Packet> = fc.constantFrom<Packet>({ type: 'pingreq' }, { type: 'pingresp' }, { type: 'disconnect' });

/** One arbitrary per packet type, for per-type properties. */
export function packetOfType(type: PacketType, options: PayloadOptions = {}): fc.Arbitrary<Packet> {
  switch (type) {
    case 'connect':
      return connect(options);
    case 'connack':
      return connack;
    case 'publish':
      return publish(options);
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'unsuback':
      return packetId.map((id) => ({ type, packetId: id }) as IdOnlyPacket);
    case 'subscribe':
      return subscribe;
    case 'suback':
      return suback;
    case 'unsubscribe':
      return unsubscribe;
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      return fc.constant({ type } as Packet);
  }
}

export const PACKET_TYPES: readonly PacketType[] = [
  'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp',
  'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect',
];

/**
 * Any valid packet; PUBLISH weighted up since it has the largest input space. `maxLarge` bounds
 * PUBLISH payloads and (up to 65,535) will messages and passwords.
 */
export function packet(options: PayloadOptions = {}): fc.Arbitrary<Packet> {
  return fc.oneof(
    { weight: 4, arbitrary: publish(options) },
    { weight: 2, arbitrary: connect(options) },
    { weight: 1, arbitrary: connack },
    { weight: 2, arbitrary: idOnly },
    { weight: 2, arbitrary: subscribe },
    { weight: 1, arbitrary: suback },
    { weight: 2, arbitrary: unsubscribe },
    { weight: 1, arbitrary: empty },
  );
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Deep copy with every Uint8Array (Buffer or not) replaced by `{ hex }`, so `toStrictEqual`
 * compares byte content and key presence, not the array class or its backing memory.
 */
export function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return { hex: hex(value) };
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = normalize(v);
    return out;
  }
  return value;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Cuts `bytes` at the given (sorted, unique, in-range) offsets into fresh chunks, each a plain
 * Uint8Array with its own ArrayBuffer (Buffer#slice would return views).
 */
export function cutAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const c of [...cuts, bytes.length]) {
    chunks.push(new Uint8Array(bytes.subarray(start, c)));
    start = c;
  }
  return chunks;
}

/** Sorted unique inner cut points of a `length`-byte stream, from raw fractions. */
export function cutPoints(length: number, raw: readonly number[]): number[] {
  const set = new Set<number>();
  for (const r of raw) {
    const c = Math.floor(r * (length + 1));
    if (c > 0 && c < length) set.add(c);
  }
  return [...set].sort((a, b) => a - b);
}

/** Raw cut fractions in [0, 1). */
export const cutFractions: fc.Arbitrary<number[]> = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
  maxLength: 12,
});

// ---------------------------------------------------------------------------------------------
// Hand-built wire bytes (2.2.3 Remaining Length, 1.5.2 integers, 1.5.3 strings)
// ---------------------------------------------------------------------------------------------

/** The Remaining Length digits of 2.2.3, written from the spec's algorithm. */
export function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let digit = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) digit |= 0x80;
    out.push(digit);
  } while (n > 0);
  return out;
}

export function u16(n: number): number[] {
  return [(n >>> 8) & 0xff, n & 0xff];
}

/** A length-prefixed field from raw bytes (which need not be valid UTF-8). */
export function field(bytes: readonly number[] | Uint8Array): number[] {
  return [...u16(bytes.length), ...bytes];
}

/** A length-prefixed UTF-8 string field (Node's encoder, not ours). */
export function str(s: string): number[] {
  return field(Buffer.from(s, 'utf8'));
}

/** A whole packet: first byte, Remaining Length, body. */
export function frame(firstByte: number, body: readonly number[]): Uint8Array {
  return Uint8Array.from([firstByte, ...varint(body.length), ...body]);
}

/** The CONNECT variable header up to the flags: protocol name "MQTT", level 4 (3.1.2.1-2). */
export const CONNECT_PROTOCOL = [0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04];
