/** Output assembled as bytes: payloads and topics are written byte for byte, as C's stdio does. */

const latin1 = (text: string): Uint8Array => Buffer.from(text, 'latin1');

export class ByteSink {
  #chunks: Uint8Array[] = [];
  #length = 0;

  bytes(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#length += bytes.length;
  }

  /** ASCII text (conversions, escapes, numbers). */
  ascii(text: string): void {
    this.bytes(latin1(text));
  }

  /** Text as UTF-8 (strftime output with a time zone name). */
  utf8(text: string): void {
    this.bytes(Buffer.from(text, 'utf8'));
  }

  byte(value: number): void {
    this.bytes(Uint8Array.of(value));
  }

  repeat(value: number, count: number): void {
    if (count > 0) this.bytes(new Uint8Array(count).fill(value));
  }

  get length(): number {
    return this.#length;
  }

  take(): Buffer {
    const out = Buffer.concat(this.#chunks, this.#length);
    this.#chunks = [];
    this.#length = 0;
    return out;
  }
}
