/**
 * The one place that knows whether Node's Buffer exists. Under Node every byte array the codec
 * hands out is a Buffer (pooled allocation, native string slicing); in a browser it is a plain
 * Uint8Array and the same code runs on TextEncoder/TextDecoder. The browser build defines
 * `globalThis.Buffer` away (scripts/build.mjs), so a browser bundle carries only that path.
 */

// This module imports nothing, and must stay so: esbuild inlines a top-level constant only in a
// module without imports, so only then does a browser bundle fold away the Node paths below.

interface NodeBufferStatics {
  allocUnsafe(size: number): Uint8Array;
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): Uint8Array;
  from(text: string, encoding: 'utf8' | 'base64'): Uint8Array;
  isBuffer(value: unknown): boolean;
  prototype: {
    utf8Write(this: Uint8Array, s: string, offset: number, length: number): number;
    utf8Slice(this: Uint8Array, start: number, end: number): string;
    latin1Slice(this: Uint8Array, start: number, end: number): string;
    base64Slice(this: Uint8Array, start: number, end: number): string;
  };
}

const NodeBuffer = (globalThis as { Buffer?: NodeBufferStatics }).Buffer;

/** Uninitialised bytes the caller promises to overwrite completely. */
export const allocBytes: (size: number) => Uint8Array = NodeBuffer
  ? (size) => NodeBuffer.allocUnsafe(size)
  : (size) => new Uint8Array(size);

/** A zero-copy view of `chunk` with Buffer methods where Node has them. */
export const asBytes: (chunk: Uint8Array) => Uint8Array = NodeBuffer
  ? (chunk) => (NodeBuffer.isBuffer(chunk) ? chunk : NodeBuffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
  : (chunk) => chunk;

const encoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF is data and must survive decoding [MQTT-1.5.3-3].
const decoder = /* @__PURE__ */ new TextDecoder('utf-8', { ignoreBOM: true });
// fatal: WHATWG's decoder refuses exactly what RFC 3629 forbids (overlongs, surrogates, past U+10FFFF).
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Writes the UTF-8 of `s` (already measured at `byteLength`) at `offset`. */
export const writeUtf8Bytes: (target: Uint8Array, offset: number, s: string, byteLength: number) => void = NodeBuffer
  ? (target, offset, s, byteLength) => {
      NodeBuffer.prototype.utf8Write.call(target, s, offset, byteLength);
    }
  : (target, offset, s, byteLength) => {
      encoder.encodeInto(s, target.subarray(offset, offset + byteLength));
    };

/** Decodes bytes already known to be valid UTF-8. */
export const readUtf8Bytes: (bytes: Uint8Array, start: number, end: number) => string = NodeBuffer
  ? (bytes, start, end) => NodeBuffer.prototype.utf8Slice.call(bytes, start, end)
  : (bytes, start, end) => decoder.decode(bytes.subarray(start, end));

/**
 * Decodes bytes[start, end) if they are well-formed UTF-8 [MQTT-1.5.3-1], else undefined. Node
 * checks in JavaScript and slices natively, faster there than a fatal TextDecoder; a browser lets
 * the decoder check and carries no checker.
 */
export const readWellFormedUtf8: (bytes: Uint8Array, start: number, end: number) => string | undefined = NodeBuffer
  ? (bytes, start, end) => (isWellFormedUtf8(bytes, start, end) ? NodeBuffer.prototype.utf8Slice.call(bytes, start, end) : undefined)
  : (bytes, start, end) => {
      try {
        return strictDecoder.decode(bytes.subarray(start, end));
      } catch {
        return undefined;
      }
    };

/** RFC 3629 Table 3-7: no overlongs, no surrogates, nothing past U+10FFFF. */
function isWellFormedUtf8(bytes: Uint8Array, i: number, end: number): boolean {
  while (i < end) {
    const c = bytes[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let continuation: number;
    let low = 0x80;
    let high = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) continuation = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      continuation = 2;
      if (c === 0xe0) low = 0xa0;
      else if (c === 0xed) high = 0x9f; // U+D800..U+DFFF would follow
    } else if (c >= 0xf0 && c <= 0xf4) {
      continuation = 3;
      if (c === 0xf0) low = 0x90;
      else if (c === 0xf4) high = 0x8f;
    } else return false;
    if (i + continuation >= end) return false; // truncated sequence
    const second = bytes[i + 1]!;
    if (second < low || second > high) return false;
    for (let k = 2; k <= continuation; k++) {
      const b = bytes[i + k]!;
      if (b < 0x80 || b > 0xbf) return false;
    }
    i += continuation + 1;
  }
  return true;
}

/** Decodes bytes already known to be 7-bit ASCII (a browser's strict decoder: the codec carries no other). */
export const readAsciiBytes: (bytes: Uint8Array, start: number, end: number) => string = NodeBuffer
  ? (bytes, start, end) => NodeBuffer.prototype.latin1Slice.call(bytes, start, end)
  : (bytes, start, end) => strictDecoder.decode(bytes.subarray(start, end));

/** The UTF-8 of `s` (Node's TextEncoder costs several times Buffer's conversion). */
export const utf8Encode: (s: string) => Uint8Array = NodeBuffer ? (s) => NodeBuffer.from(s, 'utf8') : (s) => encoder.encode(s);

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding. */
export const toBase64: (bytes: Uint8Array) => string = NodeBuffer
  ? (bytes) => NodeBuffer.prototype.base64Slice.call(asBytes(bytes), 0, bytes.length)
  : portableToBase64;

/**
 * Decodes base64, standard or URL-safe, padded or not, up to the first '=' and skipping what is
 * not in the alphabet: as Node's Buffer reads it (and so as Pip's Node port reads an envelope).
 */
export const fromBase64: (text: string) => Uint8Array = NodeBuffer ? (text) => NodeBuffer.from(text, 'base64') : portableFromBase64;

/** @internal toBase64 where there is no Buffer (exported for the tests that hold it to Buffer's). */
export function portableToBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += BASE64[n >> 18]! + BASE64[(n >> 12) & 63]! + BASE64[(n >> 6) & 63]! + BASE64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 0) return out;
  const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
  return out + BASE64[n >> 18]! + BASE64[(n >> 12) & 63]! + (rest === 2 ? BASE64[(n >> 6) & 63]! : '=') + '=';
}

/** @internal fromBase64 where there is no Buffer. */
export function portableFromBase64(text: string): Uint8Array {
  const out = new Uint8Array((text.length * 3) >>> 2);
  let bits = 0;
  let value = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '=') break; // padding ends the data, as it does for Buffer
    const digit = char === '-' ? 62 : char === '_' ? 63 : BASE64.indexOf(char);
    if (digit < 0) continue;
    value = ((value << 6) | digit) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  return out.subarray(0, at);
}
