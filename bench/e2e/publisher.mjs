// Child process of bench/e2e.mjs: connects one client, waits for {type:'go'}, publishes N
// 64-byte messages, and reports {type:'done'} with the wall time from the first publish to the
// last completion and the process's CPU time over the same span.
//
//   argv[2] = JSON { lib, port, clientId, topic, qos, n, batch (QoS 0), window (QoS 1/2), maxInflight? }
//
// Publish loops, identical for both libraries:
//   QoS 0  batches of `batch` publishes, a callback on the last one only; the next batch starts
//          (on setImmediate) once that callback says the batch was handed to the socket. MQTT.js
//          fires it at once or on 'drain', impmqtt once its write was taken (after drain if need
//          be), so neither client piles up 100 k messages in memory.
//   QoS 1/2 a sliding window: at most `window` publishes whose callback (PUBACK / PUBCOMP) has
//          not fired; each callback publishes the next message.
// Payload: 64 bytes, a fresh Buffer per message, the sequence number in the first four bytes.
//
// Also answers {type:'progress'} with its counters and {type:'exit'} by disconnecting and exiting.
import { clock, connectClient, die, ioCounters, ioDelta, loadLibrary, send } from './clients.mjs';

const cfg = JSON.parse(process.argv[2]);
const { qos, n, topic } = cfg;
const PAYLOAD_SIZE = 64;

let client;
let sent = 0;
let completed = 0;
let failures = 0;
let startedAt = 0;
let cpuStart = null;
let ioStart = null;
let finished = false;
let closedUnexpectedly = null;

function payload(i) {
  const b = Buffer.allocUnsafe(PAYLOAD_SIZE);
  b.fill(0x61, 4);
  b[0] = i >>> 24;
  b[1] = (i >>> 16) & 0xff;
  b[2] = (i >>> 8) & 0xff;
  b[3] = i & 0xff;
  return b;
}

function progress(type) {
  return { type, sent, completed, failures, closedUnexpectedly, state: client?.state?.() ?? null };
}

function finish() {
  if (finished) return;
  finished = true;
  const endedAt = clock();
  const cpu = process.cpuUsage(cpuStart);
  const io = ioDelta(ioStart);
  send({ ...progress('done'), startedAt, endedAt, cpuUser: cpu.user, cpuSystem: cpu.system, io, memory: process.memoryUsage().rss });
}

function runBatches() {
  const batch = cfg.batch;
  const onBatch = (result) => {
    if (client.failed(result)) failures++;
    completed = sent;
    if (sent >= n) finish();
    else setImmediate(next);
  };
  const next = () => {
    const end = Math.min(sent + batch, n);
    while (sent < end) {
      const i = sent++;
      client.publish(topic, payload(i), 0, sent === end ? onBatch : undefined);
    }
  };
  next();
}

function runWindow() {
  const window = cfg.window;
  const onDone = (result) => {
    completed++;
    if (client.failed(result)) failures++;
    if (sent < n) publishOne();
    else if (completed === n) finish();
  };
  const publishOne = () => {
    const i = sent++;
    client.publish(topic, payload(i), qos, onDone);
  };
  while (sent < window && sent < n) publishOne();
}

function go() {
  ioStart = ioCounters();
  startedAt = clock();
  cpuStart = process.cpuUsage();
  if (qos === 0) runBatches();
  else runWindow();
}

process.on('message', (message) => {
  if (message.type === 'go') go();
  else if (message.type === 'progress') send(progress('progress'));
  else if (message.type === 'exit') {
    setTimeout(() => process.exit(0), 3000).unref();
    client.end().then(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0)); // the parent is gone

try {
  const mod = await loadLibrary(cfg.lib);
  client = await connectClient(cfg.lib, mod, cfg);
  client.onClose((description) => {
    closedUnexpectedly = description;
    send({ type: 'closed', description });
  });
  send({ type: 'ready' });
} catch (error) {
  die(error);
}
