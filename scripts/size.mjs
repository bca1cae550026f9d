// Browser bundle sizes (deterministic): esbuild, platform browser, minified, no externals, then
// gzip -9. Prints the table with MQTT.js's own browser build beside it; with --check, exits 1
// when an entry is over its budget (CI runs it from the test suite).
import { build } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

export const BUDGETS = [
  { name: "import { MqttClient } from 'impmqtt'", source: "export { MqttClient } from 'impmqtt';", budget: 10_240 },
  { name: "import * from 'impmqtt/packet' (codec)", source: "export * from 'impmqtt/packet';", budget: 6_144 },
  { name: "import { mqtt } from 'impmqtt/imp'", source: "export { mqtt } from 'impmqtt/imp';", budget: 13_312 },
];

export async function measure(source) {
  const result = await build({
    stdin: { contents: source, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const bytes = result.outputFiles[0].contents;
  return { minified: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, text: new TextDecoder().decode(bytes) };
}

function mqttJsSize() {
  const path = 'node_modules/mqtt/dist/mqtt.min.js';
  return existsSync(path) ? gzipSync(readFileSync(path), { level: 9 }).length : undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  let over = false;
  console.log('| bundle | minified | gzip -9 | budget |');
  console.log('|---|---|---|---|');
  for (const entry of BUDGETS) {
    const { minified, gzip } = await measure(entry.source);
    const ok = gzip <= entry.budget;
    over ||= !ok;
    console.log(`| ${entry.name} | ${kb(minified)} | ${kb(gzip)} | ${kb(entry.budget)} ${ok ? 'ok' : 'OVER'} |`);
  }
  const anchor = mqttJsSize();
  if (anchor !== undefined) console.log(`| MQTT.js (dist/mqtt.min.js) | | ${kb(anchor)} | |`);
  if (process.argv.includes('--check') && over) process.exit(1);
}
