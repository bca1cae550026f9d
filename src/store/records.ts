/**
 * What a durable session store writes: one small record per change of state, replayed in order
 * to rebuild it. Messages are written once (ACCEPT); later records name them by sequence number.
 */
import { validateTopicName } from '../packet/index.js';
import type { QoS } from '../packet/index.js';

/** A message as the store keeps it: the request, plus what the application tagged it with. */
export interface StoredMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  /** The application's own id for the message, reported back with its completion after a restart. */
  messageId?: string;
  /** Application data kept with the message (string values). */
  properties?: Record<string, string>;
}

export type StoreRecord =
  /** The application handed over a message (queued, or about to be sent). */
  | { kind: 'accept'; seq: number; message: StoredMessage }
  /** The message went out (again) under this packet id: waiting for PUBACK / PUBREC. */
  | { kind: 'send'; seq: number; packetId: number }
  /** PUBREC came: waiting for PUBCOMP. */
  | { kind: 'release'; seq: number }
  /** Finished or given up: forget it. */
  | { kind: 'done'; seq: number }
  /** An inbound QoS 2 message was delivered; its PUBREL is awaited. */
  | { kind: 'inbound'; packetId: number }
  | { kind: 'inbound-released'; packetId: number }
  | { kind: 'inbound-cleared' }
  /** Messages accepted so far (the highest sequence number): kept by compaction. */
  | { kind: 'mark'; seq: number };

const KINDS = ['accept', 'send', 'release', 'done', 'inbound', 'inbound-released', 'inbound-cleared', 'mark'] as const;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeRecord(record: StoreRecord): Uint8Array {
  const kind = KINDS.indexOf(record.kind);
  switch (record.kind) {
    case 'accept': {
      const { message } = record;
      const topic = encoder.encode(message.topic);
      const extra = encoder.encode(message.messageId === undefined && message.properties === undefined ? '' : JSON.stringify([message.messageId ?? null, message.properties ?? null]));
      const out = new Uint8Array(1 + 8 + 1 + 4 + topic.length + 4 + message.payload.length + 4 + extra.length);
      const view = new DataView(out.buffer);
      let at = 0;
      out[at++] = kind;
      view.setFloat64(at, record.seq, true);
      at += 8;
      out[at++] = message.qos | (message.retain ? 4 : 0);
      at = putBytes(out, view, at, topic);
      at = putBytes(out, view, at, message.payload);
      putBytes(out, view, at, extra);
      return out;
    }
    case 'send': {
      const out = new Uint8Array(1 + 8 + 2);
      const view = new DataView(out.buffer);
      out[0] = kind;
      view.setFloat64(1, record.seq, true);
      view.setUint16(9, record.packetId, true);
      return out;
    }
    case 'release':
    case 'done':
    case 'mark': {
      const out = new Uint8Array(1 + 8);
      out[0] = kind;
      new DataView(out.buffer).setFloat64(1, record.seq, true);
      return out;
    }
    case 'inbound':
    case 'inbound-released': {
      const out = new Uint8Array(3);
      out[0] = kind;
      new DataView(out.buffer).setUint16(1, record.packetId, true);
      return out;
    }
    case 'inbound-cleared':
      return Uint8Array.of(kind);
  }
}

/** The record in `body`; throws on anything malformed (the caller treats that as corruption). */
export function decodeRecord(body: Uint8Array): StoreRecord {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const kind = KINDS[body[0]!];
  switch (kind) {
    case 'accept': {
      const seq = seqAt(view, 1);
      const flags = body[9]!;
      const qos = (flags & 3) as QoS;
      if (qos > 2 || flags > 7) throw new Error(`bad flags ${flags}`);
      let at = 10;
      const topic = getBytes(body, view, at);
      at += 4 + topic.length;
      const payload = getBytes(body, view, at);
      at += 4 + payload.length;
      const extra = getBytes(body, view, at);
      if (at + 4 + extra.length !== body.length) throw new Error('trailing bytes');
      const message: StoredMessage = { topic: decoder.decode(topic), payload: Uint8Array.from(payload), qos, retain: (flags & 4) !== 0 };
      // A topic no PUBLISH may carry would be refused by the encoder at every reconnect, forever.
      validateTopicName(message.topic);
      if (extra.length > 0) readExtra(JSON.parse(decoder.decode(extra)), message);
      return { kind, seq, message };
    }
    case 'send':
      expectLength(body, 11);
      return { kind, seq: seqAt(view, 1), packetId: packetIdAt(view, 9) };
    case 'release':
    case 'done':
    case 'mark':
      expectLength(body, 9);
      // A snapshot of a store that never accepted a message marks 0.
      return { kind, seq: seqAt(view, 1, kind === 'mark' ? 0 : 1) };
    case 'inbound':
    case 'inbound-released':
      expectLength(body, 3);
      return { kind, packetId: packetIdAt(view, 1) };
    case 'inbound-cleared':
      expectLength(body, 1);
      return { kind };
    default:
      throw new Error(`unknown record kind ${body[0]}`);
  }
}

function putBytes(out: Uint8Array, view: DataView, at: number, bytes: Uint8Array): number {
  view.setUint32(at, bytes.length, true);
  out.set(bytes, at + 4);
  return at + 4 + bytes.length;
}

function getBytes(body: Uint8Array, view: DataView, at: number): Uint8Array {
  const length = view.getUint32(at, true);
  if (at + 4 + length > body.length) throw new Error('truncated field');
  return body.subarray(at + 4, at + 4 + length);
}

/**
 * A sequence number as this store writes them: a whole number from `min`. Anything else (NaN,
 * a fraction, past 2^53) came from another writer and would make acceptedCount and every later
 * number meaningless.
 */
function seqAt(view: DataView, at: number, min = 1): number {
  const seq = view.getFloat64(at, true);
  if (!Number.isSafeInteger(seq) || seq < min) throw new Error(`bad sequence number ${seq}`);
  return seq;
}

/** A packet id in 1..65535 [MQTT-2.3.1-1]: one of 0 would be restored and sent as it is. */
function packetIdAt(view: DataView, at: number): number {
  const packetId = view.getUint16(at, true);
  if (packetId === 0) throw new Error('packet identifier 0');
  return packetId;
}

/** The ACCEPT's JSON `[messageId, properties]`, each null or of the type encodeRecord wrote. */
function readExtra(json: unknown, message: StoredMessage): void {
  if (!Array.isArray(json) || json.length !== 2) throw new Error('bad message id and properties');
  const [messageId, properties] = json as unknown[];
  if (messageId !== null && typeof messageId !== 'string') throw new Error('bad message id');
  if (properties !== null && (typeof properties !== 'object' || Array.isArray(properties) || Object.values(properties as object).some((v) => typeof v !== 'string'))) {
    throw new Error('bad message properties');
  }
  if (messageId !== null) message.messageId = messageId;
  if (properties !== null) message.properties = properties as Record<string, string>;
}

function expectLength(body: Uint8Array, length: number): void {
  if (body.length !== length) throw new Error('bad record length');
}
