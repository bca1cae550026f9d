/**
 * What the client is subscribed to, so it can subscribe again after a fresh session. It
 * follows the application's intent in request order: an unsubscribe removes its filters when
 * it is asked for (even if it is then cut off by a lost connection), and a SUBACK for a
 * subscribe made before that unsubscribe does not bring them back.
 */
import type { QoS, SubackCode, Subscription } from '../packet/index.js';

const BATCH = 100;

/** The maps come with their first entry: a client that never subscribes holds none of them. */
export class SubscriptionRegistry {
  #active: Map<string, QoS> | null = null;
  /** Request counter: orders subscribes against unsubscribes. */
  #sequence = 0;
  #subscribeSequence: WeakMap<object, number> | null = null;
  /** Subscribes awaiting their outcome. */
  #pending = 0;
  /** The sequence number of the latest unsubscribe of each filter (kept only while a subscribe is pending). */
  #unsubscribedAt: Map<string, number> | null = null;

  /** A SUBSCRIBE was asked for (`request` is the object its SUBACK will come back with). */
  subscribeRequested_(request: object): void {
    (this.#subscribeSequence ??= new WeakMap()).set(request, ++this.#sequence);
    this.#pending++;
  }

  /**
   * The subscribe completed: with the SUBACK's codes (`granted`), granted filters are active
   * and refused (0x80) ones are not; without (refused or cut off), nothing changes.
   */
  subscribeCompleted_(request: object, subscriptions: readonly Subscription[], granted: readonly SubackCode[] | null): void {
    const at = this.#subscribeSequence?.get(request);
    if (at === undefined) return;
    this.#subscribeSequence!.delete(request);
    if (granted !== null) {
      subscriptions.forEach((s, i) => {
        if ((this.#unsubscribedAt?.get(s.topic) ?? 0) > at) return; // unsubscribed since
        if (granted[i] === 0x80) this.#active?.delete(s.topic);
        else (this.#active ??= new Map()).set(s.topic, s.qos);
      });
    }
    if (--this.#pending === 0) this.#unsubscribedAt?.clear();
  }

  /** The application asked to unsubscribe: the filters are no longer wanted, whatever happens to the request. */
  unsubscribeRequested_(topics: readonly string[]): void {
    const at = ++this.#sequence;
    for (const topic of topics) {
      this.#active?.delete(topic);
      if (this.#pending > 0) (this.#unsubscribedAt ??= new Map()).set(topic, at);
    }
  }

  /** Everything active, in SUBSCRIBE-sized batches. */
  batches_(): Subscription[][] {
    const all = [...(this.#active ?? [])].map(([topic, qos]) => ({ topic, qos }));
    const batches: Subscription[][] = [];
    for (let i = 0; i < all.length; i += BATCH) batches.push(all.slice(i, i + BATCH));
    return batches;
  }
}
