/**
 * Turns the packets produced in one turn of the event loop into one write, and honours the
 * transport's backpressure: while a write is pending drain, packets accumulate and QoS 0
 * completions (which mean "handed to the transport") wait with them.
 */
import { allocBytes } from '../packet/bytes.js';
import { encode, encodeInto, encodedLength } from '../packet/index.js';
import type { Packet } from '../packet/index.js';
import type { Transport } from '../transport/index.js';

export class PacketWriter {
  private packets: Packet[] = [];
  private completions: ((result: 0) => void)[] = [];
  private scheduled = false;
  private waitingForDrain = false;
  private transport: Transport | null = null;

  constructor(private readonly onError: (error: unknown) => void) {}

  attach(transport: Transport): void {
    this.transport = transport;
    this.waitingForDrain = false;
  }

  /** Drops unsent packets: the connection they were for is gone. Their completions are returned. */
  detach(): ((result: 0) => void)[] {
    this.transport = null;
    this.packets = [];
    const completions = this.completions;
    this.completions = [];
    return completions;
  }

  get pendingPackets(): number {
    return this.packets.length;
  }

  add(packet: Packet): void {
    this.packets.push(packet);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flushScheduled);
    }
  }

  /** Runs `done(0)` once the packets added so far have been handed to the transport. */
  afterWrite(done: (result: 0) => void): void {
    this.completions.push(done);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flushScheduled);
    }
  }

  drain(): void {
    this.waitingForDrain = false;
    this.flush();
  }

  private readonly flushScheduled = (): void => {
    this.scheduled = false;
    this.flush();
  };

  /** Writes everything pending now (also used before a graceful close). */
  flush(): void {
    if (this.waitingForDrain || this.transport === null) return;
    const packets = this.packets;
    if (packets.length > 0) {
      this.packets = [];
      let bytes: Uint8Array;
      try {
        bytes = encodeAll(packets);
      } catch (error) {
        this.onError(error);
        return;
      }
      this.waitingForDrain = !this.transport.write(bytes);
    }
    if (this.completions.length > 0 && !this.waitingForDrain) {
      const completions = this.completions;
      this.completions = [];
      for (const done of completions) done(0);
    }
  }
}

function encodeAll(packets: Packet[]): Uint8Array {
  if (packets.length === 1) return encode(packets[0]!);
  let total = 0;
  for (const packet of packets) total += encodedLength(packet);
  const bytes = allocBytes(total);
  let offset = 0;
  for (const packet of packets) offset += encodeInto(packet, bytes, offset);
  return bytes;
}
