/**
 * ACS3-HMAC-SHA256: what the gateway acts on must be what the caller signed. Found in the
 * security review: the canonical query joins raw (decoded) names, so a name holding "&" or "="
 * (sent as %26, %3D) re-splits a signed query into other parameters with the same canonical
 * form — accepted as signed, and the genuine request's nonce burnt; and a form body was read
 * by an unsigned Content-Type.
 */
import { describe, expect, it } from 'vitest';
import { acs3CanonicalRequest, acs3Signature } from '../../../src/api/gateway/index.js';
import { readForm } from '../../../src/api/gateway/form.js';
import { sha256Hex } from '../../../src/api/gateway/signature-acs3.js';
import { INSTANCE, KEY, gatewayOnAedes, rawHttp } from './sdk.js';
import type { RawResponse } from './sdk.js';

interface Acs3Call {
  /** The query the caller signed. */
  query: string;
  /** The query sent (default: the signed one). */
  sentQuery?: string;
  body?: string;
  contentType?: string;
  /** Whether Content-Type is among the signed headers (default true when there is one). */
  signContentType?: boolean;
  nonce: string;
}

let nonces = 0;

function acs3(port: number, call: Acs3Call): Promise<RawResponse> {
  const body = call.body ?? '';
  const headers: Record<string, string> = {
    host: `127.0.0.1:${port}`,
    'x-acs-action': 'SendMessage',
    'x-acs-version': '2020-04-20',
    'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'x-acs-signature-nonce': call.nonce,
    'x-acs-content-sha256': sha256Hex(body),
  };
  if (call.contentType !== undefined) headers['content-type'] = call.contentType;
  const signed = Object.keys(headers)
    .filter((name) => name !== 'content-type' || call.signContentType !== false)
    .sort();
  const distinct = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]]));
  const canonical = acs3CanonicalRequest('POST', '/', readForm(call.query, new Map()), distinct, signed, sha256Hex(body));
  const authorization = `ACS3-HMAC-SHA256 Credential=${KEY.accessKeyId},SignedHeaders=${signed.join(';')},Signature=${acs3Signature(KEY.accessKeySecret, canonical)}`;
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return rawHttp(port, `POST /?${call.sentQuery ?? call.query} HTTP/1.1\r\n${lines}authorization: ${authorization}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

const gateway = gatewayOnAedes();

const json = (answer: RawResponse): Record<string, unknown> => JSON.parse(answer.body) as Record<string, unknown>;

describe('ACS3: the signed canonical form has one reading', () => {
  it('a signed call is served (the helper signs as the Tea SDK does)', async () => {
    const answer = await acs3(gateway().port, { query: `InstanceId=${INSTANCE}&MqttTopic=acs3%2Ft&Payload=p`, nonce: `n-${++nonces}` });
    expect(answer.status).toBe(200);
  });

  it('a query re-split through a name holding "&" and "=": refused before its nonce is used, so the genuine call still goes through', async () => {
    const query = `InstanceId=${INSTANCE}&MqttTopic=acs3%2Ft&Payload=p`;
    const nonce = `n-${++nonces}`;
    // One parameter named `InstanceId=…&MqttTopic` with the value "acs3/t": the same canonical query.
    const tampered = await acs3(gateway().port, { query, sentQuery: `InstanceId%3D${INSTANCE}%26MqttTopic=acs3%2Ft&Payload=p`, nonce });
    expect(tampered.status).toBe(400);
    expect(json(tampered).Code).toBe('InvalidParameter');
    expect((await acs3(gateway().port, { query, nonce })).status).toBe(200);
  });

  it('a form body with an unsigned Content-Type: IncompleteSignature; signed, it is served', async () => {
    const body = `InstanceId=${INSTANCE}&MqttTopic=acs3%2Fform&Payload=p`;
    const contentType = 'application/x-www-form-urlencoded';
    const unsigned = await acs3(gateway().port, { query: '', body, contentType, signContentType: false, nonce: `n-${++nonces}` });
    expect(unsigned.status).toBe(400);
    expect(json(unsigned).Code).toBe('IncompleteSignature');
    expect((await acs3(gateway().port, { query: '', body, contentType, nonce: `n-${++nonces}` })).status).toBe(200);
  });
});

describe('ACS3: the canonical request is no larger than what was sent', () => {
  // Found in the security review: each listed name added its header's value again, so 8 KB of
  // Host listed 2,000 times was a 16 MB canonical request, echoed in the error body; at the
  // default header limit, gigabytes, from anyone who knows an access key id.
  it('SignedHeaders listing a header twice: IncompleteSignature, answered in a small body', async () => {
    const authorization = `ACS3-HMAC-SHA256 Credential=${KEY.accessKeyId},SignedHeaders=${'host;'.repeat(2_000)}x-acs-content-sha256;x-acs-date;x-acs-signature-nonce,Signature=00`;
    const headers = `host: ${'h'.repeat(8_000)}\r\nx-acs-content-sha256: ${sha256Hex('')}\r\nx-acs-date: ${new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')}\r\nx-acs-signature-nonce: dup-1\r\n`;
    const answer = await rawHttp(gateway().port, `POST /?Action=SendMessage&Version=2020-04-20 HTTP/1.1\r\n${headers}authorization: ${authorization}\r\ncontent-length: 0\r\n\r\n`);
    expect(json(answer).Code).toBe('IncompleteSignature');
    expect(answer.body.length).toBeLessThan(2_000);
  });
});
