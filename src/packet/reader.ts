/** A bounds-checked cursor over one packet's body; truncation and overrun are protocol errors. */
import { protocolError } from '../errors.js';
import { checkPacketId } from './checks.js';
import { packetName } from './types.js';
import { readUtf8 } from './utf8.js';

/** Its members end in _, the codec's own (mangled in the browser build): the readers of each packet family use them. */
export class Reader {
  bytes_: Uint8Array = new Uint8Array(0);
  pos_ = 0;
  end_ = 0;
  /** The packet's type code (names it in error messages and in the packets of the fixed-layout types). */
  type_ = 0;

  reset_(bytes: Uint8Array, start: number, end: number, typeCode: number): this {
    this.bytes_ = bytes;
    this.pos_ = start;
    this.end_ = end;
    this.type_ = typeCode;
    return this;
  }

  u8_(what: string): number {
    if (this.pos_ >= this.end_) this.#truncated(what);
    return this.bytes_[this.pos_++]!;
  }

  u16_(what: string): number {
    if (this.pos_ + 2 > this.end_) this.#truncated(what);
    return (this.bytes_[this.pos_++]! << 8) | this.bytes_[this.pos_++]!;
  }

  /** A non-zero packet identifier [MQTT-2.3.1-1]. */
  packetId_(): number {
    const id = this.u16_('packet identifier');
    if (id === 0) checkPacketId(id, packetName(this.type_));
    return id;
  }

  /** Steps over a length-prefixed field; returns where its content starts (it ends at `pos`). */
  field_(what: string): number {
    const length = this.u16_(what);
    if (this.pos_ + length > this.end_) this.#truncated(what);
    const start = this.pos_;
    this.pos_ += length;
    return start;
  }

  string_(what: string): string {
    return readUtf8(this.bytes_, this.field_(what), this.pos_, what); // pos_ read after field_() moves it
  }

  /** A length-prefixed binary field as a zero-copy view. */
  binary_(what: string): Uint8Array {
    return this.bytes_.subarray(this.field_(what), this.pos_);
  }

  /** Everything left, as a zero-copy view. */
  rest_(): Uint8Array {
    return this.bytes_.subarray(this.pos_, (this.pos_ = this.end_));
  }

  /** Refuses bytes left over after the last field. */
  done_(): void {
    if (this.pos_ !== this.end_) {
      protocolError('MALFORMED_PACKET', `${packetName(this.type_)} is ${this.end_ - this.pos_} bytes too long`);
    }
  }

  #truncated(what: string): never {
    return protocolError('MALFORMED_PACKET', `${packetName(this.type_)}'s ${what} is cut off`);
  }
}
