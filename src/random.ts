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

/** Ids made per batch: one native decode per batch, and a retained id pins at most its batch's 1 KiB of digits. */
const IDS_PER_BATCH = 32;
/** Each byte's two hex digits as one 16-bit unit, in the platform's byte order (written through bytes); made on first use, so a bundle that draws no UUID carries none of this. */
let digitPairs: Uint16Array | undefined;
/** The current batch's digits as bytes, and the same memory as 16-bit units (one store per random byte). */
let batchDigits: Uint8Array | undefined;
let batchPairs: Uint16Array | undefined;
const asciiDecoder = /* @__PURE__ */ new TextDecoder();
let batch = '';
let nextInBatch = IDS_PER_BATCH;

function hexDigitPairs(): Uint16Array {
  const pairs = new Uint16Array(256);
  const bytes = new Uint8Array(pairs.buffer);
  for (let byte = 0; byte < 256; byte++) {
    bytes[2 * byte] = HEX.charCodeAt(byte >> 4);
    bytes[2 * byte + 1] = HEX.charCodeAt(byte & 15);
  }
  return pairs;
}

/** The next IDS_PER_BATCH UUIDs' digits as one string, from pool bytes with each id's version and variant set. */
function refillBatch(): void {
  const t = (digitPairs ??= hexDigitPairs());
  const digits = (batchDigits ??= new Uint8Array(32 * IDS_PER_BATCH));
  const d = (batchPairs ??= new Uint16Array(digits.buffer));
  const p = pool;
  const at = take(16 * IDS_PER_BATCH);
  for (let i = 0; i < 16 * IDS_PER_BATCH; i += 16) {
    const s = at + i;
    d[i] = t[p[s]!]!; d[i + 1] = t[p[s + 1]!]!; d[i + 2] = t[p[s + 2]!]!; d[i + 3] = t[p[s + 3]!]!;
    d[i + 4] = t[p[s + 4]!]!; d[i + 5] = t[p[s + 5]!]!;
    d[i + 6] = t[(p[s + 6]! & 0x0f) | 0x40]!; // version 4
    d[i + 7] = t[p[s + 7]!]!;
    d[i + 8] = t[(p[s + 8]! & 0x3f) | 0x80]!; // variant 10
    d[i + 9] = t[p[s + 9]!]!; d[i + 10] = t[p[s + 10]!]!; d[i + 11] = t[p[s + 11]!]!;
    d[i + 12] = t[p[s + 12]!]!; d[i + 13] = t[p[s + 13]!]!; d[i + 14] = t[p[s + 14]!]!; d[i + 15] = t[p[s + 15]!]!;
  }
  batch = asciiDecoder.decode(digits);
  nextInBatch = 0;
}

/**
 * A version 4 UUID's 16 bytes (RFC 4122 variant) as 32 lower-case hex digits, without dashes.
 * The queue draws one per message, so they are made 32 at a time: one decode of a batch's digits
 * into a string, then each id is a slice of it (V8 keeps a slice as a view, no copy). About 500
 * instructions an id, against 1,000 for one String.fromCharCode of 32 codes per id and 2,100 for
 * a native slice of a buffer of digits per id.
 */
export function randomUuidHex(): string {
  if (nextInBatch === IDS_PER_BATCH) refillBatch();
  const at = 32 * nextInBatch++;
  return batch.substring(at, at + 32);
}
