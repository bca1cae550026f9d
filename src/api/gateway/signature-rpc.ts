/**
 * Alibaba Cloud's RPC signature (SignatureVersion 1.0, HMAC-SHA1): what pop-core signs by
 * default and the Tea SDK with `signatureAlgorithm: 'v2'`. The method is part of what is signed,
 * so a verifier takes it from the request line, never from a parameter.
 */
import { createHmac } from 'node:crypto';
import { percentEncode } from './form.js';

/** `METHOD&%2F&enc(k=v&…)`: every parameter but `Signature`, sorted by raw name (code units). */
export function rpcStringToSign(method: string, parameters: ReadonlyMap<string, string>): string {
  return stringToSign(method, canonicalQuery(parameters));
}

function stringToSign(method: string, canonical: string): string {
  return `${method}&${percentEncode('/')}&${percentEncode(canonical)}`;
}

/** Every parameter but `Signature`, sorted by raw name, each `enc(name)=enc(value)`, joined by "&". */
function canonicalQuery(parameters: ReadonlyMap<string, string>): string {
  const names = [...parameters.keys()].filter((name) => name !== 'Signature').sort();
  return names.map((name) => `${percentEncode(name)}=${percentEncode(parameters.get(name)!)}`).join('&');
}

/** Base64 HMAC-SHA1 keyed with `secret + "&"`. */
export function rpcSignature(secret: string, stringToSign: string): string {
  return createHmac('sha1', `${secret}&`).update(stringToSign, 'utf8').digest('base64');
}

/**
 * A signed query string (or form body), as pop-core sends it: sorted parameters with
 * `Signature` last. For the gateway's own callers (the CLI's demo and bench, tests).
 */
export function rpcSignedQuery(method: string, parameters: ReadonlyMap<string, string>, secret: string): string {
  const query = canonicalQuery(parameters);
  return `${query}&Signature=${percentEncode(rpcSignature(secret, stringToSign(method, query)))}`;
}

/**
 * A SendMessage call's parameters as pop-core sends them (RPC v1, fresh timestamp): the common
 * ones, then `fields` (InstanceId, MqttTopic, Payload, or any override). For the demo, the bench
 * and tests, which sign calls of their own.
 * @internal
 */
export function sendMessageParameters(accessKeyId: string, nonce: string, fields: Record<string, string>): Map<string, string> {
  return new Map(
    Object.entries({
      AccessKeyId: accessKeyId,
      Action: 'SendMessage',
      Format: 'JSON',
      Version: '2020-04-20',
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: nonce,
      Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ...fields,
    }),
  );
}
