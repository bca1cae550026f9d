// The fixed-rate benchmark (issue 15): publisher and subscriber at a steady offered load, so
// both libraries see the same socket reads and the CPU each process spends is the client's own
// cost, not the kernel's per-read cost that a maximum-rate run lets a faster consumer pay more
// often. impmqtt and MQTT.js alternate, each measured as the publisher and then as the
// subscriber of a fresh pair through mosquitto whose other end is always the engine (PEER);
// CPU % of the measured process over a steady window after a warm-up. 77 without mosquitto.
//   npm run bench -- fixed-rate      node bench/fixed-rate.mjs --rates=5000,20000 --qos=0,1 --seconds=4 --rounds=2
//   --faces      also measure the async and queue faces (target: ≤ 1.15× the engine's CPU)
//   --prof=DIR   each child writes a V8 CPU profile DIR/<lib>-<role>-qos<q>-<rate>-<round>.cpuprofile
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
/** Measured, in turn: impmqtt's engine, MQTT.js, and with --faces the async and queue faces. */
const LIBS = ['impmqtt', 'MQTT.js', ...(args.faces ? ['impmqtt async', 'impmqtt queue'] : [])];
/** The other end of every measured client: the engine, the same program whichever library is measured. */
const PEER = 'impmqtt';
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

const PROFILE_DIR = args.prof;

function child(cfg, round) {
  const name = `${cfg.lib.replace(/\W+/g, '_')}-${cfg.role}-qos${cfg.qos}-${cfg.rate ?? 'any'}-${round}.cpuprofile`;
  const execArgv = PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}`];
  const proc = fork(join(here, 'fixed-rate', 'client.mjs'), [JSON.stringify(cfg)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
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

/** One publisher/subscriber pair at `rate`; resolves with what each child measured. */
async function pair(pubLib, subLib, rate, qos, round) {
  const topic = `fixed/${pubLib}/${subLib}/${rate}/${qos}/${round}`.replace(/\s+/g, '_');
  const sub = child({ lib: subLib, port: broker.port, clientId: `fr-sub-${process.pid}-${round}`, role: 'sub', topic, qos, rate }, round);
  const pub = child({ lib: pubLib, port: broker.port, clientId: `fr-pub-${process.pid}-${round}`, role: 'pub', topic, qos, rate }, round);
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
  return { s, p };
}

/**
 * `lib` as the publisher (to PEER's subscriber), then as the subscriber (of PEER's publisher):
 * the other end is the same program for every library, so what reaches the measured client
 * (how the broker's writes are spread, and so how many reads it takes) is the same too.
 */
async function run(lib, rate, qos, round) {
  const { p } = await pair(lib, PEER, rate, qos, round);
  const { s } = await pair(PEER, lib, rate, qos, round);
  const perThousand = (n) => (n / Math.max(1, s.count)) * 1000;
  return {
    pubCpu: (p.cpuUs / p.wallUs) * 100,
    subCpu: (s.cpuUs / s.wallUs) * 100,
    subUser: (s.userUs / s.wallUs) * 100,
    subReads: perThousand(s.reads),
    subWrites: perThousand(s.writes),
    received: (s.count / s.wallUs) * 1e6,
    failures: p.failures,
    firstFailure: p.firstFailure,
  };
}

const rows = [];
/** Publishes that completed with an error, by library and load. */
const failuresSeen = {};
const firstFailures = {};
const detail = [];
const faces = [];
for (const qos of QOS) {
  for (const rate of RATES) {
    const results = Object.fromEntries(LIBS.map((lib) => [lib, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const lib of round % 2 === 0 ? LIBS : [...LIBS].reverse()) {
        const result = await run(lib, rate, qos, round);
        results[lib].push(result);
        const key = `${lib} QoS ${qos} @ ${rate}/s`;
        failuresSeen[key] = (failuresSeen[key] ?? 0) + result.failures;
        if (result.firstFailure) firstFailures[key] ??= result.firstFailure;
      }
    }
    const m = (lib, key) => median(results[lib].map((r) => r[key]));
    rows.push([`QoS ${qos} @ ${rate.toLocaleString('en-US')}/s`, m('impmqtt', 'pubCpu').toFixed(1), m('MQTT.js', 'pubCpu').toFixed(1), `${(m('impmqtt', 'pubCpu') / m('MQTT.js', 'pubCpu')).toFixed(2)}×`, m('impmqtt', 'subCpu').toFixed(1), m('MQTT.js', 'subCpu').toFixed(1), `${(m('impmqtt', 'subCpu') / m('MQTT.js', 'subCpu')).toFixed(2)}×`, `${Math.round(m('impmqtt', 'received'))} / ${Math.round(m('MQTT.js', 'received'))}`]);
    if (args.faces) {
      const vsEngine = (lib, key) => `${m(lib, key).toFixed(1)} % (${(m(lib, key) / m('impmqtt', key)).toFixed(2)}×)`;
      faces.push([`QoS ${qos} @ ${rate.toLocaleString('en-US')}/s`, m('impmqtt', 'pubCpu').toFixed(1), vsEngine('impmqtt async', 'pubCpu'), vsEngine('impmqtt queue', 'pubCpu'), m('impmqtt', 'subCpu').toFixed(1), vsEngine('impmqtt async', 'subCpu'), vsEngine('impmqtt queue', 'subCpu')]);
    }
    detail.push([`QoS ${qos} @ ${rate.toLocaleString('en-US')}/s`, ...LIBS.flatMap((lib) => [`${m(lib, 'subUser').toFixed(1)} / ${(m(lib, 'subCpu') - m(lib, 'subUser')).toFixed(1)}`, `${m(lib, 'subReads').toFixed(0)} / ${m(lib, 'subWrites').toFixed(0)}`])]);
  }
}
console.log(`Fixed offered load, 64 B, ${SECONDS} s measured after a ${WARMUP_MS / 1000} s warm-up, ${ROUNDS} alternating rounds, medians; CPU % of one core (user+system) of each process.`);
table([['load', 'pub impmqtt %', 'pub MQTT.js %', 'pub ratio', 'sub impmqtt %', 'sub MQTT.js %', 'sub ratio', 'received msg/s (imp / MQTT.js)'], ...rows]);
console.log('\nThe subscriber in detail: CPU % user / system, and read / write system calls per 1,000 messages received.');
table([['load', ...LIBS.flatMap((lib) => [`${lib} user / sys %`, `${lib} reads / writes`])], ...detail]);
if (args.faces) {
  console.log('\nThe faces beside the engine they wrap: CPU % (ratio to the engine). Target: ≤ 1.15×.');
  table([['load', 'pub engine %', 'pub async', 'pub queue', 'sub engine %', 'sub async', 'sub queue'], ...faces]);
}
const failed = Object.entries(failuresSeen).filter(([, n]) => n > 0);
if (failed.length > 0) console.log(`\nFailed publishes (the run measured a failure path, not only delivery): ${failed.map(([k, n]) => `${k}: ${n} (first: ${firstFailures[k]})`).join('; ')}`);
console.log('\nTarget (issue 15): client CPU ≤ 0.5× MQTT.js, publisher and subscriber.');
await stopMosquitto(broker);
