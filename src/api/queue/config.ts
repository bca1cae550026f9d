/**
 * Pip.Services' configuration for MqttMessageQueue: a plain object with dotted keys
 * ({ 'connection.host': 'localhost' }) or nested ones ({ connection: { host } }), Pip's keys and
 * the defaults of Pip's code (not of its docs: serialize_envelope false, keepalive 60 s).
 * Problems are reported at open(), naming the key.
 */
import { usageError } from '../../errors.js';
import type { QoS } from '../../packet/index.js';
import { hostMisreadInUrl } from '../../transport/url.js';

export type ConfigValues = Record<string, unknown>;

export interface QueueSettings {
  uri: string;
  username: string | undefined;
  password: string | undefined;
  clientId: string | undefined;
  topic: string | null;
  serializeEnvelope: boolean;
  autosubscribe: boolean;
  qos: QoS;
  retain: boolean;
  retryConnect: boolean;
  connectTimeout: number;
  reconnectTimeout: number;
  /** Seconds, as MQTT carries it. */
  keepalive: number;
  maxBuffered: number;
  ackOn: 'receive' | 'complete';
  cleanSession: boolean;
  /** The engine's undeliverableAfter; options.undeliverable_after 0 means never give up. */
  undeliverableAfter: number;
}

/** Flattens nested objects into dotted keys: { connection: { host } } → { 'connection.host' }. */
export function flatten(config: ConfigValues, prefix = '', into: ConfigValues = {}): ConfigValues {
  for (const [key, value] of Object.entries(config)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array)) flatten(value as ConfigValues, path, into);
    else into[path] = value;
  }
  return into;
}

/** The settings a queue opens with; throws INVALID_OPTIONS naming the key at fault. */
export function resolveSettings(config: ConfigValues): QueueSettings {
  const read = (...keys: string[]): unknown => {
    for (const key of keys) if (config[key] !== undefined && config[key] !== null && config[key] !== '') return config[key];
    return undefined;
  };
  const uri = read('connection.uri', 'connections.uri');
  let resolvedUri: string;
  if (uri !== undefined) {
    resolvedUri = text('connection.uri', uri);
  } else {
    const host = read('connection.host', 'connections.host');
    if (host === undefined) throw invalid('connection.host', 'is required (or connection.uri)', undefined);
    const port = integer('connection.port', read('connection.port', 'connections.port') ?? 1883, 1, 65_535);
    const protocol = text('connection.protocol', read('connection.protocol', 'connections.protocol') ?? 'mqtt');
    const hostName = text('connection.host', host);
    // 'broker/x' with port 2000 would reach broker:1883; 'user@broker' would log in as 'user'.
    if (hostMisreadInUrl(hostName)) throw invalid('connection.host', "must be a host name or address, without '/', '?', '#', '@', '%', '\\', tab or newline", host);
    resolvedUri = `${protocol}://${hostName}:${port}`;
  }
  const qos = integer('options.qos', read('options.qos') ?? 0, 0, 2) as QoS;
  const ackOn = text('options.ack_on', read('options.ack_on') ?? 'receive');
  if (ackOn !== 'receive' && ackOn !== 'complete') throw invalid('options.ack_on', "must be 'receive' or 'complete'", ackOn);
  const clientId = read('client_id');
  const username = read('credential.username', 'credentials.username');
  const password = read('credential.password', 'credentials.password');
  const topic = read('topic');
  return {
    uri: resolvedUri,
    username: username === undefined ? undefined : text('credential.username', username),
    password: password === undefined ? undefined : text('credential.password', password),
    clientId: clientId === undefined ? undefined : text('client_id', clientId),
    topic: topic === undefined ? null : text('topic', topic),
    serializeEnvelope: boolean('options.serialize_envelope', read('options.serialize_envelope') ?? false),
    autosubscribe: boolean('options.autosubscribe', read('options.autosubscribe') ?? false),
    qos,
    retain: boolean('options.retain', read('options.retain') ?? false),
    retryConnect: boolean('options.retry_connect', read('options.retry_connect') ?? true),
    connectTimeout: integer('options.connect_timeout', read('options.connect_timeout') ?? 30_000, 1, 2 ** 31 - 1),
    reconnectTimeout: integer('options.reconnect_timeout', read('options.reconnect_timeout') ?? 1_000, 0, 2 ** 31 - 1),
    keepalive: Math.round(integer('options.keepalive_timeout', read('options.keepalive_timeout') ?? 60_000, 0, 65_535_000) / 1000),
    maxBuffered: integer('options.max_buffered', read('options.max_buffered') ?? 1_000, 1, 2 ** 31 - 1),
    ackOn,
    cleanSession: boolean('options.clean_session', read('options.clean_session') ?? true),
    undeliverableAfter: integer('options.undeliverable_after', read('options.undeliverable_after') ?? 3, 0, 2 ** 31 - 1) || Infinity,
  };
}

/** Text, or a number or boolean as its text (YAML and env vars give those); a list or an object is no name. */
function text(key: string, value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  throw invalid(key, 'must be text', value);
}

function integer(key: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw invalid(key, `must be a whole number from ${min} to ${max}`, value);
  return n;
}

/** Pip's BooleanConverter spellings, any case: Pip configs come from YAML, env vars and Python's str(True). */
const TRUE = new Set(['true', '1', 't', 'yes', 'y']);
const FALSE = new Set(['false', '0', 'f', 'no', 'n']);

function boolean(key: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  const spelled = typeof value === 'string' || typeof value === 'number' ? String(value).trim().toLowerCase() : undefined;
  if (spelled !== undefined && TRUE.has(spelled)) return true;
  if (spelled !== undefined && FALSE.has(spelled)) return false;
  throw invalid(key, 'must be true or false', value);
}

function invalid(key: string, problem: string, value: unknown) {
  return usageError('INVALID_OPTIONS', `Queue configuration: ${key} ${problem}${value === undefined ? '' : `, got ${asJson(value)}`}`);
}

/** The value as JSON, or (a bigint, a cycle) as text: the message about a bad value must not throw itself. */
function asJson(value: unknown): string {
  try {
    return String(JSON.stringify(value));
  } catch {
    return typeof value === 'bigint' ? `${value}n` : Object.prototype.toString.call(value);
  }
}
