/**
 * The async face: promises and async iterators on the engine, in the spirit of aiomqtt, with
 * what its users ask for — immediate, specific failures, built-in reconnection, bounded
 * lossless delivery with backpressure, per-filter streams and manual acknowledgement.
 */
import { MqttError, usageError } from '../../errors.js';
import { topicMatches } from '../../packet/index.js';
import type { QoS, SubackCode } from '../../packet/index.js';
import { INCOMPLETE } from '../../session/result-codes.js';
import type { InboundMessage } from '../../session/index.js';
import { Emitter } from '../../client/emitter.js';
import { MqttClient } from '../../client/mqtt-client.js';
import type { ClientOptions } from '../../client/options.js';
import type { RestoredMessage } from '../../client/events.js';
import { connectionRefused, operationFailed, MqttCodeError } from '../common/operation-errors.js';
import { Message } from './message.js';
import { asyncPayload } from './payload.js';
import type { AsyncPayload } from './payload.js';
import { MessageQueue } from './queue.js';
import { Wildcard } from './topic.js';
import { Deadlines } from './deadline.js';
import type { Operation, OperationOptions } from './deadline.js';

export interface AsyncClientOptions extends Omit<ClientOptions, 'hooks' | 'reconnect'> {
  /** Automatic reconnection (off by default, as in aiomqtt): true, or backoff options. */
  reconnect?: boolean | Exclude<ClientOptions['reconnect'], undefined>;
  /** Default limit for every operation, the wait for CONNACK included, ms. Default 10,000; Infinity for none. */
  timeout?: number;
  /** Messages held for each iterator before the client stops reading from the broker. Default 1,000. */
  maxQueuedMessages?: number;
}

export interface PublishOptions extends OperationOptions {
  qos?: QoS;
  retain?: boolean;
  /** Your id for the message; with a durable `store` it comes back in 'restored' after a restart. */
  messageId?: string;
  /** Your data a durable `store` keeps with the message. */
  properties?: Record<string, string>;
}

export interface SubscribeOptions extends OperationOptions {
  /** QoS for filters given without one. Default 0. */
  qos?: QoS;
}

export type FilterSpec = string | Wildcard | [string | Wildcard, QoS];

export interface AsyncClientEvents {
  connect(info: { sessionPresent: boolean }): void;
  close(info: { reason: string; error: MqttError | undefined }): void;
  reconnect(info: { attempt: number; delay: number; url: string }): void;
  /** With a durable `store`: a message an earlier process accepted has completed (no promise is left to settle). */
  restored(info: { message: RestoredMessage; packetId: number | undefined; result: number }): void;
}

const REFUSED = 0x80;
const NO_OPTIONS: PublishOptions = {};

export class Client extends Emitter<AsyncClientEvents> {
  readonly #engine: MqttClient;
  readonly #deadlines: Deadlines;
  readonly #reconnects: boolean;
  readonly #manualAck: boolean;
  readonly #capacity: number;
  /** The engine's limit per connection attempt (ms): reaching it is reaching a connect() limit no longer than it. */
  readonly #attemptLimit: number;
  readonly #filters: { wildcard: Wildcard; queue: MessageQueue }[] = [];
  readonly #paused = new Set<MessageQueue>();
  /** Every message no filtered stream took. */
  readonly messages: AsyncIterable<Message>;
  readonly #main: MessageQueue;
  #pendingConnect: Operation<void> | null = null;
  /** Pending whenConnected() calls. */
  readonly #waiters = new Set<Operation<void>>();
  /** disconnect() was called and connect() not since: no connection will come by itself. */
  #stopped = false;
  /** Counts connect() calls: a disconnect() that completes after a later connect() leaves that connection's streams alone. */
  #connects = 0;
  /** The streams ended (with this error, if any) and connect() has not been called since: nothing will reopen them. */
  #ended: { error: MqttError | undefined } | null = null;

  constructor(urlOrOptions: string | (AsyncClientOptions & { url?: string }), options: AsyncClientOptions = {}) {
    super();
    const merged = typeof urlOrOptions === 'string' ? { ...options, url: urlOrOptions } : { ...urlOrOptions };
    const { timeout = 10_000, maxQueuedMessages = 1_000, reconnect = false, ...engineOptions } = merged;
    if (typeof timeout != 'number' || !(timeout > 0)) throw usageError('INVALID_OPTIONS', `timeout must be a positive number of ms (or Infinity), got ${timeout}`);
    if (!Number.isInteger(maxQueuedMessages) || maxQueuedMessages < 1) {
      throw usageError('INVALID_OPTIONS', `maxQueuedMessages must be a whole number of at least 1, got ${maxQueuedMessages}`);
    }
    this.#deadlines = new Deadlines(timeout);
    this.#capacity = maxQueuedMessages;
    this.#reconnects = reconnect !== false;
    this.#manualAck = engineOptions.manualAck ?? false;
    this.#attemptLimit = engineOptions.connectTimeout ?? (Number.isFinite(timeout) ? timeout : 30_000);
    this.#engine = new MqttClient({ connectTimeout: this.#attemptLimit, ...engineOptions, reconnect });
    this.#main = this.#queue(() => {});
    this.messages = this.#main;
    this.#wire();
  }

  get connected(): boolean {
    return this.#engine.connected;
  }

  get clientId(): string {
    return this.#engine.clientId;
  }

  /**
   * Connects; resolves once the broker accepted (CONNACK 0). A refusal rejects with an
   * MqttCodeError whose `rc` is the CONNACK return code. With `reconnect` on, failed attempts
   * are retried until the timeout. Rejects at once when already connected or connecting.
   */
  async connect(options: OperationOptions = {}): Promise<this> {
    const engine = this.#engine;
    if (engine.state !== 'disconnected') throw usageError('INVALID_STATE', `connect() while ${engine.state}: a client connects once at a time (disconnect() first)`);
    this.#stopped = false;
    this.#connects++;
    this.#ended = null;
    this.#main.reopen(); // filtered streams that ended are gone: filter() makes new ones
    let cleanup = (): void => {};
    const limit = options.timeout ?? this.#deadlines.defaultTimeout;
    const connected = this.#deadlines.run<void>('connect to', engine.url, options, (settle) => {
      const onConnect = (): void => settle.resolve();
      const onFailed = ({ returnCode, error }: { returnCode: number | undefined; error: MqttError }): void => {
        // The engine schedules its next attempt right after this event.
        queueMicrotask(() => {
          if (engine.reconnecting) return;
          // The attempt's limit is this call's limit (or shorter than the attempt's): the same condition, the same code.
          if (error.code === 'CONNECT_TIMEOUT' && typeof limit === 'number' && limit <= this.#attemptLimit) settle.expire(limit);
          else settle.reject(returnCode !== undefined ? connectionRefused(returnCode, engine.url) : error);
        });
      };
      engine.on('connect', onConnect).on('connectfailed', onFailed);
      this.#pendingConnect = settle;
      cleanup = () => {
        engine.off('connect', onConnect).off('connectfailed', onFailed);
        this.#pendingConnect = null;
      };
      engine.connect();
    });
    try {
      await connected;
    } catch (error) {
      // Unless disconnect() was the cause: it stops the engine and ends iterations normally itself.
      if (!this.#stopped && (engine.state !== 'disconnected' || engine.reconnecting)) {
        engine.destroy(); // stop trying
        this.#endIterations(lost(error as MqttError));
      }
      throw error;
    } finally {
      cleanup();
    }
    return this;
  }

  /** Disconnects (DISCONNECT, so no will); iterations end normally. Resolves once closed. */
  disconnect(options: OperationOptions = {}): Promise<void> {
    const operation = this.#deadlines.begin<void>('disconnect from', this.#engine.url, options);
    // Refused (bad options) or already aborted: like any operation, it does nothing at all.
    if (operation.done) return operation.promise;
    this.#stopped = true;
    const stopped = new MqttError('CONNECTION_LOST', 'disconnect() was called');
    this.#pendingConnect?.reject(stopped);
    const connects = this.#connects;
    this.#engine.disconnect(() => {
      // Also when it was waiting to reconnect (no close event then): iterations end normally.
      // Not when connect() was called meanwhile (a client that was not connected completes
      // disconnect() a microtask later): the streams and waiters are the new connection's.
      if (this.#connects === connects) {
        this.#endIterations();
        this.#rejectWaiters(stopped);
      }
      operation.resolve();
      this.#deadlines.release();
    });
    return operation.promise;
  }

  /** Resolves when delivery is complete for the QoS: written (0), PUBACK (1), PUBCOMP (2). */
  publish(topic: string, payload?: AsyncPayload, options: PublishOptions = NO_OPTIONS): Promise<void> {
    const operation = this.#deadlines.begin<void>('publish to', topic, options);
    if (operation.done) return operation.promise;
    try {
      const admitted = this.#engine.publish(topic, asyncPayload(payload), options, operation);
      if (admitted !== 0) operation.completed_(admitted);
    } catch (error) {
      operation.reject(error);
    }
    return operation.promise;
  }

  /**
   * Subscribes; resolves with the granted QoS — a number for one filter, an array for an array.
   * A refused filter (0x80) rejects with an MqttCodeError naming it, unless some were granted:
   * then the array holds 0x80 for the refused ones.
   */
  subscribe(filter: string | Wildcard, options?: SubscribeOptions): Promise<number>;
  subscribe(filters: FilterSpec[], options?: SubscribeOptions): Promise<number[]>;
  async subscribe(filters: string | Wildcard | FilterSpec[], options: SubscribeOptions = {}): Promise<number | number[]> {
    const many = Array.isArray(filters);
    const specs = (many ? filters : [filters]).map((spec) => (Array.isArray(spec) ? spec : ([spec, options.qos ?? 0] as const)));
    const subscriptions = specs.map(([filter, qos]) => ({ topic: wildcardOf(filter).value, qos }));
    const what = `subscribe to ${subscriptions.map((s) => `'${s.topic}'`).join(', ')}`;
    const granted = await this.#deadlines.run<SubackCode[]>('subscribe to', subscriptions.map((s) => s.topic).join("', '"), options, (settle) =>
      this.#request(settle, what, (done) => this.#engine.subscribe(subscriptions, done)),
    );
    if (granted.every((code) => code === REFUSED)) {
      throw new MqttCodeError('SUBSCRIPTION_REFUSED', REFUSED, `The broker refused the subscription to ${subscriptions.map((s) => `'${s.topic}'`).join(', ')}`);
    }
    return many ? granted : granted[0]!;
  }

  async unsubscribe(filters: string | Wildcard | (string | Wildcard)[], options: OperationOptions = {}): Promise<void> {
    const topics = (Array.isArray(filters) ? filters : [filters]).map((filter) => wildcardOf(filter).value);
    const what = `unsubscribe from ${topics.map((t) => `'${t}'`).join(', ')}`;
    return this.#deadlines.run<void>('unsubscribe from', topics.join("', '"), options, (settle) =>
      this.#request(settle, what, (done) => this.#engine.unsubscribe(topics, (rc) => done(rc, undefined))),
    );
  }

  /**
   * A subscribe or unsubscribe: `submit` hands the engine `done`. One cut off by a lost connection
   * (sent, no ack: -11) is submitted again when the client reconnects, so it survives the outage
   * as a publish does; the engine then queues it for the next connection (or, if none will come,
   * completes it -3: CONNECTION_LOST).
   */
  #request<T>(settle: Operation<T>, what: string, submit: (done: (rc: number, value: T) => void) => number): void {
    const done = (rc: number, value: T): void => {
      if (rc === 0) settle.resolve(value);
      else if (rc === INCOMPLETE && this.#reconnects && !settle.done) queueMicrotask(send);
      else settle.reject(operationFailed(rc, what));
    };
    const send = (): void => {
      if (settle.done) return; // timed out or aborted meanwhile: not sent again
      let admitted: number;
      try {
        admitted = submit(done);
      } catch (error) {
        return settle.reject(error);
      }
      if (admitted !== 0) settle.reject(operationFailed(admitted, what));
    };
    send();
  }

  /**
   * The messages matching `filter`, as their own stream: a message goes to the first open
   * filtered stream that matches it, else to `client.messages`. Breaking out of its loop closes it.
   * Made after the streams ended (disconnect(), or a loss without reconnect) and before the next
   * connect(), it is ended already, as `client.messages` is then.
   */
  filter(filter: string | Wildcard): AsyncIterable<Message> {
    const wildcard = wildcardOf(filter);
    const entry = { wildcard, queue: this.#queue(() => this.#removeFilter(entry.queue)) };
    // Made after the streams ended: it ends as client.messages has (nothing would ever end it).
    if (this.#ended !== null) entry.queue.end(this.#ended.error);
    else this.#filters.push(entry);
    return entry.queue;
  }

  /**
   * Resolves once connected (at once if it is). Rejects with CONNECTION_LOST as soon as no
   * connection will come (an attempt failed for good, or disconnect() was called), else at its time limit.
   */
  whenConnected(options: OperationOptions = {}): Promise<void> {
    if (this.connected) return Promise.resolve();
    const operation = this.#deadlines.begin<void>('wait for the connection to', this.#engine.url, options);
    if (this.#engine.state === 'disconnected' && !this.#engine.reconnecting) {
      if (this.#stopped) operation.reject(new MqttError('CONNECTION_LOST', 'disconnect() was called: no connection will come until connect()'));
      // Lost without reconnect, or connect() failed: as a waiter at that moment was told.
      else if (this.#ended?.error !== undefined) operation.reject(this.#ended.error);
    }
    this.#waiters.add(operation);
    return operation.promise.finally(() => this.#waiters.delete(operation));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.disconnect();
  }

  // ---- internals ---------------------------------------------------------------------------

  #queue(onReturn: () => void): MessageQueue {
    const queue = new MessageQueue(this.#capacity, (reading) => this.#setReading(queue, reading), onReturn);
    return queue;
  }

  /** The client reads from the broker only while no queue is full. */
  #setReading(queue: MessageQueue, reading: boolean): void {
    if (reading) this.#paused.delete(queue);
    else this.#paused.add(queue);
    this.#engine.setReading(this.#paused.size === 0);
  }

  /** A filtered stream closed: what it still held goes to client.messages, never lost. */
  #removeFilter(queue: MessageQueue): void {
    const at = this.#filters.findIndex((entry) => entry.queue === queue);
    if (at !== -1) this.#filters.splice(at, 1);
    queue.end();
    for (const message of queue.takeAll()) this.#main.push(message);
    this.#setReading(queue, true);
  }

  #route(inbound: InboundMessage): void {
    const message = new Message(inbound, this.#manualAck ? this.#ack : undefined);
    for (const { wildcard, queue } of this.#filters) {
      if (topicMatches(wildcard.matchingFilter, inbound.topic)) return queue.push(message);
    }
    this.#main.push(message);
  }

  readonly #ack = (inbound: InboundMessage): Promise<void> => {
    this.#engine.acknowledge(inbound);
    return Promise.resolve();
  };

  /** Ends every iteration; filtered streams end for good (their backlog has nowhere to go but away). */
  #endIterations(error?: MqttError): void {
    this.#ended ??= { error };
    this.#main.end(error);
    for (const { queue } of this.#filters.splice(0)) {
      queue.end(error);
      this.#paused.delete(queue);
    }
    this.#engine.setReading(this.#paused.size === 0);
    if (error !== undefined) this.#rejectWaiters(error);
    // No connection will come by itself: the application may let the client go now.
    this.#deadlines.release();
  }

  #rejectWaiters(error: MqttError): void {
    for (const waiter of this.#waiters) waiter.reject(error);
  }

  #wire(): void {
    const engine = this.#engine;
    engine.on('message', (message) => this.#route(message));
    engine.on('connect', (info) => {
      for (const waiter of this.#waiters) waiter.resolve();
      this.emit('connect', info);
    });
    engine.on('reconnect', (info) => this.emit('reconnect', info));
    engine.on('restored', (info) => this.emit('restored', info));
    engine.on('close', ({ reason, error }) => {
      const connects = this.#connects;
      this.emit('close', { reason, error });
      // A listener that called connect() (reconnecting by hand) began a connection whose streams these are.
      if (this.#connects !== connects) return;
      if (reason === 'normal') return this.#endIterations();
      if (!this.#reconnects) this.#endIterations(lost(error));
    });
    engine.on('connectfailed', ({ error }) => {
      // No further attempt follows (reconnect off, or a refusal retrying cannot fix): iterations and waiters end with it.
      queueMicrotask(() => {
        if (!engine.reconnecting && engine.state === 'disconnected') this.#endIterations(lost(error));
      });
    });
  }
}

function lost(cause: MqttError | undefined): MqttError {
  const error = new MqttError('CONNECTION_LOST', `The connection was lost${cause ? `: ${cause.message}` : ''}`);
  if (cause !== undefined) (error as { cause?: unknown }).cause = cause;
  return error;
}

/** Connects a new Client: `await using client = await connect(url, options)`. */
export async function connect(url: string, options: AsyncClientOptions = {}): Promise<Client> {
  return new Client(url, options).connect();
}

/** A filter as given: a Wildcard, or text that must make one (anything else is refused, never stringified). */
function wildcardOf(filter: string | Wildcard): Wildcard {
  return filter instanceof Wildcard ? filter : new Wildcard(filter);
}
