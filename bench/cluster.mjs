// Messages/s through a two-node RabbitMQ cluster (issue 15): `impmqtt bench pub` on node A,
// `impmqtt bench sub` on node B, so every message is routed by A to a queue on B. The cluster is
// the test suite's (test/support/rabbitmq.ts, bundled here with esbuild); 77 without RabbitMQ.
// Each publisher has its own topic and subscriber, so every message is delivered once; a
// publisher keeps one message in flight (-I 0: the next when one completes), so QoS 1 measures
// round trips through the cluster, and QoS 0 the rate the publishers can write.
//   npm run bench -- cluster      node bench/cluster.mjs --clients=20 --messages=20000 --qos=0,1 --size=256
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { SKIP_EXIT_CODE, environment, gitCommit, parseArgs, table, writeJson } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const BIN = join(root, 'dist/node/cli/bin.js');
const args = parseArgs();
const CLIENTS = Number(args.clients ?? 20);
const MESSAGES = Number(args.messages ?? 20_000);
const QOS = String(args.qos ?? '0,1').split(',').map(Number);
const SIZE = Number(args.size ?? 256);
/** Bound on one run (a guard against a stuck broker, not a measurement). */
const RUN_TIMEOUT_MS = 180_000;

const tmp = mkdtempSync(join(os.tmpdir(), 'impmqtt-bench-cluster-'));
const children = new Set();
let cluster;
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

// The launcher is TypeScript (shared with the tests); one bundle, no vitest in it.
const support = join(tmp, 'rabbitmq.mjs');
await build({ entryPoints: [join(root, 'test/support/rabbitmq.ts')], bundle: true, platform: 'node', format: 'esm', outfile: support, logLevel: 'warning' });
const { rabbitmqAvailable, startRabbitCluster } = await import(pathToFileURL(support).href);
if (!rabbitmqAvailable()) {
  console.log('SKIP: RabbitMQ is not installed (apt-get install -y rabbitmq-server).');
  process.exit(SKIP_EXIT_CODE);
}

/** `impmqtt bench ...args`; resolves with its exit status once it ends; `onStderr` sees its stderr. */
function impmqtt(benchArgs, onStderr = () => {}) {
  const child = spawn(process.execPath, [BIN, 'bench', ...benchArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    onStderr(stderr);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const done = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ status: code ?? signal, stderr });
    }),
  );
  return { done };
}

async function run(qos, a, b) {
  const topic = `bench/cluster/q${qos}/%i`;
  const subJson = join(tmp, `sub-${qos}.json`);
  const pubJson = join(tmp, `pub-${qos}.json`);
  const common = ['-h', '127.0.0.1', '-c', String(CLIENTS), '-i', '0', '-q', String(qos), '-t', topic];
  let subscribed;
  const ready = new Promise((resolve) => (subscribed = resolve));
  const sub = impmqtt(['sub', ...common, '-p', String(b.mqttPort), '-L', String(MESSAGES), '--json', subJson], (err) => {
    if (err.includes(`subscribed ${CLIENTS}/${CLIENTS}`)) subscribed();
  });
  await Promise.race([ready, sub.done]);
  const started = performance.now();
  const pub = await impmqtt(['pub', ...common, '-p', String(a.mqttPort), '-I', '0', '-w', '-s', String(SIZE), '-L', String(MESSAGES), '--json', pubJson]).done;
  const received = await sub.done;
  const seconds = (performance.now() - started) / 1000;
  if (pub.status !== 0 || received.status !== 0) throw new Error(`bench failed: pub ${pub.status} ${pub.stderr}; sub ${received.status} ${received.stderr}`);
  const p = JSON.parse(readFileSync(pubJson, 'utf8'));
  const s = JSON.parse(readFileSync(subJson, 'utf8'));
  return {
    qos,
    published: p.counters.pub_succ,
    received: s.counters.recv,
    pubRate: Math.round(p.rate),
    // From the publishers' start to the last message at the subscribers: what got through.
    endToEndRate: Math.round(s.counters.recv / seconds),
    publishLatencyMs: p.publishLatencyMs,
  };
}

try {
  cluster = await startRabbitCluster({ nodes: 2 });
  const [a, b] = cluster.nodes;
  console.log(`Two RabbitMQ nodes up in ${(cluster.startupMs / 1000).toFixed(1)} s; ${CLIENTS} publishers on A, ${CLIENTS} subscribers on B, ${MESSAGES} messages of ${SIZE} bytes per run.`);
  const results = [];
  for (const qos of QOS) results.push(await run(qos, a, b));
  table([
    ['QoS', 'published', 'received', 'pub msg/s', 'through msg/s', 'publish p50 / p99 ms'],
    ...results.map((r) => [r.qos, r.published, r.received, r.pubRate, r.endToEndRate, `${r.publishLatencyMs.p50} / ${r.publishLatencyMs.p99}`]),
  ]);
  const env = environment();
  const data = { ...env, commit: gitCommit(root), broker: 'RabbitMQ 3.10 (Debian), 2 nodes, rabbitmq_mqtt', clients: CLIENTS, messages: MESSAGES, size: SIZE, results };
  const dated = join(here, 'results', `cluster-${env.date.slice(0, 10)}.json`);
  writeJson(dated, data);
  writeJson(join(here, 'results', 'cluster-latest.json'), data);
  console.log(`Saved ${dated.replace(here, 'bench')} and bench/results/cluster-latest.json`);
} finally {
  await cluster?.stop();
}
