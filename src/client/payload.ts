/** What every face accepts as a payload, and the one place it becomes bytes. */
import { typeOf, usageError } from '../errors.js';
import { utf8Encode } from '../packet/bytes.js';

/** Text is sent as UTF-8; a number as its decimal text (as `String(n)` writes it); bytes as they are. */
export type Payload = string | number | Uint8Array | ArrayBuffer | ArrayBufferView;

/** `payload` as bytes: Uint8Array is used as is (no copy); other views share their memory. */
export function toPayload(payload: Payload): Uint8Array {
  if (payload instanceof Uint8Array) return payload;
  if (typeof payload === 'string') return utf8Encode(payload);
  if (typeof payload === 'number') return utf8Encode(String(payload));
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  if (ArrayBuffer.isView(payload)) return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  // Callers from plain JavaScript can pass anything.
  throw usageError('INVALID_PAYLOAD', `A payload is a string, a number or bytes, got ${typeOf(payload)}`);
}
