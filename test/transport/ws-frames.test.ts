/**
 * The builtin WebSocket client's framing (RFC 6455) and opening handshake, without sockets:
 * server frames split at arbitrary points, control frames interleaved with fragments, the
 * protocol violations a client must refuse, masked client frames around the length-encoding
 * boundaries, and the HTTP upgrade exchange.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MqttError } from '../support/internals.js';
import { FrameParser, OPCODE, encodeFrame } from '../../src/transport/ws-frames.js';
import type { FrameSink, RandomFill } from '../../src/transport/ws-frames.js';
import { HandshakeReader, expectedAccept, upgradeRequest } from '../../src/transport/ws-handshake.js';

// ---------------------------------------------------------------------------------------------
// An independent server-side frame encoder (unmasked, as a server sends).

interface FrameSpec {
  opcode: number;
  payload: Uint8Array;
  fin?: boolean;
  /** Reserved bits RSV1..3 as 0x40 | 0x20 | 0x10. */
  rsv?: number;
  /** A masking key: servers must not mask, so this makes an invalid frame. */
  mask?: Uint8Array;
}

function serverFrame({ opcode, payload, fin = true, rsv = 0, mask }: FrameSpec): Uint8Array {
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

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Cuts `bytes` at the given positions (any numbers; reduced modulo the length, deduplicated). */
function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  if (bytes.length === 0) return [bytes];
  const points = [...new Set(cuts.map((c) => c % bytes.length))].filter((c) => c > 0).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.slice(from, p));
    from = p;
  }
  chunks.push(bytes.slice(from));
  return chunks;
}

/** Deterministic bytes of a given length (fast to build even for 70 kB payloads). */
function patterned(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed >>> 0) || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

type Event = { kind: 'data'; hex: string } | { kind: 'ping'; hex: string } | { kind: 'close'; code: number | undefined; reason: string };

const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');

/** Records what the parser reports; consecutive data pieces are merged (piece boundaries are not significant). */
function recordingSink(): { sink: FrameSink; events: Event[] } {
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
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(hexOf(actual)).toBe(hexOf(expected));
}

function parseAll(chunks: readonly Uint8Array[]): Event[] {
  const parser = new FrameParser();
  const { sink, events } = recordingSink();
  for (const chunk of chunks) parser.push(chunk, sink);
  return events;
}

function expectWsError(run: () => void, pattern: RegExp): MqttError {
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

// ---------------------------------------------------------------------------------------------
// Arbitraries: a stream of server messages with control frames between fragments.

const smallPayload = fc.uint8Array({ maxLength: 140 });
/** Mostly small, sometimes around and past the 16-bit and 64-bit length boundaries. */
const payload = fc.oneof(
  { weight: 12, arbitrary: smallPayload },
  {
    weight: 1,
    arbitrary: fc
      .record({ length: fc.constantFrom(125, 126, 127, 65_535, 65_536, 65_537), seed: fc.integer() })
      .map(({ length, seed }) => patterned(length, seed)),
  },
  { weight: 1, arbitrary: fc.record({ length: fc.integer({ min: 126, max: 70_000 }), seed: fc.integer() }).map(({ length, seed }) => patterned(length, seed)) },
);

interface Control {
  kind: 'ping' | 'pong';
  payload: Uint8Array;
}
const control: fc.Arbitrary<Control> = fc.record({ kind: fc.constantFrom('ping' as const, 'pong' as const), payload: fc.uint8Array({ maxLength: 125 }) });

interface DataMessage {
  kind: 'data';
  fragments: Uint8Array[];
  /** between[i]: control frames sent after fragment i (inside the fragmented message). */
  between: Control[][];
}
const dataMessage: fc.Arbitrary<DataMessage> = fc
  .array(payload, { minLength: 1, maxLength: 4 })
  .chain((fragments) =>
    fc.record({
      kind: fc.constant('data' as const),
      fragments: fc.constant(fragments),
      between: fc.array(fc.array(control, { maxLength: 2 }), { minLength: fragments.length - 1, maxLength: fragments.length - 1 }),
    }),
  );

type Item = DataMessage | Control;
const stream = fc.array(fc.oneof({ weight: 3, arbitrary: dataMessage as fc.Arbitrary<Item> }, { weight: 1, arbitrary: control as fc.Arbitrary<Item> }), {
  maxLength: 8,
});

/** The bytes of `items`, and the events a correct parser reports for them. */
function render(items: readonly Item[]): { bytes: Uint8Array; expected: Event[] } {
  const frames: Uint8Array[] = [];
  const expected: Event[] = [];
  const data = (bytes: Uint8Array): void => {
    if (bytes.length === 0) return;
    const last = expected[expected.length - 1];
    if (last?.kind === 'data') last.hex += hexOf(bytes);
    else expected.push({ kind: 'data', hex: hexOf(bytes) });
  };
  const controlFrame = (c: Control): void => {
    frames.push(serverFrame({ opcode: c.kind === 'ping' ? OPCODE.ping : OPCODE.pong, payload: c.payload }));
    if (c.kind === 'ping') expected.push({ kind: 'ping', hex: hexOf(c.payload) });
  };
  for (const item of items) {
    if (item.kind !== 'data') {
      controlFrame(item);
      continue;
    }
    item.fragments.forEach((fragment, i) => {
      const last = i === item.fragments.length - 1;
      frames.push(serverFrame({ opcode: i === 0 ? OPCODE.binary : OPCODE.continuation, payload: fragment, fin: last }));
      data(fragment);
      if (!last) for (const c of item.between[i] ?? []) controlFrame(c);
    });
  }
  return { bytes: concat(frames), expected };
}

const cuts = fc.array(fc.nat(), { maxLength: 24 });

// ---------------------------------------------------------------------------------------------

describe('FrameParser: server frames', () => {
  it('[MQTT-6.0.0-2] yields exactly the binary payloads and the pings, however the frames are split (property)', () => {
    fc.assert(
      fc.property(stream, cuts, (items, positions) => {
        const { bytes, expected } = render(items);
        expect(parseAll(splitAt(bytes, positions))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('[MQTT-6.0.0-2] gives the same result fed one byte at a time', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(dataMessage.filter((m) => m.fragments.every((f) => f.length < 300)) as fc.Arbitrary<Item>, control as fc.Arbitrary<Item>), { maxLength: 5 }), (items) => {
        const { bytes, expected } = render(items);
        const single = [...bytes].map((b) => Uint8Array.of(b));
        expect(parseAll(single)).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('reports a close frame with its code and reason, after the data before it', () => {
    fc.assert(
      fc.property(stream, cuts, fc.integer({ min: 1000, max: 4999 }), fc.string({ maxLength: 40 }), (items, positions, code, reason) => {
        const reasonBytes = new TextEncoder().encode(reason);
        fc.pre(reasonBytes.length <= 123);
        const { bytes, expected } = render(items);
        const close = serverFrame({ opcode: OPCODE.close, payload: concat([Uint8Array.of(code >>> 8, code & 0xff), reasonBytes]) });
        expect(parseAll(splitAt(concat([bytes, close]), positions))).toEqual([...expected, { kind: 'close', code, reason }]);
      }),
      { numRuns: 100 },
    );
  });

  it('reports a close frame without a body as code undefined', () => {
    expect(parseAll([serverFrame({ opcode: OPCODE.close, payload: new Uint8Array(0) })])).toEqual([{ kind: 'close', code: undefined, reason: '' }]);
  });

  it('passes data on as it arrives, before the frame is complete', () => {
    const parser = new FrameParser();
    const { sink, events } = recordingSink();
    const frame = serverFrame({ opcode: OPCODE.binary, payload: Uint8Array.of(1, 2, 3, 4, 5, 6) });
    parser.push(frame.subarray(0, 5), sink); // header + 3 payload bytes
    expect(events).toEqual([{ kind: 'data', hex: '010203' }]);
    parser.push(frame.subarray(5), sink);
    expect(events).toEqual([{ kind: 'data', hex: '010203040506' }]);
  });

  it('reads 16-bit and 64-bit lengths at the boundaries', () => {
    for (const length of [0, 125, 126, 127, 65_535, 65_536, 65_537]) {
      const body = patterned(length, length + 1);
      const events = parseAll([serverFrame({ opcode: OPCODE.binary, payload: body })]);
      if (length === 0) expect(events).toEqual([]);
      else {
        expect(events).toHaveLength(1);
        expect(events[0]).toEqual({ kind: 'data', hex: hexOf(body) });
      }
    }
  });
});

describe('FrameParser: protocol violations', () => {
  const push = (...frames: Uint8Array[]) => () => parseAll([concat(frames)]);

  it('refuses a close frame with a 1-byte body, or a reason that is not UTF-8 (RFC 6455 §5.5.1; found in review)', () => {
    expectWsError(push(serverFrame({ opcode: OPCODE.close, payload: Uint8Array.of(0x03) })), /1-byte body/);
    expectWsError(push(serverFrame({ opcode: OPCODE.close, payload: Uint8Array.of(0x03, 0xe8, 0xff, 0xfe) })), /not UTF-8/);
  });

  it('refuses a masked frame from the server (RFC 6455 5.1)', () => {
    const masked = serverFrame({ opcode: OPCODE.binary, payload: Uint8Array.of(1, 2, 3), mask: Uint8Array.of(9, 8, 7, 6) });
    expectWsError(push(masked), /masked/);
  });

  it('[MQTT-6.0.0-1] refuses a text frame, citing MQTT-6.0.0-1', () => {
    const error = expectWsError(push(serverFrame({ opcode: OPCODE.text, payload: new TextEncoder().encode('hello') })), /text frame/);
    expect(error.message).toContain('MQTT-6.0.0-1');
  });

  it('[MQTT-6.0.0-1] refuses a text frame after valid binary data, however the bytes are split (property)', () => {
    fc.assert(
      fc.property(stream, cuts, (items, positions) => {
        const { bytes, expected } = render(items);
        const text = serverFrame({ opcode: OPCODE.text, payload: Uint8Array.of(0x41) });
        const parser = new FrameParser();
        const { sink, events } = recordingSink();
        let thrown: unknown;
        try {
          for (const chunk of splitAt(concat([bytes, text]), positions)) parser.push(chunk, sink);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(MqttError);
        expect((thrown as MqttError).message).toContain('MQTT-6.0.0-1');
        expect(events).toEqual(expected); // everything before the text frame was delivered
      }),
      { numRuns: 100 },
    );
  });

  for (const rsv of [0x40, 0x20, 0x10]) {
    it(`refuses reserved bit 0x${rsv.toString(16)} on a data or control frame (no extension was negotiated)`, () => {
      expectWsError(push(serverFrame({ opcode: OPCODE.binary, payload: Uint8Array.of(1), rsv })), /reserved bits/);
      expectWsError(push(serverFrame({ opcode: OPCODE.ping, payload: Uint8Array.of(1), rsv })), /reserved bits/);
    });
  }

  it('refuses a control frame longer than 125 bytes', () => {
    expectWsError(push(serverFrame({ opcode: OPCODE.ping, payload: new Uint8Array(126) })), /control frame/);
  });

  it('refuses a fragmented control frame', () => {
    expectWsError(push(serverFrame({ opcode: OPCODE.ping, payload: Uint8Array.of(1), fin: false })), /control frame/);
  });

  it('refuses a continuation frame with no message to continue', () => {
    expectWsError(push(serverFrame({ opcode: OPCODE.continuation, payload: Uint8Array.of(1) })), /continuation/);
  });

  it('refuses a new binary message inside a fragmented one', () => {
    expectWsError(
      push(serverFrame({ opcode: OPCODE.binary, payload: Uint8Array.of(1), fin: false }), serverFrame({ opcode: OPCODE.binary, payload: Uint8Array.of(2) })),
      /new message/,
    );
  });

  it('refuses unknown data and control opcodes', () => {
    expectWsError(push(serverFrame({ opcode: 0x3, payload: Uint8Array.of(1) })), /opcode 3/);
    expectWsError(push(serverFrame({ opcode: 0xb, payload: Uint8Array.of(1) })), /opcode 11/);
  });

  it('refuses a 64-bit length of 4 GiB or more', () => {
    expectWsError(push(Uint8Array.of(0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0)), /4 GiB/);
  });
});

// ---------------------------------------------------------------------------------------------

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
      const body = patterned(length, 7 + length);
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
        fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.record({ length: fc.integer({ min: 0, max: 70_000 }), seed: fc.integer() }).map(({ length, seed }) => patterned(length, seed))),
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

// ---------------------------------------------------------------------------------------------

const sha1Base64 = (text: string): string => createHash('sha1').update(text).digest('base64');
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
/** RFC 6455 section 1.3's worked example. */
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

function response(lines: string[]): string {
  return lines.join('\r\n') + '\r\n\r\n';
}

const goodResponse = (accept = ACCEPT, extra: string[] = ['Sec-WebSocket-Protocol: mqtt']): string =>
  response(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`, ...extra]);

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function expectHandshakeError(text: string, pattern: RegExp): void {
  const reader = new HandshakeReader(expectedAccept(KEY, sha1Base64));
  expectWsError(() => reader.push(latin1(text)), pattern);
}

describe('WebSocket opening handshake', () => {
  it('computes Sec-WebSocket-Accept as RFC 6455 does (worked example of section 1.3)', () => {
    expect(expectedAccept(KEY, sha1Base64)).toBe(ACCEPT);
  });

  it('computes Sec-WebSocket-Accept for any key like node:crypto SHA-1 + the GUID (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (raw) => {
        const key = Buffer.from(raw).toString('base64');
        const reference = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        expect(expectedAccept(key, sha1Base64)).toBe(reference);
      }),
    );
  });

  it('accepts a correct 101 response and returns the bytes after the head, however it is split (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), cuts, (after, positions) => {
        const reader = new HandshakeReader(expectedAccept(KEY, sha1Base64));
        const head = latin1(goodResponse());
        const chunks = splitAt(concat([head, after]), positions);
        const rest: Uint8Array[] = [];
        let done = false;
        let consumed = 0;
        for (const chunk of chunks) {
          if (done) {
            rest.push(chunk);
            continue;
          }
          const result = reader.push(chunk);
          consumed += chunk.length;
          if (result === null) {
            expect(consumed).toBeLessThan(head.length); // null only while the head is incomplete
          } else {
            done = true;
            rest.push(result);
          }
        }
        expect(done).toBe(true);
        expect(concat(rest)).toEqual(after);
      }),
      { numRuns: 200 },
    );
  });

  it('accepts header names and values in any case, and Connection lists', () => {
    const reader = new HandshakeReader(ACCEPT);
    const text = response(['HTTP/1.1 101 Switching Protocols', 'upgrade: WebSocket', 'CONNECTION: keep-alive, Upgrade', `sec-websocket-accept: ${ACCEPT}`]);
    expect(reader.push(latin1(text))).toEqual(new Uint8Array(0));
  });

  it('accepts a response that names no subprotocol (RFC 6455 allows it)', () => {
    const reader = new HandshakeReader(ACCEPT);
    expect(reader.push(latin1(goodResponse(ACCEPT, [])))).toEqual(new Uint8Array(0));
  });

  it('rejects a wrong Sec-WebSocket-Accept', () => {
    expectHandshakeError(goodResponse(sha1Base64('something else')), /Sec-WebSocket-Accept/);
    expectHandshakeError(response(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade']), /Sec-WebSocket-Accept/);
  });

  it('rejects a status other than 101', () => {
    expectHandshakeError(response(['HTTP/1.1 200 OK', 'Content-Length: 0']), /refused the upgrade.*200/);
    expectHandshakeError(response(['HTTP/1.1 400 Bad Request']), /400/);
    expectHandshakeError(response(['HTTP/1.1 404 Not Found', 'Upgrade: websocket']), /404/);
  });

  it('[MQTT-6.0.0-3] rejects a subprotocol other than the "mqtt" it offered', () => {
    expectHandshakeError(goodResponse(ACCEPT, ['Sec-WebSocket-Protocol: mqttv3.1']), /subprotocol "mqttv3.1"/);
    expectHandshakeError(goodResponse(ACCEPT, ['Sec-WebSocket-Protocol: chat']), /subprotocol "chat"/);
  });

  it('rejects a response without Upgrade: websocket or Connection: Upgrade', () => {
    expectHandshakeError(response(['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${ACCEPT}`]), /Upgrade: websocket/);
    expectHandshakeError(response(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', `Sec-WebSocket-Accept: ${ACCEPT}`]), /Connection: Upgrade/);
  });

  it('rejects a response head that never ends', () => {
    const reader = new HandshakeReader(ACCEPT);
    expect(reader.push(latin1('HTTP/1.1 101 Switching Protocols\r\n'))).toBeNull();
    const filler = latin1(`X-Filler: ${'a'.repeat(1000)}\r\n`);
    expectWsError(() => {
      for (let i = 0; i < 20; i++) reader.push(filler);
    }, /too long/);
  });
});

describe('WebSocket upgrade request', () => {
  it('[MQTT-6.0.0-3] offers the "mqtt" subprotocol', () => {
    const request = upgradeRequest('127.0.0.1', 9001, 80, '/mqtt', KEY);
    expect(request.split('\r\n')).toContain('Sec-WebSocket-Protocol: mqtt');
  });

  it('is a well-formed HTTP/1.1 upgrade with the key, version 13 and the path with query', () => {
    const request = upgradeRequest('127.0.0.1', 9001, 80, '/mqtt?token=x', KEY, { 'X-Test': 'yes' });
    expect(request.endsWith('\r\n\r\n')).toBe(true);
    const lines = request.slice(0, -4).split('\r\n');
    expect(lines[0]).toBe('GET /mqtt?token=x HTTP/1.1');
    expect(lines).toContain('Host: 127.0.0.1:9001');
    expect(lines).toContain('Upgrade: websocket');
    expect(lines).toContain('Connection: Upgrade');
    expect(lines).toContain(`Sec-WebSocket-Key: ${KEY}`);
    expect(lines).toContain('Sec-WebSocket-Version: 13');
    expect(lines).toContain('X-Test: yes');
    expect(lines.every((line) => line.length > 0)).toBe(true);
  });

  it('leaves the default port out of Host and brackets IPv6 hosts', () => {
    expect(upgradeRequest('broker.example', 443, 443, '/mqtt', KEY).split('\r\n')).toContain('Host: broker.example');
    expect(upgradeRequest('broker.example', 80, 80, '/mqtt', KEY).split('\r\n')).toContain('Host: broker.example');
    expect(upgradeRequest('::1', 9001, 80, '/mqtt', KEY).split('\r\n')).toContain('Host: [::1]:9001');
  });
});
