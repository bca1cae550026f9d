/**
 * Streaming decoder: bytes in, whole packets out, whatever the chunking. A packet that lies
 * wholly inside one chunk is decoded in place (its payload is a view of that chunk); only a
 * packet straddling chunks is assembled, into one buffer of exactly its size.
 */
import { allocBytes, asBytes } from './bytes.js';
import { bytesOfChunk } from './chunk.js';
import { checkFixedFlags } from './checks.js';
import { decodeWith } from './readers.js';
import type { Readers } from './readers.js';
import { MqttProtocolError, protocolError, usageError } from '../errors.js';
import { BODY_START, readRemainingLength } from './length.js';
import { MAX_REMAINING_LENGTH } from './types.js';
import type { Packet } from './types.js';

export interface PacketDecoderOptions {
  /**
   * Largest whole packet (fixed header included) accepted, in bytes; checked before buffering.
   * With a limit, a packet cut across chunks is assembled in one buffer of its exact size,
   * allocated from its header (uninitialised memory: the OS commits pages only as bytes
   * arrive), so its bytes are copied once. Without one, packets over 1 MiB are assembled in a
   * buffer that doubles as bytes arrive, so a forged 256 MB header costs nothing up front and
   * later at most twice the bytes that came, each byte copied at most twice more on average.
   */
  maxPacketSize?: number;
}

const MAX_FIXED_HEADER = 5;
/** Returned when a chunk completes no packet, to spare an allocation per small chunk. */
const NO_PACKETS: Packet[] = Object.freeze([]) as unknown as Packet[];
/** Without a maxPacketSize, packets up to this size are assembled in a buffer allocated from their header. */
const PREALLOCATE_LIMIT = 1 << 20;
/** Below this many bytes a loop copies faster than subarray() + set(). */
const LOOP_COPY_LIMIT = 64;

function copyBytes(source: Uint8Array, from: number, to: number, target: Uint8Array, at: number): void {
  if (to - from < LOOP_COPY_LIMIT) {
    for (let i = from; i < to; i++) target[at++] = source[i]!;
  } else {
    target.set(source.subarray(from, to), at);
  }
}

/** The streaming decoder over a table of readers; PacketDecoder is it with every reader. */
export class StreamDecoder {
  declare readonly maxPacketSize: number; // assigned by the constructor (declare: no field emitted beside it)
  readonly #preallocateLimit: number;
  /** A fixed header cut off by the end of a chunk (allocated the first time one is). */
  #head: Uint8Array | null = null;
  #headLength = 0;
  /**
   * A packet of known size being assembled across chunks: its exact size up to the preallocation
   * limit, else grown by doubling. Not a list of views of the chunks: one view per chunk costs
   * ~200 bytes of heap, so a peer dripping a forged 256 MB packet a byte at a time got 200 times
   * the memory it sent.
   */
  #partial: Uint8Array | null = null;
  #partialLength = 0;
  #partialFilled = 0;
  #partialBodyStart = 0;
  #failure: MqttProtocolError | null = null;
  readonly #readers: Readers;

  constructor(options: PacketDecoderOptions, readers: Readers) {
    this.#readers = readers;
    const max = options.maxPacketSize ?? MAX_FIXED_HEADER + MAX_REMAINING_LENGTH; // a first byte and four of Remaining Length
    if (!(max >= 2)) throw usageError('INVALID_OPTIONS', `maxPacketSize must be 2 or more, got ${String(max)}`);
    this.maxPacketSize = max;
    this.#preallocateLimit = options.maxPacketSize ?? PREALLOCATE_LIMIT;
  }

  /** Bytes held back waiting for the rest of a packet. */
  get buffered(): number {
    return this.#headLength + this.#partialFilled;
  }

  /**
   * Returns every packet this chunk completes (a shared empty array when none: do not mutate
   * it). After a protocol error the decoder refuses all further input: the connection it
   * serves must close [MQTT-4.8.0-1].
   */
  push(chunk: Uint8Array | ArrayBuffer): Packet[] {
    if (this.#failure !== null) {
      throw new MqttProtocolError('DECODER_FAILED', `Decoder failed earlier: ${this.#failure.message}`, undefined, 'peer');
    }
    const bytes = asBytes(bytesOfChunk(chunk)); // not bytes: the caller's mistake, not the peer's, and the decoder stays usable
    try {
      return this.#consume(bytes);
    } catch (error) {
      // The rules the codec enforces either way were broken by whoever sent these bytes.
      this.#failure = error instanceof MqttProtocolError ? MqttProtocolError.fromPeer(error) : new MqttProtocolError('MALFORMED_PACKET', `Undecodable: ${String(error)}`, undefined, 'peer');
      this.#partial = null;
      this.#headLength = this.#partialFilled = this.#partialLength = 0;
      throw this.#failure;
    }
  }

  #consume(bytes: Uint8Array): Packet[] {
    let out: Packet[] | null = null;
    const end = bytes.length;
    let offset = 0;
    if (this.#headLength > 0) offset = this.#completeHead(bytes);
    if (this.#partialLength > 0) {
      offset = this.#fillPartial(bytes, offset);
      if (this.#partialFilled < this.#partialLength) return NO_PACKETS;
      out = [this.#decodePartial()];
    }
    const bodyStartOut = BODY_START;
    while (offset < end) {
      const first = bytes[offset]!;
      const typeCode = checkFixedFlags(first);
      const remainingLength = readRemainingLength(bytes, offset + 1, end);
      if (remainingLength < 0) {
        copyBytes(bytes, offset, end, (this.#head ??= new Uint8Array(MAX_FIXED_HEADER)), 0);
        this.#headLength = end - offset;
        break;
      }
      const bodyStart = bodyStartOut[0]!;
      const total = bodyStart - offset + remainingLength;
      if (total > this.maxPacketSize) this.#tooLarge(total);
      if (offset + total > end) {
        this.#startPartial(total, bodyStart - offset, bytes, offset);
        break;
      }
      const packet = decodeWith(this.#readers, typeCode, first, bytes, bodyStart, offset + total);
      if (out === null) out = [packet];
      else out.push(packet);
      offset += total;
    }
    return out ?? NO_PACKETS;
  }

  /** Feeds the cut-off fixed header byte by byte until its Remaining Length is whole. */
  #completeHead(bytes: Uint8Array): number {
    const head = this.#head!;
    let offset = 0;
    while (offset < bytes.length) {
      head[this.#headLength++] = bytes[offset++]!;
      const remainingLength = readRemainingLength(head, 1, this.#headLength);
      if (remainingLength >= 0) {
        const headerLength = BODY_START[0]!;
        const total = headerLength + remainingLength;
        if (total > this.maxPacketSize) this.#tooLarge(total);
        this.#startPartial(total, headerLength, head.subarray(0, headerLength), 0);
        this.#headLength = 0;
        break;
      }
    }
    return offset;
  }

  /** Starts assembling a packet of `total` bytes with what `bytes` holds of it from `offset`. */
  #startPartial(total: number, bodyStart: number, bytes: Uint8Array, offset: number): void {
    this.#partialLength = total;
    this.#partialFilled = 0;
    this.#partialBodyStart = bodyStart;
    this.#partial = allocBytes(total <= this.#preallocateLimit ? total : 0);
    this.#fillPartial(bytes, offset);
  }

  /** Takes what `bytes` holds of the packet being assembled; returns the offset after it. */
  #fillPartial(bytes: Uint8Array, offset: number): number {
    const take = Math.min(this.#partialLength - this.#partialFilled, bytes.length - offset);
    const filled = this.#partialFilled;
    let partial = this.#partial!;
    if (filled + take > partial.length) {
      // Doubling (capped at the packet's size) keeps the copies of what is held linear in all.
      partial = allocBytes(Math.min(this.#partialLength, Math.max(filled + take, 2 * partial.length)));
      copyBytes(this.#partial!, 0, filled, partial, 0);
      this.#partial = partial;
    }
    copyBytes(bytes, offset, offset + take, partial, filled);
    this.#partialFilled = filled + take;
    return offset + take;
  }

  #decodePartial(): Packet {
    // Full, so exactly the packet's size (growth never passes it).
    const packet = this.#partial!;
    this.#partial = null;
    this.#partialLength = this.#partialFilled = 0;
    return decodeWith(this.#readers, packet[0]! >>> 4, packet[0]!, packet, this.#partialBodyStart, packet.length); // its first byte checked on arrival
  }

  #tooLarge(total: number): never {
    return protocolError('PACKET_TOO_LARGE', `A packet must be maxPacketSize (${this.maxPacketSize}) bytes or less, got ${total}`);
  }
}
