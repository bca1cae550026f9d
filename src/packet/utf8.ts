/**
 * MQTT's UTF-8 string rules [MQTT-1.5.3-1, -2]: well-formed UTF-8 only (no surrogate code points)
 * and no U+0000, checked on the way out and on the way in. A 16-bit length prefix caps a string at
 * 65,535 bytes.
 */
import { protocolError, typeOf } from '../errors.js';
import { readAsciiBytes, readWellFormedUtf8, writeUtf8Bytes } from './bytes.js';
import { tooLong } from './checks.js';
import { MAX_STRING_BYTES } from './types.js';

/**
 * The UTF-8 byte length of `s`, refusing what MQTT forbids. `what` names the field in errors.
 */
export function measureString(s: string, what: string): number {
  if (typeof s !== 'string') protocolError('MALFORMED_PACKET', `${what} must be a string, got ${typeOf(s)}`);
  const length = s.length;
  let bytes = length;
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0) nullCharacter(what);
    } else if (c < 0x800) {
      bytes += 1;
    } else if (c < 0xd800 || c > 0xdfff) {
      bytes += 2;
    } else {
      // A surrogate must be a high one followed by a low one; the pair becomes 4 bytes.
      const next = c <= 0xdbff && i + 1 < length ? s.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) badUtf8(what); // an unpaired surrogate has no UTF-8
      i++;
      bytes += 2;
    }
  }
  if (bytes > MAX_STRING_BYTES) tooLong(what, bytes);
  return bytes;
}

function nullCharacter(what: string): never {
  return protocolError('NULL_CHARACTER', `${what} contains U+0000`, 'MQTT-1.5.3-2');
}

/**
 * Writes a length-prefixed string and returns the offset after it. The packet's measure checked
 * it already: writeText() measures it again only for its length. (Two functions, not a default
 * argument: writeString stays small enough for V8 to inline into PUBLISH's writer.)
 */
export function writeText(target: Uint8Array, offset: number, s: string): number {
  return writeString(target, offset, s, measureString(s, 'String'));
}

/** writeText() for a string whose UTF-8 length the caller knows. */
export function writeString(target: Uint8Array, offset: number, s: string, byteLength: number): number {
  target[offset] = byteLength >>> 8;
  target[offset + 1] = byteLength & 0xff;
  offset += 2;
  if (byteLength === s.length && byteLength < 48) {
    // Short ASCII (the common topic) is cheaper copied here than through a native call.
    for (let i = 0; i < byteLength; i++) target[offset + i] = s.charCodeAt(i);
  } else {
    writeUtf8Bytes(target, offset, s, byteLength);
  }
  return offset + byteLength;
}

/** Writes a length-prefixed binary field; returns the offset after it. */
export function writeBinary(target: Uint8Array, offset: number, data: Uint8Array): number {
  target[offset] = data.length >>> 8;
  target[offset + 1] = data.length & 0xff;
  target.set(data, offset + 2);
  return offset + 2 + data.length;
}

/** Decodes and checks the UTF-8 in bytes[start, end). */
export function readUtf8(bytes: Uint8Array, start: number, end: number, what: string): string {
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c === 0) nullCharacter(what);
    if (c >= 0x80) {
      const text = readWellFormedUtf8(bytes, start, end);
      if (text === undefined) return badUtf8(what);
      if (text.includes('\0', i - start)) nullCharacter(what);
      return text;
    }
  }
  return readAsciiBytes(bytes, start, end);
}

function badUtf8(what: string): never {
  return protocolError('INVALID_UTF8', `${what} is not well-formed UTF-8`, 'MQTT-1.5.3-1');
}
