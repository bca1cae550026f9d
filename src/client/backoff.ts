/**
 * Reconnect delays: exponential growth with full jitter (a uniformly random delay up to the
 * exponential cap), so a fleet that lost its broker does not return in lockstep. The attempt
 * count resets only after a connection stayed up for `stableAfter`, so a broker that accepts
 * and then drops at once cannot pull clients into a tight reconnect loop.
 */
import { usageError } from '../errors.js';
import { atLeast } from '../session/session.js';

export interface BackoffOptions {
  /** Cap of the first delay, ms. Default 1,000. */
  initialDelay?: number;
  /** Largest cap, ms. Default 60,000. */
  maxDelay?: number;
  /** A connection up this long resets the growth, ms. Default 10,000. */
  stableAfter?: number;
}

export class Backoff {
  #attempts = 0;
  /** When the connection now ending came up; Infinity when there was none. */
  #connectedAt = Infinity;
  readonly #initialDelay: number;
  readonly #maxDelay: number;
  readonly #stableAfter: number;
  readonly #random: () => number;

  constructor(options: BackoffOptions = {}, random: () => number = Math.random) {
    this.#random = random;
    // Not an object: MQTT.js users write reconnectPeriod: 0 for "off", and a 0 must not read as on.
    if (typeof options != 'object') throw usageError('INVALID_OPTIONS', 'reconnect is a boolean or an object');
    this.#initialDelay = atLeast(0, options.initialDelay ?? 1_000, 'initialDelay');
    this.#maxDelay = atLeast(this.#initialDelay, options.maxDelay ?? 60_000, 'maxDelay');
    // stableAfter decides failover too: NaN would mean never stable, a negative value always.
    this.#stableAfter = atLeast(0, options.stableAfter ?? 10_000, 'stableAfter');
  }

  get attempt(): number {
    return this.#attempts;
  }

  connected(now: number): void {
    this.#connectedAt = now;
  }

  /** Whether the connection that ended at `now` had stayed up for `stableAfter`. */
  stable_(now: number): boolean {
    return now - this.#connectedAt >= this.#stableAfter;
  }

  /** The delay before the next attempt, after a connection (or attempt) ended at `now`. */
  nextDelay(now: number): number {
    if (this.stable_(now)) this.#attempts = 0;
    this.#connectedAt = Infinity;
    // Growth needs a base: with initialDelay 0 the first retry is at once, the next back off from 100 ms.
    const base = this.#initialDelay > 0 || this.#attempts === 0 ? this.#initialDelay : 100;
    const cap = Math.min(this.#maxDelay, base * 2 ** Math.min(this.#attempts, 30));
    this.#attempts++;
    return Math.floor(this.#random() * cap);
  }

  reset(): void {
    this.#attempts = 0;
    this.#connectedAt = Infinity;
  }
}
