/**
 * Pip.Services' MessageEnvelope, wire-compatible with pip-services3 (Node): the JSON keys in
 * Pip's order, no whitespace, `sent_time` as ISO 8601 with milliseconds and Z, the body as
 * standard base64 or null. Unlike Pip, bytes given to the constructor stay bytes.
 */
import { usageError } from '../../errors.js';
import { fromBase64, readUtf8Bytes, toBase64, utf8Encode } from '../../packet/bytes.js';
import { randomUuidHex } from '../../random.js';
import { readEnvelopeFields } from './envelope-fields.js';

const utf8Decoder = new TextDecoder();
/** The id for the envelope being built by withId_, which then draws none. */
let presetId: string | undefined;

export type EnvelopeBody = string | Uint8Array | ArrayBuffer | ArrayBufferView | object | number | boolean | null | undefined;

export class MessageEnvelope {
  /** 32 lowercase hex digits (a version 4 UUID without dashes), as Pip's IdGenerator.nextLong(). */
  message_id: string;
  correlation_id: string | null;
  message_type: string | null;
  /** Set when the envelope is sent (or as received). */
  sent_time: Date | null = null;
  message: Uint8Array | null = null;
  #reference: unknown;

  constructor(correlationId: string | null | undefined, messageType: string | null | undefined, message?: EnvelopeBody) {
    this.message_id = presetId ?? randomUuidHex();
    this.correlation_id = correlationId ?? null;
    this.message_type = messageType ?? null;
    if (message === null || message === undefined) this.message = null;
    else if (typeof message === 'string') this.setMessageAsString(message);
    else if (message instanceof Uint8Array) this.message = message;
    else if (message instanceof ArrayBuffer) this.message = new Uint8Array(message);
    else if (ArrayBuffer.isView(message)) this.message = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
    else this.setMessageAsObject(message);
  }

  /** @internal An envelope whose id is already known (parsed, or a packet id): none is drawn for it. */
  static withId_(messageId: string, correlationId: string | null, messageType: string | null, message: EnvelopeBody): MessageEnvelope {
    presetId = messageId;
    try {
      return new MessageEnvelope(correlationId, messageType, message);
    } finally {
      presetId = undefined;
    }
  }

  /** The queue's handle for this message (the received MQTT message, for complete/abandon). */
  getReference(): unknown {
    return this.#reference;
  }

  setReference(reference: unknown): void {
    this.#reference = reference;
  }

  getMessageAsString(): string | null {
    return this.message === null ? null : utf8Decoder.decode(this.message);
  }

  setMessageAsString(value: string): void {
    this.message = utf8Encode(value);
  }

  getMessageAs<T = unknown>(): T | null {
    const text = this.getMessageAsString();
    return text === null ? null : (JSON.parse(text) as T);
  }

  setMessageAsObject(value: unknown): void {
    this.message = value === null || value === undefined ? null : utf8Encode(JSON.stringify(value));
  }

  /** Pip 3's names for the same two methods. */
  getMessageAsJson<T = unknown>(): T | null {
    return this.getMessageAs<T>();
  }

  setMessageAsJson(value: unknown): void {
    this.setMessageAsObject(value);
  }

  /** `[correlation_id,message_type,first 50 bytes]`, with `---` for what is missing. */
  toString(): string {
    const body = this.message === null ? '---' : utf8Decoder.decode(this.message.subarray(0, 50));
    return `[${this.correlation_id || '---'},${this.message_type || '---'},${body}]`;
  }

  /** The JSON object Pip writes, in its key order. */
  toJSON(): { message_id: string | null; correlation_id: string | null; message_type: string | null; sent_time: string; message: string | null } {
    return {
      // ?? null: JSON.stringify would drop an undefined key, toJSONText writes null; both the same.
      message_id: this.message_id ?? null,
      correlation_id: this.correlation_id ?? null,
      message_type: this.message_type ?? null,
      sent_time: isoTime(this.sent_time ?? new Date()),
      message: this.message === null ? null : toBase64(this.message),
    };
  }

  /** What JSON.stringify(envelope) writes, built without the intermediate object (a queue sends thousands a second). */
  toJSONText(): string {
    const { message_id: id, correlation_id: correlation, message_type: type, message } = this;
    return `{"message_id":${jsonString(id)},"correlation_id":${jsonString(correlation)},"message_type":${jsonString(type)},"sent_time":"${isoTime(this.sent_time ?? new Date())}","message":${message === null ? 'null' : `"${toBase64(message)}"`}}`;
  }

  /** @internal fromJSON of a payload, less a leading byte-order mark (which JSON.parse refuses). */
  static fromBytes_(payload: Uint8Array): MessageEnvelope | null {
    const text = readUtf8Bytes(payload, 0, payload.length);
    return MessageEnvelope.fromJSON(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  }

  /**
   * Parses an envelope written by any Pip port: every field is optional, v4's `trace_id` stands
   * for `correlation_id`, and Python's spaced JSON and zone-less times are read too. Null in, null
   * out; text that is not an envelope throws an MqttError (INVALID_PAYLOAD).
   */
  static fromJSON(value: string | null | undefined): MessageEnvelope | null {
    if (value === null || value === undefined) return null;
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      throw usageError('INVALID_PAYLOAD', `Not a message envelope (not JSON): ${JSON.stringify(value.slice(0, 40))}`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw usageError('INVALID_PAYLOAD', 'Not a message envelope (not a JSON object)');
    const fields = readEnvelopeFields(json as Record<string, unknown>);
    const { messageId: id, correlationId, messageType } = fields;
    const envelope = id === null ? new MessageEnvelope(correlationId, messageType, null) : MessageEnvelope.withId_(id, correlationId, messageType, null);
    envelope.sent_time = fields.sentTime;
    envelope.message = fields.body === null ? null : fromBase64(fields.body);
    return envelope;
  }
}

/** A field as JSON; undefined (a JavaScript caller's unset field) as null, never the bare word. */
function jsonString(value: string | null | undefined): string {
  return value === null || value === undefined ? 'null' : JSON.stringify(value);
}

let isoFor = NaN;
let isoText = '';

/** ISO 8601 with milliseconds and Z; a queue sending thousands a second asks many times per millisecond. */
function isoTime(date: Date): string {
  const ms = date.getTime();
  if (ms === isoFor) return isoText;
  if (Number.isNaN(ms)) throw usageError('INVALID_PAYLOAD', 'The envelope\'s sent_time is not a valid date');
  isoText = date.toISOString();
  isoFor = ms;
  return isoText;
}

