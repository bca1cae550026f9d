/**
 * Alibaba Cloud's RPC signature (SignatureVersion 1.0, HMAC-SHA1): what pop-core signs by
 * default and the Tea SDK with `signatureAlgorithm: 'v2'`. The method is part of what is signed,
 * so a verifier takes it from the request line, never from a parameter.
 */
import { createHmac } from 'node:crypto';
import { percentEncode } from './form.js';

/** `METHOD&%2F&enc(k=v&…)`: every parameter but `Signature`, sorted by raw name (code units). */
export function rpcStringToSign(method: string, parameters: ReadonlyMap<string, string>): string {
  const names = [...parameters.keys()].filter((name) => name !== 'Signature').sort();
  const canonical = names.map((name) => `${percentEncode(name)}=${percentEncode(parameters.get(name)!)}`).join('&');
  return `${method}&${percentEncode('/')}&${percentEncode(canonical)}`;
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
  const names = [...parameters.keys()].sort();
  const query = names.map((name) => `${percentEncode(name)}=${percentEncode(parameters.get(name)!)}`).join('&');
  return `${query}&Signature=${percentEncode(rpcSignature(secret, rpcStringToSign(method, parameters)))}`;
}
