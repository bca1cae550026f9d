/** A received message, as the async face hands it out. */
import type { QoS } from '../../packet/index.js';
import type { InboundMessage } from '../../session/index.js';
import { Topic } from './topic.js';

const utf8 = new TextDecoder();

export class Message {
  /** The payload bytes (a view of what was received; copy it to keep it past heavy traffic). */
  readonly payload: Uint8Array;
  /** The QoS it was delivered with: the lower of the publisher's and the subscription's. */
  readonly qos: QoS;
  readonly retain: boolean;
  readonly dup: boolean;
  /** The broker's packet identifier (QoS 1 and 2). */
  readonly packetId: number | undefined;
  readonly #inbound: InboundMessage;
  readonly #ack: ((message: InboundMessage) => Promise<void>) | undefined;
  #topic: Topic | undefined;

  /** @internal */
  constructor(inbound: InboundMessage, ack: ((message: InboundMessage) => Promise<void>) | undefined) {
    this.#inbound = inbound;
    this.#ack = ack;
    this.payload = inbound.payload;
    this.qos = inbound.qos;
    this.retain = inbound.retain;
    this.dup = inbound.dup;
    this.packetId = inbound.packetId;
  }

  /** The topic it was published to (made on first use: routing needs only the string). */
  get topic(): Topic {
    return (this.#topic ??= Topic.received(this.#inbound.topic));
  }

  /** @internal the topic as received. */
  get topicName(): string {
    return this.#inbound.topic;
  }

  /** The payload as UTF-8 text. */
  text(): string {
    return utf8.decode(this.payload);
  }

  /** The payload parsed as JSON (a SyntaxError if it is not). */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }

  /**
   * With `manualAck: true`: releases the PUBACK (QoS 1) or PUBREC (QoS 2). Nothing is
   * acknowledged before the application asks, and acks leave in the order the messages came
   * [MQTT-4.6.0-2]: this one goes out once every message received before it is acknowledged
   * too. Resolves at once (and does nothing without manualAck, for QoS 0, or for a message of a
   * connection since lost, which the broker sends again to a session it kept).
   */
  ack(): Promise<void> {
    return this.#ack?.(this.#inbound) ?? Promise.resolve();
  }
}
