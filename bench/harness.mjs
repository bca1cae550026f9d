// A tiny, dependency-free benchmark harness shared by every bench/*.mjs.
//
// The machine is small and noisy (2 vCPU, hypervisor steal), so absolute numbers move 10-35 %
// between sittings. What this harness trusts is a *ratio* between competitors measured in the
// same process, in interleaved rounds, each round taking one sample of every competitor:
//
//   const results = await compare([
//     { name: 'encode 64 B', ops: 1, competitors: {
//         impmqtt: () => encode(p),                                 // a function to time, or
//         'mqtt-packet': { setup: () => { const o = mk(); return () => generate(o) } },
//     } },
//   ], { rounds: 9, baseline: 'mqtt-packet' })
//   printTable(results)
//   writeJson('bench/results/x.json', { ...environment(), results })
//
// A competitor is either the function to time, or { setup, ops?, async? } where setup() (may be
// async) returns the function to time or { fn, ops?, teardown? }. `ops` is how many operations one
// call performs (e.g. packets decoded from a pre-built stream); ops/s figures count those.
// A benchmark that cannot run here (say, no broker installed) should exit with SKIP_EXIT_CODE so
// run-all.mjs reports it as skipped rather than failed.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';

export const SKIP_EXIT_CODE = 77;

// A collection between samples keeps one competitor's garbage from being paid for by the next.
// Works without --expose-gc; null when the runtime refuses.
const collect = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc');
  } catch {
    return null;
  }
})();

/** Results of the timed function land here so the optimiser cannot drop the work. */
export let sink;

const now = () => process.hrtime.bigint();

/** Runs `fn` `batch` times; returns elapsed nanoseconds. */
async function runBatch(fn, batch, isAsync) {
  let last;
  const start = now();
  if (isAsync) for (let i = 0; i < batch; i++) last = await fn();
  else for (let i = 0; i < batch; i++) last = fn();
  const elapsed = Number(now() - start);
  sink = last;
  return elapsed;
}

/**
 * Warms `fn` up for at least `warmupMs` (so the JIT has settled) and returns the batch size that
 * makes one sample take about `sampleMs`.
 */
export async function calibrate(fn, { sampleMs = 75, warmupMs = 150, async: isAsync = false } = {}) {
  const deadline = Date.now() + warmupMs;
  let batch = 1;
  let perCallNs = Infinity;
  for (;;) {
    const ns = await runBatch(fn, batch, isAsync);
    if (ns >= 5e6) perCallNs = Math.min(perCallNs, ns / batch); // batches under 5 ms are timer noise
    if (Date.now() >= deadline && perCallNs !== Infinity) break;
    if (ns < 20e6) batch *= 2; // grow until a batch is long enough to time well
  }
  return Math.max(1, Math.round((sampleMs * 1e6) / perCallNs));
}

/** One sample: runs a calibrated batch; returns operations per second. */
export async function sample(fn, batch, { ops = 1, async: isAsync = false, gc = true } = {}) {
  if (gc && collect) collect();
  const ns = await runBatch(fn, batch, isAsync);
  return (batch * ops * 1e9) / ns;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Measures one function alone: warm-up, calibration, then samples for at least `minTimeMs`.
 * Returns { opsPerSec (median), samples, batch }.
 */
export async function measure(fn, { minTimeMs = 1000, sampleMs = 75, warmupMs = 150, ops = 1, async: isAsync = false } = {}) {
  const batch = await calibrate(fn, { sampleMs, warmupMs, async: isAsync });
  const samples = [];
  const end = Date.now() + minTimeMs;
  do samples.push(await sample(fn, batch, { ops, async: isAsync }));
  while (Date.now() < end || samples.length < 3);
  return { opsPerSec: median(samples), samples, batch };
}

async function prepare(competitor, caseOps) {
  if (typeof competitor === 'function') return { fn: competitor, ops: caseOps, async: false };
  let made = await competitor.setup();
  if (typeof made === 'function') made = { fn: made };
  return { fn: made.fn, ops: made.ops ?? competitor.ops ?? caseOps, async: Boolean(made.async ?? competitor.async), teardown: made.teardown };
}

/**
 * Runs every case: sets up and calibrates each competitor, then `rounds` rounds of one sample per
 * competitor, reversing the order every other round (A B, B A, A B …) so neither side always runs
 * on the other's heels. Reports the median ops/s of each competitor and, for every competitor but
 * the baseline, ratio = its median / the baseline's median, plus the median and range of the
 * per-round (paired) ratios, which show how steady the comparison was.
 *
 * cases: [{ name, ops?, competitors: { name: fn | { setup, ops?, async? } } }]
 * options: rounds, sampleMs, warmupMs, baseline (a competitor name; default the last one),
 *          onResult(result) called after each case (e.g. to print progress).
 */
export async function compare(cases, { rounds = 9, sampleMs = 75, warmupMs = 150, baseline, onResult } = {}) {
  const results = [];
  for (const c of cases) {
    const names = Object.keys(c.competitors);
    const base = baseline && names.includes(baseline) ? baseline : names[names.length - 1];
    const runs = [];
    for (const name of names) {
      const run = await prepare(c.competitors[name], c.ops ?? 1);
      run.name = name;
      run.batch = await calibrate(run.fn, { sampleMs, warmupMs, async: run.async });
      run.samples = [];
      runs.push(run);
    }
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? runs : [...runs].reverse();
      for (const run of order) run.samples.push(await sample(run.fn, run.batch, run));
    }
    for (const run of runs) if (run.teardown) await run.teardown();

    const baseRun = runs.find((run) => run.name === base);
    const result = { name: c.name, baseline: base, rounds, competitors: {}, ratios: {} };
    for (const run of runs) {
      result.competitors[run.name] = { median: median(run.samples), samples: run.samples.map(Math.round), batch: run.batch, opsPerCall: run.ops };
    }
    for (const run of runs) {
      if (run === baseRun) continue;
      const paired = run.samples.map((s, i) => s / baseRun.samples[i]);
      result.ratios[run.name] = {
        ratio: result.competitors[run.name].median / result.competitors[base].median,
        pairedMedian: median(paired),
        pairedMin: Math.min(...paired),
        pairedMax: Math.max(...paired),
      };
    }
    results.push(result);
    if (onResult) onResult(result);
  }
  return results;
}

/** 1234567 → "1.23 M"; 61234 → "61.2 k". */
export function formatOps(n) {
  if (!Number.isFinite(n)) return String(n);
  const [div, unit] = n >= 1e9 ? [1e9, ' G'] : n >= 1e6 ? [1e6, ' M'] : n >= 1e3 ? [1e3, ' k'] : [1, '  '];
  const v = n / div;
  return (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) + unit;
}

/** Prints rows (arrays of cells) as an aligned table; the first row is the header. Text columns
 * align left, columns whose cells all look numeric align right. */
export function table(rows, { out = console.log } = {}) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i] ?? '').length)));
  const numeric = rows[0].map((_, i) => rows.slice(1).every((row) => /^[\d.,\s×xkMG%–+-]*$/.test(String(row[i] ?? ''))));
  const line = (row) => row.map((cell, i) => (numeric[i] ? String(cell ?? '').padStart(widths[i]) : String(cell ?? '').padEnd(widths[i]))).join('  ').trimEnd();
  out(line(rows[0]));
  out(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows.slice(1)) out(line(row));
}

/** The usual table for compare() results: case, each competitor's median ops/s, ratio(s), paired range. */
export function printTable(results, { unit = 'ops/s', out = console.log } = {}) {
  if (results.length === 0) return;
  const names = Object.keys(results[0].competitors);
  const others = names.filter((n) => n !== results[0].baseline);
  const header = ['case', ...names.map((n) => `${n} ${unit}`), ...others.map((n) => (others.length > 1 ? `ratio ${n}` : 'ratio')), 'paired range'];
  const rows = [header];
  for (const r of results) {
    const ratios = others.map((n) => r.ratios[n]);
    rows.push([
      r.name,
      ...names.map((n) => (r.competitors[n] ? formatOps(r.competitors[n].median) : '')),
      ...ratios.map((x) => (x ? `${x.ratio.toFixed(2)}×` : '')),
      ratios[0] ? `${ratios[0].pairedMin.toFixed(2)}–${ratios[0].pairedMax.toFixed(2)}` : '',
    ]);
  }
  table(rows, { out });
}

/** Date, runtime and machine facts every results file should carry. */
export function environment() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
    gcBetweenSamples: Boolean(collect),
  };
}

/**
 * The commit measured: short HEAD, with "+dirty-src" when the sources under `paths` differ from
 * it; null outside a git checkout.
 */
export function gitCommit(cwd, paths = ['src']) {
  try {
    const git = (args) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const head = git(['rev-parse', '--short', 'HEAD']);
    return git(['status', '--porcelain', '--', ...paths]) ? `${head}+dirty-src` : head;
  } catch {
    return null;
  }
}

export function writeJson(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data, null, 2) + '\n');
}

/** Parses --key=value / --flag arguments into an object. */
export function parseArgs(argv = process.argv.slice(2)) {
  const args = {};
  for (const a of argv) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (m) args[m[1]] = m[2] ?? true;
  }
  return args;
}
