/**
 * MqttClient: a session on a real transport. It owns the only real clock and timers, the
 * reconnection policy and server failover; every face (imp API, async API, queue, gateway, CLI)
 * is a thin layer over it.
 */
import { asMqttError, usageError } from '../errors.js';
import type { Packet, Subscription } from '../packet/index.js';
import * as Result from '../session/result-codes.js';
import { Session } from '../session/index.js';
import type { InboundMessage, PublishRequest, SessionAction, SubscribeRequest, UnsubscribeRequest } from '../session/index.js';
import { Failover } from './failover.js';
import { Emitter, callSafely } from './emitter.js';
import type { ClientEvents, ClientState, Completer, PublishCallback, PublishOptions, SubscribeCallback, UnsubscribeCallback, Token } from './events.js';
import type { OutboundAdmission } from './hooks.js';
import { Link } from './link.js';
import { orReleaseStore, resolveOptions } from './options.js';
import type { ClientOptions, ResolvedOptions } from './options.js';
import { redactPacket } from './redact.js';
import { Requests, restoredInfo } from './requests.js';
import { ClientTimers } from './timers.js';
import { PacketWriter } from './writer.js';
import { toPayload } from './payload.js';
import type { Payload } from './payload.js';

export class MqttClient extends Emitter<ClientEvents> {
  // clientId and now are assigned by the constructor (declare: no fields emitted beside the assignments).
  declare readonly clientId: string;
  readonly #options: ResolvedOptions;
  /** The client's clock (ms, monotonic): injected, or performance.now(). Faces use it too. */
  declare readonly now: () => number;
  readonly #session: Session<Token>;
  readonly #writer: PacketWriter;
  readonly #failover: Failover;
  readonly #link: Link;
  #state: ClientState = 'disconnected';
  #userClosing = false;
  /** Counts the application's disconnect()/destroy() calls: a handler's call cancels a retry. */
  #stops = 0;
  /** A lost connection's 'close' handlers run: the client will reconnect, so requests queue. */
  #reconnectDue = false;
  /** What the application asked for (setReading). */
  #reading = true;
  /** What the live connection was last told: the application's wish, or true while answers are awaited. */
  #readingNow = true;
  #everConnected = false;
  #pumping = false;
  /** Made by the first disconnect() given a callback. */
  #disconnectCallbacks: (() => void)[] | null = null;
  readonly #requests: Requests;
  readonly #timers: ClientTimers;

  constructor(options: ClientOptions) {
    super();
    const resolved = (this.#options = resolveOptions(options));
    this.clientId = resolved.clientId_;
    this.now = resolved.clock_;
    this.#timers = new ClientTimers(this.now);
    [this.#failover, this.#session] = orReleaseStore(options, resolved, () => [new Failover(resolved.endpoints_, resolved.reconnect_), new Session(resolved.session_)] as const);
    this.#writer = new PacketWriter((error) => this.#link.fail_('protocol-error', asMqttError(error, 'ENCODE_FAILED')));
    this.#requests = new Requests(this.#session, this.#writer, resolved.hooks_);
    this.#link = new Link(this, this.#session, this.#writer, this.#timers, this.#failover, resolved);
  }

  get state(): ClientState {
    return this.#state;
  }

  get connected(): boolean {
    return this.#state === 'connected';
  }

  /** Waiting to reconnect after a lost connection or failed attempt (already in its 'close' or 'connectfailed' handlers). */
  get reconnecting(): boolean {
    return this.#reconnectDue || this.#timers.has('reconnect');
  }

  /** The broker in use (or last used), without credentials. */
  get url(): string {
    return this.#failover.endpoint.displayUrl;
  }

  get inflightCount(): number {
    return this.#session.inflightCount;
  }

  get queuedCount(): number {
    return this.#session.queuedCount;
  }

  /** @internal For the imp face, which reports the imp's -10 where the engine would wait. */
  get packetIdsExhausted_(): boolean {
    return this.#session.packetIdsExhausted_;
  }

  // ---- application API ---------------------------------------------------------------------

  /** Starts connecting; the outcome arrives as 'connect' or 'connectfailed'. */
  connect(): this {
    if (this.#state !== 'disconnected') throw usageError('INVALID_STATE', `connect() while ${this.#state}`);
    this.#timers.clear('reconnect');
    this.#failover.restart();
    this.#open();
    return this;
  }

  /**
   * Publishes; `callback` gets the result once delivery is complete for the QoS (written,
   * PUBACK, PUBCOMP). While the client waits to reconnect, messages queue (up to maxBuffered);
   * when it is not trying to connect at all, the result is -3. Bad input throws (origin
   * 'caller'). Returns 0, or the code an admission hook refused the request with (then the
   * callback is not called).
   */
  publish(topic: string, payload: Payload, options?: PublishOptions, callback?: PublishCallback): number;
  /** @internal A face's Completer where the callback goes. */
  publish(topic: string, payload: Payload, options: PublishOptions | undefined, completer: Completer): number;
  publish(topic: string, payload: Payload, options?: PublishOptions, callback?: Token): number {
    const request: PublishRequest<Token> = { topic, payload: toPayload(payload), qos: options?.qos ?? 0, retain: options?.retain ?? false };
    if (callback !== undefined) request.token = callback;
    if (options?.messageId !== undefined) request.messageId = options.messageId;
    if (options?.properties !== undefined) request.properties = options.properties;
    return this.#submit({ type: 'publish', request });
  }

  /** Subscribes; queued like a publish while the client is connecting or waiting to reconnect. Returns as publish() does. */
  subscribe(subscriptions: Subscription[], callback?: SubscribeCallback): number {
    const request: SubscribeRequest<Token> = { subscriptions };
    if (callback !== undefined) request.token = callback;
    return this.#submit({ type: 'subscribe', request });
  }

  /** Unsubscribes; the filters are not subscribed again after a reconnect, whatever becomes of the request. */
  unsubscribe(topics: string[], callback?: UnsubscribeCallback): number {
    const request: UnsubscribeRequest<Token> = { topics };
    if (callback !== undefined) request.token = callback;
    return this.#submit({ type: 'unsubscribe', request });
  }

  #submit(admission: OutboundAdmission & { request: { token?: Token } }): number {
    const offline = this.#idle() || this.#state === 'disconnecting';
    const result = this.#requests.submit_(admission, offline, this.now());
    if (result === Result.SUCCESS) {
      if (!offline) this.pump_();
      // A durable store has the request once publish() returns, queued or sent.
      this.#session.store.flush?.();
    }
    return result;
  }

  /**
   * Inbound flow control for a face whose consumer lags: while paused the client reads nothing
   * more from the broker (TCP backpressure), on this and every later connection, until resumed —
   * except while requests sent await the broker's answer. An answer comes behind whatever the
   * broker sent before it, so it can only be read by reading that too: a consumer that awaits its
   * own publish or subscribe before it takes the next message would otherwise wait for ever.
   * False where the transport cannot pause (a browser's WebSocket).
   */
  setReading(reading: boolean): boolean {
    if (reading === this.#reading) return true;
    this.#reading = reading;
    // A connection still waiting for its CONNACK reads on: the pause starts once it is up.
    return this.#link.attempt_.connected_ ? this.#applyReading() : true;
  }

  /** Applies to the live connection (and keepalive) the reading the application asked for, or reading while answers are awaited. */
  #applyReading(): boolean {
    const reading = (this.#readingNow = this.#reading || this.#session.awaitingAnswers_);
    const applied = this.#link.connection_?.setReading(reading) ?? false;
    // Only where the transport really stopped reading may keepalive not count the silence.
    this.#session.setReading(reading || !applied, this.now());
    this.#armSessionTimer();
    return applied;
  }

  /** With `manualAck`, tells the broker `message` has been processed. */
  acknowledge(message: InboundMessage): boolean {
    const owed = this.#session.acknowledge(message, this.now());
    this.pump_();
    return owed;
  }

  /**
   * Ends the connection gracefully and stops reconnecting: publishes already in flight or
   * queued get up to `lingerMs` (default 5,000) to complete, then DISCONNECT goes out
   * (so no will is published). `callback` runs once the connection is fully closed. Whatever is
   * still pending then completes with -3 (never sent) or -11 (in flight): nothing waits forever.
   */
  disconnect(callback?: () => void, lingerMs = 5_000): void {
    if (callback !== undefined) (this.#disconnectCallbacks ??= []).push(callback);
    if (this.#state === 'disconnecting') return;
    if (!this.#closeByApplication()) {
      queueMicrotask(() => this.#runDisconnectCallbacks());
    } else if (this.#session.state === 'disconnected') {
      this.#link.drop_(); // still reaching the broker (or not even that): nothing to let finish
    } else if (this.#session.state === 'connected' && this.#pendingPublishes() > 0 && lingerMs > 0) {
      // The acks they wait for must be read: a paused connection reads again while it lingers.
      this.#link.connection_?.setReading(true);
      this.#timers.set('linger', lingerMs, () => this.#sendDisconnect());
    } else {
      this.#sendDisconnect();
    }
  }

  #pendingPublishes(): number {
    return this.#session.inflightCount + this.#session.queuedCount;
  }

  #sendDisconnect(): void {
    this.#timers.clear('linger');
    if (this.#session.state === 'disconnected') return;
    this.#session.disconnect(this.now());
    this.pump_();
  }

  /** Closes at once without DISCONNECT (the broker publishes the will) and stops reconnecting. */
  destroy(): void {
    if (this.#closeByApplication()) this.#link.drop_();
  }

  /**
   * The application ends the connection: no more reconnecting. False when there is none to
   * end; whatever is pending then completes at once.
   */
  #closeByApplication(): boolean {
    this.#timers.clear('reconnect');
    this.#reconnectDue = false;
    this.#stops++;
    if (this.#state === 'disconnected') {
      this.#session.abandon();
      this.pump_();
      return false;
    }
    this.#userClosing = true;
    this.#setState('disconnecting');
    // Unless a 'state' handler has already finished the close (destroy()), and maybe connected again.
    return this.#state === 'disconnecting';
  }

  // ---- connection lifecycle ----------------------------------------------------------------

  #idle(): boolean {
    return this.#state === 'disconnected' && !this.#timers.has('reconnect') && !this.#reconnectDue;
  }

  #open(): void {
    this.#link.begin_();
    const attempt = this.#link.attempt_;
    this.#setState('connecting');
    // A 'state' handler may have called disconnect() or destroy() (and connect() again, which opened its own).
    if (this.#state === 'connecting' && this.#link.attempt_ === attempt) this.#link.open_();
  }

  /** @internal The packets of one read: each past the inbound admission hook, then to the session. */
  receive_(packets: Packet[]): void {
    const now = this.now();
    const debug = this.listenerCount('packetreceive') > 0;
    const admit = this.#options.hooks_.admitInbound;
    for (const packet of packets) {
      if (debug) this.emit('packetreceive', packet);
      const refusal = admit?.(packet, now);
      if (refusal !== undefined) {
        // Before the session sees it: the packet is neither delivered nor acknowledged.
        this.#link.fail_(refusal.reason, refusal.error);
        return;
      }
      this.#session.packetReceived(packet, now);
      if (this.#session.state === 'disconnected') break; // the rest of the read belongs to no connection
    }
    this.pump_();
  }

  /**
   * @internal The link's connection is gone: report it once ('close' or 'connectfailed') and
   * reconnect unless the application stopped or the failover gave up.
   */
  finishClose_(transportError: Error | undefined): void {
    const attempt = this.#link.attempt_;
    if (!attempt.finish_()) return;
    const info = attempt.closeInfo_(transportError);
    this.#link.connection_ = null;
    this.#timers.clear('connect');
    this.#timers.clear('close');
    this.#timers.clear('linger');
    // QoS 0 bytes written before a graceful close that ended cleanly reached the broker's socket.
    const delivered = info.reason === 'normal' && info.error === undefined;
    this.#writer.detach(delivered ? Result.SUCCESS : Result.DISCONNECTED);
    const wasConnected = attempt.connected_;
    const userClosing = this.#userClosing;
    this.#userClosing = false;
    // The callbacks of the disconnect() that ended this connection: one a handler adds below is for the next.
    const callbacks = userClosing ? this.#disconnectCallbacks : null;
    if (userClosing) this.#disconnectCallbacks = null;
    const willReconnect = !userClosing && this.#failover.willRetry_(attempt.refusedCode_);
    const stopsBefore = this.#stops;
    // Before the client turns 'disconnected', and so before any handler runs (the 'state' one
    // included): what nobody will connect for is given up on, so an application connecting
    // again from a handler starts clean, and requests made there queue for a reconnect to come.
    if (!willReconnect) this.#session.abandon();
    this.#reconnectDue = willReconnect;
    try {
      this.#setState('disconnected');
      this.#armSessionTimer();
      this.pump_();
      if (userClosing) {
        if (wasConnected) this.emit('close', { reason: 'normal', error: info.error });
      } else if (wasConnected) {
        this.emit('close', info);
      } else {
        this.emit('connectfailed', { returnCode: attempt.refusedCode_, error: attempt.failure_(info, this.url) });
      }
    } finally {
      this.#reconnectDue = false;
    }
    if (userClosing) return this.#runDisconnectCallbacks(callbacks);
    // Unless a handler connected again, or called disconnect()/destroy() (which means: stop).
    if (willReconnect && this.#idle() && this.#stops === stopsBefore) this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const { delay, attempt } = this.#failover.next(this.now());
    this.#timers.set('reconnect', delay, () => {
      if (this.#state === 'disconnected') this.#open();
    });
    this.emit('reconnect', { attempt, delay, url: this.url });
  }

  #runDisconnectCallbacks(callbacks = this.#disconnectCallbacks): void {
    if (callbacks === null) return;
    if (callbacks === this.#disconnectCallbacks) this.#disconnectCallbacks = null;
    for (const callback of callbacks) callSafely(callback, []);
  }

  // ---- session actions ---------------------------------------------------------------------

  /** @internal Performs the session's actions until it has none; re-entry from callbacks joins the loop. */
  pump_(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (let actions = this.#session.takeActions(); actions.length > 0; actions = this.#session.takeActions()) {
        // Write-ahead: what the session stored is durable before a packet it justifies is written
        // or a message it recorded is handed over.
        this.#session.store.flush?.();
        for (const action of actions) this.#perform(action);
      }
    } finally {
      this.#pumping = false;
    }
    // disconnect() is letting pending publishes finish: DISCONNECT once the last one has.
    if (this.#timers.has('linger') && this.#pendingPublishes() === 0) this.#sendDisconnect();
    // Paused: requests just sent make it read for their answers; the last answer, pause again.
    if (!this.#reading && this.#link.attempt_.connected_ && this.#session.awaitingAnswers_ !== this.#readingNow) this.#applyReading();
    this.#armSessionTimer();
  }

  #perform(action: SessionAction<Token>): void {
    switch (action.type) {
      case 'send':
        if (this.listenerCount('packetsend') > 0) this.emit('packetsend', redactPacket(action.packet));
        this.#options.hooks_.packetSent?.(action.packet, this.now());
        this.#writer.add(action.packet);
        return;
      case 'deliver':
        this.emit('message', action.message);
        return;
      case 'published':
        if (action.request.restored === true) return this.emit('restored', restoredInfo(action));
        return this.#requests.completed_(action);
      case 'subscribed':
      case 'unsubscribed':
        return this.#requests.completed_(action);
      case 'connack':
        return this.#connack(action.returnCode, action.sessionPresent);
      case 'close':
        return this.#link.sessionClosed_(action.reason, action.error);
    }
  }

  #connack(returnCode: number, sessionPresent: boolean): void {
    if (returnCode !== 0) {
      this.#link.attempt_.refusedCode_ = returnCode;
      return;
    }
    this.#link.attempt_.connected_ = true;
    this.#applyReading(); // whatever the application asked for while this connection was opening
    this.#failover.connected(this.now());
    if (this.#options.resubscribe_ && this.#everConnected && !sessionPresent) this.#requests.resubscribe_(this.now());
    this.#everConnected = true;
    if (this.#state === 'connecting') this.#setState('connected');
    this.emit('connect', { sessionPresent });
  }

  // ---- timers and helpers ------------------------------------------------------------------

  #armSessionTimer(): void {
    this.#timers.wakeBy_(this.#session.nextTimeout(), this.#onSessionTimer);
  }

  readonly #onSessionTimer = (now: number): void => {
    this.#session.tick(now);
    this.pump_();
  };

  #setState(state: ClientState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }
}
