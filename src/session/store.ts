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
  /** Connections the broker closed while this PUBLISH was the oldest unacknowledged (see undeliverableAfter). */
  closes?: number;
}

export interface SessionStore<T = unknown> {
  /** Outgoing flows in the order they must be re-sent. */
  outgoing(): IterableIterator<OutgoingFlow<T>>;
  readonly outgoingCount: number;
  getOutgoing(packetId: number): OutgoingFlow<T> | undefined;
  /**
   * Adds a flow at the end, or records a change to one already held: one that reached stage
   * 'pubrel' moves to the end (PUBRELs are re-sent in PUBREC order [MQTT-4.6.0-4]); a re-send
   * keeps its place.
   */
  putOutgoing(flow: OutgoingFlow<T>): void;
  deleteOutgoing(packetId: number): void;
  hasIncoming(packetId: number): boolean;
  addIncoming(packetId: number): void;
  deleteIncoming(packetId: number): void;
  clearIncoming(): void;
  // A durable store's part: what it needs to bring back messages accepted but not yet sent.
  /** A publish was queued (offline, or over maxInflight) before getting a packet id. */
  queued?(request: PublishRequest<T>): void;
  /** A queued publish left the session without a flow: sent at QoS 0, refused or dropped. */
  settled?(request: PublishRequest<T>): void;
  /** Publishes queued by an earlier process, oldest first (read once, at the session's start). */
  restoredQueue?(): PublishRequest<T>[];
  /** Makes every change so far durable; called before any action the changes justify is taken. */
  flush?(): void;
}

/** What an empty store iterates (never written). */
const NO_FLOWS: ReadonlyMap<number, never> = new Map<number, never>();

/**
 * The default store. Its map and set come with their first entry: a client that publishes only
 * QoS 0 and receives no QoS 2 holds neither (about 350 bytes per idle client).
 */
export class MemorySessionStore<T = unknown> implements SessionStore {
  #flows: Map<number, OutgoingFlow<T>> | null = null;
  #incoming: Set<number> | null = null;

  outgoing(): IterableIterator<OutgoingFlow<T>> {
    return (this.#flows ?? NO_FLOWS).values();
  }

  get outgoingCount(): number {
    return this.#flows?.size ?? 0;
  }

  getOutgoing(packetId: number): OutgoingFlow<T> | undefined {
    return this.#flows?.get(packetId);
  }

  putOutgoing(flow: OutgoingFlow<T>): void {
    const flows = (this.#flows ??= new Map());
    if (flow.stage === 'pubrel' && flows.get(flow.packetId) === flow) flows.delete(flow.packetId);
    flows.set(flow.packetId, flow);
  }

  deleteOutgoing(packetId: number): void {
    this.#flows?.delete(packetId);
  }

  hasIncoming(packetId: number): boolean {
    return this.#incoming?.has(packetId) ?? false;
  }

  addIncoming(packetId: number): void {
    (this.#incoming ??= new Set()).add(packetId);
  }

  deleteIncoming(packetId: number): void {
    this.#incoming?.delete(packetId);
  }

  clearIncoming(): void {
    this.#incoming?.clear();
  }
}
