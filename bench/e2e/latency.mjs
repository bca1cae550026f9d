// Child process of bench/e2e.mjs: sequential QoS 1 round trips through the broker, both libraries
// in this one process. Per library, a publisher client and a subscriber client (subscribed at
// QoS 1 to its own topic). One sample: publish one 64-byte message and time until it has been
// received by the subscriber AND the publisher's PUBACK callback has fired; the next sample
// starts on setImmediate. The libraries take turns in blocks (A B B A …) so that noise on this
// shared machine falls on both alike; `warmup` samples each first, then `samples` each.
//
//   argv[2] = JSON { port, warmup, samples, block }
// Reports {type:'done', results: { [lib]: { samples: [µs…] } }} (samples in µs, unsorted).
import { IMP, LIBS, connectClient, die, loadLibrary, send } from './clients.mjs';

const cfg = JSON.parse(process.argv[2]);
const payload = Buffer.alloc(64, 0x61);

async function setUp(lib) {
  const mod = await loadLibrary(lib);
  const tag = lib === IMP ? 'imp' : 'mqttjs';
  const topic = `bench/latency/${tag}`;
  const pub = await connectClient(lib, mod, { port: cfg.port, clientId: `lat-pub-${tag}-${process.pid}` });
  const sub = await connectClient(lib, mod, { port: cfg.port, clientId: `lat-sub-${tag}-${process.pid}` });
  const problems = [];
  pub.onClose((d) => problems.push(d));
  sub.onClose((d) => problems.push(d));
  const granted = await sub.subscribe(topic, 1);
  if (granted !== 1) throw new Error(`${lib}: subscription granted QoS ${granted}`);
  const side = { lib, topic, pub, sub, problems, pending: null, failures: 0, stray: 0 };
  sub.onMessage(() => {
    if (side.pending === null) side.stray++;
    else side.pending.received();
  });
  return side;
}

/** One round trip; resolves with microseconds. */
function roundTrip(side) {
  return new Promise((resolve) => {
    let acked = false;
    let got = false;
    const start = process.hrtime.bigint();
    const done = () => {
      side.pending = null;
      resolve(Number(process.hrtime.bigint() - start) / 1000);
    };
    side.pending = {
      received() {
        got = true;
        if (acked) done();
      },
    };
    side.pub.publish(side.topic, payload, 1, (result) => {
      if (side.pub.failed(result)) side.failures++;
      acked = true;
      if (got) done();
    });
  });
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

const where = { lib: null, phase: 'setup', done: 0 };

async function block(side, count, into) {
  where.lib = side.lib;
  for (let i = 0; i < count; i++) {
    await nextTurn();
    const us = await roundTrip(side);
    if (into) into.push(us);
    where.done++;
  }
}

async function interleaved(sides, perLib, into) {
  const blockSize = cfg.block;
  const blocks = Math.ceil(perLib / blockSize);
  for (let b = 0; b < blocks; b++) {
    const count = Math.min(blockSize, perLib - b * blockSize);
    const order = b % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) await block(side, count, into ? into[side.lib] : null);
  }
}

process.on('disconnect', () => process.exit(0));
process.on('message', (message) => {
  if (message.type === 'progress') send({ type: 'progress', ...where });
});

try {
  const sides = [];
  for (const lib of LIBS) sides.push(await setUp(lib));
  // A per-sample timeout would distort the samples; instead the parent has an overall deadline.
  where.phase = 'warm-up';
  await interleaved(sides, cfg.warmup, null);
  where.phase = 'samples';
  where.done = 0;
  const samples = Object.fromEntries(LIBS.map((lib) => [lib, []]));
  await interleaved(sides, cfg.samples, samples);
  const results = {};
  for (const side of sides) results[side.lib] = { samples: samples[side.lib], failures: side.failures, stray: side.stray, problems: side.problems };
  for (const side of sides) {
    await side.pub.end();
    await side.sub.end();
  }
  send({ type: 'done', results });
  setTimeout(() => process.exit(0), 50);
} catch (error) {
  die(error);
}
