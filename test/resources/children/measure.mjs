/**
 * What every cycle child shares: its configuration (argv[2], JSON), the built package, and the
 * measure — the heap retained after forced collections, read after N cycles and again after 4N,
 * so what a warm-up allocates once (compiled code, caches filling) is not counted and what grows
 * with the cycles is, per cycle. Run with `node --expose-gc --jitless` (no compiled code to
 * come and go between the readings).
 */
export const config = JSON.parse(process.argv[2] ?? '{}');

/** A module of the built package: `dist('api/async/index.js')`. */
export function dist(path) {
  return import(new URL(`../../../dist/node/${path}`, import.meta.url).href);
}

/** Lets callbacks, microtasks and I/O already due run out. */
export async function quiesce() {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** The heap in use after full collections: the least of three readings, each after two passes. */
export function retainedHeap() {
  let least = Infinity;
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    globalThis.gc();
    least = Math.min(least, process.memoryUsage().heapUsed);
  }
  return least;
}

/** Runs `cycles(n)`, then `cycles(3n)`; the growth between the readings after them, per cycle. */
export async function perCycle(cycles, n) {
  await cycles(n);
  await quiesce();
  const afterN = retainedHeap();
  await cycles(3 * n);
  await quiesce();
  const after4N = retainedHeap();
  return { bytesPerCycle: (after4N - afterN) / (3 * n), afterN, after4N, cycles: 4 * n };
}

/** The child's one line of output. */
export function report(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export const once = (emitter, event) => new Promise((resolve) => emitter.once(event, resolve));
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
