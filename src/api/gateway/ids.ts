/** The identifiers each answer carries. */
import { randomBytes, randomUUID } from 'node:crypto';

/** A RequestId as the service writes it: an upper-case UUID. */
export function newRequestId(): string {
  return randomUUID().toUpperCase();
}

/**
 * MsgIds: 32 upper-case hex digits, unique. A random half per gateway and a counter half: no
 * two answers of one gateway repeat, and two gateways collide only if 64 random bits do.
 */
export class MessageIds {
  readonly #prefix = randomBytes(8).toString('hex').toUpperCase();
  #counter = 0n;

  next(): string {
    this.#counter += 1n;
    return this.#prefix + this.#counter.toString(16).toUpperCase().padStart(16, '0');
  }
}
