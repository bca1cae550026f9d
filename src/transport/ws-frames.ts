/**
 * RFC 6455 framing for a client: masked frames out, unmasked frames in. Data frames are passed
 * on as their bytes arrive, since MQTT does not care where frames begin or end [MQTT-6.0.0-2].
 */
import { wsError } from './ws-error.js';

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** Fills `target` with random bytes (the masking keys must be unpredictable, RFC 6455 §5.3). */
export type RandomFill = (target: Uint8Array) => void;

/** One masked frame, header and payload in a single allocation. */
export function encodeFrame(opcode: number, payload: Uint8Array, random: RandomFill): Uint8Array {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const headerLength = 2 + lengthBytes + 4;
  const frame = new Uint8Array(headerLength + length);
  frame[0] = 0x80 | opcode; // FIN: we never fragment
  if (lengthBytes === 0) {
    frame[1] = 0x80 | length;
  } else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame[2] = length >>> 8;
    frame[3] = length & 0xff;
  } else {
    frame[1] = 0x80 | 127;
    // MQTT packets stay far below 2^32, so the upper four length bytes are zero.
    frame[6] = (length >>> 24) & 0xff;
    frame[7] = (length >>> 16) & 0xff;
    frame[8] = (length >>> 8) & 0xff;
    frame[9] = length & 0xff;
  }
  const maskAt = 2 + lengthBytes;
  random(frame.subarray(maskAt, maskAt + 4));
  const m0 = frame[maskAt]!;
  const m1 = frame[maskAt + 1]!;
  const m2 = frame[maskAt + 2]!;
  const m3 = frame[maskAt + 3]!;
  let i = 0;
  const out = headerLength;
  for (; i + 3 < length; i += 4) {
    frame[out + i] = payload[i]! ^ m0;
    frame[out + i + 1] = payload[i + 1]! ^ m1;
    frame[out + i + 2] = payload[i + 2]! ^ m2;
    frame[out + i + 3] = payload[i + 3]! ^ m3;
  }
  for (; i < length; i++) frame[out + i] = payload[i]! ^ frame[maskAt + (i & 3)]!;
  return frame;
}

export interface FrameSink {
  /** Bytes of a binary message (possibly a piece of one frame). */
  data(bytes: Uint8Array): void;
  ping(payload: Uint8Array): void;
  close(code: number | undefined, reason: string): void;
}

/** Incremental parser of server-to-client frames. Throws MqttError on a protocol violation. */
export class FrameParser {
  private readonly header = new Uint8Array(14);
  private headerFilled = 0;
  private headerNeeded = 2;
  private opcode = 0;
  private final = true;
  private payloadLeft = 0;
  private inPayload = false;
  /** Control frames (≤ 125 bytes) are gathered whole. */
  private control: Uint8Array | null = null;
  private controlFilled = 0;
  /** The opcode of a fragmented message in progress, or -1. */
  private messageOpcode = -1;

  push(chunk: Uint8Array, sink: FrameSink): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.inPayload) {
        offset = this.readHeader(chunk, offset);
        if (!this.inPayload) return;
        if (this.payloadLeft === 0) this.frameDone(sink);
        continue;
      }
      const take = Math.min(this.payloadLeft, chunk.length - offset);
      const piece = chunk.subarray(offset, offset + take);
      offset += take;
      this.payloadLeft -= take;
      if (this.control !== null) {
        this.control.set(piece, this.controlFilled);
        this.controlFilled += take;
      } else if (take > 0) {
        sink.data(piece);
      }
      if (this.payloadLeft === 0) this.frameDone(sink);
    }
  }

  private readHeader(chunk: Uint8Array, offset: number): number {
    while (this.headerFilled < this.headerNeeded && offset < chunk.length) {
      this.header[this.headerFilled++] = chunk[offset++]!;
      if (this.headerFilled === 2) this.headerNeeded = this.headerSize();
    }
    if (this.headerFilled < this.headerNeeded) return offset;
    this.startFrame();
    return offset;
  }

  private headerSize(): number {
    const b1 = this.header[1]!;
    if (b1 & 0x80) throw wsError('The server sent a masked frame');
    const length = b1 & 0x7f;
    return 2 + (length === 126 ? 2 : length === 127 ? 8 : 0);
  }

  private startFrame(): void {
    const h = this.header;
    const b0 = h[0]!;
    if (b0 & 0x70) throw wsError('A frame has reserved bits set (no extension was negotiated)');
    this.final = (b0 & 0x80) !== 0;
    this.opcode = b0 & 0x0f;
    const short = h[1]! & 0x7f;
    let length = short;
    if (short === 126) length = (h[2]! << 8) | h[3]!;
    else if (short === 127) {
      if (h[2] || h[3] || h[4] || h[5]) throw wsError('A frame longer than 4 GiB');
      length = ((h[6]! << 24) >>> 0) + (h[7]! << 16) + (h[8]! << 8) + h[9]!;
    }
    this.payloadLeft = length;
    this.inPayload = true;
    this.headerFilled = 0;
    this.headerNeeded = 2;
    const op = this.opcode;
    if (op >= 0x8) {
      if (!this.final || length > 125) throw wsError('A control frame is fragmented or longer than 125 bytes');
      if (op !== OPCODE.close && op !== OPCODE.ping && op !== OPCODE.pong) throw wsError(`Unknown control opcode ${op}`);
      this.control = new Uint8Array(length);
      this.controlFilled = 0;
      return;
    }
    this.control = null;
    if (op === OPCODE.text || (op === OPCODE.continuation && this.messageOpcode === OPCODE.text)) {
      throw wsError('The server sent a text frame; MQTT travels in binary frames [MQTT-6.0.0-1]');
    }
    if (op === OPCODE.continuation) {
      if (this.messageOpcode === -1) throw wsError('A continuation frame with no message to continue');
    } else if (op === OPCODE.binary) {
      if (this.messageOpcode !== -1) throw wsError('A new message began inside a fragmented one');
    } else {
      throw wsError(`Unknown data opcode ${op}`);
    }
    this.messageOpcode = this.final ? -1 : OPCODE.binary;
  }

  private frameDone(sink: FrameSink): void {
    this.inPayload = false;
    const control = this.control;
    if (control === null) return;
    this.control = null;
    if (this.opcode === OPCODE.ping) sink.ping(control);
    else if (this.opcode === OPCODE.close) {
      // RFC 6455 §5.5.1: a close body is a 2-byte code and a UTF-8 reason, or nothing.
      if (control.length === 1) throw wsError('A close frame with a 1-byte body');
      const code = control.length >= 2 ? (control[0]! << 8) | control[1]! : undefined;
      let reason: string;
      try {
        reason = new TextDecoder('utf-8', { fatal: true }).decode(control.subarray(2));
      } catch {
        throw wsError('A close frame whose reason is not UTF-8');
      }
      sink.close(code, reason);
    }
  }
}
