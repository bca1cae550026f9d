/**
 * Where and when to try next: the servers in turn (failover) and the backoff between attempts.
 * An attempt that never reached CONNACK, or a connection lost before it was stable (the
 * backoff's `stableAfter`), moves on to the next server: a broker that accepts and drops at once
 * must not hold the client while another works. A stable connection lost is retried on the
 * same server first.
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

  /** The next attempt's delay and number, after a close at `now`; only after willRetry() said yes. */
  next(now: number): { delay: number; attempt: number } {
    const backoff = this.#backoff!;
    if (!backoff.stable_(now)) this.#index = (this.#index + 1) % this.#endpoints.length;
    const delay = backoff.nextDelay(now);
    return { delay, attempt: backoff.attempt };
  }
}
