/**
 * What a client reads from a server, as arbitrary bytes in arbitrary chunks: the client's own
 * packet decoder (only the readers of what a broker may send), the WebSocket frame parser and
 * the upgrade response reader. Each either yields, or throws one typed error — never another
 * exception — gives the same result however the bytes are cut, and holds no more than its bound.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MqttError } from '../../src/errors.js';
import { MqttProtocolError, PacketDecoder, encode } from '../../src/packet/index.js';
import type { Packet } from '../../src/packet/index.js';
import { CLIENT_READERS } from '../../src/packet/client-readers.js';
import { StreamDecoder } from '../../src/packet/stream-decoder.js';
import { FrameParser } from '../../src/transport/ws-frames.js';
import { HandshakeReader } from '../../src/transport/ws-handshake.js';
import { concatBytes, cutAt, cutFractions, cutPoints, normalize, packet } from '../packet/arbitraries.js';

const MAX_PACKET = 4_096;
const BROKER_SENDS = new Set(['connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'suback', 'unsuback', 'pingresp']);

/** Valid encodings (any type) with a byte set here and there, or plain noise. */
const serverStream = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc
    .tuple(fc.array(packet({ maxLarge: 0 }), { minLength: 1, maxLength: 5 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }))
    .map(([packets, sets]) => {
      const bytes = concatBytes(packets.map(encode));
      for (const [at, byte] of sets) if (bytes.length > 0) bytes[at % bytes.length] = byte;
      return bytes;
    }),
);

interface Run {
  packets: Packet[];
  error: MqttProtocolError | undefined;
}

function feed(decoder: StreamDecoder, chunks: readonly Uint8Array[]): Run {
  const packets: Packet[] = [];
  for (const chunk of chunks) {
    try {
      packets.push(...decoder.push(chunk));
    } catch (error) {
      if (!(error instanceof MqttProtocolError)) throw error;
      return { packets, error };
    }
    expect(decoder.buffered).toBeLessThanOrEqual(MAX_PACKET);
  }
  return { packets, error: undefined };
}

describe("the client's decoder (what a broker may send)", () => {
  it('any bytes, any chunking: broker packets or a peer MqttProtocolError; the general decoder agrees up to the first packet a broker may not send (property)', () => {
    fc.assert(
      fc.property(serverStream, cutFractions, (bytes, fractions) => {
        const client = feed(new StreamDecoder({ maxPacketSize: MAX_PACKET }, CLIENT_READERS), cutAt(bytes, cutPoints(bytes.length, fractions)));
        for (const p of client.packets) expect(BROKER_SENDS.has(p.type)).toBe(true);
        if (client.error !== undefined) expect(client.error.origin).toBe('peer');
        // The general decoder, byte by byte, as the reference.
        const all = feed(new PacketDecoder({ maxPacketSize: MAX_PACKET }), Array.from(bytes, (b) => Uint8Array.of(b)));
        const firstForeign = all.packets.findIndex((p) => !BROKER_SENDS.has(p.type));
        const expected = firstForeign === -1 ? all.packets : all.packets.slice(0, firstForeign);
        // A chunk that throws loses the packets it completed: the client's are a prefix.
        expect(normalize(client.packets)).toStrictEqual(normalize(expected.slice(0, client.packets.length)));
        if (firstForeign !== -1) expect(client.error?.code).toBe('UNEXPECTED_PACKET');
        else if (all.error === undefined) expect(client.error).toBeUndefined();
        // The general decoder may find a malformed CONNECT where the client stops at its type.
        else expect([all.error.code, 'UNEXPECTED_PACKET']).toContain(client.error?.code);
      }),
      { numRuns: 5_000 },
    );
  });
});

interface WsRun {
  data: number[];
  events: string[];
  error: string | undefined;
}

/** Feeds a FrameParser; data is gathered as one byte list (where frames are cut does not matter). */
function frames(chunks: readonly Uint8Array[]): WsRun {
  const parser = new FrameParser();
  const run: WsRun = { data: [], events: [], error: undefined };
  const sink = {
    data: (bytes: Uint8Array) => run.data.push(...bytes),
    ping: (payload: Uint8Array) => run.events.push(`ping ${run.data.length} ${[...payload].join(',')}`),
    close: (code: number | undefined, reason: string) => run.events.push(`close ${run.data.length} ${code} ${reason}`),
  };
  for (const chunk of chunks) {
    try {
      parser.push(chunk, sink);
    } catch (error) {
      if (!(error instanceof MqttError)) throw error;
      expect(error.code).toBe('WEBSOCKET_ERROR');
      run.error = error.message;
      return run;
    }
  }
  return run;
}

/** Server frames, well-formed or not: random first bytes, short lengths, random payloads. */
const rawFrame = fc
  .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 127 }), fc.uint8Array({ maxLength: 12 }), fc.uint8Array({ maxLength: 40 }))
  .map(([b0, b1, extended, payload]) => Uint8Array.from([b0, b1, ...(b1 >= 126 ? extended : []), ...payload]));
const wellFormed = fc
  .tuple(fc.constantFrom(0x82, 0x02, 0x80, 0x89, 0x8a, 0x88), fc.uint8Array({ maxLength: 30 }))
  .map(([b0, payload]) => Uint8Array.from([b0, payload.length, ...payload]));
const wsStream = fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.array(fc.oneof(rawFrame, wellFormed, wellFormed), { maxLength: 8 }).map(concatBytes));

describe('FrameParser on arbitrary server bytes', () => {
  it('any bytes, any chunking: data, pings and closes, or WEBSOCKET_ERROR — the same as byte by byte (property)', () => {
    fc.assert(
      fc.property(wsStream, cutFractions, (bytes, fractions) => {
        const chunked = frames(cutAt(bytes, cutPoints(bytes.length, fractions)));
        const reference = frames(Array.from(bytes, (b) => Uint8Array.of(b)));
        expect(chunked.error).toBe(reference.error);
        // Data is passed on as it arrives: up to an error, a chunk delivers what it held.
        expect(chunked.data).toEqual(reference.data.slice(0, chunked.data.length));
        expect(chunked.events).toEqual(reference.events.slice(0, chunked.events.length));
        if (reference.error === undefined) {
          expect(chunked.data).toEqual(reference.data);
          expect(chunked.events).toEqual(reference.events);
        }
      }),
      { numRuns: 5_000 },
    );
  });
});

const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
const headLine = fc.oneof(
  fc.constantFrom('HTTP/1.1 101 Switching Protocols', 'HTTP/1.1 200 OK', 'HTTP/1.0 101 x', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${ACCEPT}`, 'Sec-WebSocket-Protocol: mqtt', 'Sec-WebSocket-Protocol: x', 'Sec-WebSocket-Extensions: permessage-deflate', ':', ''),
  fc.string({ maxLength: 20 }),
);
const handshakeBytes = fc.oneof(
  fc.tuple(fc.array(headLine, { maxLength: 7 }), fc.uint8Array({ maxLength: 10 })).map(([lines, after]) => Uint8Array.from([...Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), ...after])),
  fc.uint8Array({ maxLength: 200 }),
);

/** The bytes after the head, or the error, or 'more' while the head is incomplete. */
function handshake(chunks: readonly Uint8Array[]): string {
  const reader = new HandshakeReader(ACCEPT);
  for (const chunk of chunks) {
    try {
      const rest = reader.push(chunk);
      // After the head the transport reads frames, not the reader: what follows in this chunk is all it returns.
      if (rest !== null) return `rest ${[...rest].join(',')} ${chunks.slice(chunks.indexOf(chunk) + 1).map((c) => [...c].join(',')).filter((s) => s !== '').join(',')}`;
    } catch (error) {
      if (!(error instanceof MqttError)) throw error;
      expect(error.code).toBe('WEBSOCKET_ERROR');
      return `error ${error.message}`;
    }
  }
  return 'more';
}

describe('HandshakeReader on arbitrary responses', () => {
  it("quotes the server's text in its errors bounded and escaped (it quoted a 15 KB status line, escape codes and all)", () => {
    const cases = [`HTTP/1.1 400 ${'A'.repeat(15_000)}\x1b[2J`, `HTTP/1.1 101 x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\nSec-WebSocket-Protocol: \x1b[31m${'p'.repeat(9_000)}`];
    for (const head of cases) {
      const result = handshake([Buffer.from(`${head}\r\n\r\n`, 'latin1')]);
      expect(result).toMatch(/^error WebSocket: /);
      expect(result.length).toBeLessThan(200);
      expect(result).not.toMatch(/[\x00-\x1f]/);
    }
  });

  it('any bytes, any chunking: the bytes after the head, a WEBSOCKET_ERROR, or waiting — and the same bytes follow the head however it is cut (property)', () => {
    fc.assert(
      fc.property(handshakeBytes, cutFractions, (bytes, fractions) => {
        const chunked = handshake(cutAt(bytes, cutPoints(bytes.length, fractions)));
        const whole = handshake([bytes]);
        const rest = (s: string): string => s.replace(/^rest /, '').split(/[ ,]/).filter((x) => x !== '').join(',');
        if (whole.startsWith('rest')) expect(rest(chunked)).toBe(rest(whole));
        else expect(chunked).toBe(whole);
      }),
      { numRuns: 5_000 },
    );
  });
});
