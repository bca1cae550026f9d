/**
 * Packet identifiers 1..65535, never one held by an open flow [MQTT-2.3.1-2]. Fresh ids are
 * handed out in order; released ids are reused first-in first-out, so an id rests as long as
 * possible before it returns. Every operation is O(1) amortised.
 */
const MAX_ID = 65_535;

export class PacketIdAllocator {
  private readonly inUse = new Uint8Array(MAX_ID + 1);
  private nextFresh = 1;
  /** Ring buffer of released ids, oldest first. An id is in it at most once. */
  private readonly released = new Uint16Array(MAX_ID + 1);
  private releasedHead = 0;
  private releasedLength = 0;
  private count = 0;

  /** How many ids are held. */
  get size(): number {
    return this.count;
  }

  /** A free id, now held; 0 when all 65,535 are in use. */
  allocate(): number {
    if (this.count === MAX_ID) return 0;
    while (this.nextFresh <= MAX_ID) {
      const id = this.nextFresh++;
      if (this.inUse[id] === 0) return this.hold(id);
    }
    while (this.releasedLength > 0) {
      const id = this.released[this.releasedHead]!;
      this.releasedHead = (this.releasedHead + 1) % (MAX_ID + 1);
      this.releasedLength--;
      // An id reserved again after its release still sits in the ring; skip it.
      if (this.inUse[id] === 0) return this.hold(id);
    }
    return 0;
  }

  /** Holds a specific id (a flow restored from a store). False if it is already held. */
  reserve(id: number): boolean {
    if (this.inUse[id] !== 0) return false;
    this.hold(id);
    return true;
  }

  release(id: number): void {
    if (this.inUse[id] === 0) return;
    this.inUse[id] = 0;
    this.count--;
    if (id < this.nextFresh) {
      // Ids at or above nextFresh are still found by the fresh scan.
      this.released[(this.releasedHead + this.releasedLength) % (MAX_ID + 1)] = id;
      this.releasedLength++;
    }
  }

  isInUse(id: number): boolean {
    return this.inUse[id] === 1;
  }

  private hold(id: number): number {
    this.inUse[id] = 1;
    this.count++;
    return id;
  }
}
