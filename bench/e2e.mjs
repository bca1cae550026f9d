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
//
// The parts live beside the child scripts in bench/e2e/: children.mjs (spawning and tracking the
// child processes), machine.mjs (the machine's CPU counters), throughput-section.mjs,
// latency-section.mjs and idle-section.mjs (one per measurement above), report.mjs (the tables).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SKIP_EXIT_CODE, environment, gitCommit, parseArgs, writeJson } from './harness.mjs';
import { BROKER_SETTINGS, startMosquitto, stopMosquitto } from './_mosquitto.mjs';
import { children, cleanUpOnExit, configureChildren } from './e2e/children.mjs';
import { idleSection } from './e2e/idle-section.mjs';
import { latencySection } from './e2e/latency-section.mjs';
import { cpuShare, machineCpu } from './e2e/machine.mjs';
import { printReport } from './e2e/report.mjs';
import { throughputSection } from './e2e/throughput-section.mjs';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = parseArgs();
const quick = Boolean(args.quick);

const MOSQUITTO = args.mosquitto ?? '/usr/sbin/mosquitto';
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

let broker = null;
const tmp = mkdtempSync(join(os.tmpdir(), 'impmqtt-e2e-'));

cleanUpOnExit(() => broker, tmp);

// A snapshot of the build, so a rebuild by someone else during the run cannot change what is
// measured half-way or break an import.
const snapshot = join(tmp, 'impmqtt-esm');
cpSync(join(root, 'dist', 'esm'), snapshot, { recursive: true });
writeFileSync(join(snapshot, 'package.json'), '{"type":"module"}\n');
configureChildren(root, { ...process.env, IMPMQTT_DIST: join(snapshot, 'index.js') });

// ---------------------------------------------------------------------------------------------
// The broker

const startBroker = () => startMosquitto(MOSQUITTO, tmp);
const stopBroker = () => stopMosquitto(broker);

const problems = [];

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
  const ctx = { broker, config, quick, problems };
  const machine0 = machineCpu();
  if (sections.has('throughput')) {
    console.error('Throughput and CPU per message:');
    throughputRuns = await throughputSection(ctx);
  }
  if (sections.has('latency')) {
    console.error('Latency (sequential QoS 1 round trips)…');
    latency = await latencySection(ctx);
  }
  if (sections.has('idle')) {
    console.error('Idle connections:');
    idleRuns = await idleSection(ctx);
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

const { summary, targets, idleSummary } = printReport({ config, throughputRuns, latency, idleRuns, problems });

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
