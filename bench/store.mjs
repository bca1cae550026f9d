// The durable store's cost (issue 14): QoS 1 publish throughput through mosquitto with the
// file store under each fsync policy, beside the memory store, in one sitting with interleaved
// rounds; and the journal's size after each run (compaction keeps it bounded).
// Target: 'interval' ≥ 0.7× the memory store. A report, not a test; 77 without mosquitto.
//   npm run bench:store            node bench/store.mjs --n=20000 --rounds=3 --window=100
import { existsSync, mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { MqttClient } from '../dist/esm/index.js';
import { fileStore } from '../dist/esm/store/index.js';
import { SKIP_EXIT_CODE, median, parseArgs, table } from './harness.mjs';
import { startMosquitto, stopMosquitto } from './_mosquitto.mjs';

const args = parseArgs();
const MOSQUITTO = args.mosquitto ?? '/usr/sbin/mosquitto';
const N = Number(args.n ?? 20_000);
const ROUNDS = Number(args.rounds ?? 3);
const WINDOW = Number(args.window ?? 100);
if (!existsSync(MOSQUITTO)) {
  console.log(`SKIP: mosquitto is not installed (${MOSQUITTO}).`);
  process.exit(SKIP_EXIT_CODE);
}
const tmp = mkdtempSync(join(os.tmpdir(), 'impmqtt-store-bench-'));
const broker = await startMosquitto(MOSQUITTO, tmp);
const url = `mqtt://127.0.0.1:${broker.port}`;
const payload = new Uint8Array(64);

async function run(kind, round) {
  const dir = join(tmp, `${kind}-${round}`);
  const provider = kind === 'memory' ? undefined : fileStore(dir, { fsync: kind });
  const clientId = `bench-store-${kind}-${round}`;
  const store = provider?.open(clientId);
  const client = new MqttClient({ url, clientId, ...(store ? { store } : {}) });
  client.connect();
  await new Promise((resolve) => client.once('connect', resolve));
  const started = performance.now();
  await new Promise((resolve) => {
    let sent = 0;
    let done = 0;
    const one = () => {
      client.publish('bench/store', payload, { qos: 1 }, () => {
        done += 1;
        if (sent < N) one();
        else if (done === N) resolve();
      });
      sent += 1;
    };
    for (let i = 0; i < Math.min(WINDOW, N); i++) one();
  });
  const seconds = (performance.now() - started) / 1000;
  const bytes = store ? store.logBytes : 0;
  await new Promise((resolve) => client.disconnect(resolve));
  provider?.close();
  const onDisk = provider ? readdirSync(dir).filter((f) => f.endsWith('.log')).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0) : 0;
  return { rate: N / seconds, bytes: Math.max(bytes, onDisk) };
}

const kinds = ['memory', 'never', 'interval', 'always'];
const results = Object.fromEntries(kinds.map((k) => [k, []]));
const sizes = Object.fromEntries(kinds.map((k) => [k, 0]));
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? kinds : [...kinds].reverse();
  for (const kind of order) {
    const { rate, bytes } = await run(kind, round);
    results[kind].push(rate);
    sizes[kind] = Math.max(sizes[kind], bytes);
  }
}
const memory = median(results.memory);
console.log(`QoS 1, ${N} × 64 B per run, window ${WINDOW}, ${ROUNDS} interleaved rounds, medians; mosquitto on loopback, ${os.cpus().length} cores.`);
table([
  ['store', 'msg/s', '× memory', 'journal after the run (max)'],
  ...kinds.map((k) => [k === 'memory' ? 'memory' : `file, fsync ${k}`, Math.round(median(results[k])).toLocaleString('en-US'), (median(results[k]) / memory).toFixed(2), k === 'memory' ? '' : `${(sizes[k] / 1024).toFixed(1)} KB`]),
]);
const ratio = median(results.interval) / memory;
console.log(`\ntarget: file store, fsync interval ≥ 0.70× memory: ${ratio.toFixed(2)}× ${ratio >= 0.7 ? 'PASS' : 'MISS'}`);
await stopMosquitto(broker);
rmSync(tmp, { recursive: true, force: true });
