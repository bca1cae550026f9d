/** What the client is subscribed to, so it can subscribe again after a fresh session. */
import type { QoS, SubackCode, Subscription } from '../packet/index.js';

const BATCH = 100;

export class SubscriptionRegistry {
  private readonly active = new Map<string, QoS>();

  get size(): number {
    return this.active.size;
  }

  /** A SUBACK arrived: granted filters are active, refused (0x80) ones are not. */
  subscribed(subscriptions: readonly Subscription[], granted: readonly SubackCode[]): void {
    subscriptions.forEach((s, i) => (granted[i] === 0x80 ? this.active.delete(s.topic) : this.active.set(s.topic, s.qos)));
  }

  unsubscribed(topics: readonly string[]): void {
    for (const topic of topics) this.active.delete(topic);
  }

  /** Everything active, in SUBSCRIBE-sized batches. */
  batches(): Subscription[][] {
    const all = [...this.active].map(([topic, qos]) => ({ topic, qos }));
    const batches: Subscription[][] = [];
    for (let i = 0; i < all.length; i += BATCH) batches.push(all.slice(i, i + BATCH));
    return batches;
  }
}
