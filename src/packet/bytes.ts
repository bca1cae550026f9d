/**
 * The one place that knows whether Node's Buffer exists. Under Node every byte array the codec
 * hands out is a Buffer (pooled allocation, native string slicing); in a browser it is a plain
 * Uint8Array and the same code runs on TextEncoder/TextDecoder. The browser build defines
 * `globalThis.Buffer` away (scripts/build.mjs), so a browser bundle carries only that path.
 */

interface NodeBufferStatics {
  allocUnsafe(size: number): Uint8Array;
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): Uint8Array;
  isBuffer(value: unknown): boolean;
  prototype: {
    utf8Write(this: Uint8Array, s: string, offset: number, length: number): number;
    utf8Slice(this: Uint8Array, start: number, end: number): string;
    latin1Slice(this: Uint8Array, start: number, end: number): string;
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
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

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

/** Decodes bytes already known to be 7-bit ASCII. */
export const readAsciiBytes: (bytes: Uint8Array, start: number, end: number) => string = NodeBuffer
  ? (bytes, start, end) => NodeBuffer.prototype.latin1Slice.call(bytes, start, end)
  : (bytes, start, end) => decoder.decode(bytes.subarray(start, end));

export const utf8Encode = (s: string): Uint8Array => encoder.encode(s);
