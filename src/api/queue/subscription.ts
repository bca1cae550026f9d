/**
 * The queue's one subscription on one open()'s engine: requested once, sent again when a lost
 * connection cuts it off before its SUBACK, and tried afresh after a refusal. Kept apart from
 * mqtt-message-queue.ts to keep that small.
 */
import { MqttError } from '../../errors.js';
import type { MqttClient } from '../../client/mqtt-client.js';
import type { QoS } from '../../packet/index.js';
import { INCOMPLETE } from '../../session/result-codes.js';
import { operationFailed } from '../common/operation-errors.js';

export class QueueSubscription {
  readonly #engine: MqttClient;
  readonly #topic: string;
  readonly #qos: QoS;
  /** Whether one cut off by a lost connection is sent again (not for open()'s own: it fails instead). */
  readonly #resends: () => boolean;
  readonly #isOpen: () => boolean;
  #pending: Promise<void> | null = null;
  /** The last request known to have succeeded: while it is #pending, nothing need wait for it. */
  #granted: Promise<void> | null = null;

  constructor(engine: MqttClient, topic: string, qos: QoS, resends: () => boolean, isOpen: () => boolean) {
    this.#engine = engine;
    this.#topic = topic;
    this.#qos = qos;
    this.#resends = resends;
    this.#isOpen = isOpen;
  }

  /** A SUBSCRIBE has gone out (or waits to) and was not refused. */
  get requested(): boolean {
    return this.#pending !== null;
  }

  get granted(): boolean {
    return this.#pending !== null && this.#pending === this.#granted;
  }

  /** Subscribes once (the next call after a refusal tries again). */
  request(): Promise<void> {
    if (this.#pending !== null) return this.#pending;
    const engine = this.#engine;
    const topic = this.#topic;
    const subscribing = new Promise<void>((resolve, reject) => {
      const submit = (): number =>
        engine.subscribe([{ topic, qos: this.#qos }], (rc, granted) => {
          // Cut off by a lost connection before its SUBACK: the engine restores only what was
          // granted, so it is sent again, for the reconnection (or -3 at once if none will come).
          if (rc === INCOMPLETE && this.#resends()) queueMicrotask(submit);
          else if (rc !== 0) reject(operationFailed(rc, `subscribe to '${topic}'`));
          else if (granted[0] === 0x80) reject(new MqttError('SUBSCRIPTION_REFUSED', `The broker refused the subscription to '${topic}'`));
          else resolve();
        });
      submit();
    });
    this.#pending = subscribing;
    subscribing.then(
      () => (this.#granted = subscribing),
      () => {
        if (this.#pending === subscribing) this.#pending = null;
      },
    );
    return subscribing;
  }

  /**
   * For peek()/peekBatch(): the subscription, waited for while the connection lasts (a SUBACK is
   * a round trip) but not through an outage: a look at the queue answers from what was received
   * rather than hang for as long as the broker is away. The subscription goes on meanwhile.
   */
  async whileConnected(): Promise<void> {
    const engine = this.#engine;
    const subscribing = this.request();
    if (!engine.connected) return;
    await new Promise<void>((resolve, reject) => {
      const onClose = (): void => resolve();
      engine.once('close', onClose);
      // Closed meanwhile: no error, as for receive(); the close cut the subscription.
      subscribing.then(resolve, (error: unknown) => (this.#isOpen() ? reject(error) : resolve())).finally(() => engine.off('close', onClose));
    });
  }
}
