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

/**
 * The default store. Its flows and set come with their first entry: a client that publishes only
 * QoS 0 and receives no QoS 2 holds neither (about 350 bytes per idle client).
 *
 * The flows are not values of a Map. A busy Map is rebuilt every so many puts, and once its table
 * is in the old generation the table it leaves behind stays there, whole, until a full collection:
 * the flows in it, with their requests and the callbacks and promises those hold, outlive every
 * young collection meanwhile and are promoted. With 1,000 QoS 1 publishes in flight that was a
 * third of the client's CPU (bench/async.mjs). Here the Map holds positions, numbers, which keep
 * nothing alive, and the flows stand in one array emptied in place.
 */
export class MemorySessionStore<T = unknown> implements SessionStore {
  /** Open flows in the order they are re-sent; undefined where one ended, until compacted. */
  #flows: (OutgoingFlow<T> | undefined)[] | null = null;
  /** Each open flow's index in #flows, by packet id. */
  #at: Map<number, number> | null = null;
  #incoming: Set<number> | null = null;

  /** A snapshot: flows put or deleted meanwhile do not change it. */
  outgoing(): IterableIterator<OutgoingFlow<T>> {
    return (this.#flows ?? []).filter((flow) => flow !== undefined).values();
  }

  get outgoingCount(): number {
    return this.#at?.size ?? 0;
  }

  getOutgoing(packetId: number): OutgoingFlow<T> | undefined {
    const index = this.#at?.get(packetId);
    return index === undefined ? undefined : this.#flows![index];
  }

  putOutgoing(flow: OutgoingFlow<T>): void {
    const flows = (this.#flows ??= []);
    const at = (this.#at ??= new Map());
    const index = at.get(flow.packetId);
    if (index !== undefined) {
      // A change keeps the flow's place; one that reached 'pubrel' moves to the end.
      const moves = flow.stage === 'pubrel' && flows[index] === flow;
      flows[index] = moves ? undefined : flow;
      if (!moves) return;
    }
    at.set(flow.packetId, flows.push(flow) - 1);
  }

  deleteOutgoing(packetId: number): void {
    const index = this.#at?.get(packetId);
    if (index === undefined) return;
    this.#at!.delete(packetId);
    this.#flows![index] = undefined;
    // Once the holes outnumber the flows: O(1) per flow.
    if (this.#flows!.length > 2 * this.#at!.size + 32) this.#compact();
  }

  /** Closes the holes in place: a new array would leave the old one, holding its flows, to the collector. */
  #compact(): void {
    const flows = this.#flows!;
    let kept = 0;
    for (const flow of flows) {
      if (flow === undefined) continue;
      this.#at!.set(flow.packetId, kept);
      flows[kept++] = flow;
    }
    flows.length = kept;
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
