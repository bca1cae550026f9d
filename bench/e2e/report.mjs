// bench/e2e.mjs's report: the tables it prints (throughput, client CPU per message and where it
// goes, delivery checks, latency, idle memory, targets, problems) from the sections' runs, with
// the reference sitting's figures beside them, and the summaries it saves.
import { formatOps, median, table } from '../harness.mjs';
import { BARE, IMP, LIBS, MQTTJS } from './clients.mjs';
import { describeRun } from './throughput-section.mjs';

// Figures from perf-targets.md (another sitting; shown to tell how fast this machine runs now).
const REFERENCE = {
  msgPerSec: { 0: [75e3, 105e3], 1: [24.5e3, 36e3], 2: [12.5e3, 14.8e3] },
  pubCpu: { 0: [3.2, 4.8], 1: [15.8, 19.4], 2: [31, 32] },
  subCpu: { 0: [6.0, 7.7], 1: [15, 18], 2: [38, 40] },
  cPubCpu: { 0: [2.1, 2.4], 1: [12.2, 13.7], 2: [22, 26] },
  cSubCpu: { 0: [5.5, 6.0], 1: [11.5, 12.5], 2: [22, 22] },
  latency: { p50: 87, p99: 455 },
  idle: { [MQTTJS]: { rss: 46.1, heap: 20.4 }, [BARE]: { rss: 11.6, heap: 1.6 } },
};

/** Prints the report; pushes each run's problems onto `problems` and prints them all; returns what
 * bench/e2e.mjs saves. */
export function printReport({ config, throughputRuns, latency, idleRuns, problems }) {
  const fmtUs = (x) => (x === undefined || x === null || !Number.isFinite(x) ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const fmtRatio = (x) => (x === undefined || x === null || !Number.isFinite(x) ? '—' : `${x.toFixed(2)}×`);
  const range = ([a, b]) => (a === b ? `${a}` : `${a}–${b}`);

  const summary = [];
  const targets = [];
  if (throughputRuns.length > 0) {
    for (const qos of [0, 1, 2]) {
      const perLib = {};
      for (const lib of LIBS) {
        const all = throughputRuns.filter((r) => r.qos === qos && r.lib === lib && r.variant === null);
        const good = all.filter((r) => r.complete && r.msgPerSec);
        perLib[lib] = {
          runs: all.length,
          complete: good.length,
          msgPerSec: good.length ? median(good.map((r) => r.msgPerSec)) : null,
          pubCpu: good.length ? median(good.map((r) => r.pubCpuUsPerMsg)) : null,
          subCpu: good.length ? median(good.map((r) => r.subCpuUsPerMsg)) : null,
          brokerCpu: good.length && good.every((r) => r.brokerCpuUsPerMsg !== undefined) ? median(good.map((r) => r.brokerCpuUsPerMsg)) : null,
          // CPU split and system calls, per message / per 1000 messages (medians over complete runs).
          pubUser: good.length ? median(good.map((r) => r.pub.userUs / r.n)) : null,
          pubSystem: good.length ? median(good.map((r) => r.pub.systemUs / r.n)) : null,
          subUser: good.length ? median(good.map((r) => r.sub.userUs / r.n)) : null,
          subSystem: good.length ? median(good.map((r) => r.sub.systemUs / r.n)) : null,
          pubWritesPerK: good.length && good.every((r) => r.pub.io) ? median(good.map((r) => (1000 * r.pub.io.writes) / r.n)) : null,
          pubReadsPerK: good.length && good.every((r) => r.pub.io) ? median(good.map((r) => (1000 * r.pub.io.reads) / r.n)) : null,
          subReadsPerK: good.length && good.every((r) => r.sub.io) ? median(good.map((r) => (1000 * r.sub.io.reads) / r.n)) : null,
          subWritesPerK: good.length && good.every((r) => r.sub.io) ? median(good.map((r) => (1000 * r.sub.io.writes) / r.n)) : null,
          received: all.map((r) => r.sub?.unique ?? null),
          duplicates: all.reduce((a, r) => a + (r.sub?.duplicates ?? 0), 0),
          outOfOrder: all.reduce((a, r) => a + (r.sub?.outOfOrder ?? 0), 0),
          failures: all.reduce((a, r) => a + (r.pub?.failures ?? 0), 0),
          problemRuns: all.filter((r) => r.problems.length > 0).length,
        };
      }
      // Per-round (paired) ratios over rounds where both runs completed.
      const paired = (key) => {
        const out = [];
        for (let round = 0; round < config.rounds; round++) {
          const a = throughputRuns.find((r) => r.qos === qos && r.lib === IMP && r.round === round && r.variant === null);
          const b = throughputRuns.find((r) => r.qos === qos && r.lib === MQTTJS && r.round === round && r.variant === null);
          if (a?.complete && b?.complete && a[key] && b[key]) out.push(a[key] / b[key]);
        }
        return out;
      };
      const ratio = (key) => (perLib[IMP][key] && perLib[MQTTJS][key] ? perLib[IMP][key] / perLib[MQTTJS][key] : null);
      const entry = {
        qos,
        n: config.n[qos],
        [IMP]: perLib[IMP],
        [MQTTJS]: perLib[MQTTJS],
        ratios: { msgPerSec: ratio('msgPerSec'), pubCpu: ratio('pubCpu'), subCpu: ratio('subCpu'), brokerCpu: ratio('brokerCpu') },
        paired: { msgPerSec: paired('msgPerSec'), pubCpu: paired('pubCpuUsPerMsg'), subCpu: paired('subCpuUsPerMsg') },
      };
      summary.push(entry);
    }

    const pr = (list) => (list.length ? `${Math.min(...list).toFixed(2)}–${Math.max(...list).toFixed(2)}` : '—');
    console.log('Throughput, 1 publisher → mosquitto → 1 subscriber, 64 B (msg/s = N / first publish → last received)\n');
    const rows = [['case', 'N', `${IMP} msg/s`, `${MQTTJS} msg/s`, 'ratio', 'paired range', `${MQTTJS} ref`]];
    for (const s of summary) {
      rows.push([`QoS ${s.qos}`, formatOps(s.n), s[IMP].msgPerSec ? formatOps(s[IMP].msgPerSec) : '—', s[MQTTJS].msgPerSec ? formatOps(s[MQTTJS].msgPerSec) : '—', fmtRatio(s.ratios.msgPerSec), pr(s.paired.msgPerSec), REFERENCE.msgPerSec[s.qos].map((x) => formatOps(x).trim()).join('–')]);
    }
    table(rows);

    console.log('\nClient CPU per message, µs (user+system of the whole process ÷ N; lower is better; ratio = impmqtt ÷ MQTT.js)\n');
    const cpuRows = [['case', `${IMP} µs`, `${MQTTJS} µs`, 'ratio', 'paired range', `${MQTTJS} ref`, 'C clients ref']];
    for (const s of summary) {
      cpuRows.push([`QoS ${s.qos} publisher`, fmtUs(s[IMP].pubCpu), fmtUs(s[MQTTJS].pubCpu), fmtRatio(s.ratios.pubCpu), pr(s.paired.pubCpu), range(REFERENCE.pubCpu[s.qos]), range(REFERENCE.cPubCpu[s.qos])]);
      cpuRows.push([`QoS ${s.qos} subscriber`, fmtUs(s[IMP].subCpu), fmtUs(s[MQTTJS].subCpu), fmtRatio(s.ratios.subCpu), pr(s.paired.subCpu), range(REFERENCE.subCpu[s.qos]), range(REFERENCE.cSubCpu[s.qos])]);
    }
    table(cpuRows);
    console.log('(mosquitto\'s own CPU per message, same runs: ' + summary.map((s) => `QoS ${s.qos} ${fmtUs(s[IMP].brokerCpu)} µs with impmqtt, ${fmtUs(s[MQTTJS].brokerCpu)} µs with MQTT.js`).join('; ') + ')');

    console.log('\nWhere the CPU goes: user / system µs per message, and read / write system calls per 1000 messages');
    console.log('(/proc/self/io syscr/syscw of each process over the same span; a consumer that keeps up with the broker');
    console.log(' reads more often, fewer messages per read, and pays the per-read kernel and stream cost more often)\n');
    const f1 = (x) => (x === null || x === undefined ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
    const splitRows = [['case', 'library', 'pub user', 'pub sys', 'pub writes/1k', 'pub reads/1k', 'sub user', 'sub sys', 'sub reads/1k', 'sub writes/1k']];
    for (const s of summary) {
      for (const lib of LIBS) {
        const x = s[lib];
        splitRows.push([`QoS ${s.qos}`, lib, fmtUs(x.pubUser), fmtUs(x.pubSystem), f1(x.pubWritesPerK), f1(x.pubReadsPerK), fmtUs(x.subUser), fmtUs(x.subSystem), f1(x.subReadsPerK), f1(x.subWritesPerK)]);
      }
    }
    table(splitRows);

    console.log('\nDelivery checks (every run: distinct messages received of N; duplicates; reordered; failed callbacks)\n');
    const checkRows = [['case', 'library', 'complete runs', 'received per run', 'dups', 'reordered', 'failed cbs']];
    for (const s of summary) {
      for (const lib of LIBS) {
        const x = s[lib];
        const received = x.received.every((v) => v === s.n) ? `all ${s.n}` : x.received.map((v) => (v === null ? '?' : v)).join(' ');
        checkRows.push([`QoS ${s.qos}`, lib, `${x.complete}/${x.runs}`, received, x.duplicates, x.outOfOrder, x.failures]);
      }
    }
    table(checkRows);
    const variant = throughputRuns.find((r) => r.variant === 'maxInflight');
    if (variant) {
      console.log(`\nimpmqtt at QoS 2 with all ${variant.n} messages published in one go (payloads and requests for all of them made at`);
      console.log(`once) and maxInflight 100, maxBuffered N doing the limiting in the client (one run; not in the ratios):`);
      console.log(`  ${describeRun(variant)}`);
    }

    for (const s of summary) {
      targets.push({ target: `QoS ${s.qos} publisher CPU/msg ≤ 0.5× MQTT.js`, value: s.ratios.pubCpu, needs: '≤ 0.50×', pass: s.ratios.pubCpu !== null && s.ratios.pubCpu <= 0.5 });
      targets.push({ target: `QoS ${s.qos} subscriber CPU/msg ≤ 0.5× MQTT.js`, value: s.ratios.subCpu, needs: '≤ 0.50×', pass: s.ratios.subCpu !== null && s.ratios.subCpu <= 0.5 });
    }
    for (const s of summary) {
      targets.push({ target: `QoS ${s.qos} e2e msg/s ≥ 1× MQTT.js`, value: s.ratios.msgPerSec, needs: '≥ 1.00×', pass: s.ratios.msgPerSec !== null && s.ratios.msgPerSec >= 1 });
    }
    for (const s of summary) {
      const lost = s[IMP].complete < s[IMP].runs;
      targets.push({ target: `QoS ${s.qos} impmqtt delivers every message`, value: `${s[IMP].complete}/${s[IMP].runs} runs`, needs: 'all runs', pass: !lost });
    }
  }

  if (latency && !latency.error) {
    console.log('\nSequential QoS 1 round trip (publish → received and PUBACK), µs\n');
    const rows = [['library', 'samples', 'p50', 'p90', 'p99', 'p99.9', 'mean', 'min', 'ref p50 / p99']];
    for (const lib of LIBS) {
      const l = latency[lib];
      rows.push([lib, l.samples, fmtUs(l.p50), fmtUs(l.p90), fmtUs(l.p99), fmtUs(l.p999), fmtUs(l.mean), fmtUs(l.min), lib === MQTTJS ? `${REFERENCE.latency.p50} / ${REFERENCE.latency.p99}` : '']);
    }
    rows.push(['ratio', '', fmtRatio(latency[IMP].p50 / latency[MQTTJS].p50), fmtRatio(latency[IMP].p90 / latency[MQTTJS].p90), fmtRatio(latency[IMP].p99 / latency[MQTTJS].p99), fmtRatio(latency[IMP].p999 / latency[MQTTJS].p999), fmtRatio(latency[IMP].mean / latency[MQTTJS].mean), '', '']);
    table(rows);
    targets.push({ target: 'QoS 1 round trip p50 ≤ MQTT.js (no target set; report)', value: latency[IMP].p50 / latency[MQTTJS].p50, needs: '≤ 1.00×', pass: latency[IMP].p50 <= latency[MQTTJS].p50, info: true });
  }

  let idleSummary = null;
  if (idleRuns.length > 0) {
    idleSummary = {};
    console.log(`\nMemory per idle connection (${config.idleConns} connections, keepalive ${config.keepalive} s; KB = 1024 B; median of ${config.idleRounds} run(s) per library)\n`);
    const rows = [['library', 'connections', 'RSS KB/conn', 'heap KB/conn', 'external KB/conn', 'RSS incl. first conn', 'ref RSS / heap']];
    for (const lib of [IMP, MQTTJS, BARE]) {
      const runs = idleRuns.filter((r) => r.lib === lib && !r.error);
      if (runs.length === 0) continue;
      const s = {
        conns: Math.min(...runs.map((r) => r.conns)),
        rssKB: median(runs.map((r) => r.rssKB)),
        heapKB: median(runs.map((r) => r.heapKB)),
        externalKB: median(runs.map((r) => r.externalKB)),
        rssKBFromEmpty: median(runs.map((r) => r.rssKBFromEmpty)),
        runs: runs.map((r) => ({ rssKB: r.rssKB, heapKB: r.heapKB })),
      };
      idleSummary[lib] = s;
      const ref = REFERENCE.idle[lib];
      rows.push([lib, s.conns, s.rssKB.toFixed(1), s.heapKB.toFixed(1), s.externalKB.toFixed(1), s.rssKBFromEmpty.toFixed(1), ref ? `${ref.rss} / ${ref.heap}` : '']);
    }
    table(rows);
    console.log('(RSS incl. first conn = (RSS after − RSS before any connection) ÷ (connections + 1): one-off costs included)');
    if (idleSummary[IMP]) {
      targets.push({ target: 'idle connection ≤ 12 KB RSS (impmqtt)', value: `${idleSummary[IMP].rssKB.toFixed(1)} KB`, needs: '≤ 12 KB', pass: idleSummary[IMP].rssKB <= 12 });
      if (idleSummary[MQTTJS]) targets.push({ target: 'idle heap per connection vs MQTT.js (report)', value: idleSummary[IMP].heapKB / idleSummary[MQTTJS].heapKB, needs: '< 1.00×', pass: idleSummary[IMP].heapKB < idleSummary[MQTTJS].heapKB, info: true });
    }
  }

  if (targets.length > 0) {
    console.log('');
    const rows = [['target', 'value', 'needs', 'result']];
    for (const t of targets) rows.push([t.target, typeof t.value === 'number' ? fmtRatio(t.value) : t.value ?? '—', t.needs, t.pass ? 'PASS' : t.info ? 'no' : 'MISS']);
    table(rows);
    console.log('(C-client parity, "no worse than the C clients", needs CPU ratios ≤ 0.56–0.84× by the reference sitting\'s figures: implied by the 0.5× targets.)');
  }

  for (const r of throughputRuns) {
    if (r.problems.length > 0) problems.push(`QoS ${r.qos} ${r.lib}${r.variant ? ` (${r.variant})` : ''} round ${r.round + 1}: ${r.problems.join('; ')}`);
  }
  if (problems.length > 0) {
    console.log(`\nPROBLEMS (${problems.length}):`);
    for (const p of problems) console.log(`- ${p}`);
  }

  return { summary, targets, idleSummary };
}
