/**
 * Streaming decoder: bytes in, whole packets out, whatever the chunking. A packet that lies
 * wholly inside one chunk is decoded in place (its payload is a view of that chunk); only a
 * packet straddling chunks is assembled, into one buffer of exactly its size.
 */
import { allocBytes, asBytes } from './bytes.js';
import { checkFixedFlags } from './checks.js';
import { decodeBody } from './decode.js';
import { MqttProtocolError, protocolError } from './errors.js';
import { readRemainingLength } from './length.js';
import { MAX_REMAINING_LENGTH } from './types.js';
import type { Packet } from './types.js';

export interface PacketDecoderOptions {
  /** Largest whole packet (fixed header included) accepted, in bytes; checked before buffering. */
  maxPacketSize?: number;
}

const MAX_FIXED_HEADER = 5;

export class PacketDecoder {
  readonly maxPacketSize: number;
  /** A fixed header cut off by the end of a chunk. */
  private readonly head = new Uint8Array(MAX_FIXED_HEADER);
  private headLength = 0;
  /** A packet of known size being assembled across chunks. */
  private partial: Uint8Array | null = null;
  private partialFilled = 0;
  private partialBodyStart = 0;
  private failure: MqttProtocolError | null = null;
  private readonly headerSize = new Int32Array(1);

  constructor(options: PacketDecoderOptions = {}) {
    const max = options.maxPacketSize ?? 1 + MAX_FIXED_HEADER + MAX_REMAINING_LENGTH;
    if (!(max >= 2)) throw new RangeError(`maxPacketSize must be at least 2, got ${max}`);
    this.maxPacketSize = max;
  }

  /** Bytes held back waiting for the rest of a packet. */
  get buffered(): number {
    return this.headLength + this.partialFilled;
  }

  /**
   * Returns every packet this chunk completes. After a protocol error the decoder refuses all
   * further input: the connection it serves must close [MQTT-4.8.0-1].
   */
  push(chunk: Uint8Array): Packet[] {
    if (this.failure !== null) {
      throw new MqttProtocolError('DECODER_FAILED', `The decoder stopped at an earlier error: ${this.failure.message}`);
    }
    try {
      return this.consume(asBytes(chunk));
    } catch (error) {
      this.failure = error instanceof MqttProtocolError ? error : new MqttProtocolError('MALFORMED_PACKET', `Undecodable input: ${String(error)}`);
      this.partial = null;
      this.headLength = this.partialFilled = 0;
      throw this.failure;
    }
  }

  private consume(bytes: Uint8Array): Packet[] {
    const out: Packet[] = [];
    const end = bytes.length;
    let offset = 0;
    if (this.headLength > 0) offset = this.completeHead(bytes);
    if (this.partial !== null) {
      offset = this.fillPartial(bytes, offset, out);
      if (this.partial !== null) return out;
    }
    const headerSize = this.headerSize;
    while (offset < end) {
      const first = bytes[offset]!;
      checkFixedFlags(first);
      const remainingLength = readRemainingLength(bytes, offset + 1, end, headerSize);
      if (remainingLength < 0) {
        this.head.set(bytes.subarray(offset, end));
        this.headLength = end - offset;
        break;
      }
      const bodyStart = offset + 1 + headerSize[0]!;
      const total = bodyStart - offset + remainingLength;
      if (total > this.maxPacketSize) this.tooLarge(total);
      if (offset + total > end) {
        this.startPartial(total, bodyStart - offset);
        this.partial!.set(bytes.subarray(offset, end));
        this.partialFilled = end - offset;
        break;
      }
      out.push(decodeBody(first, bytes, bodyStart, offset + total));
      offset += total;
    }
    return out;
  }

  /** Feeds the cut-off fixed header byte by byte until its Remaining Length is whole. */
  private completeHead(bytes: Uint8Array): number {
    let offset = 0;
    while (offset < bytes.length) {
      this.head[this.headLength++] = bytes[offset++]!;
      const remainingLength = readRemainingLength(this.head, 1, this.headLength, this.headerSize);
      if (remainingLength >= 0) {
        const headerLength = 1 + this.headerSize[0]!;
        const total = headerLength + remainingLength;
        if (total > this.maxPacketSize) this.tooLarge(total);
        this.startPartial(total, headerLength);
        this.partial!.set(this.head.subarray(0, headerLength));
        this.partialFilled = headerLength;
        this.headLength = 0;
        break;
      }
    }
    return offset;
  }

  private startPartial(total: number, bodyStart: number): void {
    this.partial = allocBytes(total);
    this.partialBodyStart = bodyStart;
  }

  private fillPartial(bytes: Uint8Array, offset: number, out: Packet[]): number {
    const partial = this.partial!;
    const take = Math.min(partial.length - this.partialFilled, bytes.length - offset);
    if (take > 0) {
      partial.set(bytes.subarray(offset, offset + take), this.partialFilled);
      this.partialFilled += take;
    }
    if (this.partialFilled === partial.length) {
      this.partial = null;
      this.partialFilled = 0;
      out.push(decodeBody(partial[0]!, partial, this.partialBodyStart, partial.length));
    }
    return offset + take;
  }

  private tooLarge(total: number): never {
    return protocolError('PACKET_TOO_LARGE', `A ${total}-byte packet exceeds maxPacketSize ${this.maxPacketSize}`);
  }
}
