/**
 * Pip.Services' MqttMessageQueue on the engine: the same methods, keys and wire format, so Pip
 * producers and consumers interoperate with it, without the anchor's bugs (pip-mqtt-queue.md
 * §10): it opens whatever autosubscribe says, publishes and subscribes on one topic, subscribes
 * once (again after a reopen), matches + and # as MQTT does, hands listen() what was buffered,
 * gives each queue its own client id, honours connect_timeout, and survives foreign payloads.
 * Beyond the anchor: a bounded receive buffer with backpressure, and acknowledgement on
 * complete() for at-least-once processing.
 */
import { MqttError, usageError } from '../../errors.js';
import { topicMatches } from '../../packet/index.js';
import type { InboundMessage } from '../../session/index.js';
import { Emitter } from '../../client/emitter.js';
import { MqttClient } from '../../client/mqtt-client.js';
import type { PublishOptions } from '../../client/events.js';
import type { ClientOptions, SessionStoreProvider } from '../../client/options.js';
import { connectionRefused } from '../common/operation-errors.js';
import { settledWithin, startLongTimer } from '../common/settled-within.js';
import { MessagingCapabilities } from './capabilities.js';
import { flatten, resolveSettings } from './config.js';
import type { ConfigValues, QueueSettings } from './config.js';
import { MessageEnvelope } from './envelope.js';
import { Inbox } from './inbox.js';
import { QueueSubscription } from './subscription.js';
import { Sending, engineOptions, envelopeOf, owesAck, payloadOf } from './wire.js';

/** Pip's IMessageReceiver (the promise form). */
export interface MessageReceiver {
  receiveMessage(envelope: MessageEnvelope, queue: MqttMessageQueue): Promise<void> | void;
}

export interface QueueEvents {
  /** A problem that ends no operation: a payload that is not an envelope, a receiver that threw, the connection lost for good (the queue then closes). */
  error(error: MqttError): void;
  /** With a durable store (useStore): an envelope sent by an earlier process has completed. */
  restored(info: { messageId: string | undefined; topic: string; result: number }): void;
}

const SETTLED = Promise.resolve();

export class MqttMessageQueue extends Emitter<QueueEvents> {
  readonly #name: string | undefined;
  #config: ConfigValues = {};
  #store: SessionStoreProvider | undefined;
  #engineOverrides: Partial<ClientOptions> | undefined;
  /** What every send() of this open publishes with (the engine keeps no options object). */
  #sendOptions: PublishOptions | null = null;
  /** This open's engine has a durable store: each message goes with its envelope's id. */
  #durable = false;
  #settings: QueueSettings | null = null;
  #engine: MqttClient | null = null;
  #opened = false;
  #opening: Promise<void> | null = null;
  #closing: Promise<void> = Promise.resolve();
  /** close() calls not yet done: while any is, the queue is closing, whatever #opened says. */
  #pendingCloses = 0;
  /** This open's subscription, made with its engine. */
  #subscription: QueueSubscription | null = null;
  /** receive() calls waiting for the subscription: while any is, later ones wait too (first come, first served). */
  #receivesWaiting = 0;
  /** open() is connected and waits for its autosubscribe. */
  #autosubscribing = false;
  /** #report as a function, made once: a message arriving makes none. */
  readonly #reporter = (error: unknown, what: string): void => this.#report(error, what);
  readonly #inbox = new Inbox({
    queue: this,
    tracksHandOut: () => this.#settings?.ackOn === 'complete',
    changed: () => this.#updateReading(),
    report: this.#reporter,
  });
  /** Messages sent and received since the queue was created. */
  readonly counters = { sent: 0, received: 0 };

  constructor(name?: string) {
    super();
    this.#name = name;
  }

  getName(): string {
    return this.#name ?? '';
  }

  getCapabilities(): MessagingCapabilities {
    return new MessagingCapabilities(false, true, true, true, true, false, false, false, true);
  }

  /** Pip's keys, dotted or nested; later calls add to earlier ones. Checked at open(). */
  configure(config: ConfigValues): void {
    this.#config = { ...this.#config, ...flatten(config) };
  }

  /**
   * impmqtt's extension: a durable session store (e.g. fileStore(dir) from impmqtt/store) for
   * the next open(), so envelopes sent but not yet acknowledged survive the process. Needs a
   * fixed `client_id`; each envelope is stored under its message_id.
   */
  useStore(store: SessionStoreProvider | undefined): void {
    this.#store = store;
  }

  /**
   * @internal Engine options laid over those the configuration gives, from the next open() on:
   * for the benchmark and tests (an in-process transport), which no Pip key can reach.
   */
  useEngineOptions_(overrides: Partial<ClientOptions> | undefined): void {
    this.#engineOverrides = overrides;
  }

  /** Pip's container references: accepted, nothing to resolve here. */
  setReferences(_references?: unknown): void {}

  unsetReferences(): void {}

  isOpen(): boolean {
    return this.#opened;
  }

  /** Connects (once: overlapping calls share one attempt), and subscribes if autosubscribe. */
  open(_correlationId?: string | null): Promise<void> {
    // Open and not closing: nothing to do. A close() still pending would close it after we said open.
    if (this.#opened && this.#pendingCloses === 0) return Promise.resolve();
    this.#opening ??= this.#open().finally(() => {
      this.#opening = null;
    });
    return this.#opening;
  }

  async #open(): Promise<void> {
    await this.#closing; // a reopen waits for the close before it
    const settings = resolveSettings(this.#config);
    const topic = settings.topic || this.#name;
    if (!topic) throw usageError('INVALID_OPTIONS', 'Queue configuration: topic is required (or a queue name)');
    const options: ClientOptions = { ...engineOptions(settings, this.#store), ...this.#engineOverrides };
    this.#settings = settings;
    this.#sendOptions = { qos: settings.qos, retain: settings.retain };
    this.#durable = options.store !== undefined;
    const engine = new MqttClient(options);
    engine.on('message', (message) => this.#arrived(message));
    engine.on('restored', ({ message, result }) => this.emit('restored', { messageId: message.messageId, topic: message.topic, result }));
    await new Promise<void>((resolve, reject) => {
      const onConnect = (): void => {
        engine.off('connect', onConnect).off('connectfailed', onFailed); // later reconnects are the engine's
        // Open from CONNACK on: what the broker sends in the same read is already ours.
        this.#engine = engine;
        this.#subscription = new QueueSubscription(engine, topic, settings.qos, () => this.#engine === engine && this.#opened && !this.#autosubscribing, () => this.#opened);
        this.#opened = true;
        this.#updateReading(); // what the last open left buffered counts against max_buffered
        engine.on('close', lostForGood).on('connectfailed', lostForGood);
        resolve();
      };
      const onFailed = ({ returnCode, error }: { returnCode: number | undefined; error: MqttError }): void => {
        engine.off('connect', onConnect).off('connectfailed', onFailed);
        engine.destroy(); // open() failed: no attempts behind the caller's back
        reject(returnCode !== undefined ? connectionRefused(returnCode, engine.url) : error);
      };
      // Lost with no reconnection to come (retry_connect off, or a refusal retrying cannot fix):
      // said and closed, not left open and silent. The engine schedules its next attempt right after the event.
      const lostForGood = ({ error }: { error: MqttError | undefined }): void =>
        queueMicrotask(() => {
          if (this.#engine === engine && this.#opened && engine.state === 'disconnected' && !engine.reconnecting) this.#lost(error);
        });
      engine.on('connect', onConnect).on('connectfailed', onFailed);
      engine.connect();
    });
    if (!settings.autosubscribe) return;
    this.#autosubscribing = true;
    try {
      await this.#subscribe();
    } catch (error) {
      // open() failed: nothing half-open stays behind. #close() itself: close() would wait for this open() — for ever.
      await this.#close();
      throw error;
    } finally {
      this.#autosubscribing = false;
    }
  }

  /** Closes (after an open() still in progress, which it then undoes). */
  close(_correlationId?: string | null): Promise<void> {
    this.#pendingCloses++;
    // An open() connected and waiting for its autosubscribe's SUBACK is not waited for (a broker
    // may never answer): closing cuts that wait, and open() rejects.
    const opening = this.#autosubscribing ? null : this.#opening;
    this.#closing = (opening ?? Promise.resolve())
      .catch(() => {})
      .then(() => this.#close())
      .finally(() => this.#pendingCloses--);
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (!this.#opened) return;
    const engine = this.#engine!;
    this.#opened = false;
    // UNSUBSCRIBE goes out before DISCONNECT, in order; waiting for its ack could wait for ever.
    if (this.#subscription!.requested && engine.connected) engine.unsubscribe([this.#topic()]);
    this.#inbox.endListen(); // from now on arrivals are buffered (or, owing their ack, left to the broker)
    await new Promise<void>((resolve) => engine.disconnect(() => resolve()));
    this.#engine = null;
    this.#subscription = null;
    // What the broker was told we have (ack_on 'receive', or QoS 0) stays for the next open();
    // what still owes its ack the broker keeps, and sends again to a session it kept.
    this.#inbox.close((envelope) => !owesAck(this.#settings, envelope.getReference() as InboundMessage | undefined));
  }

  /** The connection is lost for good: reported, then the queue closes (open() connects again). */
  #lost(cause: MqttError | undefined): void {
    const error = new MqttError('CONNECTION_LOST', `The queue ${this.toString()} lost its connection and will not reconnect${cause ? ` (${cause.message})` : ''}: it is closed; open() connects again`);
    if (cause !== undefined) (error as { cause?: unknown }).cause = cause;
    this.#report(error, 'connection lost');
    this.#closing = this.#close(); // a reopen waits for it
  }

  send(_correlationId: string | null, envelope: MessageEnvelope): Promise<void> {
    const topic = this.#topic();
    const sending = new Sending(topic, this.counters);
    try {
      const engine = this.#checkOpen();
      const payload = payloadOf(envelope, this.#settings!.serializeEnvelope);
      const admitted = engine.publish(topic, payload, this.#publishOptions(envelope), sending);
      if (admitted !== 0) sending.completed_(admitted);
    } catch (error) {
      sending.fail(error);
    }
    return sending.promise;
  }

  sendAsObject(correlationId: string | null, messageType: string, value: unknown): Promise<void> {
    return this.send(correlationId, new MessageEnvelope(correlationId, messageType, value as object));
  }

  /** The next message, waiting up to `waitTimeout` ms; null when none came (or the queue closed). */
  async receive(_correlationId: string | null, waitTimeout: number): Promise<MessageEnvelope | null> {
    this.#checkOpen();
    if (this.#subscription!.granted && this.#receivesWaiting === 0) {
      // Subscribed: taken a microtask on, as after waiting for the subscription, but without its
      // timer or a clock read (a consumer polling receive() calls it once a message).
      await SETTLED;
      return this.#take(waitTimeout);
    }
    const started = Date.now();
    this.#receivesWaiting++;
    let subscribed: boolean | null;
    try {
      // The wait covers the subscription too: while the broker cannot be reached, null on time.
      subscribed = await settledWithin(this.#subscribe(), waitTimeout).catch((error: unknown) => {
        if (this.#opened) throw error;
        return null; // close() cut the subscription: null, as for a close during the wait
      });
    } finally {
      this.#receivesWaiting--;
    }
    if (subscribed === null) return null;
    return subscribed ? this.#take(waitTimeout - (Date.now() - started)) : this.#inbox.take();
  }

  async peek(_correlationId?: string | null): Promise<MessageEnvelope | null> {
    await this.#subscribedWhileConnected();
    return this.#inbox.buffer[0] ?? null;
  }

  async peekBatch(_correlationId: string | null, messageCount: number): Promise<MessageEnvelope[]> {
    await this.#subscribedWhileConnected();
    return this.#inbox.buffer.slice(0, messageCount);
  }

  /** Messages received and waiting in this queue. */
  async readMessageCount(): Promise<number> {
    return this.#inbox.buffer.length;
  }

  /** Hands every message to `receiver` — those already waiting first — until endListen(). */
  listen(_correlationId: string | null, receiver: MessageReceiver): void {
    this.#checkOpen();
    this.#inbox.listen(receiver);
    this.#subscribe().catch((error: unknown) => this.#report(error, 'subscribe for listen()'));
  }

  beginListen(correlationId: string | null, receiver: MessageReceiver): void {
    queueMicrotask(() => {
      try {
        this.listen(correlationId, receiver);
      } catch (error) {
        this.#report(error, 'beginListen()');
      }
    });
  }

  /** Back to buffering; what the receiver was not yet handed goes to the buffer, ahead of what comes next. */
  endListen(_correlationId?: string | null): void {
    this.#inbox.endListen();
  }

  /**
   * Empties the local buffer. The messages are discarded deliberately, so with ack_on 'complete'
   * they are acknowledged (completed) rather than left to hold the broker's in-flight window.
   */
  async clear(_correlationId?: string | null): Promise<void> {
    const cleared = this.#inbox.buffer;
    this.#inbox.buffer = [];
    for (const envelope of cleared) await this.complete(envelope);
    this.#updateReading();
  }

  /** With options.ack_on 'complete': acknowledges the message to the broker now. Otherwise nothing to do. */
  async complete(message: MessageEnvelope): Promise<void> {
    this.#inbox.handedOut.delete(message);
    const inbound = message.getReference() as InboundMessage | undefined;
    if (inbound !== undefined && this.#settings?.ackOn === 'complete') this.#engine?.acknowledge(inbound);
    message.setReference(undefined);
  }

  /**
   * With options.ack_on 'complete': puts a message received (or handed to the receiver) back,
   * unacknowledged, for the next receive() or the listening receiver. Only once: a message
   * abandoned already, or only peeked, is in the queue and stays there once.
   */
  async abandon(message: MessageEnvelope): Promise<void> {
    if (!this.#inbox.handedOut.delete(message) || !this.#opened) return;
    this.#inbox.route(message, true);
  }

  /** MQTT has no locks: a successful no-op, as in Pip. */
  async renewLock(_message: MessageEnvelope, _lockTimeout: number): Promise<void> {}

  /** MQTT has no dead-letter queue: a successful no-op, as in Pip. */
  async moveToDeadLetter(_message: MessageEnvelope): Promise<void> {}

  override toString(): string {
    return `[${this.getName()}]`;
  }

  // ---- internals ---------------------------------------------------------------------------

  /** `topic` when configured, else the queue name: one topic to publish and subscribe on. */
  #topic(): string {
    return this.#settings?.topic || this.#name || '';
  }

  /** The QoS and retain flag configured; the envelope's id too where a durable store can bring it back ('restored'). */
  #publishOptions(envelope: MessageEnvelope): PublishOptions {
    const options = this.#sendOptions!;
    return this.#durable && envelope.message_id ? { ...options, messageId: envelope.message_id } : options;
  }

  /** The head of the buffer, else the next message to come within `ms`, else null. */
  #take(ms: number): MessageEnvelope | null | Promise<MessageEnvelope | null> {
    const head = this.#inbox.take();
    return head !== null || !(ms > 0) ? head : this.#inbox.wait(ms, startLongTimer);
  }

  #checkOpen(): MqttClient {
    if (!this.#opened || this.#engine === null) throw new MqttError('NOT_OPENED', `The queue ${this.toString()} is not opened`);
    return this.#engine;
  }

  /** Subscribes once per open (and again after a reopen). */
  #subscribe(): Promise<void> {
    this.#checkOpen();
    return this.#subscription!.request();
  }

  /** For peek()/peekBatch(): see QueueSubscription.whileConnected. */
  #subscribedWhileConnected(): Promise<void> {
    this.#checkOpen();
    return this.#subscription!.whileConnected();
  }

  #arrived(inbound: InboundMessage): void {
    const topic = this.#topic();
    // The queue's own topic (no wildcard: the usual case) needs no walk through its levels.
    if (inbound.topic !== topic && !topicMatches(topic, inbound.topic)) {
      // Not ours (a subscription a persistent session kept): acknowledged, so it holds up nothing.
      if (this.#settings?.ackOn === 'complete') this.#engine?.acknowledge(inbound);
      return;
    }
    // Arriving while close() lingers: one whose ack is owed is left unacknowledged for the broker
    // to send again; one the engine has acknowledged is kept for the next open().
    if (!this.#opened && owesAck(this.#settings, inbound)) return;
    const envelope = envelopeOf(inbound, this.#settings!.serializeEnvelope, this.#reporter);
    envelope.setReference(inbound);
    this.counters.received++;
    this.#inbox.route(envelope, false);
  }

  /** Reads from the broker only while the buffer (or the receiver's backlog) has room. */
  #updateReading(): void {
    this.#engine?.setReading(this.#inbox.held < (this.#settings?.maxBuffered ?? Infinity));
  }

  #report(error: unknown, what: string): void {
    const reported = error instanceof MqttError ? error : new MqttError('OPERATION_FAILED', `${what}: ${String(error)}`);
    // An 'error' event nobody listens to would crash Node if it were Node's EventEmitter; here it is a warning.
    if (this.listenerCount('error') > 0) this.emit('error', reported);
    else console.warn(`impmqtt queue ${this.toString()}: ${what}: ${reported.message}`);
  }
}

