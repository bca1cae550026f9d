/**
 * A token bucket on an injected clock: the faces' rate limits (the imp's per-direction message
 * credits, the gateway's calls per second per instance) without a timer of their own.
 */
export interface BucketOptions {
  /** Credits when full. Default 40. */
  credits?: number;
  /** Credits regained per second. */
  refillPerSecond: number;
}

export class TokenBucket {
  #credits: number;
  #updatedAt: number;
  declare readonly capacity: number; // assigned by the constructor (declare: no field emitted beside it)
  readonly #refillPerSecond: number;

  constructor(options: BucketOptions, now: number) {
    this.capacity = options.credits ?? 40;
    this.#refillPerSecond = options.refillPerSecond;
    this.#credits = this.capacity;
    this.#updatedAt = now;
  }

  available(now: number): number {
    this.#refill(now);
    return this.#credits;
  }

  /** Takes one credit if there is one; false when the limit is reached. */
  tryTake(now: number): boolean {
    this.#refill(now);
    if (this.#credits < 1) return false;
    this.#credits -= 1;
    return true;
  }

  /** Gives back a credit taken for something that was then not sent. */
  refund(now: number): void {
    this.#refill(now);
    this.#credits = Math.min(this.capacity, this.#credits + 1);
  }

  /** Charges one credit that cannot be refused (a protocol acknowledgement); may go into debt. */
  charge(now: number): void {
    this.#refill(now);
    this.#credits -= 1;
  }

  /** True when the balance is below zero: more arrived than the limit allows. */
  exceeded(now: number): boolean {
    this.#refill(now);
    return this.#credits < 0;
  }

  #refill(now: number): void {
    const elapsed = now - this.#updatedAt;
    if (elapsed > 0) {
      this.#credits = Math.min(this.capacity, this.#credits + (elapsed / 1000) * this.#refillPerSecond);
      this.#updatedAt = now;
    }
  }
}
