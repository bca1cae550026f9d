// The fixed-rate benchmark (issue 15): publisher and subscriber at a steady offered load, so
// both libraries see the same socket reads and the CPU each process spends is the client's own
// cost, not the kernel's per-read cost that a maximum-rate run lets a faster consumer pay more
// often. impmqtt and MQTT.js alternate, each run a fresh publisher/subscriber pair through
// mosquitto; CPU % of each process over a steady window after a warm-up. 77 without mosquitto.
//   npm run bench -- fixed-rate      node bench/fixed-rate.mjs --rates=5000,20000 --qos=0,1 --seconds=4 --rounds=2
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SKIP_EXIT_CODE, median, parseArgs, table } from './harness.mjs';
import { sleep, startMosquitto, stopMosquitto } from './_mosquitto.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = parseArgs();
const MOSQUITTO = args.mosquitto ?? '/usr/sbin/mosquitto';
const RATES = String(args.rates ?? '5000,20000').split(',').map(Number);
const QOS = String(args.qos ?? '0,1').split(',').map(Number);
const SECONDS = Number(args.seconds ?? 4);
const ROUNDS = Number(args.rounds ?? 2);
const WARMUP_MS = 1_000;
const LIBS = ['impmqtt', 'MQTT.js'];
if (!existsSync(MOSQUITTO)) {
  console.log(`SKIP: mosquitto is not installed (${MOSQUITTO}).`);
  process.exit(SKIP_EXIT_CODE);
}
const tmp = mkdtempSync(join(os.tmpdir(), 'impmqtt-fixed-rate-'));
const broker = await startMosquitto(MOSQUITTO, tmp);
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

function child(cfg) {
  const proc = fork(join(here, 'fixed-rate', 'client.mjs'), [JSON.stringify(cfg)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}
const next = (proc, type) => new Promise((resolve) => {
  const listener = (message) => {
    if (message.type === type) {
      proc.off('message', listener);
      resolve(message);
    }
  };
  proc.on('message', listener);
});

async function run(lib, rate, qos, round) {
  const topic = `fixed/${lib}/${rate}/${qos}/${round}`;
  const sub = child({ lib, port: broker.port, clientId: `fr-sub-${process.pid}-${round}`, role: 'sub', topic, qos });
  const pub = child({ lib, port: broker.port, clientId: `fr-pub-${process.pid}-${round}`, role: 'pub', topic, qos, rate });
  await Promise.all([next(sub, 'ready'), next(pub, 'ready')]);
  pub.send({ type: 'go' });
  await sleep(WARMUP_MS);
  sub.send({ type: 'arm' });
  pub.send({ type: 'arm' });
  await sleep(SECONDS * 1000);
  const [s, p] = await Promise.all([next(sub, 'stopped'), next(pub, 'stopped'), sub.send({ type: 'stop' }), pub.send({ type: 'stop' })]);
  sub.send({ type: 'exit' });
  pub.send({ type: 'exit' });
  await Promise.all([new Promise((r) => sub.once('exit', r)), new Promise((r) => pub.once('exit', r))]);
  return { pubCpu: (p.cpuUs / p.wallUs) * 100, subCpu: (s.cpuUs / s.wallUs) * 100, received: (s.count / s.wallUs) * 1e6, failures: p.failures };
}

const rows = [];
for (const qos of QOS) {
  for (const rate of RATES) {
    const results = Object.fromEntries(LIBS.map((lib) => [lib, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const lib of round % 2 === 0 ? LIBS : [...LIBS].reverse()) results[lib].push(await run(lib, rate, qos, round));
    }
    const m = (lib, key) => median(results[lib].map((r) => r[key]));
    rows.push([`QoS ${qos} @ ${rate.toLocaleString('en-US')}/s`, m('impmqtt', 'pubCpu').toFixed(1), m('MQTT.js', 'pubCpu').toFixed(1), `${(m('impmqtt', 'pubCpu') / m('MQTT.js', 'pubCpu')).toFixed(2)}×`, m('impmqtt', 'subCpu').toFixed(1), m('MQTT.js', 'subCpu').toFixed(1), `${(m('impmqtt', 'subCpu') / m('MQTT.js', 'subCpu')).toFixed(2)}×`, `${Math.round(m('impmqtt', 'received'))} / ${Math.round(m('MQTT.js', 'received'))}`]);
  }
}
console.log(`Fixed offered load, 64 B, ${SECONDS} s measured after a ${WARMUP_MS / 1000} s warm-up, ${ROUNDS} alternating rounds, medians; CPU % of one core (user+system) of each process.`);
table([['load', 'pub impmqtt %', 'pub MQTT.js %', 'pub ratio', 'sub impmqtt %', 'sub MQTT.js %', 'sub ratio', 'received msg/s (imp / MQTT.js)'], ...rows]);
console.log('\nTarget (issue 15): client CPU ≤ 0.5× MQTT.js, publisher and subscriber.');
await stopMosquitto(broker);
