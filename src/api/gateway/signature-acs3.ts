/**
 * ACS3-HMAC-SHA256, the Tea SDK's default: a canonical request over the method, path, query,
 * the headers the caller lists as signed, and the body's SHA-256, signed with the raw secret.
 */
import { createHash, createHmac } from 'node:crypto';
import { ApiFailure } from './api-failure.js';
import { percentEncode } from './form.js';

export const ACS3 = 'ACS3-HMAC-SHA256';

export interface Acs3Authorization {
  accessKeyId: string;
  /** Lower-case header names in the order the caller signed them. */
  signedHeaders: string[];
  signature: string;
}

/** Reads `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=a;b,Signature=hex`. */
export function parseAcs3Authorization(header: string): Acs3Authorization {
  const fields = new Map<string, string>();
  for (const part of header.slice(ACS3.length).split(',')) {
    const equals = part.indexOf('=');
    if (equals > 0) fields.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKeyId || !signedHeaders || !signature) {
    throw ApiFailure.of('IncompleteSignature', `The Authorization header must carry Credential, SignedHeaders and Signature (${ACS3}).`);
  }
  return { accessKeyId, signedHeaders: signedHeaders.split(';').map((name) => name.toLowerCase()), signature };
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The canonical request. `headers` holds each header's values as received; a header sent
 * several times is signed as its sorted values joined by ",", as the SDK does.
 */
export function acs3CanonicalRequest(
  method: string,
  path: string,
  query: ReadonlyMap<string, string>,
  headers: Readonly<Record<string, readonly string[] | undefined>>,
  signedHeaders: readonly string[],
  payloadHash: string,
): string {
  const canonicalQuery = [...query.keys()].sort().map((name) => `${name}=${percentEncode(query.get(name)!)}`).join('&');
  let canonicalHeaders = '';
  for (const name of signedHeaders) {
    const values = (headers[name] ?? []).map((value) => value.trim()).sort();
    canonicalHeaders += `${name}:${values.join(',')}\n`;
  }
  return `${method}\n${path}\n${canonicalQuery}\n${canonicalHeaders}\n${signedHeaders.join(';')}\n${payloadHash}`;
}

/** Hex HMAC-SHA256 over `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical request. */
export function acs3Signature(secret: string, canonicalRequest: string): string {
  return createHmac('sha256', secret).update(`${ACS3}\n${sha256Hex(canonicalRequest)}`, 'utf8').digest('hex');
}
