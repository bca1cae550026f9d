/**
 * The service's per-instance call limit (1,000 SendMessage calls per second by default): one
 * token bucket per instance id, holding one second's worth of calls. Instance ids come from
 * callers, so the table is bounded: past MAX_TRACKED, buckets that are full again (idle
 * instances, which a new bucket would reproduce exactly) are dropped.
 */
import { TokenBucket } from '../common/token-bucket.js';

const MAX_TRACKED = 10_000;

export class InstanceRateLimits {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #perSecond: number;

  /** `perSecond` 0 turns the limit off. */
  constructor(perSecond: number) {
    this.#perSecond = perSecond;
  }

  /** Takes one call from `instance`'s allowance; false when it is used up. */
  admit(instance: string, now: number): boolean {
    if (this.#perSecond === 0) return true;
    let bucket = this.#buckets.get(instance);
    if (bucket === undefined) {
      if (this.#buckets.size >= MAX_TRACKED) this.#dropIdle(now);
      // Still full of busy instances: a caller cycling through instance ids gets no fresh allowance.
      if (this.#buckets.size >= MAX_TRACKED) return false;
      bucket = new TokenBucket({ credits: this.#perSecond, refillPerSecond: this.#perSecond }, now);
      this.#buckets.set(instance, bucket);
    }
    return bucket.tryTake(now);
  }

  #dropIdle(now: number): void {
    for (const [instance, bucket] of this.#buckets) {
      if (bucket.available(now) >= bucket.capacity) this.#buckets.delete(instance);
    }
  }
}
