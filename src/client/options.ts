/** What an MqttClient is configured with, and the defaults a production client should have. */
import { shown, usageError } from '../errors.js';
import { randomHex } from '../random.js';
import type { MqttError } from '../errors.js';
import { MAX_REMAINING_LENGTH } from '../packet/index.js';
import { clientRemainingLength } from '../packet/client-encoder.js';
import { encodedLengthWith } from '../packet/encoder.js';
import type { QoS } from '../packet/index.js';
import { connectPacketOf } from '../session/index.js';
import { flag, sessionLimits } from '../session/session.js';
import type { ConnectOptions, SessionOptions, SessionStore } from '../session/index.js';
import { openTransport, parseBrokerUrl } from '../transport/index.js';
import type { Endpoint, TlsOptions, TransportFactory, TransportOptions, WebSocketOptions } from '../transport/index.js';
import type { BackoffOptions } from './backoff.js';
import type { Completion, Token } from './events.js';
import type { ClientHooks } from './hooks.js';
import { toPayload } from './payload.js';
import type { Payload } from './payload.js';

export interface WillOptions {
  topic: string;
  payload: Payload;
  qos?: QoS;
  retain?: boolean;
}

export interface ClientOptions {
  /** Broker URL: mqtt://, tcp://, mqtts://, ssl://, tls://, ws://, wss://. */
  url?: string;
  /** Several brokers, tried in turn when one cannot be reached (failover). */
  servers?: string[];
  /** Default: "impmqtt_" and 16 random hex digits. */
  clientId?: string;
  /** Seconds, 0 = off. Default 60. */
  keepalive?: number;
  /** Default true. */
  cleanSession?: boolean;
  will?: WillOptions;
  username?: string;
  password?: Payload;
  /** Limit for reaching the broker (transport handshakes and CONNACK), ms. Default 30,000. */
  connectTimeout?: number;
  /** Automatic reconnection with exponential backoff and full jitter; false turns it off. Default on (true). */
  reconnect?: boolean | BackoffOptions;
  /** After a reconnect without a resumed session, subscribe again to what was subscribed. Default true. */
  resubscribe?: boolean;
  /**
   * Largest inbound packet accepted, bytes (fixed header included). A packet whose header
   * announces more closes the connection with PACKET_TOO_LARGE before its body is buffered.
   * Default 16 MiB (DEFAULT_MAX_PACKET_SIZE); at most the protocol's 268,435,460.
   */
  maxPacketSize?: number;
  tls?: TlsOptions;
  ws?: WebSocketOptions;
  maxInflight?: number;
  maxBuffered?: number;
  dropPolicy?: 'reject-new' | 'drop-oldest';
  queueQoS0?: boolean;
  retryInterval?: number;
  pingTimeout?: number;
  manualAck?: boolean;
  /**
   * A QoS 1/2 publish the broker closed the connection over this many times (it was the oldest
   * unacknowledged when the broker hung up) completes -13 and what waits behind it goes on. A
   * broker may refuse a PUBLISH that way [MQTT-3.3.5-2]; re-sent first at every reconnect, it
   * would cut the client off for good. Default 3; Infinity re-sends it for ever.
   */
  undeliverableAfter?: number;
  /**
   * Where the session state lives: a SessionStore, or a provider that opens one per client id
   * (a durable store, e.g. fileStore(dir) from impmqtt/store). Default: in memory.
   */
  store?: SessionStore<Completion> | SessionStoreProvider;
  /** A face's limits, enforced where refusing loses nothing (see ClientHooks). */
  hooks?: ClientHooks;
  /** Milliseconds from a monotonic clock. Default performance.now(). */
  clock?: () => number;
  /** Replaces the transport (tests, custom streams). */
  transport?: TransportFactory;
}

/** Opens the store of one client id (a durable store keeps each client's session apart). */
export interface SessionStoreProvider {
  open(clientId: string): SessionStore<Completion>;
}

/** The options as the client's own classes read them (keys end in '_': the browser build mangles them). */
export interface ResolvedOptions {
  endpoints_: Endpoint[];
  clientId_: string;
  /** What every CONNECT carries besides the client id (checked once, here). */
  connect_: ConnectOptions;
  connectTimeout_: number;
  reconnect_: BackoffOptions | false;
  resubscribe_: boolean;
  maxPacketSize_: number;
  session_: SessionOptions<Token>;
  hooks_: ClientHooks;
  clock_: () => number;
  /** What opens each connection's transport, and the options it is given. */
  transport_: TransportFactory;
  transportOptions_: TransportOptions;
}

/**
 * The default inbound packet limit. Brokers' own defaults run from 128 KB (AWS IoT) and 1 MB
 * (EMQX) to the protocol's 256 MB (mosquitto); 16 MiB admits any realistic message (images,
 * firmware chunks) while a broken or hostile peer cannot make one connection hold more.
 */
export const DEFAULT_MAX_PACKET_SIZE = 16 * 1024 * 1024;
/** The largest packet MQTT 3.1.1 can frame: 5-byte fixed header + 268,435,455. */
const PROTOCOL_MAX_PACKET_SIZE = 5 + MAX_REMAINING_LENGTH;

/** Every client without hooks shares this one (nothing writes to it). */
const NO_HOOKS: ClientHooks = Object.freeze({});

/** Milliseconds from a monotonic clock: the default for every clock option. */
export const monotonicNow = (): number => performance.now();

/** Every key a ClientOptions may have (test/client/options.property.test.ts holds the list to the interface). */
export const CLIENT_OPTION_KEYS = [
  'url', 'servers', 'clientId', 'keepalive', 'cleanSession', 'will', 'username', 'password', 'connectTimeout', 'reconnect', 'resubscribe', 'maxPacketSize', 'tls', 'ws',
  'maxInflight', 'maxBuffered', 'dropPolicy', 'queueQoS0', 'retryInterval', 'pingTimeout', 'manualAck', 'undeliverableAfter', 'store', 'hooks', 'clock', 'transport',
] as const;

export function resolveOptions(options: ClientOptions): ResolvedOptions {
  if (typeof options != 'object' || !options) throw usageError('INVALID_OPTIONS', `The options must be an object, got ${shown(options)}`);
  // A misspelt key (keepAlive) would otherwise leave its option at the default without a word.
  for (const key of Object.keys(options)) {
    if (!(CLIENT_OPTION_KEYS as readonly string[]).includes(key)) {
      const meant = CLIENT_OPTION_KEYS.find((known) => known.toLowerCase() == key.toLowerCase());
      throw usageError('INVALID_OPTIONS', `Unknown option ${key}${meant ? ` (${meant}?)` : ''}`);
    }
  }
  const urls = options.servers ?? (options.url !== undefined ? [options.url] : []);
  if (!Array.isArray(urls) || !urls.length) throw usageError('INVALID_OPTIONS', 'A url or servers is required');
  const endpoints = urls.map(parseBrokerUrl);
  const first = endpoints[0]!;
  const keepalive = options.keepalive ?? 60;
  if (!Number.isInteger(keepalive) || keepalive < 0 || keepalive > 65_535) {
    throw usageError('INVALID_KEEPALIVE', `keepalive must be 0..65535 seconds, got ${shown(keepalive)}`);
  }
  const clientId = options.clientId ?? `impmqtt_${randomHex(8)}`;
  const cleanSession = flag(options.cleanSession, true, 'cleanSession');
  if (clientId === '' && !cleanSession) {
    throw usageError('INVALID_CLIENT_ID', 'An empty clientId requires cleanSession: true', 'MQTT-3.1.3-7');
  }
  const connect: ConnectOptions = { keepalive, cleanSession };
  const will = options.will;
  if (typeof will === 'object' && will !== null) {
    const { topic, payload, qos = 0, retain = false } = will;
    connect.will = { topic, payload: toPayload(payload), qos, retain };
  } else if (will !== undefined) {
    connect.will = will; // not a will (a JSON config's null): checkConnect has the codec refuse it, as any CONNECT field
  }
  // Credentials from the URL are a fallback for explicit options.
  const username = options.username ?? first.username;
  const password = options.password ?? first.password;
  if (username !== undefined) connect.username = username;
  if (password !== undefined) connect.password = toPayload(password);
  checkConnect(clientId, connect);
  const connectTimeout = options.connectTimeout ?? 30_000;
  if (typeof connectTimeout !== 'number' || !(connectTimeout > 0)) throw usageError('INVALID_OPTIONS', `connectTimeout must be above 0 ms, got ${shown(connectTimeout)}`);
  const session: SessionOptions<Token> = { clientId, connackTimeout: connectTimeout, cleanSession };
  const copy = ['maxInflight', 'maxBuffered', 'dropPolicy', 'queueQoS0', 'retryInterval', 'pingTimeout', 'manualAck', 'undeliverableAfter'] as const;
  for (const key of copy) {
    if (options[key] !== undefined) (session as unknown as Record<string, unknown>)[key] = options[key];
  }
  sessionLimits(session); // what the session would refuse, refused before a face acts on these options
  const maxPacketSize = maxPacketSizeOf(options.maxPacketSize);
  const resubscribe = flag(options.resubscribe, true, 'resubscribe');
  // Opened last: nothing after this may refuse the options (the constructor's own checks release it).
  const store = options.store;
  // null (a JSON config's "none") is the default; a path string is not a store.
  if (store != null) session.store = typeof (store as SessionStoreProvider).open == 'function' ? (store as SessionStoreProvider).open(clientId) : (store as SessionStore<Completion>);
  return {
    endpoints_: endpoints,
    clientId_: clientId,
    connect_: connect,
    connectTimeout_: connectTimeout,
    reconnect_: options.reconnect == null || options.reconnect === true ? {} : options.reconnect,
    resubscribe_: resubscribe,
    maxPacketSize_: maxPacketSize,
    session_: session,
    hooks_: options.hooks ?? NO_HOOKS,
    clock_: options.clock ?? monotonicNow,
    transport_: options.transport ?? openTransport,
    transportOptions_: { ...(options.tls && { tls: options.tls }), ...(options.ws && { ws: options.ws }) },
  };
}

function maxPacketSizeOf(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_PACKET_SIZE;
  if (!Number.isInteger(value) || value < 2 || value > PROTOCOL_MAX_PACKET_SIZE) {
    throw usageError('INVALID_OPTIONS', `maxPacketSize must be an integer from 2 to ${PROTOCOL_MAX_PACKET_SIZE}, got ${shown(value)}`);
  }
  return value;
}

/** Refuses, at construction, a CONNECT the codec would refuse on the wire (e.g. [MQTT-3.1.2-22]). */
function checkConnect(clientId: string, connect: ConnectOptions): void {
  try {
    encodedLengthWith(clientRemainingLength, connectPacketOf(clientId, connect));
  } catch (error) {
    const cause = error as MqttError;
    throw usageError('INVALID_OPTIONS', `These options make a CONNECT no broker may receive: ${cause.detail}`, cause.statement);
  }
}

/** `make()`, unless it throws: then a durable store opened for these options is let go, so corrected ones can open it. */
export function orReleaseStore<T>(options: ClientOptions, resolved: ResolvedOptions, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (typeof (options.store as SessionStoreProvider | undefined)?.open == 'function') (resolved.session_.store as { close?: () => void } | undefined)?.close?.();
    throw error;
  }
}
