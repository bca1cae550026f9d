/**
 * Packet identifiers 1..65535, never one held by an open flow [MQTT-2.3.1-2]. Fresh ids are
 * handed out in order; released ids are reused first-in first-out, so an id rests as long as
 * possible before it returns. Every operation is O(1) amortised. The in-use bitmap (8 KiB) is
 * allocated on the first id, so a client that never needs one pays nothing.
 */
import { Fifo } from './queue.js';

export const MAX_PACKET_ID = 65_535;

export class PacketIdAllocator {
  /** Bit i set = id i held; created on first use. */
  #bits: Uint32Array | null = null;
  #count = 0;
  #nextFresh = 1;
  /** Released ids, oldest first (only those below nextFresh; the fresh scan finds the rest). */
  readonly #released = new Fifo<number>();

  /** How many ids are held. */
  get size(): number {
    return this.#count;
  }

  /** A free id, now held; 0 when all 65,535 are in use. */
  allocate(): number {
    if (this.#count === MAX_PACKET_ID) return 0;
    while (this.#nextFresh <= MAX_PACKET_ID) {
      const id = this.#nextFresh++;
      if (!this.isInUse(id)) return this.#hold(id);
    }
    for (let id = this.#released.shift(); id !== undefined; id = this.#released.shift()) {
      // An id reserved again after its release can still be queued; skip it.
      if (!this.isInUse(id)) return this.#hold(id);
    }
    return 0;
  }

  /** Holds a specific id (a flow restored from a store). False if it is already held. */
  reserve(id: number): boolean {
    if (this.isInUse(id)) return false;
    this.#hold(id);
    return true;
  }

  release(id: number): void {
    if (!this.isInUse(id)) return;
    this.#bits![id >>> 5]! &= ~(1 << (id & 31));
    this.#count--;
    if (id < this.#nextFresh) this.#released.push(id);
  }

  isInUse(id: number): boolean {
    const bits = this.#bits;
    return bits !== null && (bits[id >>> 5]! & (1 << (id & 31))) !== 0;
  }

  #hold(id: number): number {
    const bits = (this.#bits ??= new Uint32Array((MAX_PACKET_ID + 1) / 32));
    bits[id >>> 5]! |= 1 << (id & 31);
    this.#count++;
    return id;
  }
}
