/**
 * The client's timers on the platform's own setTimeout. The browser build replaces this module
 * with scheduler.browser.ts, whose timers run in a worker so that a background tab's
 * throttling cannot make keepalive late.
 */
export type TimerHandle = unknown;

/** Runs `fire` after `ms`; an unref'd timer does not keep a Node process alive by itself. */
export function startTimer(fire: () => void, ms: number, unref: boolean): TimerHandle {
  const handle = setTimeout(fire, ms);
  if (unref) (handle as { unref?: () => void }).unref?.();
  return handle;
}

export function stopTimer(handle: TimerHandle): void {
  clearTimeout(handle as ReturnType<typeof setTimeout>);
}
