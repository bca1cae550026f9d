/**
 * The session's deadlines, all on the injected clock: CONNACK wait, keepalive PINGREQ after
 * `keepalive` seconds without sending [MQTT-3.1.2-23], and the PINGRESP wait.
 */
export class SessionTimers {
  private keepaliveMs = 0;
  private pingTimeoutMs = 0;
  /** When the CONNACK must have arrived; Infinity when not waiting. */
  connackDeadline = Infinity;
  /** When an answer to our PINGREQ must have arrived; Infinity when none is outstanding. */
  pingDeadline = Infinity;

  constructor(
    private readonly connackTimeoutMs: number,
    private readonly pingTimeoutOption: number | undefined,
  ) {}

  connecting(keepaliveSeconds: number, now: number): void {
    this.keepaliveMs = keepaliveSeconds * 1000;
    // By default the wait for PINGRESP is half the interval: silence is declared at 1.5×
    // keepalive, the same tolerance the broker applies to us.
    this.pingTimeoutMs = this.pingTimeoutOption ?? Math.max(1000, this.keepaliveMs / 2);
    this.connackDeadline = now + this.connackTimeoutMs;
    this.pingDeadline = Infinity;
  }

  connected(): void {
    this.connackDeadline = Infinity;
  }

  stopped(): void {
    this.connackDeadline = Infinity;
    this.pingDeadline = Infinity;
    this.keepaliveMs = 0;
  }

  /** Is a PINGREQ due, given when we last sent anything? */
  pingDue(lastSent: number, now: number): boolean {
    return this.keepaliveMs > 0 && this.pingDeadline === Infinity && now - lastSent >= this.keepaliveMs;
  }

  pingSent(now: number): void {
    this.pingDeadline = now + this.pingTimeoutMs;
  }

  /** Anything from the broker proves the connection alive; a PINGRESP ends the wait. */
  received(isPingresp: boolean, now: number): void {
    if (this.pingDeadline === Infinity) return;
    this.pingDeadline = isPingresp ? Infinity : now + this.pingTimeoutMs;
  }

  /** The next time `tick` has work, given when we last sent anything. */
  next(lastSent: number): number {
    const ping = this.keepaliveMs > 0 && this.pingDeadline === Infinity ? lastSent + this.keepaliveMs : Infinity;
    return Math.min(this.connackDeadline, this.pingDeadline, ping);
  }
}
