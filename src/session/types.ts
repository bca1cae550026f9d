/** What goes into and comes out of a Session. */
import type { MqttError, Packet, QoS, SubackCode, Subscription, Will } from '../packet/index.js';
import type { CloseReason, ResultCode } from './outcomes.js';
import type { SessionStore } from './store.js';

/** A message the application publishes. `token` is the caller's, returned untouched. */
export interface PublishRequest<T = unknown> {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  token?: T;
  /** The application's own id for the message: a durable store keeps it, to report the message's completion after a restart. */
  messageId?: string;
  /** Application data a durable store keeps with the message. */
  properties?: Record<string, string>;
  /** Restored by a durable store after a restart: no token; its completion is reported as an event. */
  restored?: boolean;
}

export interface SubscribeRequest<T = unknown> {
  subscriptions: Subscription[];
  token?: T;
  /**
   * The client restoring its subscriptions on a session the broker did not keep: sent at once
   * when connected and a packet id is free (else first on the next connection, or as soon as an
   * id comes free), ahead of what is queued, never refused, evicted or counted by maxBuffered
   * (a lost re-subscription would lose every later message on its filters, and no one would be
   * told). One still waiting for an id when its connection is lost waits on; at the next
   * CONNACK it goes first if the broker kept the session (which never got it), and completes -11
   * if not: the client makes its restores anew on a fresh session.
   */
  restore?: boolean;
}

export interface UnsubscribeRequest<T = unknown> {
  topics: string[];
  token?: T;
}

export type OutboundRequest<T = unknown> = PublishRequest<T> | SubscribeRequest<T> | UnsubscribeRequest<T>;

/** A message from the broker, handed to the application. */
export interface InboundMessage {
  topic: string;
  /** A view of the received bytes; copy it to keep it beyond the handler if memory matters. */
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** The broker's packet identifier (QoS 1 and 2); what manual acknowledgement refers to. */
  packetId?: number;
}

export interface SessionOptions<T = unknown> {
  /** The session's identity: the key of its state on both sides [MQTT-3.1.3-2]. */
  clientId: string;
  /** QoS 1/2 publishes in flight at once; the rest wait in order. Default: no limit but the 65,535 ids (a request finding none free waits the same way). */
  maxInflight?: number;
  /** Requests waiting (offline or over maxInflight) before publish completes with -12. Default 10,000. */
  maxBuffered?: number;
  /** When the buffer is full: refuse the new message (default) or drop the oldest queued one. */
  dropPolicy?: 'reject-new' | 'drop-oldest';
  /** Queue QoS 0 publishes while disconnected (default true) rather than completing them with -3. */
  queueQoS0?: boolean;
  /** Re-send unacknowledged PUBLISH/PUBREL on the same connection after this many ms. 0 (default) = only on reconnect. */
  retryInterval?: number;
  /**
   * A QoS 1/2 publish that was the oldest one unacknowledged on this many connections the broker
   * closed completes -13 (UNDELIVERABLE), and what waits behind it goes on: a broker may refuse a
   * PUBLISH by closing the connection [MQTT-3.3.5-2], and re-sent first at every reconnect it
   * would close them all. Default 3; Infinity re-sends it for ever, as [MQTT-4.4.0-1] reads.
   * Counted: connectionLost('transport') past CONNACK, so a caller that tears the transport
   * down itself reports that close as 'normal' (the engine does for destroy()).
   */
  undeliverableAfter?: number;
  /** How long to wait for CONNACK, ms. Default 30,000. */
  connackTimeout?: number;
  /** How long to wait for PINGRESP after a PINGREQ, ms. Default half the keepalive interval, at least 1 s. */
  pingTimeout?: number;
  /** The application acknowledges inbound QoS 1/2 itself via `acknowledge()`. Default false. */
  manualAck?: boolean;
  /** Where the state that must survive a reconnect lives. Default: in memory. */
  store?: SessionStore<T>;
  /**
   * The CleanSession the client's connections will use, known before the first connect(): a
   * process that restored QoS 2 flows and gives up before connecting keeps them (the broker
   * holds their ids). Each connect() sets it again. Default true.
   */
  cleanSession?: boolean;
}

/** What one CONNECT carries besides the client id. */
export interface ConnectOptions {
  /** Seconds; 0 turns keepalive off. */
  keepalive: number;
  cleanSession: boolean;
  will?: Will;
  username?: string;
  password?: Uint8Array;
}

/** What the caller must do, in order. */
export type SessionAction<T = unknown> =
  /** Write this packet to the transport. */
  | { type: 'send'; packet: Packet }
  /** The CONNACK arrived; returnCode 0 means connected (any packets it triggered come before this). */
  | { type: 'connack'; returnCode: number; sessionPresent: boolean }
  /** Hand this message to the application. */
  | { type: 'deliver'; message: InboundMessage }
  /** `packetId`: for a restored message, the id it went out under (QoS 1/2). */
  | { type: 'published'; request: PublishRequest<T>; result: ResultCode; packetId?: number }
  | { type: 'subscribed'; request: SubscribeRequest<T>; result: ResultCode; granted: SubackCode[] }
  | { type: 'unsubscribed'; request: UnsubscribeRequest<T>; result: ResultCode }
  /** The connection is over: close the transport (if still open). */
  | { type: 'close'; reason: CloseReason; error?: MqttError };

export type ConnectionState = 'disconnected' | 'connecting' | 'connected';
