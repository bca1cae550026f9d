/**
 * `impmqtt bench` against mosquitto: a few hundred connections from one process, a publisher and
 * subscribers whose summaries agree with each other and with the limits asked for, --json.
 * Its statistics (percentiles, the progress line) in-process.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LatencyRecorder, newCounters, progressLine, uptime } from '../../src/cli/bench-stats.js';
import type { BenchSummary } from '../../src/cli/bench-stats.js';
import { ProcessRunner, stderrShows } from '../support/cli.js';
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
    bench.child.kill('SIGINT'); // holds them until stopped, as emqtt-bench does: then the summary
    const run = await bench.done;
    expect(run.status).toBe(0);
    expect(run.stdout.toString()).toContain('connections: 400 connected, 0 failed, 0 lost');
    const summary = summaryOf('conn.json');
    expect(summary.counters).toMatchObject({ connect_succ: 400, connect_fail: 0, connection_lost: 0 });
    expect(ordered(summary.connectLatencyMs)).toBe(true);
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
