// Summarises a V8 CPU profile (from `node --cpu-prof`, or bench/fixed-rate.mjs --prof=DIR):
// the functions with the most self time, and the share of samples under impmqtt's own code,
// Node's streams and sockets, and the garbage collector.
//   node bench/profile-summary.mjs FILE.cpuprofile [--top=25]
import { readFileSync } from 'node:fs';
import { parseArgs } from './harness.mjs';

const args = parseArgs();
const file = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
if (file === undefined) {
  console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile [--top=25]');
  process.exit(1);
}
const TOP = Number(args.top ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const where = (frame) => `${frame.functionName || '(anonymous)'} ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`;
const self = new Map();
const groups = new Map();
let total = 0;
profile.samples.forEach((id, index) => {
  const us = profile.timeDeltas[index + 1] ?? 0;
  total += us;
  const frame = nodes.get(id).callFrame;
  self.set(where(frame), (self.get(where(frame)) ?? 0) + us);
  const group = groupOf(id);
  groups.set(group, (groups.get(group) ?? 0) + us);
});

/** The first frame up the stack that is ours, else the kind of time it is. */
function groupOf(id) {
  const leaf = nodes.get(id).callFrame;
  if (leaf.functionName === '(garbage collector)') return 'garbage collector';
  if (leaf.functionName === '(idle)') return 'idle';
  if (leaf.functionName === '(program)') return 'program (V8, native)';
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const url = nodes.get(at).callFrame.url;
    if (/\/(dist|src)\//.test(url) && !url.includes('node_modules')) return 'impmqtt (self and below)';
    if (url.includes('node_modules/mqtt')) return 'MQTT.js (self and below)';
  }
  return 'Node and other';
}

const pct = (us) => `${((us / total) * 100).toFixed(1)}%`.padStart(6);
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
for (const [group, us] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`${pct(us)}  ${group}`);
console.log(`\nself time, top ${TOP}:`);
for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${pct(us)}  ${name}`);
