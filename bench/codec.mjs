// Codec benchmark: impmqtt's packet codec against the anchor, mqtt-packet 9.0.2 (what MQTT.js
// uses), in one process, interleaved rounds, medians and ratios (see perf-targets.md in
// ../shared/reference/, beside this repository). A report, not a test: it exits 0 whether
// targets pass or miss, and non-zero only when a sanity check shows a broken path.
//
//   npm run bench:codec                      # build, then run everything (~1.5 min)
//   node bench/codec.mjs --filter=decode     # only cases whose name matches (results not saved)
//   node bench/codec.mjs --rounds=15 --sample-ms=100
//
// The parts it imports live in bench/codec/: codecs.mjs (the two libraries), packets.mjs (what is
// encoded and decoded), streams.mjs (sinks and chunked streams), sanity.mjs (checks that every
// timed path is right), cases.mjs (the cases timed).
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { compare, environment, formatOps, gitCommit, parseArgs, table, writeJson } from './harness.mjs';
import { cases } from './codec/cases.mjs';
import { IMP, MP, mqttPacketVersion } from './codec/codecs.mjs';
import { problems } from './codec/sanity.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = parseArgs();
const rounds = Number(args.rounds ?? 9);
const sampleMs = Number(args['sample-ms'] ?? 75);
const filter = args.filter ? new RegExp(String(args.filter), 'i') : null;

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
