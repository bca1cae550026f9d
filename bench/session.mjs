// Session micro-benchmark: the sans-I/O state machine alone, no codec, no sockets. Measures
// complete flows per second:
//   - outgoing QoS 1: publish → PUBACK → published(0)
//   - outgoing QoS 2: publish → PUBREC → PUBREL → PUBCOMP → published(0)
//   - outgoing QoS 0: publish → published(0) (for scale)
//   - incoming QoS 1: PUBLISH → deliver + PUBACK; incoming QoS 2: PUBLISH → deliver + PUBREC, PUBREL → PUBCOMP
// each one at a time (one flow open) and batched (1,000 opened, then 1,000 acked). A report, not a
// test: it exits 0 whatever the figures, and non-zero only when a sanity check shows a flow that
// did not complete.
//
//   npm run build && node bench/session.mjs
//   node bench/session.mjs --filter=qos2 --min-time-ms=500
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environment, formatOps, gitCommit, measure, parseArgs, table, writeJson } from './harness.mjs';
import { Session } from '../dist/esm/session/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = parseArgs();
const minTimeMs = Number(args['min-time-ms'] ?? 1500);
const sampleMs = Number(args['sample-ms'] ?? 75);
const filter = args.filter ? new RegExp(String(args.filter), 'i') : null;
const BATCH = 1000;

const PAYLOAD = new Uint8Array(64).fill(0x61);
const TOPIC = 'sensors/device42';

function connectedSession() {
  const s = new Session({ clientId: 'bench', maxInflight: 65_535, maxBuffered: 100_000 });
  s.connect({ keepalive: 0, cleanSession: true }, 0);
  s.packetReceived({ type: 'connack', returnCode: 0, sessionPresent: false }, 0);
  s.takeActions();
  return s;
}

/** Counts what the flows produced, so the optimiser keeps the work and the sanity check can look. */
const tally = { completed: 0, failed: 0, delivered: 0, sent: 0 };
function consume(actions) {
  let lastId = 0;
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i];
    if (a.type === 'send') {
      tally.sent++;
      if (a.packet.packetId !== undefined) lastId = a.packet.packetId;
    } else if (a.type === 'published') {
      if (a.result === 0) tally.completed++;
      else tally.failed++;
    } else if (a.type === 'deliver') tally.delivered++;
  }
  return lastId;
}

// ---- outgoing ----------------------------------------------------------------------------

function outgoingSingle(qos) {
  return () => {
    const s = connectedSession();
    const request = { topic: TOPIC, payload: PAYLOAD, qos, retain: false };
    return () => {
      const now = 0;
      s.publish(request, now);
      const id = consume(s.takeActions());
      if (qos === 1) {
        s.packetReceived({ type: 'puback', packetId: id }, now);
      } else if (qos === 2) {
        s.packetReceived({ type: 'pubrec', packetId: id }, now);
        consume(s.takeActions());
        s.packetReceived({ type: 'pubcomp', packetId: id }, now);
      }
      consume(s.takeActions());
    };
  };
}

function outgoingBatched(qos) {
  return () => {
    const s = connectedSession();
    const request = { topic: TOPIC, payload: PAYLOAD, qos, retain: false };
    const ids = new Uint16Array(BATCH);
    return {
      ops: BATCH,
      fn: () => {
        for (let i = 0; i < BATCH; i++) s.publish(request, 0);
        const sent = s.takeActions();
        let k = 0;
        for (let i = 0; i < sent.length; i++) if (sent[i].type === 'send' && sent[i].packet.packetId !== undefined) ids[k++] = sent[i].packet.packetId;
        consume(sent);
        if (qos === 1) {
          for (let i = 0; i < k; i++) s.packetReceived({ type: 'puback', packetId: ids[i] }, 0);
        } else if (qos === 2) {
          for (let i = 0; i < k; i++) s.packetReceived({ type: 'pubrec', packetId: ids[i] }, 0);
          consume(s.takeActions());
          for (let i = 0; i < k; i++) s.packetReceived({ type: 'pubcomp', packetId: ids[i] }, 0);
        }
        consume(s.takeActions());
      },
    };
  };
}

// ---- incoming ----------------------------------------------------------------------------

function incomingSingle(qos) {
  return () => {
    const s = connectedSession();
    let id = 0;
    return () => {
      id = (id % 65_535) + 1;
      s.packetReceived({ type: 'publish', topic: TOPIC, payload: PAYLOAD, qos, dup: false, retain: false, packetId: id }, 0);
      if (qos === 2) {
        consume(s.takeActions());
        s.packetReceived({ type: 'pubrel', packetId: id }, 0);
      }
      consume(s.takeActions());
    };
  };
}

function incomingBatched(qos) {
  return () => {
    const s = connectedSession();
    let base = 0;
    return {
      ops: BATCH,
      fn: () => {
        for (let i = 1; i <= BATCH; i++) s.packetReceived({ type: 'publish', topic: TOPIC, payload: PAYLOAD, qos, dup: false, retain: false, packetId: base + i }, 0);
        consume(s.takeActions());
        if (qos === 2) {
          for (let i = 1; i <= BATCH; i++) s.packetReceived({ type: 'pubrel', packetId: base + i }, 0);
          consume(s.takeActions());
        }
        base = (base + BATCH) % 64_000;
      },
    };
  };
}

const cases = [
  { name: 'out QoS 0 publish', make: outgoingSingle(0) },
  { name: 'out QoS 1 publish→PUBACK, one at a time', make: outgoingSingle(1) },
  { name: 'out QoS 1 publish→PUBACK, batched 1000', make: outgoingBatched(1) },
  { name: 'out QoS 2 PUBLISH→PUBREC→PUBREL→PUBCOMP, one at a time', make: outgoingSingle(2) },
  { name: 'out QoS 2 PUBLISH→PUBREC→PUBREL→PUBCOMP, batched 1000', make: outgoingBatched(2) },
  { name: 'in QoS 1 deliver+PUBACK, one at a time', make: incomingSingle(1) },
  { name: 'in QoS 1 deliver+PUBACK, batched 1000', make: incomingBatched(1) },
  { name: 'in QoS 2 deliver+PUBREC, PUBREL→PUBCOMP, one at a time', make: incomingSingle(2) },
  { name: 'in QoS 2 deliver+PUBREC, PUBREL→PUBCOMP, batched 1000', make: incomingBatched(2) },
];

// ---- sanity: every flow completes, once ------------------------------------------------------

for (const c of cases) {
  const made = c.make();
  const fn = typeof made === 'function' ? made : made.fn;
  const ops = typeof made === 'function' ? 1 : made.ops;
  const before = { ...tally };
  for (let i = 0; i < 3; i++) fn();
  const completed = tally.completed - before.completed;
  const delivered = tally.delivered - before.delivered;
  const expected = 3 * ops;
  const ok = c.name.startsWith('out') ? completed === expected && tally.failed === 0 : delivered === expected;
  if (!ok) {
    console.error(`Sanity check failed for "${c.name}": ${completed} completed, ${delivered} delivered, ${tally.failed} failed; expected ${expected}.`);
    process.exit(1);
  }
}

const selected = cases.filter((c) => !filter || filter.test(c.name));
console.log(`Session micro-benchmark: ${selected.length} cases, ≥${minTimeMs} ms each, ~${sampleMs} ms samples; flows/s (median). Sanity checks passed.\n`);

const started = Date.now();
const results = [];
for (const c of selected) {
  const made = c.make();
  const fn = typeof made === 'function' ? made : made.fn;
  const ops = typeof made === 'function' ? 1 : made.ops;
  const r = await measure(fn, { minTimeMs, sampleMs, ops });
  const min = Math.min(...r.samples);
  const max = Math.max(...r.samples);
  results.push({ name: c.name, opsPerSec: r.opsPerSec, samples: r.samples, min, max, nsPerFlow: 1e9 / r.opsPerSec });
  console.log(`  ${c.name}: ${formatOps(r.opsPerSec)} flows/s`);
}
const seconds = (Date.now() - started) / 1000;

console.log('');
table([
  ['case', 'flows/s', 'ns/flow', 'sample range'],
  ...results.map((r) => [r.name, formatOps(r.opsPerSec), r.nsPerFlow.toFixed(0), `${formatOps(r.min)}–${formatOps(r.max)}`]),
]);
console.log(`\n${seconds.toFixed(0)} s of measuring.`);

const commit = gitCommit(here, ['src/session']);

if (filter && !args.save) {
  console.log('Filtered run: results not saved (add --save to save anyway).');
} else {
  const data = {
    benchmark: 'session',
    ...environment(),
    commit,
    minTimeMs,
    sampleMs,
    seconds,
    cases: results.map((r) => ({
      name: r.name,
      flowsPerSec: Math.round(r.opsPerSec),
      nsPerFlow: Number(r.nsPerFlow.toFixed(1)),
      samples: r.samples.map(Math.round),
    })),
  };
  writeJson(join(here, 'results', 'session-latest.json'), data);
  console.log('Saved bench/results/session-latest.json');
}
