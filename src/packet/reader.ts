/** A bounds-checked cursor over one packet's body; truncation and overrun are protocol errors. */
import { protocolError } from '../errors.js';
import { readUtf8 } from './utf8.js';

export class Reader {
  bytes: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
  /** Names the packet in error messages. */
  packet = '';

  reset(bytes: Uint8Array, start: number, end: number, packet: string): this {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    this.packet = packet;
    return this;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(what: string): number {
    if (this.pos >= this.end) this.#truncated(what);
    return this.bytes[this.pos++]!;
  }

  u16(what: string): number {
    if (this.pos + 2 > this.end) this.#truncated(what);
    const value = (this.bytes[this.pos]! << 8) | this.bytes[this.pos + 1]!;
    this.pos += 2;
    return value;
  }

  /** A non-zero packet identifier [MQTT-2.3.1-1]. */
  packetId(): number {
    const id = this.u16('packet identifier');
    if (id === 0) protocolError('INVALID_PACKET_ID', `${this.packet} carries packet identifier 0`, 'MQTT-2.3.1-1');
    return id;
  }

  /** Steps over a length-prefixed field; returns where its content starts (it ends at `pos`). */
  field(what: string): number {
    const length = this.u16(what);
    if (this.pos + length > this.end) this.#truncated(what);
    const start = this.pos;
    this.pos += length;
    return start;
  }

  string(what: string): string {
    const start = this.field(what);
    return readUtf8(this.bytes, start, this.pos, what);
  }

  /** A length-prefixed binary field as a zero-copy view. */
  binary(what: string): Uint8Array {
    const start = this.field(what);
    return this.bytes.subarray(start, this.pos);
  }

  /** Everything left, as a zero-copy view. */
  rest(): Uint8Array {
    const start = this.pos;
    this.pos = this.end;
    return this.bytes.subarray(start, this.end);
  }

  /** Refuses bytes left over after the last field. */
  done(): void {
    if (this.pos !== this.end) {
      protocolError('MALFORMED_PACKET', `${this.packet} has ${this.end - this.pos} unexpected trailing bytes`);
    }
  }

  #truncated(what: string): never {
    return protocolError('MALFORMED_PACKET', `${this.packet} is too short: ${what} is cut off`);
  }
}
