// Child process of bench/e2e.mjs (run with --expose-gc): memory per idle connection.
// Loads the library, opens one warm-up connection (so one-off costs — lazily loaded modules,
// compiled code, the socket machinery's first use — are not charged to the measured ones),
// takes a baseline, opens `conns` more connections (keepalive 60 s) in concurrent groups of
// `group`, waits for every CONNACK, then gc(), 1 s idle, gc() again and measures.
// Reports {type:'done'} with process.memoryUsage() before (no connection), at the baseline and
// after, and the connection count actually used (reduced when the file-descriptor limit is low).
//
//   argv[2] = JSON { lib, port, conns, group, keepalive }
import { readFileSync } from 'node:fs';
import { connectClient, die, loadLibrary, send } from './clients.mjs';

const cfg = JSON.parse(process.argv[2]);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

if (typeof globalThis.gc !== 'function') {
  die(new Error('idle.mjs needs node --expose-gc'));
}

function openFileLimit() {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line.split(/\s{2,}/)[1];
    return soft === 'unlimited' ? Infinity : Number(soft);
  } catch {
    return Infinity;
  }
}

async function settle(ms) {
  globalThis.gc();
  await sleep(ms);
  globalThis.gc();
  await sleep(20);
  globalThis.gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
}

process.on('disconnect', () => process.exit(0));

try {
  const limit = openFileLimit();
  const conns = Math.max(1, Math.min(cfg.conns, limit - 64));
  const tag = cfg.lib === 'impmqtt' ? 'imp' : cfg.lib === 'MQTT.js' ? 'mqttjs' : 'bare';
  const mod = await loadLibrary(cfg.lib);
  const empty = await settle(200);
  const clients = [await connectClient(cfg.lib, mod, { port: cfg.port, clientId: `idle-${tag}-${process.pid}-w`, keepalive: cfg.keepalive })];
  const baseline = await settle(500);
  const started = performance.now();
  for (let i = 0; i < conns; i += cfg.group) {
    const group = [];
    for (let j = i; j < Math.min(i + cfg.group, conns); j++) {
      group.push(connectClient(cfg.lib, mod, { port: cfg.port, clientId: `idle-${tag}-${process.pid}-${j}`, keepalive: cfg.keepalive }));
    }
    clients.push(...(await Promise.all(group)));
  }
  const connectMs = performance.now() - started;
  const after = await settle(1000);
  send({ type: 'done', lib: cfg.lib, conns, requested: cfg.conns, fdLimit: Number.isFinite(limit) ? limit : null, connectMs, empty, baseline, after });
  const closing = Promise.all(clients.map((c) => c.end()));
  await Promise.race([closing, sleep(5000)]);
  process.exit(0);
} catch (error) {
  die(error);
}
