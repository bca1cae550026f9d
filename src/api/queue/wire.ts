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

const noop = (): void => {};
/** The functions of the promise `capture` was last the executor of: it captures nothing, so none is made per send. */
let capturedResolve: () => void = noop;
let capturedReject: (error: unknown) => void = noop;
function capture(resolve: () => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/**
 * One send(): its promise, settled when the engine completes the publish, whose Completer it is
 * (the engine calls completed_ where a callback would go): a send makes no closure, and its
 * promise's executor is one function for all (a queue may send thousands a second).
 */
export class Sending {
  readonly promise: Promise<void>;
  readonly #resolve: () => void;
  readonly #reject: (error: unknown) => void;

  constructor(
    private readonly topic: string,
    /** The queue's counters: `sent` counts this one once delivered. */
    private readonly counters: { sent: number },
  ) {
    this.promise = new Promise<void>(capture);
    this.#resolve = capturedResolve;
    this.#reject = capturedReject;
    capturedResolve = capturedReject = noop; // not kept past its promise
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
  // A copy: a buffered envelope must not pin the read it arrived in. (new Uint8Array copies at
  // once; Uint8Array.from would walk the bytes through an iterator.)
  const payload = new Uint8Array(inbound.payload);
  return inbound.packetId === undefined ? new MessageEnvelope(null, inbound.topic, payload) : MessageEnvelope.withId_(packetIdText(inbound.packetId), null, inbound.topic, payload);
}

/** The character code of the decimal digit of `id` worth `place` (1, 10, 100, …). */
const digit = (id: number, place: number): number => 0x30 + (((id / place) | 0) % 10);

/**
 * String(id) for a packet id (1 to 65,535), made by one String.fromCharCode: packet ids run
 * through all 65,535 values, so nearly every String(id) missed V8's number-string cache.
 */
export function packetIdText(id: number): string {
  if (id < 10) return String.fromCharCode(digit(id, 1));
  if (id < 100) return String.fromCharCode(digit(id, 10), digit(id, 1));
  if (id < 1_000) return String.fromCharCode(digit(id, 100), digit(id, 10), digit(id, 1));
  if (id < 10_000) return String.fromCharCode(digit(id, 1_000), digit(id, 100), digit(id, 10), digit(id, 1));
  return String.fromCharCode(digit(id, 10_000), digit(id, 1_000), digit(id, 100), digit(id, 10), digit(id, 1));
}

/**
 * ack_on 'complete' and QoS 1/2: the broker is told only at complete(). An envelope without its
 * message (complete() lets go of it: one completed after it was abandoned back into the buffer)
 * owes nothing.
 */
export function owesAck(settings: QueueSettings | null, inbound: InboundMessage | undefined): boolean {
  return settings?.ackOn === 'complete' && inbound !== undefined && inbound.qos !== 0;
}
