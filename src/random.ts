/**
 * Random bytes for ids and WebSocket masks, from the platform's CSPRNG (`crypto.getRandomValues`,
 * in browsers and Node alike). What is drawn often (a WebSocket frame's mask, a queue envelope's
 * id per message) comes from a pool it refills: one system call per 4 KiB instead of one per draw.
 */

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

/** Each byte's two hex digits as character codes (high at 2b, low at 2b + 1); made on first use, so a bundle that draws no UUID carries none of this. */
let digitCodes: Uint8Array | undefined;

function hexDigitCodes(): Uint8Array {
  const codes = new Uint8Array(512);
  for (let byte = 0; byte < 256; byte++) {
    codes[2 * byte] = HEX.charCodeAt(byte >> 4);
    codes[2 * byte + 1] = HEX.charCodeAt(byte & 15);
  }
  return codes;
}

/**
 * A version 4 UUID's 16 bytes (RFC 4122 variant) as 32 lower-case hex digits, without dashes.
 * Read from the pool where they lie and made a string by one String.fromCharCode: the queue
 * draws one per message, and a native call to slice a buffer of digits into a string cost twice
 * as many instructions (about 2,100 against 1,000), sixteen string joins more still.
 */
export function randomUuidHex(): string {
  const c = (digitCodes ??= hexDigitCodes());
  const p = pool;
  const at = take(16);
  p[at + 6] = (p[at + 6]! & 0x0f) | 0x40; // version 4
  p[at + 8] = (p[at + 8]! & 0x3f) | 0x80; // variant 10
  const b0 = 2 * p[at]!, b1 = 2 * p[at + 1]!, b2 = 2 * p[at + 2]!, b3 = 2 * p[at + 3]!;
  const b4 = 2 * p[at + 4]!, b5 = 2 * p[at + 5]!, b6 = 2 * p[at + 6]!, b7 = 2 * p[at + 7]!;
  const b8 = 2 * p[at + 8]!, b9 = 2 * p[at + 9]!, b10 = 2 * p[at + 10]!, b11 = 2 * p[at + 11]!;
  const b12 = 2 * p[at + 12]!, b13 = 2 * p[at + 13]!, b14 = 2 * p[at + 14]!, b15 = 2 * p[at + 15]!;
  return String.fromCharCode(
    c[b0]!, c[b0 + 1]!, c[b1]!, c[b1 + 1]!, c[b2]!, c[b2 + 1]!, c[b3]!, c[b3 + 1]!,
    c[b4]!, c[b4 + 1]!, c[b5]!, c[b5 + 1]!, c[b6]!, c[b6 + 1]!, c[b7]!, c[b7 + 1]!,
    c[b8]!, c[b8 + 1]!, c[b9]!, c[b9 + 1]!, c[b10]!, c[b10 + 1]!, c[b11]!, c[b11 + 1]!,
    c[b12]!, c[b12 + 1]!, c[b13]!, c[b13 + 1]!, c[b14]!, c[b14 + 1]!, c[b15]!, c[b15 + 1]!,
  );
}
