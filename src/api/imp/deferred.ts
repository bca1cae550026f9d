/**
 * The imp's per-call callbacks (sendasync, subscribe, unsubscribe) are asynchronous: they report
 * after the call has returned. The engine decides some outcomes at once (-12 past maxBuffered)
 * and reports them from inside the call; a caller that counts pending operations after the
 * call, or keeps the call's return value for its callback, would then see its callback first. `withinCall` defers just those reports to a microtask.
 */
export function withinCall<A extends unknown[], R>(callback: ((...args: A) => void) | null, call: (report: (...args: A) => void) => R): R {
  let inside = true;
  const report = (...args: A): void => {
    if (callback === null) return;
    if (inside) queueMicrotask(() => callback(...args));
    else callback(...args);
  };
  try {
    return call(report);
  } finally {
    inside = false;
  }
}
