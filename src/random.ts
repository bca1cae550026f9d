/**
 * Random bytes for ids and WebSocket masks, from the platform's CSPRNG (`crypto.getRandomValues`,
 * in browsers and Node alike). What is drawn often (a WebSocket frame's mask, a queue envelope's
 * id per message) comes from a pool it refills: one system call per 4 KiB instead of one per draw.
 */
import { allocBytes, readAsciiBytes } from './packet/bytes.js';

const POOL_SIZE = 4096;
/** Pure: a bundle that never draws from the pool (the browser client, whose one id is randomHex's) drops it. */
const pool = /* @__PURE__ */ new Uint8Array(POOL_SIZE);
let used = POOL_SIZE;

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

const HEX = '0123456789abcdef';

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += HEX[bytes[i]! >> 4]! + HEX[bytes[i]! & 15]!;
  return hex;
}

/**
 * `byteCount` (≤ 65,536) random bytes as lower-case hex, twice as many digits. For client ids,
 * one per client: straight from the CSPRNG, so a bundle that needs nothing else has no pool.
 */
export function randomHex(byteCount: number): string {
  return toHex(globalThis.crypto.getRandomValues(new Uint8Array(byteCount)));
}

/** Made on first use, so a bundle that draws no UUID carries none of this. */
let uuidDigits: Uint8Array | undefined;

/**
 * A version 4 UUID's 16 bytes (RFC 4122 variant) as 32 lower-case hex digits, without dashes.
 * Read from the pool where they lie and made a string in one native call: the queue draws one
 * per message, and a byte array plus sixteen string joins per id cost it over a microsecond.
 */
export function randomUuidHex(): string {
  const at = take(16);
  const digits = (uuidDigits ??= allocBytes(32));
  for (let i = 0; i < 16; i++) {
    let byte = pool[at + i]!;
    if (i === 6) byte = (byte & 0x0f) | 0x40;
    else if (i === 8) byte = (byte & 0x3f) | 0x80;
    digits[2 * i] = HEX.charCodeAt(byte >> 4);
    digits[2 * i + 1] = HEX.charCodeAt(byte & 15);
  }
  return readAsciiBytes(digits, 0, 32);
}
