/** What a gateway is configured with, checked once at creation. */
import { usageError } from '../../errors.js';
import { MAX_TIMER_MS } from '../../client/index.js';
import type { ClientOptions } from '../../client/index.js';
import { isValidTopicFilter } from '../../packet/index.js';
import type { QoS } from '../../packet/index.js';
import type { AccessKey } from './authenticate.js';

export interface GatewayAccessKey {
  accessKeyId: string;
  accessKeySecret: string;
  /** Instance ids this key may send to; "*" (the default) for any. */
  instances?: string[] | '*';
  /**
   * MQTT topic filters (`+`, `#`) this key may send to; "*" (the default) for any. Instances do
   * not separate topics (they share the one broker): this is what keeps a key to its devices.
   */
  topics?: string[] | '*';
}

export interface GatewayOptions {
  /** The one held MQTT connection every message goes through (url, credentials, TLS…). */
  mqtt: ClientOptions;
  accessKeys?: GatewayAccessKey[];
  /** Admit unsigned requests too (a warning is printed at listen()). Default false. */
  allowAnonymous?: boolean;
  /** Default 1. At 1 and 2 a call is answered once the broker acknowledged; at 0 once written. */
  qos?: QoS;
  /** How `Payload` becomes bytes: its UTF-8 ("utf8", the default) or its base64 decoding. */
  payloadEncoding?: 'utf8' | 'base64';
  /** SendMessage calls per second per instance; 0 turns the limit off. Default 1,000 (the service's). */
  rateLimit?: number;
  /** How long a call waits for the broker's acknowledgement, ms. Default 5,000. */
  publishTimeout?: number;
  /**
   * Messages the MQTT client may hold (not yet acknowledged; at QoS 0, not yet written) before
   * calls are refused with SystemOverFlow, nothing sent. A call that timed out still counts while
   * its message waits for the broker. Default 1,000.
   */
  maxInflight?: number;
  /** Largest message payload, bytes. Default 65,536 (the service's). */
  maxPayloadBytes?: number;
  /**
   * Most levels a MqttTopic may have. Brokers close the connection over deeper ones (mosquitto
   * past 201, EMQX past 128 by default), and the client would resend it at every reconnect.
   * Default 128.
   */
  maxTopicLevels?: number;
  /** Largest request body, bytes. Default: room for the largest payload percent-encoded, plus 16 KiB. */
  maxBodyBytes?: number;
  /** How far a signed timestamp may be from the gateway's clock, seconds, either way. Default 900. */
  timestampWindow?: number;
  /**
   * Nonces remembered at most (the replay window's capacity): sustained signed calls are bounded
   * by this ÷ timestampWindow (about 1,100/s with the defaults). About 100 bytes each. Default 1,000,000.
   */
  maxNonces?: number;
  /** The HostId of error bodies. Default: the request's Host header. */
  hostId?: string;
  /** Where warnings and lifecycle lines go. Default: standard error. */
  log?: (line: string) => void;
  /** Wall-clock milliseconds, for signature timestamps. Default Date.now. */
  wallClock?: () => number;
  /**
   * HTTP limits: slow or oversized headers end in a bounded close. `maxHeaderSize` counts the
   * request line too, where both SDKs put Payload (default: room for the largest payload
   * percent-encoded, plus 16 KiB, as maxBodyBytes). `maxConnections` (default 1,000) caps the
   * connections held at once, so idle sockets cannot use up the descriptors the MQTT client
   * needs to reconnect; past it a connection is closed at once, counted and logged.
   */
  http?: { headersTimeout?: number; requestTimeout?: number; keepAliveTimeout?: number; maxHeaderSize?: number; maxConnections?: number };
}

export interface ResolvedGatewayOptions {
  mqtt: ClientOptions;
  keys: Map<string, AccessKey>;
  allowAnonymous: boolean;
  qos: QoS;
  payloadEncoding: 'utf8' | 'base64';
  rateLimit: number;
  publishTimeout: number;
  maxInflight: number;
  maxPayloadBytes: number;
  maxTopicLevels: number;
  maxBodyBytes: number;
  timestampWindow: number;
  maxNonces: number;
  hostId: string | undefined;
  log: (line: string) => void;
  wallClock: () => number;
  http: { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number; maxHeaderSize: number; maxConnections: number };
}

const ACCESS_KEY_FIELDS = new Set(['accessKeyId', 'accessKeySecret', 'instances', 'topics']);
/** Every key GatewayOptions has: a misspelt one (`maxInflght`) would silently leave its default in place. */
export const GATEWAY_OPTION_KEYS: ReadonlySet<string> = new Set(['mqtt', 'accessKeys', 'allowAnonymous', 'qos', 'payloadEncoding', 'rateLimit', 'publishTimeout', 'maxInflight', 'maxPayloadBytes', 'maxTopicLevels', 'maxBodyBytes', 'timestampWindow', 'maxNonces', 'hostId', 'log', 'wallClock', 'http']);
export const HTTP_LIMIT_KEYS: ReadonlySet<string> = new Set(['maxConnections', 'headersTimeout', 'requestTimeout', 'keepAliveTimeout', 'maxHeaderSize']);

export function resolveGatewayOptions(options: GatewayOptions): ResolvedGatewayOptions {
  if (typeof options !== 'object' || options === null || typeof options.mqtt !== 'object' || options.mqtt === null) {
    throw invalid('mqtt (the broker connection options) is required');
  }
  refuseUnknown(options, GATEWAY_OPTION_KEYS, '');
  if (options.http !== undefined) {
    if (typeof options.http !== 'object' || options.http === null || Array.isArray(options.http)) throw invalid('http must be an object of HTTP limits');
    refuseUnknown(options.http, HTTP_LIMIT_KEYS, 'http.');
  }
  const keys = new Map<string, AccessKey>();
  for (const key of options.accessKeys ?? []) {
    if (typeof key.accessKeyId !== 'string' || key.accessKeyId === '') throw invalid('every access key needs an accessKeyId');
    if (typeof key.accessKeySecret !== 'string' || key.accessKeySecret === '') throw invalid(`access key ${key.accessKeyId} needs an accessKeySecret`);
    if (keys.has(key.accessKeyId)) throw invalid(`access key ${key.accessKeyId} is configured twice`);
    // A misspelt "instances" would leave the key free to send to every instance: fail closed.
    const unknown = Object.keys(key).find((field) => !ACCESS_KEY_FIELDS.has(field));
    if (unknown !== undefined) throw invalid(`access key ${key.accessKeyId}: unknown field "${unknown}" (known: ${[...ACCESS_KEY_FIELDS].join(', ')})`);
    const instances = key.instances ?? '*';
    if (instances !== '*' && (!Array.isArray(instances) || instances.some((id) => typeof id !== 'string'))) {
      throw invalid(`access key ${key.accessKeyId}: instances must be "*" or a list of instance ids`);
    }
    const topics = key.topics ?? '*';
    if (topics !== '*' && (!Array.isArray(topics) || !topics.every((filter) => typeof filter === 'string' && isValidTopicFilter(filter)))) {
      throw invalid(`access key ${key.accessKeyId}: topics must be "*" or a list of MQTT topic filters`);
    }
    keys.set(key.accessKeyId, { secret: key.accessKeySecret, instances: instances === '*' ? null : new Set(instances), topics: topics === '*' ? null : [...topics] });
  }
  const allowAnonymous = options.allowAnonymous ?? false;
  // Read by truthiness, 'false' from a config file admitted unsigned calls.
  if (typeof allowAnonymous !== 'boolean') throw invalid(`allowAnonymous must be true or false, got ${String(allowAnonymous)}`);
  if (keys.size === 0 && !allowAnonymous) throw invalid('no access keys are configured: give accessKeys, or allowAnonymous: true');
  const qos = options.qos ?? 1;
  if (qos !== 0 && qos !== 1 && qos !== 2) throw invalid(`qos must be 0, 1 or 2, got ${String(qos)}`);
  const payloadEncoding = options.payloadEncoding ?? 'utf8';
  if (payloadEncoding !== 'utf8' && payloadEncoding !== 'base64') throw invalid(`payloadEncoding must be "utf8" or "base64", got ${String(payloadEncoding)}`);
  const maxPayloadBytes = count(options.maxPayloadBytes, 65_536, 'maxPayloadBytes', 1);
  // The largest payload percent-encoded (3 characters a byte at worst), plus room for the rest.
  const roomForPayload = maxPayloadBytes * 3 + 16_384;
  return {
    mqtt: options.mqtt,
    keys,
    allowAnonymous,
    qos,
    payloadEncoding,
    rateLimit: count(options.rateLimit, 1_000, 'rateLimit', 0),
    publishTimeout: count(options.publishTimeout, 5_000, 'publishTimeout', 1, MAX_TIMER_MS),
    maxInflight: count(options.maxInflight, 1_000, 'maxInflight', 1),
    maxPayloadBytes,
    maxTopicLevels: count(options.maxTopicLevels, 128, 'maxTopicLevels', 1),
    maxBodyBytes: count(options.maxBodyBytes, roomForPayload, 'maxBodyBytes', 1),
    timestampWindow: count(options.timestampWindow, 900, 'timestampWindow', 1) * 1000,
    maxNonces: count(options.maxNonces, 1_000_000, 'maxNonces', 1),
    hostId: options.hostId,
    log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
    wallClock: options.wallClock ?? Date.now,
    http: {
      headersTimeout: count(options.http?.headersTimeout, 10_000, 'http.headersTimeout', 1, MAX_TIMER_MS),
      requestTimeout: count(options.http?.requestTimeout, 30_000, 'http.requestTimeout', 1, MAX_TIMER_MS),
      keepAliveTimeout: count(options.http?.keepAliveTimeout, 5_000, 'http.keepAliveTimeout', 1, MAX_TIMER_MS),
      // Node counts the request line against this limit, and the Tea SDK's generated client
      // (always) and pop-core (by default, GET) send Payload in the query: a fixed 16 KiB
      // refused any payload over ~16 KB with a 431 (found in review).
      maxHeaderSize: count(options.http?.maxHeaderSize, roomForPayload, 'http.maxHeaderSize', 1),
      // Below Linux's default descriptor limit (1,024), with room for the MQTT connection and files.
      maxConnections: count(options.http?.maxConnections, 1_000, 'http.maxConnections', 1),
    },
  };
}

function count(value: number | undefined, fallback: number, name: string, minimum: number, maximum = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < minimum || value > maximum) {
    throw invalid(`${name} must be an integer from ${minimum} to ${maximum}, got ${String(value)}`);
  }
  return value;
}

function refuseUnknown(given: object, known: ReadonlySet<string>, prefix: string): void {
  const unknown = Object.keys(given).find((key) => !known.has(key));
  if (unknown !== undefined) throw invalid(`unknown option "${prefix}${unknown}" (known: ${[...known].join(', ')})`);
}

function invalid(message: string): Error {
  return usageError('INVALID_OPTIONS', `Gateway: ${message}`);
}
