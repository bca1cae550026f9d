/**
 * The session's deadlines, all on the injected clock: CONNACK wait, keepalive PINGREQ after
 * `keepalive` seconds without sending [MQTT-3.1.2-23] or without receiving, and the PINGRESP
 * wait. Silence from the broker counts as well as our own: a client that only publishes QoS 0
 * keeps sending, and would otherwise never learn that a half-open connection is dead.
 *
 * While the caller has stopped reading (inbound backpressure), the broker's answers wait unread:
 * silence then proves nothing, so no PINGRESP is awaited and only our own sending drives
 * PINGREQ (the broker still needs them). Reading again starts a fresh interval.
 */
export class SessionDeadlines {
  /** Infinity when keepalive is off. */
  #keepaliveMs = Infinity;
  #pingTimeoutMs = 0;
  /** When the CONNACK must have arrived; Infinity when not waiting. */
  connackDeadline_ = Infinity;
  /** When an answer to our PINGREQ must have arrived; Infinity when none is outstanding. */
  pingDeadline_ = Infinity;
  /** When the broker was last heard from. */
  #lastReceived = 0;
  #paused = false;
  readonly #pingTimeoutOption: number | undefined;

  constructor(pingTimeoutOption: number | undefined) {
    this.#pingTimeoutOption = pingTimeoutOption;
  }

  connecting_(keepaliveSeconds: number, connackDeadline: number): void {
    this.#keepaliveMs = keepaliveSeconds * 1000 || Infinity;
    // By default the wait for PINGRESP is half the interval: silence is declared at 1.5×
    // keepalive, the same tolerance the broker applies to us.
    this.#pingTimeoutMs = this.#pingTimeoutOption ?? Math.max(1000, this.#keepaliveMs / 2);
    this.connackDeadline_ = connackDeadline;
    this.pingDeadline_ = Infinity;
  }

  connected_(now: number): void {
    this.connackDeadline_ = Infinity;
    this.#lastReceived = now;
  }

  stopped_(): void {
    this.connackDeadline_ = Infinity;
    this.pingDeadline_ = Infinity;
  }

  /** Is a PINGREQ due, given when we last sent anything? */
  pingDue_(lastSent: number, now: number): boolean {
    return now >= this.#pingAt(lastSent);
  }

  /**
   * When the next PINGREQ is due. While one is unanswered only our own sending counts: a
   * pingTimeout longer than keepalive must not stretch the gap between our packets past it
   * [MQTT-3.1.2-23], and the broker's silence already has its deadline.
   */
  #pingAt(lastSent: number): number {
    return (this.pingDeadline_ === Infinity ? this.#quietSince(lastSent) : lastSent) + this.#keepaliveMs;
  }

  pingSent_(now: number): void {
    // The wait runs from the first PINGREQ unanswered.
    if (!this.#paused && this.pingDeadline_ === Infinity) this.pingDeadline_ = now + this.#pingTimeoutMs;
  }

  /** The caller stopped (false) or resumed (true) reading from the broker. */
  reading_(reading: boolean, now: number): void {
    this.#paused = !reading;
    if (reading) this.#lastReceived = now;
    else this.pingDeadline_ = Infinity;
  }

  /** Since when the link has been quiet, as far as we can tell. */
  #quietSince(lastSent: number): number {
    return this.#paused ? lastSent : Math.min(lastSent, this.#lastReceived);
  }

  /** Anything from the broker proves the connection alive; a PINGRESP ends the wait. */
  received_(isPingresp: boolean, now: number): void {
    this.#lastReceived = now;
    if (this.pingDeadline_ === Infinity) return;
    this.pingDeadline_ = isPingresp ? Infinity : now + this.#pingTimeoutMs;
  }

  /** The next time `tick` has work, given when we last sent anything. */
  next_(lastSent: number): number {
    return Math.min(this.connackDeadline_, this.pingDeadline_, this.#pingAt(lastSent));
  }
}
