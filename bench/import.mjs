// Import time (issue 15): how long `import 'impmqtt'` takes in a fresh Node process, beside
// MQTT.js, median of interleaved runs. Measured inside the child (performance.now() around a
// dynamic import), so Node's own start-up is not counted. Target: ≤ 5 ms (MQTT.js: ~60 ms).
//   npm run bench -- import          node bench/import.mjs --runs=21
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
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
const probe = (url) => `const t = performance.now(); await import(${JSON.stringify(url)}); process.stdout.write(String(performance.now() - t));`;
const samples = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
for (let run = 0; run < RUNS; run++) {
  for (const [name, url] of Object.entries(targets)) {
    samples[name].push(Number(execFileSync(process.execPath, ['--input-type=module', '-e', probe(url)], { encoding: 'utf8' })));
  }
}
const ours = median(samples['impmqtt (its Node entry, dist/node)']);
const theirs = median(samples['MQTT.js 5 (its package entry)']);
console.log(`Import time in a fresh process, median of ${RUNS} interleaved runs (ms; Node start-up not counted):`);
table([['module', 'ms', 'min', 'max'], ...Object.entries(samples).map(([name, s]) => [name, median(s).toFixed(2), Math.min(...s).toFixed(2), Math.max(...s).toFixed(2)])]);
console.log(`\ntarget: import 'impmqtt' ≤ 5 ms: ${ours.toFixed(2)} ms ${ours <= 5 ? 'PASS' : 'MISS'} (MQTT.js ${theirs.toFixed(2)} ms, ratio ${(ours / theirs).toFixed(2)}×)`);
