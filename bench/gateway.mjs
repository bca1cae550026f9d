// The SendMessage gateway benchmark (issue 12): signed SendMessage requests from a load
// generator in its own process (keep-alive HTTP, bench/gateway/load.mjs) through the gateway
// (its own process, bench/gateway/server.mjs) to mosquitto, with a subscriber here counting
// deliveries. Reports requests/s, p50/p99 latency and gateway CPU per request at a fixed
// 1,000 req/s (the service's limit) and at maximum, and whether every call answered 200 was
// delivered exactly once. A report, not a test: exits 0 whether targets pass or miss; 77 when
// mosquitto is not installed.
//
//   npm run bench:gateway
//   node bench/gateway.mjs --duration=5000 --connections=32 --qos=1 [--only=fixed|max] [--prof=DIR]
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MqttClient } from '../dist/esm/index.js';
import { SKIP_EXIT_CODE, environment, parseArgs, table } from './harness.mjs';
import { sleep, startMosquitto, stopMosquitto } from './_mosquitto.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = parseArgs();
const MOSQUITTO = args.mosquitto ?? '/usr/sbin/mosquitto';
const config = {
  duration: Number(args.duration ?? 5_000),
  connections: Number(args.connections ?? 32),
  qos: Number(args.qos ?? 1),
  rate: Number(args.rate ?? 1_000),
  maxRequests: Number(args['max-requests'] ?? 150_000),
  accessKeyId: 'bench',
  accessKeySecret: 'bench-secret',
};
if (!existsSync(MOSQUITTO)) {
  console.log(`SKIP: mosquitto is not installed (${MOSQUITTO}); apt-get install mosquitto.`);
  process.exit(SKIP_EXIT_CODE);
}

const tmp = mkdtempSync(join(os.tmpdir(), 'impmqtt-gateway-bench-'));
const children = new Set();
let broker;
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  if (broker && broker.proc.exitCode === null) broker.proc.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

function child(script, cfg) {
  // --prof=DIR: a V8 CPU profile of the gateway process, for `node --cpu-prof` tooling.
  const execArgv = args.prof && script === 'server.mjs' ? ['--cpu-prof', `--cpu-prof-dir=${args.prof}`] : [];
  const proc = fork(join(here, 'gateway', script), [JSON.stringify(cfg)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}
const reply = (proc, predicate) => new Promise((resolve) => {
  const listener = (message) => {
    if (predicate(message)) {
      proc.off('message', listener);
      resolve(message);
    }
  };
  proc.on('message', listener);
});

broker = await startMosquitto(MOSQUITTO, tmp);
const url = `mqtt://127.0.0.1:${broker.port}`;

const subscriber = new MqttClient({ url, clientId: 'bench-gateway-subscriber' });
const deliveries = new Map(); // run → Map<index, count>
subscriber.on('message', (message) => {
  const text = Buffer.from(message.payload).toString();
  const [run, index] = text.split(':');
  let counts = deliveries.get(run);
  if (counts === undefined) deliveries.set(run, (counts = new Map()));
  counts.set(Number(index), (counts.get(Number(index)) ?? 0) + 1);
});
subscriber.connect();
await new Promise((resolve) => subscriber.once('connect', resolve));
await new Promise((resolve) => subscriber.subscribe([{ topic: 'bench/gw/#', qos: config.qos }], resolve));

const server = child('server.mjs', { url, qos: config.qos, accessKeyId: config.accessKeyId, accessKeySecret: config.accessKeySecret });
const { port } = await reply(server, (m) => m.port !== undefined);

async function run(name, mode) {
  const before = (await Promise.all([reply(server, (m) => m.cpu), server.send({ cpu: true })]))[0].cpu;
  const load = child('load.mjs', { ...config, port, mode, run: name });
  const result = await reply(load, (m) => m.sent !== undefined);
  const after = (await Promise.all([reply(server, (m) => m.cpu), server.send({ cpu: true })]))[0].cpu;
  const cpuUs = after.user + after.system - before.user - before.system;
  const userUs = after.user - before.user;
  // Deliveries trail the answers by at most the subscriber's read: wait for them (bounded).
  const deadline = Date.now() + 10_000;
  const counts = () => deliveries.get(name) ?? new Map();
  while (Date.now() < deadline && result.okIndexes.some((i) => !counts().has(i))) await sleep(50);
  const missing = result.okIndexes.filter((i) => !counts().has(i)).length;
  const duplicated = [...counts().values()].filter((n) => n > 1).length;
  const unanswered = [...counts().keys()].filter((i) => !result.okIndexes.includes(i)).length;
  return { name, mode, ...result, cpuUs, userUs, missing, duplicated, unanswered, rate: (result.answered / result.elapsed) * 1000 };
}

console.log(`Gateway benchmark: ${environment().cpus ?? os.cpus().length} cores, node ${process.version}; QoS ${config.qos}, ${config.connections} keep-alive connections, ${config.duration} ms per run.`);
console.log('Latency: from writing the request to reading the answer; at the fixed rate also from each request\'s scheduled time.');
// --only=fixed or --only=max: one run, no warm-up (for profiling one load with --prof).
const only = args.only;
const results = [];
if (!only) results.push(await run('warmup', 'max'));
if (!only || only === 'fixed') results.push(await run('fixed', 'fixed'));
if (!only || only === 'max') results.push(await run('max', 'max'));

table([
  ['run', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'from schedule p50/p99 ms', 'gateway CPU µs/req (user)', '200s', 'refused', 'delivered exactly once'],
  ...results.filter((r) => r.name !== 'warmup').map((r) => [
    r.name === 'fixed' ? `fixed ${config.rate}/s` : 'maximum',
    Math.round(r.rate).toLocaleString('en-US'),
    r.p50.toFixed(2),
    r.p99.toFixed(2),
    r.max.toFixed(1),
    r.mode === 'fixed' ? `${r.scheduledP50.toFixed(2)} / ${r.scheduledP99.toFixed(2)}` : '',
    `${(r.cpuUs / r.answered).toFixed(1)} (${(r.userUs / r.answered).toFixed(1)})`,
    r.ok.toLocaleString('en-US'),
    JSON.stringify(r.failures),
    r.missing === 0 && r.duplicated === 0 && r.unanswered === 0 ? 'yes' : `no: ${r.missing} missing, ${r.duplicated} duplicated, ${r.unanswered} delivered without a 200`,
  ]),
]);
const max = results.find((r) => r.name === 'max') ?? { rate: NaN };
const fixed = results.find((r) => r.name === 'fixed') ?? { p99: NaN };
console.log('');
table([
  ['target', 'value', 'needs', 'result'],
  ['signed QoS 1 SendMessage/s at maximum', Math.round(max.rate).toLocaleString('en-US'), '≥ 10,000', max.rate >= 10_000 ? 'PASS' : 'MISS'],
  [`p99 at ${config.rate} req/s`, `${fixed.p99.toFixed(2)} ms`, '≤ 10 ms', fixed.p99 <= 10 ? 'PASS' : 'MISS'],
  ['every 200 delivered exactly once', results.every((r) => r.missing === 0 && r.duplicated === 0) ? 'yes' : 'no', 'yes', results.every((r) => r.missing === 0 && r.duplicated === 0) ? 'PASS' : 'MISS'],
]);

server.send({ stop: true });
await new Promise((resolve) => server.once('exit', resolve));
subscriber.destroy();
await stopMosquitto(broker);
