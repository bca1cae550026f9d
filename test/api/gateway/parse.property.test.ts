/**
 * The gateway's parsing, called directly with what a caller controls: the query string and
 * form body (readForm), the Authorization header, every header and parameter authenticate()
 * reads. Each answers or refuses with an ApiFailure of a status below 500 — never another
 * exception, which the server would turn into 500 InternalError. (fuzz.test.ts sends random
 * requests through a real server; this reaches the corners many more times.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiFailure } from '../../../src/api/gateway/api-failure.js';
import { authenticate } from '../../../src/api/gateway/authenticate.js';
import { percentEncode, readForm } from '../../../src/api/gateway/form.js';
import { NonceCache } from '../../../src/api/gateway/nonce-cache.js';
import type { ApiRequest } from '../../../src/api/gateway/request.js';
import { parseAcs3Authorization } from '../../../src/api/gateway/signature-acs3.js';

const PIECES = ['%', '%G1', '%E0%A4', '%FF', '%00', '%ED%A0%80', '%F4%90%80%80', '+', '=', '&', '&&', '%2B', '%25', 'é', ' ', '\u0000', '__proto__', 'constructor', 'Signature', 'AccessKeyId', 'testid'];
const formText = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 8 })), { maxLength: 10 }).map((parts) => parts.join(''));

/** Runs `f`; an ApiFailure of a 4xx status is an answer, anything else fails the test. */
function refusedOrDone(f: () => unknown): ApiFailure | undefined {
  try {
    f();
    return undefined;
  } catch (error) {
    if (!(error instanceof ApiFailure)) throw error;
    expect(error.status).toBeLessThan(500);
    return error;
  }
}

describe('readForm', () => {
  it('any query or body text: parameters, or an ApiFailure (property)', () => {
    fc.assert(
      fc.property(formText, (text) => {
        refusedOrDone(() => readForm(text, new Map()));
      }),
      { numRuns: 20_000 },
    );
  });

  it('any names and values, percent-encoded as the SDKs do, read back exactly; a name twice is refused (property)', () => {
    const wellFormed = fc.string({ unit: 'grapheme', maxLength: 10 });
    fc.assert(
      fc.property(fc.array(fc.tuple(wellFormed, wellFormed), { maxLength: 6 }), (pairs) => {
        const text = pairs.map(([n, v]) => `${percentEncode(n)}=${percentEncode(v)}`).join('&');
        const names = new Set(pairs.map(([n]) => n));
        const failure = refusedOrDone(() => readForm(text, new Map()));
        if (names.size < pairs.length) expect(failure?.code).toBe('InvalidParameter');
        else expect(readForm(text, new Map())).toEqual(new Map(pairs));
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('authenticate', () => {
  const headerValue = fc.oneof(fc.constantFrom('', 'testid', 'HMAC-SHA1', '1.0', '2024-01-02T03:04:05Z', 'host', 'x'.repeat(200)), fc.string({ maxLength: 16 }));
  const authorization = fc.oneof(
    fc.constantFrom('ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-date;x-acs-signature-nonce;x-acs-content-sha256,Signature=00', 'ACS3-HMAC-SHA256 ', 'ACS3-HMAC-SHA256 Credential=,SignedHeaders=,Signature='),
    fc
      .tuple(fc.string({ maxLength: 8 }), fc.array(fc.constantFrom('host', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256', '__proto__', 'constructor', 'toString', ''), { maxLength: 6 }), fc.string({ maxLength: 8 }))
      .map(([id, signed, signature]) => `ACS3-HMAC-SHA256 Credential=${id},SignedHeaders=${signed.join(';')},Signature=${signature}`),
    fc.string({ maxLength: 40 }).map((s) => `ACS3-HMAC-SHA256 ${s}`),
  );
  const headerName = fc.constantFrom('host', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256', 'x-acs-security-token', 'x-acs-action', '__proto__', 'constructor');
  const request = fc.record({
    method: fc.constantFrom('GET', 'POST', 'BREW'),
    path: fc.constantFrom('/', '/x', '//', '/%zz'),
    query: formText,
    body: formText,
    authorization: fc.option(authorization, { nil: undefined }),
    headers: fc.array(fc.tuple(headerName, fc.array(headerValue, { minLength: 1, maxLength: 2 })), { maxLength: 5 }),
    allowAnonymous: fc.boolean(),
  });

  it('any parameters and headers: a caller, or an ApiFailure below 500 (property)', () => {
    fc.assert(
      fc.property(request, (r) => {
        let query: Map<string, string>;
        let parameters: Map<string, string>;
        try {
          query = readForm(r.query, new Map());
          parameters = readForm(r.body, new Map(query));
        } catch (error) {
          expect(error).toBeInstanceOf(ApiFailure);
          return;
        }
        // As Node's headersDistinct: no prototype, so '__proto__' is a header like any other.
        const headers: Record<string, string[]> = Object.create(null);
        for (const [name, values] of r.headers) headers[name] = values;
        if (r.authorization !== undefined) headers.authorization = [r.authorization];
        const apiRequest: ApiRequest = { method: r.method, path: r.path, query, parameters, headers, body: Buffer.from(r.body) };
        const context = { keys: new Map([['testid', { secret: 'testsecret', instances: null, topics: null }]]), nonces: new NonceCache(100), timestampWindow: 900_000, allowAnonymous: r.allowAnonymous };
        refusedOrDone(() => authenticate(apiRequest, context, Date.parse('2024-01-02T03:04:05Z')));
      }),
      { numRuns: 10_000 },
    );
  });

  it('any Authorization header: its three fields, or IncompleteSignature (property)', () => {
    fc.assert(
      fc.property(authorization, (header) => {
        const failure = refusedOrDone(() => parseAcs3Authorization(header));
        if (failure !== undefined) expect(failure.code).toBe('IncompleteSignature');
      }),
      { numRuns: 5_000 },
    );
  });
});
