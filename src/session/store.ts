/**
 * The session state that must outlive a connection [MQTT-4.1.0-1]: outgoing QoS 1/2 flows and
 * the ids of inbound QoS 2 messages already delivered but not yet released.
 */
import type { PublishRequest } from './types.js';

export interface OutgoingFlow {
  packetId: number;
  /** 'publish': waiting for PUBACK (QoS 1) or PUBREC (QoS 2); 'pubrel': waiting for PUBCOMP. */
  stage: 'publish' | 'pubrel';
  request: PublishRequest;
  /** When the PUBLISH or PUBREL last went out (session clock, ms). */
  sentAt: number;
}

export interface SessionStore {
  /** Outgoing flows in the order they must be re-sent. */
  outgoing(): IterableIterator<OutgoingFlow>;
  readonly outgoingCount: number;
  getOutgoing(packetId: number): OutgoingFlow | undefined;
  /** Adds a flow at the end, or records a change to one already held (keeping its place). */
  putOutgoing(flow: OutgoingFlow): void;
  deleteOutgoing(packetId: number): void;
  hasIncoming(packetId: number): boolean;
  addIncoming(packetId: number): void;
  deleteIncoming(packetId: number): void;
  clearIncoming(): void;
}

export class MemorySessionStore implements SessionStore {
  private readonly flows = new Map<number, OutgoingFlow>();
  private readonly incoming = new Set<number>();

  outgoing(): IterableIterator<OutgoingFlow> {
    return this.flows.values();
  }

  get outgoingCount(): number {
    return this.flows.size;
  }

  getOutgoing(packetId: number): OutgoingFlow | undefined {
    return this.flows.get(packetId);
  }

  putOutgoing(flow: OutgoingFlow): void {
    this.flows.set(flow.packetId, flow);
  }

  deleteOutgoing(packetId: number): void {
    this.flows.delete(packetId);
  }

  hasIncoming(packetId: number): boolean {
    return this.incoming.has(packetId);
  }

  addIncoming(packetId: number): void {
    this.incoming.add(packetId);
  }

  deleteIncoming(packetId: number): void {
    this.incoming.delete(packetId);
  }

  clearIncoming(): void {
    this.incoming.clear();
  }
}
