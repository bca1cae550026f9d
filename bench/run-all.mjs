// Runs every benchmark in bench/ in turn, each in its own process (so one benchmark's JIT and heap
// state never colours another's): every bench/*.mjs except harness.mjs, this file, and files whose
// name starts with '_' (helpers). New benchmarks join by being dropped into bench/.
//
//   node bench/run-all.mjs                 # all of them (npm run bench builds first)
//   node bench/run-all.mjs codec session   # only those whose file name contains a given word
//   node bench/run-all.mjs -- --rounds=5   # arguments after -- go to every benchmark
//
// A benchmark that cannot run here (e.g. it needs a broker that is not installed) exits with
// SKIP_EXIT_CODE (77, from harness.mjs) and is reported as skipped. Exits non-zero if any failed.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SKIP_EXIT_CODE } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const only = dash === -1 ? argv : argv.slice(0, dash);
const passOn = dash === -1 ? [] : argv.slice(dash + 1);

const files = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && !f.startsWith('_') && f !== 'harness.mjs' && f !== 'run-all.mjs')
  .filter((f) => only.length === 0 || only.some((word) => f.includes(word)))
  .sort();

if (files.length === 0) {
  console.error('No benchmarks found.');
  process.exit(1);
}

const summary = [];
for (const file of files) {
  console.log(`\n=== ${file} ${'='.repeat(Math.max(0, 70 - file.length))}\n`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [join(here, file), ...passOn], { stdio: 'inherit', cwd: join(here, '..') });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const status = result.error ? `error: ${result.error.message}` : result.status === 0 ? 'ok' : result.status === SKIP_EXIT_CODE ? 'skipped' : result.signal ? `killed by ${result.signal}` : `failed (exit ${result.status})`;
  summary.push({ file, status, seconds });
}

console.log('\n=== summary');
for (const { file, status, seconds } of summary) console.log(`${file.padEnd(24)} ${status.padEnd(20)} ${seconds} s`);
process.exit(summary.some((s) => s.status !== 'ok' && s.status !== 'skipped') ? 1 : 0);
