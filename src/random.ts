/**
 * Random bytes for ids and WebSocket masks, drawn from a pool the platform's CSPRNG
 * (`crypto.getRandomValues`, in browsers and Node alike) refills: one system call per 4 KiB
 * instead of one per id, which a queue creating an envelope id per message would otherwise pay.
 */
const pool = new Uint8Array(4096);
let used = pool.length;

/** Fills `target` with random bytes and returns it. */
export function fillRandom(target: Uint8Array): Uint8Array {
  if (target.length > pool.length) return globalThis.crypto.getRandomValues(target);
  if (used + target.length > pool.length) {
    globalThis.crypto.getRandomValues(pool);
    used = 0;
  }
  target.set(pool.subarray(used, used + target.length));
  used += target.length;
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
  return toHex(fillRandom(new Uint8Array(byteCount)));
}
