/**
 * Awaited operations with a time limit and an AbortSignal. Every operation has a limit, so the
 * common case must be cheap: operations under the client's default limit share one timer (their
 * deadlines come in the order they started), and only an operation with a limit of its own, or
 * a signal, pays for a timer or a listener.
 */
import { MqttError, usageError } from '../../errors.js';
import { MAX_TIMER_MS } from '../../client/timers.js';
import { operationFailed } from '../common/operation-errors.js';
import { startLongTimer } from '../common/settled-within.js';
import { Fifo } from '../../session/queue.js';

export interface OperationOptions {
  /** ms; the client's `timeout` when absent; Infinity for none. */
  timeout?: number;
  /** Cancels the wait, not the request: a publish, sent or still queued, is delivered all the same. */
  signal?: AbortSignal;
}

/**
 * One awaited operation, named in errors as `${action} '${subject}'` (built only when needed).
 * It is its engine request's Completer (see completed_): the engine holds no closure per request.
 */
export class Operation<T> {
  done = false;
  /** Under the client's default limit: the deadline it shares with the operations begun in the same run. */
  stamp: Stamp | undefined;
  #resolve!: (value: T) => void;
  #reject!: (error: unknown) => void;
  /** Only an operation with a limit or a signal of its own pays for these. */
  #own: { cancelTimer?: () => void; signal?: AbortSignal; onAbort?: () => void } | undefined;
  readonly promise: Promise<T>;

  constructor(
    private readonly action: string,
    private readonly subject: string,
  ) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  describe(): string {
    return `${this.action} '${this.subject}'`;
  }

  resolve(value: T): void {
    if (this.#finish()) this.#resolve(value);
  }

  reject(error: unknown): void {
    if (this.#finish()) this.#reject(error);
  }

  /** The engine completed the request: 0 resolves, any other code rejects naming the operation. */
  completed_(this: Operation<void>, result: number): void {
    if (result === 0) this.resolve();
    else this.reject(operationFailed(result, this.describe()));
  }

  expire(limit: number): void {
    this.reject(new MqttError('TIMEOUT', `${this.describe()} did not complete within ${limit} ms`));
  }

  /** A limit of its own: its own timer (a limit of weeks kept too). */
  limit(ms: number): void {
    (this.#own ??= {}).cancelTimer = startLongTimer(() => this.expire(ms), ms);
  }

  watch(signal: AbortSignal): void {
    const onAbort = (): void => this.reject(new MqttError('ABORTED', `${this.describe()} was aborted`));
    if (signal.aborted) return onAbort();
    const own = (this.#own ??= {});
    own.signal = signal;
    own.onAbort = onAbort;
    signal.addEventListener('abort', onAbort, { once: true });
  }

  #finish(): boolean {
    if (this.done) return false;
    this.done = true;
    const own = this.#own;
    if (own !== undefined) {
      own.cancelTimer?.();
      if (own.onAbort !== undefined) own.signal!.removeEventListener('abort', own.onAbort);
    }
    this.stamp?.line.trim();
    return true;
  }
}

/** The deadline of the operations begun in one run of JavaScript under the default limit (see Deadlines). */
class Stamp {
  /** ms on performance.now()'s clock, whole; Infinity until set, in a microtask after that run. */
  deadline = Infinity;
  constructor(readonly line: Deadlines) {}
}

/** The least length at which the line is compacted: little is ever kept behind a pending operation. */
const COMPACT_MIN = 64;

/**
 * Runs operations under a default limit, on one shared timer. Operations begun in one run of
 * JavaScript are given their deadline together, from one clock read in a microtask after them:
 * a deadline is never earlier than the operation's start plus its limit, and later only by the
 * rest of that run, during which no timer could fire anyway. One clock read per operation cost
 * a publish about a tenth of its CPU on a VM where reading the clock is a system call.
 */
export class Deadlines {
  readonly #pending = new Fifo<Operation<unknown>>();
  /** The stamp of what began since the last clock read, until its microtask sets its deadline. */
  #stamp: Stamp | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Past this many entries, the line is rid of what is done in it (see #compact). */
  #compactAt = COMPACT_MIN;

  constructor(readonly defaultTimeout: number) {}

  /** An operation under its limit and signal; the caller starts the work unless it is already done (aborted). */
  begin<T>(action: string, subject: string, options: OperationOptions): Operation<T> {
    const operation = new Operation<T>(action, subject);
    const timeout = options.timeout ?? this.defaultTimeout;
    // From plain JavaScript anything can come: refused, never taken for "no limit".
    const { signal } = options;
    if (typeof timeout !== 'number' || !(timeout > 0)) {
      operation.reject(usageError('INVALID_OPTIONS', `timeout must be a positive number of ms (or Infinity), got ${String(timeout)}`));
    } else if (signal !== undefined && (typeof signal?.addEventListener !== 'function' || typeof signal.aborted !== 'boolean')) {
      operation.reject(usageError('INVALID_OPTIONS', 'signal must be an AbortSignal'));
    }
    if (!operation.done && signal !== undefined) operation.watch(signal);
    // Refused, or already aborted: finished, so no limit to keep (a timer now would never be cancelled).
    if (operation.done) return operation;
    if (timeout === this.defaultTimeout && Number.isFinite(timeout)) this.#track(operation as Operation<unknown>);
    else if (Number.isFinite(timeout)) operation.limit(timeout);
    return operation;
  }

  /** begin(), then `start` (a throw rejects the operation). */
  run<T>(action: string, subject: string, options: OperationOptions, start: (operation: Operation<T>) => void): Promise<T> {
    const operation = this.begin<T>(action, subject, options);
    if (!operation.done) {
      try {
        start(operation);
      } catch (error) {
        operation.reject(error);
      }
    }
    return operation.promise;
  }

  #track(operation: Operation<unknown>): void {
    if (this.#stamp === undefined) {
      this.#stamp = new Stamp(this);
      queueMicrotask(this.#setDeadline);
    }
    operation.stamp = this.#stamp;
    this.#pending.push(operation);
  }

  /** Gives what began since the last clock read its deadline. */
  readonly #setDeadline = (): void => {
    const timeout = this.defaultTimeout;
    this.#stamp!.deadline = Math.ceil(performance.now() + timeout);
    this.#stamp = undefined;
    if (this.#pending.length > this.#compactAt) this.#compact();
    if (this.#pending.length > 0) this.#timer ??= unref(setTimeout(this.#sweep, Math.min(timeout, MAX_TIMER_MS)));
  };

  /** Expires what is due, drops what is done, and re-arms for the oldest still pending. */
  readonly #sweep = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    for (let head = this.#pending.peek(); head !== undefined; head = this.#pending.peek()) {
      const deadline = head.stamp!.deadline;
      if (!head.done && deadline > now) {
        this.#timer = unref(setTimeout(this.#sweep, Math.min(Math.ceil(deadline - now), MAX_TIMER_MS)));
        return;
      }
      this.#pending.shift();
      if (!head.done) head.expire(this.defaultTimeout);
    }
  };

  /**
   * Forgets completed operations at the head (each one calls it as it completes), so a busy
   * client holds only what is pending. The shared timer stays armed (re-arming it per operation would cost more than one idle wake-up);
   * it is unref'd, so it never keeps a process alive by itself.
   */
  trim(): void {
    for (let head = this.#pending.peek(); head !== undefined && head.done; head = this.#pending.peek()) this.#pending.shift();
  }

  /**
   * The client is closed: what is done leaves the line, and with nothing left pending the
   * shared timer stops. Left armed, it would hold a client the application has let go (its line
   * and the operations in it) for up to `timeout`: ~1 KB for every client made and closed.
   */
  release(): void {
    this.#compact();
    if (this.#pending.length > 0 || this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Drops what is done from anywhere in the line, not only from its head: one operation that
   * stays pending (a subscription the broker never answers, a whenConnected()) would otherwise
   * keep every operation begun after it until its own deadline — with a long `timeout`, every
   * operation of that time (~350 bytes each). Done each time the line has doubled since the
   * last (from COMPACT_MIN), so it costs O(1) per operation.
   */
  #compact(): void {
    const pending = this.#pending.takeAll().filter((operation) => !operation.done);
    for (const operation of pending) this.#pending.push(operation);
    this.#compactAt = Math.max(COMPACT_MIN, 2 * pending.length);
  }
}

function unref(timer: ReturnType<typeof setTimeout>): ReturnType<typeof setTimeout> {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
