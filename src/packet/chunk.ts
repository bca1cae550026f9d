/** The bytes a decoder is handed, as the platform delivers them. */
import { typeOf, usageError } from '../errors.js';

/** What a decoder is given, as bytes: a Uint8Array, an ArrayBuffer (a WebSocket's data) or another view of one. */
export function bytesOfChunk(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw usageError('INVALID_ARGUMENT', `Bytes to decode must be a Uint8Array or ArrayBuffer, got ${typeOf(chunk)}`);
}
