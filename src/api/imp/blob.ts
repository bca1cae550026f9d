/** The imp's blob, as much of it as MQTT messages need: bytes with tostring(). */
import { toPayload } from '../../client/payload.js';
const utf8 = new TextDecoder();

export class ImpBlob {
  // Declared only, then assigned: a parameter property would also emit a field.
  declare readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** Number of bytes (Squirrel's blob.len()). */
  len(): number {
    return this.bytes.length;
  }

  get length(): number {
    return this.bytes.length;
  }

  /** The bytes as text (UTF-8), as agent code reads message bodies. */
  tostring(): string {
    return utf8.decode(this.bytes);
  }

  toString(): string {
    return this.tostring();
  }
}

/** Strings and blobs (or raw bytes) are both accepted wherever the imp takes "string or blob". */
export type StringOrBlob = string | ImpBlob | Uint8Array;

/** A string or blob as payload bytes: the engine's one conversion, blobs unwrapped. */
export function bytesOf(value: StringOrBlob): Uint8Array {
  return toPayload(value instanceof ImpBlob ? value.bytes : value);
}

/**
 * A message body the message owns: bytes are copied (text is encoded afresh anyway), so a blob
 * the caller writes into after createmessage() cannot change a message still to be sent.
 */
export function ownBytesOf(value: StringOrBlob): Uint8Array {
  const bytes = bytesOf(value);
  return typeof value === 'string' ? bytes : bytes.slice();
}

/** A topic or credential given as a string or blob, as a string; bytes must be valid UTF-8. */
export function textOf(value: StringOrBlob): string {
  if (typeof value === 'string') return value;
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytesOf(value));
}
