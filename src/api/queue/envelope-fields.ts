/**
 * Reading the fields of a parsed envelope JSON object, strictly enough that what is not an
 * envelope says so (INVALID_PAYLOAD) instead of becoming one whose body is lost or garbage: the
 * queue then reports it and hands the payload on as raw bytes. Every field stays optional (Pip's
 * minimal `{"message":"aGk="}` is an envelope), but at least one must be there.
 */
import { usageError } from '../../errors.js';
import type { MqttError } from '../../errors.js';

export interface EnvelopeFields {
  messageId: string | null;
  correlationId: string | null;
  messageType: string | null;
  sentTime: Date | null;
  /** Base64 text, checked to be base64. */
  body: string | null;
}

const ENVELOPE_KEYS = ['message_id', 'correlation_id', 'trace_id', 'message_type', 'sent_time', 'message'];

/** Standard or URL-safe digits (Buffer, as Pip's Node port, reads both), then at most two '='. */
const BASE64_TEXT = /^[A-Za-z0-9+/_-]*={0,2}$/;

export function readEnvelopeFields(fields: Record<string, unknown>): EnvelopeFields {
  // JSON that has nothing of an envelope (`{"temp":21}`) is someone else's message: as an
  // envelope its whole content would be dropped without a word.
  if (!ENVELOPE_KEYS.some((key) => key in fields)) throw notEnvelope('a JSON object with no envelope field');
  const correlationKey = fields.correlation_id === null || fields.correlation_id === undefined ? 'trace_id' : 'correlation_id'; // v4 writes trace_id
  return {
    messageId: idText(fields, 'message_id'),
    correlationId: idText(fields, correlationKey),
    messageType: idText(fields, 'message_type'),
    sentTime: time(fields.sent_time),
    body: base64Body(fields.message),
  };
}

/** A string, or a number's text (Pip's raw mode gives numeric ids); anything else is not an id. */
function idText(fields: Record<string, unknown>, key: string): string | null {
  const value = fields[key];
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw notEnvelope(`${key} is ${JSON.stringify(value)}, not text`);
}

/** ISO text (Python's zone-less too) or epoch milliseconds, as Pip's DateTimeConverter; what no one can read is null. */
function time(value: unknown): Date | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Buffer would turn any text into some bytes: text that is not base64 is refused instead. */
function base64Body(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw notEnvelope(`message is ${typeof value === 'object' ? 'an object' : `a ${typeof value}`}, not base64 text`);
  const compact = /\s/.test(value) ? value.replace(/\s+/g, '') : value; // MIME-wrapped lines are still base64
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  const digits = compact.length - padding;
  if (!BASE64_TEXT.test(compact) || digits % 4 === 1 || (padding > 0 && compact.length % 4 !== 0)) {
    throw notEnvelope(`message is not base64: ${JSON.stringify(value.slice(0, 40))}`);
  }
  return compact;
}

function notEnvelope(why: string): MqttError {
  return usageError('INVALID_PAYLOAD', `Not a message envelope (${why})`);
}
