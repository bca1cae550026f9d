/**
 * What createclient() and connect() accept, and the engine options one connect() makes of them:
 * the imp's documented keys, then impmqtt's extensions.
 */
import type { QoS } from '../../packet/index.js';
import type { SessionStore } from '../../session/index.js';
import type { TlsOptions, TransportFactory, WebSocketOptions } from '../../transport/index.js';
import type { BackoffOptions } from '../../client/backoff.js';
import type { ClientOptions, SessionStoreProvider } from '../../client/options.js';
import type { Completion } from '../../client/events.js';
import type { ClientHooks } from '../../client/hooks.js';
import { bytesOf, textOf } from './blob.js';
import type { StringOrBlob } from './blob.js';
import type { ImpRateLimits } from './limits.js';

/** The imp's 256 KB: the largest inbound message, and the largest payload createmessage() takes. */
export const DEFAULT_MESSAGE_LIMIT = 256 * 1024;

/** What createclient(config) accepts: the imp's limits as defaults, and impmqtt's tuning. */
export interface ImpClientConfig {
  /** Largest payload createmessage() accepts, bytes. Default 256 KB. */
  maxPayloadSize?: number;
  /** Most topics one subscribe()/unsubscribe() takes. Default 10. */
  maxTopics?: number;
  /** Largest inbound PUBLISH payload; a larger one drops the connection with -3. Default 256 KB. */
  maxInboundMessageSize?: number;
  /** The imp's rate limits; off unless given. `true` means 40 credits, +2/s out, +8/s in. */
  rateLimits?: true | ImpRateLimits;
  maxInflight?: number;
  maxBuffered?: number;
  retryInterval?: number;
  /** See the core client's undeliverableAfter (default 3): sendasync then reports -13. */
  undeliverableAfter?: number;
  pingTimeout?: number;
  clock?: () => number;
  transport?: TransportFactory;
}

/** connect()'s options: the imp's documented keys, then impmqtt's extensions. */
export interface ImpConnectOptions {
  username?: StringOrBlob;
  password?: StringOrBlob;
  /** Seconds: 0 (off) or 30–65535. Default 60. */
  keepalive?: number;
  willtopic?: StringOrBlob;
  willmessage?: StringOrBlob;
  willqos?: QoS;
  willretain?: boolean;
  /** Default true. */
  cleansession?: boolean;
  tls?: TlsOptions;
  ws?: WebSocketOptions;
  /** Connection timeout, ms. Default 30,000. */
  connecttimeout?: number;
  /** Automatic reconnection (the imp has none; off by default). */
  reconnect?: false | BackoffOptions;
  /**
   * A durable session store (impmqtt/store's fileStore(dir)): messages sent but not yet
   * acknowledged survive the agent process; their completions after a restart go to onrestored().
   */
  store?: SessionStoreProvider;
}

export function engineOptions(url: string, clientId: string, keepalive: number, options: ImpConnectOptions, c: ImpClientConfig, store: SessionStore<Completion>, hooks: ClientHooks): ClientOptions {
  const core: ClientOptions = {
    url,
    clientId,
    keepalive,
    cleanSession: options.cleansession ?? true,
    reconnect: options.reconnect ?? false,
    resubscribe: false, // imp code re-subscribes in onconnect itself
    store,
    hooks,
    // Room for the largest topic and header around the largest payload; the exact payload
    // check happens before the session sees the packet.
    maxPacketSize: (c.maxInboundMessageSize ?? DEFAULT_MESSAGE_LIMIT) + 65_546,
  };
  if (options.username !== undefined) core.username = textOf(options.username, 'The username');
  if (options.password !== undefined) core.password = bytesOf(options.password);
  if (options.willtopic !== undefined) {
    core.will = { topic: textOf(options.willtopic, 'The will topic'), payload: bytesOf(options.willmessage ?? ''), qos: options.willqos ?? 0, retain: options.willretain ?? false };
  }
  if (options.tls !== undefined) core.tls = options.tls;
  if (options.ws !== undefined) core.ws = options.ws;
  if (options.connecttimeout !== undefined) core.connectTimeout = options.connecttimeout;
  for (const key of ['maxInflight', 'maxBuffered', 'retryInterval', 'undeliverableAfter', 'pingTimeout', 'clock', 'transport'] as const) {
    if (c[key] !== undefined) (core as Record<string, unknown>)[key] = c[key];
  }
  return core;
}
