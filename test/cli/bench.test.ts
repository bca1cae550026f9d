/**
 * `impmqtt bench` against mosquitto: a few hundred connections from one process, a publisher and
 * subscribers whose summaries agree with each other and with the limits asked for, --json.
 * Its statistics (percentiles, the progress line) in-process.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectTiming, connectRate, fileLimitProblem, idleMemoryText, parseOpenFileLimit, perConnection } from '../../src/cli/bench-connections.js';
import { LatencyRecorder, newCounters, progressLine, uptime } from '../../src/cli/bench-stats.js';
import type { BenchSummary } from '../../src/cli/bench-stats.js';
import { BIN, ProcessRunner, stderrShows } from '../support/cli.js';
import { ensureBuilt } from '../support/examples.js';
import { describeWithMosquitto, startMosquitto } from '../support/mosquitto.js';
import type { MosquittoBroker } from '../support/mosquitto.js';

describe('bench statistics', () => {
  it('percentiles by nearest rank; empty is all zero', () => {
    const recorder = new LatencyRecorder();
    expect(recorder.percentiles()).toEqual({ p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
    for (let i = 1000; i >= 1; i--) recorder.add(i);
    expect(recorder.percentiles()).toEqual({ p50: 500, p90: 900, p99: 990, p999: 999, max: 1000 });
    expect(recorder.count).toBe(1000);
  });

  it("the progress line and uptime as emqtt-bench writes them", () => {
    const previous = newCounters();
    const now = { ...previous, connect_succ: 200, pub_succ: 2000, pub_fail: 1 };
    expect(progressLine('pub', 10_500, now, previous, 1000)).toBe('10s pub_succ total=2000 rate=2000.00/sec conns=200 errors=1');
    expect([uptime(5_000), uptime(65_000), uptime(3_605_000)]).toEqual(['5s', '1m5s', '1h0m5s']);
  });
});

describe('bench connection figures', () => {
  const LIMITS = 'Limit                     Soft Limit           Hard Limit           Units\nMax processes             62811                62811                processes\nMax open files            20000                40000                files\n';

  it('the soft open-file limit from /proc/<pid>/limits; unlimited or absent is no limit', () => {
    expect(parseOpenFileLimit(LIMITS)).toBe(20_000);
    expect(parseOpenFileLimit(LIMITS.replace('20000 ', 'unlimited'))).toBeNull();
    expect(parseOpenFileLimit('Max processes  1  1  processes\n')).toBeNull();
  });

  it('refuses more clients than the limit leaves descriptors for, naming the ulimit to set', () => {
    expect(fileLimitProblem(10_000, 20_000)).toBeNull();
    expect(fileLimitProblem(10_000, null)).toBeNull();
    expect(fileLimitProblem(19_990, 20_000)).toBe('19990 clients need about 20054 open files, but this process may open 20000: raise the limit first (ulimit -n 20054) or use fewer clients.');
  });

  it('connect rate: connections over the span from the first start to the last CONNACK', () => {
    expect(connectRate(10_000, 1_000, 5_000)).toBe(2_500);
    expect(connectRate(3, 0.5, 1_500.5)).toBe(2);
    expect([connectRate(0, 0, 10), connectRate(5, 10, 10)]).toEqual([null, null]);
    const timing = new ConnectTiming();
    expect([timing.rate(1), timing.cpuPerConnect(1)]).toEqual([null, null]); // nothing has happened
    timing.starting();
    timing.connacked();
    timing.ended();
    expect(timing.cpuPerConnect(0)).toBeNull();
    expect(timing.cpuPerConnect(1)).toBeGreaterThanOrEqual(0);
  });

  it('memory per connection: the growth over the connections, bytes, rounded', () => {
    const before = { rss: 50_000_000, heapUsed: 5_000_000 };
    const after = { rss: 175_000_003, heapUsed: 87_000_000 };
    const memory = perConnection(before, after, 10_000, true);
    expect(memory).toEqual({ connections: 10_000, gc: true, before, after, rssPerConnection: 12_500, heapPerConnection: 8_200 });
    expect(idleMemoryText(memory)).toBe('idle memory: 12.2 KB RSS, 8.0 KB heap per connection over 10000 connections');
    expect(idleMemoryText({ ...memory, gc: false })).toContain('(no gc: run node --expose-gc for exact heap figures)');
    expect(perConnection(before, after, 0, false)).toMatchObject({ rssPerConnection: 0, heapPerConnection: 0 });
  });
});

describeWithMosquitto('impmqtt bench against mosquitto', () => {
  const runner = new ProcessRunner();
  let broker: MosquittoBroker;
  let dir: string;
  let at: string[];

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'impmqtt-bench-'));
    broker = await startMosquitto({ maxQueuedMessages: 0 });
    at = ['-h', '127.0.0.1', '-p', String(broker.port)];
  }, 150_000);
  afterAll(async () => {
    runner.stopAll();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const summaryOf = (file: string): BenchSummary => JSON.parse(readFileSync(join(dir, file), 'utf8')) as BenchSummary;
  const ordered = (p: BenchSummary['connectLatencyMs']): boolean => p.p50 <= p.p90 && p.p90 <= p.p99 && p.p99 <= p.p999 && p.p999 <= p.max;

  it('conn holds 400 connections from one process until SIGINT, then says so in the summary and --json', async () => {
    const bench = runner.impmqtt(['bench', 'conn', ...at, '-c', '400', '-i', '0', '--json', join(dir, 'conn.json')], { timeoutMs: 30_000 });
    await stderrShows(bench, 'connected 400/400', 25_000);
    await stderrShows(bench, 'idle memory: ', 10_000); // weighed once all sit idle
    bench.child.kill('SIGINT'); // holds them until stopped, as emqtt-bench does: then the summary
    const run = await bench.done;
    expect(run.status).toBe(0);
    expect(run.stdout.toString()).toContain('connections: 400 connected, 0 failed, 0 lost');
    expect(run.stdout.toString()).toMatch(/connect rate: [\d.]+\/sec \(first connect to last CONNACK\), CPU [\d.]+ µs per connection/);
    expect(run.stdout.toString()).toContain('heap per connection over 400 connections (no gc: run node --expose-gc');
    const summary = summaryOf('conn.json');
    expect(summary.counters).toMatchObject({ connect_succ: 400, connect_fail: 0, connection_lost: 0 });
    expect(ordered(summary.connectLatencyMs)).toBe(true);
    expect(summary.connectRate).toBeGreaterThan(0);
    expect(summary.idleMemory).toMatchObject({ connections: 400, gc: false });
  });

  // The limit is read from /proc (Linux); elsewhere the bench cannot know it and does not check.
  it.skipIf(!existsSync('/proc/self/limits'))('conn refuses to start with more clients than the open-file limit allows', async () => {
    const run = await runner.start('sh', ['-c', 'ulimit -n 256 && exec "$0" "$@"', process.execPath, BIN, 'bench', 'conn', ...at, '-c', '300']).done;
    expect([run.status, run.stderr]).toEqual([1, "Error: 300 clients need about 364 open files, but this process may open 256: raise the limit first (ulimit -n 364) or use fewer clients. Use 'impmqtt bench --help' to see usage.\n"]);
  });

  it('pub -L and sub agree: every message published once, and received by every subscriber', async () => {
    const subscribers = 100;
    const messages = 200;
    const sub = runner.impmqtt(['bench', 'sub', ...at, '-c', String(subscribers), '-i', '0', '-t', 'b/#', '-q', '1', '-L', String(subscribers * messages), '--json', join(dir, 'sub.json')], { timeoutMs: 60_000 });
    await stderrShows(sub, `subscribed ${subscribers}/${subscribers}`, 30_000);
    const pub = await runner.impmqtt(['bench', 'pub', ...at, '-c', '20', '-i', '0', '-I', '0', '-w', '-q', '1', '-s', '64', '-t', 'b/%i', '-L', String(messages), '--json', join(dir, 'pub.json')], { timeoutMs: 60_000 }).done;
    expect([pub.status, pub.stderr]).toEqual([0, 'connected 20/20\npublish complete\n']);
    const published = summaryOf('pub.json');
    expect(published.counters).toMatchObject({ connect_succ: 20, pub: messages, pub_succ: messages, pub_fail: 0 });
    expect(ordered(published.publishLatencyMs) && published.publishLatencyMs.max > 0).toBe(true);
    expect((await sub.done).status).toBe(0);
    const received = summaryOf('sub.json');
    expect(received.counters).toMatchObject({ connect_succ: subscribers, sub: subscribers, sub_fail: 0, recv: subscribers * messages });
  }, 90_000);

  it('usage: a kind is required', async () => {
    const run = await runner.impmqtt(['bench', ...at]).done;
    expect([run.status, run.stderr]).toEqual([1, "Error: Say what to run: impmqtt bench pub | sub | conn. Use 'impmqtt bench --help' to see usage.\n"]);
  });
});
