/** What the session's parts share: the action list they append to and the send clock. */
import type { MqttError, Packet } from '../packet/index.js';
import type { CloseReason } from './outcomes.js';
import type { SessionAction } from './types.js';

export class SessionContext<T = unknown> {
  actions_: SessionAction<T>[] = [];
  /** When the last packet was handed out for sending (drives keepalive [MQTT-3.1.2-23]). */
  lastSent_ = 0;
  /** Set when a part decides the connection must end; the Session acts on it. */
  closeRequest_: { reason: CloseReason; error?: MqttError } | null = null;

  send(packet: Packet, now: number): void {
    this.actions_.push({ type: 'send', packet });
    this.lastSent_ = now;
  }

  emit(action: SessionAction<T>): void {
    this.actions_.push(action);
  }

  requestClose_(reason: CloseReason, error?: MqttError): void {
    if (this.closeRequest_ === null) this.closeRequest_ = error ? { reason, error } : { reason };
  }
}
