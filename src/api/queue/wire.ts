/**
 * Between the queue and its engine: the client options a queue's settings give the engine, the
 * payload an envelope is sent as, and the envelope an inbound message becomes. Kept apart from
 * mqtt-message-queue.ts to keep that small.
 */
import type { ClientOptions, SessionStoreProvider } from '../../client/options.js';
import { utf8Encode } from '../../packet/bytes.js';
import { randomHex } from '../../random.js';
import type { InboundMessage } from '../../session/index.js';
import { operationFailed } from '../common/operation-errors.js';
import type { QueueSettings } from './config.js';
import { MessageEnvelope } from './envelope.js';

/** Pip's keys as engine options: its own client id per queue unless one is configured. */
export function engineOptions(settings: QueueSettings, store: SessionStoreProvider | undefined): ClientOptions {
  return {
    url: settings.uri,
    clientId: settings.clientId ?? `impmqtt-queue-${randomHex(6)}`,
    keepalive: settings.keepalive,
    cleanSession: settings.cleanSession,
    connectTimeout: settings.connectTimeout,
    reconnect: settings.retryConnect ? { initialDelay: settings.reconnectTimeout, maxDelay: Math.max(settings.reconnectTimeout, 30_000) } : false,
    manualAck: settings.ackOn === 'complete',
    undeliverableAfter: settings.undeliverableAfter,
    ...(settings.username !== undefined && { username: settings.username }),
    ...(settings.password !== undefined && { password: settings.password }),
    ...(store !== undefined && { store }),
  };
}

/**
 * One send(): its promise, settled when the engine completes the publish, whose Completer it is
 * (the engine calls completed_ where a callback would go). Its executor is a closure per send:
 * one executor shared by all sends, handing the resolvers over through module variables, was not
 * inlined by V8 and cost about 300 instructions a send more.
 */
export class Sending {
  readonly promise: Promise<void>;
  #resolve!: () => void;
  #reject!: (error: unknown) => void;

  constructor(
    private readonly topic: string,
    /** The queue's counters: `sent` counts this one once delivered. */
    private readonly counters: { sent: number },
  ) {
    this.promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  completed_(result: number): void {
    if (result !== 0) return this.fail(operationFailed(result, `send to '${this.topic}'`));
    this.counters.sent++;
    this.#resolve();
  }

  fail(error: unknown): void {
    this.#reject(error);
  }
}

const EMPTY = new Uint8Array(0);

/** What send() publishes: Pip's envelope JSON (sent_time set now, as Pip mutates it), or the raw body. */
export function payloadOf(envelope: MessageEnvelope, serializeEnvelope: boolean): Uint8Array {
  if (!serializeEnvelope) return envelope.message ?? EMPTY;
  envelope.sent_time = new Date();
  return utf8Encode(envelope.toJSONText());
}

/**
 * The envelope for `inbound`: parsed when the queue serialises envelopes, else (or when the
 * payload is not an envelope, which `report` is told) the raw bytes as an envelope of the topic.
 */
export function envelopeOf(inbound: InboundMessage, serializeEnvelope: boolean, report: (error: unknown, what: string) => void): MessageEnvelope {
  if (serializeEnvelope) {
    try {
      const envelope = MessageEnvelope.fromBytes_(inbound.payload);
      if (envelope !== null) return envelope;
    } catch (error) {
      // A foreign payload never takes the queue down: reported, then handed on as raw bytes.
      report(error, `a message on '${inbound.topic}' that is not an envelope (handed on as raw bytes)`);
    }
  }
  // A view of the read, as the engine hands it: the inbox copies what it keeps for later.
  const payload = inbound.payload;
  return inbound.packetId === undefined ? new MessageEnvelope(null, inbound.topic, payload) : MessageEnvelope.withId_(packetIdText(inbound.packetId), null, inbound.topic, payload);
}

/** Three decimal digits, zero-padded, for 0 to 999; made by the first packetIdText of an id ≥ 1,000. */
let threeDigits: string[] | undefined;

function makeThreeDigits(): string[] {
  const table: string[] = [];
  for (let n = 0; n < 1_000; n++) table.push(String(n).padStart(3, '0'));
  return table;
}

/**
 * String(id) for a packet id (1 to 65,535), the thousands and the rest joined: packet ids run
 * through all 65,535 values, so nearly every String(id) of an id ≥ 1,000 missed V8's number-string
 * cache, where the thousands are one of 65 and the rest one of a table's thousand.
 */
export function packetIdText(id: number): string {
  if (id < 1_000) return String(id);
  const thousands = (id / 1_000) | 0; // 1 to 65: always in V8's cache
  return String(thousands) + (threeDigits ??= makeThreeDigits())[id - thousands * 1_000]!;
}

/**
 * ack_on 'complete' and QoS 1/2: the broker is told only at complete(). An envelope without its
 * message (complete() lets go of it: one completed after it was abandoned back into the buffer)
 * owes nothing.
 */
export function owesAck(settings: QueueSettings | null, inbound: InboundMessage | undefined): boolean {
  return settings?.ackOn === 'complete' && inbound !== undefined && inbound.qos !== 0;
}
