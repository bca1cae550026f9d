/** mqttclient: the imp API's client, on impmqtt's core MqttClient. */
import { MqttProtocolError, shown, usageError } from '../../errors.js';
import { validateTopicFilter, validateTopicName } from '../../packet/index.js';
import type { QoS } from '../../packet/index.js';
import { MemorySessionStore } from '../../session/index.js';
import { flag } from '../../session/session.js';
import type { SessionStore } from '../../session/index.js';
import { MqttClient } from '../../client/mqtt-client.js';
import { monotonicNow, resolveOptions } from '../../client/options.js';
import type { Completion } from '../../client/events.js';
import { ImpBlob, ownBytesOf, textOf } from './blob.js';
import type { StringOrBlob } from './blob.js';
import * as Result from '../../session/result-codes.js';
import { BAD_QOS, BAD_UTF8_STRING, NULL_PARAMETER, CONNECT_ACCEPTED, CONNECT_SOCKET_ERROR, SUBSCRIPTION_REFUSED, lostReasonFor } from './codes.js';
import { ImpMqttMessage } from './message.js';
import type { SendCallback } from './message.js';
import { check, declared, handler, table } from './arguments.js';
import { withinCall } from './deferred.js';
import { stopRetrying } from './retry.js';
import { ImpLimits } from './limits.js';
import { DEFAULT_MESSAGE_LIMIT, engineOptions } from './options.js';
import type { ImpClientConfig, ImpConnectOptions } from './options.js';

export type { ImpClientConfig, ImpConnectOptions } from './options.js';

/** onrestored(): a message an earlier process sent has completed; `resultCode` as sendasync's. */
export type RestoredHandler = (topic: string, resultCode: number) => void;

export type ConnectHandler = (resultCode: number) => void;
export type ConnectionLostHandler = ((reasonCode: number) => void) | (() => void);
export interface ImpMessageItem {
  topic: string;
  message: ImpBlob;
  qos: number;
  retain: 0 | 1;
  dup: 0 | 1;
}
export type MessageHandler = (item: ImpMessageItem) => void;
export type SubscribeCallback = ((qosMode: number | number[]) => void) | ((resultCode: number, qosMode: number | number[]) => void);
export type UnsubscribeCallback = (resultCode: number) => void;

/** The agent the client belongs to: it allows one connected client at a time. */
export interface ImpAgent {
  active: ImpMqttClient | null;
  release(client: ImpMqttClient): void;
}

const STATE_CODES = { disconnected: 0, connecting: 1, connected: 2, disconnecting: 3 } as const;

export class ImpMqttClient {
  #core: MqttClient | null = null;
  #url: string | null = null;
  #id: string | null = null;
  #onconnect: ConnectHandler | null = null;
  #onconnectionlost: ConnectionLostHandler | null = null;
  #onmessage: MessageHandler | null = null;
  #onrestored: RestoredHandler | null = null;
  #connectCancelled = false;
  /** Session state per client id (of kept sessions, see connect()), so inbound QoS 2 stays exactly-once across connect() calls. */
  readonly #stores = new Map<string, SessionStore<Completion>>();
  /** This connect()'s size cap and rate limits, as engine hooks. */
  #limits: ImpLimits | null = null;
  readonly #maxPayloadSize: number;
  readonly #maxTopics: number;
  readonly #maxInboundMessageSize: number;
  readonly #agent: ImpAgent;
  readonly #config: ImpClientConfig;

  /** @internal use mqtt.createclient() */
  constructor(agent: ImpAgent, config: ImpClientConfig = {}) {
    this.#agent = agent;
    this.#config = config;
    this.#maxPayloadSize = config.maxPayloadSize ?? DEFAULT_MESSAGE_LIMIT;
    this.#maxTopics = config.maxTopics ?? 10;
    this.#maxInboundMessageSize = config.maxInboundMessageSize ?? DEFAULT_MESSAGE_LIMIT;
  }

  // ---- connection --------------------------------------------------------------------------

  /**
   * Connects asynchronously; the outcome arrives at the onconnect handler (-1, or CONNACK 0–5).
   * Throws when this client is not fully disconnected, another client of the agent is connected,
   * or clientId is not 1–255 characters.
   */
  connect(url: string, clientId: string, options: ImpConnectOptions = {}): void {
    if (this.connectionstate() !== 0) {
      throw usageError('INVALID_STATE', 'connect() before the client is disconnected: wait for the disconnect() callback');
    }
    const other = this.#agent.active;
    if (other !== null && other !== this && other.connectionstate() !== 0) {
      throw usageError('ANOTHER_CLIENT_CONNECTED', 'Only one mqttclient may be connected at a time');
    }
    if (typeof clientId !== 'string' || clientId.length < 1 || clientId.length > 255) {
      throw usageError('INVALID_CLIENT_ID', `The client ID must be 1–255 characters, got ${typeof clientId === 'string' ? clientId.length : typeof clientId}`);
    }
    table(options);
    const keepalive = options.keepalive ?? 60;
    if (!Number.isInteger(keepalive) || (keepalive !== 0 && (keepalive < 30 || keepalive > 65_535))) {
      throw usageError('INVALID_KEEPALIVE', `keepalive must be 0 or 30–65535 seconds, got ${shown(keepalive)}`);
    }
    const limits = new ImpLimits(this.#config.rateLimits, this.#maxInboundMessageSize, (this.#config.clock ?? monotonicNow)());
    let store = this.#stores.get(clientId);
    if (store === undefined) {
      store = options.store?.open(clientId) ?? new MemorySessionStore<Completion>();
      // Kept for the next connect() only where it can matter: a session the broker keeps too, or
      // a durable store (opened once per id). A clean session's state ends with its connection
      // [MQTT-3.1.2-6]; kept, every new client id would add one (~300 bytes) for good.
      if (options.cleansession === false || options.store !== undefined) this.#stores.set(clientId, store);
    }
    const coreOptions = engineOptions(url, clientId, keepalive, options, this.#config, store, limits.hooks_);
    // Refused here, a bad URL, will, credential or limit ends no pending reconnection (the engine checks them again).
    resolveOptions(coreOptions);
    // Neither this client's last engine nor another client's may come back on its own beside this
    // one; stopped before the new engine opens a session on the same store.
    stopRetrying(this.#core);
    if (other !== null && other !== this) stopRetrying(other.#core);
    this.#limits = limits;
    const core = new MqttClient(coreOptions);
    this.#wire(core);
    this.#core = core;
    this.#url = url;
    this.#id = clientId;
    this.#connectCancelled = false;
    this.#agent.active = this;
    core.connect();
  }

  /**
   * Sends DISCONNECT (so no will is published) and calls `callback()` once the connection is
   * fully closed; connect() before then throws. A deliberate disconnect does not fire
   * onconnectionlost. Pending sends complete with -3 or -11.
   */
  disconnect(callback?: (() => void) | null): void {
    callback = handler(callback, 'disconnect');
    const core = this.#core;
    if (core === null) {
      if (callback) queueMicrotask(callback);
      return;
    }
    // Disconnected, the engine still gets the call: it cancels a pending automatic reconnection
    // (retry.ts) and calls back asynchronously.
    if (core.state === 'connecting') this.#connectCancelled = true;
    core.disconnect(() => {
      if (this.#connectCancelled) {
        this.#connectCancelled = false;
        this.#onconnect?.(CONNECT_SOCKET_ERROR);
      }
      if (callback) callback();
    });
  }

  /** JavaScript cannot see a client go out of scope as Squirrel does: close() is that moment made explicit. */
  close(callback?: () => void): void {
    callback = handler(callback, 'close') ?? undefined;
    this.disconnect(() => {
      this.#agent.release(this);
      callback?.();
    });
  }

  isconnected(): boolean {
    return this.connectionstate() === 2;
  }

  /** 0 disconnected, 1 connecting, 2 connected, 3 disconnecting. */
  connectionstate(): 0 | 1 | 2 | 3 {
    return this.#core === null ? 0 : STATE_CODES[this.#core.state];
  }

  /** The client ID given to connect(); null before the first connect(). */
  id(): string | null {
    return this.#id;
  }

  /** The broker URL given to connect(), scheme included; null before the first connect(). */
  url(): string | null {
    return this.#url;
  }

  // ---- handlers (one slot each; null clears) ------------------------------------------------

  onconnect(callback: ConnectHandler | null): void {
    this.#onconnect = handler(callback, 'onconnect');
  }

  /** `callback(reasonCode)` if it declares a parameter, else `callback()`. */
  onconnectionlost(callback: ConnectionLostHandler | null): void {
    this.#onconnectionlost = handler(callback, 'onconnectionlost');
  }

  /** impmqtt's extension, with a durable `store`: completions of messages an earlier process sent. */
  onrestored(callback: RestoredHandler | null): void {
    this.#onrestored = handler(callback, 'onrestored');
  }

  onmessage(callback: MessageHandler | null): void {
    this.#onmessage = handler(callback, 'onmessage');
  }

  // ---- subscriptions -----------------------------------------------------------------------

  /**
   * Subscribes to one topic filter or an array of them (at most 10). Returns 0, or an error
   * code when the request could not be made (-4 rate limit, -5 bad UTF-8, -6 a null topic, -7 U+0000 in a filter,
   * -8 bad filter, -9 bad QoS). The callback gets `(qosMode)` or `(resultCode, qosMode)` by its
   * declared parameters; qosMode is the granted QoS (0x80 when refused), an array when an array
   * was given.
   */
  subscribe(topics: StringOrBlob | StringOrBlob[], qos?: number | number[] | SubscribeCallback | null, callback?: SubscribeCallback | null): number {
    if (typeof qos === 'function') {
      callback = qos;
      qos = undefined;
    }
    callback = handler(callback, 'subscribe');
    const core = this.#requireConnected('subscribe');
    const list = this.#topicList(topics, 'subscribe');
    const many = Array.isArray(topics);
    const subscriptions: { topic: string; qos: QoS }[] = [];
    for (let i = 0; i < list.length; i++) {
      const requested = Array.isArray(qos) ? qos[i] : qos;
      const q = requested ?? 0;
      if (q !== 0 && q !== 1 && q !== 2) return BAD_QOS;
      if (list[i] == null) return NULL_PARAMETER;
      let filter: string;
      try {
        filter = textOf(list[i]!);
      } catch {
        return BAD_UTF8_STRING;
      }
      const problem = check(() => validateTopicFilter(filter));
      if (problem !== 0) return problem;
      subscriptions.push({ topic: filter, qos: q });
    }
    const cb = callback;
    const deliver = cb && ((result: number, qosMode: number | number[]): void => {
      if (declared(cb) >= 2) (cb as (resultCode: number, qosMode: number | number[]) => void)(result, qosMode);
      else (cb as (qosMode: number | number[]) => void)(qosMode);
    });
    return withinCall(deliver, (report) => {
      const refused = (result: number): void => report(result, many ? subscriptions.map(() => SUBSCRIPTION_REFUSED) : SUBSCRIPTION_REFUSED);
      if (this.#idsExhausted(core)) return (refused(Result.NO_MORE_IDS), Result.SUCCESS);
      return core.subscribe(subscriptions, (result, granted) => {
        this.#settle(core, result);
        if (result === 0) report(result, many ? granted : (granted[0] ?? SUBSCRIPTION_REFUSED));
        else refused(result);
      });
    });
  }

  /** Unsubscribes; `callback(0)` only if every topic was unsubscribed, else `callback(-1)`. */
  unsubscribe(topics: StringOrBlob | StringOrBlob[], callback?: UnsubscribeCallback | null): void {
    callback = handler(callback, 'unsubscribe');
    const core = this.#requireConnected('unsubscribe');
    const filters = this.#topicList(topics, 'unsubscribe').map((topic) => {
      const filter = textOf(topic);
      validateTopicFilter(filter);
      return filter;
    });
    withinCall(callback, (report) => {
      if (this.#idsExhausted(core)) return report(Result.FAILURE);
      const admitted = core.unsubscribe(filters, (result) => {
        this.#settle(core, result);
        report(result === 0 ? Result.SUCCESS : Result.FAILURE);
      });
      if (admitted !== 0) report(Result.FAILURE);
    });
  }

  // ---- messages ----------------------------------------------------------------------------

  /** Makes (does not send) a message. Throws for a payload over 256 KB or a bad topic or QoS. */
  createmessage(topic: StringOrBlob, message: StringOrBlob, options: { qos?: number; retain?: boolean } = {}): ImpMqttMessage {
    table(options);
    const name = textOf(topic);
    validateTopicName(name);
    const payload = ownBytesOf(message);
    if (payload.length > this.#maxPayloadSize) {
      throw usageError('PAYLOAD_TOO_LARGE', `The message is ${payload.length} bytes; the limit is ${this.#maxPayloadSize}`);
    }
    const qos = options.qos ?? 0;
    if (qos !== 0 && qos !== 1 && qos !== 2) throw new MqttProtocolError('INVALID_QOS', `qos must be 0, 1 or 2, got ${shown(qos)}`, 'MQTT-3.3.1-4');
    return new ImpMqttMessage(this.#send, name, payload, qos, flag(options.retain, false, 'retain'));
  }

  /** mqttmessage.sendasync(): the result always arrives through the callback, never synchronously. */
  readonly #send = (message: ImpMqttMessage, callback: SendCallback | null | undefined): void => {
    callback = handler(callback, 'sendasync');
    const core = this.#requireConnected('sendasync');
    withinCall(callback, (report) => {
      if (message.qos !== 0 && this.#idsExhausted(core, true)) return report(Result.NO_MORE_IDS);
      const admitted = core.publish(message.topic, message.payload, { qos: message.qos, retain: message.retain }, (result) => {
        this.#settle(core, result);
        report(result);
      });
      if (admitted !== 0) report(admitted);
    });
  };

  // ---- internals ---------------------------------------------------------------------------

  #wire(core: MqttClient): void {
    core.on('connect', () => this.#onconnect?.(CONNECT_ACCEPTED));
    core.on('connectfailed', ({ returnCode }) => {
      if (!this.#connectCancelled) this.#onconnect?.(returnCode ?? CONNECT_SOCKET_ERROR);
    });
    core.on('close', ({ reason }) => {
      if (reason === 'normal') return;
      const lost = this.#onconnectionlost;
      if (lost === null) return;
      if (declared(lost) >= 1) (lost as (reasonCode: number) => void)(lostReasonFor(reason));
      else (lost as () => void)();
    });
    core.on('restored', ({ message, result }) => this.#onrestored?.(message.topic, result));
    core.on('message', (m) => {
      const handler = this.#onmessage;
      if (handler === null) return; // still acknowledged [MQTT-4.5.0-2]
      handler({ topic: m.topic, message: new ImpBlob(m.payload), qos: m.qos, retain: m.retain ? 1 : 0, dup: m.dup ? 1 : 0 });
    });
  }

  /** Gives back the credit of a request that never reached the wire. */
  #settle(core: MqttClient, result: number): void {
    this.#limits?.settle_(result, core.now());
  }

  /**
   * The imp reports -10 at once when every packet id is held [imp-api.md] (by messages in flight
   * or unanswered SUBSCRIBE/UNSUBSCRIBE); the engine underneath would wait for one. A message at
   * maxInflight waits behind that limit, as before ids could run out (it bounds messages only:
   * a subscribe() still gets -10).
   */
  #idsExhausted(core: MqttClient, message = false): boolean {
    return core.queuedCount === 0 && core.packetIdsExhausted_ && !(message && core.inflightCount >= (this.#config.maxInflight ?? Infinity));
  }

  #requireConnected(what: string): MqttClient {
    const core = this.#core;
    if (core === null || core.state !== 'connected') {
      throw usageError('NOT_CONNECTED', `${what}() needs a connected client`);
    }
    return core;
  }

  #topicList(topics: StringOrBlob | StringOrBlob[], what: string): StringOrBlob[] {
    const list = Array.isArray(topics) ? topics : [topics];
    if (list.length === 0) throw usageError('NO_TOPICS', `${what}() needs at least one topic`);
    if (list.length > this.#maxTopics) {
      throw usageError('TOO_MANY_TOPICS', `${what}() takes at most ${this.#maxTopics} topics, got ${list.length}`);
    }
    return list;
  }
}
