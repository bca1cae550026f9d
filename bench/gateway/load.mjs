// The load generator: keep-alive HTTP/1.1 on raw sockets (cheap, so the gateway is what is
// measured), requests signed before the clock starts (RPC HMAC-SHA1, unique nonces), each
// carrying its index as the payload so the subscriber can check exactly-once delivery.
//   mode "max":   `connections` closed loops for `duration` ms
//   mode "fixed": an open loop at `rate` req/s. Two latencies: from the moment each request was
//                 written (what the gateway costs a caller) and from its scheduled time (so a
//                 stall that delays sending is not hidden: no coordinated omission; it also
//                 carries this generator's own timer lag, about a millisecond)
import net from 'node:net';
import { rpcSignedQuery } from '../../dist/esm/api/gateway/index.js';
import { sendMessageParameters } from '../../dist/esm/api/gateway/signature-rpc.js';

const config = JSON.parse(process.argv[2]);
const count = config.mode === 'fixed' ? Math.ceil((config.rate * config.duration) / 1000) : config.maxRequests;

const requests = new Array(count);
for (let i = 0; i < count; i++) {
  const parameters = sendMessageParameters(config.accessKeyId, `${config.run}-${process.pid}-${i}`, { InstanceId: 'post-bench', MqttTopic: `bench/gw/${config.run}`, Payload: `${config.run}:${i}` });
  requests[i] = Buffer.from(`GET /?${rpcSignedQuery('GET', parameters, config.accessKeySecret)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
}

const latencies = [];
const serviceLatencies = [];
const okIndexes = [];
const failures = {};
let next = 0;
let scheduledStart = 0;

function connection() {
  const socket = net.connect({ host: '127.0.0.1', port: config.port, noDelay: true });
  let buffer = Buffer.alloc(0);
  let current = null;
  const state = { busy: false, send, ready: new Promise((resolve) => socket.once('connect', resolve)) };
  function send(index, startedAt) {
    state.busy = true;
    current = { index, startedAt, sentAt: performance.now() };
    socket.write(requests[index]);
  }
  socket.on('data', (chunk) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    const split = buffer.indexOf('\r\n\r\n');
    if (split === -1) return;
    const head = buffer.subarray(0, split).toString('latin1');
    const length = Number(/content-length: *(\d+)/i.exec(head)[1]);
    if (buffer.length < split + 4 + length) return;
    const status = Number(head.slice(9, 12));
    const body = buffer.subarray(split + 4, split + 4 + length).toString();
    buffer = buffer.subarray(split + 4 + length);
    const now = performance.now();
    latencies.push(now - current.startedAt);
    serviceLatencies.push(now - current.sentAt);
    if (status === 200) okIndexes.push(current.index);
    else {
      const code = `${status} ${JSON.parse(body).Code}`;
      failures[code] = (failures[code] ?? 0) + 1;
    }
    state.busy = false;
    state.onIdle?.();
  });
  socket.on('error', (error) => {
    failures[`socket ${error.code}`] = (failures[`socket ${error.code}`] ?? 0) + 1;
  });
  state.socket = socket;
  return state;
}

const pool = Array.from({ length: config.connections }, connection);
await Promise.all(pool.map((c) => c.ready));
const started = performance.now();
scheduledStart = started;

await new Promise((resolve) => {
  const deadline = started + config.duration;
  let outstanding = 0;
  const finishIfDone = () => {
    if (outstanding === 0 && (next >= count || performance.now() >= deadline)) resolve();
  };
  if (config.mode === 'max') {
    for (const c of pool) {
      c.onIdle = () => {
        outstanding -= 1;
        if (next < count && performance.now() < deadline) {
          outstanding += 1;
          c.send(next++, performance.now());
        } else finishIfDone();
      };
      outstanding += 1;
      c.send(next++, performance.now());
    }
  } else {
    const waiting = [];
    const dispatch = () => {
      for (const c of pool) {
        if (waiting.length === 0) return;
        if (!c.busy) {
          outstanding += 1;
          const { index, at } = waiting.shift();
          c.send(index, at);
        }
      }
    };
    for (const c of pool) {
      c.onIdle = () => {
        outstanding -= 1;
        dispatch();
        finishIfDone();
      };
    }
    const interval = 1000 / config.rate;
    const tick = () => {
      const now = performance.now();
      while (next < count && scheduledStart + next * interval <= now) {
        waiting.push({ index: next, at: scheduledStart + next * interval });
        next += 1;
      }
      dispatch();
      if (next < count) setTimeout(tick, 1);
      else finishIfDone();
    };
    tick();
  }
});
const elapsed = performance.now() - started;
for (const c of pool) c.socket.destroy();
latencies.sort((a, b) => a - b);
serviceLatencies.sort((a, b) => a - b);
const at = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
process.send({
  sent: next, answered: latencies.length, ok: okIndexes.length, okIndexes, failures, elapsed,
  p50: at(serviceLatencies, 0.5), p99: at(serviceLatencies, 0.99), max: serviceLatencies[serviceLatencies.length - 1],
  scheduledP50: at(latencies, 0.5), scheduledP99: at(latencies, 0.99),
});
