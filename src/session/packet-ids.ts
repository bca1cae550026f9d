/**
 * Packet identifiers 1..65535, never one held by an open flow [MQTT-2.3.1-2]. They are handed
 * out in cyclic order: the search for a free id starts after the last one handed out, so an id
 * comes back only once the search has gone round every other id — as long a rest as a
 * first-in first-out line of released ids gives when flows end in the order they began, the
 * usual case. Such a line, kept before, grew with the ids released to ~0.7 MB per client once
 * each had been used (hours of QoS 1 publishing), and stayed. The in-use bitmap (8 KiB) is now
 * the whole state, allocated on the first id, so a client that never needs one pays nothing.
 * The search skips held ids a word (32) at a time: O(1) amortised over a round of the id space,
 * 2,048 words at most when nearly every id is held.
 */
export const MAX_PACKET_ID = 65_535;
/** A word of the bitmap whose 32 ids are all held. */
const FULL = 0xffff_ffff;

export class PacketIdAllocator {
  /** Bit i set = id i held; created on first use. */
  #bits: Uint32Array | null = null;
  #count = 0;
  /** The id handed out last: the search for the next starts after it. */
  #last = 0;

  /** How many ids are held. */
  get size(): number {
    return this.#count;
  }

  /** All 65,535 ids are held. */
  get full_(): boolean {
    return this.#count === MAX_PACKET_ID;
  }

  /** A free id, now held; 0 when all 65,535 are in use. */
  allocate(): number {
    if (this.full_) return 0;
    const bits = (this.#bits ??= new Uint32Array((MAX_PACKET_ID + 1) / 32));
    let id = this.#last;
    do {
      id = id === MAX_PACKET_ID ? 1 : id + 1;
      // A word of held ids: on to its last id, which the loop steps past. (Word 0 holds id 0,
      // never handed out, so it is never full.)
      if (bits[id >>> 5] === FULL) id |= 31;
    } while ((bits[id >>> 5]! & (1 << (id & 31))) !== 0);
    this.#last = id;
    return this.#hold(id);
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
