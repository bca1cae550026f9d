/**
 * Where a received message goes in a queue: to the listening receiver, else to a waiting
 * receive(), else the buffer. The receiver is handed one message at a time, in order: at once
 * when it is idle (as Pip's queue calls it from the client's message event), else from a
 * backlog; endListen() (or close()) gives the backlog back to the buffer, at its head and in
 * order, so what the receiver was not yet handed reaches the next receive() instead of a
 * receiver that is no longer listening. What the inbox holds (buffer, backlog, the message in the
 * receiver's hands) is what the queue's backpressure counts, and what it holds has bytes of its
 * own: one kept for later must not pin the read it arrived in. Kept apart from
 * mqtt-message-queue.ts.
 */
import type { InboundMessage } from '../../session/index.js';
import type { MessageEnvelope } from './envelope.js';
import type { MessageReceiver, MqttMessageQueue } from './mqtt-message-queue.js';

/** What the inbox asks of its queue. */
export interface InboxHost {
  readonly queue: MqttMessageQueue;
  /** ack_on 'complete': remember what is handed out, for abandon(). */
  tracksHandOut(): boolean;
  /** What the inbox holds changed (backpressure). */
  changed(): void;
  report(error: unknown, what: string): void;
}

interface Pending {
  envelope: MessageEnvelope;
  /** Abandoned and handed over again: it waits a timer's turn first. */
  again: boolean;
}

export class Inbox {
  buffer: MessageEnvelope[] = [];
  receiver: MessageReceiver | null = null;
  /** ack_on 'complete': envelopes handed to the application and not yet completed or abandoned. */
  readonly handedOut = new Set<MessageEnvelope>();
  #waiters: ((envelope: MessageEnvelope | null) => void)[] = [];
  /** For the receiver, not yet handed to it, oldest first. */
  #backlog: Pending[] = [];
  /** The head of the backlog is on its way to the receiver (maybe waiting its timer's turn). */
  #busy = false;
  /** In the receiver's hands: counted as held until receiveMessage() settles. */
  #handing = 0;

  constructor(private readonly host: InboxHost) {}

  /** Messages held: buffered, waiting for the receiver, or in its hands. */
  get held(): number {
    return this.buffer.length + this.#backlog.length + this.#handing;
  }

  /** To the receiver, else a waiting receive(), else the buffer (at its head when `again`: abandoned). */
  route(envelope: MessageEnvelope, again: boolean): void {
    if (this.receiver !== null) return this.#toReceiver(envelope, again);
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) return waiter(envelope);
    ownBytes(envelope);
    if (again) this.buffer.unshift(envelope);
    else this.buffer.push(envelope);
    this.host.changed();
  }

  /** The head of the buffer, handed out; null when it is empty. */
  take(): MessageEnvelope | null {
    const head = this.buffer.shift() ?? null;
    if (head === null) return null;
    this.#handOut(head);
    this.host.changed();
    return head;
  }

  /** The next message routed here within `ms` (handed out), else null; null too when the queue closes. */
  wait(ms: number, startTimer: (fire: () => void, ms: number) => () => void): Promise<MessageEnvelope | null> {
    return new Promise((resolve) => {
      const cancel = startTimer(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(null);
      }, ms);
      const waiter = (envelope: MessageEnvelope | null): void => {
        cancel();
        if (envelope !== null) this.#handOut(envelope);
        resolve(envelope);
      };
      this.#waiters.push(waiter);
    });
  }

  /** From now on every message goes to `receiver`: those buffered first. */
  listen(receiver: MessageReceiver): void {
    this.receiver = receiver;
    for (const envelope of this.buffer.splice(0)) this.#backlog.push({ envelope, again: false });
    this.host.changed();
    this.#next();
  }

  /** Back to buffering: what the receiver was not yet handed goes back to the buffer's head, in order. */
  endListen(): void {
    this.receiver = null;
    if (this.#backlog.length === 0) return;
    this.buffer.unshift(...this.#backlog.splice(0).map((pending) => pending.envelope));
    this.host.changed();
  }

  /** The queue closed: listening ends, waiting receive() calls get null, only what `keep` says stays buffered. */
  close(keep: (envelope: MessageEnvelope) => boolean): void {
    this.endListen();
    this.handedOut.clear(); // their acks belong to a connection that is gone: abandon() can no longer requeue them
    this.buffer = this.buffer.filter(keep);
    for (const waiter of this.#waiters.splice(0)) waiter(null);
  }

  #handOut(envelope: MessageEnvelope): void {
    if (this.host.tracksHandOut()) this.handedOut.add(envelope);
  }

  #toReceiver(envelope: MessageEnvelope, again: boolean): void {
    if (!this.#busy && !again && this.#backlog.length === 0) {
      this.#busy = true;
      return this.#hand(envelope, this.receiver!, false);
    }
    ownBytes(envelope);
    this.#backlog.push({ envelope, again });
    this.host.changed();
    this.#next();
  }

  /**
   * Hands the head of the backlog (what waited behind a busy receiver, or what listen() found
   * buffered) to the receiver listening when its turn comes, a microtask later; failures are
   * reported, never thrown here. One handed over `again` (abandoned) waits a timer's turn first:
   * a receiver that always abandons must not keep the microtask queue, and so all I/O, busy. One
   * function does every turn (#handScheduled): a turn costs one promise reaction, no closure and
   * no async function.
   */
  #next(): void {
    const head = this.#backlog[0];
    if (this.#busy || head === undefined) return;
    this.#busy = true;
    this.#scheduled = head;
    if (head.again) setTimeout(this.#handScheduled, 0);
    else void SETTLED.then(this.#handScheduled); // Node's queueMicrotask costs more (an async resource per call)
  }

  /** The head #next() scheduled to hand. */
  #scheduled: Pending | undefined;
  readonly #handScheduled = (): void => {
    const head = this.#scheduled!;
    this.#scheduled = undefined;
    const receiver = this.receiver;
    // endListen() or close() took the backlog back meanwhile: nothing to hand.
    if (receiver === null || this.#backlog[0] !== head) {
      this.#busy = false;
      return this.#next();
    }
    this.#backlog.shift();
    this.#hand(head.envelope, receiver, true);
  };

  /**
   * Hands `envelope` to `receiver`, the inbox busy until it settles: what it returns is waited
   * for as `await` would (a promise, or any thenable); anything else is settled already. `counted`:
   * the host was told of it as held (in the backlog). One handed at once is held only once it
   * waits: counted while the receiver runs, a change the receiver makes (listen(), clear())
   * would tell the host of it, and nothing would tell the host again when it settles at once.
   */
  #hand(envelope: MessageEnvelope, receiver: MessageReceiver, counted: boolean): void {
    if (counted) this.#handing++;
    let result: Promise<void> | void;
    try {
      this.#handOut(envelope);
      result = receiver.receiveMessage(envelope, this.host.queue);
    } catch (error) {
      return this.#handed(envelope, error, counted);
    }
    if (result !== null && (typeof result === 'object' || typeof result === 'function')) {
      if (!counted) {
        this.#handing++; // held while it waits
        this.host.changed();
      }
      Promise.resolve(result).then(
        () => this.#handed(envelope, NO_ERROR, true),
        (error: unknown) => this.#handed(envelope, error, true),
      );
    } else {
      this.#handed(envelope, NO_ERROR, counted);
    }
  }

  /**
   * The receiver is done with `envelope` (failed unless NO_ERROR): the next one's turn. `counted`
   * as #hand's: it was held, and the host is told it no longer is.
   */
  #handed(envelope: MessageEnvelope, error: unknown, counted: boolean): void {
    try {
      if (error !== NO_ERROR) this.host.report(error, `the receiver failed on message ${envelope.message_id}`);
    } finally {
      this.#busy = false;
      if (counted) {
        this.#handing--;
        this.host.changed();
      }
      this.#next();
    }
  }
}

/**
 * What a view into a larger buffer (the read it arrived in) holds, copied to bytes of its own:
 * the envelope's body, and the received message it refers to (the handle for complete() and
 * abandon()), which would pin the read as much. new Uint8Array copies; a Buffer's slice would not.
 */
function ownBytes(envelope: MessageEnvelope): void {
  const bytes = envelope.message;
  if (bytes !== null && isView(bytes)) envelope.message = new Uint8Array(bytes);
  const inbound = envelope.getReference() as InboundMessage | undefined;
  if (inbound !== undefined && isView(inbound.payload)) inbound.payload = inbound.payload === bytes ? envelope.message! : new Uint8Array(inbound.payload);
}

const isView = (bytes: Uint8Array): boolean => bytes.byteLength !== bytes.buffer.byteLength;

const SETTLED = Promise.resolve();

/** What #handed is given when the receiver did not fail (it may throw anything, undefined too). */
const NO_ERROR = Symbol('no error');
