/**
 * The builtin WebSocket client's opening handshake (RFC 6455 §1.3, §4), without sockets:
 * Sec-WebSocket-Accept, the 101 response however it is split (and the bytes after its head), the
 * responses a client must refuse, the "mqtt" subprotocol [MQTT-6.0.0-3], and the upgrade request.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HandshakeReader, expectedAccept, upgradeRequest } from '../../src/transport/ws-handshake.js';
import { concatBytes } from '../packet/arbitraries.js';
import { cuts, expectWsError, splitAt } from './ws-frame-support.js';

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
        const chunks = splitAt(concatBytes([head, after]), positions);
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
        expect(concatBytes(rest)).toEqual(after);
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
