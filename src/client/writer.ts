/**
 * Turns the packets produced in one turn of the event loop into one write, and honours the
 * transport's backpressure: while a write waits for the transport to drain, packets accumulate
 * and QoS 0 completions (which mean "handed to the transport") wait with them.
 */
import { clientRemainingLength, clientWrite } from '../packet/client-encoder.js';
import { encodeBatchWith, encodeWith } from '../packet/encoder.js';
import type { EncodedBatch } from '../packet/encoder.js';
import type { Packet } from '../packet/index.js';
import * as Result from '../session/result-codes.js';
import type { ResultCode } from '../session/index.js';
import type { Transport } from '../transport/index.js';

export type WriteCompletion = (result: ResultCode) => void;

interface Waiting {
  /** Index in `packets` of the packet this completion waits for. */
  index: number;
  done: WriteCompletion;
}

export class PacketWriter {
  #packets: Packet[] = [];
  /** Completions of packets not yet written. */
  #waiting: Waiting[] = [];
  /** Completions of packets written while the transport is over its high-water mark. */
  #written: WriteCompletion[] = [];
  #scheduled = false;
  #waitingForDrain = false;
  #transport: Transport | null = null;

  readonly #onError: (error: unknown) => void;

  /** `onError` hears of a packet that could not be encoded (it was not written; the others were). */
  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  attach(transport: Transport): void {
    this.#transport = transport;
    this.#waitingForDrain = false;
  }

  /**
   * The connection is gone: unwritten packets are dropped. Completions still waiting get
   * `result`: the caller knows whether the bytes written reached the peer.
   */
  detach(result: ResultCode): void {
    this.#transport = null;
    this.#packets = [];
    const completions = [...this.#written, ...this.#waiting.map((w) => w.done)];
    this.#written = [];
    this.#waiting = [];
    for (const done of completions) done(result);
  }

  add(packet: Packet): void {
    this.#packets.push(packet);
    this.#schedule();
  }

  /** Runs `done(0)` once the packet added last has been handed to the transport (-1 if it could not be encoded). */
  afterWrite(done: WriteCompletion): void {
    if (this.#packets.length === 0) this.#written.push(done);
    else this.#waiting.push({ index: this.#packets.length - 1, done });
    this.#schedule();
  }

  /** The transport can take more bytes. */
  resume(): void {
    this.#waitingForDrain = false;
    this.flush();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.#flushScheduled);
  }

  readonly #flushScheduled = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  /**
   * Writes everything pending now. `final` (a graceful close, DISCONNECT last) writes even
   * while the transport asks to wait: what was accepted must go out before the end.
   */
  flush(final = false): void {
    const transport = this.#transport;
    if (transport === null || (this.#waitingForDrain && !final)) return;
    if (this.#packets.length > 0) {
      const packets = this.#packets;
      const waiting = this.#waiting;
      this.#packets = [];
      this.#waiting = [];
      const { bytes, failed, error } = packets.length === 1 ? encodeOne(packets[0]!) : encodeBatchWith(clientRemainingLength, clientWrite, packets);
      if (bytes.length > 0 && !transport.write(bytes)) this.#waitingForDrain = true;
      for (const w of waiting) {
        if (failed?.has(w.index)) w.done(Result.FAILURE);
        else this.#written.push(w.done);
      }
      if (error !== undefined) this.#onError(error);
    }
    if (this.#written.length > 0 && !this.#waitingForDrain) {
      const written = this.#written;
      this.#written = [];
      for (const done of written) done(Result.SUCCESS);
    }
  }
}

/** The common case, one packet per turn, without the batch's bookkeeping. */
function encodeOne(packet: Packet): EncodedBatch {
  try {
    return { bytes: encodeWith(clientRemainingLength, clientWrite, packet) };
  } catch (error) {
    return { bytes: new Uint8Array(0), failed: new Set([0]), error };
  }
}
