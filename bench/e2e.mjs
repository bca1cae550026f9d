// End-to-end benchmark: impmqtt against the anchor, MQTT.js 5.16, through a real broker
// (mosquitto, started here on a free 127.0.0.1 port and stopped at the end). See
// perf-targets.md in ../shared/reference/ (beside this repository) for the anchor figures and
// the rules: same sitting, interleaved rounds, ratios, client CPU time per message from process.cpuUsage().
// A report, not a test: it exits 0 whether targets pass or miss (and prints what went wrong, e.g.
// lost messages); it exits 77 (SKIP_EXIT_CODE) when mosquitto is not installed, and 1 when the
// benchmark itself cannot run (broker does not start, build missing).
//
//   npm run bench:e2e                        # build, then everything (~2–3 min)
//   node bench/e2e.mjs --quick               # half the messages, 3 rounds, fewer samples (~1 min)
//   node bench/e2e.mjs --only=throughput     # or latency, idle (comma-separated); not saved
//   node bench/e2e.mjs --rounds=7 --n0=200000 --n1=100000 --n2=40000 --samples=5000 --conns=1000
//
// What it measures:
// 1. Throughput and CPU per message: 1 publisher → mosquitto → 1 subscriber, each client in its
//    own child process (bench/e2e/publisher.mjs, subscriber.mjs; one fresh pair per library per
//    round), 64-byte payloads, QoS 0/1/2; the subscriber is subscribed at the same QoS before the
//    publisher starts. Rounds interleave A B B A …; medians over rounds.
// 2. Sequential QoS 1 round-trip latency, both libraries in one child process (bench/e2e/latency.mjs).
// 3. Memory per idle connection, 1,000 connections per child process (bench/e2e/idle.mjs).
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SKIP_EXIT_CODE, environment, formatOps, gitCommit, median, parseArgs, table, writeJson } from './harness.mjs';
import { BROKER_SETTINGS, processCpuUs, sleep, startMosquitto, stopMosquitto } from './_mosquitto.mjs';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = parseArgs();
const quick = Boolean(args.quick);

const MOSQUITTO = args.mosquitto ?? '/usr/sbin/mosquitto';
const IMP = 'impmqtt';
const MQTTJS = 'MQTT.js';
const BARE = 'bare socket';
const LIBS = [IMP, MQTTJS];

const config = {
  rounds: Number(args.rounds ?? (quick ? 3 : 5)),
  // Sized so that one run takes ~1–5 s on this 2-core machine (impmqtt the shorter).
  n: [Number(args.n0 ?? (quick ? 100_000 : 200_000)), Number(args.n1 ?? (quick ? 50_000 : 100_000)), Number(args.n2 ?? (quick ? 20_000 : 40_000))],
  qos0Batch: Number(args.batch ?? 1000),
  qos1Window: Number(args.window1 ?? 1000),
  qos2Window: 100,
  latencyWarmup: Number(args.warmup ?? (quick ? 200 : 500)),
  latencySamples: Number(args.samples ?? (quick ? 2000 : 5000)),
  latencyBlock: 250,
  idleConns: Number(args.conns ?? 1000),
  idleGroup: 50,
  idleRounds: Number(args['idle-rounds'] ?? (quick ? 1 : 2)),
  keepalive: 60,
  stallMs: 5000,
};
const sections = args.only ? new Set(String(args.only).split(',')) : new Set(['throughput', 'latency', 'idle']);
const partial = Boolean(args.only) || args.rounds !== undefined || args.n0 !== undefined || args.n1 !== undefined || args.n2 !== undefined;

// Figures from perf-targets.md (another sitting; shown to tell how fast this machine runs now).
const REFERENCE = {
  msgPerSec: { 0: [75e3, 105e3], 1: [24.5e3, 36e3], 2: [12.5e3, 14.8e3] },
  pubCpu: { 0: [3.2, 4.8], 1: [15.8, 19.4], 2: [31, 32] },
  subCpu: { 0: [6.0, 7.7], 1: [15, 18], 2: [38, 40] },
  cPubCpu: { 0: [2.1, 2.4], 1: [12.2, 13.7], 2: [22, 26] },
  cSubCpu: { 0: [5.5, 6.0], 1: [11.5, 12.5], 2: [22, 22] },
  latency: { p50: 87, p99: 455 },
  idle: { [MQTTJS]: { rss: 46.1, heap: 20.4 }, [BARE]: { rss: 11.6, heap: 1.6 } },
};

// ---------------------------------------------------------------------------------------------
// Can it run here?

if (!existsSync(MOSQUITTO)) {
  console.log(`SKIP: mosquitto is not installed (${MOSQUITTO} not found); the end-to-end benchmark needs it (apt-get install mosquitto).`);
  process.exit(SKIP_EXIT_CODE);
}
const distIndex = join(root, 'dist', 'esm', 'index.js');
if (!existsSync(distIndex)) {
  console.error('dist/esm/index.js is missing: run `npm run build` first (npm run bench:e2e does).');
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Processes: every child and the broker are tracked and killed on the way out, whatever happens.

const children = new Set();
let broker = null;
const tmp = mkdtempSync(join(os.tmpdir(), 'impmqtt-e2e-'));

function cleanupSync() {
  for (const child of children) {
    try {
      child.proc.kill('SIGKILL');
    } catch {}
  }
  children.clear();
  if (broker && broker.proc.exitCode === null && broker.proc.signalCode === null) {
    try {
      broker.proc.kill('SIGKILL');
    } catch {}
  }
  try {
    rmSync(tmp, { recursive: true, force: true });
  } catch {}
}
process.on('exit', cleanupSync);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping the broker and child processes.`);
    cleanupSync();
    process.exit(130);
  });
}

// A snapshot of the build, so a rebuild by someone else during the run cannot change what is
// measured half-way or break an import.
const snapshot = join(tmp, 'impmqtt-esm');
cpSync(join(root, 'dist', 'esm'), snapshot, { recursive: true });
writeFileSync(join(snapshot, 'package.json'), '{"type":"module"}\n');
const childEnv = { ...process.env, IMPMQTT_DIST: join(snapshot, 'index.js') };

class Child {
  constructor(script, cfg, nodeArgs = []) {
    this.name = `${script}(${cfg.lib ?? 'both'})`;
    this.queue = [];
    this.waiters = [];
    this.events = [];
    this.exit = null;
    this.proc = spawn(process.execPath, [...nodeArgs, join(here, 'e2e', script), JSON.stringify(cfg)], { cwd: root, env: childEnv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(this);
    this.proc.on('message', (message) => {
      if (message.type === 'closed') this.events.push(message.description);
      this.queue.push(message);
      this.deliver();
    });
    this.proc.on('exit', (code, signal) => {
      children.delete(this);
      this.exit = { code, signal };
      this.deliver();
    });
    this.proc.on('error', (error) => {
      this.queue.push({ type: 'error', message: error.message });
      this.deliver();
    });
  }

  deliver() {
    for (const waiter of [...this.waiters]) {
      const index = this.queue.findIndex((m) => m.type === waiter.type || m.type === 'error');
      if (index !== -1) {
        const [message] = this.queue.splice(index, 1);
        waiter.resolve(message);
      } else if (this.exit) waiter.resolve({ type: 'exit', ...this.exit });
      else continue;
      clearTimeout(waiter.timer);
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
    }
  }

  /** The next message of `type` (or an 'error' message, an 'exit', or a 'timeout'). */
  next(type, timeoutMs) {
    return new Promise((resolve) => {
      const waiter = { type, resolve };
      waiter.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        resolve({ type: 'timeout' });
      }, timeoutMs);
      this.waiters.push(waiter);
      this.deliver();
    });
  }

  send(message) {
    if (this.exit === null && this.proc.connected) {
      try {
        this.proc.send(message);
      } catch {}
    }
  }

  /** Asks the child to disconnect and exit; kills it if it has not within `graceMs`. */
  async stop(graceMs = 4000) {
    if (this.exit) return this.exit;
    this.send({ type: 'exit' });
    const result = await this.next('__never__', graceMs);
    if (result.type === 'timeout') {
      this.proc.kill('SIGKILL');
      await this.next('__never__', 2000);
      return { code: null, signal: 'SIGKILL', forced: true };
    }
    return this.exit;
  }
}

// ---------------------------------------------------------------------------------------------
// The broker

const startBroker = () => startMosquitto(MOSQUITTO, tmp);
const stopBroker = () => stopMosquitto(broker);
/** mosquitto's CPU time so far, µs. */
const brokerCpuUs = () => processCpuUs(broker.proc.pid);

/** Whole-machine CPU counters from /proc/stat, for the steal share over a span. */
function machineCpu() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    return { total: v.reduce((a, b) => a + b, 0), idle: v[3] + (v[4] ?? 0), steal: v[7] ?? 0 };
  } catch {
    return null;
  }
}

function cpuShare(a, b) {
  if (!a || !b || b.total === a.total) return null;
  const total = b.total - a.total;
  return { busy: 1 - (b.idle - a.idle) / total, steal: (b.steal - a.steal) / total };
}

// ---------------------------------------------------------------------------------------------
// 1. Throughput and CPU per message

const problems = [];
let runCounter = 0;

/** Waits for `type` from `child`, polling its progress each second; gives up when `metric` of the
 * progress has not moved for `stallMs`. */
async function waitWithProgress(child, type, metric, stallMs) {
  let last = null;
  let lastChange = Date.now();
  let lastProgress = null;
  for (;;) {
    const message = await child.next(type, 1000);
    if (message.type !== 'timeout') return { message, progress: lastProgress };
    child.send({ type: 'progress' });
    const progress = await child.next('progress', 2000);
    if (progress.type === 'progress') {
      lastProgress = progress;
      const value = metric(progress);
      if (value !== last) {
        last = value;
        lastChange = Date.now();
      }
    } else if (progress.type !== 'timeout') {
      return { message: progress, progress: lastProgress }; // exit or error
    }
    if (Date.now() - lastChange > stallMs) return { message: { type: 'stalled' }, progress: lastProgress };
  }
}

async function throughputRun(lib, qos, n, round, variant = null) {
  const tag = `r${String(++runCounter).padStart(3, '0')}`;
  const topic = `bench/e2e/${tag}`;
  const run = { lib, qos, n, round, variant, topic, ok: false, complete: false, problems: [] };
  const base = { lib, port: broker.port, qos, n, topic, keepalive: config.keepalive };
  const pubCfg = { ...base, clientId: `pub-${tag}`, batch: config.qos0Batch, window: qos === 1 ? config.qos1Window : config.qos2Window };
  if (lib === IMP && qos === 2) pubCfg.maxInflight = config.qos2Window;
  if (variant === 'maxInflight') {
    pubCfg.window = n; // publish everything at once; impmqtt's maxInflight holds all but 100 back
    pubCfg.maxBuffered = n;
  }
  run.method = qos === 0 ? `batches of ${pubCfg.batch}` : `window ${pubCfg.window}${pubCfg.maxInflight ? `, maxInflight ${pubCfg.maxInflight}` : ''}`;

  const sub = new Child('subscriber.mjs', { ...base, clientId: `sub-${tag}` });
  let pub = null;
  try {
    const subReady = await sub.next('ready', 15000);
    if (subReady.type !== 'ready') throw new Error(`subscriber not ready: ${JSON.stringify(subReady)}`);
    if (subReady.grantedQoS !== qos) run.problems.push(`subscription granted QoS ${subReady.grantedQoS}, asked ${qos}`);
    pub = new Child('publisher.mjs', pubCfg);
    const pubReady = await pub.next('ready', 15000);
    if (pubReady.type !== 'ready') throw new Error(`publisher not ready: ${JSON.stringify(pubReady)}`);

    const broker0 = brokerCpuUs();
    const machine0 = machineCpu();
    sub.send({ type: 'arm' });
    pub.send({ type: 'go' });
    const pubResult = await waitWithProgress(pub, 'done', (p) => p.completed, config.stallMs);
    const subResult = await waitWithProgress(sub, 'done', (p) => p.unique, pubResult.message.type === 'done' ? 3000 : 1000);
    let subDone = subResult.message;
    if (subDone.type === 'stalled') {
      sub.send({ type: 'finish' });
      subDone = await sub.next('done', 3000);
    }
    const broker1 = brokerCpuUs();
    run.machine = cpuShare(machine0, machineCpu());

    const pubDone = pubResult.message;
    if (pubDone.type !== 'done') {
      const p = pubResult.progress;
      run.problems.push(
        `publisher ${pubDone.type === 'stalled' ? `stalled (no completion for ${config.stallMs / 1000} s)` : pubDone.type}${pubDone.message ? `: ${pubDone.message}` : ''}` +
          (p ? `; sent ${p.sent}, completed ${p.completed} of ${n}, failures ${p.failures}, client state ${JSON.stringify(p.state)}` : ''),
      );
    } else {
      run.pub = { sent: pubDone.sent, completed: pubDone.completed, failures: pubDone.failures, elapsedMs: pubDone.endedAt - pubDone.startedAt, cpuUs: pubDone.cpuUser + pubDone.cpuSystem, userUs: pubDone.cpuUser, systemUs: pubDone.cpuSystem, io: pubDone.io, rss: pubDone.memory };
      run.pubCpuUsPerMsg = run.pub.cpuUs / n;
      if (pubDone.failures > 0) run.problems.push(`${pubDone.failures} publish callbacks reported failure`);
    }
    if (subDone.type !== 'done') {
      run.problems.push(`subscriber: ${subDone.type}${subDone.message ? `: ${subDone.message}` : ''}`);
    } else {
      run.sub = { unique: subDone.unique, total: subDone.total, duplicates: subDone.duplicates, outOfOrder: subDone.outOfOrder, malformed: subDone.malformed, cpuUs: subDone.cpuUser + subDone.cpuSystem, userUs: subDone.cpuUser, systemUs: subDone.cpuSystem, io: subDone.io, rss: subDone.memory };
      run.complete = subDone.complete && subDone.unique === n;
      run.subCpuUsPerMsg = run.sub.cpuUs / Math.max(1, subDone.unique);
      if (!run.complete) run.problems.push(`LOST MESSAGES: subscriber received ${subDone.unique} of ${n} distinct messages (${subDone.total} in all)`);
      if (subDone.duplicates > 0) run.problems.push(`${subDone.duplicates} duplicate deliveries`);
      if (subDone.malformed > 0) run.problems.push(`${subDone.malformed} malformed payloads`);
      if (run.complete && pubDone.type === 'done') {
        run.elapsedMs = subDone.lastAt - pubDone.startedAt;
        run.msgPerSec = (n * 1000) / run.elapsedMs;
      }
    }
    if (broker0 !== null && broker1 !== null) run.brokerCpuUsPerMsg = (broker1 - broker0) / n;
    for (const event of [...pub.events, ...sub.events]) run.problems.push(event);
    run.ok = run.complete && pubDone.type === 'done' && run.problems.length === 0;
  } catch (error) {
    run.problems.push(error.message);
  } finally {
    const exits = await Promise.all([pub?.stop(), sub.stop()]);
    if (exits.some((e) => e?.forced)) run.problems.push('a child had to be killed at the end');
  }
  return run;
}

function describeRun(r) {
  const rate = r.msgPerSec ? `${formatOps(r.msgPerSec)} msg/s` : 'no rate';
  const cpu = r.pubCpuUsPerMsg !== undefined ? ` pub ${r.pubCpuUsPerMsg.toFixed(2)} µs` : '';
  const scpu = r.subCpuUsPerMsg !== undefined ? ` sub ${r.subCpuUsPerMsg.toFixed(2)} µs` : '';
  const recv = r.sub ? ` recv ${r.sub.unique}/${r.n}` : '';
  return `${rate},${cpu}${scpu}${recv}${r.problems.length ? `  PROBLEM: ${r.problems.join('; ')}` : ''}`;
}

async function throughputSection() {
  const runs = [];
  for (const qos of [0, 1, 2]) {
    const n = config.n[qos];
    for (let round = 0; round < config.rounds; round++) {
      const order = round % 2 === 0 ? LIBS : [...LIBS].reverse();
      for (const lib of order) {
        const run = await throughputRun(lib, qos, n, round);
        runs.push(run);
        process.stderr.write(`  QoS ${qos} round ${round + 1} ${lib.padEnd(7)} ${describeRun(run)}\n`);
      }
    }
  }
  // impmqtt's own flow control doing the limiting (informational; not in the ratios).
  if (!quick) {
    const run = await throughputRun(IMP, 2, config.n[2], 0, 'maxInflight');
    runs.push(run);
    process.stderr.write(`  QoS 2 impmqtt, all ${config.n[2]} published at once, maxInflight 100: ${describeRun(run)}\n`);
  }
  return runs;
}

// ---------------------------------------------------------------------------------------------
// 2. Latency

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

async function latencySection() {
  const child = new Child('latency.mjs', { port: broker.port, warmup: config.latencyWarmup, samples: config.latencySamples, block: config.latencyBlock });
  const result = await waitWithProgress(child, 'done', (p) => `${p.phase}${p.done}`, 10_000);
  const message = result.message;
  await child.stop();
  if (message.type !== 'done') {
    const p = result.progress;
    const text = `latency: ${message.type}${message.message ? `: ${message.message}` : ''}${p ? ` (at ${p.phase}, ${p.lib}, ${p.done} round trips done)` : ''}`;
    problems.push(text);
    return { error: text };
  }
  const out = {};
  for (const lib of LIBS) {
    const r = message.results[lib];
    const sorted = Float64Array.from(r.samples).sort();
    out[lib] = {
      samples: sorted.length,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      p999: percentile(sorted, 99.9),
      min: sorted[0],
      mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
      failures: r.failures,
      stray: r.stray,
      problems: r.problems,
    };
    if (r.failures) problems.push(`latency ${lib}: ${r.failures} publish callbacks reported failure`);
    if (r.stray) problems.push(`latency ${lib}: ${r.stray} messages arrived when none was expected`);
    for (const p of r.problems) problems.push(`latency ${lib}: ${p}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 3. Idle connections

async function idleSection() {
  const runs = [];
  const order = [];
  for (let round = 0; round < config.idleRounds; round++) order.push(...(round % 2 === 0 ? [IMP, MQTTJS, BARE] : [BARE, MQTTJS, IMP]));
  for (const lib of order) {
    const child = new Child('idle.mjs', { lib, port: broker.port, conns: config.idleConns, group: config.idleGroup, keepalive: config.keepalive }, ['--expose-gc']);
    const message = await child.next('done', 120_000);
    await child.stop(8000);
    if (message.type !== 'done') {
      const text = `idle ${lib}: ${message.type}${message.message ? `: ${message.message}` : ''}`;
      problems.push(text);
      runs.push({ lib, error: text });
      process.stderr.write(`  idle ${lib}: ${text}\n`);
      continue;
    }
    const per = (key) => (message.after[key] - message.baseline[key]) / message.conns / 1024;
    const run = {
      lib,
      conns: message.conns,
      requested: message.requested,
      fdLimit: message.fdLimit,
      connectMs: message.connectMs,
      rssKB: per('rss'),
      heapKB: per('heapUsed'),
      externalKB: per('external'),
      // Including the first connection's one-off costs, against the process before any connection:
      rssKBFromEmpty: (message.after.rss - message.empty.rss) / (message.conns + 1) / 1024,
      heapKBFromEmpty: (message.after.heapUsed - message.empty.heapUsed) / (message.conns + 1) / 1024,
      memory: { empty: message.empty, baseline: message.baseline, after: message.after },
    };
    if (message.conns < message.requested) problems.push(`idle ${lib}: only ${message.conns} connections (open-file limit ${message.fdLimit})`);
    runs.push(run);
    process.stderr.write(`  idle ${lib.padEnd(11)} ${message.conns} conns in ${message.connectMs.toFixed(0)} ms: ${run.rssKB.toFixed(1)} KB RSS, ${run.heapKB.toFixed(1)} KB heap per connection\n`);
  }
  return runs;
}

// ---------------------------------------------------------------------------------------------
// Run

const env = environment();
const mqttVersion = require('mqtt/package.json').version;
let brokerVersion = 'mosquitto';
try {
  brokerVersion = execFileSync(MOSQUITTO, ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0].trim();
} catch (error) {
  brokerVersion = String(error.stdout ?? '').split('\n')[0].trim() || 'mosquitto (version unknown)';
}

const commit = gitCommit(root, ['src']);

const METHOD = [
  `Broker: ${brokerVersion}, its own process on 127.0.0.1, ${BROKER_SETTINGS.slice(0, 6).join(', ')}.`,
  `Throughput: 1 publisher → broker → 1 subscriber, each client a separate child process (a fresh pair per run),`,
  `  64 B payload (a new Buffer per message, sequence number inside), subscriber subscribed at the same QoS first.`,
  `  QoS 0: batches of ${config.qos0Batch}, callback on each batch's last publish only, next batch once it fires (socket backpressure).`,
  `  QoS 1: at most ${config.qos1Window} publishes awaiting PUBACK; QoS 2: at most ${config.qos2Window} awaiting PUBCOMP (impmqtt also maxInflight ${config.qos2Window}).`,
  `  N = ${config.n.map((n, q) => `${n / 1000}k at QoS ${q}`).join(', ')}; ${config.rounds} rounds per library, order A B B A …; medians over complete runs.`,
  `  msg/s = N / (last message received − first publish); CPU = process.cpuUsage() user+system of each process`,
  `  (publisher: first publish → last callback; subscriber: just before the publisher starts → last message), ÷ N.`,
  `Latency: sequential QoS 1, publisher and subscriber clients per library in one process; a sample = publish →`,
  `  received AND PUBACK callback; ${config.latencyWarmup} warm-up + ${config.latencySamples} samples per library, in alternating blocks of ${config.latencyBlock}.`,
  `Idle: ${config.idleConns} connections (keepalive ${config.keepalive} s) per child process after one warm-up connection; gc, 1 s, gc;`,
  `  (memoryUsage after − baseline with the warm-up connection) ÷ connections; KB = 1024 B.`,
];

console.log(`impmqtt vs MQTT.js ${mqttVersion} end to end through ${brokerVersion} — node ${env.node}, ${env.cpu} × ${env.cores}, load ${env.loadavg.join(' ')}${quick ? ' (--quick)' : ''}`);
for (const line of METHOD) console.log(line);
console.log('');

const started = Date.now();
let throughputRuns = [];
let latency = null;
let idleRuns = [];
let machineShare = null;
try {
  broker = await startBroker();
  const machine0 = machineCpu();
  if (sections.has('throughput')) {
    console.error('Throughput and CPU per message:');
    throughputRuns = await throughputSection();
  }
  if (sections.has('latency')) {
    console.error('Latency (sequential QoS 1 round trips)…');
    latency = await latencySection();
  }
  if (sections.has('idle')) {
    console.error('Idle connections:');
    idleRuns = await idleSection();
  }
  machineShare = cpuShare(machine0, machineCpu());
  if (broker.proc.exitCode !== null || broker.proc.signalCode !== null) problems.push(`mosquitto exited during the run: ${broker.log}`);
} catch (error) {
  console.error(`\nThe benchmark could not run: ${error.stack ?? error}`);
  if (broker?.log) console.error(`mosquitto log:\n${broker.log}`);
  for (const child of [...children]) await child.stop(1000);
  await stopBroker();
  process.exit(1);
}
for (const child of [...children]) await child.stop(2000);
await stopBroker();
const seconds = (Date.now() - started) / 1000;

// ---------------------------------------------------------------------------------------------
// Report

const fmtUs = (x) => (x === undefined || x === null || !Number.isFinite(x) ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const fmtRatio = (x) => (x === undefined || x === null || !Number.isFinite(x) ? '—' : `${x.toFixed(2)}×`);
const range = ([a, b]) => (a === b ? `${a}` : `${a}–${b}`);

const summary = [];
const targets = [];
if (throughputRuns.length > 0) {
  for (const qos of [0, 1, 2]) {
    const perLib = {};
    for (const lib of LIBS) {
      const all = throughputRuns.filter((r) => r.qos === qos && r.lib === lib && r.variant === null);
      const good = all.filter((r) => r.complete && r.msgPerSec);
      perLib[lib] = {
        runs: all.length,
        complete: good.length,
        msgPerSec: good.length ? median(good.map((r) => r.msgPerSec)) : null,
        pubCpu: good.length ? median(good.map((r) => r.pubCpuUsPerMsg)) : null,
        subCpu: good.length ? median(good.map((r) => r.subCpuUsPerMsg)) : null,
        brokerCpu: good.length && good.every((r) => r.brokerCpuUsPerMsg !== undefined) ? median(good.map((r) => r.brokerCpuUsPerMsg)) : null,
        // CPU split and system calls, per message / per 1000 messages (medians over complete runs).
        pubUser: good.length ? median(good.map((r) => r.pub.userUs / r.n)) : null,
        pubSystem: good.length ? median(good.map((r) => r.pub.systemUs / r.n)) : null,
        subUser: good.length ? median(good.map((r) => r.sub.userUs / r.n)) : null,
        subSystem: good.length ? median(good.map((r) => r.sub.systemUs / r.n)) : null,
        pubWritesPerK: good.length && good.every((r) => r.pub.io) ? median(good.map((r) => (1000 * r.pub.io.writes) / r.n)) : null,
        pubReadsPerK: good.length && good.every((r) => r.pub.io) ? median(good.map((r) => (1000 * r.pub.io.reads) / r.n)) : null,
        subReadsPerK: good.length && good.every((r) => r.sub.io) ? median(good.map((r) => (1000 * r.sub.io.reads) / r.n)) : null,
        subWritesPerK: good.length && good.every((r) => r.sub.io) ? median(good.map((r) => (1000 * r.sub.io.writes) / r.n)) : null,
        received: all.map((r) => r.sub?.unique ?? null),
        duplicates: all.reduce((a, r) => a + (r.sub?.duplicates ?? 0), 0),
        outOfOrder: all.reduce((a, r) => a + (r.sub?.outOfOrder ?? 0), 0),
        failures: all.reduce((a, r) => a + (r.pub?.failures ?? 0), 0),
        problemRuns: all.filter((r) => r.problems.length > 0).length,
      };
    }
    // Per-round (paired) ratios over rounds where both runs completed.
    const paired = (key) => {
      const out = [];
      for (let round = 0; round < config.rounds; round++) {
        const a = throughputRuns.find((r) => r.qos === qos && r.lib === IMP && r.round === round && r.variant === null);
        const b = throughputRuns.find((r) => r.qos === qos && r.lib === MQTTJS && r.round === round && r.variant === null);
        if (a?.complete && b?.complete && a[key] && b[key]) out.push(a[key] / b[key]);
      }
      return out;
    };
    const ratio = (key) => (perLib[IMP][key] && perLib[MQTTJS][key] ? perLib[IMP][key] / perLib[MQTTJS][key] : null);
    const entry = {
      qos,
      n: config.n[qos],
      [IMP]: perLib[IMP],
      [MQTTJS]: perLib[MQTTJS],
      ratios: { msgPerSec: ratio('msgPerSec'), pubCpu: ratio('pubCpu'), subCpu: ratio('subCpu'), brokerCpu: ratio('brokerCpu') },
      paired: { msgPerSec: paired('msgPerSec'), pubCpu: paired('pubCpuUsPerMsg'), subCpu: paired('subCpuUsPerMsg') },
    };
    summary.push(entry);
  }

  const pr = (list) => (list.length ? `${Math.min(...list).toFixed(2)}–${Math.max(...list).toFixed(2)}` : '—');
  console.log('Throughput, 1 publisher → mosquitto → 1 subscriber, 64 B (msg/s = N / first publish → last received)\n');
  const rows = [['case', 'N', `${IMP} msg/s`, `${MQTTJS} msg/s`, 'ratio', 'paired range', `${MQTTJS} ref`]];
  for (const s of summary) {
    rows.push([`QoS ${s.qos}`, formatOps(s.n), s[IMP].msgPerSec ? formatOps(s[IMP].msgPerSec) : '—', s[MQTTJS].msgPerSec ? formatOps(s[MQTTJS].msgPerSec) : '—', fmtRatio(s.ratios.msgPerSec), pr(s.paired.msgPerSec), REFERENCE.msgPerSec[s.qos].map((x) => formatOps(x).trim()).join('–')]);
  }
  table(rows);

  console.log('\nClient CPU per message, µs (user+system of the whole process ÷ N; lower is better; ratio = impmqtt ÷ MQTT.js)\n');
  const cpuRows = [['case', `${IMP} µs`, `${MQTTJS} µs`, 'ratio', 'paired range', `${MQTTJS} ref`, 'C clients ref']];
  for (const s of summary) {
    cpuRows.push([`QoS ${s.qos} publisher`, fmtUs(s[IMP].pubCpu), fmtUs(s[MQTTJS].pubCpu), fmtRatio(s.ratios.pubCpu), pr(s.paired.pubCpu), range(REFERENCE.pubCpu[s.qos]), range(REFERENCE.cPubCpu[s.qos])]);
    cpuRows.push([`QoS ${s.qos} subscriber`, fmtUs(s[IMP].subCpu), fmtUs(s[MQTTJS].subCpu), fmtRatio(s.ratios.subCpu), pr(s.paired.subCpu), range(REFERENCE.subCpu[s.qos]), range(REFERENCE.cSubCpu[s.qos])]);
  }
  table(cpuRows);
  console.log('(mosquitto\'s own CPU per message, same runs: ' + summary.map((s) => `QoS ${s.qos} ${fmtUs(s[IMP].brokerCpu)} µs with impmqtt, ${fmtUs(s[MQTTJS].brokerCpu)} µs with MQTT.js`).join('; ') + ')');

  console.log('\nWhere the CPU goes: user / system µs per message, and read / write system calls per 1000 messages');
  console.log('(/proc/self/io syscr/syscw of each process over the same span; a consumer that keeps up with the broker');
  console.log(' reads more often, fewer messages per read, and pays the per-read kernel and stream cost more often)\n');
  const f1 = (x) => (x === null || x === undefined ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const splitRows = [['case', 'library', 'pub user', 'pub sys', 'pub writes/1k', 'pub reads/1k', 'sub user', 'sub sys', 'sub reads/1k', 'sub writes/1k']];
  for (const s of summary) {
    for (const lib of LIBS) {
      const x = s[lib];
      splitRows.push([`QoS ${s.qos}`, lib, fmtUs(x.pubUser), fmtUs(x.pubSystem), f1(x.pubWritesPerK), f1(x.pubReadsPerK), fmtUs(x.subUser), fmtUs(x.subSystem), f1(x.subReadsPerK), f1(x.subWritesPerK)]);
    }
  }
  table(splitRows);

  console.log('\nDelivery checks (every run: distinct messages received of N; duplicates; reordered; failed callbacks)\n');
  const checkRows = [['case', 'library', 'complete runs', 'received per run', 'dups', 'reordered', 'failed cbs']];
  for (const s of summary) {
    for (const lib of LIBS) {
      const x = s[lib];
      const received = x.received.every((v) => v === s.n) ? `all ${s.n}` : x.received.map((v) => (v === null ? '?' : v)).join(' ');
      checkRows.push([`QoS ${s.qos}`, lib, `${x.complete}/${x.runs}`, received, x.duplicates, x.outOfOrder, x.failures]);
    }
  }
  table(checkRows);
  const variant = throughputRuns.find((r) => r.variant === 'maxInflight');
  if (variant) {
    console.log(`\nimpmqtt at QoS 2 with all ${variant.n} messages published in one go (payloads and requests for all of them made at`);
    console.log(`once) and maxInflight 100, maxBuffered N doing the limiting in the client (one run; not in the ratios):`);
    console.log(`  ${describeRun(variant)}`);
  }

  for (const s of summary) {
    targets.push({ target: `QoS ${s.qos} publisher CPU/msg ≤ 0.5× MQTT.js`, value: s.ratios.pubCpu, needs: '≤ 0.50×', pass: s.ratios.pubCpu !== null && s.ratios.pubCpu <= 0.5 });
    targets.push({ target: `QoS ${s.qos} subscriber CPU/msg ≤ 0.5× MQTT.js`, value: s.ratios.subCpu, needs: '≤ 0.50×', pass: s.ratios.subCpu !== null && s.ratios.subCpu <= 0.5 });
  }
  for (const s of summary) {
    targets.push({ target: `QoS ${s.qos} e2e msg/s ≥ 1× MQTT.js`, value: s.ratios.msgPerSec, needs: '≥ 1.00×', pass: s.ratios.msgPerSec !== null && s.ratios.msgPerSec >= 1 });
  }
  for (const s of summary) {
    const lost = s[IMP].complete < s[IMP].runs;
    targets.push({ target: `QoS ${s.qos} impmqtt delivers every message`, value: `${s[IMP].complete}/${s[IMP].runs} runs`, needs: 'all runs', pass: !lost });
  }
}

if (latency && !latency.error) {
  console.log('\nSequential QoS 1 round trip (publish → received and PUBACK), µs\n');
  const rows = [['library', 'samples', 'p50', 'p90', 'p99', 'p99.9', 'mean', 'min', 'ref p50 / p99']];
  for (const lib of LIBS) {
    const l = latency[lib];
    rows.push([lib, l.samples, fmtUs(l.p50), fmtUs(l.p90), fmtUs(l.p99), fmtUs(l.p999), fmtUs(l.mean), fmtUs(l.min), lib === MQTTJS ? `${REFERENCE.latency.p50} / ${REFERENCE.latency.p99}` : '']);
  }
  rows.push(['ratio', '', fmtRatio(latency[IMP].p50 / latency[MQTTJS].p50), fmtRatio(latency[IMP].p90 / latency[MQTTJS].p90), fmtRatio(latency[IMP].p99 / latency[MQTTJS].p99), fmtRatio(latency[IMP].p999 / latency[MQTTJS].p999), fmtRatio(latency[IMP].mean / latency[MQTTJS].mean), '', '']);
  table(rows);
  targets.push({ target: 'QoS 1 round trip p50 ≤ MQTT.js (no target set; report)', value: latency[IMP].p50 / latency[MQTTJS].p50, needs: '≤ 1.00×', pass: latency[IMP].p50 <= latency[MQTTJS].p50, info: true });
}

let idleSummary = null;
if (idleRuns.length > 0) {
  idleSummary = {};
  console.log(`\nMemory per idle connection (${config.idleConns} connections, keepalive ${config.keepalive} s; KB = 1024 B; median of ${config.idleRounds} run(s) per library)\n`);
  const rows = [['library', 'connections', 'RSS KB/conn', 'heap KB/conn', 'external KB/conn', 'RSS incl. first conn', 'ref RSS / heap']];
  for (const lib of [IMP, MQTTJS, BARE]) {
    const runs = idleRuns.filter((r) => r.lib === lib && !r.error);
    if (runs.length === 0) continue;
    const s = {
      conns: Math.min(...runs.map((r) => r.conns)),
      rssKB: median(runs.map((r) => r.rssKB)),
      heapKB: median(runs.map((r) => r.heapKB)),
      externalKB: median(runs.map((r) => r.externalKB)),
      rssKBFromEmpty: median(runs.map((r) => r.rssKBFromEmpty)),
      runs: runs.map((r) => ({ rssKB: r.rssKB, heapKB: r.heapKB })),
    };
    idleSummary[lib] = s;
    const ref = REFERENCE.idle[lib];
    rows.push([lib, s.conns, s.rssKB.toFixed(1), s.heapKB.toFixed(1), s.externalKB.toFixed(1), s.rssKBFromEmpty.toFixed(1), ref ? `${ref.rss} / ${ref.heap}` : '']);
  }
  table(rows);
  console.log('(RSS incl. first conn = (RSS after − RSS before any connection) ÷ (connections + 1): one-off costs included)');
  if (idleSummary[IMP]) {
    targets.push({ target: 'idle connection ≤ 12 KB RSS (impmqtt)', value: `${idleSummary[IMP].rssKB.toFixed(1)} KB`, needs: '≤ 12 KB', pass: idleSummary[IMP].rssKB <= 12 });
    if (idleSummary[MQTTJS]) targets.push({ target: 'idle heap per connection vs MQTT.js (report)', value: idleSummary[IMP].heapKB / idleSummary[MQTTJS].heapKB, needs: '< 1.00×', pass: idleSummary[IMP].heapKB < idleSummary[MQTTJS].heapKB, info: true });
  }
}

if (targets.length > 0) {
  console.log('');
  const rows = [['target', 'value', 'needs', 'result']];
  for (const t of targets) rows.push([t.target, typeof t.value === 'number' ? fmtRatio(t.value) : t.value ?? '—', t.needs, t.pass ? 'PASS' : t.info ? 'no' : 'MISS']);
  table(rows);
  console.log('(C-client parity, "no worse than the C clients", needs CPU ratios ≤ 0.56–0.84× by the reference sitting\'s figures: implied by the 0.5× targets.)');
}

for (const r of throughputRuns) {
  if (r.problems.length > 0) problems.push(`QoS ${r.qos} ${r.lib}${r.variant ? ` (${r.variant})` : ''} round ${r.round + 1}: ${r.problems.join('; ')}`);
}
if (problems.length > 0) {
  console.log(`\nPROBLEMS (${problems.length}):`);
  for (const p of problems) console.log(`- ${p}`);
}

const share = machineShare ? `; machine busy ${(100 * machineShare.busy).toFixed(0)} %, steal ${(100 * machineShare.steal).toFixed(1)} % over the run` : '';
console.log(`\n${seconds.toFixed(0)} s${share}.`);

if (partial && !args.save) {
  console.log('Partial run (--only/--rounds/--n*): results not saved (add --save to save anyway).');
} else {
  const data = {
    benchmark: 'e2e',
    ...env,
    commit,
    anchor: `MQTT.js ${mqttVersion}`,
    broker: { version: brokerVersion, settings: BROKER_SETTINGS },
    quick,
    config,
    method: METHOD,
    seconds,
    machine: machineShare,
    throughput: summary,
    latency,
    idle: idleSummary,
    targets,
    problems,
    runs: { throughput: throughputRuns, idle: idleRuns },
  };
  const day = env.date.slice(0, 10);
  const dated = join(here, 'results', `e2e-${day}.json`);
  writeJson(dated, data);
  writeJson(join(here, 'results', 'e2e-latest.json'), data);
  console.log(`Saved ${dated.replace(here, 'bench')} and bench/results/e2e-latest.json`);
}
