/** Waiting on work for at most a while, without giving up on the work itself. */
import { MAX_TIMER_MS } from '../../client/index.js';

/**
 * Runs `fire` after `ms` (Infinity: never), in steps setTimeout can keep: past 2^31-1 ms it
 * fires after 1 ms. Returns what cancels it.
 */
export function startLongTimer(fire: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const step = (left: number): void => {
    if (left === Infinity) return;
    const now = Math.min(Math.max(0, left), MAX_TIMER_MS);
    timer = setTimeout(() => (left > now ? step(left - now) : fire()), now);
  };
  step(ms);
  return () => clearTimeout(timer);
}

/** The waits on each piece of work not yet over, told by the one reaction settledWithin attached to it. */
const waits = new WeakMap<Promise<unknown>, Set<(error: unknown, failed: boolean) => void>>();

/**
 * True once `work` resolves, false if `ms` pass first (at once for 0: unless already done);
 * rejects as `work` does. A promise cannot let go of a reaction: one per call would keep every
 * wait that gave up (with its timer, ~1 KB) until `work` settles — a queue polled by receive()
 * through an outage of hours. So `work` gets one reaction, and a wait that gives up leaves.
 */
export function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let waiting = waits.get(work);
  if (waiting === undefined) {
    const told = (waiting = new Set());
    waits.set(work, told);
    const tell = (error: unknown, failed: boolean): void => {
      waits.delete(work);
      for (const wait of told) wait(error, failed);
    };
    work.then(
      () => tell(undefined, false),
      (error: unknown) => tell(error, true),
    );
  }
  const all = waiting;
  return new Promise((resolve, reject) => {
    const wait = (error: unknown, failed: boolean): void => {
      cancel();
      if (failed) reject(error);
      else resolve(true);
    };
    const cancel = startLongTimer(() => {
      all.delete(wait);
      resolve(false);
    }, ms);
    all.add(wait);
  });
}
