/**
 * Random bytes for ids and WebSocket masks, drawn from a pool the platform's CSPRNG
 * (`crypto.getRandomValues`, in browsers and Node alike) refills: one system call per 4 KiB
 * instead of one per id, which a queue creating an envelope id per message would otherwise pay.
 */
import { allocBytes, readAsciiBytes } from './packet/bytes.js';

const pool = new Uint8Array(4096);
let used = pool.length;

/** Where the next `byteCount` (≤ the pool's size) unused pool bytes start; refills the pool when they would run past it. */
function take(byteCount: number): number {
  if (used + byteCount > pool.length) {
    globalThis.crypto.getRandomValues(pool);
    used = 0;
  }
  used += byteCount;
  return used - byteCount;
}

/** Fills `target` with random bytes and returns it. */
export function fillRandom(target: Uint8Array): Uint8Array {
  if (target.length > pool.length) return globalThis.crypto.getRandomValues(target);
  const at = take(target.length);
  target.set(pool.subarray(at, at + target.length));
  return target;
}

const HEX_PAIRS = Array.from({ length: 256 }, (_, byte) => (byte < 16 ? '0' : '') + byte.toString(16));

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += HEX_PAIRS[bytes[i]!]!;
  return hex;
}

/** `byteCount` random bytes as lower-case hex (twice as many digits). */
export function randomHex(byteCount: number): string {
  return poolHex(byteCount, false);
}

/** A version 4 UUID's 16 bytes as 32 lower-case hex digits, without dashes. */
export function randomUuidHex(): string {
  return poolHex(16, true);
}

const HEX_DIGITS = Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0));
let hexDigits = allocBytes(64);

/**
 * Hex of pool bytes read where they lie, written as ASCII and made a string in one native call: a
 * queue draws an id per message, and a byte array plus sixteen string joins per id cost it more
 * than a microsecond. `uuid` sets a version 4 UUID's version and RFC 4122 variant bits.
 */
function poolHex(byteCount: number, uuid: boolean): string {
  if (byteCount > pool.length) return toHex(fillRandom(new Uint8Array(byteCount)));
  const at = take(byteCount);
  if (hexDigits.length < byteCount * 2) hexDigits = allocBytes(byteCount * 2);
  for (let i = 0; i < byteCount; i++) {
    let byte = pool[at + i]!;
    if (uuid && i === 6) byte = (byte & 0x0f) | 0x40;
    else if (uuid && i === 8) byte = (byte & 0x3f) | 0x80;
    hexDigits[2 * i] = HEX_DIGITS[byte >> 4]!;
    hexDigits[2 * i + 1] = HEX_DIGITS[byte & 15]!;
  }
  return readAsciiBytes(hexDigits, 0, byteCount * 2);
}
