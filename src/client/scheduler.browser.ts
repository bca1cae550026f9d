/**
 * The client's timers in a browser. A background tab's timers are throttled (aligned to 1 s,
 * to 1 min after five minutes hidden), which made MQTT.js miss keepalives and get dropped by the
 * broker (its issue #1257). A dedicated worker's timers are not throttled, so the timers run
 * there and only their firing is posted back. Where no worker can be started (no Worker, or a
 * Content-Security-Policy without blob: workers), the page's own timers serve.
 */
export type TimerHandle = unknown;

const WORKER_SOURCE =
  'const t={};onmessage=({data:[i,m]})=>{if(m<0){clearTimeout(t[i]);delete t[i]}else t[i]=setTimeout(()=>{delete t[i];postMessage(i)},m)}';

interface WorkerTimer {
  id: number;
}

interface Pending {
  fire: () => void;
  /** When it is due, on performance.now(). */
  due: number;
  /** Set once the worker failed and a page timer took over. */
  fallback?: ReturnType<typeof setTimeout>;
}

let worker: Worker | null | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();

function timerWorker(): Worker | null {
  if (worker !== undefined) return worker;
  try {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    worker = new Worker(url);
    URL.revokeObjectURL(url);
    worker.onmessage = ({ data }: MessageEvent<number>) => {
      const timer = pending.get(data);
      pending.delete(data);
      timer?.fire();
    };
    // A worker that cannot run (a CSP refusal arrives this way, after the fact): the page's
    // timers take over, the ones already started included.
    worker.onerror = () => {
      worker = null;
      for (const [id, timer] of pending) timer.fallback = setTimeout(() => fireFallback(id), Math.max(0, timer.due - performance.now()));
    };
  } catch {
    worker = null;
  }
  return worker;
}

function fireFallback(id: number): void {
  const timer = pending.get(id);
  pending.delete(id);
  timer?.fire();
}

export function startTimer(fire: () => void, ms: number, _unref: boolean): TimerHandle {
  const w = timerWorker();
  if (w === null) return setTimeout(fire, ms);
  const id = nextId++;
  pending.set(id, { fire, due: performance.now() + ms });
  w.postMessage([id, ms]);
  return { id } satisfies WorkerTimer;
}

export function stopTimer(handle: TimerHandle): void {
  if (typeof handle !== 'object' || handle === null || !('id' in handle)) return clearTimeout(handle as ReturnType<typeof setTimeout>);
  const { id } = handle as WorkerTimer;
  const timer = pending.get(id);
  pending.delete(id);
  if (timer?.fallback !== undefined) clearTimeout(timer.fallback);
  else worker?.postMessage([id, -1]);
}
