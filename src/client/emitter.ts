/** A small typed event emitter (no Node 'events' module, so it runs in browsers). */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;

export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  readonly #listeners = new Map<keyof Events, Listener[]>();

  on<K extends keyof Events>(event: K, listener: Events[K]): this {
    const list = this.#listeners.get(event);
    if (list === undefined) this.#listeners.set(event, [listener]);
    else list.push(listener);
    return this;
  }

  once<K extends keyof Events>(event: K, listener: Events[K]): this {
    const wrapper: Listener & { original?: Listener } = (...args: unknown[]) => {
      this.off(event, wrapper as Events[K]);
      listener(...args);
    };
    // off(listener) must find the wrapper that stands for it.
    wrapper.original = listener;
    return this.on(event, wrapper as Events[K]);
  }

  /** Removes `listener` (the one passed to on() or once()); the most recent registration first. */
  off<K extends keyof Events>(event: K, listener: Events[K]): this {
    const list = this.#listeners.get(event);
    if (list === undefined) return this;
    for (let index = list.length - 1; index >= 0; index--) {
      const registered = list[index] as Listener & { original?: Listener };
      if (registered === listener || registered.original === listener) {
        list.splice(index, 1);
        break;
      }
    }
    if (list.length === 0) this.#listeners.delete(event);
    return this;
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /**
   * Calls every listener. A listener that throws does not stop the others or the client's own
   * processing; its error is re-thrown on a fresh stack, where the host reports it as uncaught.
   */
  protected emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    const list = this.#listeners.get(event);
    if (list === undefined) return;
    // The listeners as they were when the event came: one added meanwhile waits for the next.
    if (list.length === 1) return callSafely(list[0]!, args);
    for (const listener of [...list]) callSafely(listener, args);
  }
}

/**
 * Calls application code (a listener, a request's callback) so that its exceptions never unwind
 * the client's state machine: re-thrown on a fresh stack, where the host reports it as uncaught.
 */
export function callSafely(callback: (...args: never[]) => unknown, args: unknown[]): void {
  try {
    (callback as (...args: unknown[]) => unknown)(...args);
  } catch (error) {
    rethrowLater(error);
  }
}

/** What application code threw, re-thrown on a fresh stack, where the host reports it as uncaught. */
export function rethrowLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
