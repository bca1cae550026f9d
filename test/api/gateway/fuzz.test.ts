/**
 * Property: whatever arrives — random methods, paths, query strings, headers and bodies, valid
 * and broken percent-encoding, signed requests with a byte changed — the gateway answers with
 * a JSON success or a JSON refusal of a known code (or closes after a JSON 4xx), never a crash
 * (500 InternalError), never a hang, and it keeps serving afterwards.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAedes } from '../../support/aedes.js';
import type { AedesBroker } from '../../support/aedes.js';
import { INSTANCE, rawHttp, signedQuery, startGateway } from './sdk.js';
import type { RunningGateway } from './sdk.js';

const KNOWN_CODES = new Set([
  'MissingParameter', 'InvalidParameter', 'InvalidParameter.MqttTopic', 'ParameterCheckFailed', 'IncompleteSignature', 'SignatureDoesNotMatch',
  'IllegalTimestamp', 'InvalidTimeStamp.Expired', 'SignatureNonceUsed', 'InstancePermissionCheckFailed', 'CheckAccountInfoFailed', 'InvalidVersion',
  'BadRequest', 'UnsupportedHTTPMethod', 'InvalidAccessKeyId.NotFound', 'ApiNotSupport', 'RequestEntityTooLarge', 'SystemOverFlow',
]);
const NAMES = ['Action', 'Version', 'InstanceId', 'MqttTopic', 'Payload', 'Format', 'AccessKeyId', 'Signature', 'SignatureNonce', 'Timestamp', 'SignatureMethod', 'SignatureVersion'];
const VALUES = ['SendMessage', '2020-04-20', INSTANCE, 'fuzz/t', 'fuzz/+', '#', '', 'JSON', 'json', 'XML', 'HMAC-SHA1', '1.0', '2024-01-02T03:04:05Z'];
const PIECES = ['%', '%G1', '%E0%A4', '%FF', '%00', '+', '=', '&&', '%2B', '%25', 'é', ' ', '\t', '"', '<', '\u0000'];

const value = fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 12 }), fc.constantFrom(...PIECES));
const pair = fc.tuple(fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 6 })), value, fc.boolean()).map(([name, v, encode]) => (encode ? `${encodeURIComponent(name)}=${encodeURIComponent(v)}` : `${name}=${v}`));
const form = fc.array(fc.oneof(pair, fc.constantFrom(...PIECES)), { maxLength: 8 }).map((parts) => parts.join('&'));
const header = fc.oneof(
  fc.constantFrom('Content-Type: application/x-www-form-urlencoded', 'Content-Type: application/json', 'Content-Type: text/plain; charset=utf-8'),
  fc.constantFrom('Authorization: ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host,Signature=00', 'Authorization: ACS3-HMAC-SHA256 x', 'Authorization: Basic eA=='),
  fc.tuple(fc.constantFrom('x-acs-action', 'x-acs-version', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256', 'X-Fuzz'), value).map(([name, v]) => `${name}: ${v}`),
);
const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'BREW'),
  path: fc.constantFrom('/', '/healthz', '/metrics', '//', '/x', '/%zz'),
  query: form,
  headers: fc.array(header, { maxLength: 4 }),
  body: fc.oneof(fc.constant(''), form),
  version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0'),
});

describe('SendMessage gateway: the request parser under random input (property)', () => {
  let broker: AedesBroker;
  let running: RunningGateway;

  beforeAll(async () => {
    broker = await startAedes();
    running = await startGateway(broker.url, { allowAnonymous: true, maxBodyBytes: 2_048, http: { headersTimeout: 500, requestTimeout: 1_000 } });
  });
  afterAll(async () => {
    await running?.gateway.close(500);
    await broker?.stop();
  });

  const check = (answer: { status: number; body: string }, path: string): void => {
    expect(answer.status, answer.body).toBeGreaterThan(0);
    if (answer.status === 200 && (path === '/healthz' || path === '/metrics')) return;
    if (answer.status === 405) return; // the operations paths for other methods: no body
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    if (answer.status === 200) {
      expect(body.MsgId).toMatch(/^[0-9A-F]{32}$/);
    } else {
      expect(KNOWN_CODES, String(body.Code)).toContain(body.Code);
      expect(typeof body.Message).toBe('string');
    }
  };

  it('random requests: a JSON answer of a known code, never InternalError, never a hang', async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path, query, headers, body, version }) => {
        const target = query === '' ? path : `${path}?${query}`;
        const lines = [`${method} ${target} ${version}`, 'Host: 127.0.0.1', ...headers];
        if (body !== '' || method === 'POST') lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
        const answer = await rawHttp(running.port, `${lines.join('\r\n')}\r\n\r\n${body}`);
        check(answer, path);
      }),
      { numRuns: 150 },
    );
  });

  it('a signed request with one byte changed: a JSON answer of a known code (a change that decodes the same may still pass)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 0x21, max: 0x7e }), async (position, byte) => {
        const query = signedQuery('GET');
        const index = position % query.length;
        const changed = query.slice(0, index) + String.fromCharCode(byte) + query.slice(index + 1);
        const answer = await rawHttp(running.port, `GET /?${changed} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
        check(answer, '/');
      }),
      { numRuns: 100 },
    );
  });

  it('still serves a valid signed call after all of that', async () => {
    expect((await rawHttp(running.port, `GET /?${signedQuery('GET')} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)).status).toBe(200);
  });
});
