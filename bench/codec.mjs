// Codec benchmark: impmqtt's packet codec against the anchor, mqtt-packet 9.0.2 (what MQTT.js
// uses), in one process, interleaved rounds, medians and ratios (see perf-targets.md in
// ../shared/reference/, beside this repository). A report, not a test: it exits 0 whether
// targets pass or miss, and non-zero only when a sanity check shows a broken path.
//
//   npm run bench:codec                      # build, then run everything (~1.5 min)
//   node bench/codec.mjs --filter=decode     # only cases whose name matches (results not saved)
//   node bench/codec.mjs --rounds=15 --sample-ms=100
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { compare, environment, formatOps, gitCommit, parseArgs, table, writeJson } from './harness.mjs';
import { encode, encodeInto, PacketDecoder } from '../dist/esm/packet/index.js';

const require = createRequire(import.meta.url);
const mqttPacket = require('mqtt-packet');
const mqttPacketVersion = require('mqtt-packet/package.json').version;

const here = dirname(fileURLToPath(import.meta.url));
const args = parseArgs();
const rounds = Number(args.rounds ?? 9);
const sampleMs = Number(args['sample-ms'] ?? 75);
const filter = args.filter ? new RegExp(String(args.filter), 'i') : null;

const IMP = 'impmqtt';
const MP = 'mqtt-packet';
const TOPIC = 'sensors/device42'; // 16 bytes
const MP_OPTS = { protocolVersion: 4 }; // what MQTT.js passes as `opts` (its client options)

// ---------------------------------------------------------------------------------------------
// Packets, each in both libraries' shapes

const payloadOf = (n) => Buffer.alloc(n, 0x61);
const SIZES = [
  ['0 B', 0],
  ['64 B', 64],
  ['1 KiB', 1024],
  ['64 KiB', 65536],
];

function publishPair(qos, size) {
  const payload = payloadOf(size);
  const imp = { type: 'publish', topic: TOPIC, payload, qos, dup: false, retain: false };
  const mp = { cmd: 'publish', topic: TOPIC, payload, qos, dup: false, retain: false };
  if (qos > 0) {
    imp.packetId = 4242;
    mp.messageId = 4242;
  }
  return { imp, mp };
}

const WILL_PAYLOAD = Buffer.from('offline');
const PASSWORD = Buffer.from('correct horse battery staple');
const connectPair = {
  imp: {
    type: 'connect',
    clientId: 'impmqtt-bench-0001',
    keepalive: 60,
    cleanSession: true,
    will: { topic: 'clients/impmqtt-bench-0001/status', payload: WILL_PAYLOAD, qos: 1, retain: true },
    username: 'bench-user',
    password: PASSWORD,
  },
  mp: {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: 'impmqtt-bench-0001',
    keepalive: 60,
    clean: true,
    will: { topic: 'clients/impmqtt-bench-0001/status', payload: WILL_PAYLOAD, qos: 1, retain: true },
    username: 'bench-user',
    password: PASSWORD,
  },
};

const FILTERS = [
  'sensors/+/temperature',
  'sensors/+/humidity',
  'home/livingroom/#',
  'home/kitchen/light/state',
  '$SYS/broker/clients/connected',
  'devices/device42/commands/#',
  'alerts/+/+/critical',
  'fleet/truck-17/gps',
  'factory/line3/plc/+/status',
  'weather/station/+/wind',
].map((topic, i) => ({ topic, qos: i % 3 }));
const subscribePair = {
  imp: { type: 'subscribe', packetId: 77, subscriptions: FILTERS },
  mp: { cmd: 'subscribe', messageId: 77, subscriptions: FILTERS },
};
const pubackPair = { imp: { type: 'puback', packetId: 4242 }, mp: { cmd: 'puback', messageId: 4242 } };

// ---------------------------------------------------------------------------------------------
// Sinks and streams

/** The minimal stream writeToStream needs: write() that accepts (and drops) every chunk. It has
 * no cork(), so writeToStream skips its cork + nextTick(uncork) (a real socket pays for those). */
function nullSink() {
  return {
    bytes: 0,
    write(chunk) {
      this.bytes += chunk.length;
      return true;
    },
    destroy(error) {
      throw error ?? new Error('writeToStream destroyed the sink');
    },
  };
}

/** A sink that keeps what it is given, for checking writeToStream's bytes. */
function capturingSink() {
  const parts = [];
  return {
    parts,
    write(chunk) {
      parts.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
      return true;
    },
    destroy(error) {
      throw error;
    },
    bytes: () => Buffer.concat(parts),
  };
}

/** `count` copies of `packet` back to back, cut into `chunkSize`-byte chunks. */
function buildStream(packet, count, chunkSize) {
  const one = Buffer.from(encode(packet));
  const stream = Buffer.allocUnsafe(one.length * count);
  for (let i = 0; i < count; i++) one.copy(stream, i * one.length);
  const chunks = [];
  for (let o = 0; o < stream.length; o += chunkSize) chunks.push(stream.subarray(o, Math.min(o + chunkSize, stream.length)));
  return { chunks, count, bytes: stream.length, packetBytes: one.length };
}

/** A decoder kept across calls, like one connection's; each call feeds the whole stream. */
function impStreamDecoder(stream) {
  const decoder = new PacketDecoder();
  const { chunks } = stream;
  return () => {
    let n = 0;
    for (let i = 0; i < chunks.length; i++) n += decoder.push(chunks[i]).length;
    return n;
  };
}

function mpStreamDecoder(stream) {
  const parser = mqttPacket.parser(MP_OPTS);
  let n = 0;
  parser.on('packet', () => n++);
  parser.on('error', (error) => {
    throw error;
  });
  const { chunks } = stream;
  return () => {
    n = 0;
    for (let i = 0; i < chunks.length; i++) parser.parse(chunks[i]);
    return n;
  };
}

// ---------------------------------------------------------------------------------------------
// Sanity: every path we time must do the right thing, else the numbers mean nothing.

const problems = [];
function check(condition, message) {
  if (!condition) problems.push(message);
}

function checkEncodePaths(label, pair) {
  const imp = Buffer.from(encode(pair.imp));
  const gen = mqttPacket.generate(pair.mp, MP_OPTS);
  check(imp.equals(gen), `${label}: encode() and generate() bytes differ\n  impmqtt     ${imp.toString('hex').slice(0, 160)}\n  mqtt-packet ${gen.toString('hex').slice(0, 160)}`);
  const target = Buffer.alloc(imp.length + 16);
  const n = encodeInto(pair.imp, target, 0);
  check(n === imp.length && target.subarray(0, n).equals(imp), `${label}: encodeInto() differs from encode()`);
  const sink = capturingSink();
  mqttPacket.writeToStream(pair.mp, sink, MP_OPTS);
  check(sink.bytes().equals(gen), `${label}: writeToStream() differs from generate()`);
}

function sameBytes(a, b) {
  return a !== undefined && b !== undefined && Buffer.from(a).equals(Buffer.from(b));
}

/**
 * Decodes `stream` with both libraries and checks the count and the first and last packets.
 * Keeps no packets alive: retaining thousands of decoded packets here would teach V8 to pretenure
 * the decoders' allocation sites (allocate straight into old space), halving the speeds measured
 * afterwards.
 */
function checkStream(label, stream, expected) {
  const last = stream.count - 1;
  const impOk = (a) => a?.type === 'publish' && a.topic === expected.topic && a.qos === expected.qos && a.packetId === expected.packetId && sameBytes(a.payload, expected.payload);
  const mpOk = (b) => b?.cmd === 'publish' && b.topic === expected.topic && b.qos === expected.qos && (expected.qos === 0 || b.messageId === expected.packetId) && sameBytes(b.payload, expected.payload);
  let impCount = 0;
  const decoder = new PacketDecoder();
  for (const chunk of stream.chunks) {
    for (const a of decoder.push(chunk)) {
      if ((impCount === 0 || impCount === last) && !impOk(a)) problems.push(`${label}: impmqtt packet ${impCount} decoded wrong`);
      impCount++;
    }
  }
  let mpCount = 0;
  const parser = mqttPacket.parser(MP_OPTS);
  parser.on('packet', (b) => {
    if ((mpCount === 0 || mpCount === last) && !mpOk(b)) problems.push(`${label}: mqtt-packet packet ${mpCount} decoded wrong`);
    mpCount++;
  });
  parser.on('error', (e) => problems.push(`${label}: mqtt-packet parser error ${e.message}`));
  for (const chunk of stream.chunks) parser.parse(chunk);
  check(impCount === stream.count, `${label}: impmqtt decoded ${impCount} packets, expected ${stream.count}`);
  check(mpCount === stream.count, `${label}: mqtt-packet decoded ${mpCount} packets, expected ${stream.count}`);
  check(decoder.buffered === 0, `${label}: impmqtt decoder holds ${decoder.buffered} bytes after a whole stream`);
}

function checkSingleDecode(label, bytes, impCheck, mpCheck) {
  const got = new PacketDecoder().push(bytes);
  check(got.length === 1 && impCheck(got[0]), `${label}: impmqtt decoded ${JSON.stringify(got).slice(0, 200)}`);
  const seen = [];
  const parser = mqttPacket.parser(MP_OPTS);
  parser.on('packet', (p) => seen.push(p));
  parser.on('error', (e) => problems.push(`${label}: mqtt-packet parser error ${e.message}`));
  parser.parse(bytes);
  check(seen.length === 1 && mpCheck(seen[0]), `${label}: mqtt-packet decoded ${JSON.stringify(seen).slice(0, 200)}`);
}

// ---------------------------------------------------------------------------------------------
// Cases

const cases = [];
const encodeBuffer = Buffer.alloc(128 * 1024);

for (const qos of [0, 1]) {
  for (const [sizeLabel, size] of SIZES) {
    const pair = publishPair(qos, size);
    checkEncodePaths(`PUBLISH QoS ${qos} ${sizeLabel}`, pair);
    cases.push({
      name: `encode Q${qos} ${sizeLabel} (encode | generate)`,
      competitors: {
        [IMP]: () => encode(pair.imp),
        [MP]: () => mqttPacket.generate(pair.mp, MP_OPTS),
      },
    });
  }
}
for (const qos of [0, 1]) {
  for (const [sizeLabel, size] of SIZES) {
    const pair = publishPair(qos, size);
    cases.push({
      name: `encode Q${qos} ${sizeLabel} (encodeInto | writeToStream)`,
      competitors: {
        [IMP]: () => encodeInto(pair.imp, encodeBuffer, 0),
        [MP]: {
          setup() {
            const sink = nullSink();
            return () => mqttPacket.writeToStream(pair.mp, sink, MP_OPTS);
          },
        },
      },
    });
  }
}

const KiB64 = 64 * 1024;
const decodeStreams = [
  { name: 'decode Q0 64 B, 64 KiB chunks', qos: 0, size: 64, count: 12480, chunk: KiB64 },
  { name: 'decode Q0 64 B, 7 B chunks', qos: 0, size: 64, count: 3120, chunk: 7 },
  { name: 'decode Q1 64 B, 64 KiB chunks', qos: 1, size: 64, count: 12192, chunk: KiB64 },
  { name: 'decode Q1 64 KiB, 64 KiB chunks', qos: 1, size: 65536, count: 16, chunk: KiB64 },
];
for (const d of decodeStreams) {
  const { imp } = publishPair(d.qos, d.size);
  const stream = buildStream(imp, d.count, d.chunk);
  checkStream(d.name, stream, imp);
  cases.push({
    name: d.name,
    ops: stream.count, // ops/s are packets/s
    competitors: {
      [IMP]: { setup: () => impStreamDecoder(stream) },
      [MP]: { setup: () => mpStreamDecoder(stream) },
    },
  });
}

function singlePacketCases(label, pair, impCheck, mpCheck) {
  checkEncodePaths(label, pair);
  const bytes = Buffer.from(encode(pair.imp));
  checkSingleDecode(label, bytes, impCheck, mpCheck);
  cases.push({
    name: `encode ${label} (encode | generate)`,
    competitors: {
      [IMP]: () => encode(pair.imp),
      [MP]: () => mqttPacket.generate(pair.mp, MP_OPTS),
    },
  });
  cases.push({
    name: `decode ${label}`,
    competitors: {
      [IMP]: {
        setup() {
          const decoder = new PacketDecoder();
          return () => decoder.push(bytes);
        },
      },
      [MP]: {
        setup() {
          const parser = mqttPacket.parser(MP_OPTS);
          let last;
          parser.on('packet', (p) => (last = p));
          return () => {
            parser.parse(bytes);
            return last;
          };
        },
      },
    },
  });
}

singlePacketCases(
  'CONNECT (user, password, will)',
  connectPair,
  (p) => p.type === 'connect' && p.clientId === connectPair.imp.clientId && p.username === 'bench-user' && sameBytes(p.password, PASSWORD) && p.will?.topic === connectPair.imp.will.topic && sameBytes(p.will.payload, WILL_PAYLOAD) && p.will.qos === 1 && p.will.retain === true && p.keepalive === 60,
  (p) => p.cmd === 'connect' && p.clientId === connectPair.mp.clientId && p.username === 'bench-user' && sameBytes(p.password, PASSWORD) && p.will?.topic === connectPair.mp.will.topic && sameBytes(p.will.payload, WILL_PAYLOAD) && p.keepalive === 60,
);
singlePacketCases(
  'SUBSCRIBE (10 filters)',
  subscribePair,
  (p) => p.type === 'subscribe' && p.packetId === 77 && JSON.stringify(p.subscriptions) === JSON.stringify(FILTERS),
  (p) => p.cmd === 'subscribe' && p.messageId === 77 && JSON.stringify(p.subscriptions.map(({ topic, qos }) => ({ topic, qos }))) === JSON.stringify(FILTERS),
);
singlePacketCases(
  'PUBACK',
  pubackPair,
  (p) => p.type === 'puback' && p.packetId === 4242,
  (p) => p.cmd === 'puback' && p.messageId === 4242,
);

if (problems.length > 0) {
  console.error(`Sanity check FAILED; not benchmarking a broken path:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Run

/** Figures from perf-targets.md for mqtt-packet, to see how fast this sitting runs (ops/s). */
const REFERENCE = {
  'encode Q0 64 B (encode | generate)': 1.0e6,
  'encode Q0 64 B (encodeInto | writeToStream)': 2.79e6,
  'encode Q0 64 KiB (encode | generate)': 60.7e3,
  'decode Q0 64 B, 64 KiB chunks': 0.82e6,
  'decode Q0 64 B, 7 B chunks': 0.18e6,
  'decode Q1 64 KiB, 64 KiB chunks': 60.8e3,
  'encode CONNECT (user, password, will) (encode | generate)': 638e3,
  'decode CONNECT (user, password, will)': 286e3,
  'encode SUBSCRIBE (10 filters) (encode | generate)': 147e3,
  'decode SUBSCRIBE (10 filters)': 127e3,
  'encode PUBACK (encode | generate)': 2.3e6,
  'decode PUBACK': 812e3,
};

const TARGETS = [
  { target: 'decode ≥ 6× mqtt-packet, Q0 64 B, 64 KiB chunks', case: 'decode Q0 64 B, 64 KiB chunks', min: 6 },
  { target: 'decode ≥ 6× mqtt-packet, Q0 64 B, 7 B chunks', case: 'decode Q0 64 B, 7 B chunks', min: 6 },
  { target: 'encode ≥ 1.5× writeToStream, Q0 64 B', case: 'encode Q0 64 B (encodeInto | writeToStream)', min: 1.5 },
  { target: 'encode ≥ 1.5× writeToStream, Q1 64 B', case: 'encode Q1 64 B (encodeInto | writeToStream)', min: 1.5 },
  { target: 'encode ≥ 4× generate, Q0 64 B', case: 'encode Q0 64 B (encode | generate)', min: 4 },
  { target: 'encode ≥ 4× generate, Q1 64 B', case: 'encode Q1 64 B (encode | generate)', min: 4 },
  // Not measured here: "decode ≥ 0.75× the minimal parser". Estimated through the reference
  // sitting, where the minimal parser ran 8.1 M/s vs mqtt-packet 0.82 M/s (64 KiB chunks) and
  // 1.43 M/s vs 0.18 M/s (7 B chunks).
  { target: 'decode ≥ 0.75× minimal parser, 64 KiB chunks (est.)', case: 'decode Q0 64 B, 64 KiB chunks', min: (0.75 * 8.1) / 0.82, estimate: true },
  { target: 'decode ≥ 0.75× minimal parser, 7 B chunks (est.)', case: 'decode Q0 64 B, 7 B chunks', min: (0.75 * 1.43) / 0.18, estimate: true },
];

const selected = filter ? cases.filter((c) => filter.test(c.name)) : cases;
const env = environment();
console.log(`impmqtt codec vs mqtt-packet ${mqttPacketVersion} — node ${env.node}, ${env.cpu} × ${env.cores}, load ${env.loadavg.join(' ')}`);
console.log(`${selected.length} cases, ${rounds} interleaved rounds of ~${sampleMs} ms samples per competitor; sanity checks passed (bytes identical, packet counts equal).\n`);

const started = Date.now();
const results = await compare(selected, {
  rounds,
  sampleMs,
  baseline: MP,
  onResult: (r) => process.stderr.write(`  ${r.name}: ${r.ratios[IMP].ratio.toFixed(2)}×\n`),
});
const seconds = (Date.now() - started) / 1000;

const rows = [['case', `${IMP} ops/s`, `${MP} ops/s`, 'ratio', 'paired range', `${MP} vs ref`]];
for (const r of results) {
  const ref = REFERENCE[r.name];
  r.referenceOpsPerSec = ref ?? null;
  rows.push([
    r.name,
    formatOps(r.competitors[IMP].median),
    formatOps(r.competitors[MP].median),
    `${r.ratios[IMP].ratio.toFixed(2)}×`,
    `${r.ratios[IMP].pairedMin.toFixed(2)}–${r.ratios[IMP].pairedMax.toFixed(2)}`,
    ref ? `${((100 * r.competitors[MP].median) / ref).toFixed(0)}%` : '',
  ]);
}
console.log('\n(ops/s = packets/s; ratio = impmqtt median / mqtt-packet median; paired range = min–max of per-round ratios;');
console.log(' mqtt-packet vs ref = this sitting\'s anchor against perf-targets.md, i.e. how fast the machine runs now;');
console.log(' writeToStream into a null sink passes the payload on by reference while encodeInto copies it, so the');
console.log(' large-payload encodeInto rows set a memcpy against no work at all)\n');
table(rows);

const targetRows = [['target', 'ratio', 'needs', 'result']];
const targets = [];
for (const t of TARGETS) {
  const r = results.find((x) => x.name === t.case);
  if (!r) continue;
  const ratio = r.ratios[IMP].ratio;
  const pass = ratio >= t.min;
  targets.push({ target: t.target, case: t.case, ratio, needs: t.min, pass, estimate: Boolean(t.estimate) });
  targetRows.push([t.target, `${ratio.toFixed(2)}×`, `${t.min.toFixed(2)}×`, pass ? 'PASS' : 'MISS']);
}
if (targets.length > 0) {
  console.log('');
  table(targetRows);
}
console.log(`\n${seconds.toFixed(0)} s of measuring.`);

const commit = gitCommit(here, ['src']);

if (filter && !args.save) {
  console.log('Filtered run: results not saved (add --save to save anyway).');
} else {
  const data = {
    benchmark: 'codec',
    ...env,
    commit,
    anchor: `mqtt-packet ${mqttPacketVersion}`,
    rounds,
    sampleMs,
    seconds,
    cases: results.map((r) => ({
      name: r.name,
      impmqtt: Math.round(r.competitors[IMP].median),
      mqttPacket: Math.round(r.competitors[MP].median),
      ratio: Number(r.ratios[IMP].ratio.toFixed(3)),
      pairedRatio: { median: Number(r.ratios[IMP].pairedMedian.toFixed(3)), min: Number(r.ratios[IMP].pairedMin.toFixed(3)), max: Number(r.ratios[IMP].pairedMax.toFixed(3)) },
      mqttPacketReference: r.referenceOpsPerSec,
      samples: { impmqtt: r.competitors[IMP].samples, mqttPacket: r.competitors[MP].samples },
    })),
    targets,
  };
  const day = env.date.slice(0, 10);
  const dated = join(here, 'results', `codec-${day}.json`);
  writeJson(dated, data);
  writeJson(join(here, 'results', 'codec-latest.json'), data);
  console.log(`Saved ${dated.replace(here, 'bench')} and bench/results/codec-latest.json`);
}
