/**
 * A bounded queue of received messages with any number of concurrent consumers: each message
 * goes to exactly one of them, in arrival order. When it holds `capacity` messages it asks its
 * owner to stop reading from the broker (TCP backpressure), and to read again once a consumer
 * has taken one — it never drops or acknowledges a message nobody will see.
 */
import { MqttError } from '../../errors.js';
import { Fifo } from '../../session/queue.js';
import type { Message } from './message.js';

interface Waiter {
  resolve(result: IteratorResult<Message>): void;
  reject(error: unknown): void;
  /** The iterator that asked (undefined: next() on the queue itself). */
  owner: Consumer | undefined;
}

/** One iterator over the queue: once it has returned it takes nothing more. */
interface Consumer {
  closed: boolean;
}

const DONE: IteratorResult<Message> = { value: undefined, done: true };

export class MessageQueue implements AsyncIterable<Message> {
  readonly #buffer = new Fifo<Message>();
  readonly #waiters = new Fifo<Waiter>();
  /** Set once the queue ends: undefined (end of iteration) or an error every consumer gets. */
  #ended: { error: unknown } | null = null;

  constructor(
    private readonly capacity: number,
    /** Called with false when the queue is full, with true once there is room again. */
    private readonly setReading: (reading: boolean) => void,
    private readonly onReturn: () => void = () => {},
  ) {}

  get size(): number {
    return this.#buffer.length;
  }

  get full(): boolean {
    return this.#buffer.length >= this.capacity;
  }

  push(message: Message): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) return waiter.resolve({ value: message, done: false });
    this.#buffer.push(message);
    if (this.#buffer.length === this.capacity) this.setReading(false);
  }

  /** Ends every iteration: with `error`, consumers throw it; without, they finish. Buffered messages are still handed out first. */
  end(error?: MqttError): void {
    if (this.#ended !== null) return;
    this.#ended = { error };
    for (let waiter = this.#waiters.shift(); waiter !== undefined; waiter = this.#waiters.shift()) {
      if (error === undefined) waiter.resolve({ value: undefined, done: true });
      else waiter.reject(error);
    }
  }

  /** Removes and returns what is buffered (a stream being closed hands it on). */
  takeAll(): Message[] {
    return this.#buffer.takeAll();
  }

  /** Opens the queue again (a client that connects again). */
  reopen(): void {
    this.#ended = null;
  }

  next(): Promise<IteratorResult<Message>> {
    return this.#take(undefined);
  }

  #take(owner: Consumer | undefined): Promise<IteratorResult<Message>> {
    const message = this.#buffer.shift();
    if (message !== undefined) {
      if (this.#buffer.length === this.capacity - 1) this.setReading(true);
      return Promise.resolve({ value: message, done: false });
    }
    const ended = this.#ended;
    if (ended !== null) return ended.error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(ended.error);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject, owner }));
  }

  /**
   * A consumer left with next() calls still pending (a next() raced against a timeout, then
   * return()): they end now, or the next messages would go to promises nobody reads — lost.
   */
  #release(consumer: Consumer): void {
    if (this.#waiters.length === 0) return;
    for (const waiter of this.#waiters.takeAll()) {
      if (waiter.owner === consumer) waiter.resolve(DONE);
      else this.#waiters.push(waiter);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    const consumer: Consumer = { closed: false };
    return {
      next: () => (consumer.closed ? Promise.resolve(DONE) : this.#take(consumer)),
      // A consumer that breaks out of `for await` ends only its own loop.
      return: () => {
        if (!consumer.closed) {
          consumer.closed = true;
          this.#release(consumer);
          this.onReturn();
        }
        return Promise.resolve(DONE);
      },
    };
  }
}
