// Child of bench/fixed-rate.mjs: one client, a publisher at a steady rate or a subscriber.
// {type:'ready'} once connected (and subscribed); {type:'go'} starts publishing; {type:'arm'}
// starts the CPU clock, {type:'stop'} reports the CPU used since (and the messages counted),
// {type:'exit'} disconnects and exits.
//   argv[2] = JSON { lib, port, clientId, role: 'pub' | 'sub', topic, qos, rate }
import { IMP, connectClient, ioCounters, ioDelta, loadLibrary, send, die } from '../e2e/clients.mjs';
import { FACES, connectFace } from '../e2e/face-clients.mjs';

const cfg = JSON.parse(process.argv[2]);
const TICK_MS = 10;
let client;
let cpuStart = null;
let syscallsStart = null;
let wallStart = 0;
let count = 0;
let failures = 0;
let firstFailure = null;
const failed = (result) => {
  failures++;
  firstFailure ??= String(result?.message ?? result);
};

async function main() {
  const face = FACES.includes(cfg.lib);
  const mod = await loadLibrary(face ? IMP : cfg.lib);
  const options = { port: cfg.port, clientId: cfg.clientId, topic: cfg.topic, qos: cfg.qos, role: cfg.role };
  client = face ? await connectFace(cfg.lib, mod, options) : await connectClient(cfg.lib, mod, options);
  client.onClose((description) => die(new Error(description)));
  if (cfg.role === 'sub') {
    client.onMessage(() => count++);
    await client.subscribe(cfg.topic, cfg.qos);
  }
  send({ type: 'ready' });
}

/** Publishes `rate` messages a second in ticks of TICK_MS, catching up on late ticks. */
function publishSteadily() {
  const payload = Buffer.alloc(64, 0x61);
  const startedAt = performance.now();
  let sent = 0;
  const tick = () => {
    const due = Math.floor(((performance.now() - startedAt) / 1000) * cfg.rate);
    while (sent < due) {
      sent++;
      client.publish(cfg.topic, payload, cfg.qos, cfg.qos === 0 ? undefined : (result) => (client.failed(result) ? failed(result) : count++));
      if (cfg.qos === 0) count++;
    }
    setTimeout(tick, TICK_MS);
  };
  tick();
}

process.on('message', async (message) => {
  if (message.type === 'go') publishSteadily();
  else if (message.type === 'arm') {
    cpuStart = process.cpuUsage();
    syscallsStart = ioCounters();
    wallStart = performance.now();
    count = 0;
  } else if (message.type === 'stop') {
    const cpu = process.cpuUsage(cpuStart);
    const io = ioDelta(syscallsStart) ?? { reads: 0, writes: 0 };
    send({ type: 'stopped', cpuUs: cpu.user + cpu.system, userUs: cpu.user, wallUs: (performance.now() - wallStart) * 1000, count, failures, firstFailure, ...io });
  } else if (message.type === 'exit') {
    await client?.end();
    process.exit(0);
  }
});

main().catch(die);
