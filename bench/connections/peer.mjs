// Child process of bench/connections.mjs: what `impmqtt bench conn` does, for MQTT.js and for a
// bare socket, so the three are paced, timed and weighed alike. Opens `count` connections
// paced as the bench paces them (interval 0: 100 per timer turn; else one every `interval` ms),
// waits until every one has its CONNACK (or failed), lets them sit idle, then prints one JSON
// line: the connect rate and the memory per idle connection, by impmqtt's own arithmetic
// (dist/esm/cli/bench-connections.js), and exits (the broker sees the sockets close).
//
// MQTT.js: mqtt.connect() with clean session, the same keepalive, reconnectPeriod 0, protocol
// 3.1.1, and three listeners (connect, error, close), as the bench has (connect, connectfailed,
// close). Bare: a net socket that writes a ready-made CONNECT and counts the first bytes back
// as its CONNACK: the least any MQTT client can hold.
//
//   argv[2] = JSON { lib: 'MQTT.js' | 'bare socket', port, count, interval, keepalive, prefix }
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const measure = await import(pathToFileURL(join(here, '..', '..', 'dist', 'esm', 'cli', 'bench-connections.js')).href);
const cfg = JSON.parse(process.argv[2]);
const problem = measure.fileLimitProblem(cfg.count, measure.openFileLimit());
if (problem !== null) {
  console.error(problem);
  process.exit(1);
}
const mqtt = cfg.lib === 'MQTT.js' ? (await import('mqtt')).default : null;
const url = `mqtt://127.0.0.1:${cfg.port}`;

const clients = [];
// Latencies kept as the bench keeps them (a growing Float64Array), so both hold the same.
let latencies = new Float64Array(1024);
let connected = 0;
let failed = 0;
let lost = 0;
const timing = new measure.ConnectTiming();
let allAttempted;
const attemptedAll = new Promise((resolve) => (allAttempted = resolve));

function succeeded(started) {
  const now = timing.connacked();
  if (connected === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[connected++] = now - started;
  attempted();
}

function gaveUp() {
  failed++;
  attempted();
}

function attempted() {
  if (connected + failed !== cfg.count) return;
  timing.ended();
  allAttempted();
}

function openMqttJs(clientId, started) {
  const client = mqtt.connect(url, { clientId, clean: true, keepalive: cfg.keepalive, reconnectPeriod: 0, protocolVersion: 4 });
  let up = false;
  client.on('connect', () => {
    up = true;
    succeeded(started);
  });
  client.on('error', () => {});
  client.on('close', () => (up ? lost++ : gaveUp()));
  return client;
}

/** CONNECT, MQTT 3.1.1, clean session, no will or credentials (client ids are ASCII here). */
function connectBytes(clientId) {
  const id = Buffer.from(clientId, 'latin1');
  const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, cfg.keepalive >> 8, cfg.keepalive & 0xff, id.length >> 8, id.length & 0xff]), id]);
  if (body.length > 127) throw new Error('client id too long for this one-byte length');
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

function openBare(clientId, started) {
  const socket = net.connect({ host: '127.0.0.1', port: cfg.port });
  let up = false;
  socket.write(connectBytes(clientId));
  socket.on('data', () => {
    if (up) return;
    up = true;
    succeeded(started);
  });
  socket.on('error', () => {});
  socket.on('close', () => (up ? lost++ : gaveUp()));
  return socket;
}

const open = cfg.lib === 'MQTT.js' ? openMqttJs : openBare;
const before = measure.sampleMemory();
let next = 0;
// As `impmqtt bench` paces: with no interval, batches per timer turn so earlier clients keep running.
const batch = cfg.interval === 0 ? 100 : 1;
const connectSome = () => {
  for (let i = 0; i < batch && next < cfg.count; i++) {
    const started = timing.starting();
    clients.push(open(`${cfg.prefix}${++next}`, started));
  }
  if (next < cfg.count) setTimeout(connectSome, cfg.interval);
};
connectSome();
await attemptedAll;
const after = await measure.sampleIdleMemory();
const idleMemory = measure.perConnection(before, after, connected - lost, measure.canCollectGarbage());
process.stdout.write(`${JSON.stringify({ lib: cfg.lib, connected, failed, lost, connectRate: timing.rate(connected), connectCpuUs: timing.cpuPerConnect(connected), idleMemory, clients: clients.length })}\n`);
process.exit(0);
