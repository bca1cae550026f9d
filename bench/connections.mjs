// The connections benchmark (issue 15): 10,000 concurrent connections from one process, through
// mosquitto, for impmqtt (`impmqtt bench conn`), MQTT.js and a bare socket
// (bench/connections/peer.mjs), each run a fresh process: the connect rate (first connect to last
// CONNACK), the client's CPU per connect, and RSS and heap per idle connection. Two pacings: -i 0
// (the bench's batch mode, 100 connects per timer turn: the most a client can offer) and -i 1 (one
// connect a millisecond). Rounds interleave the libraries and alternate their order; medians.
//
// Descriptors: each process needs one per connection. Node cannot raise its own limit, so the
// broker and every client start from `sh -c 'ulimit -n N && exec …'` (N = clients + 1024, at most
// the hard limit; 77 when the hard limit is too low). mosquitto runs with max_connections -1 on a
// free loopback port and is stopped by its PID. Its listen backlog is fixed at 100, so at -i 0 SYNs
// overflow its accept queue and are retried after the kernel's 1 s timeout: the overflow count
// (from /proc/net/netstat, machine-wide) is printed beside each rate.
//
//   npm run bench:conn       node bench/connections.mjs --count=10000 --rounds=3 --paced=1 [--save]
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SKIP_EXIT_CODE, environment, gitCommit, median, parseArgs, table, writeJson } from './harness.mjs';
import { hardOpenFileLimit, sleep, spawnWithOpenFiles, startMosquitto, stopMosquitto } from './_mosquitto.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = parseArgs();
const MOSQUITTO = args.mosquitto ?? '/usr/sbin/mosquitto';
const COUNT = Number(args.count ?? 10_000);
const ROUNDS = Number(args.rounds ?? 3);
const PACED = Number(args.paced ?? 1);
const KEEPALIVE = 60;
const RUN_TIMEOUT_MS = 180_000;
const IMP = 'impmqtt';
const MQTTJS = 'MQTT.js';
const BARE = 'bare socket';
const LIBS = [IMP, MQTTJS, BARE];
const MODES = [0, PACED];
const BIN = join(here, '..', 'dist', 'node', 'cli', 'bin.js');

if (!existsSync(MOSQUITTO)) {
  console.log(`SKIP: mosquitto is not installed (${MOSQUITTO}).`);
  process.exit(SKIP_EXIT_CODE);
}
const openFiles = COUNT + 1024;
const hard = hardOpenFileLimit();
if (hard < openFiles) {
  console.log(`SKIP: ${COUNT} connections need ${openFiles} open files per process, but the hard limit here is ${hard} (raise it, or pass --count).`);
  process.exit(SKIP_EXIT_CODE);
}
const tmp = mkdtempSync(join(os.tmpdir(), 'impmqtt-connections-'));
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});
const broker = await startMosquitto(MOSQUITTO, tmp, { settings: ['max_connections -1'], openFiles });

/** The machine's count of connections dropped because a listen queue was full. */
function listenOverflows() {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
  const [names, values] = lines.map((l) => l.split(/\s+/));
  const at = names?.indexOf('ListenOverflows') ?? -1;
  return at < 0 ? 0 : Number(values[at]);
}

/** Starts `argv` (after node --expose-gc) under the raised limit; resolves with its exit and output. */
function child(argv, onStderr = () => {}) {
  const proc = spawnWithOpenFiles(process.execPath, ['--expose-gc', ...argv], openFiles, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (chunk) => (stdout += chunk));
  proc.stderr.on('data', (chunk) => {
    stderr += chunk;
    onStderr(stderr, proc);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${argv.slice(0, 3).join(' ')} did not finish within ${RUN_TIMEOUT_MS} ms: ${stderr}`));
    }, RUN_TIMEOUT_MS);
    proc.once('exit', (status) => {
      clearTimeout(timer);
      running.delete(proc);
      resolve({ status, stdout, stderr });
    });
  });
}

/** `impmqtt bench conn`: held until it reports idle memory, then SIGINT; its --json summary. */
async function runImpmqtt(interval, prefix) {
  const json = join(tmp, `${prefix}.json`);
  let stopped = false;
  const argv = [BIN, 'bench', 'conn', '-h', '127.0.0.1', '-p', String(broker.port), '-c', String(COUNT), '-i', String(interval), '-k', String(KEEPALIVE), '--prefix', prefix, '--json', json];
  const run = await child(argv, (stderr, proc) => {
    if (stopped || !stderr.includes('idle memory:')) return;
    stopped = true;
    proc.kill('SIGINT');
  });
  if (run.status !== 0 || !stopped) throw new Error(`impmqtt bench conn failed (${run.status}): ${run.stderr}`);
  const summary = JSON.parse(readFileSync(json, 'utf8'));
  const c = summary.counters;
  return { connected: c.connect_succ, failed: c.connect_fail, lost: c.connection_lost, connectRate: summary.connectRate, connectCpuUs: summary.connectCpuUs, idleMemory: summary.idleMemory };
}

async function runPeer(lib, interval, prefix) {
  const cfg = { lib, port: broker.port, count: COUNT, interval, keepalive: KEEPALIVE, prefix };
  const run = await child([join(here, 'connections', 'peer.mjs'), JSON.stringify(cfg)]);
  if (run.status !== 0) throw new Error(`${lib} failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

const runs = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const interval of MODES) {
    for (const lib of round % 2 === 0 ? LIBS : [...LIBS].reverse()) {
      const prefix = `conn_${process.pid}_${round}_${interval}_${lib === IMP ? 'imp' : lib === MQTTJS ? 'mqttjs' : 'bare'}_`;
      const overflowsBefore = listenOverflows();
      const result = lib === IMP ? await runImpmqtt(interval, prefix) : await runPeer(lib, interval, prefix);
      const run = { round, interval, lib, ...result, listenOverflows: listenOverflows() - overflowsBefore };
      runs.push(run);
      const m = run.idleMemory;
      process.stderr.write(
        `  round ${round + 1} -i ${interval} ${lib.padEnd(11)} ${run.connected}/${COUNT} connected: ${run.connectRate}/s, ${run.connectCpuUs} µs CPU per connect, ${run.listenOverflows} listen overflows; ${(m.rssPerConnection / 1024).toFixed(1)} KB RSS, ${(m.heapPerConnection / 1024).toFixed(1)} KB heap per idle connection\n`,
      );
      if (run.connected !== COUNT) process.stderr.write(`  (${run.failed} failed, ${run.lost} lost)\n`);
      await sleep(1000); // the broker lets go of the closed connections before the next run
    }
  }
}
await stopMosquitto(broker);

const med = (lib, interval, pick) => median(runs.filter((r) => r.lib === lib && r.interval === interval).map(pick));
const fmt = (value, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
const rows = [];
for (const interval of MODES) {
  const pacing = interval === 0 ? '-i 0 (100 per turn)' : `-i ${interval}`;
  const rate = (lib) => med(lib, interval, (r) => r.connectRate);
  const cpu = (lib) => med(lib, interval, (r) => r.connectCpuUs);
  const overflows = (lib) => med(lib, interval, (r) => r.listenOverflows);
  const rss = (lib) => med(lib, interval, (r) => r.idleMemory.rssPerConnection) / 1024;
  const heap = (lib) => med(lib, interval, (r) => r.idleMemory.heapPerConnection) / 1024;
  rows.push([`connect rate /s, ${pacing}`, fmt(rate(IMP)), fmt(rate(MQTTJS)), ratio(rate(IMP), rate(MQTTJS)), fmt(rate(BARE))]);
  rows.push([`  listen-queue overflows, ${pacing}`, fmt(overflows(IMP)), fmt(overflows(MQTTJS)), '', fmt(overflows(BARE))]);
  rows.push([`CPU per connect µs, ${pacing}`, fmt(cpu(IMP)), fmt(cpu(MQTTJS)), ratio(cpu(IMP), cpu(MQTTJS)), fmt(cpu(BARE))]);
  rows.push([`RSS per idle connection KB, ${pacing}`, fmt(rss(IMP), 1), fmt(rss(MQTTJS), 1), ratio(rss(IMP), rss(MQTTJS)), fmt(rss(BARE), 1)]);
  rows.push([`heap per idle connection KB, ${pacing}`, fmt(heap(IMP), 1), fmt(heap(MQTTJS), 1), ratio(heap(IMP), heap(MQTTJS)), fmt(heap(BARE), 1)]);
}
console.log(`\n${COUNT.toLocaleString('en-US')} connections per process (clean session, keepalive ${KEEPALIVE} s) through mosquitto; ${ROUNDS} interleaved rounds, medians; KB = 1024 B.`);
console.log('Memory: growth from before the first connect to 1 s after the last CONNACK (gc before each sample), per connection.');
table([['', IMP, MQTTJS, 'ratio', BARE], ...rows]);
const rssImp = median(runs.filter((r) => r.lib === IMP).map((r) => r.idleMemory.rssPerConnection)) / 1024;
console.log(`\nTargets (issue 15): ≤ 15 KB RSS per idle connection: ${rssImp.toFixed(1)} KB (${rssImp <= 15 ? 'met' : 'missed'}); connect rate ≥ MQTT.js's at both pacings: ${MODES.map((i) => ratio(med(IMP, i, (r) => r.connectRate), med(MQTTJS, i, (r) => r.connectRate))).join(' / ')}.`);

const full = COUNT === 10_000 && ROUNDS >= 3 && PACED === 1;
if (full || args.save === true) {
  const day = new Date().toISOString().slice(0, 10);
  const data = { date: day, commit: gitCommit(join(here, '..')), environment: environment(), count: COUNT, rounds: ROUNDS, paced: PACED, keepalive: KEEPALIVE, runs };
  writeJson(join(here, 'results', `connections-${day}.json`), data);
  writeJson(join(here, 'results', 'connections-latest.json'), data);
  console.log(`Saved bench/results/connections-${day}.json and bench/results/connections-latest.json`);
} else {
  console.log('Partial run (--count/--rounds/--paced): results not saved (add --save to save anyway).');
}
