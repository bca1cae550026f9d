/**
 * Alibaba Cloud's percent-encoding and a strict reader of the query strings and form bodies the
 * SDKs send. Strict because a signature is computed over the decoded values: a lenient decoder
 * (URLSearchParams turns a broken escape into U+FFFD) would verify something other than what
 * the caller signed.
 */
import { ApiFailure } from './api-failure.js';

const UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;
/** What encodeURIComponent leaves alone but RFC 3986 reserves. */
const SUB_DELIMS = /[!'()*]/g;

/** RFC 3986 unreserved characters stay; everything else is %XX of its UTF-8 bytes (upper-case hex). */
export function percentEncode(value: string): string {
  // Most names and values (ids, dates, hex) need no encoding at all: every request signs ~25 of them.
  if (UNRESERVED.test(value)) return value;
  const encoded = encodeURIComponent(value);
  SUB_DELIMS.lastIndex = 0;
  return SUB_DELIMS.test(encoded) ? encoded.replace(SUB_DELIMS, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : encoded;
}

/** Request parameters by name, each given once. */
export type Parameters = Map<string, string>;

/**
 * SendMessage needs about 14 (the common ones and its own three). Every parameter is decoded,
 * sorted and re-encoded before a signature can be refused: a query of 25,000 tiny ones cost 6
 * times a legitimate largest call, from anyone (found in review).
 */
export const MAX_PARAMETERS = 100;

/**
 * Adds the `name=value&…` pairs of `text` to `into`. `+` is a space (form encoding; the SDKs
 * never send a literal one). A name given twice — in one string, or in the query and the
 * body — is refused: which of the two was signed and meant would be a guess.
 */
export function readForm(text: string, into: Parameters): Parameters {
  if (text === '') return into;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = decodeComponent(equals === -1 ? pair : pair.slice(0, equals));
    const value = equals === -1 ? '' : decodeComponent(pair.slice(equals + 1));
    if (into.has(name)) throw ApiFailure.of('InvalidParameter', `The parameter "${printable(name)}" is given more than once.`);
    if (into.size >= MAX_PARAMETERS) throw ApiFailure.of('InvalidParameter', `The request has more than ${MAX_PARAMETERS} parameters.`);
    into.set(name, value);
  }
  return into;
}

function decodeComponent(encoded: string): string {
  const text = encoded.includes('+') ? encoded.replace(/\+/g, ' ') : encoded;
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    throw ApiFailure.of('InvalidParameter', `"${printable(encoded)}" is not valid percent-encoded UTF-8.`);
  }
}

/** A caller's text quoted back in an error message: bounded, and without control characters. */
export function printable(text: string, limit = 64): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > limit ? `${clean.slice(0, limit)}…` : clean;
}
