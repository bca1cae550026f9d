// Child process of bench/e2e.mjs: connects one client, subscribes to `topic` at `qos`, reports
// {type:'ready'} once the SUBACK is in, and counts the 64-byte messages that arrive by their
// sequence numbers (unique, duplicates, out of order, malformed). {type:'arm'} (sent just before
// the publisher is told to go) starts the CPU clock; when all N distinct messages are in, it
// reports {type:'done'} with the time of the last one and the CPU time since 'arm'.
// {type:'finish'} makes it report what it has (the parent gave up waiting: messages were lost).
//
//   argv[2] = JSON { lib, port, clientId, topic, qos, n }
import { clock, connectClient, die, ioCounters, ioDelta, loadLibrary, send, sequenceOf } from './clients.mjs';

const cfg = JSON.parse(process.argv[2]);
const { n } = cfg;

let client;
const seen = new Uint8Array(n);
let unique = 0;
let total = 0;
let duplicates = 0;
let outOfOrder = 0;
let malformed = 0;
let highest = -1;
let cpuStart = null;
let ioStart = null;
let armedAt = 0;
let reported = false;
let closedUnexpectedly = null;
let grantedQoS = null;

function counts(type) {
  return { type, unique, total, duplicates, outOfOrder, malformed, grantedQoS, closedUnexpectedly };
}

function report(complete) {
  if (reported) return;
  reported = true;
  const lastAt = clock();
  const cpu = process.cpuUsage(cpuStart ?? undefined);
  const io = ioDelta(ioStart);
  send({ ...counts('done'), complete, armedAt, lastAt, cpuUser: cpu.user, cpuSystem: cpu.system, io, memory: process.memoryUsage().rss });
}

function onMessage(payload) {
  total++;
  if (payload.length !== 64) {
    malformed++;
    return;
  }
  const i = sequenceOf(payload);
  if (i >= n) {
    malformed++;
    return;
  }
  if (seen[i] !== 0) {
    duplicates++;
    return;
  }
  seen[i] = 1;
  if (i < highest) outOfOrder++;
  else highest = i;
  if (++unique === n) report(true);
}

process.on('message', (message) => {
  if (message.type === 'arm') {
    ioStart = ioCounters();
    armedAt = clock();
    cpuStart = process.cpuUsage();
  } else if (message.type === 'progress') send(counts('progress'));
  else if (message.type === 'finish') report(false);
  else if (message.type === 'exit') {
    setTimeout(() => process.exit(0), 3000).unref();
    client.end().then(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));

try {
  const mod = await loadLibrary(cfg.lib);
  client = await connectClient(cfg.lib, mod, cfg);
  client.onClose((description) => {
    closedUnexpectedly = description;
    send({ type: 'closed', description });
  });
  client.onMessage(onMessage);
  grantedQoS = await client.subscribe(cfg.topic, cfg.qos);
  send({ type: 'ready', grantedQoS });
} catch (error) {
  die(error);
}
