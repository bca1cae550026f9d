/**
 * stdin as mosquitto_pub -l reads it: each '\n' ends a message and is dropped (a '\r' before it
 * stays), an empty line is an empty message, and a last line without '\n' is a message too.
 */

export class LineSplitter {
  /** The current line's bytes from earlier chunks. */
  #parts: Uint8Array[] = [];
  #partsLength = 0;

  /** `maxLineBytes`: a longer line could never be sent, so it is refused as it grows, not held whole. */
  constructor(readonly maxLineBytes = Infinity) {}

  /** Calls `line` with each line completed by `chunk`: fresh copies, so a chunk is never retained. */
  push(chunk: Uint8Array, line: (bytes: Uint8Array) => void): void {
    let start = 0;
    for (let end = chunk.indexOf(10); end >= 0; end = chunk.indexOf(10, start)) {
      this.#limit(this.#partsLength + end - start);
      line(this.#take(chunk.subarray(start, end)));
      start = end + 1;
    }
    if (start < chunk.length) {
      this.#partsLength += chunk.length - start;
      this.#limit(this.#partsLength);
      this.#parts.push(copyOf(chunk.subarray(start)));
    }
  }

  #limit(lineBytes: number): void {
    if (lineBytes > this.maxLineBytes) throw new RangeError(`A line of stdin is longer than the largest message (${this.maxLineBytes} bytes)`);
  }

  /** Input ended: the unterminated last line, if there is one. */
  end(line: (bytes: Uint8Array) => void): void {
    if (this.#partsLength > 0) line(this.#take(new Uint8Array(0)));
  }

  #take(tail: Uint8Array): Uint8Array {
    if (this.#parts.length === 0) return copyOf(tail);
    const bytes = new Uint8Array(this.#partsLength + tail.length);
    let offset = 0;
    for (const part of this.#parts) {
      bytes.set(part, offset);
      offset += part.length;
    }
    bytes.set(tail, offset);
    this.#parts = [];
    this.#partsLength = 0;
    return bytes;
  }
}

/** A copy (a Buffer's slice() would be a view, keeping the whole chunk alive). */
function copyOf(view: Uint8Array): Uint8Array {
  const copy = new Uint8Array(view.length);
  copy.set(view);
  return copy;
}
