// Child of bench/fixed-rate.mjs: one client, a publisher at a steady rate or a subscriber.
// {type:'ready'} once connected (and subscribed); {type:'go'} starts publishing; {type:'arm'}
// starts the CPU clock, {type:'stop'} reports the CPU used since (and the messages counted),
// {type:'exit'} disconnects and exits.
//   argv[2] = JSON { lib, port, clientId, role: 'pub' | 'sub', topic, qos, rate }
import { connectClient, loadLibrary, send, die } from '../e2e/clients.mjs';

const cfg = JSON.parse(process.argv[2]);
const TICK_MS = 10;
let client;
let cpuStart = null;
let wallStart = 0;
let count = 0;
let failures = 0;

async function main() {
  const mod = await loadLibrary(cfg.lib);
  client = await connectClient(cfg.lib, mod, { port: cfg.port, clientId: cfg.clientId });
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
      client.publish(cfg.topic, payload, cfg.qos, cfg.qos === 0 ? undefined : (result) => (client.failed(result) ? failures++ : count++));
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
    wallStart = performance.now();
    count = 0;
  } else if (message.type === 'stop') {
    const cpu = process.cpuUsage(cpuStart);
    send({ type: 'stopped', cpuUs: cpu.user + cpu.system, wallUs: (performance.now() - wallStart) * 1000, count, failures });
  } else if (message.type === 'exit') {
    await client?.end();
    process.exit(0);
  }
});

main().catch(die);
