// Import time (issue 15): how long `import 'impmqtt'` takes in a fresh Node process, beside
// MQTT.js, median of interleaved runs. Measured inside the child (performance.now() around a
// dynamic import), so Node's own start-up is not counted. Two figures: 'first' is the first
// import of the process, which also starts Node's ES module loader (~10 ms here whatever the
// module: an empty one costs that); 'own' is the module's own cost, imported once the loader is
// up (after an empty module). Target: ≤ 5 ms (MQTT.js: ~60 ms).
//   npm run bench -- import          node bench/import.mjs --runs=21
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, parseArgs, table } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const args = parseArgs();
const RUNS = Number(args.runs ?? 21);
const targets = {
  'impmqtt (its Node entry, dist/node)': pathToFileURL(join(here, '..', 'dist/node/index.js')).href,
  'impmqtt/packet (dist/node)': pathToFileURL(join(here, '..', 'dist/node/packet/index.js')).href,
  'impmqtt per module (dist/esm, for bundlers)': pathToFileURL(join(here, '..', 'dist/esm/index.js')).href,
  'MQTT.js 5 (its package entry)': pathToFileURL(require.resolve('mqtt')).href,
};
const emptyFile = join(mkdtempSync(join(tmpdir(), 'impmqtt-import-')), 'empty.mjs');
writeFileSync(emptyFile, 'export default 0;\n');
const EMPTY = pathToFileURL(emptyFile).href;
const timed = (url) => `const t = performance.now(); await import(${JSON.stringify(url)}); const ms = performance.now() - t;`;
const probes = {
  first: (url) => `${timed(url)} process.stdout.write(String(ms));`,
  own: (url) => `await import(${JSON.stringify(EMPTY)}); ${timed(url)} process.stdout.write(String(ms));`,
};
const samples = Object.fromEntries(Object.keys(targets).map((name) => [name, { first: [], own: [] }]));
for (let run = 0; run < RUNS; run++) {
  for (const [name, url] of Object.entries(targets)) {
    for (const [kind, probe] of Object.entries(probes)) {
      samples[name][kind].push(Number(execFileSync(process.execPath, ['--input-type=module', '-e', probe(url)], { encoding: 'utf8' })));
    }
  }
}
rmSync(dirname(emptyFile), { recursive: true, force: true });
const ours = samples['impmqtt (its Node entry, dist/node)'];
const theirs = samples['MQTT.js 5 (its package entry)'];
console.log(`Import time in a fresh process, median of ${RUNS} interleaved runs (ms; Node start-up not counted):`);
table([
  ['module', 'own', 'first import', 'own min', 'own max'],
  ...Object.entries(samples).map(([name, s]) => [name, median(s.own).toFixed(2), median(s.first).toFixed(2), Math.min(...s.own).toFixed(2), Math.max(...s.own).toFixed(2)]),
]);
const own = median(ours.own);
console.log(`\ntarget: import 'impmqtt' ≤ 5 ms: own ${own.toFixed(2)} ms ${own <= 5 ? 'PASS' : 'MISS'}; ratio to MQTT.js ${(own / median(theirs.own)).toFixed(2)}× own, ${(median(ours.first) / median(theirs.first)).toFixed(2)}× first import`);
