/** One awaited operation with the face's time limit and the caller's AbortSignal. */
import { MqttError } from '../../errors.js';

export interface OperationOptions {
  /** ms; the client's `timeout` when absent; Infinity for none. */
  timeout?: number;
  /** Cancels the wait (the request itself, once sent, still completes in the engine). */
  signal?: AbortSignal;
}

export interface Settle<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Runs `start`, whose settle() ends the wait; a timeout or an abort ends it first with a typed error. */
export function withDeadline<T>(what: string, options: OperationOptions, start: (settle: Settle<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const { timeout = Infinity, signal } = options;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    const onAbort = (): void => {
      if (finish()) reject(new MqttError('ABORTED', `${what} was aborted`));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (Number.isFinite(timeout)) {
      timer = setTimeout(() => {
        if (finish()) reject(new MqttError('TIMEOUT', `${what} did not complete within ${timeout} ms`));
      }, timeout);
    }
    try {
      start({
        resolve: (value) => finish() && resolve(value),
        reject: (error) => finish() && reject(error),
      });
    } catch (error) {
      if (finish()) reject(error);
    }
  });
}
