/**
 * Where and when to try next: the servers in turn (failover) and the backoff between attempts.
 * An attempt that never reached CONNACK moves on to the next server; a lost connection is
 * retried on the same one first.
 */
import { Backoff } from './backoff.js';
import type { BackoffOptions } from './backoff.js';
import type { Endpoint } from '../transport/index.js';

export class Failover {
  #index = 0;
  readonly #backoff: Backoff | null;
  readonly #endpoints: readonly Endpoint[];

  constructor(endpoints: readonly Endpoint[], reconnect: BackoffOptions | false) {
    this.#endpoints = endpoints;
    this.#backoff = reconnect === false ? null : new Backoff(reconnect);
  }

  /** The server in use, or to be tried next. */
  get endpoint(): Endpoint {
    return this.#endpoints[this.#index]!;
  }

  /** The application starts over: growth forgotten. */
  restart(): void {
    this.#backoff?.reset();
  }

  connected(now: number): void {
    this.#backoff?.connected(now);
  }

  /** Whether to try again after an attempt that ended with CONNACK `refused` (undefined: none). */
  willRetry_(refused: number | undefined): boolean {
    // Refusals other than "server unavailable" (3) will not change by retrying.
    return this.#backoff !== null && (refused === undefined || refused === 3);
  }

  /** The next attempt's delay and number; only after willRetry() said yes. */
  next(wasConnected: boolean, now: number): { delay: number; attempt: number } {
    if (!wasConnected) this.#index = (this.#index + 1) % this.#endpoints.length;
    const backoff = this.#backoff!;
    const delay = backoff.nextDelay(now);
    return { delay, attempt: backoff.attempt };
  }
}
