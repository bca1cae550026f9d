/**
 * The session state that must outlive a connection [MQTT-4.1.0-1]: outgoing QoS 1/2 flows and
 * the ids of inbound QoS 2 messages already delivered but not yet released.
 */
import type { PublishRequest } from './types.js';

export interface OutgoingFlow<T = unknown> {
  packetId: number;
  /** 'publish': waiting for PUBACK (QoS 1) or PUBREC (QoS 2); 'pubrel': waiting for PUBCOMP. */
  stage: 'publish' | 'pubrel';
  request: PublishRequest<T>;
  /** When the PUBLISH or PUBREL last went out (session clock, ms). */
  sentAt: number;
}

export interface SessionStore<T = unknown> {
  /** Outgoing flows in the order they must be re-sent. */
  outgoing(): IterableIterator<OutgoingFlow<T>>;
  readonly outgoingCount: number;
  getOutgoing(packetId: number): OutgoingFlow<T> | undefined;
  /** Adds a flow at the end, or records a change to one already held (keeping its place). */
  putOutgoing(flow: OutgoingFlow<T>): void;
  deleteOutgoing(packetId: number): void;
  hasIncoming(packetId: number): boolean;
  addIncoming(packetId: number): void;
  deleteIncoming(packetId: number): void;
  clearIncoming(): void;
}

export class MemorySessionStore<T = unknown> implements SessionStore {
  readonly #flows = new Map<number, OutgoingFlow<T>>();
  readonly #incoming = new Set<number>();

  outgoing(): IterableIterator<OutgoingFlow<T>> {
    return this.#flows.values();
  }

  get outgoingCount(): number {
    return this.#flows.size;
  }

  getOutgoing(packetId: number): OutgoingFlow<T> | undefined {
    return this.#flows.get(packetId);
  }

  putOutgoing(flow: OutgoingFlow<T>): void {
    this.#flows.set(flow.packetId, flow);
  }

  deleteOutgoing(packetId: number): void {
    this.#flows.delete(packetId);
  }

  hasIncoming(packetId: number): boolean {
    return this.#incoming.has(packetId);
  }

  addIncoming(packetId: number): void {
    this.#incoming.add(packetId);
  }

  deleteIncoming(packetId: number): void {
    this.#incoming.delete(packetId);
  }

  clearIncoming(): void {
    this.#incoming.clear();
  }
}
