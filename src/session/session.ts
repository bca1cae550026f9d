/**
 * A sans-I/O MQTT 3.1.1 client session. Every input is a method call carrying the current time;
 * every output is an action in `takeActions()`, which the caller performs in order. It never
 * touches a socket or a timer: `nextTimeout()` says when to call `tick` again.
 */
import { MqttError, MqttProtocolError, shown, usageError } from '../errors.js';
import { MAX_REMAINING_LENGTH, validateTopicName } from '../packet/index.js';
import { clientRemainingLength } from '../packet/client-encoder.js';
import { encodedLengthWith } from '../packet/encoder.js';
import { checkQos } from '../packet/checks.js';
import type { ConnectPacket, Packet, PublishPacket } from '../packet/index.js';
import type { CloseReason } from './outcomes.js';
import { SessionContext } from './context.js';
import { InboundFlows } from './inbound.js';
import { OutboundFlows } from './outbound.js';
import { MemorySessionStore } from './store.js';
import type { SessionStore } from './store.js';
import { SessionDeadlines } from './deadlines.js';
import type {
  ConnectOptions,
  ConnectionState,
  InboundMessage,
  PublishRequest,
  SessionAction,
  SessionOptions,
  SubscribeRequest,
  UnsubscribeRequest,
} from './types.js';

export class Session<T = unknown> {
  // Assigned by the constructor (declare: no fields emitted beside the assignments).
  declare readonly clientId: string;
  declare readonly store: SessionStore<T>;
  readonly #ctx = new SessionContext<T>();
  readonly #outbound: OutboundFlows<T>;
  readonly #inbound: InboundFlows<T>;
  readonly #deadlines: SessionDeadlines;
  readonly #connackTimeout: number;
  #connection: ConnectionState = 'disconnected';
  #cleanSession: boolean;

  constructor(options: SessionOptions<T>) {
    if (typeof options?.clientId !== 'string') throw usageError('INVALID_OPTIONS', 'clientId must be a string');
    this.#cleanSession = flag(options.cleanSession, true, 'cleanSession');
    this.clientId = options.clientId;
    this.store = options.store ?? new MemorySessionStore<T>();
    // From plain JavaScript: a store that is none (a path string) would fail below as a TypeError.
    if (typeof this.store.outgoing != 'function') throw usageError('INVALID_OPTIONS', 'store is not a SessionStore');
    const limits = sessionLimits(options);
    this.#outbound = new OutboundFlows<T>(this.#ctx, this.store, limits);
    this.#inbound = new InboundFlows<T>(this.#ctx, this.store, limits.manualAck_);
    this.#connackTimeout = limits.connackTimeout_;
    this.#deadlines = new SessionDeadlines(limits.pingTimeout_);
  }

  get state(): ConnectionState {
    return this.#connection;
  }

  /** QoS 1/2 publishes sent and not yet complete. */
  get inflightCount(): number {
    return this.#outbound.inflightCount;
  }

  /** Requests waiting to be sent. */
  get queuedCount(): number {
    return this.#outbound.queuedCount;
  }

  /** @internal Every packet identifier is held (by open flows and unanswered SUBSCRIBE/UNSUBSCRIBE): a request waits for one. */
  get packetIdsExhausted_(): boolean {
    return this.#outbound.ids.full_;
  }

  /** Requests sent that wait for the broker's answer (PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK). */
  get awaitingAnswers_(): boolean {
    return this.#outbound.awaitingAnswers_;
  }

  /** The actions produced since the last call, oldest first; when there are none, a shared empty array (do not mutate it). */
  takeActions(): SessionAction<T>[] {
    const actions = this.#ctx.actions_;
    if (actions.length === 0) return NO_ACTIONS as SessionAction<T>[];
    this.#ctx.actions_ = [];
    return actions;
  }

  /** When `tick` must next be called, or undefined when no deadline is pending. */
  nextTimeout(): number | undefined {
    if (this.#connection === 'disconnected') return undefined;
    // While the CONNACK is awaited only its deadline counts: tick() sends no PINGREQ before it.
    if (this.#connection === 'connecting') return this.#deadlines.connackDeadline_;
    let next = this.#deadlines.next_(this.#ctx.lastSent_);
    if (this.#connection === 'connected') next = Math.min(next, this.#outbound.nextRetry_);
    return next === Infinity ? undefined : next;
  }

  // ---- inputs ------------------------------------------------------------------------------

  /**
   * The transport is up: CONNECT goes first, before anything else [MQTT-3.1.0-1]. The CONNACK
   * must arrive by `connackDeadline` (default: connackTimeout from now) — a caller that spent
   * part of its own connect timeout opening the transport passes what is left.
   */
  connect(options: ConnectOptions, now: number, connackDeadline = now + this.#connackTimeout): void {
    if (this.#connection !== 'disconnected') {
      throw usageError('INVALID_STATE', `connect() while ${this.#connection}`);
    }
    checkTime(now);
    checkTime(connackDeadline);
    const packet = connectPacketOf(this.clientId, options);
    encodedLengthWith(clientRemainingLength, packet); // refuses a CONNECT the codec would refuse, now rather than at write time
    this.#connection = 'connecting';
    this.#cleanSession = options.cleanSession;
    this.#deadlines.connecting_(options.keepalive, connackDeadline);
    this.#ctx.send(packet, now);
  }

  packetReceived(packet: Packet, now: number): void {
    if (this.#connection === 'disconnected') return; // bytes that raced the close
    this.#deadlines.received_(packet.type === 'pingresp', now);
    if (this.#connection === 'connecting') {
      if (packet.type === 'connack') this.#connack(packet.returnCode, packet.sessionPresent, now);
      else this.#unexpected(packet, 'before CONNACK');
    } else {
      this.#dispatch(packet, now);
    }
    this.#closeIfRequested();
  }

  publish(request: PublishRequest<T>, now: number): void {
    checkQos(request.qos, 'QoS', 'MQTT-3.3.1-4');
    if (!(request.payload instanceof Uint8Array)) throw usageError('INVALID_PAYLOAD', 'payload must be a Uint8Array');
    flag(request.retain, false, 'retain');
    validateTopicName(request.topic);
    // Only a payload near the protocol's 256 MB can fail to frame; refuse it now, not at write time.
    if (request.payload.length > MAX_REMAINING_LENGTH - 4 - 3 * request.topic.length) checkPublishFits(request);
    this.#outbound.publish_(request, this.#connection === 'connected', now);
  }

  /** Sent when connected; otherwise queued with the publishes, in order, until CONNACK. */
  subscribe(request: SubscribeRequest<T>, now: number): void {
    checkControl('subscribe', request);
    this.#outbound.requestControl_(request, this.#connection === 'connected', now);
  }

  unsubscribe(request: UnsubscribeRequest<T>, now: number): void {
    checkControl('unsubscribe', request);
    this.#outbound.requestControl_(request, this.#connection === 'connected', now);
  }

  /** Manual acknowledgement: the application has processed `message`. */
  acknowledge(message: InboundMessage, now: number): boolean {
    return this.#inbound.acknowledge(message, this.#connection === 'connected', now);
  }

  /**
   * Ends the connection deliberately: DISCONNECT, then close [MQTT-3.14.4-1]. Flows are kept.
   * Also while the CONNACK is awaited: a client may send right after CONNECT, and a broker that
   * accepts the CONNECT must not then publish the will.
   */
  disconnect(now: number): void {
    if (this.#connection === 'disconnected') return;
    this.#ctx.send({ type: 'disconnect' }, now);
    this.#close('normal');
  }

  /** The transport reports the connection gone. */
  connectionLost(reason: CloseReason, _now: number, error?: MqttError): void {
    if (this.#connection === 'disconnected') return;
    this.#close(reason, error);
  }

  /**
   * The caller stopped (false) or resumed (true) reading the broker's bytes (inbound
   * backpressure): while it reads nothing, the broker's silence proves nothing.
   */
  setReading(reading: boolean, now: number): void {
    this.#deadlines.reading_(reading, now);
  }

  /** Time passed: deadlines, keepalive, retries. */
  tick(now: number): void {
    checkTime(now);
    if (this.#connection === 'connecting') {
      if (now >= this.#deadlines.connackDeadline_) this.#close('connack-timeout', new MqttError('CONNECT_TIMEOUT', 'No CONNACK arrived in time'));
      return;
    }
    if (this.#connection !== 'connected') return;
    if (now >= this.#deadlines.pingDeadline_) return this.#close('keepalive-timeout', new MqttError('KEEPALIVE_TIMEOUT', 'No answer to PINGREQ in time'));
    this.#outbound.retry_(now);
    if (this.#deadlines.pingDue_(this.#ctx.lastSent_, now)) {
      this.#ctx.send({ type: 'pingreq' }, now);
      this.#deadlines.pingSent_(now);
    }
  }

  /**
   * Gives up on every pending request: queued ones complete -3, those in flight -11. Meant for
   * a disconnected session (the client calls it when it will not reconnect). With CleanSession 0
   * a QoS 2 flow, though reported -11, stays to finish on the next connection: the broker holds
   * its packet id until PUBREL, and a new message given that id would be taken for a re-send and
   * never delivered [MQTT-4.3.3-2, MQTT-4.4.0-1].
   */
  abandon(): void {
    this.#outbound.abandon_(!this.#cleanSession);
  }

  // ---- internals ---------------------------------------------------------------------------

  #connack(returnCode: number, sessionPresent: boolean, now: number): void {
    if (returnCode !== 0) {
      this.#ctx.emit({ type: 'connack', returnCode, sessionPresent });
      this.#ctx.requestClose_('refused');
      return;
    }
    this.#connection = 'connected';
    this.#deadlines.connected_(now);
    // CleanSession=1 never resumes, whatever the broker claims [MQTT-3.1.2-6].
    const resumed = sessionPresent && !this.#cleanSession;
    if (!resumed) this.#inbound.sessionDiscarded_();
    this.#outbound.resume_(now, resumed);
    this.#inbound.flush(now);
    this.#ctx.emit({ type: 'connack', returnCode, sessionPresent });
  }

  #dispatch(packet: Packet, now: number): void {
    switch (packet.type) {
      case 'publish':
        return this.#inbound.publish(packet, now);
      case 'puback':
        return this.#outbound.acked_(packet.packetId, 'publish', now);
      case 'pubrec':
        return this.#outbound.pubrec_(packet.packetId, now);
      case 'pubrel':
        return this.#inbound.pubrel(packet.packetId, now);
      case 'pubcomp':
        return this.#outbound.acked_(packet.packetId, 'pubrel', now);
      case 'suback':
      case 'unsuback':
        return this.#outbound.controlAcked_(packet, now);
      case 'pingresp':
        return;
      default:
        return this.#unexpected(packet, 'from a broker');
    }
  }

  #unexpected(packet: Packet, when: string): void {
    this.#ctx.requestClose_(
      'protocol-error',
      new MqttProtocolError('UNEXPECTED_PACKET', `${packet.type.toUpperCase()} is not a packet a client accepts ${when}`, 'MQTT-4.8.0-1', 'peer'),
    );
  }

  #closeIfRequested(): void {
    const request = this.#ctx.closeRequest_;
    if (request !== null) this.#close(request.reason, request.error);
  }

  #close(reason: CloseReason, error?: MqttError): void {
    this.#ctx.closeRequest_ = null;
    // The broker ending a connection that carried the flows (past CONNACK) may be its answer to one.
    const connected = this.#connection === 'connected';
    this.#connection = 'disconnected';
    this.#deadlines.stopped_();
    this.#outbound.connectionLost_(connected, connected && reason === 'transport');
    this.#inbound.connectionLost();
    this.#ctx.emit(error ? { type: 'close', reason, error } : { type: 'close', reason });
  }
}

/** The CONNECT packet for `clientId` and `options`: the one place it is built. */
export function connectPacketOf(clientId: string, options: ConnectOptions): ConnectPacket {
  const packet: ConnectPacket = { type: 'connect', clientId, keepalive: options.keepalive, cleanSession: options.cleanSession };
  if (options.will !== undefined) packet.will = options.will;
  if (options.username !== undefined) packet.username = options.username;
  if (options.password !== undefined) packet.password = options.password;
  return packet;
}

/** Refuses now, not at write time, a SUBSCRIBE or UNSUBSCRIBE the codec would refuse (its packet id aside). */
export function checkControl(type: 'subscribe' | 'unsubscribe', request: SubscribeRequest<unknown> | UnsubscribeRequest<unknown>): void {
  encodedLengthWith(clientRemainingLength, { ...request, type, packetId: 1 } as Packet);
}

function checkPublishFits(request: PublishRequest): void {
  const packet: PublishPacket = { type: 'publish', topic: request.topic, payload: request.payload, qos: request.qos, dup: false, retain: request.retain };
  if (request.qos !== 0) packet.packetId = 1;
  try {
    encodedLengthWith(clientRemainingLength, packet);
  } catch {
    throw usageError('PAYLOAD_TOO_LARGE', `A ${request.payload.length}-byte payload on '${request.topic}' exceeds a packet's ${MAX_REMAINING_LENGTH} bytes`);
  }
}

/**
 * The limits `options` set, checked as the constructor checks them: the engine checks them too
 * (resolveOptions) before anything acts on its options, so a face that checks them first (the
 * imp face's connect()) knows the engine will not refuse them.
 */
export function sessionLimits(options: SessionOptions<unknown>) {
  const dropPolicy = options.dropPolicy ?? 'reject-new';
  // Any other value was read as 'drop-oldest': a misspelt 'reject_new' dropped queued messages.
  if (dropPolicy !== 'reject-new' && dropPolicy !== 'drop-oldest') throw usageError('INVALID_OPTIONS', `Unknown dropPolicy ${shown(dropPolicy)}`);
  return {
    maxInflight_: atLeast(1, options.maxInflight ?? Infinity, 'maxInflight'),
    maxBuffered_: atLeast(0, options.maxBuffered ?? 10_000, 'maxBuffered'),
    dropPolicy_: dropPolicy,
    queueQoS0_: flag(options.queueQoS0, true, 'queueQoS0'),
    retryInterval_: atLeast(0, options.retryInterval ?? 0, 'retryInterval'),
    undeliverableAfter_: atLeast(1, options.undeliverableAfter ?? 3, 'undeliverableAfter'),
    manualAck_: flag(options.manualAck, false, 'manualAck'),
    connackTimeout_: atLeast(1, options.connackTimeout ?? 30_000, 'connackTimeout'),
    pingTimeout_: options.pingTimeout === undefined ? undefined : atLeast(1, options.pingTimeout, 'pingTimeout'),
  };
}

/** A number option (the engine's and the session's): at least `min`, never NaN. */
export function atLeast(min: number, value: number, name: string): number {
  // A numeric string passes `>=` and then concatenates: '5000' ms would make a deadline of hours.
  if (typeof value !== 'number' || !(value >= min)) throw usageError('INVALID_OPTIONS', `${name} must be at least ${min}, got ${shown(value)}`);
  return value;
}

/** A boolean option, `fallback` when undefined or null (a JSON config's "none"). */
export function flag(value: boolean | null | undefined, fallback: boolean, name: string): boolean {
  value ??= fallback;
  // Read by truthiness, 'false' (an environment variable) would be true, and MQTT.js's 0 false.
  if (typeof value !== 'boolean') throw usageError('INVALID_OPTIONS', `${name} must be a boolean, got ${shown(value)}`);
  return value;
}

/** Handed out when there is nothing to do: one frozen array, so no caller's array aliases the next batch. */
const NO_ACTIONS: readonly SessionAction<unknown>[] = Object.freeze([]);

/** The session's times come from the caller's clock: a time that is not a number would make every deadline NaN (never due). */
function checkTime(now: number): void {
  if (typeof now !== 'number' || Number.isNaN(now)) throw usageError('INVALID_ARGUMENT', `A time in ms from the session's clock, got ${String(now)}`);
}
