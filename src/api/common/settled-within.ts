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

/** True once `work` resolves, false if `ms` pass first (at once for 0: unless already done); rejects as `work` does. */
export function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const cancel = startLongTimer(() => resolve(false), ms);
    work.then(
      () => {
        cancel();
        resolve(true);
      },
      (error: unknown) => {
        cancel();
        reject(error);
      },
    );
  });
}
