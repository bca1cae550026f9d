/**
 * What `impmqtt bench` measures about the connections themselves: the open-file budget checked
 * before the first connect, the connect rate, and the memory each idle connection holds. The
 * MQTT.js side of bench/connections.mjs imports this module too, so both libraries are measured
 * by the same arithmetic.
 */
import { readFileSync } from 'node:fs';

/** Descriptors a Node process holds besides its sockets (stdio, epoll, signal pipes, the --json file). */
export const FILE_MARGIN = 64;
/** How long connected clients sit idle before their memory is read: lazily freed state goes, timers settle. */
export const IDLE_SETTLE_MS = 1000;

/** The soft "Max open files" of /proc/<pid>/limits text; null when absent or unlimited. */
export function parseOpenFileLimit(limits: string): number | null {
  const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  if (soft === undefined || soft === 'unlimited') return null;
  const value = Number(soft);
  return Number.isInteger(value) ? value : null;
}

/** This process's open-file limit, where the platform says (Linux); null elsewhere. */
export function openFileLimit(): number | null {
  try {
    return parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Why `clients` sockets will not fit under `limit` (null: they fit, or the limit is unknown).
 * Node cannot raise its own limit (no setrlimit), so the shell that starts it must.
 */
export function fileLimitProblem(clients: number, limit: number | null): string | null {
  const needed = clients + FILE_MARGIN;
  if (limit === null || needed <= limit) return null;
  return `${clients} clients need about ${needed} open files, but this process may open ${limit}: raise the limit first (ulimit -n ${needed}) or use fewer clients.`;
}

/** Connections per second from the first connect's start to the last CONNACK (performance.now() ms); null without any. */
export function connectRate(connections: number, firstStartMs: number, lastConnackMs: number): number | null {
  if (connections === 0 || !(lastConnackMs > firstStartMs)) return null;
  return Math.round((connections * 1000 * 100) / (lastConnackMs - firstStartMs)) / 100;
}

/** This process's CPU time so far (user + system), µs. */
const cpuMicros = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/**
 * The connect phase's clock: from the first connect's start to the last CONNACK, in wall time
 * (the connect rate) and in this process's CPU time (what a connect costs the client, which the
 * broker's pace does not change).
 */
export class ConnectTiming {
  #firstStart = 0;
  #lastConnack = 0;
  #cpuAtStart = 0;
  #cpuAtEnd: number | null = null;

  /** A connect starts; returns the time (performance.now()) for its latency. */
  starting(): number {
    const now = performance.now();
    if (this.#firstStart === 0) {
      this.#firstStart = now;
      this.#cpuAtStart = cpuMicros();
    }
    return now;
  }

  /** A CONNACK arrived; returns the time. */
  connacked(): number {
    this.#lastConnack = performance.now();
    return this.#lastConnack;
  }

  /** Every client has connected or failed to: the connect phase is over. */
  ended(): void {
    this.#cpuAtEnd ??= cpuMicros();
  }

  rate(connections: number): number | null {
    return connectRate(connections, this.#firstStart, this.#lastConnack);
  }

  /** CPU µs per connection over the connect phase; null before it ended or without connections. */
  cpuPerConnect(connections: number): number | null {
    if (this.#cpuAtEnd === null || connections === 0) return null;
    return Math.round(((this.#cpuAtEnd - this.#cpuAtStart) * 10) / connections) / 10;
  }
}

export interface MemorySample {
  rss: number;
  heapUsed: number;
}

export interface IdleMemory {
  /** Connections held when the sample was taken. */
  connections: number;
  /** Whether garbage was collected before each sample (node --expose-gc); without, heap figures include garbage. */
  gc: boolean;
  before: MemorySample;
  after: MemorySample;
  /** (after − before) / connections, bytes. */
  rssPerConnection: number;
  heapPerConnection: number;
}

/** What each of `connections` costs, from samples before the first and after the last (bytes, rounded). */
export function perConnection(before: MemorySample, after: MemorySample, connections: number, gc: boolean): IdleMemory {
  const each = (key: keyof MemorySample): number => (connections === 0 ? 0 : Math.round((after[key] - before[key]) / connections));
  return { connections, gc, before, after, rssPerConnection: each('rss'), heapPerConnection: each('heapUsed') };
}

type Gc = () => void;
const gcFunction = (): Gc | undefined => (globalThis as { gc?: Gc }).gc;

/** Whether the samples can collect garbage first (node --expose-gc). */
export const canCollectGarbage = (): boolean => gcFunction() !== undefined;

const collectGarbage = (): void => gcFunction()?.();

/** RSS and heap in use now, after a collection where one is possible. */
export function sampleMemory(): MemorySample {
  collectGarbage();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

/** The sample for idle connections: a collection, IDLE_SETTLE_MS of quiet, then collections again (weak and finalised objects go in the second). */
export async function sampleIdleMemory(settleMs = IDLE_SETTLE_MS): Promise<MemorySample> {
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 20));
  return sampleMemory();
}

const kb = (bytes: number): string => (bytes / 1024).toFixed(1);

/** The summary's line about idle memory. */
export function idleMemoryText(memory: IdleMemory): string {
  const gc = memory.gc ? '' : ' (no gc: run node --expose-gc for exact heap figures)';
  return `idle memory: ${kb(memory.rssPerConnection)} KB RSS, ${kb(memory.heapPerConnection)} KB heap per connection over ${memory.connections} connections${gc}`;
}
