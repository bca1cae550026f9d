// The async and queue faces' cost over the engine, and beside MQTT.js's promise API: QoS 1
// publish (a window of 1,000 unacknowledged) and QoS 1 receive, 64 B, against an in-process
// broker stand-in that answers at once (no sockets, no broker process), so what is measured is
// each client's own CPU per message. Interleaved rounds, medians, ratios. Target: each face
// ≤ 1.15× the engine. A report, not a test: exits 0 whether the target passes or not.
//
// The queue face (Pip.Services' MqttMessageQueue) runs as Pip's defaults configure it
// (serialize_envelope off, ack_on 'receive'), QoS 1, keepalive off and no reconnection like the
// engine here; it reaches the stand-in through its internal engine-options hook.
//
//   npm run bench:async            (builds first)
//   node bench/async.mjs --rounds=7 --n=200000
import { Duplex } from 'node:stream';
import { environment, median, parseArgs, table, writeJson } from './harness.mjs';

const args = parseArgs();
const ROUNDS = Number(args.rounds ?? 5);
const N = Number(args.n ?? 100_000);
const WINDOW = 1_000;
const PAYLOAD = Buffer.alloc(64, 7);

const lib = await import('../dist/esm/index.js');
const { MqttMessageQueue, MessageEnvelope } = await import('../dist/esm/api/queue/index.js');
const { PacketDecoder, encode } = await import('../dist/esm/packet/index.js');
const mqttjs = (await import('mqtt')).default;

/** The broker stand-in: answers CONNECT, PUBLISH QoS 1 and SUBSCRIBE at once; send() pushes packets to the client. */
function standIn(deliver) {
  const decoder = new PacketDecoder();
  let pending = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const out = pending;
    pending = [];
    if (out.length > 0) deliver(Buffer.concat(out));
  };
  const send = (packet) => {
    pending.push(encode(packet));
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  const onBytes = (bytes, onPuback) => {
    for (const p of decoder.push(bytes)) {
      if (p.type === 'connect') send({ type: 'connack', sessionPresent: false, returnCode: 0 });
      else if (p.type === 'publish' && p.qos === 1) send({ type: 'puback', packetId: p.packetId });
      else if (p.type === 'subscribe') send({ type: 'suback', packetId: p.packetId, granted: p.subscriptions.map((s) => s.qos) });
      else if (p.type === 'puback') onPuback?.();
    }
  };
  return { send, onBytes };
}

/** Streams N QoS 1 PUBLISHes to the client, keeping at most WINDOW unacknowledged. */
function feeder(broker) {
  let sent = 0;
  let acked = 0;
  const top = () => {
    while (sent < N && sent - acked < WINDOW) {
      sent++;
      broker.send({ type: 'publish', topic: 'bench/in', payload: PAYLOAD, qos: 1, dup: false, retain: false, packetId: (sent % 65535) + 1 });
    }
  };
  return { start: top, acked: () => (acked++, top()) };
}

function impTransport(state) {
  return (_endpoint, _options, events) => {
    state.broker = standIn((bytes) => events.data(bytes));
    setImmediate(() => events.open());
    return {
      write: (bytes) => (state.broker.onBytes(bytes, state.onPuback), true),
      end: () => setImmediate(() => events.close()),
      destroy: () => setImmediate(() => events.close()),
    };
  };
}

function mqttjsStream(state) {
  const stream = new Duplex({
    read() {},
    write(chunk, _encoding, callback) {
      state.broker.onBytes(chunk, state.onPuback);
      callback();
    },
  });
  state.broker = standIn((bytes) => stream.push(bytes));
  return stream;
}

const options = { url: 'mqtt://127.0.0.1:1', clientId: 'bench', keepalive: 0, reconnect: false };

/** An opened queue on `topic`, configured as Pip's defaults but for QoS 1, no keepalive, no reconnection. */
async function openQueue(state, topic) {
  const queue = new MqttMessageQueue(topic);
  queue.configure({
    connection: { host: '127.0.0.1', port: 1 },
    client_id: 'bench',
    options: { qos: 1, keepalive_timeout: 0, retry_connect: false },
  });
  queue.useEngineOptions_({ transport: impTransport(state) });
  await queue.open(null);
  return queue;
}

/** CPU µs per message of `run` (which resolves after N messages). */
async function cpuPerMessage(run) {
  const before = process.cpuUsage();
  await run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / N;
}

/** CPU µs per message for N publishes awaited one by one in each of WINDOW concurrent loops. */
function awaitedInWindow(publishOne) {
  return cpuPerMessage(async () => {
    let sent = 0;
    const worker = async () => {
      while (sent < N) {
        sent++;
        await publishOne();
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, worker));
  });
}

/** CPU µs per message received through a 'message' event (both libraries have one). */
function receiveByEvent(client, state) {
  const feed = feeder(state.broker);
  state.onPuback = feed.acked;
  return cpuPerMessage(
    () =>
      new Promise((done) => {
        let received = 0;
        client.on('message', () => {
          if (++received === N) done();
        });
        feed.start();
      }),
  );
}

/** A queue on the topic the feeder streams to, and the feeder, started by the case. */
async function fedQueue() {
  const state = {};
  const queue = await openQueue(state, 'bench/in');
  const feed = feeder(state.broker);
  state.onPuback = feed.acked;
  return { queue, feed };
}

const cases = {
  'publish: engine (callbacks)': async () => {
    const state = {};
    const client = new lib.MqttClient({ ...options, transport: impTransport(state) });
    await new Promise((ok) => client.once('connect', ok).connect());
    const us = await cpuPerMessage(
      () =>
        new Promise((done) => {
          let sent = 0;
          let completed = 0;
          const next = () => {
            if (++completed === N) done();
            else if (sent < N) (sent++, client.publish('bench/out', PAYLOAD, { qos: 1 }, next));
          };
          for (; sent < WINDOW; sent++) client.publish('bench/out', PAYLOAD, { qos: 1 }, next);
        }),
    );
    client.destroy();
    return us;
  },
  // The floor of any promise API on this engine: a bare Promise around each publish, awaited the same way
  // and given its options as every other case is (a literal per call: a hoisted object saved the floor
  // an allocation per message that the cases it is compared with pay).
  'publish: engine + bare promise (floor)': async () => {
    const state = {};
    const client = new lib.MqttClient({ ...options, transport: impTransport(state) });
    await new Promise((ok) => client.once('connect', ok).connect());
    const us = await awaitedInWindow(() => new Promise((resolve) => client.publish('bench/out', PAYLOAD, { qos: 1 }, resolve)));
    client.destroy();
    return us;
  },
  'publish: async face (await)': async () => {
    const state = {};
    const client = await new lib.Client({ ...options, transport: impTransport(state) }).connect();
    const us = await awaitedInWindow(() => client.publish('bench/out', PAYLOAD, { qos: 1 }));
    await client.disconnect();
    return us;
  },
  // As a Pip producer sends: a new envelope per message.
  'publish: queue face (await send)': async () => {
    const state = {};
    const queue = await openQueue(state, 'bench/out');
    const us = await awaitedInWindow(() => queue.send(null, new MessageEnvelope(null, 'bench', PAYLOAD)));
    await queue.close(null);
    return us;
  },
  'publish: MQTT.js publishAsync': async () => {
    const state = {};
    const client = new mqttjs.MqttClient(() => mqttjsStream(state), { clientId: 'bench', keepalive: 0, reconnectPeriod: 0, protocolVersion: 4 });
    await new Promise((ok) => client.once('connect', ok));
    const us = await awaitedInWindow(() => client.publishAsync('bench/out', PAYLOAD, { qos: 1 }));
    client.end(true);
    return us;
  },
  'receive: engine (message event)': async () => {
    const state = {};
    const client = new lib.MqttClient({ ...options, transport: impTransport(state) });
    await new Promise((ok) => client.once('connect', ok).connect());
    const us = await receiveByEvent(client, state);
    client.destroy();
    return us;
  },
  'receive: async face (for await)': async () => {
    const state = {};
    const client = await new lib.Client({ ...options, transport: impTransport(state) }).connect();
    const feed = feeder(state.broker);
    state.onPuback = feed.acked;
    const us = await cpuPerMessage(async () => {
      let received = 0;
      feed.start();
      for await (const message of client.messages) {
        if (message.payload.length !== 64) throw new Error('bad payload');
        if (++received === N) break;
      }
    });
    await client.disconnect();
    return us;
  },
  // As a Pip consumer most often takes messages: a MessageReceiver given to listen().
  'receive: queue face (listen)': async () => {
    const { queue, feed } = await fedQueue();
    const us = await cpuPerMessage(
      () =>
        new Promise((done) => {
          let received = 0;
          queue.listen(null, {
            receiveMessage: (envelope) => {
              if (envelope.message.length !== 64) throw new Error('bad payload');
              if (++received === N) done();
            },
          });
          feed.start();
        }),
    );
    await queue.close(null);
    return us;
  },
  // The other way: receive() awaited in a loop (a polling consumer).
  'receive: queue face (await receive)': async () => {
    const { queue, feed } = await fedQueue();
    const us = await cpuPerMessage(async () => {
      feed.start();
      for (let received = 0; received < N; received++) {
        const envelope = await queue.receive(null, 10_000);
        if (envelope?.message.length !== 64) throw new Error('bad payload');
      }
    });
    await queue.close(null);
    return us;
  },
  'receive: MQTT.js (message event)': async () => {
    const state = {};
    const client = new mqttjs.MqttClient(() => mqttjsStream(state), { clientId: 'bench', keepalive: 0, reconnectPeriod: 0, protocolVersion: 4 });
    await new Promise((ok) => client.once('connect', ok));
    const us = await receiveByEvent(client, state);
    client.end(true);
    return us;
  },
};

const names = Object.keys(cases).filter((name) => !args.only || name.includes(args.only));
const samples = Object.fromEntries(names.map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? names : [...names].reverse();
  for (const name of order) {
    if (args.verbose) console.error(`${name}…`);
    samples[name].push(await cases[name]());
  }
}
const med = Object.fromEntries(names.map((name) => [name, median(samples[name])]));
// The least of the rounds too: on a shared VM, noise only ever adds CPU, so the best round is the
// steadier estimate of a client's own cost when the medians scatter.
const best = Object.fromEntries(names.map((name) => [name, Math.min(...samples[name])]));
const env = environment();
console.log(`async and queue faces vs engine vs MQTT.js — node ${env.node}, ${ROUNDS} rounds of ${N} QoS 1 messages, 64 B, in-process broker stand-in\n`);
/** `a` over `b`, or a dash where `b` was left out (--only). */
const ratio = (a, b) => (b === undefined ? '—' : `${(a / b).toFixed(2)}×`);
table([
  ['case', 'CPU µs/msg (median)', 'vs engine', 'vs MQTT.js', 'best round', 'vs engine'],
  ...names.map((name) => {
    const kind = name.split(':')[0];
    const engine = `${kind}: engine (${kind === 'publish' ? 'callbacks' : 'message event'})`;
    const anchor = names.find((n) => n.startsWith(kind) && n.includes('MQTT.js'));
    return [name, med[name].toFixed(3), ratio(med[name], med[engine]), ratio(med[name], med[anchor]), best[name].toFixed(3), ratio(best[name], best[engine])];
  }),
]);
/** `face` over `base` with PASS/MISS, or nothing when either was left out (--only). */
const over = (figures, face, base) => {
  if (figures[face] === undefined || figures[base] === undefined) return [];
  const ratio = figures[face] / figures[base];
  return [`${face.split(':')[0]} ${ratio.toFixed(2)}× ${ratio <= 1.15 ? 'PASS' : 'MISS'}`];
};
const verdict = (figures, face) =>
  [
    ...over(figures, `publish: ${face.publish}`, 'publish: engine + bare promise (floor)'),
    ...over(figures, `receive: ${face.receive}`, 'receive: engine (message event)'),
  ].join(', ') || 'not measured';
const faces = {
  'the async face': { publish: 'async face (await)', receive: 'async face (for await)' },
  'the queue face': { publish: 'queue face (await send)', receive: 'queue face (listen)' },
};
console.log('\ntarget: each face ≤ 1.15× the engine (publish: against the engine behind a bare promise)');
for (const [face, cases] of Object.entries(faces)) {
  console.log(`  ${face} — medians: ${verdict(med, cases)}; best rounds: ${verdict(best, cases)}`);
}
writeJson(`bench/results/async-latest.json`, { benchmark: 'async', date: new Date().toISOString(), ...env, rounds: ROUNDS, n: N, samples, medians: med, best });
