/**
 * Payloads as aiomqtt's guide describes them, in JavaScript terms: numbers and bigints as their
 * decimal text (as String() writes it: 28.4 → "28.4", 1e21 → "1e+21"), strings as UTF-8, bytes
 * as they are, null/undefined as a zero-length payload (deleting a retained message).
 */
import { toPayload } from '../../client/payload.js';

export type AsyncPayload = string | number | bigint | Uint8Array | ArrayBuffer | ArrayBufferView | null | undefined;

const EMPTY = new Uint8Array(0);

export function asyncPayload(payload: unknown): Uint8Array {
  // Bytes first, as they are: the common case, and the others' tests cost a publish ~1 % of its CPU.
  if (payload instanceof Uint8Array) return payload;
  if (payload === null || payload === undefined) return EMPTY;
  if (typeof payload === 'bigint') return toPayload(payload.toString());
  if (typeof payload === 'string' || typeof payload === 'number' || payload instanceof ArrayBuffer || ArrayBuffer.isView(payload)) {
    return toPayload(payload);
  }
  // The contract of this face (and of aiomqtt): a TypeError telling how to send such a value.
  throw new TypeError(`Cannot publish a ${typeof payload} payload: serialise it first (e.g. JSON.stringify(value)), or pass a string, number, bigint or bytes`);
}
