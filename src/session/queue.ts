/**
 * A FIFO with O(1) push and shift (Array#shift is O(n) on long queues). Its array comes with
 * the first push: a client holds several queues that mostly stay empty.
 */
export class Fifo<T> {
  #items: (T | undefined)[] | null = null;
  #head = 0;

  get length(): number {
    return this.#items === null ? 0 : this.#items.length - this.#head;
  }

  push(item: T): void {
    (this.#items ??= []).push(item);
  }

  peek(): T | undefined {
    return this.#items?.[this.#head];
  }

  shift(): T | undefined {
    const items = this.#items;
    if (items === null || this.#head >= items.length) return undefined;
    const item = items[this.#head];
    items[this.#head++] = undefined;
    // Compact once the dead prefix dominates, keeping shifts amortised O(1).
    if (this.#head > 1024 && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes and returns everything, oldest first. */
  takeAll(): T[] {
    const rest = this.#items === null ? [] : (this.#items.slice(this.#head) as T[]);
    this.#items = null;
    this.#head = 0;
    return rest;
  }
}
