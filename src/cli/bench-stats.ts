/** What `impmqtt bench` measures and how it reports it: counters, latency percentiles, the summary. */
import { idleMemoryText } from './bench-connections.js';
import type { IdleMemory } from './bench-connections.js';

/** Latency samples in ms: all of them up to a cap, then a uniform sample (reservoir), so memory stays bounded. */
export class LatencyRecorder {
  static readonly CAP = 1_000_000;
  #samples = new Float64Array(1024);
  #size = 0;
  #seen = 0;

  add(ms: number): void {
    this.#seen++;
    if (this.#size < LatencyRecorder.CAP) {
      if (this.#size === this.#samples.length) {
        const grown = new Float64Array(this.#samples.length * 2);
        grown.set(this.#samples);
        this.#samples = grown;
      }
      this.#samples[this.#size++] = ms;
    } else {
      const slot = Math.floor(Math.random() * this.#seen);
      if (slot < LatencyRecorder.CAP) this.#samples[slot] = ms;
    }
  }

  get count(): number {
    return this.#seen;
  }

  /** p50, p90, p99, p99.9 and max (nearest rank), ms; all zero without samples. */
  percentiles(): Percentiles {
    const sorted = this.#samples.slice(0, this.#size).sort();
    const at = (p: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p * sorted.length) / 100 - 1e-9) - 1)]!);
    const round = (ms: number): number => Math.round(ms * 1000) / 1000;
    return { p50: round(at(50)), p90: round(at(90)), p99: round(at(99)), p999: round(at(99.9)), max: round(sorted.length === 0 ? 0 : sorted[sorted.length - 1]!) };
  }
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** emqtt-bench's counter names. */
export const COUNTERS = ['connect_succ', 'connect_fail', 'connection_lost', 'sub', 'sub_fail', 'pub', 'pub_succ', 'pub_fail', 'pub_overrun', 'recv'] as const;
export type CounterName = (typeof COUNTERS)[number];
export type Counters = Record<CounterName, number>;

export const newCounters = (): Counters => Object.fromEntries(COUNTERS.map((name) => [name, 0])) as Counters;

export interface BenchSummary {
  command: string;
  clients: number;
  durationMs: number;
  counters: Counters;
  /** Messages per second over the run: published (acknowledged) for pub, received for sub. */
  rate: number;
  /** Connections per second, first connect started to last CONNACK; null when none connected. */
  connectRate: number | null;
  /** This process's CPU time per connection over the same span (user + system µs); null until every client has tried. */
  connectCpuUs: number | null;
  connectLatencyMs: Percentiles;
  /** pub: publish to completion for the QoS (written, PUBACK, PUBCOMP). */
  publishLatencyMs: Percentiles;
  /** conn: memory per idle connection, once all had connected; null when the run ended before. */
  idleMemory: IdleMemory | null;
}

/** emqtt-bench's compact uptime: 5s, 1m5s, 1h0m5s. */
export function uptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  return h > 0 ? `${h}h${m}m${sec}s` : m > 0 ? `${m}m${sec}s` : `${sec}s`;
}

/** The live line, once a second on a terminal: `12s pub total=N rate=R/sec conns=C errors=E`. */
export function progressLine(kind: string, elapsedMs: number, counters: Counters, previous: Counters, intervalMs: number): string {
  const main: CounterName = kind === 'sub' ? 'recv' : kind === 'pub' ? 'pub_succ' : 'connect_succ';
  const rate = ((counters[main] - previous[main]) * 1000) / intervalMs;
  const errors = counters.connect_fail + counters.sub_fail + counters.pub_fail + counters.connection_lost;
  return `${uptime(elapsedMs)} ${main} total=${counters[main]} rate=${rate.toFixed(2)}/sec conns=${counters.connect_succ - counters.connection_lost} errors=${errors}`;
}

const ms = (p: Percentiles): string => `p50 ${p.p50} ms, p90 ${p.p90} ms, p99 ${p.p99} ms, p99.9 ${p.p999} ms, max ${p.max} ms`;

/** The final report for people; --json writes the summary object itself. */
export function summaryText(summary: BenchSummary): string {
  const c = summary.counters;
  const lines = [
    `impmqtt bench ${summary.command}: ${summary.clients} clients, ${(summary.durationMs / 1000).toFixed(1)} s`,
    `connections: ${c.connect_succ} connected, ${c.connect_fail} failed, ${c.connection_lost} lost`,
    `connect rate: ${summary.connectRate === null ? '-' : `${summary.connectRate.toFixed(2)}/sec`} (first connect to last CONNACK), CPU ${summary.connectCpuUs === null ? '-' : `${summary.connectCpuUs} µs`} per connection`,
    `connect latency: ${ms(summary.connectLatencyMs)}`,
  ];
  if (summary.idleMemory !== null) lines.push(idleMemoryText(summary.idleMemory));
  if (summary.command === 'sub') lines.push(`subscriptions: ${c.sub} acknowledged, ${c.sub_fail} failed`, `received: ${c.recv} messages, ${summary.rate.toFixed(2)}/sec`);
  if (summary.command === 'pub') {
    lines.push(`published: ${c.pub} sent, ${c.pub_succ} completed, ${c.pub_fail} failed, ${c.pub_overrun} skipped (previous still in flight), ${summary.rate.toFixed(2)}/sec`);
    lines.push(`publish latency: ${ms(summary.publishLatencyMs)}`);
  }
  return `${lines.join('\n')}\n`;
}
