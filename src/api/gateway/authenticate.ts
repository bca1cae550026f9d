/**
 * Who is calling: the request's signature checked against the configured access keys, in
 * either scheme, then its timestamp and nonce. The nonce is recorded only once the signature
 * holds, so nobody can burn another caller's nonces.
 */
import { timingSafeEqual } from 'node:crypto';
import { ApiFailure } from './api-failure.js';
import { printable } from './form.js';
import type { NonceCache } from './nonce-cache.js';
import type { ApiRequest } from './request.js';
import { ACS3, acs3CanonicalRequest, acs3Signature, parseAcs3Authorization, sha256Hex } from './signature-acs3.js';
import { rpcSignature, rpcStringToSign } from './signature-rpc.js';

export interface AccessKey {
  secret: string;
  /** The instance ids this key may send to; null: any. */
  instances: ReadonlySet<string> | null;
  /** The topic filters this key may send to; null: any. */
  topics: readonly string[] | null;
}

/** A caller the gateway has authenticated (or admitted anonymously). */
export interface Caller {
  accessKeyId: string | undefined;
  instances: ReadonlySet<string> | null;
  topics: readonly string[] | null;
}

export interface AuthenticationContext {
  keys: ReadonlyMap<string, AccessKey>;
  nonces: NonceCache;
  /** How far a request's timestamp may be from now, either way (ms). */
  timestampWindow: number;
  allowAnonymous: boolean;
}

const ANONYMOUS: Caller = { accessKeyId: undefined, instances: null, topics: null };
/** The SDKs send 32 hex digits or a UUID; anything much longer only costs the nonce cache memory. */
const MAX_NONCE_LENGTH = 128;
/** YYYY-MM-DDThh:mm:ssZ, as both SDKs write it (milliseconds tolerated). */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

export function authenticate(request: ApiRequest, context: AuthenticationContext, now: number): Caller {
  const authorization = request.headers['authorization']?.[0];
  if (authorization !== undefined && authorization.startsWith(`${ACS3} `)) return authenticateAcs3(request, authorization, context, now);
  if (request.parameters.has('Signature') || request.parameters.has('AccessKeyId')) return authenticateRpc(request, context, now);
  if (context.allowAnonymous) return ANONYMOUS;
  throw ApiFailure.missing('AccessKeyId');
}

function authenticateRpc(request: ApiRequest, context: AuthenticationContext, now: number): Caller {
  const parameters = request.parameters;
  const required = (name: string): string => {
    const value = parameters.get(name);
    if (value === undefined || value === '') throw ApiFailure.missing(name);
    return value;
  };
  const accessKeyId = required('AccessKeyId');
  const signature = required('Signature');
  // This scheme signs parameters, not headers: an action or version taken from the x-acs-*
  // headers would be one nobody signed (both SDKs send them as parameters too).
  required('Action');
  required('Version');
  const method = required('SignatureMethod');
  if (method !== 'HMAC-SHA1') throw ApiFailure.of('IncompleteSignature', `SignatureMethod "${printable(method)}" is not supported: use HMAC-SHA1.`);
  const version = required('SignatureVersion');
  if (version !== '1.0') throw ApiFailure.of('IncompleteSignature', `SignatureVersion "${printable(version)}" is not supported: use 1.0.`);
  const timestamp = required('Timestamp');
  const nonce = required('SignatureNonce');
  if (parameters.has('SecurityToken')) throw stsRefused();
  const key = keyOf(accessKeyId, context);
  const stringToSign = rpcStringToSign(request.method, parameters);
  if (!sameText(signature, rpcSignature(key.secret, stringToSign))) {
    throw ApiFailure.of('SignatureDoesNotMatch', `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`);
  }
  admitOnce(accessKeyId, timestamp, 'Timestamp', nonce, context, now);
  return { accessKeyId, instances: key.instances, topics: key.topics };
}

function authenticateAcs3(request: ApiRequest, header: string, context: AuthenticationContext, now: number): Caller {
  const authorization = parseAcs3Authorization(header);
  const signed = new Set(authorization.signedHeaders);
  // Each listed name adds its header's value to the canonical request: a name listed thousands of
  // times made a few KB of headers into a canonical request (and error message) of gigabytes.
  if (signed.size !== authorization.signedHeaders.length) throw ApiFailure.of('IncompleteSignature', 'SignedHeaders lists a header more than once.');
  for (const name of ['host', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256']) {
    if (!signed.has(name)) throw ApiFailure.of('IncompleteSignature', `The header "${name}" must be signed.`);
  }
  // An x-acs-* header the gateway would act on but nobody signed could have been added by anyone;
  // so could the Content-Type that makes a body a form (the SDK signs it).
  for (const name of Object.keys(request.headers)) {
    if (name.startsWith('x-acs-') && !signed.has(name)) throw ApiFailure.of('IncompleteSignature', `The header "${printable(name)}" is present but not signed.`);
  }
  if (request.body.length > 0 && !signed.has('content-type')) throw ApiFailure.of('IncompleteSignature', 'The header "content-type" must be signed with a body.');
  // Query names are signed raw: one holding "&" or "=" (or a line break) would let a signed query
  // be re-split into other parameters with the same canonical form. The SDKs send none.
  for (const name of request.query.keys()) {
    // eslint-disable-next-line no-control-regex
    if (/[&=\u0000-\u001f\u007f]/.test(name)) throw ApiFailure.of('InvalidParameter', `The parameter name "${printable(name)}" cannot be signed unambiguously.`);
  }
  const single = (name: string): string => {
    const values = request.headers[name];
    if (values === undefined || values.length !== 1 || values[0] === '') throw ApiFailure.missing(name);
    return values[0]!;
  };
  const timestamp = single('x-acs-date');
  const nonce = single('x-acs-signature-nonce');
  const payloadHash = single('x-acs-content-sha256');
  if (request.headers['x-acs-security-token'] !== undefined) throw stsRefused();
  const key = keyOf(authorization.accessKeyId, context);
  const canonical = acs3CanonicalRequest(request.method, request.path, request.query, request.headers, authorization.signedHeaders, payloadHash);
  if (!sameText(authorization.signature, acs3Signature(key.secret, canonical))) {
    throw ApiFailure.of('SignatureDoesNotMatch', `Specified signature is not matched with our calculation. server canonical request is:${canonical}`);
  }
  if (payloadHash !== sha256Hex(request.body)) throw ApiFailure.of('SignatureDoesNotMatch', 'The body does not match its x-acs-content-sha256 header.');
  admitOnce(authorization.accessKeyId, timestamp, 'x-acs-date', nonce, context, now);
  return { accessKeyId: authorization.accessKeyId, instances: key.instances, topics: key.topics };
}

function keyOf(accessKeyId: string, context: AuthenticationContext): AccessKey {
  const key = context.keys.get(accessKeyId);
  if (key === undefined) throw ApiFailure.of('InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
  return key;
}

function admitOnce(accessKeyId: string, timestamp: string, field: string, nonce: string, context: AuthenticationContext, now: number): void {
  const signedAt = TIMESTAMP.test(timestamp) ? Date.parse(timestamp) : NaN;
  if (Number.isNaN(signedAt)) throw ApiFailure.of('IllegalTimestamp', `The ${field} "${printable(timestamp)}" is not in the format YYYY-MM-DDThh:mm:ssZ.`);
  if (Math.abs(now - signedAt) > context.timestampWindow) throw ApiFailure.of('InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
  if (nonce.length > MAX_NONCE_LENGTH) throw ApiFailure.of('InvalidParameter', `SignatureNonce is longer than ${MAX_NONCE_LENGTH} characters.`);
  // Kept until a request with this timestamp can no longer be accepted: one millisecond past the window's edge.
  const verdict = context.nonces.remember(`${accessKeyId}\n${nonce}`, signedAt + context.timestampWindow + 1, now);
  if (verdict === 'used') throw ApiFailure.of('SignatureNonceUsed', 'Specified signature nonce was used already.');
  if (verdict === 'full') throw ApiFailure.of('SystemOverFlow', 'Too many signed requests within the timestamp window to remember their nonces. Please try again.');
}

function stsRefused(): ApiFailure {
  return ApiFailure.of('CheckAccountInfoFailed', 'STS security tokens are not supported by this gateway: sign with an access key pair.');
}

/** Constant-time comparison (the length of a signature is no secret). */
function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
