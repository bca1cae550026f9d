/** The imp's blob, as much of it as MQTT messages need: bytes with tostring(). */
import { toPayload } from '../../client/payload.js';
import { MqttProtocolError, usageError } from '../../errors.js';
import { readWellFormedUtf8 } from '../../packet/bytes.js';
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

/**
 * A topic or credential given as a string or blob, as a string; bytes must be valid UTF-8. What
 * is not one is the caller's typed error naming `what`, not the decoder's TypeError.
 */
export function textOf(value: StringOrBlob, what = 'A topic'): string {
  if (typeof value === 'string') return value;
  if (value == null) throw usageError('INVALID_ARGUMENT', `${what} is ${value}: give a string or blob`);
  const bytes = bytesOf(value);
  const text = readWellFormedUtf8(bytes, 0, bytes.length);
  if (text === undefined) throw new MqttProtocolError('INVALID_UTF8', `${what} is not valid UTF-8`, 'MQTT-1.5.3-1');
  return text;
}
